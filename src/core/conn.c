/* lanmsg connections: one connection's state machine, its input, its
 * output queue, and what services may ask of it.
 *
 * A connection moves DETECT -> HANDSHAKE -> OPEN -> CLOSING -> DEAD. Nothing
 * here blocks: TLS handshakes, reads and writes return "would block", and
 * the connection waits for exactly what the transport asked for (a TLS read
 * may need the socket writable). Closing only marks a connection; the loop
 * frees it at the end of the turn, never inside a service callback.
 *
 * Nothing is ever written unbuffered. A service queues a message; the loop
 * flushes every connection with queued output once per turn, so a broadcast
 * to a hundred clients costs one write per client, not one per message. The
 * queue is bounded: a client that stops reading is disconnected with a
 * logged reason instead of growing the server's memory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "transport/tls_trust.h"
#include "util/mem.h"
#include "util/text.h"

#define READ_BUDGET 64 /* reads per connection per turn, for fairness */

/* ======================================================================
 * Life
 * ==================================================================== */

/* A connection for an accepted socket, linked into its loop. The socket is
 * the connection's from here on: lm_conn_free closes it. */
lm_conn *lm_conn_new(lm_loop *l, lm_sock s, const char *peer, int over_limit)
{
    lm_server *srv = l->srv;
    lm_conn *c = lm_xcalloc(1, sizeof *c);

    c->loop = l;
    c->sock = s;
    c->over_limit = over_limit;
    c->id = atomic_fetch_add(&srv->next_id, 1) + 1;
    c->t_start = c->t_active = lm_now_ms();
    c->svc = srv->cfg.service;
    c->svc_state = srv->svc_state;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    lm_framer_init(&c->framer, srv->cfg.framing, srv->cfg.max_line);
    c->next = l->head;
    if (l->head)
        l->head->prev = c;
    l->head = c;
    return c;
}

void lm_conn_free(lm_conn *c)
{
    lm_loop *l = c->loop;
    lm_server *srv = l->srv;

    if (c->registered)
        lm_poller_del(l->poller, c->sock);
    if (c->datagram)
        lm_dgram_forget(c);
    if (c->again)
        l->nagain--;
    if (c->opened && c->svc->on_close)
        c->svc->on_close(c->svc_state, c);
    if (c->opened)
        lm_info(LM_M_SRV_DISCONNECTED, c->peer, c->reason ? c->reason : lm_tr(LM_M_REASON_CLOSED));
    else if (!c->over_limit && !c->logged)
        lm_debug(LM_M_SRV_DROPPED, c->peer, c->reason ? c->reason : lm_tr(LM_M_REASON_CLOSED));
    /* The transport never owns the socket: one close, here (a datagram
     * peer's is the server's shared one). */
    lm_tp_destroy(c->tp);
    if (!c->datagram)
        lm_net_close(c->sock);
    if (c->over_limit)
        atomic_fetch_sub(&srv->over_limit, 1);
    else
        atomic_fetch_sub(&srv->clients, 1);
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    lm_framer_free(&c->framer);
    if (c->hello) {
        lm_hello_free(c->hello);
        free(c->hello);
    }
    free(c->out);
    free(c);
}

/* ======================================================================
 * Poller interest
 * ==================================================================== */

void lm_conn_mark_dirty(lm_conn *c)
{
    if (!c->dirty) {
        c->dirty = 1;
        c->dirty_next = c->loop->dirty;
        c->loop->dirty = c;
    }
}

/* Remember what the transport's last call needs to make progress: the one
 * place that maps a transport's want-read / want-write onto poller events. */
void lm_conn_want(lm_conn *c, int rc)
{
    c->tp_wants = rc == LM_WANT_WRITE ? LM_EV_WRITE : rc == LM_WANT_READ ? LM_EV_READ : 0;
}

/* Register with the poller for what the connection needs now: input while
 * the peer may still send, output while its queue is not empty (or, when
 * the transport's write is waiting for input, that input), and whatever the
 * transport itself asked for. A registration the poller refuses fails the
 * connection: it could never be served. */
void lm_conn_update_interest(lm_conn *c)
{
    int want = c->tp_wants;

    if (c->state == CS_DEAD || c->datagram) /* a datagram peer has no socket of its own */
        return;
    if (!c->peer_done)
        want |= LM_EV_READ;
    if (c->out_len && !(c->tp_wants & LM_EV_READ))
        want |= LM_EV_WRITE;
    if (want == c->registered)
        return;
    if (lm_poller_mod(c->loop->poller, c->sock, want, c) != LM_OK) {
        lm_conn_fail(c, lm_tr(LM_M_REASON_CANNOT_WATCH));
        return;
    }
    c->registered = want;
}

/* ======================================================================
 * Input
 * ==================================================================== */

static int on_frame(void *ctx, lm_frame_kind kind, const char *msg, size_t len)
{
    lm_conn *c = ctx;
    lm_server *srv = c->loop->srv;

    if (c->state != CS_OPEN)
        return 1;
    if (kind == LM_FRAME_OVERLONG) {
        char line[160];
        int n = snprintf(line, sizeof line,
                         "error: message too long (more than %zu bytes); it was discarded",
                         srv->cfg.max_line);
        lm_info(LM_M_SRV_TOO_LONG, c->peer, srv->cfg.max_line);
        lm_conn_send(c, line, (size_t)n);
        return c->state != CS_OPEN;
    }
    c->svc->on_message(c->svc_state, c, msg, len);
    return c->state != CS_OPEN;
}

/* A TLS client that reached a plain server: its first record is a
 * handshake (22) of TLS version 3.x. Shown as text it would be garbage,
 * and answered it would confuse the client further. */
static int looks_like_tls(const lm_conn *c, const unsigned char *p, long n)
{
    if (c->loop->srv->cfg.tls || n < 3 || p[0] != 0x16)
        return 0;
    return c->datagram ? p[1] == 0xfe /* DTLS 1.x */ : p[1] == 0x03 && p[2] <= 0x04;
}

/* Read what the transport has, up to a budget, and feed the framer. When
 * the transport reports nothing more right now, tell the framer (auto mode
 * ends a raw message there). EOF delivers a last unterminated line, then the
 * connection closes after its replies are flushed: a half-closing client
 * still gets its answer. */
void lm_conn_read(lm_conn *c)
{
    lm_loop *l = c->loop;
    int i;

    if (c->again) {
        c->again = 0;
        l->nagain--;
    }
    for (i = 0; i < READ_BUDGET && c->state == CS_OPEN; i++) {
        long n = lm_tp_read(c->tp, l->scratch, sizeof l->scratch);
        if (n > 0 && !c->heard) {
            c->heard = 1;
            if (looks_like_tls(c, (const unsigned char *)l->scratch, n)) {
                /* Plain text, which a TLS client reports as "not TLS" (and
                 * only then may fall back, when asked to). */
                static const char msg[] =
                    "error: this server speaks plain TCP, not TLS; connect without --tls\n";
                static const char dmsg[] =
                    "error: this server speaks plain UDP, not DTLS; send without --tls";
                if (c->datagram)
                    lm_conn_send_raw(c, dmsg, sizeof dmsg - 1);
                else
                    lm_conn_send_raw(c, msg, sizeof msg - 1);
                lm_conn_close(
                    c, lm_tr(c->datagram ? LM_M_REASON_DTLS_PLAIN : LM_M_REASON_TLS_ON_PLAIN));
                return;
            }
        }
        if (n > 0) {
            c->t_active = lm_now_ms();
            lm_framer_push(&c->framer, l->scratch, (size_t)n, on_frame, c);
            /* A short read with nothing buffered in the transport has most
             * likely drained the socket: skip the read that would only say
             * "would block" (a quarter of an echo's system calls). Only a
             * pending auto-mode message needs that answer, to end it. */
            if ((size_t)n < sizeof l->scratch && !lm_tp_pending(c->tp) &&
                (!lm_framer_partial(&c->framer) || lm_framer_wants_newline(&c->framer)))
                break;
            continue;
        }
        if (n == LM_WANT_READ || n == LM_WANT_WRITE) {
            lm_conn_want(c, (int)n);
            lm_framer_idle(&c->framer, on_frame, c);
            break;
        }
        if (n == 0) {
            c->peer_done = 1;
            lm_framer_eof(&c->framer, on_frame, c);
            lm_conn_close(c, lm_tr(LM_M_REASON_PEER_CLOSED));
        } else {
            snprintf(c->reason_buf, sizeof c->reason_buf, "%s",
                     c->tp->err[0] ? c->tp->err : lm_tr(LM_M_REASON_LOST));
            lm_conn_fail(c, c->reason_buf);
        }
        return;
    }
    if (i == READ_BUDGET && c->state == CS_OPEN) {
        c->again = 1; /* more may be buffered (TLS) without the socket showing it */
        l->nagain++;
    }
    if (c->state == CS_OPEN) {
        size_t partial = lm_framer_partial(&c->framer);
        if (!partial)
            c->t_partial = 0;
        else if (!c->t_partial)
            c->t_partial = lm_now_ms();
    }
}

/* Closing: input is no longer delivered but still drained. Closing a socket
 * with unread bytes makes the kernel send a reset, which can destroy our
 * last reply before the peer reads it. */
void lm_conn_drain(lm_conn *c)
{
    char err[64];
    int i;
    for (i = 0; i < READ_BUDGET; i++) {
        long n = c->broken ? lm_net_recv(c->sock, c->loop->scratch, sizeof c->loop->scratch, err,
                                         sizeof err)
                           : lm_tp_read(c->tp, c->loop->scratch, sizeof c->loop->scratch);
        if (n > 0)
            continue;
        if (n != LM_WANT_READ && n != LM_WANT_WRITE)
            c->peer_done = 1;
        break;
    }
    if (c->peer_done && c->shut)
        c->state = CS_DEAD;
}

/* ======================================================================
 * Opening and handshaking
 * ==================================================================== */

void lm_conn_open(lm_conn *c)
{
    lm_server *srv = c->loop->srv;
    const char *alpn;

    c->state = CS_OPEN;
    c->tp_wants = 0;
    c->t_active = lm_now_ms();
    if (c->over_limit) {
        char line[128];
        int n = snprintf(line, sizeof line, "error: server is full (%d clients); try again later\n",
                         srv->cfg.max_clients);
        lm_conn_send_raw(c, line, (size_t)n);
        lm_info(LM_M_SRV_FULL, c->peer, srv->cfg.max_clients);
        lm_conn_close(c, lm_tr(LM_M_REASON_SERVER_FULL));
        return;
    }
    if (srv->cfg.alpn_service && c->tp->secure && (alpn = lm_tls_alpn(c->tp)) &&
        strcmp(alpn, srv->cfg.alpn) == 0) {
        /* Pairing, say: its own service, its own (binary) framing. */
        c->svc = srv->cfg.alpn_service;
        c->svc_state = srv->alpn_svc_state;
        lm_framer_free(&c->framer);
        lm_framer_init(&c->framer, LM_FRAMING_RAW, srv->cfg.max_line);
    } else if (srv->cfg.require_verified && c->tp->secure && !c->tp->verified) {
        lm_conn_refused(c, lm_tr(LM_M_REASON_CERT_REQUIRED));
        return;
    }
    c->opened = 1;
    if (c->tp->peer_cn[0])
        lm_info(LM_M_SRV_CONNECTION_CERT, c->peer, c->tp->desc, c->tp->peer_cn);
    else
        lm_info(LM_M_SRV_CONNECTION, c->peer, c->tp->desc);
    if (c->tp->secure)
        lm_debug(LM_M_SRV_TLS_DETAIL, c->peer,
                 lm_tr(c->tp->resumed ? LM_M_WORD_RESUMED : LM_M_WORD_FULL),
                 c->tp->peer_cn[0] ? c->tp->peer_cn : "-");
    if (c->svc->on_open)
        c->svc->on_open(c->svc_state, c);
}

void lm_conn_handshake(lm_conn *c)
{
    int rc = lm_tp_handshake(c->tp);

    if (rc == LM_OK) {
        lm_conn_open(c);
        if (c->state == CS_OPEN)
            lm_conn_read(c); /* data may have come with the last flight */
        return;
    }
    if (rc == LM_WANT_READ || rc == LM_WANT_WRITE) {
        lm_conn_want(c, rc);
        return;
    }
    snprintf(c->reason_buf, sizeof c->reason_buf, "%s",
             c->tp->err[0] ? c->tp->err : lm_tr(LM_M_REASON_UNKNOWN_ERROR));
    lm_conn_refused(c, c->reason_buf);
}

/* The reason is logged when the connection is freed, after the service's
 * close, so text a service owns (its parser's error) is copied here. */
static const char *keep_reason(lm_conn *c, const char *reason)
{
    if (!reason || reason == c->reason_buf)
        return reason;
    snprintf(c->reason_buf, sizeof c->reason_buf, "%s", reason);
    return c->reason_buf;
}

/* A TLS client the server turned away (a failed or timed-out handshake):
 * one line at the default level, with its address and the cause, unless a
 * flood of them has used up this window's lines. */
void lm_conn_refused(lm_conn *c, const char *why)
{
    if (lm_loop_may_log_refused(c->loop))
        lm_info(LM_M_SRV_REFUSED, c->peer, why);
    c->logged = 1;
    if (c->datagram) {
        /* DTLS: a failed handshake's alert went out as a datagram, and the
         * socket is shared: nothing to shut or drain. A client refused
         * after its handshake (no verified certificate) gets close_notify,
         * or it would wait for replies that never come: no FIN tells it. */
        lm_tp_shutdown(c->tp);
        c->reason = keep_reason(c, why);
        c->state = CS_DEAD;
        lm_conn_mark_dirty(c);
        return;
    }
    /* Not a hard close: the TLS library has just sent its alert, and a
     * close with the client's bytes unread would make the kernel send a
     * reset that can destroy the alert before the client reads it. So: our
     * FIN, then drain until the client closes too (or the grace period
     * ends), as any closing connection. */
    c->reason = why;
    c->broken = 1;
    c->shut = 1;
    c->tp_wants = 0;
    lm_net_shutdown_write(c->sock);
    c->state = CS_CLOSING;
    c->t_active = lm_now_ms();
    lm_conn_mark_dirty(c);
}

/* One poller event for this connection. */
void lm_conn_event(lm_conn *c, int events)
{
    if (events & LM_EV_ERROR && c->state != CS_DEAD && !(events & LM_EV_READ)) {
        lm_conn_fail(c, lm_tr(LM_M_REASON_LOST));
        return;
    }
    switch (c->state) {
    case CS_DETECT:
        lm_accept_detect(c);
        break;
    case CS_HANDSHAKE:
        lm_conn_handshake(c);
        break;
    case CS_OPEN:
        /* A read that wanted the socket writable (TLS) is retried on any
         * event; the flush comes at the end of the turn. */
        if (events & LM_EV_READ || c->tp_wants & LM_EV_WRITE)
            lm_conn_read(c);
        break;
    case CS_CLOSING:
        if (events & LM_EV_READ)
            lm_conn_drain(c);
        break;
    case CS_DEAD:
        break;
    }
    lm_conn_mark_dirty(c);
}

/* ======================================================================
 * Output queue
 * ==================================================================== */

/* Make room for `need` more bytes at the tail. Consumed bytes at the head
 * are reclaimed first, by moving the pending bytes to the front; a TLS
 * write waiting to be retried is given the same bytes again from there. */
static void queue_reserve(lm_conn *c, size_t need)
{
    size_t want;

    if (c->out_head && c->out_head + c->out_len + need > c->out_cap) {
        memmove(c->out, c->out + c->out_head, c->out_len);
        c->out_head = 0;
    }
    if (c->out_head + c->out_len + need <= c->out_cap)
        return;
    want = c->out_cap ? c->out_cap : 256;
    while (want < c->out_len + need)
        want *= 2;
    c->out = lm_xrealloc(c->out, want);
    c->out_cap = want;
}

static int queue_append(lm_conn *c, const char *a, size_t alen, const char *b, size_t blen)
{
    size_t limit = c->loop->srv->cfg.max_output;

    if (c->state != CS_OPEN && c->state != CS_HANDSHAKE)
        return LM_ERR;
    /* Before calling a client slow, give it what its socket will take now.
     * Without this, one turn of a fast sender (up to READ_BUDGET reads)
     * fanned out by chat could fill the queue of a client that reads fine,
     * because queues are otherwise flushed only at the end of the turn. */
    if (c->out_len + alen + blen > limit && c->state == CS_OPEN && c->tp && c->out_len)
        lm_conn_flush(c);
    if (c->state == CS_DEAD)
        return LM_ERR;
    if (c->out_len + alen + blen > limit) {
        lm_format(c->reason_buf, sizeof c->reason_buf, LM_M_REASON_QUEUE_FULL,
                  c->out_len + alen + blen);
        lm_conn_fail(c, c->reason_buf);
        return LM_ERR;
    }
    if (c->datagram) {
        /* The message's length first: each is sent as one datagram. */
        uint32_t n = (uint32_t)(alen + blen);
        queue_reserve(c, sizeof n + alen + blen);
        memcpy(c->out + c->out_head + c->out_len, &n, sizeof n);
        c->out_len += sizeof n;
    } else {
        queue_reserve(c, alen + blen);
    }
    memcpy(c->out + c->out_head + c->out_len, a, alen);
    c->out_len += alen;
    if (blen) {
        memcpy(c->out + c->out_head + c->out_len, b, blen);
        c->out_len += blen;
    }
    lm_conn_mark_dirty(c);
    return LM_OK;
}

int lm_conn_send(lm_conn *c, const char *msg, size_t len)
{
    int nl = lm_framer_wants_newline(&c->framer);
    return queue_append(c, msg, len, "\n", nl ? 1u : 0u);
}

int lm_conn_send_raw(lm_conn *c, const char *data, size_t len)
{
    return queue_append(c, data, len, NULL, 0);
}

/* Write as much of the queue as the transport takes. Returns LM_OK (all
 * written), LM_WANT_READ/LM_WANT_WRITE (the rest waits), or an error, after
 * which the connection is marked dead. An emptied queue gives its memory
 * back: idle connections hold no output buffer. */
int lm_conn_flush(lm_conn *c)
{
    while (c->out_len && c->datagram) {
        uint32_t len;
        long n;
        memcpy(&len, c->out + c->out_head, sizeof len);
        n = lm_tp_write(c->tp, c->out + c->out_head + sizeof len, len);
        if (n == LM_WANT_READ || n == LM_WANT_WRITE) {
            lm_conn_want(c, (int)n);
            return (int)n;
        }
        if (n < 0) {
            snprintf(c->reason_buf, sizeof c->reason_buf, "%s", c->tp->err);
            lm_conn_fail(c, c->reason_buf[0] ? c->reason_buf : lm_tr(LM_M_REASON_WRITE_FAILED));
            return (int)n;
        }
        /* One datagram, whole or not at all. */
        c->out_head += sizeof len + len;
        c->out_len -= sizeof len + len;
    }
    while (c->out_len) {
        long n = lm_tp_write(c->tp, c->out + c->out_head, c->out_len);
        if (n == LM_WANT_READ || n == LM_WANT_WRITE) {
            lm_conn_want(c, (int)n);
            return (int)n;
        }
        if (n <= 0) {
            snprintf(c->reason_buf, sizeof c->reason_buf, "%s", c->tp->err);
            lm_conn_fail(c, c->reason_buf[0] ? c->reason_buf : lm_tr(LM_M_REASON_WRITE_FAILED));
            return n < 0 ? (int)n : LM_ERR;
        }
        c->out_head += (size_t)n;
        c->out_len -= (size_t)n;
    }
    c->tp_wants = 0;
    free(c->out);
    c->out = NULL;
    c->out_head = c->out_cap = 0;
    return LM_OK;
}

/* ======================================================================
 * Closing
 * ==================================================================== */

void lm_conn_close(lm_conn *c, const char *reason)
{
    if (c->state == CS_CLOSING || c->state == CS_DEAD)
        return;
    c->reason = keep_reason(c, reason ? reason : lm_tr(LM_M_REASON_CLOSED));
    c->state = CS_CLOSING;
    c->t_active = lm_now_ms(); /* the closing grace period starts now */
    lm_conn_mark_dirty(c);
}

/* Hard failure: nothing more can be sent; the loop frees it this turn. */
void lm_conn_fail(lm_conn *c, const char *reason)
{
    if (c->state == CS_DEAD)
        return;
    c->reason = keep_reason(c, reason);
    c->state = CS_DEAD;
    lm_conn_mark_dirty(c);
}

/* ======================================================================
 * Accessors
 * ==================================================================== */

const char *lm_conn_peer(const lm_conn *c)
{
    return c->peer;
}
const char *lm_conn_transport(const lm_conn *c)
{
    return c->tp ? c->tp->desc : "?";
}
int lm_conn_secure(const lm_conn *c)
{
    return c->tp && c->tp->secure;
}
const char *lm_conn_cert_name(const lm_conn *c)
{
    return c->tp ? c->tp->peer_cn : "";
}
uint64_t lm_conn_id(const lm_conn *c)
{
    return c->id;
}
int lm_conn_line_mode(const lm_conn *c)
{
    return lm_framer_wants_newline(&c->framer);
}
void *lm_conn_data(const lm_conn *c)
{
    return c->svc_data;
}
void lm_conn_set_data(lm_conn *c, void *data)
{
    c->svc_data = data;
}
size_t lm_conn_queued(const lm_conn *c)
{
    return c->out_len;
}
int lm_conn_tls_binding(lm_conn *c, const char *label, unsigned char own_fp[32],
                        unsigned char *exported, size_t len)
{
    if (!c->tp || !c->tp->secure || lm_tls_own_fp(c->tp, own_fp) != 0)
        return -1;
    return lm_tls_export(c->tp, label, exported, len);
}
