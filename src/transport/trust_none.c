/* lanmsg identity and pairing cryptography for builds without mbedTLS
 * (-DLANMSG_WITH_TLS=OFF): the interfaces of tls_identity.h and
 * tls_pake.h, each failing with one line saying how to get a TLS build, so
 * the trust and pairing modules above link and refuse cleanly. */
#include <stdarg.h>
#include <string.h>

#include "util/text.h"
#include "transport/tls_identity.h"
#include "transport/tls_pake.h"
#include "transport/tls_trust.h"

static int no_tls(char *err, size_t errlen)
{
    if (err && errlen)
        lm_format(err, errlen, LM_M_ID_NO_TLS);
    return -1;
}

int lm_id_server(const char *dir, const char *host, char *crt_path, size_t crt_len, char *key_path,
                 size_t key_len, unsigned char fp[LM_ID_FP_LEN], int *created, char *err,
                 size_t errlen)
{
    (void)dir, (void)host, (void)crt_path, (void)crt_len, (void)key_path, (void)key_len, (void)fp;
    *created = 0;
    return no_tls(err, errlen);
}

int lm_id_issuer(const char *dir, char *crt_path, size_t crt_len, unsigned char fp[LM_ID_FP_LEN],
                 int *created, char *err, size_t errlen)
{
    (void)dir, (void)crt_path, (void)crt_len, (void)fp;
    *created = 0;
    return no_tls(err, errlen);
}

int lm_id_cert_file_fp(const char *path, unsigned char fp[LM_ID_FP_LEN], char *err, size_t errlen)
{
    (void)path, (void)fp;
    return no_tls(err, errlen);
}

int lm_id_cert_der_fp(const unsigned char *der, size_t len, unsigned char fp[LM_ID_FP_LEN],
                      char *err, size_t errlen)
{
    (void)der, (void)len, (void)fp;
    return no_tls(err, errlen);
}

int lm_id_request_new(const char *name, lm_id_request *out, char *err, size_t errlen)
{
    (void)name;
    memset(out, 0, sizeof *out);
    return no_tls(err, errlen);
}

void lm_id_request_free(lm_id_request *r)
{
    memset(r, 0, sizeof *r);
}

int lm_id_sign_request(const char *dir, const char *name, const unsigned char *csr, size_t csr_len,
                       unsigned days, lm_id_issued *out, char *err, size_t errlen)
{
    (void)dir, (void)name, (void)csr, (void)csr_len, (void)days;
    memset(out, 0, sizeof *out);
    return no_tls(err, errlen);
}

void lm_id_issued_free(lm_id_issued *c)
{
    memset(c, 0, sizeof *c);
}

int lm_id_request_fp(const unsigned char *csr, size_t csr_len, unsigned char fp[LM_ID_FP_LEN],
                     char *err, size_t errlen)
{
    (void)csr, (void)csr_len, (void)fp;
    return no_tls(err, errlen);
}

int lm_id_check_issued(const lm_id_request *req, const char *name, const unsigned char *der,
                       size_t len, char **pem, char *err, size_t errlen)
{
    (void)req, (void)name, (void)der, (void)len;
    *pem = NULL;
    return no_tls(err, errlen);
}

int lm_id_save_pair(const char *path, const char *key_pem, const char *crt_pem, char *err,
                    size_t errlen)
{
    (void)path, (void)key_pem, (void)crt_pem;
    return no_tls(err, errlen);
}

struct lm_pake {
    int unused;
};

int lm_pake_available(char *why, size_t len)
{
    no_tls(why, len);
    return 0;
}

lm_pake *lm_pake_new(int is_server, const unsigned char *secret, size_t len, char *err,
                     size_t errlen)
{
    (void)is_server, (void)secret, (void)len;
    no_tls(err, errlen);
    return NULL;
}

void lm_pake_free(lm_pake *p)
{
    (void)p;
}

int lm_pake_write_round1(lm_pake *p, unsigned char *out, size_t cap, size_t *len)
{
    (void)p, (void)out, (void)cap, (void)len;
    return -1;
}

int lm_pake_read_round1(lm_pake *p, const unsigned char *in, size_t len)
{
    (void)p, (void)in, (void)len;
    return -1;
}

int lm_pake_write_round2(lm_pake *p, unsigned char *out, size_t cap, size_t *len)
{
    (void)p, (void)out, (void)cap, (void)len;
    return -1;
}

int lm_pake_read_round2(lm_pake *p, const unsigned char *in, size_t len)
{
    (void)p, (void)in, (void)len;
    return -1;
}

int lm_pake_derive(lm_pake *p, unsigned char key[LM_PAKE_KEY_LEN])
{
    (void)p, (void)key;
    return -1;
}

int lm_pake_sha256(const void *data, size_t len, unsigned char out[32])
{
    (void)data, (void)len;
    memset(out, 0, 32);
    return -1;
}

int lm_pake_hmac(const unsigned char *key, size_t keylen, const void *data, size_t len,
                 unsigned char out[32])
{
    (void)key, (void)keylen, (void)data, (void)len;
    memset(out, 0, 32);
    return -1;
}

/* Pairing codes need random bytes even here (the code is shown before any
 * TLS is involved), but a build without TLS cannot pair: refuse. */
int lm_pake_random(unsigned char *out, size_t len)
{
    memset(out, 0, len);
    return -1;
}

/* ---- the live-connection accessors (tls_trust.h): no TLS connection
 * exists in this build ---- */

const char *lm_tls_alpn(lm_transport *t)
{
    (void)t;
    return NULL;
}

int lm_tls_peer_fp(lm_transport *t, unsigned char out[32])
{
    (void)t;
    (void)out;
    return -1;
}

int lm_tls_own_fp(lm_transport *t, unsigned char out[32])
{
    (void)t;
    (void)out;
    return -1;
}

int lm_tls_export(lm_transport *t, const char *label, unsigned char *out, size_t len)
{
    (void)t;
    (void)label;
    (void)out;
    (void)len;
    return -1;
}

const lm_trust_result *lm_tls_trust_result(lm_transport *t)
{
    (void)t;
    return NULL;
}
