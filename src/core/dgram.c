/* lanmsg datagrams: the server's UDP socket and the peers that send to it.
 *
 * One socket serves every peer, so the engine (not a peer) reads it: each
 * datagram goes to the connection of the address it came from, which is
 * made on a peer's first datagram and lives until it is idle too long (a
 * datagram has no "close"). From there on a peer is a connection like any
 * other: the same service, the same bounded output queue, the same timers;
 * only its transport is a datagram kind (one read, one datagram) and its
 * output keeps message boundaries. Served by the first loop only.
 *
 * With TLS the datagrams are DTLS records, sorted in dgram_dtls.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "util/mem.h"
#include "util/text.h"

#define DGRAM_BUDGET 64 /* datagrams read per event, so TCP clients get their turn */

int lm_udp_tag; /* udata marking the UDP socket */

/* FNV-1a over the address bytes: peers are spread, not sorted. */
static unsigned bucket_of(const lm_addr *a)
{
    uint32_t h = 2166136261u;
    for (unsigned i = 0; i < a->len; i++)
        h = (h ^ a->bytes[i]) * 16777619u;
    return h % LM_PEER_BUCKETS;
}

lm_conn *lm_dgram_find(lm_loop *l, const lm_addr *a)
{
    for (lm_conn *c = l->peers[bucket_of(a)]; c; c = c->hnext)
        if (c->addr.len == a->len && memcmp(c->addr.bytes, a->bytes, a->len) == 0)
            return c;
    return NULL;
}

static void link_peer(lm_conn *c)
{
    unsigned b = bucket_of(&c->addr);
    c->hnext = c->loop->peers[b];
    c->loop->peers[b] = c;
}

static void unlink_peer(lm_conn *c)
{
    lm_conn **p = &c->loop->peers[bucket_of(&c->addr)];
    while (*p && *p != c)
        p = &(*p)->hnext;
    if (*p)
        *p = c->hnext;
}

lm_conn *lm_dgram_peer_new(lm_loop *l, const lm_addr *a, lm_transport *tp, int over_limit)
{
    lm_server *srv = l->srv;
    char peer[LM_ADDR_MAX];
    lm_conn *c;

    lm_addr_format(a, peer, sizeof peer);
    c = lm_conn_new(l, srv->udp, peer, over_limit);
    c->datagram = 1;
    c->peer_done = 1; /* nothing to wait for when closing: no FIN on a datagram socket */
    c->addr = *a;
    link_peer(c);
    lm_framer_free(&c->framer);
    lm_framer_init(&c->framer, LM_FRAMING_RAW, srv->cfg.max_line); /* one datagram, one message */
    c->tp = tp ? tp : lm_udp_new(srv->udp, a, peer);
    return c;
}

/* A plain peer's connection, counted against --max-clients like any. */
static lm_conn *new_peer(lm_loop *l, const lm_addr *a)
{
    lm_server *srv = l->srv;
    lm_conn *c;

    if (atomic_load(&srv->stopping))
        return NULL;
    if (atomic_fetch_add(&srv->clients, 1) >= srv->cfg.max_clients) {
        atomic_fetch_sub(&srv->clients, 1);
        return NULL; /* a flood of addresses cannot grow memory past the limit */
    }
    c = lm_dgram_peer_new(l, a, NULL, 0);
    lm_conn_open(c);
    return c;
}

void lm_dgram_forget(lm_conn *c)
{
    unlink_peer(c);
    if (c->has_cid)
        lm_dgram_dtls_forget(c);
}

void lm_dgram_rehome(lm_conn *c, const lm_addr *a)
{
    unlink_peer(c);
    c->addr = *a;
    lm_addr_format(a, c->peer, sizeof c->peer);
    link_peer(c);
}

/* A plain datagram, to its peer. An oversize one (more than --max-line,
 * or cut by the system) is reported to the log and to its sender, never
 * passed on cut. */
static void dispatch_plain(lm_loop *l, const lm_addr *from, const unsigned char *data, size_t n)
{
    lm_server *srv = l->srv;
    lm_conn *c = lm_dgram_find(l, from);

    if (!c && !(c = new_peer(l, from)))
        return;
    if (c->state != CS_OPEN)
        return;
    c->t_active = lm_now_ms();
    if (n > srv->cfg.max_line || n > LM_DGRAM_MAX) {
        char line[160];
        int k = snprintf(line, sizeof line,
                         "error: datagram too long (%zu bytes, more than %zu); it was discarded", n,
                         srv->cfg.max_line);
        lm_info(LM_M_SRV_DGRAM_TOO_LONG, c->peer, (long)n, srv->cfg.max_line);
        lm_conn_send(c, line, (size_t)k);
    } else if (lm_tp_deliver(c->tp, data, n) != LM_OK) {
        lm_debug(LM_M_SRV_DGRAM_DROPPED, c->peer);
    } else {
        lm_conn_read(c);
    }
    lm_conn_mark_dirty(c);
}

static void tables(lm_loop *l)
{
    if (!l->peers) {
        l->peers = lm_xcalloc(LM_PEER_BUCKETS, sizeof *l->peers);
        l->dgram_buf = lm_xmalloc(LM_DGRAM_MAX);
    }
}

void lm_dgram_dispatch(lm_loop *l, const lm_addr *from, const unsigned char *data, size_t n)
{
    tables(l);
    if (l->srv->gate)
        lm_dgram_dtls(l, from, data, n);
    else
        dispatch_plain(l, from, data, n);
}

/* Read what the UDP socket holds, up to a budget, and hand each datagram
 * to its peer. */
void lm_dgram_receive(lm_loop *l)
{
    lm_server *srv = l->srv;
    char err[160];

    tables(l);
    for (int i = 0; i < DGRAM_BUDGET; i++) {
        lm_addr from;
        long n = lm_net_recvfrom(srv->udp, l->dgram_buf, LM_DGRAM_MAX, &from, err, sizeof err);
        if (n == LM_WANT_READ)
            return;
        if (n < 0) {
            if (n != LM_ERR_RESET)
                lm_warn(LM_M_SRV_UDP_RECV_FAILED, err);
            continue;
        }
        lm_dgram_dispatch(l, &from, l->dgram_buf, (size_t)n);
    }
}
