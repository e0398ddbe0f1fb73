/* lanmsg pairing, the server's side: see pairing.h and docs/pairing.md.
 * Besides the protocol, it enrols: it signs the client's request with the
 * issuing key in the state folder and records it in the enrolled list. */
#include "pairing/pairing.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "pairing/pair_proto.h"
#include "transport/tls_identity.h"
#include "transport/tls_pake.h"
#include "trust/enrolled.h"
#include "trust/textfile.h"

typedef enum { S_WAIT_HELLO, S_WAIT_KX, S_DONE, S_FAILED } server_state;

struct lm_pair_server {
    server_state state;
    lm_pcode *code;
    unsigned ticket;
    const lm_pair_issuer *iss;
    lm_pair_binding bind;
    char name[LM_NAME_MAX + 1];
    lm_pake *pake;
    unsigned char k[LM_PAKE_KEY_LEN];
    unsigned char client_fp[32];
    lm_ptrans tr;
    lm_pair_error reason;
    char err[512];
};

/* Stop: write one ERROR frame into out (when one is given) and remember
 * why in our own words, for the log. */
static lm_pair_status fail(lm_pair_server *s, unsigned char *out, size_t cap, size_t *outlen,
                           int code, int detail, lm_pair_error why, lm_msg_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    lm_vformat(s->err, sizeof s->err, id, ap);
    va_end(ap);
    s->reason = why;
    s->state = S_FAILED;
    if (out && code) {
        unsigned char c = (unsigned char)code, d = (unsigned char)detail;
        lm_pmsg_span f[2] = {{&c, 1}, {&d, 1}};
        *outlen = lm_pmsg_build(out, cap, LM_PMSG_ERROR, f, 2);
    }
    if (s->code)
        lm_pcode_end(s->code, s->ticket);
    s->ticket = 0;
    return LM_PAIR_FAILED;
}

lm_pair_server *lm_pair_server_new(lm_pcode *code, const lm_pair_issuer *iss,
                                   const lm_pair_binding *b)
{
    lm_pair_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->code = code;
    s->iss = iss;
    s->bind = *b;
    lm_ptrans_init(&s->tr);
    return s;
}

void lm_pair_server_free(lm_pair_server *s)
{
    if (!s)
        return;
    if (s->code && s->ticket)
        lm_pcode_end(s->code, s->ticket);
    lm_pake_free(s->pake);
    memset(s, 0, sizeof *s);
    free(s);
}

/* Why the code cannot be used, as an ERROR frame and a log line. */
static lm_pair_status code_unusable(lm_pair_server *s, lm_pcode_state st, unsigned char *out,
                                    size_t cap, size_t *outlen)
{
    switch (st) {
    case LM_PCODE_BUSY:
        return fail(s, out, cap, outlen, LM_PMSG_E_BUSY, 0, LM_PAIR_E_BUSY, LM_M_PAIR_S_BUSY);
    case LM_PCODE_BURNED:
        return fail(s, out, cap, outlen, LM_PMSG_E_BURNED, 0, LM_PAIR_E_NO_CODE,
                    LM_M_PAIR_S_NO_CODE);
    default:
        return fail(s, out, cap, outlen, LM_PMSG_E_NO_CODE, 0, LM_PAIR_E_NO_CODE,
                    LM_M_PAIR_S_NO_CODE);
    }
}

/* Is the name active with a key already? Checked at HELLO so a taken name
 * costs no attempt (and again before issuing). 1 taken, 0 free, -1 when
 * the list cannot be read (why in err). */
static int name_taken(lm_pair_server *s, const char *name, char *err, size_t errlen)
{
    lm_enrolled *e = lm_enrolled_load(s->iss->enrolled_path, err, errlen);
    int taken = e ? lm_enrolled_find_name(e, name) != NULL : -1;
    lm_enrolled_free(e);
    return taken;
}

static lm_pair_status on_hello(lm_pair_server *s, const lm_pmsg *m, const unsigned char *frame,
                               size_t flen, uint64_t now_ms, unsigned char *out, size_t cap,
                               size_t *outlen)
{
    unsigned char r1[LM_PAKE_ROUND_MAX], r2[LM_PAKE_ROUND_MAX];
    size_t r1len = 0, r2len = 0;
    char secret[LM_PCODE_DIGITS + 1], err[512];
    const lm_pmsg_span *name = &m->f[LM_PMSG_HELLO_NAME];
    lm_pcode_state st;

    if (m->f[LM_PMSG_HELLO_VERSION].p[0] != LM_PMSG_VERSION)
        return fail(s, out, cap, outlen, LM_PMSG_E_VERSION, 0, LM_PAIR_E_PROTOCOL,
                    LM_M_PAIR_S_VERSION, m->f[LM_PMSG_HELLO_VERSION].p[0]);
    memcpy(s->name, name->p, name->len);
    s->name[name->len] = '\0';
    if (strlen(s->name) != name->len || !lm_enrolled_name_ok(s->name)) {
        char shown[80];
        lm_escape(shown, sizeof shown, (const char *)name->p, name->len);
        return fail(s, out, cap, outlen, LM_PMSG_E_NAME, 0, LM_PAIR_E_NAME, LM_M_PAIR_S_BAD_NAME,
                    shown);
    }
    switch (name_taken(s, s->name, err, sizeof err)) {
    case 1:
        return fail(s, out, cap, outlen, LM_PMSG_E_NAME, 1, LM_PAIR_E_NAME, LM_M_PAIR_S_NAME_TAKEN,
                    s->name, s->name);
    case -1:
        return fail(s, out, cap, outlen, LM_PMSG_E_SERVER, 0, LM_PAIR_E_LOCAL, LM_M_PASSTHROUGH, err);
    default:
        break;
    }
    st = lm_pcode_begin(s->code, now_ms, &s->ticket);
    if (st != LM_PCODE_READY)
        return code_unusable(s, st, out, cap, outlen);

    lm_pcode_secret(s->code, secret);
    s->pake = lm_pake_new(1, (const unsigned char *)secret, LM_PCODE_DIGITS, err, sizeof err);
    memset(secret, 0, sizeof secret);
    if (!s->pake)
        return fail(s, out, cap, outlen, LM_PMSG_E_SERVER, 0, LM_PAIR_E_LOCAL, LM_M_PASSTHROUGH, err);
    if (lm_pake_read_round1(s->pake, m->f[LM_PMSG_HELLO_ROUND1].p,
                            m->f[LM_PMSG_HELLO_ROUND1].len) != 0)
        return fail(s, out, cap, outlen, LM_PMSG_E_PROTOCOL, 0, LM_PAIR_E_PROTOCOL,
                    LM_M_PAIR_S_BAD_ROUND);
    if (lm_pake_write_round1(s->pake, r1, sizeof r1, &r1len) != 0 ||
        lm_pake_write_round2(s->pake, r2, sizeof r2, &r2len) != 0)
        return fail(s, out, cap, outlen, LM_PMSG_E_SERVER, 0, LM_PAIR_E_LOCAL, LM_M_PAKE_FAILED,
                    "ecjpake rounds", 1u);
    lm_pmsg_span f[2] = {{r1, r1len}, {r2, r2len}};
    *outlen = lm_pmsg_build(out, cap, LM_PMSG_SERVER_KX, f, 2);
    if (*outlen == 0)
        return fail(s, NULL, 0, outlen, 0, 0, LM_PAIR_E_LOCAL, LM_M_PAIR_S_PROTOCOL);
    lm_ptrans_add(&s->tr, frame, flen);
    lm_ptrans_add(&s->tr, out, *outlen);
    s->state = S_WAIT_KX;
    return LM_PAIR_CONTINUE;
}

/* Send RESULT with our MACs over status and certificate. */
static size_t result(lm_pair_server *s, int status, const unsigned char *cert, size_t cert_len,
                     unsigned char *out, size_t cap)
{
    unsigned char st = (unsigned char)status;
    lm_pmacs macs;
    if (lm_pproto_server_macs(s->k, &s->tr, &s->bind, s->client_fp, status, cert, cert_len,
                              &macs) != 0)
        return 0;
    lm_pmsg_span f[4] = {{&st, 1}, {macs.code, 32}, {macs.bind, 32}, {cert, cert_len}};
    return lm_pmsg_build(out, cap, LM_PMSG_RESULT, f, 4);
}

/* The code and the channel are proven: issue and record. */
static lm_pair_status enrol(lm_pair_server *s, const lm_pmsg_span *csr, unsigned char *out,
                            size_t cap, size_t *outlen)
{
    char crt_path[1024], today[LM_TF_DATE_LEN], why[512];
    unsigned char issuer_fp[32];
    int created = 0, rc, status = LM_PMSG_SERVER_FAILED;
    lm_id_issued issued = {0};
    lm_enrolled *e = NULL;
    lm_pair_error reason = LM_PAIR_E_LOCAL;

    why[0] = '\0';
    if (lm_id_issuer(s->iss->state_dir, crt_path, sizeof crt_path, issuer_fp, &created, why,
                     sizeof why) != 0)
        goto refuse;
    e = lm_enrolled_load(s->iss->enrolled_path, why, sizeof why);
    if (!e)
        goto refuse;
    rc = lm_enrolled_check(e, s->name, s->client_fp, why, sizeof why);
    if (rc != 0) {
        status = rc == LM_ENROL_NAME_TAKEN ? LM_PMSG_NAME_TAKEN : LM_PMSG_BAD_REQUEST;
        reason = LM_PAIR_E_NAME;
        goto refuse;
    }
    rc = lm_id_sign_request(s->iss->state_dir, s->name, csr->p, csr->len,
                            s->iss->days ? s->iss->days : LM_PAIR_CERT_DAYS, &issued, why,
                            sizeof why);
    if (rc != 0) {
        if (rc == LM_ID_BAD_REQUEST) {
            status = LM_PMSG_BAD_REQUEST;
            reason = LM_PAIR_E_REFUSED;
        }
        goto refuse;
    }
    lm_tf_today(today);
    if (lm_enrolled_add(e, s->name, issued.key_fp, issued.serial, today, why, sizeof why) != 0 ||
        lm_enrolled_save(e, s->iss->enrolled_path, why, sizeof why) != 0)
        goto refuse;
    lm_enrolled_free(e);
    lm_pcode_success(s->code, s->ticket);
    lm_pcode_end(s->code, s->ticket);
    s->ticket = 0;
    *outlen = result(s, LM_PMSG_OK, issued.der, issued.len, out, cap);
    lm_id_issued_free(&issued);
    s->state = S_DONE;
    return LM_PAIR_DONE;
refuse:
    lm_enrolled_free(e);
    lm_id_issued_free(&issued);
    *outlen = result(s, status, NULL, 0, out, cap);
    return fail(s, NULL, 0, outlen, 0, 0, reason, LM_M_PAIR_S_NOT_ISSUED, s->name, why);
}

static lm_pair_status on_client_kx(lm_pair_server *s, const lm_pmsg *m, uint64_t now_ms,
                                   unsigned char *out, size_t cap, size_t *outlen)
{
    const lm_pmsg_span *r2 = &m->f[LM_PMSG_CKX_ROUND2], *csr = &m->f[LM_PMSG_CKX_CSR];
    lm_pcode_state st = lm_pcode_check(s->code, s->ticket, now_ms);
    char why[256];
    lm_pmacs want;
    int bad_request;

    if (st != LM_PCODE_READY)
        return code_unusable(s, st, out, cap, outlen);
    lm_ptrans_add(&s->tr, r2->p, r2->len);
    lm_ptrans_add(&s->tr, csr->p, csr->len);
    if (lm_pake_read_round2(s->pake, r2->p, r2->len) != 0)
        return fail(s, out, cap, outlen, LM_PMSG_E_PROTOCOL, 0, LM_PAIR_E_PROTOCOL,
                    LM_M_PAIR_S_BAD_ROUND);
    if (lm_pake_derive(s->pake, s->k) != 0)
        return fail(s, out, cap, outlen, LM_PMSG_E_SERVER, 0, LM_PAIR_E_LOCAL, LM_M_PAKE_FAILED,
                    "ecjpake derive", 1u);
    /* A request that does not parse still gets its verdict on the code
     * first, so a wrong code is counted whatever came with it. */
    bad_request = lm_id_request_fp(csr->p, csr->len, s->client_fp, why, sizeof why) != 0;
    if (bad_request)
        memset(s->client_fp, 0, sizeof s->client_fp);
    if (lm_pproto_client_macs(s->k, &s->tr, &s->bind, s->client_fp, &want) != 0)
        return fail(s, out, cap, outlen, LM_PMSG_E_SERVER, 0, LM_PAIR_E_LOCAL,
                    LM_M_PAIR_S_PROTOCOL);
    if (!lm_pproto_equal(want.code, m->f[LM_PMSG_CKX_CODE_MAC].p, 32)) {
        int left = lm_pcode_wrong(s->code, s->ticket);
        if (left == 0)
            return fail(s, out, cap, outlen, LM_PMSG_E_BURNED, 0, LM_PAIR_E_WRONG_CODE,
                        LM_M_PAIR_S_BURNED);
        return fail(s, out, cap, outlen, LM_PMSG_E_WRONG_CODE, left, LM_PAIR_E_WRONG_CODE,
                    LM_M_PAIR_S_WRONG_CODE, left);
    }
    if (!lm_pproto_equal(want.bind, m->f[LM_PMSG_CKX_BIND_MAC].p, 32)) {
        /* The right code over two different channels: a relay. Burn the
         * code (its holder is in the middle) and tell the client in a
         * message it can check, then refuse. */
        lm_pcode_burn(s->code);
        *outlen = result(s, LM_PMSG_CHANNEL_MISMATCH, NULL, 0, out, cap);
        return fail(s, NULL, 0, outlen, 0, 0, LM_PAIR_E_MITM, LM_M_PAIR_S_MITM);
    }
    if (bad_request) {
        *outlen = result(s, LM_PMSG_BAD_REQUEST, NULL, 0, out, cap);
        return fail(s, NULL, 0, outlen, 0, 0, LM_PAIR_E_REFUSED, LM_M_PAIR_S_NOT_ISSUED, s->name,
                    why);
    }
    return enrol(s, csr, out, cap, outlen);
}

lm_pair_status lm_pair_server_input(lm_pair_server *s, const unsigned char *in, size_t len,
                                    size_t *used, uint64_t now_ms, unsigned char *out, size_t cap,
                                    size_t *outlen)
{
    lm_pmsg m;
    int rc;

    *used = 0;
    *outlen = 0;
    if (s->state == S_DONE || s->state == S_FAILED)
        return fail(s, NULL, 0, outlen, 0, 0, LM_PAIR_E_PROTOCOL, LM_M_PAIR_S_PROTOCOL);
    rc = lm_pmsg_parse(in, len, &m, used);
    if (rc == LM_PMSG_MORE)
        return LM_PAIR_CONTINUE;
    if (rc == LM_PMSG_BAD)
        return fail(s, out, cap, outlen, LM_PMSG_E_PROTOCOL, 0, LM_PAIR_E_PROTOCOL,
                    LM_M_PAIR_S_PROTOCOL);
    if (m.type == LM_PMSG_ERROR)
        return fail(s, NULL, 0, outlen, 0, 0, LM_PAIR_E_PROTOCOL, LM_M_PAIR_S_GAVE_UP);
    if (s->state == S_WAIT_HELLO && m.type == LM_PMSG_HELLO)
        return on_hello(s, &m, in, *used, now_ms, out, cap, outlen);
    if (s->state == S_WAIT_KX && m.type == LM_PMSG_CLIENT_KX)
        return on_client_kx(s, &m, now_ms, out, cap, outlen);
    return fail(s, out, cap, outlen, LM_PMSG_E_PROTOCOL, 0, LM_PAIR_E_PROTOCOL,
                LM_M_PAIR_S_PROTOCOL);
}

lm_pair_status lm_pair_server_eof(lm_pair_server *s)
{
    if (s->state == S_DONE)
        return LM_PAIR_DONE;
    if (s->state != S_FAILED)
        fail(s, NULL, 0, NULL, 0, 0, LM_PAIR_E_PROTOCOL, LM_M_PAIR_S_CUT);
    return LM_PAIR_FAILED;
}

const char *lm_pair_server_error(const lm_pair_server *s)
{
    return s->err;
}

lm_pair_error lm_pair_server_reason(const lm_pair_server *s)
{
    return s->reason;
}

const char *lm_pair_server_name(const lm_pair_server *s)
{
    return s->state == S_DONE ? s->name : NULL;
}

const unsigned char *lm_pair_server_client_fp(const lm_pair_server *s)
{
    return s->state == S_DONE ? s->client_fp : NULL;
}
