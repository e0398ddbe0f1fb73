/* lanmsg plain backend: TCP bytes as they are.
 *
 * A thin adapter from the transport table to the platform layer. It has no
 * handshake and no buffering of its own: the connection layer above owns the
 * buffers, so plain and TLS connections are driven the same way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/text.h"
#include "lanmsg/transport.h"

static int plain_handshake(lm_transport *t)
{
    (void)t;
    return LM_OK;
}

/* The few bytes the ClientHello front end read before deciding the peer
 * speaks plain text: handed out before the socket's. */
typedef struct plain_conn {
    lm_transport t; /* first, so an lm_transport * is a plain_conn * */
    unsigned char prefix[LM_PLAIN_PREFIX_MAX];
    size_t prefix_len, prefix_off;
} plain_conn;

static long plain_read(lm_transport *t, void *buf, size_t len)
{
    plain_conn *c = (plain_conn *)t;
    if (c->prefix_off < c->prefix_len && len) {
        size_t n = c->prefix_len - c->prefix_off;
        if (n > len)
            n = len;
        memcpy(buf, c->prefix + c->prefix_off, n);
        c->prefix_off += n;
        return (long)n;
    }
    return lm_net_recv(t->sock, buf, len, t->err, sizeof t->err);
}

static long plain_write(lm_transport *t, const void *buf, size_t len)
{
    return lm_net_send(t->sock, buf, len, t->err, sizeof t->err);
}

static size_t plain_pending(lm_transport *t)
{
    plain_conn *c = (plain_conn *)t;
    return c->prefix_len - c->prefix_off;
}

/* A plain stream has no close message of its own; half-closing tells the
 * peer we are done while still letting it finish reading. */
static int plain_shutdown(lm_transport *t)
{
    lm_net_shutdown_write(t->sock);
    return LM_OK;
}

static void plain_destroy(lm_transport *t)
{
    free(t);
}

static const lm_transport_ops plain_ops = {
    .kind = "plain",
    .handshake = plain_handshake,
    .read = plain_read,
    .write = plain_write,
    .pending = plain_pending,
    .shutdown = plain_shutdown,
    .destroy = plain_destroy,
};

lm_transport *lm_plain_new_prefixed(lm_sock s, const char *peer, const void *prefix, size_t len)
{
    plain_conn *c = lm_xcalloc(1, sizeof *c);
    lm_transport *t = &c->t;
    if (len > sizeof c->prefix)
        len = sizeof c->prefix; /* callers pass at most LM_PLAIN_PREFIX_MAX */
    if (len)
        memcpy(c->prefix, prefix, len);
    c->prefix_len = len;
    t->ops = &plain_ops;
    t->sock = s;
    snprintf(t->peer, sizeof t->peer, "%s", peer ? peer : "?");
    snprintf(t->desc, sizeof t->desc, "%s", lm_tr(LM_M_WORD_PLAIN));
    return t;
}

lm_transport *lm_plain_new(lm_sock s, const char *peer)
{
    return lm_plain_new_prefixed(s, peer, NULL, 0);
}
