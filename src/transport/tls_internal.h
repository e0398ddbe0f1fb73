/* Internal to the TLS backend (src/transport/tls_*.c): the state its files
 * share, in mbedTLS types. Nothing outside src/transport includes this.
 *
 * Shape: an lm_tls_config holds what never changes while the program runs
 * (RNG, CA chain, ticket keys, session cache, counters) plus a pointer to an
 * immutable, reference-counted "inner" configuration (the mbedtls_ssl_config
 * with our own certificate and key). Each connection holds a reference to the
 * inner config it started with, so a SIGHUP reload can swap in new files
 * without touching a configuration that live handshakes are reading.
 *
 *   tls_config.c   configuration, reload, tickets and the key log
 *   tls_conn.c     one connection: I/O callbacks, handshake, records, errors
 *   tls_verify.c   certificate names, verification and peer identities
 *   dtls_conn.c    datagram mode (DTLS): datagram I/O, timers, the server's
 *                  cookie gate, connection IDs */
#ifndef LANMSG_TLS_INTERNAL_H
#define LANMSG_TLS_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include "lanmsg/tls.h"
#include "platform/os.h"
#include "transport/mbedtls_compat.h"
#include "trust/trust.h"
#include "util/mem.h"
#include "util/text.h"

/* Ticket lifetime; mbedtls_ssl_ticket rotates its AES-256-GCM keys on this
 * period and accepts tickets from the previous key for as long again. */
#define TLS_TICKET_LIFETIME_S 3600

/* How many issued tickets the server remembers the client identity of (see
 * tls_config.c, "ticket identities"); the oldest is forgotten first. */
#define TLS_TICKET_IDS 256

/* The verified client identity a ticket was issued to, keyed by the
 * SHA-256 of the ticket as sent. */
typedef struct tls_ticket_id {
    unsigned char digest[32];
    int used;
    char cn[65];
    unsigned char fp[32]; /* the client key's fingerprint, for revocation */
    int has_fp;
} tls_ticket_id;

typedef struct tls_inner {
    atomic_int refs;
    mbedtls_ssl_config conf;
    mbedtls_ssl_config dconf; /* DTLS 1.2: the same policy over datagrams */
    int has_dconf;            /* built when the options asked for datagrams */
    mbedtls_x509_crt cert;
    mbedtls_pk_context key;
} tls_inner;

struct lm_tls_config {
    int is_server;
    int datagram;                  /* a DTLS configuration is built too */
    mbedtls_ssl_cookie_ctx cookie; /* server, datagram: HelloVerifyRequest cookies */
    int authmode;
    int allow_insecure_key_perms;
    int min_version, max_version;
    char *cert_file, *key_file;
    char *key_pass; /* zeroed when freed */
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;
    int has_ca;
    mbedtls_ssl_ticket_context ticket;
    mbedtls_ssl_cache_context cache;
    int suites[16];
    lm_mutex *lock; /* guards current, the saved session, the key log, ticket ids */
    tls_inner *current;
    FILE *keylog;
    atomic_ulong handshakes, resumed;
    /* Client: the last session, offered again to the same host. */
    mbedtls_ssl_session last;
    int has_last;
    char last_host[256];
    /* Server: identities of the clients recent tickets were issued to. */
    tls_ticket_id ids[TLS_TICKET_IDS];
    unsigned next_id;
    /* Trust (tls_trust.c): asked from the verify callback when set. */
    lm_trust *trust;
    int port;
    const char *const *alpn;
    lm_trust_result last_trust; /* client: the answer for the saved session */
    int has_last_trust;
};

typedef struct tls_conn {
    lm_transport t; /* first, so an lm_transport * is a tls_conn * */
    mbedtls_ssl_context ssl;
    lm_tls_config *cfg;
    tls_inner *inner;
    char host[256];
    int no_host;          /* a verifying client was given no name to check */
    int ip_check;         /* 2.28: we match the IP literal ourselves */
    unsigned char ip[16]; /* that IP, network order */
    size_t ip_len;
    char names[128]; /* the leaf certificate's names, for messages */
    int cert_seen;   /* the verify callback ran in this handshake */
    int offered;     /* the client offered a saved session */
    unsigned char offered_master[48];
    int srv_resumed;    /* server: ticket or cache lookup succeeded */
    char leaf_cn[65];   /* the CN of the peer's leaf certificate, as seen */
    char ticket_cn[65]; /* server: the verified CN a resumed ticket carried */
    int handshake_done;
    int app_data_seen; /* a read returned application data */
    /* Record framing as seen on the wire, to tell a clean EOF from a cut. */
    int first_byte; /* -1 until the peer sends anything */
    unsigned char hdr[5];
    size_t hdr_have, rec_left;
    size_t pending_write;  /* length of a write interrupted by WANT_* */
    unsigned char *prefix; /* server: bytes read before us, served before the socket */
    size_t prefix_len, prefix_off;
    char neterr[160];
    /* Trust (tls_trust.c): the keys the verify callback saw, and the answer. */
    char hostport[LM_KNOWN_KEY_MAX]; /* client: the server as known_servers names it */
    unsigned char peer_fp[32], issuer_fp[32];
    int has_peer_fp, has_issuer_fp;
    unsigned char ticket_fp[32]; /* server: the key a resumed ticket was issued to */
    int has_ticket_fp;
    lm_trust_result trust;
    int trust_done, trust_refused;
    uint32_t trust_flags; /* the chain's flags when trust refused */
    struct dtls_part *dg; /* datagram mode (dtls_conn.c), NULL over TCP */
} tls_conn;

/* The connection whose handshake this thread is driving, so the ticket and
 * cache hooks (which only see the shared config) can mark it resumed.
 * Defined in tls_conn.c. */
extern _Thread_local tls_conn *tls_current;

/* ---- tls_config.c ---- */
/* Fill a caller's buffer with a catalog message (translated). */
void tls_set_err(char *err, size_t errlen, lm_msg_id id, ...);
/* mbedtls_strerror, with a number when the library has no error strings. */
void tls_strerror(int ret, char *buf, size_t len);
tls_inner *tls_inner_get(lm_tls_config *cfg);
void tls_inner_put(tls_inner *in);

/* ---- tls_verify.c ---- */
/* The subject CN of a certificate, printable characters only, or "". */
void tls_cert_cn(const mbedtls_x509_crt *crt, char *out, size_t outlen);
/* The verify callback: notes the peer's leaf, and on 2.28 checks IP SANs. */
int tls_verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags);
/* One line in c->t.err for a failed certificate check; LM_ERR_VERIFY. */
int tls_verify_error(tls_conn *c, uint32_t flags);
/* The verified CN of the client a server connection talks to, or NULL. */
const char *tls_verified_client_cn(tls_conn *c);
/* Address bytes of an IP literal host ("[::1]" accepted); 0 if not one. */
size_t tls_parse_ip(const char *host, unsigned char out[16]);

/* ---- tls_trust.c ---- */
/* SHA-256 of a certificate's SubjectPublicKeyInfo; 0, or -1 (NULL crt). */
int tls_spki_fp(const mbedtls_x509_crt *crt, unsigned char out[32]);
/* Client: c->hostport from c->host and the configured port. */
void tls_trust_hostport(tls_conn *c);
/* From the verify callback at depth 0: 0, or a fatal error when refused. */
int tls_trust_verify(tls_conn *c, uint32_t *flags);
/* For map_error after a refusal: the line in c->t.err; LM_ERR_VERIFY. */
int tls_trust_error(tls_conn *c);
/* Server, resumed session: LM_OK, or LM_ERR_VERIFY (alert sent). */
int tls_trust_resumed(tls_conn *c, const mbedtls_x509_crt *peer);
/* Client, after the handshake: keep or inherit the answer. */
void tls_trust_client_after(tls_conn *c);

/* ---- tls_conn.c ---- */
/* Fill a connection's last error with a catalog message. */
void tls_conn_err(lm_transport *t, lm_msg_id id, ...);
/* A connection over the stream or (datagram = 1) the DTLS configuration,
 * with the stream I/O callbacks (dtls_conn.c replaces them). NULL with one
 * line in err. */
tls_conn *tls_conn_new(lm_tls_config *cfg, int datagram, lm_sock s, const char *peer,
                       const char *host, char *err, size_t errlen);
/* 1 for a DTLS transport (whose c->dg is set). */
int tls_is_dtls(const lm_transport *t);
/* Map an mbedTLS failure onto error.h, with one line in c->t.err. */
int tls_conn_error(tls_conn *c, int ret, int in_handshake);

/* ---- dtls_conn.c ---- */
/* The datagram transport's deliver operation, and its cleanup. */
int dtls_deliver(lm_transport *t, const void *data, size_t len);
void dtls_part_free(tls_conn *c);
/* Set up a DTLS configuration's datagram details (cookies, replay window,
 * retransmission bounds, connection IDs). 0, or an mbedTLS error. */
int dtls_conf(lm_tls_config *cfg, mbedtls_ssl_config *conf);

#endif
