/* lanmsg datagrams: the server's UDP socket and the peers that send to it.
 *
 * One socket serves every peer, so the engine (not a peer) reads it: each
 * datagram goes to the connection of the address it came from, which is
 * made on a peer's first datagram and lives until it is idle too long (a
 * datagram has no "close"). From there on a peer is a connection like any
 * other: the same service, the same bounded output queue, the same timers;
 * only its transport is a datagram kind (one read, one datagram) and its
 * output keeps message boundaries. Served by the first loop only. */
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

static lm_conn *find_peer(lm_loop *l, const lm_addr *a)
{
    for (lm_conn *c = l->peers[bucket_of(a)]; c; c = c->hnext)
        if (c->addr.len == a->len && memcmp(c->addr.bytes, a->bytes, a->len) == 0)
            return c;
    return NULL;
}

/* A connection for a new peer, counted against --max-clients like any. */
static lm_conn *new_peer(lm_loop *l, const lm_addr *a)
{
    lm_server *srv = l->srv;
    char peer[LM_ADDR_MAX];
    lm_conn *c;
    unsigned b = bucket_of(a);

    if (atomic_load(&srv->stopping))
        return NULL;
    if (atomic_fetch_add(&srv->clients, 1) >= srv->cfg.max_clients) {
        atomic_fetch_sub(&srv->clients, 1);
        return NULL; /* a flood of addresses cannot grow memory past the limit */
    }
    lm_addr_format(a, peer, sizeof peer);
    c = lm_conn_new(l, srv->udp, peer, 0);
    c->datagram = 1;
    c->peer_done = 1; /* nothing to wait for when closing: no FIN on a datagram socket */
    c->addr = *a;
    c->hnext = l->peers[b];
    l->peers[b] = c;
    lm_framer_free(&c->framer);
    lm_framer_init(&c->framer, LM_FRAMING_RAW, srv->cfg.max_line); /* one datagram, one message */
    c->tp = lm_udp_new(srv->udp, a, peer);
    lm_conn_open(c);
    return c;
}

void lm_dgram_forget(lm_conn *c)
{
    lm_loop *l = c->loop;
    lm_conn **p = &l->peers[bucket_of(&c->addr)];
    while (*p && *p != c)
        p = &(*p)->hnext;
    if (*p)
        *p = c->hnext;
}

/* Read what the UDP socket holds, up to a budget, and hand each datagram
 * to its peer. An oversize datagram (more than --max-line, or cut by the
 * system) is reported to the log and to its sender, never passed on cut. */
void lm_dgram_receive(lm_loop *l)
{
    lm_server *srv = l->srv;
    char err[160];

    if (!l->peers) {
        l->peers = lm_xcalloc(LM_PEER_BUCKETS, sizeof *l->peers);
        l->dgram_buf = lm_xmalloc(LM_DGRAM_MAX);
    }
    for (int i = 0; i < DGRAM_BUDGET; i++) {
        lm_addr from;
        lm_conn *c;
        long n = lm_net_recvfrom(srv->udp, l->dgram_buf, LM_DGRAM_MAX, &from, err, sizeof err);
        if (n == LM_WANT_READ)
            return;
        if (n < 0) {
            if (n != LM_ERR_RESET)
                lm_warn(LM_M_SRV_UDP_RECV_FAILED, err);
            continue;
        }
        c = find_peer(l, &from);
        if (!c && !(c = new_peer(l, &from)))
            continue;
        if (c->state != CS_OPEN)
            continue;
        c->t_active = lm_now_ms();
        if ((size_t)n > srv->cfg.max_line || n > LM_DGRAM_MAX) {
            char line[160];
            int k =
                snprintf(line, sizeof line,
                         "error: datagram too long (%ld bytes, more than %zu); it was discarded", n,
                         srv->cfg.max_line);
            lm_info(LM_M_SRV_DGRAM_TOO_LONG, c->peer, n, srv->cfg.max_line);
            lm_conn_send(c, line, (size_t)k);
        } else if (lm_tp_deliver(c->tp, l->dgram_buf, (size_t)n) != LM_OK) {
            lm_debug(LM_M_SRV_DGRAM_DROPPED, c->peer);
        } else {
            lm_conn_read(c);
        }
        lm_conn_mark_dirty(c);
    }
}
