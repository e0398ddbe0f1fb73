/* lanmsg event loop: one per thread.
 *
 * Each turn waits on the poller, hands each event to its connection (or to
 * the acceptor), then flushes every connection touched in the turn and
 * frees the ones that died, once no event of the batch can still point at
 * them. Timers (handshake, idle and line timeouts) are checked every tick.
 * Services are called only from inside a turn, never from a signal, and a
 * connection is never freed inside a service callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "util/mem.h"
#include "util/text.h"

#define TICK_MS            200 /* timer resolution and longest poll wait */
#define CLOSE_GRACE_MS     3000
#define DETECT_SILENCE_MS  1000 /* --allow-plain: a silent client is a plain one */
#define EVENT_BATCH        128
#define DGRAM_IDLE_MS      60000 /* a UDP peer with no --idle-timeout is forgotten after this */
#define REFUSED_WINDOW_MS  10000 /* refused TLS clients: at most ... */
#define REFUSED_PER_WINDOW 20    /* ... this many lines per window, per loop */

int lm_listener_tag; /* udata marking the listening socket */

lm_loop *lm_loop_new(lm_server *srv, char *err, size_t errlen)
{
    lm_loop *l = lm_xcalloc(1, sizeof *l);
    l->srv = srv;
    l->poller = lm_poller_new();
    if (!l->poller) {
        lm_format(err, errlen, LM_M_SRV_NO_POLLER);
        lm_loop_free(l);
        return NULL;
    }
    return l;
}

/* Free the loop and every connection still on it (they are cut, not
 * drained: lm_loop_run drains them on the way out). */
void lm_loop_free(lm_loop *l)
{
    if (!l)
        return;
    while (l->head) {
        lm_conn_fail(l->head, lm_tr(LM_M_REASON_SHUTTING_DOWN));
        lm_loop_settle(l);
    }
    lm_poller_free(l->poller);
    free(l->peers);
    free(l->cid_peers);
    free(l->dgram_buf);
    free(l);
}

/* Flush queued output of every connection touched this turn, finish
 * closing ones, and put dead ones on the grave list. */
static void process_dirty(lm_loop *l)
{
    while (l->dirty) {
        lm_conn *c = l->dirty;
        l->dirty = c->dirty_next;
        c->dirty = 0;
        c->dirty_next = NULL;
        if (c->state != CS_DEAD && c->tp && c->out_len &&
            (c->state == CS_OPEN || c->state == CS_CLOSING))
            lm_conn_flush(c);
        if (c->state == CS_CLOSING && !c->out_len && !c->shut) {
            int rc = lm_tp_shutdown(c->tp);
            if (rc == LM_WANT_READ || rc == LM_WANT_WRITE) {
                lm_conn_want(c, rc);
            } else {
                /* Wait (briefly, see check_timers) for the peer to close. */
                c->shut = 1;
                c->tp_wants = 0;
                if (rc != LM_OK || c->peer_done)
                    c->state = CS_DEAD;
            }
        }
        if (c->state != CS_DEAD)
            lm_conn_update_interest(c);
        if (c->state == CS_DEAD && !c->buried) {
            c->buried = 1;
            c->grave_next = l->grave;
            l->grave = c;
        }
    }
}

/* Free the connections that died this turn, once no event of the current
 * batch can still point at them (a broadcast may kill a connection whose
 * own event comes later in the same batch). Their on_close may queue
 * messages to others, so flush again until nothing is left. */
void lm_loop_settle(lm_loop *l)
{
    process_dirty(l);
    while (l->grave) {
        lm_conn *c = l->grave;
        l->grave = c->grave_next;
        lm_conn_free(c);
        if (!l->grave)
            process_dirty(l);
    }
}

int lm_loop_may_log_refused(lm_loop *l)
{
    uint64_t now = lm_now_ms();
    if (!l->refused_window)
        l->refused_window = now;
    if (l->refused_shown < REFUSED_PER_WINDOW) {
        l->refused_shown++;
        return 1;
    }
    l->refused_hidden++;
    return 0;
}

/* End the refused-client window: say how many were not shown. */
static void refused_window_tick(lm_loop *l, uint64_t now)
{
    if (!l->refused_window || now - l->refused_window < REFUSED_WINDOW_MS)
        return;
    if (l->refused_hidden)
        lm_info(LM_M_SRV_REFUSED_MORE, l->refused_hidden, REFUSED_WINDOW_MS / 1000);
    l->refused_window = 0;
    l->refused_shown = l->refused_hidden = 0;
}

/* Timeouts: a handshake that takes too long (or a client that never
 * speaks), an idle connection, and a line that is never finished
 * (slowloris). Checked every tick; cheap even with thousands of clients. */
static void check_timers(lm_loop *l, uint64_t now)
{
    const lm_server_config *cfg = &l->srv->cfg;
    lm_conn *c;

    for (c = l->head; c; c = c->next) {
        const char *why = NULL;
        if (c->state == CS_DETECT && cfg->allow_plain && now - c->t_start > DETECT_SILENCE_MS)
            lm_accept_silent_as_plain(c); /* may stay CS_DETECT: a TLS record has begun */
        /* DTLS: the library resends its last flight when its timer says
         * so, from inside the handshake call. */
        if (c->state == CS_HANDSHAKE && c->datagram && lm_dtls_timer_ms(c->tp) == 0) {
            lm_conn_handshake(c);
            lm_conn_mark_dirty(c);
        }
        if (c->state == CS_DETECT || c->state == CS_HANDSHAKE) {
            if (cfg->handshake_timeout_ms > 0 &&
                now - c->t_start > (uint64_t)cfg->handshake_timeout_ms)
                lm_conn_refused(c, lm_tr(LM_M_REASON_HS_TIMEOUT));
        } else if (c->state == CS_OPEN) {
            /* A datagram peer never says goodbye: it is forgotten when idle. */
            uint64_t idle = cfg->idle_timeout_ms > 0 ? (uint64_t)cfg->idle_timeout_ms
                            : c->datagram            ? DGRAM_IDLE_MS
                                                     : 0;
            if (idle && now - c->t_active > idle)
                why = lm_tr(LM_M_REASON_IDLE_TIMEOUT);
            else if (cfg->line_timeout_ms > 0 && c->t_partial &&
                     now - c->t_partial > (uint64_t)cfg->line_timeout_ms)
                why = lm_tr(LM_M_REASON_LINE_TIMEOUT);
        } else if (c->state == CS_CLOSING) {
            if (now - c->t_active > CLOSE_GRACE_MS) {
                c->state = CS_DEAD;
                lm_conn_mark_dirty(c);
            }
        }
        if (why) {
            if (c->state == CS_OPEN && cfg->verbose >= 0)
                lm_info(LM_M_SRV_TIMEOUT, c->peer, why);
            lm_conn_fail(c, why);
        }
    }
}

/* ---- the hook: sockets and a timer served beside the connections ---- */

static const lm_loop_hook *loop_hook(const lm_loop *l)
{
    return l == l->srv->loops[0] ? l->srv->cfg.hook : NULL;
}

static void hook_unwatch(lm_loop *l)
{
    for (int i = 0; i < l->hook_n; i++)
        lm_poller_del(l->poller, l->hook_w[i].sock);
    l->hook_n = 0;
}

/* Register what the hook wants watched now, replacing what it had. */
static void hook_rewatch(lm_loop *l)
{
    const lm_loop_hook *h = loop_hook(l);
    lm_watch w[LM_HOOK_MAX_WATCHES];
    int n;

    hook_unwatch(l);
    if (!h)
        return;
    n = h->watches(h->ctx, w, LM_HOOK_MAX_WATCHES);
    for (int i = 0; i < n && i < LM_HOOK_MAX_WATCHES; i++) {
        l->hook_w[l->hook_n] = w[i];
        if (lm_poller_add(l->poller, w[i].sock, w[i].events, &l->hook_w[l->hook_n]) == LM_OK)
            l->hook_n++;
    }
}

static lm_watch *hook_watch_of(lm_loop *l, void *udata)
{
    for (int i = 0; i < l->hook_n; i++)
        if (udata == &l->hook_w[i])
            return &l->hook_w[i];
    return NULL;
}

/* One turn. A poller that fails marks the loop failed: it cannot serve. */
static void loop_turn(lm_loop *l, int timeout_ms)
{
    lm_server *srv = l->srv;
    lm_event evs[EVENT_BATCH];
    int n, i, again = l->nagain > 0;
    lm_conn *c;
    uint64_t now;

    const lm_loop_hook *hook = loop_hook(l);
    int rewatch = 0;
    lm_watch *hw;

    if (hook) {
        long t = hook->timeout_ms(hook->ctx);
        if (t >= 0 && t < timeout_ms)
            timeout_ms = (int)t;
    }
    n = lm_poller_wait(l->poller, evs, EVENT_BATCH, again ? 0 : timeout_ms, l->err, sizeof l->err);
    if (n < 0) {
        l->failed = 1;
        return;
    }
    for (i = 0; i < n; i++) {
        if (evs[i].udata == &lm_listener_tag) {
            if (!atomic_load(&srv->stopping))
                lm_accept_clients(l);
        } else if (evs[i].udata == &lm_udp_tag) {
            lm_dgram_receive(l);
        } else if (hook && (hw = hook_watch_of(l, evs[i].udata)) != NULL) {
            rewatch |= hook->on_event(hook->ctx, hw->sock, evs[i].events);
        } else {
            lm_conn_event(evs[i].udata, evs[i].events);
        }
        process_dirty(l);
    }
    if (hook && hook->timeout_ms(hook->ctx) == 0)
        rewatch |= hook->on_timer(hook->ctx);
    if (rewatch)
        hook_rewatch(l);
    lm_loop_settle(l);
    if (again)
        for (c = l->head; c; c = c->next)
            if (c->again) {
                lm_conn_read(c);
                lm_conn_mark_dirty(c);
            }
    lm_loop_settle(l);
    now = lm_now_ms();
    if (!l->listening && srv->listener != LM_SOCK_INVALID && !atomic_load(&srv->stopping) &&
        now >= l->accept_paused_until) {
        if (lm_poller_add(l->poller, srv->listener, LM_EV_READ, &lm_listener_tag) == LM_OK)
            l->listening = 1;
        else /* try again after a pause, as after a failed accept */
            l->accept_paused_until = now + TICK_MS;
    }
    if (now - l->last_tick >= TICK_MS) {
        l->last_tick = now;
        check_timers(l, now);
        refused_window_tick(l, now);
        lm_loop_settle(l);
    }
}

/* Stop accepting, ask every connection to close (TLS close_notify after
 * its queue is flushed), and give them a moment before cutting them. */
static void loop_drain(lm_loop *l)
{
    uint64_t deadline = lm_now_ms() + CLOSE_GRACE_MS;
    lm_conn *c;

    if (l->listening) {
        lm_poller_del(l->poller, l->srv->listener);
        l->listening = 0;
    }
    hook_unwatch(l); /* its owner stops it once the server has stopped */
    if (l == l->srv->loops[0] && l->srv->udp != LM_SOCK_INVALID)
        lm_poller_del(l->poller, l->srv->udp);
    for (c = l->head; c; c = c->next) {
        if (c->state == CS_OPEN)
            lm_conn_close(c, lm_tr(LM_M_REASON_SHUTTING_DOWN));
        else if (c->state != CS_CLOSING)
            lm_conn_fail(c, lm_tr(LM_M_REASON_SHUTTING_DOWN));
    }
    lm_loop_settle(l);
    while (l->head && !l->failed && lm_now_ms() < deadline)
        loop_turn(l, 50);
    for (c = l->head; c; c = c->next)
        lm_conn_fail(c, lm_tr(LM_M_REASON_SHUTTING_DOWN));
    lm_loop_settle(l);
}

/* Serve until the server stops (a signal, or another loop that failed),
 * then drain. The first loop also performs reloads: they swap the TLS
 * configuration, which every loop reads under its lock. */
void lm_loop_run(lm_loop *l)
{
    lm_server *srv = l->srv;

    hook_rewatch(l);
    /* The UDP socket is read by the first loop only: its peers' table
     * belongs to one thread. */
    if (l == srv->loops[0] && srv->udp != LM_SOCK_INVALID &&
        lm_poller_add(l->poller, srv->udp, LM_EV_READ, &lm_udp_tag) != LM_OK) {
        lm_format(l->err, sizeof l->err, LM_M_SRV_NO_POLLER);
        l->failed = 1;
    }
    while (!*srv->stop && !atomic_load(&srv->stopping) && !l->failed) {
        if (srv->reload && *srv->reload && l == srv->loops[0]) {
            char err[256];
            *srv->reload = 0;
            if (srv->cfg.tls && lm_tls_config_reload(srv->cfg.tls, err, sizeof err) != LM_OK)
                lm_warn(LM_M_SRV_RELOAD_FAILED, err);
            else if (srv->cfg.tls)
                lm_info(LM_M_SRV_RELOADED);
        }
        loop_turn(l, TICK_MS);
    }
    atomic_store(&srv->stopping, 1);
    loop_drain(l);
}
