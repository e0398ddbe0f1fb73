/* lanmsg PAKE over mbedTLS: EC-JPAKE rounds, hashes and random bytes. See
 * tls_pake.h. Where the library lacks EC-JPAKE or the exporter (mbedTLS
 * 2.28 as Debian builds it), the exchange reports that it needs 3.6; the
 * hashes work everywhere. */
#include "transport/tls_pake.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/version.h>

#define LM_PAKE 1 /* the compat header's pairing section */
#include "util/text.h"
#include "transport/mbedtls_compat.h"

static void set_err(char *err, size_t errlen, lm_msg_id id, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, id);
    lm_vformat(err, errlen, id, ap);
    va_end(ap);
}

int lm_pake_sha256(const void *data, size_t len, unsigned char out[32])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    return md && mbedtls_md(md, data, len, out) == 0 ? 0 : -1;
}

int lm_pake_hmac(const unsigned char *key, size_t keylen, const void *data, size_t len,
                 unsigned char out[32])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    return md && mbedtls_md_hmac(md, key, keylen, data, len, out) == 0 ? 0 : -1;
}

int lm_pake_random(unsigned char *out, size_t len)
{
    static const char pers[] = "lanmsg-pairing-code";
    mbedtls_entropy_context e;
    mbedtls_ctr_drbg_context d;
    int ret;
    mbedtls_entropy_init(&e);
    mbedtls_ctr_drbg_init(&d);
    ret = mbedtls_ctr_drbg_seed(&d, mbedtls_entropy_func, &e, (const unsigned char *)pers,
                                sizeof pers - 1);
    if (ret == 0)
        ret = mbedtls_ctr_drbg_random(&d, out, len);
    mbedtls_ctr_drbg_free(&d);
    mbedtls_entropy_free(&e);
    return ret == 0 ? 0 : -1;
}

#if LM_COMPAT_HAVE_PAIRING

struct lm_pake {
    mbedtls_ecjpake_context jp;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

int lm_pake_available(char *why, size_t len)
{
    if (why && len)
        why[0] = '\0';
    return 1;
}

lm_pake *lm_pake_new(int is_server, const unsigned char *secret, size_t len, char *err,
                     size_t errlen)
{
    static const char pers[] = "lanmsg-pairing";
    lm_pake *p = calloc(1, sizeof *p);
    int ret;

    if (!p) {
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
        return NULL;
    }
    mbedtls_ecjpake_init(&p->jp);
    mbedtls_entropy_init(&p->entropy);
    mbedtls_ctr_drbg_init(&p->drbg);
    /* The MD layer may route SHA-256 through PSA in 3.x. */
    if (psa_crypto_init() != PSA_SUCCESS) {
        set_err(err, errlen, LM_M_PAKE_FAILED, "psa_crypto_init", 1u);
        goto fail;
    }
    ret = mbedtls_ctr_drbg_seed(&p->drbg, mbedtls_entropy_func, &p->entropy,
                                (const unsigned char *)pers, sizeof pers - 1);
    if (ret == 0)
        ret = mbedtls_ecjpake_setup(&p->jp,
                                    is_server ? MBEDTLS_ECJPAKE_SERVER : MBEDTLS_ECJPAKE_CLIENT,
                                    MBEDTLS_MD_SHA256, MBEDTLS_ECP_DP_SECP256R1, secret, len);
    if (ret != 0) {
        set_err(err, errlen, LM_M_PAKE_FAILED, "ecjpake_setup", (unsigned)-ret);
        goto fail;
    }
    return p;
fail:
    lm_pake_free(p);
    return NULL;
}

void lm_pake_free(lm_pake *p)
{
    if (!p)
        return;
    mbedtls_ecjpake_free(&p->jp);
    mbedtls_ctr_drbg_free(&p->drbg);
    mbedtls_entropy_free(&p->entropy);
    free(p);
}

int lm_pake_write_round1(lm_pake *p, unsigned char *out, size_t cap, size_t *len)
{
    return mbedtls_ecjpake_write_round_one(&p->jp, out, cap, len, mbedtls_ctr_drbg_random,
                                           &p->drbg) == 0
               ? 0
               : -1;
}

int lm_pake_read_round1(lm_pake *p, const unsigned char *in, size_t len)
{
    return mbedtls_ecjpake_read_round_one(&p->jp, in, len) == 0 ? 0 : -1;
}

int lm_pake_write_round2(lm_pake *p, unsigned char *out, size_t cap, size_t *len)
{
    return mbedtls_ecjpake_write_round_two(&p->jp, out, cap, len, mbedtls_ctr_drbg_random,
                                           &p->drbg) == 0
               ? 0
               : -1;
}

int lm_pake_read_round2(lm_pake *p, const unsigned char *in, size_t len)
{
    return mbedtls_ecjpake_read_round_two(&p->jp, in, len) == 0 ? 0 : -1;
}

int lm_pake_derive(lm_pake *p, unsigned char key[LM_PAKE_KEY_LEN])
{
    size_t olen = 0;
    int ret = mbedtls_ecjpake_derive_secret(&p->jp, key, LM_PAKE_KEY_LEN, &olen,
                                            mbedtls_ctr_drbg_random, &p->drbg);
    return ret == 0 && olen == LM_PAKE_KEY_LEN ? 0 : -1;
}

#else /* no EC-JPAKE or no exporter: say what would be needed */

struct lm_pake {
    int unused;
};

int lm_pake_available(char *why, size_t len)
{
    set_err(why, len, LM_M_PAKE_NEEDS_36, MBEDTLS_VERSION_STRING);
    return 0;
}

lm_pake *lm_pake_new(int is_server, const unsigned char *secret, size_t len, char *err,
                     size_t errlen)
{
    (void)is_server;
    (void)secret;
    (void)len;
    lm_pake_available(err, errlen);
    return NULL;
}

void lm_pake_free(lm_pake *p)
{
    free(p);
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

#endif
