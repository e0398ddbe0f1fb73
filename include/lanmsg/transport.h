/* lanmsg transport: a connected byte stream, whatever carries it.
 *
 * A transport is a small table of operations plus the state every backend
 * shares. The plain backend moves bytes over a socket; the TLS backend
 * (mbedTLS) encrypts them. Nothing above this header knows which one it has:
 * the connection layer, framing and services only see lm_transport.
 *
 * Conventions (see lanmsg/error.h):
 *  - handshake/shutdown: LM_OK, LM_WANT_READ, LM_WANT_WRITE or an error;
 *  - read: >0 bytes, 0 when the peer closed cleanly, or a negative code;
 *  - write: >0 bytes taken, or a negative code. After LM_WANT_WRITE the caller
 *    must call again with the same bytes at the start of its buffer (TLS has
 *    already encrypted them);
 *  - any error leaves one line in t->err.
 *
 * Ownership, one rule for every backend: a transport BORROWS its socket.
 * No constructor closes the socket it is given, whether it succeeds or
 * fails, and destroy does not close it either: whoever made the socket
 * closes it, after destroying the transport. (A constructor that closed on
 * failure would let its caller close the same descriptor again; with
 * several event-loop threads that second close can hit a descriptor that
 * another thread has just been given.) */
#ifndef LANMSG_TRANSPORT_H
#define LANMSG_TRANSPORT_H

#include <stddef.h>

#include "lanmsg/error.h"
#include "lanmsg/net.h"

typedef struct lm_transport lm_transport;

typedef struct lm_transport_ops {
    const char *kind; /* "plain" or "tls" */
    int (*handshake)(lm_transport *t);
    long (*read)(lm_transport *t, void *buf, size_t len);
    long (*write)(lm_transport *t, const void *buf, size_t len);
    /* Bytes already received and decrypted, readable without the socket. */
    size_t (*pending)(lm_transport *t);
    /* Orderly close: TLS close_notify. Does not close the socket. */
    int (*shutdown)(lm_transport *t);
    /* Free the transport; the socket stays open (see ownership above). */
    void (*destroy)(lm_transport *t);
    /* Datagram kinds only (NULL for byte streams). Many peers share one
     * socket there, so the engine reads each datagram and hands it to its
     * peer's transport: queued here, it is what the next read returns, whole
     * (one read, one datagram; one write, one datagram). LM_OK, or LM_ERR
     * when the peer's inbox is full: the datagram is dropped, as a network
     * may drop it. */
    int (*deliver)(lm_transport *t, const void *data, size_t len);
} lm_transport_ops;

struct lm_transport {
    const lm_transport_ops *ops;
    lm_sock sock;
    int secure;             /* 1 for TLS */
    int resumed;            /* TLS: this handshake resumed a session */
    int verified;           /* TLS: the peer's certificate was verified */
    char peer[LM_ADDR_MAX]; /* "127.0.0.1:54321", "[::1]:54321" */
    char desc[96];          /* "plain TCP", "TLS 1.2 ECDHE-ECDSA-..." */
    char peer_cn[65];       /* verified client certificate CN, or "" */
    char err[256];          /* last error, one line */
};

static inline int lm_tp_handshake(lm_transport *t)
{
    return t->ops->handshake(t);
}
static inline long lm_tp_read(lm_transport *t, void *b, size_t n)
{
    return t->ops->read(t, b, n);
}
static inline long lm_tp_write(lm_transport *t, const void *b, size_t n)
{
    return t->ops->write(t, b, n);
}
static inline size_t lm_tp_pending(lm_transport *t)
{
    return t->ops->pending(t);
}
static inline int lm_tp_shutdown(lm_transport *t)
{
    return t->ops->shutdown(t);
}
static inline void lm_tp_destroy(lm_transport *t)
{
    if (t)
        t->ops->destroy(t);
}
/* For a caller whose socket exists only for this transport: destroy the
 * transport, then close the socket it borrowed. */
static inline void lm_tp_destroy_with_socket(lm_transport *t)
{
    if (t) {
        lm_sock s = t->sock;
        t->ops->destroy(t);
        lm_net_close(s);
    }
}

/* Plain TCP over an already connected socket (borrowed). Never fails. */
lm_transport *lm_plain_new(lm_sock s, const char *peer);
/* The same, when the first bytes were already read from the socket (by the
 * TLS server's first look at a connection): reads return those first. */
#define LM_PLAIN_PREFIX_MAX 4
lm_transport *lm_plain_new_prefixed(lm_sock s, const char *peer, const void *prefix, size_t len);

/* 1 for a datagram kind (UDP, DTLS): message boundaries are the wire's. */
static inline int lm_tp_is_datagram(const lm_transport *t)
{
    return t->ops->deliver != NULL;
}
static inline int lm_tp_deliver(lm_transport *t, const void *data, size_t len)
{
    return t->ops->deliver(t, data, len);
}

/* Plain UDP, one peer of a shared datagram socket (borrowed): reads return
 * the datagrams delivered for it, writes send one datagram each to `to`.
 * Never fails. */
lm_transport *lm_udp_new(lm_sock shared, const lm_addr *to, const char *peer);

/* Shared by backends: fill t->err printf-style. */
void lm_tp_set_error(lm_transport *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
