/* Every difference between mbedTLS 2.28 and 3.6 lives in this header.
 * Only the TLS side (src/transport/: tls*.c, x509_write.c) and lanmsg-certgen
 * include it; each picks its section. */
#ifndef LANMSG_MBEDTLS_COMPAT_H
#define LANMSG_MBEDTLS_COMPAT_H

#include <mbedtls/version.h>

/* The build found mbedTLS of this major.minor version (set on
 * MbedTLS::mbedcrypto by cmake/mbedtls_policy.cmake); headers of another
 * version, e.g. a system 2.28 in /usr/include shadowing a 3.6, would build
 * a mismatch. */
#if defined(LANMSG_MBEDTLS_EXPECT) &&                                                              \
    (MBEDTLS_VERSION_NUMBER & 0xFFFF0000) != (LANMSG_MBEDTLS_EXPECT)
#error "mbedTLS headers differ from the library CMake found: put its include directory first"
#endif

#if MBEDTLS_VERSION_MAJOR >= 3
#define LM_MBEDTLS_3 1
#else
#define LM_MBEDTLS_3 0
#endif

/* ==== section: TLS backend ==== */
/* Seen only by the TLS backend (src/transport/tls_*.c), which defines
 * LM_TLS_BACKEND first, and by lanmsg-bench's minimal mbedTLS pair, which
 * must configure the library as the backend does to be a fair baseline. */
#if defined(LM_TLS_BACKEND)
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/ssl_ticket.h>
#if LM_MBEDTLS_3
#include <psa/crypto.h>
#endif

/* Resumption is part of the design, not an option: say so at build time. */
#if !defined(MBEDTLS_SSL_TICKET_C) || !defined(MBEDTLS_SSL_CACHE_C) ||                             \
    !defined(MBEDTLS_SSL_SESSION_TICKETS) || !defined(MBEDTLS_X509_CRT_PARSE_C)
#error                                                                                             \
    "lanmsg needs mbedTLS built with SSL_TICKET_C, SSL_CACHE_C, SSL_SESSION_TICKETS and X509_CRT_PARSE_C"
#endif

#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
#define LM_COMPAT_HAVE_TLS13 1
#else
#define LM_COMPAT_HAVE_TLS13 0
#endif

/* 3.x needs PSA initialised before any TLS 1.3 handshake or PSA-backed key;
 * 2.28 has no such step. Returns 0 on success. */
#if LM_MBEDTLS_3
#define LM_COMPAT_PSA_INIT() (psa_crypto_init() == PSA_SUCCESS ? 0 : -1)
#else
#define LM_COMPAT_PSA_INIT() 0
#endif

/* 3.x key parsing and pair checking take an RNG (for blinding). */
#if LM_MBEDTLS_3
#define LM_COMPAT_PK_PARSE_KEYFILE(pk, path, pass, rng, prng)                                      \
    mbedtls_pk_parse_keyfile((pk), (path), (pass), (rng), (prng))
#define LM_COMPAT_PK_CHECK_PAIR(pub, prv, rng, prng)                                               \
    mbedtls_pk_check_pair((pub), (prv), (rng), (prng))
#else
#define LM_COMPAT_PK_PARSE_KEYFILE(pk, path, pass, rng, prng)                                      \
    mbedtls_pk_parse_keyfile((pk), (path), (pass))
#define LM_COMPAT_PK_CHECK_PAIR(pub, prv, rng, prng) mbedtls_pk_check_pair((pub), (prv))
#endif

/* The 48-byte TLS 1.2 master secret of a session: the client compares the
 * offered and the negotiated one to learn whether the server resumed. */
#if LM_MBEDTLS_3
#define LM_COMPAT_SESSION_MASTER(s) ((s)->MBEDTLS_PRIVATE(master))
#else
#define LM_COMPAT_SESSION_MASTER(s) ((s)->master)
#endif

/* TLS 1.3 suites exist only in 3.x; 0 entries are skipped by the caller. */
#if LM_COMPAT_HAVE_TLS13
#define LM_COMPAT_TLS13_AES128   MBEDTLS_TLS1_3_AES_128_GCM_SHA256
#define LM_COMPAT_TLS13_AES256   MBEDTLS_TLS1_3_AES_256_GCM_SHA384
#define LM_COMPAT_TLS13_CHACHA20 MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256
#else
#define LM_COMPAT_TLS13_AES128   0
#define LM_COMPAT_TLS13_AES256   0
#define LM_COMPAT_TLS13_CHACHA20 0
#endif

/* A TLS 1.3 client learns of a ticket through this read "error"; 2.28 never
 * returns it, so a value no function returns stands in. */
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
#define LM_COMPAT_ERR_NEW_TICKET MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
#else
#define LM_COMPAT_ERR_NEW_TICKET (-0x7FFF)
#endif

/* Protocol range, given as 12 or 13. 2.28 counts TLS 1.2 as "3.3". */
static inline void lm_compat_conf_versions(mbedtls_ssl_config *conf, int min, int max)
{
#if LM_MBEDTLS_3
    mbedtls_ssl_conf_min_tls_version(conf, min == 13 ? MBEDTLS_SSL_VERSION_TLS1_3
                                                     : MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_max_tls_version(conf, max == 13 ? MBEDTLS_SSL_VERSION_TLS1_3
                                                     : MBEDTLS_SSL_VERSION_TLS1_2);
#else
    (void)min;
    (void)max;
    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
}

/* 1 when the negotiated protocol is TLS 1.3. */
static inline int lm_compat_is_tls13(const mbedtls_ssl_context *ssl)
{
#if LM_COMPAT_HAVE_TLS13
    return mbedtls_ssl_get_version_number(ssl) == MBEDTLS_SSL_VERSION_TLS1_3;
#else
    (void)ssl;
    return 0;
#endif
}

/* x25519, then the two NIST curves. 3.x names groups by IANA number and
 * replaced mbedtls_ssl_conf_curves with mbedtls_ssl_conf_groups. */
static inline void lm_compat_conf_groups(mbedtls_ssl_config *conf)
{
#if LM_MBEDTLS_3
    static const uint16_t groups[] = {
        MBEDTLS_SSL_IANA_TLS_GROUP_X25519, MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
        MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1, MBEDTLS_SSL_IANA_TLS_GROUP_NONE};
    mbedtls_ssl_conf_groups(conf, groups);
#else
    static const mbedtls_ecp_group_id curves[] = {MBEDTLS_ECP_DP_CURVE25519,
                                                  MBEDTLS_ECP_DP_SECP256R1,
                                                  MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE};
    mbedtls_ssl_conf_curves(conf, curves);
#endif
}

/* TLS 1.3 details of a configuration: a client must ask to be told about
 * tickets (3.6.1 and later drop them silently otherwise); a server offers
 * only (EC)DHE key exchanges, with or without a resumption PSK, so that
 * resumed sessions keep forward secrecy. Nothing to do for 2.28. */
static inline void lm_compat_conf_tls13(mbedtls_ssl_config *conf, int is_server)
{
#if LM_COMPAT_HAVE_TLS13
    mbedtls_ssl_conf_tls13_key_exchange_modes(
        conf, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL |
                  MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL);
#if defined(MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED) &&                              \
    defined(MBEDTLS_SSL_SESSION_TICKETS) && defined(MBEDTLS_SSL_CLI_C)
    if (!is_server)
        mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
            conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#endif
    (void)is_server;
#else
    (void)conf;
    (void)is_server;
#endif
}

/* The server's session-id cache lookup changed signature in 3.0 (the id is
 * passed separately). tls_config.c wraps it to notice resumption; these macros give
 * the wrapper the right parameter list and forward the call. */
#if LM_MBEDTLS_3
#define LM_COMPAT_CACHE_GET_PARAMS                                                                 \
    void *cache, unsigned char const *id, size_t id_len, mbedtls_ssl_session *session
#define LM_COMPAT_CACHE_GET_CALL() mbedtls_ssl_cache_get(cache, id, id_len, session)
#else
#define LM_COMPAT_CACHE_GET_PARAMS void *cache, mbedtls_ssl_session *session
#define LM_COMPAT_CACHE_GET_CALL() mbedtls_ssl_cache_get(cache, session)
#endif

/* Key logging. 2.28 exports only the TLS 1.2 master secret, through a
 * per-configuration callback; 3.x exports typed secrets (TLS 1.3 ones too)
 * through a per-connection callback. Both end in lm_tls_keylog_write() (tls_config.c). */
void lm_tls_keylog_write(void *p, const char *label, const unsigned char *client_random,
                         const unsigned char *secret, size_t len);
#if LM_MBEDTLS_3
static inline void lm_compat_keylog_cb(void *p, mbedtls_ssl_key_export_type type,
                                       const unsigned char *secret, size_t secret_len,
                                       const unsigned char client_random[32],
                                       const unsigned char server_random[32],
                                       mbedtls_tls_prf_types prf)
{
    const char *label = NULL;
    (void)server_random;
    (void)prf;
    switch (type) {
    case MBEDTLS_SSL_KEY_EXPORT_TLS12_MASTER_SECRET:
        label = "CLIENT_RANDOM";
        break;
#if LM_COMPAT_HAVE_TLS13
    case MBEDTLS_SSL_KEY_EXPORT_TLS1_3_CLIENT_EARLY_SECRET:
        label = "CLIENT_EARLY_TRAFFIC_SECRET";
        break;
    case MBEDTLS_SSL_KEY_EXPORT_TLS1_3_CLIENT_HANDSHAKE_TRAFFIC_SECRET:
        label = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
        break;
    case MBEDTLS_SSL_KEY_EXPORT_TLS1_3_SERVER_HANDSHAKE_TRAFFIC_SECRET:
        label = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
        break;
    case MBEDTLS_SSL_KEY_EXPORT_TLS1_3_CLIENT_APPLICATION_TRAFFIC_SECRET:
        label = "CLIENT_TRAFFIC_SECRET_0";
        break;
    case MBEDTLS_SSL_KEY_EXPORT_TLS1_3_SERVER_APPLICATION_TRAFFIC_SECRET:
        label = "SERVER_TRAFFIC_SECRET_0";
        break;
#endif
    default:
        break;
    }
    if (label)
        lm_tls_keylog_write(p, label, client_random, secret, secret_len);
}
#define LM_COMPAT_KEYLOG_CONF(conf, p) ((void)(conf), (void)(p))
#define LM_COMPAT_KEYLOG_SSL(ssl, p)   mbedtls_ssl_set_export_keys_cb((ssl), lm_compat_keylog_cb, (p))
#elif defined(MBEDTLS_SSL_EXPORT_KEYS)
static inline int lm_compat_keylog_cb(void *p, const unsigned char *ms, const unsigned char *kb,
                                      size_t maclen, size_t keylen, size_t ivlen,
                                      const unsigned char client_random[32],
                                      const unsigned char server_random[32],
                                      mbedtls_tls_prf_types prf)
{
    (void)kb;
    (void)maclen;
    (void)keylen;
    (void)ivlen;
    (void)server_random;
    (void)prf;
    lm_tls_keylog_write(p, "CLIENT_RANDOM", client_random, ms, 48);
    return 0;
}
#define LM_COMPAT_KEYLOG_CONF(conf, p)                                                             \
    mbedtls_ssl_conf_export_keys_ext_cb((conf), lm_compat_keylog_cb, (p))
#define LM_COMPAT_KEYLOG_SSL(ssl, p) ((void)(ssl), (void)(p))
#else /* a 2.28 built without MBEDTLS_SSL_EXPORT_KEYS: no key log */
#define LM_COMPAT_KEYLOG_CONF(conf, p) ((void)(conf), (void)(p))
#define LM_COMPAT_KEYLOG_SSL(ssl, p)   ((void)(ssl), (void)(p))
#endif

/* The TLS exporter (RFC 5705, RFC 8446 7.5), for pairing's channel
 * binding: 3.x has it (TLS 1.2 and 1.3), 2.28 does not. */
#if LM_MBEDTLS_3 && defined(MBEDTLS_SSL_KEYING_MATERIAL_EXPORT)
#define LM_COMPAT_HAVE_EXPORTER 1
#else
#define LM_COMPAT_HAVE_EXPORTER 0
#endif

/* 2.28 matches a host name against dNSName SANs and the CN only, never
 * against iPAddress SANs (its SAN list does not even keep them), so lanmsg
 * checks IP literals itself (tls_verify.c). 3.6 matches IP literals given to
 * mbedtls_ssl_set_hostname against iPAddress SANs, and 3.6.3 and later
 * refuse to verify at all without a host name, so there the library does it. */
#define LM_COMPAT_LIB_MATCHES_IP_SAN LM_MBEDTLS_3

/* The description of the fatal alert a read or handshake just reported
 * (MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE): neither version has an accessor,
 * and the record is still in the input buffer. -1 when there is none. */
static inline int lm_compat_last_alert(const mbedtls_ssl_context *ssl)
{
#if LM_MBEDTLS_3
    const unsigned char *m = ssl->MBEDTLS_PRIVATE(in_msg);
    if (!m || ssl->MBEDTLS_PRIVATE(in_msgtype) != MBEDTLS_SSL_MSG_ALERT)
        return -1;
#else
    const unsigned char *m = ssl->in_msg;
    if (!m || ssl->in_msgtype != MBEDTLS_SSL_MSG_ALERT)
        return -1;
#endif
    return m[1];
}
/* DTLS 1.2 (--udp --tls) is part of the design too: the protocol, its
 * cookie exchange (so that a spoofed address cannot make the server send a
 * whole flight), and replay protection. Both 2.28 and 3.6 have them. */
#if !defined(MBEDTLS_SSL_PROTO_DTLS) || !defined(MBEDTLS_SSL_DTLS_HELLO_VERIFY) ||                 \
    !defined(MBEDTLS_SSL_COOKIE_C) || !defined(MBEDTLS_SSL_DTLS_ANTI_REPLAY)
#error                                                                                             \
    "lanmsg needs mbedTLS built with SSL_PROTO_DTLS, SSL_DTLS_HELLO_VERIFY, SSL_COOKIE_C and SSL_DTLS_ANTI_REPLAY"
#endif

/* DTLS connection IDs (RFC 9146): 3.6 has them (on by default), and
 * always the record check (mbedtls_ssl_check_record) a server needs
 * before it believes a peer moved; 2.28 had only a draft, off in Debian's
 * build. Without them a peer whose address changes starts a new session. */
#if LM_MBEDTLS_3 && defined(MBEDTLS_SSL_DTLS_CONNECTION_ID)
#define LM_COMPAT_HAVE_CID 1
#else
#define LM_COMPAT_HAVE_CID 0
#endif

#endif /* LM_TLS_BACKEND */

/* ==== section: certificate generation ==== */
/* Used by lanmsg-certgen (src/app/certgen/) and the library's own
 * certificate writing (transport/x509_write.c, tls_identity.c). Both get the
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

/* A CSR's signature, to check that its sender holds the key (neither
 * version has a function for it): private fields in 3.x, public in 2.28. */
#include <mbedtls/x509_csr.h>
#if LM_MBEDTLS_3
#define LM_CG_CSR_SIG(c)    (&(c)->MBEDTLS_PRIVATE(sig))
#define LM_CG_CSR_SIG_MD(c) ((c)->MBEDTLS_PRIVATE(sig_md))
#else
#define LM_CG_CSR_SIG(c)    (&(c)->sig)
#define LM_CG_CSR_SIG_MD(c) ((c)->sig_md)
#endif
#endif /* LM_CERTGEN */

/* ==== section: pairing ==== */
/* Seen by src/transport/tls_pake.c (LM_PAKE). Pairing needs EC-JPAKE and,
 * to bind its result to the TLS connection, the keying-material exporter:
 * mbedTLS 3.x has both (3.6 exports in TLS 1.2 and 1.3); 2.28 has neither
 * in Debian's build, so there pairing reports that it needs 3.6. */
#if defined(LM_PAKE)
#if LM_MBEDTLS_3 && defined(MBEDTLS_ECJPAKE_C) && defined(MBEDTLS_SSL_KEYING_MATERIAL_EXPORT)
#include <mbedtls/ecjpake.h>
#include <psa/crypto.h>
#define LM_COMPAT_HAVE_PAIRING 1
#else
#define LM_COMPAT_HAVE_PAIRING 0
#endif
#endif /* LM_PAKE */

#endif
