/* lanmsg-bench: what mbedTLS itself costs, without lanmsg around it.
 *
 * These are baselines for the TLS rows: raw AEAD speed (sealing and
 * opening), the server's share of the public-key work of a full handshake
 * (ECDHE key pair and shared secret, one ECDSA P-256 signature), and the
 * memory of an mbedTLS session. With bench_tlspair.c (the minimal server
 * and client) it is the only benchmark file that includes mbedTLS headers;
 * the mbedTLS 2.28 / 3.x differences it meets are the two marked below. */
#include "bench.h"
#include "bench_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/chachapoly.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#if MBEDTLS_VERSION_MAJOR >= 3
#include <psa/crypto.h>
#endif

#define AEAD_BUF (16 * 1024)

const char *bc_library(void)
{
    return MBEDTLS_VERSION_STRING_FULL;
}

/* ==== random numbers ==== */

int bc_rng_init(bc_rng *r)
{
    static const unsigned char pers[] = "lanmsg-bench";
    mbedtls_entropy_init(&r->entropy);
    mbedtls_ctr_drbg_init(&r->drbg);
#if MBEDTLS_VERSION_MAJOR >= 3
    /* 3.x: PSA must be up before any SSL context is set up. */
    if (psa_crypto_init() != PSA_SUCCESS)
        return -1;
#endif
    return mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy, pers,
                                 sizeof pers - 1);
}

void bc_rng_free(bc_rng *r)
{
    mbedtls_ctr_drbg_free(&r->drbg);
    mbedtls_entropy_free(&r->entropy);
}

/* ==== AEAD speed ==== */

/* Seal (or open) 16 KiB buffers, a full TLS record's worth, for `seconds`
 * and return MB/s of plaintext, the unit TLS throughput is reported in.
 * Opening checks the tag and decrypts, as a receiver does for each record;
 * it works on one sealed buffer, again and again. NAN if the cipher is not
 * in this build or fails. */
double bc_aead_mb_per_s(const char *which, int open, double seconds)
{
    static unsigned char in[AEAD_BUF], out[AEAD_BUF], back[AEAD_BUF];
    unsigned char key[32] = {1, 2, 3}, iv[12] = {0}, tag[16], aad[13] = {23, 3, 3};
    int chacha = strcmp(which, "chacha20") == 0;
    mbedtls_gcm_context gcm;
    mbedtls_chachapoly_context cp;
    uint64_t t0, n = 0;
    int rc;

    mbedtls_gcm_init(&gcm);
    mbedtls_chachapoly_init(&cp);
    rc = chacha ? mbedtls_chachapoly_setkey(&cp, key)
                : mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 128);
    if (rc == 0 && open) /* the one record every open reads */
        rc = chacha ? mbedtls_chachapoly_encrypt_and_tag(&cp, AEAD_BUF, iv, aad, sizeof aad, in,
                                                         out, tag)
                    : mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, AEAD_BUF, iv, sizeof iv,
                                                aad, sizeof aad, in, out, sizeof tag, tag);
    t0 = lm_now_us();
    while (rc == 0 && (double)(lm_now_us() - t0) < seconds * 1e6) {
        for (int k = 0; k < 16 && rc == 0; k++, n++) {
            if (open) {
                rc = chacha ? mbedtls_chachapoly_auth_decrypt(&cp, AEAD_BUF, iv, aad, sizeof aad,
                                                              tag, out, back)
                            : mbedtls_gcm_auth_decrypt(&gcm, AEAD_BUF, iv, sizeof iv, aad,
                                                       sizeof aad, tag, sizeof tag, out, back);
                continue;
            }
            iv[11] = (unsigned char)n; /* a fresh nonce per record, as TLS does */
            rc = chacha
                     ? mbedtls_chachapoly_encrypt_and_tag(&cp, AEAD_BUF, iv, aad, sizeof aad, in,
                                                          out, tag)
                     : mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, AEAD_BUF, iv, sizeof iv,
                                                 aad, sizeof aad, in, out, sizeof tag, tag);
        }
    }
    mbedtls_gcm_free(&gcm);
    mbedtls_chachapoly_free(&cp);
    if (rc != 0 || n == 0)
        return NAN;
    return (double)n * AEAD_BUF / 1e6 / ((double)(lm_now_us() - t0) / 1e6);
}

/* ==== the certificate ==== */

void bc_cert_key(const char *path, char *out, size_t len)
{
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    out[0] = '\0';
    if (mbedtls_x509_crt_parse_file(&crt, path) == 0) {
        const mbedtls_pk_context *pk = &crt.pk;
        size_t bits = mbedtls_pk_get_bitlen(pk);
        if (mbedtls_pk_can_do(pk, MBEDTLS_PK_ECKEY))
            snprintf(out, len, "ECDSA %s",
                     bits == 256   ? "P-256"
                     : bits == 384 ? "P-384"
                                   : "(other curve)");
        else
            snprintf(out, len, "%s %zu", mbedtls_pk_get_name(pk), bits);
    }
    mbedtls_x509_crt_free(&crt);
}

/* ==== the server's share of a full handshake ==== */

/* ECDHE as a server does it: make an ephemeral key pair, then combine the
 * private key with the peer's public key. Microseconds per exchange. */
double bc_ecdhe_us(int x25519, double seconds)
{
    mbedtls_ecp_group grp;
    mbedtls_mpi d, peer_d, z;
    mbedtls_ecp_point q, peer_q;
    bc_rng r;
    uint64_t t0, n = 0;
    int rc;

    mbedtls_ecp_group_init(&grp);
    mbedtls_mpi_init(&d);
    mbedtls_mpi_init(&peer_d);
    mbedtls_mpi_init(&z);
    mbedtls_ecp_point_init(&q);
    mbedtls_ecp_point_init(&peer_q);
    rc = bc_rng_init(&r);
    if (rc == 0)
        rc = mbedtls_ecp_group_load(&grp,
                                    x25519 ? MBEDTLS_ECP_DP_CURVE25519 : MBEDTLS_ECP_DP_SECP256R1);
    if (rc == 0)
        rc = mbedtls_ecdh_gen_public(&grp, &peer_d, &peer_q, mbedtls_ctr_drbg_random, &r.drbg);
    t0 = lm_now_us();
    while (rc == 0 && (double)(lm_now_us() - t0) < seconds * 1e6) {
        rc = mbedtls_ecdh_gen_public(&grp, &d, &q, mbedtls_ctr_drbg_random, &r.drbg);
        if (rc == 0)
            rc = mbedtls_ecdh_compute_shared(&grp, &z, &peer_q, &d, mbedtls_ctr_drbg_random,
                                             &r.drbg);
        n++;
    }
    double us = rc == 0 && n ? (double)(lm_now_us() - t0) / (double)n : NAN;
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_point_free(&peer_q);
    mbedtls_mpi_free(&d);
    mbedtls_mpi_free(&peer_d);
    mbedtls_mpi_free(&z);
    mbedtls_ecp_group_free(&grp);
    bc_rng_free(&r);
    return us;
}

/* One ECDSA P-256 signature over a SHA-256 digest: what the server signs
 * in ServerKeyExchange (TLS 1.2) or CertificateVerify (TLS 1.3). */
double bc_ecdsa_sign_us(double seconds)
{
    mbedtls_ecdsa_context key;
    unsigned char hash[32] = {7}, sig[MBEDTLS_ECDSA_MAX_LEN];
    size_t slen;
    uint64_t t0, n = 0;
    bc_rng r;
    int rc;

    mbedtls_ecdsa_init(&key);
    rc = bc_rng_init(&r);
    if (rc == 0)
        rc = mbedtls_ecdsa_genkey(&key, MBEDTLS_ECP_DP_SECP256R1, mbedtls_ctr_drbg_random, &r.drbg);
    t0 = lm_now_us();
    while (rc == 0 && (double)(lm_now_us() - t0) < seconds * 1e6) {
        hash[0] = (unsigned char)n++;
#if MBEDTLS_VERSION_MAJOR >= 3
        /* 3.x: the signature buffer's size is passed. */
        rc = mbedtls_ecdsa_write_signature(&key, MBEDTLS_MD_SHA256, hash, sizeof hash, sig,
                                           sizeof sig, &slen, mbedtls_ctr_drbg_random, &r.drbg);
#else
        rc = mbedtls_ecdsa_write_signature(&key, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, &slen,
                                           mbedtls_ctr_drbg_random, &r.drbg);
#endif
    }
    double us = rc == 0 && n ? (double)(lm_now_us() - t0) / (double)n : NAN;
    mbedtls_ecdsa_free(&key);
    bc_rng_free(&r);
    return us;
}

/* ==== session memory ==== */

/* Resident bytes per mbedtls_ssl_context after mbedtls_ssl_setup with a
 * server configuration: the record buffers and state mbedTLS itself keeps
 * for one session, before lanmsg adds anything (no handshake is run, so
 * pages mbedTLS allocated but has not written yet may not count). */
double bc_ssl_context_bytes(int n)
{
    mbedtls_ssl_config conf;
    mbedtls_ssl_context *ctx = calloc((size_t)n, sizeof *ctx);
    double r0, r1, per = NAN;
    bc_rng r;
    int i, ok = 0;

    mbedtls_ssl_config_init(&conf);
    if (!ctx || bc_rng_init(&r) != 0) {
        free(ctx);
        mbedtls_ssl_config_free(&conf);
        return NAN;
    }
    if (mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) == 0) {
        mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &r.drbg);
        r0 = bench_proc_rss(0);
        for (i = 0; i < n; i++) {
            mbedtls_ssl_init(&ctx[i]);
            if (mbedtls_ssl_setup(&ctx[i], &conf) != 0)
                break;
        }
        ok = i;
        r1 = bench_proc_rss(0);
        if (ok == n && r0 > 0 && r1 > 0)
            per = (r1 - r0) / n;
    }
    for (i = 0; i < n; i++)
        mbedtls_ssl_free(&ctx[i]);
    free(ctx);
    mbedtls_ssl_config_free(&conf);
    bc_rng_free(&r);
    return per;
}
