/* lanmsg's additions to mbedTLS 3.6's default configuration, used when
 * mbedTLS is built from source with lanmsg (-DLANMSG_MBEDTLS_SOURCE_DIR; see
 * cmake/FindMbedTLS.cmake). mbedTLS reads it as MBEDTLS_USER_CONFIG_FILE,
 * after include/mbedtls/mbedtls_config.h and before its own consistency
 * checks (check_config.h), so a feature switched on here whose
 * prerequisites are missing is reported by mbedTLS itself. Every file that
 * includes an mbedTLS header sees it too (the definition is PUBLIC on the
 * library targets): structure layouts depend on it.
 *
 * Each feature lanmsg relies on is defined here even where 3.6's default
 * already has it, so a source tree with a trimmed mbedtls_config.h gets it
 * back, or fails to build with the reason. */
#ifndef LANMSG_MBEDTLS_CONFIG_H
#define LANMSG_MBEDTLS_CONFIG_H

#if MBEDTLS_VERSION_NUMBER < 0x03060000
#error "lanmsg's source build of mbedTLS needs 3.6 LTS or later (LANMSG_MBEDTLS_SOURCE_DIR)"
#endif

/* The server shares its DRBG, session cache and ticket keys between the
 * event-loop threads (--threads N); mbedTLS locks them only with threading
 * on. pthreads everywhere but MSVC (mingw-w64 has winpthreads); an MSVC build
 * goes without, and the server then refuses TLS with --threads > 1
 * (LANMSG_MBEDTLS_THREADING=0, found by the find module). */
#if !defined(_MSC_VER)
#ifndef MBEDTLS_THREADING_C
#define MBEDTLS_THREADING_C
#endif
#ifndef MBEDTLS_THREADING_PTHREAD
#define MBEDTLS_THREADING_PTHREAD
#endif
#endif

/* Deprecated API becomes a compile warning, as in Debian's and Ubuntu's
 * packages: a -Werror build catches a call that 4.0 removes. */
#ifndef MBEDTLS_DEPRECATED_WARNING
#define MBEDTLS_DEPRECATED_WARNING
#endif

/* Protocols: TLS 1.3 preferred, 1.2 still accepted; DTLS with Connection
 * IDs (RFC 9146) for the datagram transport. */
#ifndef MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_2
#endif
#ifndef MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_PROTO_TLS1_3
#endif
#ifndef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#endif
#ifndef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#endif
#ifndef MBEDTLS_SSL_PROTO_DTLS
#define MBEDTLS_SSL_PROTO_DTLS
#endif
#ifndef MBEDTLS_SSL_DTLS_CONNECTION_ID
#define MBEDTLS_SSL_DTLS_CONNECTION_ID
#endif
#ifndef MBEDTLS_SSL_DTLS_HELLO_VERIFY
#define MBEDTLS_SSL_DTLS_HELLO_VERIFY
#endif
#ifndef MBEDTLS_SSL_COOKIE_C
#define MBEDTLS_SSL_COOKIE_C
#endif
#ifndef MBEDTLS_SSL_DTLS_ANTI_REPLAY
#define MBEDTLS_SSL_DTLS_ANTI_REPLAY
#endif

/* Resumption is part of the design: tickets (1.2 and 1.3) and the
 * server's session-id cache. */
#ifndef MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_SESSION_TICKETS
#endif
#ifndef MBEDTLS_SSL_TICKET_C
#define MBEDTLS_SSL_TICKET_C
#endif
#ifndef MBEDTLS_SSL_CACHE_C
#define MBEDTLS_SSL_CACHE_C
#endif

/* Identities: the peer's certificate stays readable after the handshake
 * (mutual-TLS names, pins, fingerprints). */
#ifndef MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#endif

/* Pairing: EC-JPAKE rounds over an established connection, bound to it by
 * an exported key (RFC 5705 / RFC 8446 exporter). */
#ifndef MBEDTLS_ECJPAKE_C
#define MBEDTLS_ECJPAKE_C
#endif
#ifndef MBEDTLS_SSL_KEYING_MATERIAL_EXPORT
#define MBEDTLS_SSL_KEYING_MATERIAL_EXPORT
#endif

/* Certificates and keys made by lanmsg-certgen; certificate requests
 * written by a client and read by the CA side when pairing. */
#ifndef MBEDTLS_X509_CRT_WRITE_C
#define MBEDTLS_X509_CRT_WRITE_C
#endif
#ifndef MBEDTLS_X509_CSR_WRITE_C
#define MBEDTLS_X509_CSR_WRITE_C
#endif
#ifndef MBEDTLS_X509_CSR_PARSE_C
#define MBEDTLS_X509_CSR_PARSE_C
#endif
#ifndef MBEDTLS_PK_WRITE_C
#define MBEDTLS_PK_WRITE_C
#endif
#ifndef MBEDTLS_PEM_WRITE_C
#define MBEDTLS_PEM_WRITE_C
#endif

#endif /* LANMSG_MBEDTLS_CONFIG_H */
