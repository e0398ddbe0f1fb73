/* lanmsg accepting: new clients, and what each one speaks.
 *
 * A plain server opens every accepted connection at once. A TLS server
 * first looks at what the client sends: every TLS connection opens with a
 * handshake record, so anything else is a plain client, served with
 * --allow-plain and otherwise told, in plain text it can read, that TLS is
 * required. This is where a TLS connection is handed to the TLS backend. */
#include <stdio.h>
#include <string.h>

#include "core/engine.h"
#include "util/text.h"

#define ACCEPT_BATCH         64  /* accepts per event, so one loop cannot hog the queue */
#define ACCEPT_PAUSE_MS      500 /* after a failed accept (usually no descriptors left) */
#define MAX_OVER_LIMIT       64  /* "server full" connections allowed in flight */
#define TLS_RECORD_HANDSHAKE 0x16

/* Serve a connection as plain TCP from now on. */
static void open_plain(lm_conn *c)
{
    c->tp = lm_plain_new(c->sock, c->peer);
    lm_conn_open(c);
}

/* Take the next clients waiting on the listener, up to a batch. Each gets a
 * connection record, counted against --max-clients; a few past the limit
 * are kept just long enough to be told the server is full. */
void lm_accept_clients(lm_loop *l)
{
    lm_server *srv = l->srv;
    int i;

    for (i = 0; i < ACCEPT_BATCH; i++) {
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
            l->accept_paused_until = lm_now_ms() + ACCEPT_PAUSE_MS;
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
        c = lm_conn_new(l, s, peer, over);
        if (lm_poller_add(l->poller, s, LM_EV_READ, c) != LM_OK) {
            lm_conn_fail(c, lm_tr(LM_M_REASON_CANNOT_WATCH));
            continue;
        }
        c->registered = LM_EV_READ;
        if (srv->cfg.tls)
            c->state = CS_DETECT;
        else
            open_plain(c);
        lm_conn_mark_dirty(c);
    }
}

/* A TLS server's first look at a connection's input. */
void lm_accept_detect(lm_conn *c)
{
    lm_server *srv = c->loop->srv;
    unsigned char b;
    char err[LM_ADDR_MAX + 200];
    long n = lm_net_peek(c->sock, &b, 1, err, sizeof err);

    if (n == LM_WANT_READ)
        return;
    if (n <= 0) {
        lm_conn_fail(c, n == 0 ? lm_tr(LM_M_REASON_CLOSED_BEFORE_HS) : lm_tr(LM_M_REASON_LOST));
        return;
    }
    if (b == TLS_RECORD_HANDSHAKE) {
        c->tp = lm_tls_new(srv->cfg.tls, c->sock, c->peer, NULL, err, sizeof err);
        if (!c->tp) {
            snprintf(c->reason_buf, sizeof c->reason_buf, "%s", err);
            lm_conn_fail(c, c->reason_buf);
            return;
        }
        c->state = CS_HANDSHAKE;
        lm_conn_handshake(c);
        return;
    }
    if (srv->cfg.allow_plain) {
        open_plain(c);
        if (c->state == CS_OPEN)
            lm_conn_read(c);
        return;
    }
    {
        static const char msg[] =
            "error: this server requires TLS; connect with TLS (lanmsg-client --tls)\n";
        c->tp = lm_plain_new(c->sock, c->peer);
        c->state = CS_OPEN; /* to queue the notice */
        lm_conn_send_raw(c, msg, sizeof msg - 1);
        lm_info(LM_M_SRV_TLS_REQUIRED, c->peer);
        lm_conn_close(c, lm_tr(LM_M_REASON_PLAIN_ON_TLS));
    }
}

/* --allow-plain: every TLS client speaks first (ClientHello). One that
 * stays silent is a plain client waiting for the server, such as a chat
 * client that has not typed yet: serve it as plain. */
void lm_accept_silent_as_plain(lm_conn *c)
{
    open_plain(c);
    lm_conn_mark_dirty(c);
}
