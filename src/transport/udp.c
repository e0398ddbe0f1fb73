/* lanmsg UDP backend: one peer of a shared datagram socket.
 *
 * The engine owns the socket and reads every datagram that arrives on it;
 * it hands each to the transport of the peer it came from (deliver), and
 * that is what the peer's reads return: one datagram per read, never
 * merged, never split. Writes send one datagram each. The inbox is small
 * and bounded: a peer that sends faster than it is served loses datagrams,
 * as it would on a busy network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/transport.h"
#include "util/mem.h"
#include "util/text.h"

#define INBOX 8

typedef struct udp_conn {
    lm_transport t; /* first, so an lm_transport * is a udp_conn * */
    lm_addr to;
    struct {
        char *data;
        size_t len;
    } inbox[INBOX];
    unsigned head, count;
} udp_conn;

static int udp_handshake(lm_transport *t)
{
    (void)t;
    return LM_OK;
}

static long udp_read(lm_transport *t, void *buf, size_t len)
{
    udp_conn *c = (udp_conn *)t;
    size_t n;
    if (!c->count)
        return LM_WANT_READ;
    n = c->inbox[c->head].len < len ? c->inbox[c->head].len : len;
    memcpy(buf, c->inbox[c->head].data, n);
    free(c->inbox[c->head].data);
    c->head = (c->head + 1) % INBOX;
    c->count--;
    return (long)n;
}

static long udp_write(lm_transport *t, const void *buf, size_t len)
{
    udp_conn *c = (udp_conn *)t;
    return lm_net_sendto(t->sock, buf, len, &c->to, t->err, sizeof t->err);
}

static size_t udp_pending(lm_transport *t)
{
    udp_conn *c = (udp_conn *)t;
    return c->count ? c->inbox[c->head].len : 0;
}

/* A datagram peer has no close message, and the socket is shared: there
 * is nothing to shut. */
static int udp_shutdown(lm_transport *t)
{
    (void)t;
    return LM_OK;
}

static void udp_destroy(lm_transport *t)
{
    udp_conn *c = (udp_conn *)t;
    while (c->count) {
        free(c->inbox[c->head].data);
        c->head = (c->head + 1) % INBOX;
        c->count--;
    }
    free(c);
}

static int udp_deliver(lm_transport *t, const void *data, size_t len)
{
    udp_conn *c = (udp_conn *)t;
    unsigned slot;
    if (c->count == INBOX)
        return LM_ERR;
    slot = (c->head + c->count) % INBOX;
    c->inbox[slot].data = lm_xmalloc(len ? len : 1);
    memcpy(c->inbox[slot].data, data, len);
    c->inbox[slot].len = len;
    c->count++;
    return LM_OK;
}

static const lm_transport_ops udp_ops = {
    .kind = "udp",
    .handshake = udp_handshake,
    .read = udp_read,
    .write = udp_write,
    .pending = udp_pending,
    .shutdown = udp_shutdown,
    .destroy = udp_destroy,
    .deliver = udp_deliver,
};

lm_transport *lm_udp_new(lm_sock shared, const lm_addr *to, const char *peer)
{
    udp_conn *c = lm_xcalloc(1, sizeof *c);
    c->t.ops = &udp_ops;
    c->t.sock = shared;
    c->to = *to;
    snprintf(c->t.peer, sizeof c->t.peer, "%s", peer ? peer : "?");
    snprintf(c->t.desc, sizeof c->t.desc, "%s", lm_tr(LM_M_WORD_UDP));
    return &c->t;
}
