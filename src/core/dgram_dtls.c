/* lanmsg datagrams with DTLS: the server's UDP socket when its peers speak
 * DTLS 1.2 (--udp --tls).
 *
 * Each datagram's first record header is read before anything else (no
 * keys, no state): what is not DTLS is dropped at once. A keyed record of
 * type tls12_cid names its peer by connection ID, wherever it comes from;
 * any other record goes to the peer of its address. A datagram from an
 * address with no peer goes to the TLS backend's gate (lanmsg/dtls.h),
 * which keeps nothing until a ClientHello proves, with its cookie, that
 * its sender receives at that address; only then is there a peer,
 * counted against --max-clients, whose handshake the library drives.
 *
 * Bad datagrams are dropped silently, as DTLS says (RFC 6347 4.1.2.7): a
 * sender's address proves nothing, so an answer or a failed peer would
 * hand an attacker a lever. They are named at -v, never fatal to anyone.
 * Served by the first loop only, like the socket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "util/mem.h"
#include "util/text.h"

#define OVER_LIMIT_MAX 16 /* peers past --max-clients kept to be told "server full" */

/* ---- peers by connection ID ---- */

static unsigned cid_bucket(const unsigned char *cid)
{
    uint32_t h = 2166136261u;
    for (unsigned i = 0; i < LM_DTLS_CID_LEN; i++)
        h = (h ^ cid[i]) * 16777619u;
    return h % LM_PEER_BUCKETS;
}

static lm_conn *cid_find(lm_loop *l, const unsigned char *cid)
{
    if (!l->cid_peers)
        return NULL;
    for (lm_conn *c = l->cid_peers[cid_bucket(cid)]; c; c = c->cnext)
        if (memcmp(c->cid, cid, LM_DTLS_CID_LEN) == 0)
            return c;
    return NULL;
}

/* 0, or -1 when another peer has that ID (random 64 bits: never, but a
 * second peer under one ID would read the first one's records). */
static int cid_link(lm_loop *l, lm_conn *c)
{
    unsigned b = cid_bucket(c->cid);
    if (!l->cid_peers)
        l->cid_peers = lm_xcalloc(LM_PEER_BUCKETS, sizeof *l->cid_peers);
    if (cid_find(l, c->cid))
        return -1;
    c->cnext = l->cid_peers[b];
    l->cid_peers[b] = c;
    return 0;
}

void lm_dgram_dtls_forget(lm_conn *c)
{
    lm_conn **p;
    if (!c->loop->cid_peers)
        return;
    p = &c->loop->cid_peers[cid_bucket(c->cid)];
    while (*p && *p != c)
        p = &(*p)->cnext;
    if (*p)
        *p = c->cnext;
    c->has_cid = 0;
}

/* ---- datagrams ---- */

/* Named at -v only: a flood of them must not flood the log. */
static void dropped(const lm_addr *from, size_t n, const char *why)
{
    char peer[LM_ADDR_MAX];
    if (lm_log_level() < LM_LOG_VERBOSE)
        return;
    lm_addr_format(from, peer, sizeof peer);
    lm_debug(LM_M_SRV_DTLS_DROPPED, peer, (long)n, why);
}

/* A datagram from an address with no peer: the gate decides. */
static void at_gate(lm_loop *l, const lm_addr *from, const unsigned char *data, size_t n)
{
    lm_server *srv = l->srv;
    char peer[LM_ADDR_MAX], why[320];
    lm_transport *tp;
    lm_conn *c;
    int over = 0;

    if (atomic_load(&srv->stopping)) {
        dropped(from, n, lm_tr(LM_M_DTLS_SHUTTING_DOWN));
        return;
    }
    lm_addr_format(from, peer, sizeof peer);
    /* Full, even past the few told so: a hello with a valid cookie would
     * cost a key exchange and a signature for a session dropped at once.
     * Cookie-less hellos still get their (cheap, stateless) answer. */
    if (atomic_load(&srv->clients) >= srv->cfg.max_clients &&
        atomic_load(&srv->over_limit) >= OVER_LIMIT_MAX &&
        lm_dtls_gate_cookie_ok(srv->gate, from, data, n)) {
        if (lm_loop_may_log_refused(l))
            lm_info(LM_M_SRV_FULL, peer, srv->cfg.max_clients);
        return;
    }
    switch (lm_dtls_gate_offer(srv->gate, from, peer, data, n, &tp, why, sizeof why)) {
    case LM_DTLS_DROPPED:
        dropped(from, n, why);
        return;
    case LM_DTLS_VERIFY_SENT:
        lm_debug(LM_M_SRV_DTLS_VERIFY, peer);
        return;
    case LM_DTLS_REFUSED:
        if (lm_loop_may_log_refused(l))
            lm_info(LM_M_SRV_REFUSED, peer, why);
        return;
    case LM_DTLS_NEW_PEER:
        break;
    }
    /* A verified address: a peer, counted like a TCP client. A few past the
     * limit finish their handshake to be told the server is full, as over
     * TCP; beyond those, the session is dropped (the client times out). */
    if (atomic_fetch_add(&srv->clients, 1) >= srv->cfg.max_clients) {
        atomic_fetch_sub(&srv->clients, 1);
        if (atomic_fetch_add(&srv->over_limit, 1) >= OVER_LIMIT_MAX) {
            atomic_fetch_sub(&srv->over_limit, 1);
            lm_tp_destroy(tp);
            lm_info(LM_M_SRV_FULL, peer, srv->cfg.max_clients);
            return;
        }
        over = 1;
    }
    c = lm_dgram_peer_new(l, from, tp, over);
    c->state = CS_HANDSHAKE;
    c->has_cid = lm_dtls_own_cid(tp, c->cid) != 0;
    if (c->has_cid && cid_link(l, c) != 0) {
        c->has_cid = 0;
        lm_conn_fail(c, lm_tr(LM_M_DTLS_UNKNOWN_CID));
    }
    lm_conn_mark_dirty(c);
}

void lm_dgram_dtls(lm_loop *l, const lm_addr *from, const unsigned char *data, size_t n)
{
    lm_dtls_rec rec;
    lm_dtls_rec_status st;
    lm_conn *c;

    if (n > LM_DGRAM_MAX) {
        dropped(from, n, lm_dtls_rec_why(LM_DTLS_REC_TRUNCATED));
        return;
    }
    st = lm_dtls_peek(data, n, LM_DTLS_CID_LEN, &rec);
    if (st != LM_DTLS_REC_OK) {
        dropped(from, n, lm_dtls_rec_why(st));
        return;
    }
    if (rec.cid) {
        c = cid_find(l, rec.cid);
        if (!c) {
            dropped(from, n, lm_tr(LM_M_DTLS_UNKNOWN_CID));
            return;
        }
        if (c->addr.len != from->len || memcmp(c->addr.bytes, from->bytes, from->len) != 0) {
            /* Its address changed (a NAT rebinding, a new network): only an
             * authentic, fresh record moves it. */
            char was[LM_ADDR_MAX];
            if (c->state != CS_OPEN || !lm_dtls_moved(c->tp, from, data, n)) {
                dropped(from, n, lm_tr(LM_M_DTLS_NOT_TAKEN));
                return;
            }
            snprintf(was, sizeof was, "%s", c->peer);
            lm_dgram_rehome(c, from);
            lm_info(LM_M_SRV_DTLS_MOVED, was, c->peer);
        }
    } else if (!(c = lm_dgram_find(l, from))) {
        at_gate(l, from, data, n);
        return;
    }
    if (c->state != CS_HANDSHAKE && c->state != CS_OPEN)
        return;
    if (lm_tp_deliver(c->tp, data, n) != LM_OK) {
        lm_debug(LM_M_SRV_DGRAM_DROPPED, c->peer);
        return;
    }
    c->t_active = lm_now_ms();
    if (c->state == CS_HANDSHAKE)
        lm_conn_handshake(c);
    else
        lm_conn_read(c);
    lm_conn_mark_dirty(c);
}
