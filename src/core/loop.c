/* lanmsg server engine: listener, event loops and the connection state
 * machine.
 *
 * Each thread runs one event loop over non-blocking sockets. A connection
 * moves DETECT -> HANDSHAKE -> OPEN -> CLOSING -> DEAD. Nothing here blocks:
 * TLS handshakes, reads and writes all return "would block" and the loop
 * waits for exactly what the transport asked for (a TLS read may need the
 * socket writable). Services are called only from the top of the loop, and
 * a connection is never freed inside a service callback: closing only marks
 * it, and the loop reaps it at the end of the turn. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "util/text.h"

#define READ_CHUNK           16384
#define READ_BUDGET          64  /* reads per connection per turn, for fairness */
#define TICK_MS              200 /* timer resolution and longest poll wait */
#define CLOSE_GRACE_MS       3000
#define MAX_OVER_LIMIT       64 /* "server full" connections allowed in flight */
#define TLS_RECORD_HANDSHAKE 0x16
#define DETECT_SILENCE_MS    1000 /* --allow-plain: a silent client is a plain one */

struct lm_loop {
    lm_server *srv;
    lm_poller *poller;
    lm_conn *head;
    lm_conn *dirty; /* connections to flush or reap this turn */
    lm_conn *grave; /* dead connections, freed at the end of the turn */
    int nagain;     /* connections with input left after their budget */
    int listening;  /* listener registered with this poller */
    uint64_t accept_paused_until;
    uint64_t last_tick;
    pthread_t thread;
    char scratch[READ_CHUNK];
};

struct lm_server {
    lm_server_config cfg;
    void *svc_state;
    lm_sock listener;
    char address[LM_ADDR_MAX];
    int port;
    int nloops;
    lm_loop **loops;
    atomic_int clients;    /* open + handshaking, all loops */
    atomic_int over_limit; /* "server full" connections in flight */
    atomic_ullong next_id;
    volatile sig_atomic_t *stop;
    volatile sig_atomic_t *reload;
    atomic_int stopping;
};

static int listener_tag; /* udata marking the listening socket */

/* ======================================================================
 * Configuration
 * ==================================================================== */

void lm_server_config_defaults(lm_server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->host = "0.0.0.0";
    cfg->port = "5000";
    cfg->framing = LM_FRAMING_AUTO;
    cfg->max_line = LM_DEFAULT_MAX_LINE;
    cfg->reply = "Mensagem recebida";
    cfg->handshake_timeout_ms = 10000;
    cfg->line_timeout_ms = 30000;
    cfg->max_clients = 1024;
    cfg->max_output = 1024 * 1024;
    cfg->threads = 1;
}

size_t lm_loop_max_output(const lm_loop *l)
{
    return l->srv->cfg.max_output;
}
const lm_server_config *lm_server_get_config(const lm_server *srv)
{
    return &srv->cfg;
}
int lm_server_port(const lm_server *srv)
{
    return srv->port;
}
const char *lm_server_address(const lm_server *srv)
{
    return srv->address;
}
lm_server *lm_conn_server(const lm_conn *c)
{
    return c->loop->srv;
}

/* ======================================================================
 * Connection bookkeeping
 * ==================================================================== */

void lm_conn_mark_dirty(lm_conn *c)
{
    if (!c->dirty) {
        c->dirty = 1;
        c->dirty_next = c->loop->dirty;
        c->loop->dirty = c;
    }
}

/* Register with the poller for what the connection needs now: input while
 * it can take messages, output while its queue is not empty, and whatever
 * the transport itself asked for. */
static void update_interest(lm_conn *c)
{
    int want = c->tp_wants;
    lm_sock s = c->tp ? c->tp->sock : c->sock;

    if (c->state == CS_DEAD)
        return;
    if (!c->peer_done)
        want |= LM_EV_READ;
    if (c->out_len)
        want |= c->tp_wants ? c->tp_wants : LM_EV_WRITE;
    if (want != c->registered) {
        lm_poller_mod(c->loop->poller, s, want, c);
        c->registered = want;
    }
}

static void conn_free(lm_conn *c)
{
    lm_loop *l = c->loop;
    lm_server *srv = l->srv;
    lm_sock s = c->tp ? c->tp->sock : c->sock;

    lm_poller_del(l->poller, s);
    if (c->again)
        l->nagain--;
    if (c->opened && srv->cfg.service->on_close)
        srv->cfg.service->on_close(srv->svc_state, c);
    if (c->opened)
        lm_info(LM_M_SRV_DISCONNECTED, c->peer, c->reason ? c->reason : lm_tr(LM_M_REASON_CLOSED));
    else if (!c->over_limit)
        lm_debug(LM_M_SRV_DROPPED, c->peer, c->reason ? c->reason : lm_tr(LM_M_REASON_CLOSED));
    if (c->tp)
        lm_tp_destroy(c->tp);
    else
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
    lm_conn_free_buffers(c);
    free(c);
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
    srv->cfg.service->on_message(srv->svc_state, c, msg, len);
    return c->state != CS_OPEN;
}

/* Read what the transport has, up to a budget, and feed the framer. When
 * the transport reports nothing more right now, tell the framer (auto mode
 * ends a raw message there). EOF delivers a last unterminated line, then the
 * connection closes after its replies are flushed: a half-closing client
 * still gets its answer. */
static void conn_read(lm_conn *c)
{
    lm_loop *l = c->loop;
    int i;

    if (c->again) {
        c->again = 0;
        l->nagain--;
    }
    for (i = 0; i < READ_BUDGET && c->state == CS_OPEN; i++) {
        long n = lm_tp_read(c->tp, l->scratch, sizeof l->scratch);
        if (n > 0) {
            c->t_active = lm_now_ms();
            if (lm_framer_push(&c->framer, l->scratch, (size_t)n, on_frame, c) < 0)
                lm_conn_fail(c, lm_tr(LM_M_OUT_OF_MEMORY));
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
            c->tp_wants = n == LM_WANT_WRITE ? LM_EV_WRITE : 0;
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

/* ======================================================================
 * Accepting, detecting and handshaking
 * ==================================================================== */

static void conn_open(lm_conn *c)
{
    lm_server *srv = c->loop->srv;

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
    c->opened = 1;
    lm_info(LM_M_SRV_CONNECTION, c->peer, c->tp->desc);
    if (c->tp->secure)
        lm_debug(LM_M_SRV_TLS_DETAIL, c->peer,
                 lm_tr(c->tp->resumed ? LM_M_WORD_RESUMED : LM_M_WORD_FULL),
                 c->tp->peer_cn[0] ? c->tp->peer_cn : "-");
    if (srv->cfg.service->on_open)
        srv->cfg.service->on_open(srv->svc_state, c);
}

static void conn_handshake(lm_conn *c)
{
    int rc = lm_tp_handshake(c->tp);

    if (rc == LM_OK) {
        conn_open(c);
        if (c->state == CS_OPEN)
            conn_read(c); /* data may have come with the last flight */
        return;
    }
    if (rc == LM_WANT_READ || rc == LM_WANT_WRITE) {
        c->tp_wants = rc == LM_WANT_WRITE ? LM_EV_WRITE : 0;
        return;
    }
    lm_format(c->reason_buf, sizeof c->reason_buf, LM_M_REASON_HS_FAILED,
              c->tp->err[0] ? c->tp->err : lm_tr(LM_M_REASON_UNKNOWN_ERROR));
    lm_debug(LM_M_SRV_HANDSHAKE_FAILED, c->peer, c->tp->err);
    lm_conn_fail(c, c->reason_buf);
}

/* A TLS-enabled server looks at the first byte before choosing a
 * transport: every TLS connection opens with a handshake record (0x16).
 * Anything else is a plain client, served with --allow-plain and otherwise
 * told, in plain text it can read, that TLS is required. */
static void conn_detect(lm_conn *c)
{
    lm_server *srv = c->loop->srv;
    unsigned char b;
    char err[128];
    long n = lm_net_peek(c->sock, &b, 1, err, sizeof err);

    if (n == LM_WANT_READ)
        return;
    if (n <= 0) {
        lm_conn_fail(c, n == 0 ? lm_tr(LM_M_REASON_CLOSED_BEFORE_HS) : lm_tr(LM_M_REASON_LOST));
        return;
    }
    if (b == TLS_RECORD_HANDSHAKE) {
        c->tp = lm_tls_new(srv->cfg.tls, c->sock, c->peer, NULL);
        if (!c->tp) {
            lm_conn_fail(c, lm_tr(LM_M_OUT_OF_MEMORY));
            return;
        }
        c->state = CS_HANDSHAKE;
        conn_handshake(c);
        return;
    }
    c->tp = lm_plain_new(c->sock, c->peer);
    if (!c->tp) {
        lm_conn_fail(c, lm_tr(LM_M_OUT_OF_MEMORY));
        return;
    }
    if (srv->cfg.allow_plain) {
        conn_open(c);
        if (c->state == CS_OPEN)
            conn_read(c);
        return;
    }
    {
        static const char msg[] =
            "error: this server requires TLS; connect with TLS (lanmsg-client --tls)\n";
        c->state = CS_OPEN; /* to queue the notice */
        lm_conn_send_raw(c, msg, sizeof msg - 1);
        lm_info(LM_M_SRV_TLS_REQUIRED, c->peer);
        lm_conn_close(c, lm_tr(LM_M_REASON_PLAIN_ON_TLS));
    }
}

static void accept_clients(lm_loop *l)
{
    lm_server *srv = l->srv;
    int i;

    for (i = 0; i < 64; i++) {
        lm_sock s;
        char peer[LM_ADDR_MAX], err[160];
        lm_conn *c;
        int rc = lm_net_accept(srv->listener, &s, peer, sizeof peer, err, sizeof err);
        int over = 0;

        if (rc == LM_WANT_READ)
            return;
        if (rc == LM_ERR_RESET)
            continue;
        if (rc != LM_OK) {
            /* Usually out of file descriptors: the listener would stay
             * readable and spin the loop, so stop accepting briefly. */
            lm_warn(LM_M_SRV_ACCEPT_FAILED, err);
            lm_poller_del(l->poller, srv->listener);
            l->listening = 0;
            l->accept_paused_until = lm_now_ms() + 500;
            return;
        }
        if (atomic_fetch_add(&srv->clients, 1) >= srv->cfg.max_clients) {
            atomic_fetch_sub(&srv->clients, 1);
            if (atomic_fetch_add(&srv->over_limit, 1) >= MAX_OVER_LIMIT) {
                atomic_fetch_sub(&srv->over_limit, 1);
                lm_net_close(s);
                continue;
            }
            over = 1;
        }
        c = calloc(1, sizeof *c);
        if (!c) {
            lm_net_close(s);
            atomic_fetch_sub(over ? &srv->over_limit : &srv->clients, 1);
            continue;
        }
        c->loop = l;
        c->sock = s;
        c->over_limit = over;
        c->id = atomic_fetch_add(&srv->next_id, 1) + 1;
        c->t_start = c->t_active = lm_now_ms();
        memcpy(c->peer, peer, sizeof c->peer);
        lm_framer_init(&c->framer, srv->cfg.framing, srv->cfg.max_line);
        c->next = l->head;
        if (l->head)
            l->head->prev = c;
        l->head = c;
        c->registered = LM_EV_READ;
        if (lm_poller_add(l->poller, s, LM_EV_READ, c) != LM_OK) {
            c->registered = 0;
            lm_conn_fail(c, lm_tr(LM_M_REASON_CANNOT_WATCH));
            continue;
        }
        if (srv->cfg.tls) {
            c->state = CS_DETECT;
        } else {
            c->tp = lm_plain_new(s, peer);
            if (!c->tp) {
                lm_conn_fail(c, lm_tr(LM_M_OUT_OF_MEMORY));
                continue;
            }
            conn_open(c);
        }
        lm_conn_mark_dirty(c);
    }
}

/* ======================================================================
 * The loop
 * ==================================================================== */

static void conn_event(lm_conn *c, int events)
{
    if (events & LM_EV_ERROR && c->state != CS_DEAD && !(events & LM_EV_READ)) {
        lm_conn_fail(c, lm_tr(LM_M_REASON_LOST));
        return;
    }
    switch (c->state) {
    case CS_DETECT:
        conn_detect(c);
        break;
    case CS_HANDSHAKE:
        conn_handshake(c);
        break;
    case CS_OPEN:
        /* A read that wanted the socket writable (TLS) is retried on any
         * event; so is the flush. */
        if (events & LM_EV_READ || c->tp_wants)
            conn_read(c);
        break;
    case CS_CLOSING:
        /* Input is no longer delivered but still drained: closing a socket
         * with unread bytes makes the kernel send a reset, which can destroy
         * our last reply before the peer reads it. */
        if (events & LM_EV_READ) {
            int i;
            for (i = 0; i < READ_BUDGET; i++) {
                long n = lm_tp_read(c->tp, c->loop->scratch, sizeof c->loop->scratch);
                if (n > 0)
                    continue;
                if (n != LM_WANT_READ && n != LM_WANT_WRITE)
                    c->peer_done = 1;
                break;
            }
            if (c->peer_done && c->shut)
                c->state = CS_DEAD;
        }
        break;
    case CS_DEAD:
        break;
    }
    lm_conn_mark_dirty(c);
}

/* Flush queued output of every connection touched this turn, finish
 * closing ones, and free dead ones. */
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
                c->tp_wants = rc == LM_WANT_WRITE ? LM_EV_WRITE : LM_EV_READ;
            } else {
                /* Wait (briefly, see check_timers) for the peer to close. */
                c->shut = 1;
                c->tp_wants = 0;
                if (rc != LM_OK || c->peer_done)
                    c->state = CS_DEAD;
            }
        }
        if (c->state != CS_DEAD) {
            update_interest(c);
        } else if (!c->buried) {
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
static void settle(lm_loop *l)
{
    process_dirty(l);
    while (l->grave) {
        lm_conn *c = l->grave;
        l->grave = c->grave_next;
        conn_free(c);
        if (!l->grave)
            process_dirty(l);
    }
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
        if (c->state == CS_DETECT && cfg->allow_plain && now - c->t_start > DETECT_SILENCE_MS) {
            /* Every TLS client speaks first (ClientHello). One that stays
             * silent is a plain client waiting for the server, such as a
             * chat client that has not typed yet: serve it as plain. */
            c->tp = lm_plain_new(c->sock, c->peer);
            if (!c->tp)
                why = lm_tr(LM_M_OUT_OF_MEMORY);
            else
                conn_open(c);
            lm_conn_mark_dirty(c);
        } else if (c->state == CS_DETECT || c->state == CS_HANDSHAKE) {
            if (cfg->handshake_timeout_ms > 0 &&
                now - c->t_start > (uint64_t)cfg->handshake_timeout_ms)
                why = lm_tr(LM_M_REASON_HS_TIMEOUT);
        } else if (c->state == CS_OPEN) {
            if (cfg->idle_timeout_ms > 0 && now - c->t_active > (uint64_t)cfg->idle_timeout_ms)
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

static void loop_turn(lm_loop *l, int timeout_ms)
{
    lm_server *srv = l->srv;
    lm_event evs[128];
    int n, i, again = l->nagain > 0;
    lm_conn *c;
    uint64_t now;

    n = lm_poller_wait(l->poller, evs, 128, again ? 0 : timeout_ms);
    for (i = 0; i < n; i++) {
        if (evs[i].udata == &listener_tag) {
            if (!atomic_load(&srv->stopping))
                accept_clients(l);
        } else {
            conn_event(evs[i].udata, evs[i].events);
        }
        process_dirty(l);
    }
    settle(l);
    if (again)
        for (c = l->head; c; c = c->next)
            if (c->again) {
                conn_read(c);
                lm_conn_mark_dirty(c);
            }
    settle(l);
    now = lm_now_ms();
    if (!l->listening && !atomic_load(&srv->stopping) && now >= l->accept_paused_until) {
        if (lm_poller_add(l->poller, srv->listener, LM_EV_READ, &listener_tag) == LM_OK)
            l->listening = 1;
    }
    if (now - l->last_tick >= TICK_MS) {
        l->last_tick = now;
        check_timers(l, now);
        settle(l);
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
    for (c = l->head; c; c = c->next) {
        if (c->state == CS_OPEN)
            lm_conn_close(c, lm_tr(LM_M_REASON_SHUTTING_DOWN));
        else if (c->state != CS_CLOSING)
            lm_conn_fail(c, lm_tr(LM_M_REASON_SHUTTING_DOWN));
    }
    settle(l);
    while (l->head && lm_now_ms() < deadline)
        loop_turn(l, 50);
    for (c = l->head; c; c = c->next)
        lm_conn_fail(c, lm_tr(LM_M_REASON_SHUTTING_DOWN));
    settle(l);
}

static void loop_run(lm_loop *l)
{
    lm_server *srv = l->srv;

    while (!*srv->stop && !atomic_load(&srv->stopping)) {
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

static void *loop_thread(void *arg)
{
    loop_run(arg);
    return NULL;
}

/* ======================================================================
 * Server life cycle
 * ==================================================================== */

lm_server *lm_server_new(const lm_server_config *cfg, char *err, size_t errlen, int *code)
{
    lm_server *srv = calloc(1, sizeof *srv);
    int i, dummy;

    if (!code)
        code = &dummy;
    *code = LM_ERR;
    if (!srv) {
        snprintf(err, errlen, "%s", lm_tr(LM_M_OUT_OF_MEMORY));
        return NULL;
    }
    srv->cfg = *cfg;
    if (!srv->cfg.service)
        srv->cfg.service = lm_service_find("ack");
    if (srv->cfg.threads < 1)
        srv->cfg.threads = 1;
    srv->listener = LM_SOCK_INVALID;
    if (srv->cfg.service->init &&
        srv->cfg.service->init(srv, &srv->svc_state, err, errlen) != LM_OK) {
        *code = LM_ERR_CONFIG; /* the service refused this configuration */
        free(srv);
        return NULL;
    }
    if (lm_net_listen(srv->cfg.host, srv->cfg.port, 1024, &srv->listener, err, errlen) != LM_OK) {
        lm_server_free(srv);
        return NULL;
    }
    srv->port = lm_net_local_addr(srv->listener, srv->address, sizeof srv->address);
    srv->nloops = srv->cfg.threads;
    srv->loops = calloc((size_t)srv->nloops, sizeof *srv->loops);
    for (i = 0; srv->loops && i < srv->nloops; i++) {
        lm_loop *l = calloc(1, sizeof *l);
        srv->loops[i] = l;
        if (!l || !(l->poller = lm_poller_new()))
            break;
        l->srv = srv;
    }
    if (!srv->loops || i < srv->nloops) {
        snprintf(err, errlen, "cannot create the event loop: out of resources");
        lm_server_free(srv);
        return NULL;
    }
    return srv;
}

int lm_server_run(lm_server *srv, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
    static volatile sig_atomic_t never;
    int i, started = 1;

    srv->stop = stop ? stop : &never;
    srv->reload = reload;
    for (i = 1; i < srv->nloops; i++) {
        if (pthread_create(&srv->loops[i]->thread, NULL, loop_thread, srv->loops[i]) != 0)
            break;
        started++;
    }
    loop_run(srv->loops[0]);
    for (i = 1; i < started; i++)
        pthread_join(srv->loops[i]->thread, NULL);
    return LM_OK;
}

void lm_server_for_each(lm_server *srv, void (*fn)(lm_conn *c, void *ctx), void *ctx)
{
    int i;
    for (i = 0; i < srv->nloops; i++) {
        lm_conn *c, *next;
        for (c = srv->loops[i]->head; c; c = next) {
            next = c->next;
            if (c->state == CS_OPEN && c->opened)
                fn(c, ctx);
        }
    }
}

void lm_server_free(lm_server *srv)
{
    int i;
    if (!srv)
        return;
    for (i = 0; srv->loops && i < srv->nloops; i++) {
        lm_loop *l = srv->loops[i];
        if (!l)
            continue;
        while (l->head) {
            lm_conn_fail(l->head, lm_tr(LM_M_REASON_SHUTTING_DOWN));
            settle(l);
        }
        lm_poller_free(l->poller);
        free(l);
    }
    free(srv->loops);
    lm_net_close(srv->listener);
    if (srv->cfg.service && srv->cfg.service->fini)
        srv->cfg.service->fini(srv->svc_state);
    free(srv);
}
