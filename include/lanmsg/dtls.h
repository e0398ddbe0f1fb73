/* lanmsg DTLS: the TLS backend in datagram mode (DTLS 1.2), seen without
 * any mbedTLS type.
 *
 * The configuration is the TLS one (lanmsg/tls.h) made with
 * lm_tls_options.datagram set: the same certificates, verification, pins
 * and client identities, with a second, datagram, library configuration
 * beside the stream one.
 *
 * Server: every peer shares the server's one UDP socket, so the engine
 * reads it and sorts datagrams by peer (by address, or by connection ID).
 * A datagram from an address with no peer goes to the gate: it answers a
 * ClientHello without a valid cookie with a HelloVerifyRequest and keeps
 * nothing, and only a ClientHello that carries a valid cookie (the sender
 * can receive at that address) becomes a peer, whose handshake is under
 * way. Each peer's transport is a datagram kind (transport.h: deliver).
 *
 * Client: lm_dtls_new over a connected UDP socket.
 *
 * Retransmission: a DTLS handshake resends its last flight on a timer
 * (1 s, doubling up to 8 s). Nothing in the transport blocks, so whoever
 * drives it calls the handshake again when lm_dtls_timer_ms says 0. */
#ifndef LANMSG_DTLS_H
#define LANMSG_DTLS_H

#include <stddef.h>

#include "lanmsg/tls.h"
#include "lanmsg/transport.h"

/* Length of the connection IDs a lanmsg server asks its peers to put in
 * their records (RFC 9146), when the library has them. */
#define LM_DTLS_CID_LEN 8

/* 1 when this build's library negotiates connection IDs (mbedTLS 3.6). */
int lm_dtls_has_cid(void);

/* ---- the first record of a datagram, read without any state ---- */
typedef enum lm_dtls_rec_status {
    LM_DTLS_REC_OK = 0,
    LM_DTLS_REC_SHORT,     /* shorter than a record header */
    LM_DTLS_REC_NOT_DTLS,  /* not a DTLS content type or version */
    LM_DTLS_REC_TRUNCATED, /* the record is longer than the datagram */
} lm_dtls_rec_status;

typedef struct lm_dtls_rec {
    int type;                 /* 20..25 (25: tls12_cid) */
    unsigned epoch;           /* 0 before keys are in use */
    const unsigned char *cid; /* type 25: the connection ID, else NULL */
    size_t len;               /* the record's body length */
    int client_hello;         /* a handshake record in epoch 0 holding a ClientHello */
    /* A ClientHello whose first fragment reaches its cookie: the cookie
     * (cookie_len 0: none), else NULL. */
    const unsigned char *cookie;
    size_t cookie_len;
} lm_dtls_rec;

/* Read the first record's header. cid_len is the length of the IDs this
 * side hands out (records of type 25 carry one of that length). */
lm_dtls_rec_status lm_dtls_peek(const void *data, size_t len, size_t cid_len, lm_dtls_rec *out);
/* A short English reason for a status, for -v lines. */
const char *lm_dtls_rec_why(lm_dtls_rec_status st);

/* ---- server: the gate for datagrams from addresses with no peer ---- */
typedef struct lm_dtls_gate lm_dtls_gate;

typedef enum lm_dtls_verdict {
    LM_DTLS_DROPPED,     /* nothing to answer (why says what it was) */
    LM_DTLS_VERIFY_SENT, /* a HelloVerifyRequest went out; nothing is kept */
    LM_DTLS_NEW_PEER,    /* *out: a new peer, cookie verified, handshake under way */
    LM_DTLS_REFUSED,     /* the hello was refused at once, with an alert (why) */
} lm_dtls_verdict;

/* The gate of a server whose configuration was made with .datagram, over
 * the shared socket (borrowed). NULL with one line in err on failure. */
lm_dtls_gate *lm_dtls_gate_new(lm_tls_config *cfg, lm_sock shared, char *err, size_t errlen);
void lm_dtls_gate_free(lm_dtls_gate *g);
/* One datagram from `from`, which has no peer. On LM_DTLS_NEW_PEER, *out is
 * the peer's transport (the caller's to destroy), which has already sent
 * its first flight. */
lm_dtls_verdict lm_dtls_gate_offer(lm_dtls_gate *g, const lm_addr *from, const char *peer,
                                   const void *data, size_t len, lm_transport **out, char *why,
                                   size_t whylen);

/* 1 when the datagram is a ClientHello whose cookie is valid for `from`:
 * its sender receives at that address, and the library would start a
 * handshake with it. Checked without any state, so that a full server
 * can drop such a hello before the library does a handshake's work. */
int lm_dtls_gate_cookie_ok(lm_dtls_gate *g, const lm_addr *from, const void *data, size_t len);

/* The connection ID a server peer asked for (LM_DTLS_CID_LEN bytes into
 * out), or 0 when this build has none. */
size_t lm_dtls_own_cid(const lm_transport *t, unsigned char *out);
/* A datagram found by its connection ID came from `from`, which is not the
 * peer's address. 1 when its first record is authentic and not a replay:
 * the peer has moved, and its transport now sends to `from`. 0 otherwise
 * (the datagram may still be delivered: the library drops what is bad). */
int lm_dtls_moved(lm_transport *t, const lm_addr *from, const void *data, size_t len);

/* ---- both sides ---- */
/* Milliseconds until the handshake's retransmission timer expires (0: due
 * now, call the handshake again), or -1 when none is running. */
long lm_dtls_timer_ms(lm_transport *t);
/* The largest message one record carries now. */
size_t lm_dtls_max_message(lm_transport *t);

/* ---- client ---- */
/* DTLS over a connected UDP socket (borrowed, see transport.h), verifying
 * the server as lm_tls_new does. NULL with one line in err. */
lm_transport *lm_dtls_new(lm_tls_config *cfg, lm_sock s, const char *peer, const char *host,
                          char *err, size_t errlen);

#endif
