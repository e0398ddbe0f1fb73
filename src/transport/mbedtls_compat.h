/* Every difference between mbedTLS 2.28 and 3.6 lives in this header.
 * Only the TLS backend (src/transport/tls.c) and lanmsg-certgen include it. */
#ifndef LANMSG_MBEDTLS_COMPAT_H
#define LANMSG_MBEDTLS_COMPAT_H

#include <mbedtls/version.h>

#if MBEDTLS_VERSION_MAJOR >= 3
#define LM_MBEDTLS_3 1
#else
#define LM_MBEDTLS_3 0
#endif

/* ==== section: TLS backend ==== */

/* ==== section: certificate generation ==== */
/* Used by lanmsg-certgen only (src/app/certgen_*.c). Both versions get the
 * SubjectAltName and extendedKeyUsage extensions from our own DER encoder
 * (2.28 has no setter for either), so the certificates are byte-for-byte
 * shaped the same whichever library built them. Seen only by code that
 * defines LM_CERTGEN first. */
#if defined(LM_CERTGEN)
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#if LM_MBEDTLS_3
#include <psa/crypto.h>
#else
#include <mbedtls/bignum.h>
#endif

/* 3.x wants PSA initialised before keys are parsed or certificates hashed
 * (key identifiers may go through PSA); 2.28 has nothing to start. */
static inline int lm_cg_crypto_init(void)
{
#if LM_MBEDTLS_3 && defined(MBEDTLS_PSA_CRYPTO_C)
    return psa_crypto_init() == PSA_SUCCESS ? 0 : -1;
#else
    return 0;
#endif
}

/* 3.x takes the serial as raw big-endian bytes (set_serial with an MPI is
 * deprecated, and gone in 4.0); 2.28 only takes an MPI. */
static inline int lm_cg_set_serial(mbedtls_x509write_cert *crt, const unsigned char *serial,
                                   size_t len)
{
#if LM_MBEDTLS_3
    return mbedtls_x509write_crt_set_serial_raw(crt, (unsigned char *)serial, len);
#else
    mbedtls_mpi mpi;
    int ret;
    mbedtls_mpi_init(&mpi);
    ret = mbedtls_mpi_read_binary(&mpi, serial, len);
    if (ret == 0)
        ret = mbedtls_x509write_crt_set_serial(crt, &mpi);
    mbedtls_mpi_free(&mpi);
    return ret;
#endif
}

/* 3.x parses keys and checks pairs with an RNG (for blinding); 2.28 has no
 * RNG argument. PEM input must include its terminating NUL in both. */
static inline int lm_cg_pk_parse_key(mbedtls_pk_context *pk, const unsigned char *buf, size_t len,
                                     int (*f_rng)(void *, unsigned char *, size_t), void *p_rng)
{
#if LM_MBEDTLS_3
    return mbedtls_pk_parse_key(pk, buf, len, NULL, 0, f_rng, p_rng);
#else
    (void)f_rng;
    (void)p_rng;
    return mbedtls_pk_parse_key(pk, buf, len, NULL, 0);
#endif
}

static inline int lm_cg_pk_check_pair(const mbedtls_pk_context *pub, const mbedtls_pk_context *prv,
                                      int (*f_rng)(void *, unsigned char *, size_t), void *p_rng)
{
#if LM_MBEDTLS_3
    return mbedtls_pk_check_pair(pub, prv, f_rng, p_rng);
#else
    (void)f_rng;
    (void)p_rng;
    return mbedtls_pk_check_pair(pub, prv);
#endif
}
#endif /* LM_CERTGEN */

#endif
