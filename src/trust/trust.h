/* lanmsg trust: one question, one place. Is this peer's key acceptable,
 * and under which name?
 *
 * The TLS backend asks from its certificate-verify callback, once per
 * handshake, with what it saw (lm_trust_peer: the leaf's key fingerprint,
 * its CN, the fingerprint of the key that signed it, and the library's
 * chain verdict as LM_CHAIN_* flags, no mbedTLS types). The answer is an
 * lm_trust_result: verified (with the name to use), unverified (a server
 * that does not require client certificates), first use (a client meeting
 * a server it has never seen), or refused with one line saying why.
 *
 * Every source of trust answers here, in this order:
 *   client  1. --pin FINGERPRINT: exactly that key, whatever signs it;
 *           2. a CA (--ca, or the default certs/ca.crt) whose chain and
 *              host name check out: as before pins existed;
 *           3. an explicit --ca whose check failed: refused, the chain's
 *              own reason (the TLS backend words it);
 *           4. known_servers: the recorded key, or refused loudly when it
 *              changed (both fingerprints, and how to forget the old one);
 *           5. never seen: first use. With --trust-on-first-use the
 *              program records it; on a terminal it asks first, and
 *              records it when the person says yes; otherwise refused,
 *              with the fingerprint in the message.
 *   server  1. no certificate: refused under --require-client-cert, else
 *              unverified (as before);
 *           2. a key the enrolled list marks revoked: refused;
 *           3. signed by this server's own issuing key: the key must be
 *              enrolled and active, and the CN must be its enrolled name;
 *           4. a chain to --ca: verified, named by its CN (as before);
 *           5. anything else: refused under --require-client-cert, else
 *              unverified.
 *
 * lm_trust_decide is a pure function of policy and peer (the table-driven
 * tests call it directly). lm_trust wraps a policy with its files and a
 * lock for the TLS backend: it re-reads the enrolled list when another
 * process (lanmsg-server --revoke) has changed it, and records first-use
 * keys in known_servers. */
#ifndef LANMSG_TRUST_TRUST_H
#define LANMSG_TRUST_TRUST_H

#include <stddef.h>

#include "trust/enrolled.h"
#include "trust/fingerprint.h"
#include "trust/known_servers.h"

/* The library's chain verdict, mapped from its flags by the TLS backend. */
enum {
    LM_CHAIN_OK = 0,
    LM_CHAIN_UNTRUSTED = 1 << 0, /* not signed by a configured CA (or no CA) */
    LM_CHAIN_NAME = 1 << 1,      /* host name or IP not in the certificate */
    LM_CHAIN_EXPIRED = 1 << 2,   /* expired or not yet valid */
    LM_CHAIN_OTHER = 1 << 3      /* usage, weak key or signature, anything else */
};

typedef struct lm_trust_peer {
    const char *who;      /* for messages: "server 192.168.1.10:5000", "client 10.0.0.7:51000" */
    const char *hostport; /* client side: the server's canonical key (lm_known_key) */
    int has_cert;         /* the peer showed a certificate */
    unsigned char fp[LM_FP_LEN];        /* SPKI SHA-256 of its leaf */
    int has_issuer;                     /* the chain had a certificate above the leaf */
    unsigned char issuer_fp[LM_FP_LEN]; /* SPKI SHA-256 of the key that signed the leaf */
    unsigned chain;                     /* LM_CHAIN_* */
    const char *cn;                     /* the leaf's CN, "" if none */
} lm_trust_peer;

typedef struct lm_trust_policy {
    int is_server;
    /* client */
    int has_pin;
    unsigned char pin[LM_FP_LEN];
    int has_ca;            /* a CA file is configured (explicit or default) */
    int ca_explicit;       /* it was given with --ca: its failures are final */
    const lm_known *known; /* may be NULL: no known_servers file */
    int tofu;              /* --trust-on-first-use */
    int interactive;       /* a person at a terminal can be asked */
    /* server */
    int require_client_cert;
    const lm_enrolled *enrolled; /* may be NULL: nothing enrolled */
    int has_issuer;
    unsigned char issuer_fp[LM_FP_LEN]; /* this server's own issuing key */
} lm_trust_policy;

typedef enum lm_trust_verdict {
    LM_TRUST_REFUSE = 0,
    LM_TRUST_VERIFIED,   /* name says who */
    LM_TRUST_UNVERIFIED, /* server only: no usable client certificate */
    LM_TRUST_FIRST_USE   /* client only: unknown server; see `ask` */
} lm_trust_verdict;

typedef enum lm_trust_reason {
    LM_TRUST_R_NONE = 0,
    LM_TRUST_R_PIN,       /* verified by --pin */
    LM_TRUST_R_CA,        /* verified by a CA chain */
    LM_TRUST_R_KNOWN,     /* verified by known_servers */
    LM_TRUST_R_ENROLLED,  /* verified as an enrolled client */
    LM_TRUST_R_NEW,       /* first use */
    LM_TRUST_R_PIN_WRONG, /* refused: not the pinned key */
    LM_TRUST_R_CHAIN,     /* refused: the CA check failed (msg empty: the backend words it) */
    LM_TRUST_R_CHANGED,   /* refused: not the key known_servers has */
    LM_TRUST_R_UNKNOWN,   /* refused: never seen, no terminal, no --trust-on-first-use */
    LM_TRUST_R_MISSING,   /* refused: no client certificate (msg empty) */
    LM_TRUST_R_REVOKED,   /* refused: a revoked client key */
    LM_TRUST_R_NOT_ENROLLED,
    LM_TRUST_R_WRONG_NAME, /* refused: CN is not the enrolled name */
    LM_TRUST_R_ANONYMOUS   /* unverified client */
} lm_trust_reason;

typedef struct lm_trust_result {
    lm_trust_verdict verdict;
    lm_trust_reason reason;
    char name[LM_KNOWN_KEY_MAX]; /* verified: the client's name, or the server's host:port */
    int ask;     /* first use: ask the person before sending anything (else record) */
    int has_old; /* changed key: the one on record */
    unsigned char old_fp[LM_FP_LEN];
    char old_date[LM_TF_DATE_LEN];
    char msg[640]; /* refused, first use: one line; "" when the backend words it */
} lm_trust_result;

void lm_trust_decide(const lm_trust_policy *pol, const lm_trust_peer *peer, lm_trust_result *out);

/* ---- the live object the TLS backend asks ---- */

typedef struct lm_trust lm_trust;

typedef struct lm_trust_options {
    int is_server;
    /* client */
    const char *pin;        /* --pin text, or NULL */
    const char *known_path; /* known_servers, or NULL for none */
    int has_ca, ca_explicit;
    int tofu, interactive;
    /* server */
    int require_client_cert;
    const char *enrolled_path;      /* the clients file, or NULL */
    const unsigned char *issuer_fp; /* NULL when the server has no issuing key */
} lm_trust_options;

/* Load the files (a bad pin, an unreadable or malformed file: NULL with
 * err, which the program reports as a configuration error). */
lm_trust *lm_trust_new(const lm_trust_options *o, char *err, size_t errlen);
void lm_trust_free(lm_trust *t);

/* The decision, for the TLS verify callback; safe from any thread. */
void lm_trust_check(lm_trust *t, const lm_trust_peer *peer, lm_trust_result *out);

/* Client: after a first-use handshake the person (or --trust-on-first-use)
 * accepted, write the key to known_servers and keep it for the next
 * connection (--repeat). 0, or -1 with err. */
int lm_trust_remember(lm_trust *t, const char *hostport, const unsigned char fp[LM_FP_LEN],
                      char *err, size_t errlen);

#endif
