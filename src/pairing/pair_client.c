/* lanmsg pairing, the client's side: see pairing.h and docs/pairing.md. */
#include "pairing/pairing.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "pairing/pair_proto.h"
#include "platform/paths.h"
#include "transport/tls_identity.h"
#include "transport/tls_pake.h"
#include "trust/enrolled.h"

typedef enum { C_NEW, C_WAIT_KX, C_WAIT_RESULT, C_DONE, C_FAILED } client_state;

struct lm_pair_client {
    client_state state;
    lm_pair_binding bind;
    char name[LM_NAME_MAX + 1];
    lm_pake *pake;
    lm_id_request req;
    unsigned char k[LM_PAKE_KEY_LEN];
    lm_ptrans tr;
    char *cert_pem;
    lm_pair_error reason;
    char err[512];
};

static lm_pair_status fail(lm_pair_client *c, lm_pair_error why, lm_msg_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    lm_vformat(c->err, sizeof c->err, id, ap);
    va_end(ap);
    c->reason = why;
    c->state = C_FAILED;
    return LM_PAIR_FAILED;
}

lm_pair_client *lm_pair_client_new(const char *code, const char *name, const lm_pair_binding *b,
                                   char *err, size_t errlen)
{
    char digits[LM_PCODE_DIGITS + 1];
    lm_pair_client *c;

    if (lm_pcode_parse(code, digits, err, errlen) != 0)
        return NULL;
    if (!lm_enrolled_name_ok(name)) {
        char shown[80];
        lm_escape(shown, sizeof shown, name, strlen(name));
        lm_format(err, errlen, LM_M_ENROL_BAD_NAME, shown);
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        lm_format(err, errlen, LM_M_OUT_OF_MEMORY);
        return NULL;
    }
    c->bind = *b;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->pake = lm_pake_new(0, (const unsigned char *)digits, LM_PCODE_DIGITS, err, errlen);
    memset(digits, 0, sizeof digits);
    if (!c->pake || lm_id_request_new(name, &c->req, err, errlen) != 0) {
        lm_pair_client_free(c);
        return NULL;
    }
    lm_ptrans_init(&c->tr);
    return c;
}

void lm_pair_client_free(lm_pair_client *c)
{
    if (!c)
        return;
    lm_pake_free(c->pake);
    lm_id_request_free(&c->req);
    free(c->cert_pem);
    memset(c, 0, sizeof *c);
    free(c);
}

lm_pair_status lm_pair_client_start(lm_pair_client *c, unsigned char *out, size_t cap,
                                    size_t *outlen)
{
    unsigned char r1[LM_PAKE_ROUND_MAX], version = LM_PMSG_VERSION;
    size_t r1len = 0;

    *outlen = 0;
    if (c->state != C_NEW)
        return fail(c, LM_PAIR_E_LOCAL, LM_M_PAIR_C_INTERNAL);
    if (lm_pake_write_round1(c->pake, r1, sizeof r1, &r1len) != 0)
        return fail(c, LM_PAIR_E_LOCAL, LM_M_PAKE_FAILED, "ecjpake round 1", 1u);
    lm_pmsg_span f[3] = {
        {&version, 1}, {(const unsigned char *)c->name, strlen(c->name)}, {r1, r1len}};
    *outlen = lm_pmsg_build(out, cap, LM_PMSG_HELLO, f, 3);
    if (*outlen == 0)
        return fail(c, LM_PAIR_E_LOCAL, LM_M_PAIR_C_INTERNAL);
    lm_ptrans_add(&c->tr, out, *outlen);
    c->state = C_WAIT_KX;
    return LM_PAIR_CONTINUE;
}

/* The server said no before any proof: map its code to our words. */
static lm_pair_status server_error(lm_pair_client *c, const lm_pmsg *m)
{
    int code = m->f[LM_PMSG_ERR_CODE].p[0], detail = m->f[LM_PMSG_ERR_DETAIL].p[0];
    switch (code) {
    case LM_PMSG_E_WRONG_CODE:
        return fail(c, LM_PAIR_E_WRONG_CODE, LM_M_PAIR_C_WRONG_CODE, detail);
    case LM_PMSG_E_BURNED:
        return fail(c, LM_PAIR_E_NO_CODE, LM_M_PAIR_C_BURNED);
    case LM_PMSG_E_NO_CODE:
        return fail(c, LM_PAIR_E_NO_CODE, LM_M_PAIR_C_NO_CODE);
    case LM_PMSG_E_BUSY:
        return fail(c, LM_PAIR_E_BUSY, LM_M_PAIR_C_BUSY);
    case LM_PMSG_E_VERSION:
        return fail(c, LM_PAIR_E_PROTOCOL, LM_M_PAIR_C_VERSION);
    case LM_PMSG_E_NAME:
        if (detail == 1)
            return fail(c, LM_PAIR_E_NAME, LM_M_PAIR_C_NAME_TAKEN, c->name, c->name);
        return fail(c, LM_PAIR_E_NAME, LM_M_PAIR_C_BAD_NAME, c->name);
    case LM_PMSG_E_SERVER:
        return fail(c, LM_PAIR_E_REFUSED, LM_M_PAIR_C_REFUSED);
    default:
        return fail(c, LM_PAIR_E_PROTOCOL, LM_M_PAIR_C_PROTOCOL_ERR);
    }
}

static lm_pair_status on_server_kx(lm_pair_client *c, const lm_pmsg *m, const unsigned char *frame,
                                   size_t flen, unsigned char *out, size_t cap, size_t *outlen)
{
    unsigned char r2[LM_PAKE_ROUND_MAX];
    size_t r2len = 0;
    lm_pmacs macs;

    lm_ptrans_add(&c->tr, frame, flen);
    /* A round that does not verify is not a wrong code (that yields a
     * valid round and a different key): the peer is not playing fair. */
    if (lm_pake_read_round1(c->pake, m->f[LM_PMSG_SKX_ROUND1].p, m->f[LM_PMSG_SKX_ROUND1].len) !=
            0 ||
        lm_pake_read_round2(c->pake, m->f[LM_PMSG_SKX_ROUND2].p, m->f[LM_PMSG_SKX_ROUND2].len) != 0)
        return fail(c, LM_PAIR_E_PROTOCOL, LM_M_PAIR_C_BAD_ROUND);
    if (lm_pake_write_round2(c->pake, r2, sizeof r2, &r2len) != 0 ||
        lm_pake_derive(c->pake, c->k) != 0)
        return fail(c, LM_PAIR_E_LOCAL, LM_M_PAKE_FAILED, "ecjpake round 2", 1u);
    lm_ptrans_add(&c->tr, r2, r2len);
    lm_ptrans_add(&c->tr, c->req.csr_der, c->req.csr_len);
    if (lm_pproto_client_macs(c->k, &c->tr, &c->bind, c->req.key_fp, &macs) != 0)
        return fail(c, LM_PAIR_E_LOCAL, LM_M_PAIR_C_INTERNAL);
    lm_pmsg_span f[4] = {
        {r2, r2len}, {c->req.csr_der, c->req.csr_len}, {macs.code, 32}, {macs.bind, 32}};
    *outlen = lm_pmsg_build(out, cap, LM_PMSG_CLIENT_KX, f, 4);
    if (*outlen == 0)
        return fail(c, LM_PAIR_E_LOCAL, LM_M_PAIR_C_INTERNAL);
    c->state = C_WAIT_RESULT;
    return LM_PAIR_CONTINUE;
}

static lm_pair_status on_result(lm_pair_client *c, const lm_pmsg *m)
{
    int status = m->f[LM_PMSG_RES_STATUS].p[0];
    const lm_pmsg_span *cert = &m->f[LM_PMSG_RES_CERT];
    lm_pmacs want;
    char why[512];

    if (lm_pproto_server_macs(c->k, &c->tr, &c->bind, c->req.key_fp, status, cert->p, cert->len,
                              &want) != 0)
        return fail(c, LM_PAIR_E_LOCAL, LM_M_PAIR_C_INTERNAL);
    /* Our own checks decide, whatever status the message claims. */
    if (!lm_pproto_equal(want.code, m->f[LM_PMSG_RES_CODE_MAC].p, 32))
        return fail(c, LM_PAIR_E_WRONG_CODE, LM_M_PAIR_C_IMPOSTOR);
    if (!lm_pproto_equal(want.bind, m->f[LM_PMSG_RES_BIND_MAC].p, 32) ||
        status == LM_PMSG_CHANNEL_MISMATCH)
        return fail(c, LM_PAIR_E_MITM, LM_M_PAIR_C_MITM);
    switch (status) {
    case LM_PMSG_OK:
        break;
    case LM_PMSG_NAME_TAKEN:
        return fail(c, LM_PAIR_E_NAME, LM_M_PAIR_C_NAME_TAKEN, c->name, c->name);
    default:
        return fail(c, LM_PAIR_E_REFUSED, LM_M_PAIR_C_REFUSED);
    }
    if (lm_id_check_issued(&c->req, c->name, cert->p, cert->len, &c->cert_pem, why, sizeof why) !=
        0)
        return fail(c, LM_PAIR_E_REFUSED, LM_M_PASSTHROUGH, why);
    c->state = C_DONE;
    return LM_PAIR_DONE;
}

lm_pair_status lm_pair_client_input(lm_pair_client *c, const unsigned char *in, size_t len,
                                    size_t *used, unsigned char *out, size_t cap, size_t *outlen)
{
    lm_pmsg m;
    int rc;

    *used = 0;
    *outlen = 0;
    if (c->state == C_DONE || c->state == C_FAILED || c->state == C_NEW)
        return fail(c, LM_PAIR_E_PROTOCOL, LM_M_PAIR_C_PROTOCOL_ERR);
    rc = lm_pmsg_parse(in, len, &m, used);
    if (rc == LM_PMSG_MORE)
        return LM_PAIR_CONTINUE;
    if (rc == LM_PMSG_BAD)
        return fail(c, LM_PAIR_E_PROTOCOL, LM_M_PAIR_C_PROTOCOL_ERR);
    if (m.type == LM_PMSG_ERROR)
        return server_error(c, &m);
    if (c->state == C_WAIT_KX && m.type == LM_PMSG_SERVER_KX)
        return on_server_kx(c, &m, in, *used, out, cap, outlen);
    if (c->state == C_WAIT_RESULT && m.type == LM_PMSG_RESULT)
        return on_result(c, &m);
    return fail(c, LM_PAIR_E_PROTOCOL, LM_M_PAIR_C_PROTOCOL_ERR);
}

lm_pair_status lm_pair_client_eof(lm_pair_client *c)
{
    if (c->state == C_DONE)
        return LM_PAIR_DONE;
    if (c->state != C_FAILED)
        fail(c, LM_PAIR_E_PROTOCOL, LM_M_PAIR_C_CUT);
    return LM_PAIR_FAILED;
}

const char *lm_pair_client_error(const lm_pair_client *c)
{
    return c->err;
}

lm_pair_error lm_pair_client_reason(const lm_pair_client *c)
{
    return c->reason;
}

const char *lm_pair_client_key_pem(const lm_pair_client *c)
{
    return c->state == C_DONE ? c->req.key_pem : NULL;
}

const char *lm_pair_client_cert_pem(const lm_pair_client *c)
{
    return c->state == C_DONE ? c->cert_pem : NULL;
}

int lm_pair_client_file(const char *state_dir, const char *hostport, char *out, size_t len,
                        char *err, size_t errlen)
{
    char name[300];
    size_t n = 0;
    n += (size_t)snprintf(name, sizeof name, "client-");
    for (const char *p = hostport; *p && n + 6 < sizeof name; p++) {
        char c = *p;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '-';
        /* "[::1]:5000" -> "__1_5000": brackets go, separators become '_' */
        if (c == '[' || c == ']')
            continue;
        name[n++] = keep ? c : '_';
    }
    snprintf(name + n, sizeof name - n, ".pem");
    return lm_path_join(out, len, state_dir, name, err, errlen);
}
