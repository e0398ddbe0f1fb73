/* lanmsg-client --pair CODE: become known to a server with the one-time
 * code its operator reads out, over TLS that neither side trusts yet.
 *
 * The exchange is src/pairing's (docs/pairing.md); this file moves its
 * frames over the client's connection and keeps what it yields: the
 * server's key in known_servers and our new key with its certificate in
 * the state folder (one 0600 file), which later connections to that server
 * use without any flag. Nothing is stored unless the exchange succeeded,
 * and a man in the middle makes it fail on both ends. */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "pairing/pairing.h"
#include "platform/os.h"
#include "platform/paths.h"
#include "transport/tls_identity.h"
#include "transport/tls_pake.h"
#include "transport/tls_trust.h"
#include "trust/fingerprint.h"
#include "trust/trust.h"
#include "util/text.h"

static int exit_for(lm_pair_error e)
{
    switch (e) {
    case LM_PAIR_E_MITM:
        return LM_EXIT_TLS;
    case LM_PAIR_E_NAME:
    case LM_PAIR_E_LOCAL:
        return LM_EXIT_USAGE;
    default:
        return LM_EXIT_RUNTIME;
    }
}

/* Run the exchange on an open connection. */
static int converse(lm_client *cl, lm_pair_client *pc)
{
    unsigned char in[LM_PMSG_FRAME_MAX * 2], out[LM_PMSG_FRAME_MAX];
    size_t have = 0, outlen = 0;
    lm_pair_status st = lm_pair_client_start(pc, out, sizeof out, &outlen);

    while (st == LM_PAIR_CONTINUE) {
        size_t used = 0;
        if (outlen && lm_client_write_all(cl, (const char *)out, outlen) != LM_OK) {
            st = lm_pair_client_eof(pc);
            break;
        }
        outlen = 0;
        st = lm_pair_client_input(pc, in, have, &used, out, sizeof out, &outlen);
        if (st != LM_PAIR_CONTINUE)
            break;
        if (used) {
            memmove(in, in + used, have - used);
            have -= used;
            continue;
        }
        if (have == sizeof in) {
            st = lm_pair_client_eof(pc);
            break;
        }
        long n = lm_client_read(cl, in + have, sizeof in - have);
        if (n <= 0) {
            st = lm_pair_client_eof(pc);
            break;
        }
        have += (size_t)n;
    }
    if (st == LM_PAIR_DONE && outlen)
        lm_client_write_all(cl, (const char *)out, outlen);
    return st;
}

int lm_client_pair(const lm_client_opts *given, const char *code, const char *name)
{
    static const char *const alpn[] = {LM_PAIR_ALPN, NULL};
    lm_client_opts o = *given;
    lm_client cl;
    lm_pair_binding b;
    lm_pair_client *pc;
    char err[768], state[1024], hostport[300], file[1100], user[64], fp[LM_FP_TEXT_MAX];
    int rc, st;

    if (!lm_pake_available(err, sizeof err)) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_USAGE;
    }
    if (!name || !*name) {
        lm_user_name(user, sizeof user);
        name = user;
    }
    o.use_tls = 1;
    o.tofu = 1;    /* met for the first time: the exchange, not a person, decides */
    o.pairing = 1; /* and its key is recorded only once it succeeded */
    o.alpn = alpn;
    if (!o.tls.tls_version && lm_tls_has_tls13())
        o.tls.tls_version = 13;
    memset(&cl, 0, sizeof cl);
    rc = lm_client_connect(&cl, &o);
    if (rc != LM_EXIT_OK) {
        lm_client_free(&cl);
        return rc;
    }
    {
        const char *agreed = lm_tls_alpn(cl.tp);
        if (!agreed || strcmp(agreed, LM_PAIR_ALPN) != 0) {
            lm_warn(LM_M_PAIR_C_NOT_OFFERED, cl.peer);
            lm_client_free(&cl);
            return LM_EXIT_RUNTIME;
        }
    }
    if (lm_tls_peer_fp(cl.tp, b.server_fp) != 0 ||
        lm_tls_export(cl.tp, LM_PAIR_EXPORTER_LABEL, b.exporter, sizeof b.exporter) != 0) {
        lm_warn(LM_M_PAIR_C_INTERNAL);
        lm_client_free(&cl);
        return LM_EXIT_RUNTIME;
    }
    pc = lm_pair_client_new(code, name, &b, err, sizeof err);
    if (!pc) {
        lm_warn(LM_M_PASSTHROUGH, err); /* a typo in the code, a bad name: no attempt spent */
        lm_client_free(&cl);
        return LM_EXIT_USAGE;
    }
    st = converse(&cl, pc);
    if (st != LM_PAIR_DONE) {
        lm_warn(LM_M_PASSTHROUGH, lm_pair_client_error(pc));
        rc = exit_for(lm_pair_client_reason(pc));
        goto out;
    }
    /* Keep what pairing gave: our key and certificate, then the server's key. */
    if (lm_dir_path(LM_DIR_STATE, o.state_opt, state, sizeof state, err, sizeof err) != 0 ||
        lm_client_hostport(&o, hostport, sizeof hostport, err, sizeof err) != 0 ||
        lm_pair_client_file(state, hostport, file, sizeof file, err, sizeof err) != 0 ||
        lm_id_save_pair(file, lm_pair_client_key_pem(pc), lm_pair_client_cert_pem(pc), err,
                        sizeof err) != 0) {
        lm_warn(LM_M_PASSTHROUGH, err);
        rc = LM_EXIT_RUNTIME;
        goto out;
    }
    {
        const lm_trust_result *r = lm_tls_trust_result(cl.tp);
        if (r && r->verdict == LM_TRUST_FIRST_USE &&
            lm_trust_remember(cl.trust, hostport, b.server_fp, err, sizeof err) != 0) {
            lm_warn(LM_M_PASSTHROUGH, err);
            rc = LM_EXIT_RUNTIME;
            goto out;
        }
    }
    lm_fp_format(b.server_fp, fp);
    lm_info(LM_M_PAIR_C_DONE, hostport, name, fp, file);
    rc = LM_EXIT_OK;
out:
    lm_pair_client_free(pc);
    lm_client_free(&cl);
    return rc;
}
