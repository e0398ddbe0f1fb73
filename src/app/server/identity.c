/* lanmsg-server: certificate, trust and pairing. See identity.h. */
#include "identity.h"

#include <stdio.h>
#include <string.h>

#include "files.h"
#include "lanmsg/error.h"
#include "platform/os.h"
#include "platform/paths.h"
#include "transport/tls_identity.h"
#include "transport/tls_pake.h"
#include "trust/enrolled.h"
#include "trust/fingerprint.h"
#include "util/text.h"

static int state_folder(server_identity *id, char *err, size_t errlen)
{
    if (id->state[0])
        return 0;
    return lm_dir_path(LM_DIR_STATE, id->state_opt, id->state, sizeof id->state, err, errlen);
}

/* The certificate and key: given, found, or the server's own. */
static int pick_certificate(server_identity *id, lm_tls_options *tls, const char *host, int quiet,
                            char *err, size_t errlen)
{
    char dir[LM_FILES_PATH_MAX];
    int created = 0;

    if (tls->cert_file) {
        snprintf(id->cert, sizeof id->cert, "%s", tls->cert_file);
        snprintf(id->key, sizeof id->key, "%s", tls->key_file ? tls->key_file : "");
    } else if (lm_files_find("server.crt", id->cert, sizeof id->cert, dir, sizeof dir)) {
        /* A helper-made pair: the key beside its certificate. */
        if (lm_path_join(id->key, sizeof id->key, dir, "server.key", err, errlen) != 0)
            return -1;
        if (lm_path_join(id->ca, sizeof id->ca, dir, "ca.crt", err, errlen) == 0 &&
            !lm_path_exists(id->ca))
            id->ca[0] = '\0';
    } else {
        unsigned char fp[32];
        if (state_folder(id, err, errlen) != 0 ||
            lm_id_server(id->state, host, id->cert, sizeof id->cert, id->key, sizeof id->key, fp,
                         &created, err, errlen) != 0)
            return -1;
        id->own = 1;
    }
    /* A file given or found that does not load is reported by the TLS
     * configuration, with the right words (missing, unreadable, mismatched). */
    if (lm_id_cert_file_fp(id->cert, id->fp, err, errlen) == 0)
        lm_fp_format(id->fp, id->fp_text);
    else if (id->own)
        return -1;
    if (id->own && !quiet)
        lm_info(created ? LM_M_SRV_IDENTITY_NEW : LM_M_SRV_IDENTITY, id->fp_text, id->state);
    else if (!quiet && !tls->cert_file && id->fp_text[0])
        /* Found through the search order: say which one, so a user with
         * several folders knows which file clients will see. */
        lm_info(LM_M_SRV_CERT_FOUND, id->cert, id->fp_text);
    tls->cert_file = id->cert;
    tls->key_file = id->key;
    return 0;
}

int server_identity_setup(server_identity *id, lm_tls_options *tls, const char *host, int ca_given,
                          int pair)
{
    static const char *const pair_alpn[] = {LM_PAIR_ALPN, NULL};
    char err[768];
    unsigned char issuer_fp[32];
    int have_issuer = 0;

    if (pick_certificate(id, tls, host, 0, err, sizeof err) != 0) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_USAGE;
    }
    if (!ca_given && id->ca[0])
        tls->ca_file = id->ca;
    /* The issuing key of enrolled clients: made by --pair, used from then on. */
    if (state_folder(id, err, sizeof err) != 0) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_USAGE;
    }
    if (lm_path_join(id->issuer_crt, sizeof id->issuer_crt, id->state, LM_ID_ISSUER_CRT, err,
                     sizeof err) != 0 ||
        lm_path_join(id->enrolled, sizeof id->enrolled, id->state, "clients", err, sizeof err) !=
            0) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_USAGE;
    }
    if (pair) {
        char why[256];
        if (!lm_pake_available(why, sizeof why)) {
            lm_warn(LM_M_PASSTHROUGH, why);
            return LM_EXIT_USAGE;
        }
        int created;
        if (lm_id_issuer(id->state, id->issuer_crt, sizeof id->issuer_crt, issuer_fp, &created, err,
                         sizeof err) != 0) {
            lm_warn(LM_M_PASSTHROUGH, err);
            return LM_EXIT_USAGE;
        }
        have_issuer = 1;
    } else if (lm_path_exists(id->issuer_crt)) {
        if (lm_id_cert_file_fp(id->issuer_crt, issuer_fp, err, sizeof err) != 0) {
            lm_warn(LM_M_PASSTHROUGH, err);
            return LM_EXIT_USAGE;
        }
        have_issuer = 1;
    }
    if (have_issuer)
        tls->ca_file2 = id->issuer_crt;
    {
        lm_trust_options to = {.is_server = 1,
                               .require_client_cert = tls->require_client_cert,
                               .enrolled_path = id->enrolled,
                               .issuer_fp = have_issuer ? issuer_fp : NULL};
        id->trust = lm_trust_new(&to, err, sizeof err);
        if (!id->trust) {
            lm_warn(LM_M_PASSTHROUGH, err);
            return LM_EXIT_USAGE;
        }
        tls->trust = id->trust;
    }
    if (pair) {
        char code[LM_PCODE_TEXT_MAX];
        id->pair.code =
            lm_pcode_new(lm_now_ms(), LM_PCODE_LIFETIME_S * 1000u, LM_PCODE_TRIES, err, sizeof err);
        if (!id->pair.code) {
            lm_warn(LM_M_PASSTHROUGH, err);
            return LM_EXIT_RUNTIME;
        }
        id->pair.issuer.state_dir = id->state;
        id->pair.issuer.enrolled_path = id->enrolled;
        id->pairing = 1;
        tls->alpn = pair_alpn;
        lm_pcode_text(id->pair.code, code);
        lm_info(LM_M_PAIR_S_CODE, code, LM_PCODE_LIFETIME_S / 60, LM_PCODE_TRIES);
    }
    return -1;
}

void server_identity_free(server_identity *id)
{
    lm_trust_free(id->trust);
    lm_pcode_free(id->pair.code);
    id->trust = NULL;
    id->pair.code = NULL;
}

int server_identity_show(server_identity *id, lm_tls_options *tls, const char *host)
{
    char err[768];
    if (pick_certificate(id, tls, host, 1, err, sizeof err) != 0 ||
        (!id->fp_text[0] && lm_id_cert_file_fp(id->cert, id->fp, err, sizeof err) != 0)) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_USAGE;
    }
    printf("%s\n", id->fp_text);
    return LM_EXIT_OK;
}

static int load_enrolled(server_identity *id, lm_enrolled **e)
{
    char err[768];
    if (state_folder(id, err, sizeof err) != 0 ||
        lm_path_join(id->enrolled, sizeof id->enrolled, id->state, "clients", err, sizeof err) !=
            0 ||
        !(*e = lm_enrolled_load(id->enrolled, err, sizeof err))) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return -1;
    }
    return 0;
}

int server_identity_list(server_identity *id)
{
    lm_enrolled *e;
    if (load_enrolled(id, &e) != 0)
        return LM_EXIT_USAGE;
    if (!lm_enrolled_count(e))
        lm_info(LM_M_SRV_NO_CLIENTS, id->enrolled);
    for (size_t i = 0; i < lm_enrolled_count(e); i++) {
        const lm_enrolled_entry *x = lm_enrolled_at(e, i);
        char fp[LM_FP_TEXT_MAX];
        lm_fp_format(x->fp, fp);
        printf("%-20s %s  since %s  %s%s\n", x->name, fp, x->issued,
               x->revoked ? "revoked " : "active", x->revoked ? x->revoked_on : "");
    }
    lm_enrolled_free(e);
    return LM_EXIT_OK;
}

int server_identity_revoke(server_identity *id, const char *name)
{
    char err[768], today[16];
    lm_enrolled *e;
    if (load_enrolled(id, &e) != 0)
        return LM_EXIT_USAGE;
    lm_tf_today(today);
    if (lm_enrolled_revoke(e, name, today, err, sizeof err) != 0 ||
        lm_enrolled_save(e, id->enrolled, err, sizeof err) != 0) {
        lm_warn(LM_M_PASSTHROUGH, err);
        lm_enrolled_free(e);
        return LM_EXIT_USAGE;
    }
    lm_info(LM_M_SRV_REVOKED, name);
    lm_enrolled_free(e);
    return LM_EXIT_OK;
}
