/* lanmsg accepting: new clients, and what each one speaks.
 *
 * A plain server opens every accepted connection at once. A TLS server
 * first reads what the client sends through the ClientHello front end
 * (src/transport/hello.c): a plain-text client is served with --allow-plain
 * and otherwise told, in plain text it can read, that TLS is required;
 * malformed TLS gets its alert at once; a whole ClientHello, however it was
 * cut into records, is handed to the TLS backend as one record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "util/mem.h"
#include "util/text.h"

#define ACCEPT_BATCH    64  /* accepts per event, so one loop cannot hog the queue */
#define ACCEPT_PAUSE_MS 500 /* after a failed accept (usually no descriptors left) */
#define MAX_OVER_LIMIT  64  /* "server full" connections allowed in flight */

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

/* The peer speaks plain text (the front end's verdict, with the bytes it
 * read): served with --allow-plain, otherwise told in plain text that TLS
 * is required. */
static void detected_plain(lm_conn *c, const unsigned char *prefix, size_t len)
{
    lm_server *srv = c->loop->srv;
    static const char msg[] =
        "error: this server requires TLS; connect with TLS (lanmsg-client --tls)\n";

    c->tp = lm_plain_new_prefixed(c->sock, c->peer, prefix, len);
    if (srv->cfg.allow_plain) {
        lm_conn_open(c);
        if (c->state == CS_OPEN)
            lm_conn_read(c);
        return;
    }
    c->state = CS_OPEN; /* to queue the notice */
    lm_conn_send_raw(c, msg, sizeof msg - 1);
    lm_info(LM_M_SRV_TLS_REQUIRED, c->peer);
    lm_conn_close(c, lm_tr(LM_M_REASON_PLAIN_ON_TLS));
}

/* Act on the front end's final verdict, then forget the front end. */
static void detected(lm_conn *c, lm_hello_status st)
{
    lm_server *srv = c->loop->srv;
    size_t len;
    const unsigned char *out = lm_hello_output(c->hello, &len);
    char err[LM_ADDR_MAX + 200];
    lm_hello_info info;

    switch (st) {
    case LM_HELLO_NEED_MORE:
        return;
    case LM_HELLO_DONE:
        c->tp =
            lm_tls_new_server_prefixed(srv->cfg.tls, c->sock, c->peer, out, len, err, sizeof err);
        if (!c->tp) {
            snprintf(c->reason_buf, sizeof c->reason_buf, "%s", err);
            lm_conn_fail(c, c->reason_buf);
        } else {
            c->state = CS_HANDSHAKE;
        }
        break;
    case LM_HELLO_PLAIN:
        detected_plain(c, out, len);
        break;
    case LM_HELLO_ALERT:
        /* Before any key exists the alert goes in the clear; the closing
         * path flushes it, then drains the peer's input so that no reset
         * destroys it. */
        lm_hello_get_info(c->hello, &info);
        c->tp = lm_plain_new(c->sock, c->peer);
        c->state = CS_OPEN; /* to queue the alert */
        lm_conn_send_raw(c, (const char *)out, len);
        lm_format(c->reason_buf, sizeof c->reason_buf, LM_M_REASON_HELLO_ALERT,
                  lm_hello_alert_name(info.alert), lm_hello_why_text(info.why));
        if (lm_loop_may_log_refused(c->loop))
            lm_info(LM_M_SRV_REFUSED, c->peer, c->reason_buf);
        c->logged = 1;
        lm_conn_close(c, c->reason_buf);
        break;
    case LM_HELLO_CLOSED:
        lm_conn_fail(c, lm_tr(LM_M_REASON_CLOSED_BEFORE_HS));
        break;
    }
    lm_hello_free(c->hello);
    free(c->hello);
    c->hello = NULL;
    if (c->state == CS_HANDSHAKE)
        lm_conn_handshake(c);
}

/* A TLS server's first look at a connection: the ClientHello front end
 * reads until it can tell plain text from TLS, and for TLS until the whole
 * ClientHello is there (never past it), or until the input deserves an
 * alert. */
void lm_accept_detect(lm_conn *c)
{
    lm_loop *l = c->loop;
    char err[160];
    lm_hello_status st = LM_HELLO_NEED_MORE;

    if (!c->hello) {
        c->hello = lm_xmalloc(sizeof *c->hello);
        lm_hello_init(c->hello, lm_tls_hello_limit());
    }
    while (st == LM_HELLO_NEED_MORE) {
        size_t want = lm_hello_want(c->hello);
        long n;
        if (want > sizeof l->scratch)
            want = sizeof l->scratch;
        n = lm_net_recv(c->sock, l->scratch, want, err, sizeof err);
        if (n == LM_WANT_READ)
            return;
        if (n < 0) {
            lm_conn_fail(c, lm_tr(LM_M_REASON_LOST));
            return;
        }
        st = n == 0 ? lm_hello_eof(c->hello) : lm_hello_push(c->hello, l->scratch, (size_t)n, NULL);
    }
    detected(c, st);
}

/* --allow-plain: every TLS client speaks first (ClientHello). One that
 * stays silent is a plain client waiting for the server, such as a chat
 * client that has not typed yet: serve it as plain. One that has begun a
 * TLS record stays TLS, and the handshake timeout applies. */
void lm_accept_silent_as_plain(lm_conn *c)
{
    if (!c->hello) {
        detected_plain(c, NULL, 0);
    } else {
        lm_hello_status st = lm_hello_silence(c->hello);
        if (st != LM_HELLO_NEED_MORE)
            detected(c, st);
    }
    lm_conn_mark_dirty(c);
}
