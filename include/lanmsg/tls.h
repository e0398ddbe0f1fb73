/* lanmsg TLS backend (mbedTLS), seen without any mbedTLS type.
 *
 * A configuration is loaded once, at start-up, so that a bad path or a key
 * that does not match its certificate is one clear line before anything
 * listens or connects. Each connection is then a transport made from it.
 *
 * Security defaults: TLS 1.2 minimum (1.3 where the library has it), ECDHE
 * key exchange with AEAD suites only; clients verify the chain against the CA
 * file and the host name or IP against the certificate's SANs. */
#ifndef LANMSG_TLS_H
#define LANMSG_TLS_H

#include <stddef.h>

#include "lanmsg/transport.h"

typedef struct lm_tls_config lm_tls_config;

struct lm_trust; /* src/trust/trust.h */

typedef struct lm_tls_options {
    int is_server;
    const char *cert_file; /* server: required; client: for mutual TLS */
    const char *key_file;
    const char *ca_file;          /* client: trust anchor; server: client-cert CA */
    int require_client_cert;      /* server: refuse clients without a valid cert */
    int insecure;                 /* client: skip verification (warns loudly) */
    int allow_insecure_key_perms; /* accept a key readable by others */
    int tls_version;              /* 0 = best available, 12 or 13 to pin one */
    const char *cipher;           /* NULL = default list; e.g. "chacha20" or "aes128" */
    const char *key_pass;         /* passphrase of an encrypted key, or NULL (copied) */
    /* Trust and pairing (src/transport/tls_trust.h): when trust is set, the
     * verify callback asks it and a client needs no CA file. Not owned. */
    struct lm_trust *trust;
    const char *ca_file2;    /* server: a second CA for client certificates (the
                                pairing issuer, issuer.crt), beside ca_file */
    int port;                /* client: the server's port, for known_servers */
    const char *const *alpn; /* NULL-terminated protocols offered/accepted; not copied */
    int datagram;            /* also DTLS 1.2 (lanmsg/dtls.h), from the same files and policy */
} lm_tls_options;

/* 1 when this build has TLS. */
int lm_tls_available(void);
/* 1 when the key file is a PEM key encrypted with a passphrase, so the
 * program can ask for one before loading it; 0 otherwise (also when it
 * cannot be read: loading it then says why). */
int lm_tls_key_is_encrypted(const char *key_file);
/* "mbed TLS 2.28.3", or a note that the build has no TLS. */
const char *lm_tls_library(void);
/* 1 when the library can do TLS 1.3. */
int lm_tls_has_tls13(void);
/* 1 when the library locks what connections share (MBEDTLS_THREADING_C):
 * the RNG, the session cache and the ticket keys. Without it, one TLS
 * configuration must not be used from several threads. */
int lm_tls_thread_safe(void);

/* Load certificates and keys. On failure returns NULL, writes one line
 * (thing, cause, fix) to err and sets *code to LM_ERR_CONFIG or LM_ERR. */
lm_tls_config *lm_tls_config_new(const lm_tls_options *o, char *err, size_t errlen, int *code);
void lm_tls_config_free(lm_tls_config *cfg);
/* Re-read certificate and key files (SIGHUP). Connections already open keep
 * their session; new ones use the new files. LM_OK or LM_ERR_CONFIG. */
int lm_tls_config_reload(lm_tls_config *cfg, char *err, size_t errlen);

/* Wrap a connected socket, which the transport borrows (see transport.h:
 * the caller closes it, also when this fails). For a client, `host` is the
 * name or IP to verify the certificate against (and to send as SNI). A
 * client config remembers the last session and offers it on the next
 * connection, for resumption. Returns NULL with one line in err when the
 * library refuses to set the connection up (e.g. a host name it cannot
 * take). */
lm_transport *lm_tls_new(lm_tls_config *cfg, lm_sock s, const char *peer, const char *host,
                         char *err, size_t errlen);

/* A server connection whose first flight was already read from the socket:
 * the TLS library reads `prefix` (copied) before the socket. The ClientHello
 * front end (src/transport/hello.h) hands over the whole hello as one
 * record this way, whatever records it came in. */
lm_transport *lm_tls_new_server_prefixed(lm_tls_config *cfg, lm_sock s, const char *peer,
                                         const void *prefix, size_t len, char *err, size_t errlen);
/* The largest record body the library takes in (MBEDTLS_SSL_IN_CONTENT_LEN):
 * the front end's limit for a whole ClientHello. */
size_t lm_tls_hello_limit(void);

/* Counters, for -v output, tests and benchmarks. */
typedef struct lm_tls_stats {
    unsigned long handshakes;
    unsigned long resumed;
} lm_tls_stats;
void lm_tls_get_stats(lm_tls_config *cfg, lm_tls_stats *out);

#endif
