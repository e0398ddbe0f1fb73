/* lanmsg TLS backend, datagram mode (DTLS 1.2): what differs from TLS over
 * TCP. The connection itself (handshake, records, verification, errors) is
 * tls_conn.c's; here are
 *   - the datagram I/O callbacks: a server peer reads the datagrams the
 *     engine delivered to it and sends to its address on the shared
 *     socket; a client reads and writes its connected UDP socket;
 *   - the retransmission timer the library asks for, read by whoever
 *     drives the handshake (lm_dtls_timer_ms);
 *   - the server's gate, which answers hellos from unknown addresses
 *     without keeping anything for them;
 *   - connection IDs, so that a peer whose address changes keeps its
 *     session. */
#define LM_TLS_BACKEND 1

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/dtls.h"
#include "transport/tls_internal.h"

#define INBOX 8 /* datagrams waiting for one peer (each is handled as it comes) */
/* Retransmission of a handshake flight: after 1 s, doubling up to 8 s,
 * then the library gives up (1 + 2 + 4 + 8 = 15 s). The engine's
 * --handshake-timeout (10 s by default) usually ends it first. */
#define HS_TIMEOUT_MIN_MS 1000
#define HS_TIMEOUT_MAX_MS 8000

typedef struct dtls_part {
    int shared; /* a server peer: sends to `to` on the shared socket */
    lm_addr to;
    struct {
        unsigned char *data;
        size_t len;
    } inbox[INBOX];
    unsigned head, count;
    int timer_on;
    uint64_t t_int, t_fin; /* the library's intermediate and final delays, as deadlines */
    unsigned char cid[LM_DTLS_CID_LEN];
    int has_cid;
    size_t sent; /* bytes sent: tells the gate a flight went out */
} dtls_part;

int lm_dtls_has_cid(void)
{
    return LM_COMPAT_HAVE_CID;
}

/* ==== the library's configuration ==== */

int dtls_conf(lm_tls_config *cfg, mbedtls_ssl_config *conf)
{
    mbedtls_ssl_conf_dtls_anti_replay(conf, MBEDTLS_SSL_ANTI_REPLAY_ENABLED);
    mbedtls_ssl_conf_handshake_timeout(conf, HS_TIMEOUT_MIN_MS, HS_TIMEOUT_MAX_MS);
    /* Always: a server that sent its whole first flight to any address a
     * hello claims would amplify a spoofed sender's traffic. */
    if (cfg->is_server)
        mbedtls_ssl_conf_dtls_cookies(conf, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check,
                                      &cfg->cookie);
#if LM_COMPAT_HAVE_CID
    /* A server's peers put its 8-byte ID in their records; a client asks
     * for none (it is the server that must find it when it moves). */
    return mbedtls_ssl_conf_cid(conf, cfg->is_server ? LM_DTLS_CID_LEN : 0,
                                MBEDTLS_SSL_UNEXPECTED_CID_IGNORE);
#else
    return 0;
#endif
}

/* ==== datagram I/O ==== */

static void inbox_clear(dtls_part *d)
{
    while (d->count) {
        free(d->inbox[d->head].data);
        d->head = (d->head + 1) % INBOX;
        d->count--;
    }
}

static int net_to_mbedtls(long n)
{
    switch (n) {
    case LM_WANT_READ:
        return MBEDTLS_ERR_SSL_WANT_READ;
    case 0:
    case LM_WANT_WRITE:
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    case LM_ERR_RESET:
        return MBEDTLS_ERR_NET_CONN_RESET;
    default:
        return MBEDTLS_ERR_NET_SEND_FAILED;
    }
}

/* One datagram per call, as DTLS wants: the library hands over a whole
 * flight or record at once. */
static int dg_send(void *ctx, const unsigned char *buf, size_t len)
{
    tls_conn *c = ctx;
    dtls_part *d = c->dg;
    long n;
    if (len > INT_MAX)
        len = INT_MAX;
    if (d->shared)
        n = lm_net_sendto(c->t.sock, buf, len, &d->to, c->neterr, sizeof c->neterr);
    else
        n = lm_net_send(c->t.sock, buf, len, c->neterr, sizeof c->neterr);
    if (n > 0) {
        d->sent += (size_t)n;
        return (int)n;
    }
    return net_to_mbedtls(n);
}

/* A server peer: the next datagram the engine delivered. A datagram too
 * big for the library's buffer is cut, and the library then drops it as
 * it drops any broken record. Never 0: that would read as end of stream. */
static int dg_recv_delivered(tls_conn *c, unsigned char *buf, size_t len)
{
    dtls_part *d = c->dg;
    size_t n;
    if (!d->count)
        return MBEDTLS_ERR_SSL_WANT_READ;
    n = d->inbox[d->head].len < len ? d->inbox[d->head].len : len;
    memcpy(buf, d->inbox[d->head].data, n);
    free(d->inbox[d->head].data);
    d->head = (d->head + 1) % INBOX;
    d->count--;
    return (int)n;
}

/* A client: its connected socket. A first answer that is no DTLS record
 * (a plain UDP server's reply) ends the handshake at once, as the TLS
 * client does with a plain-text answer, instead of retransmitting until
 * the time runs out. */
static int dg_recv(void *ctx, unsigned char *buf, size_t len)
{
    tls_conn *c = ctx;
    lm_dtls_rec rec;
    long n;
    if (len > INT_MAX)
        len = INT_MAX;
    if (c->dg->shared)
        return dg_recv_delivered(c, buf, len);
    n = lm_net_recv(c->t.sock, buf, len, c->neterr, sizeof c->neterr);
    if (n > 0) {
        if (c->first_byte < 0) {
            /* map_error says "plain text" for a first byte that is not a
             * handshake (22) or alert (21). */
            if (lm_dtls_peek(buf, (size_t)n, 0, &rec) == LM_DTLS_REC_NOT_DTLS) {
                c->first_byte = 0;
                return MBEDTLS_ERR_SSL_INVALID_RECORD;
            }
            c->first_byte = 22;
        }
        return (int)n;
    }
    if (n == 0)
        return MBEDTLS_ERR_SSL_WANT_READ; /* an empty datagram: nothing for DTLS */
    if (n == LM_WANT_READ)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (n == LM_ERR_RESET)
        return MBEDTLS_ERR_NET_CONN_RESET; /* an ICMP "port unreachable" */
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

int dtls_deliver(lm_transport *t, const void *data, size_t len)
{
    dtls_part *d = ((tls_conn *)t)->dg;
    unsigned slot;
    if (d->count == INBOX)
        return LM_ERR;
    slot = (d->head + d->count) % INBOX;
    d->inbox[slot].data = lm_xmalloc(len ? len : 1);
    memcpy(d->inbox[slot].data, data, len);
    d->inbox[slot].len = len;
    d->count++;
    return LM_OK;
}

void dtls_part_free(tls_conn *c)
{
    if (c->dg) {
        inbox_clear(c->dg);
        free(c->dg);
        c->dg = NULL;
    }
}

/* ==== the retransmission timer ====
 * The library sets two delays and asks which has passed: -1 cancelled,
 * 0 none, 1 the intermediate, 2 the final (resend the flight). */

static void timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms)
{
    dtls_part *d = ctx;
    uint64_t now = lm_now_ms();
    d->timer_on = fin_ms != 0;
    d->t_int = now + int_ms;
    d->t_fin = now + fin_ms;
}

static int timer_get(void *ctx)
{
    dtls_part *d = ctx;
    uint64_t now;
    if (!d->timer_on)
        return -1;
    now = lm_now_ms();
    return now >= d->t_fin ? 2 : now >= d->t_int ? 1 : 0;
}

long lm_dtls_timer_ms(lm_transport *t)
{
    tls_conn *c = (tls_conn *)t;
    uint64_t now;
    if (!tls_is_dtls(t) || !c->dg->timer_on)
        return -1;
    now = lm_now_ms();
    return now >= c->dg->t_fin ? 0 : (long)(c->dg->t_fin - now);
}

size_t lm_dtls_max_message(lm_transport *t)
{
    int n;
    if (!tls_is_dtls(t))
        return 0;
    n = mbedtls_ssl_get_max_out_record_payload(&((tls_conn *)t)->ssl);
    return n > 0 ? (size_t)n : 0;
}

/* ==== connections ==== */

/* A DTLS connection: a server peer (to = its address on the shared
 * socket) or a client (to = NULL, a connected socket). */
static tls_conn *dtls_make(lm_tls_config *cfg, lm_sock s, const lm_addr *to, const char *peer,
                           const char *host, char *err, size_t errlen)
{
    tls_conn *c = tls_conn_new(cfg, 1, s, peer, host, err, errlen);
    char msg[128];
    int ret = 0;

    if (!c)
        return NULL;
    c->dg = lm_xcalloc(1, sizeof *c->dg);
    if (to) {
        c->dg->shared = 1;
        c->dg->to = *to;
    }
    mbedtls_ssl_set_bio(&c->ssl, c, dg_send, dg_recv, NULL);
    mbedtls_ssl_set_timer_cb(&c->ssl, c->dg, timer_set, timer_get);
#if LM_COMPAT_HAVE_CID
    if (cfg->is_server) {
        /* A random ID per peer: it names the session, not the address. */
        ret = mbedtls_ctr_drbg_random(&cfg->drbg, c->dg->cid, sizeof c->dg->cid);
        if (ret == 0)
            ret = mbedtls_ssl_set_cid(&c->ssl, MBEDTLS_SSL_CID_ENABLED, c->dg->cid,
                                      sizeof c->dg->cid);
        c->dg->has_cid = ret == 0;
    } else {
        /* No ID of our own, but a buffer all the same: the library
         * copies zero bytes from it, and a null source is undefined. */
        ret = mbedtls_ssl_set_cid(&c->ssl, MBEDTLS_SSL_CID_ENABLED, c->dg->cid, 0);
    }
#endif
    if (ret != 0) {
        tls_strerror(ret, msg, sizeof msg);
        tls_set_err(err, errlen, LM_M_TLS_CONN_SETUP_FAILED, c->t.peer, msg);
        lm_tp_destroy(&c->t);
        return NULL;
    }
    return c;
}

lm_transport *lm_dtls_new(lm_tls_config *cfg, lm_sock s, const char *peer, const char *host,
                          char *err, size_t errlen)
{
    tls_conn *c = dtls_make(cfg, s, NULL, peer, host, err, errlen);
    return c ? &c->t : NULL;
}

size_t lm_dtls_own_cid(const lm_transport *t, unsigned char *out)
{
    const tls_conn *c = (const tls_conn *)t;
    if (!tls_is_dtls(t) || !c->dg->has_cid)
        return 0;
    memcpy(out, c->dg->cid, LM_DTLS_CID_LEN);
    return LM_DTLS_CID_LEN;
}

int lm_dtls_moved(lm_transport *t, const lm_addr *from, const void *data, size_t len)
{
#if LM_COMPAT_HAVE_CID
    tls_conn *c = (tls_conn *)t;
    unsigned char *copy;
    int ret;
    if (!tls_is_dtls(t) || !c->dg->shared || !c->handshake_done || !len)
        return 0;
    /* RFC 9146 section 6: believe a new address only for a record that
     * authenticates and is not a replay. The check decrypts in place. */
    copy = lm_xmalloc(len);
    memcpy(copy, data, len);
    ret = mbedtls_ssl_check_record(&c->ssl, copy, len);
    free(copy);
    if (ret != 0)
        return 0;
    c->dg->to = *from;
    lm_addr_format(from, c->t.peer, sizeof c->t.peer);
    return 1;
#else
    (void)t;
    (void)from;
    (void)data;
    (void)len;
    return 0;
#endif
}

/* ==== the server's gate ====
 * One spare server connection, reused for every hello from an address
 * that has no peer: reset, told the sender's address (the cookie is bound
 * to it), given the datagram. A hello without a valid cookie gets a
 * HelloVerifyRequest, smaller than the hello, and the spare is reset:
 * nothing is kept, however many addresses send. A hello with a valid
 * cookie makes the library answer with its first flight; the spare is
 * then that peer's connection, and the next hello gets a new spare. */

struct lm_dtls_gate {
    lm_tls_config *cfg;
    lm_sock sock;
    tls_conn *spare;
};

lm_dtls_gate *lm_dtls_gate_new(lm_tls_config *cfg, lm_sock shared, char *err, size_t errlen)
{
    lm_dtls_gate *g;
    if (!cfg->is_server || !cfg->datagram) {
        tls_set_err(err, errlen, LM_M_TLS_NO_DATAGRAM);
        return NULL;
    }
    g = lm_xcalloc(1, sizeof *g);
    g->cfg = cfg;
    g->sock = shared;
    return g;
}

void lm_dtls_gate_free(lm_dtls_gate *g)
{
    if (g) {
        lm_tp_destroy(g->spare ? &g->spare->t : NULL);
        free(g);
    }
}

/* Ready the spare for the next hello: made after an adoption or a reload
 * (a reload's new certificate is for new peers), reset after any other
 * use. What tls_conn.c's hooks may have noted while reading a hello (a
 * ticket or cached session) is forgotten with it. */
static int spare_ready(lm_dtls_gate *g, char *why, size_t whylen)
{
    static const lm_addr none;
    tls_conn *s = g->spare;
    int stale = 0;

    if (s) {
        lm_mutex_lock(g->cfg->lock);
        stale = s->inner != g->cfg->current;
        lm_mutex_unlock(g->cfg->lock);
    }
    if (s && !stale && mbedtls_ssl_session_reset(&s->ssl) == 0) {
        s->srv_resumed = 0;
        s->ticket_cn[0] = '\0';
        s->has_ticket_fp = 0;
        s->t.err[0] = '\0';
        s->neterr[0] = '\0';
        s->dg->sent = 0;
        s->dg->timer_on = 0;
        inbox_clear(s->dg);
        return 0;
    }
    lm_tp_destroy(s ? &s->t : NULL);
    g->spare = dtls_make(g->cfg, g->sock, &none, "?", NULL, why, whylen);
    return g->spare ? 0 : -1;
}

int lm_dtls_gate_cookie_ok(lm_dtls_gate *g, const lm_addr *from, const void *data, size_t len)
{
    lm_dtls_rec rec;
    if (lm_dtls_peek(data, len, LM_DTLS_CID_LEN, &rec) != LM_DTLS_REC_OK || !rec.client_hello ||
        !rec.cookie || rec.cookie_len == 0)
        return 0;
    return mbedtls_ssl_cookie_check(&g->cfg->cookie, rec.cookie, rec.cookie_len, from->bytes,
                                    from->len) == 0;
}

lm_dtls_verdict lm_dtls_gate_offer(lm_dtls_gate *g, const lm_addr *from, const char *peer,
                                   const void *data, size_t len, lm_transport **out, char *why,
                                   size_t whylen)
{
    lm_dtls_rec rec;
    lm_dtls_rec_status st = lm_dtls_peek(data, len, LM_DTLS_CID_LEN, &rec);
    tls_conn *s;
    int ret;

    *out = NULL;
    why[0] = '\0';
    /* Only a hello starts anything; the rest never reaches the library. */
    if (st != LM_DTLS_REC_OK) {
        snprintf(why, whylen, "%s", lm_dtls_rec_why(st));
        return LM_DTLS_DROPPED;
    }
    if (!rec.client_hello) {
        snprintf(why, whylen, "%s", lm_tr(rec.cid ? LM_M_DTLS_UNKNOWN_CID : LM_M_DTLS_NOT_HELLO));
        return LM_DTLS_DROPPED;
    }
    if (spare_ready(g, why, whylen) != 0)
        return LM_DTLS_DROPPED;
    s = g->spare;
    s->dg->to = *from;
    snprintf(s->t.peer, sizeof s->t.peer, "%s", peer);
    if ((ret = mbedtls_ssl_set_client_transport_id(&s->ssl, from->bytes, from->len)) != 0) {
        tls_strerror(ret, why, whylen);
        return LM_DTLS_DROPPED;
    }
    dtls_deliver(&s->t, data, len);
    tls_current = s; /* the ticket and cache hooks */
    ret = mbedtls_ssl_handshake(&s->ssl);
    tls_current = NULL;
    inbox_clear(s->dg);
    if (ret == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED)
        return LM_DTLS_VERIFY_SENT;
    if ((ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) && s->dg->sent) {
        /* The cookie was good and the first flight is out (or, WANT_WRITE,
         * on its way: the retransmission timer finishes it). */
        *out = &s->t;
        g->spare = NULL;
        return LM_DTLS_NEW_PEER;
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        snprintf(why, whylen, "%s", lm_tr(LM_M_DTLS_NOT_TAKEN));
        return LM_DTLS_DROPPED;
    }
    tls_conn_error(s, ret, 1);
    snprintf(why, whylen, "%s", s->t.err);
    return LM_DTLS_REFUSED;
}
