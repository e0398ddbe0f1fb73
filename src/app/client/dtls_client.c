/* lanmsg-client --udp --tls: the tutorial's exchange over DTLS 1.2.
 *
 * A DTLS handshake over a connected UDP socket, verified exactly as over
 * TCP (CA, --servername, the same trust), then each message is one record
 * and each reply one record. Nothing here blocks without a bound: the
 * handshake waits for the socket or the library's retransmission timer,
 * within --timeout; a reply that does not come within a second is asked
 * for again, --retries times, as with plain --udp. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "lanmsg/dtls.h"
#include "platform/os.h"
#include "util/mem.h"
#include "util/text.h"

#define DTLS_TRY_MS 1000

/* The TCP client's state (client.h) holds the configuration, trust, the
 * transport and the socket, so the first-use question and the failure
 * lines are the same code as over TCP. */
typedef struct dtls_client {
    const lm_client_opts *o;
    lm_client cl;
} dtls_client;

/* Milliseconds left until `until` (0 = no limit: -1), at least 0. */
static long left_ms(uint64_t until)
{
    uint64_t now;
    if (!until)
        return -1;
    now = lm_now_ms();
    return now >= until ? 0 : (long)(until - now);
}

/* Run the handshake: wait for the socket or for the library's timer (a
 * flight to resend), whichever comes first, until --timeout. */
static int handshake(dtls_client *d)
{
    uint64_t until = d->o->timeout_ms > 0 ? lm_now_ms() + (uint64_t)d->o->timeout_ms : 0;
    for (;;) {
        int rc = lm_tp_handshake(d->cl.tp);
        long left, timer, wait;
        if (rc != LM_WANT_READ && rc != LM_WANT_WRITE)
            return rc;
        left = left_ms(until);
        if (left == 0) {
            lm_format(d->cl.tp->err, sizeof d->cl.tp->err, LM_M_CLI_DTLS_NO_ANSWER, d->cl.peer,
                      d->o->timeout_ms / 1000);
            return LM_ERR;
        }
        timer = lm_dtls_timer_ms(d->cl.tp);
        wait = timer >= 0 && (left < 0 || timer < left) ? timer : left;
        if (wait != 0 && lm_net_wait(d->cl.sock, rc == LM_WANT_WRITE, (int)wait) < 0)
            return LM_ERR;
    }
}

/* Print a failed handshake's line; returns the exit code. */
static int handshake_failed(dtls_client *d, int rc)
{
    if (rc == LM_ERR_RESET) {
        /* An ICMP "port unreachable" came back. */
        lm_warn(LM_M_CLI_UDP_REFUSED, d->cl.peer);
        return LM_EXIT_RUNTIME;
    }
    lm_client_handshake_failed(&d->cl);
    if (rc == LM_ERR_CONFIG)
        return LM_EXIT_USAGE;
    return rc == LM_ERR_TLS || rc == LM_ERR_VERIFY || rc == LM_ERR_NOT_TLS ? LM_EXIT_TLS
                                                                           : LM_EXIT_RUNTIME;
}

static void drop(dtls_client *d)
{
    if (d->cl.tp) {
        /* close_notify, best effort: the server forgets us at once. */
        if (lm_tp_shutdown(d->cl.tp) == LM_WANT_WRITE && lm_net_wait(d->cl.sock, 1, 1000) == 1)
            lm_tp_shutdown(d->cl.tp);
        lm_tp_destroy(d->cl.tp);
        d->cl.tp = NULL;
    }
    if (d->cl.has_sock)
        lm_net_close(d->cl.sock);
    d->cl.has_sock = 0;
}

/* A socket, a transport, a handshake: an exit code. */
static int connect_once(dtls_client *d)
{
    const lm_client_opts *o = d->o;
    char err[512];
    int rc;

    rc = lm_net_udp_connect(o->host, o->port, &d->cl.sock, d->cl.peer, sizeof d->cl.peer, err,
                            sizeof err);
    if (rc != LM_OK) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_RUNTIME;
    }
    d->cl.has_sock = 1;
    if (o->tls.insecure)
        lm_warn(LM_M_CLI_INSECURE, d->cl.peer);
    lm_debug(LM_M_CLI_DTLS_TO, d->cl.peer);
    d->cl.tp = lm_dtls_new(d->cl.tls, d->cl.sock, d->cl.peer,
                           o->servername ? o->servername : o->host, err, sizeof err);
    if (!d->cl.tp) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_USAGE;
    }
    rc = handshake(d);
    if (rc != LM_OK)
        return handshake_failed(d, rc);
    /* A server met for the first time: asked about, or remembered. */
    rc = lm_client_first_use(&d->cl);
    if (rc != LM_OK)
        return rc == LM_ERR_CONFIG ? LM_EXIT_USAGE : LM_EXIT_TLS;
    lm_info(LM_M_CLI_CONNECTED, d->cl.peer, d->cl.tp->desc);
    lm_debug(LM_M_CLI_TLS_DETAIL, lm_tr(d->cl.tp->resumed ? LM_M_WORD_RESUMED : LM_M_WORD_NEW),
             lm_tr(d->cl.tp->verified ? LM_M_WORD_VERIFIED : LM_M_WORD_NOT_VERIFIED));
    return LM_EXIT_OK;
}

/* Show one reply; a reply starting with "error: " is the server refusing. */
static void show_reply(dtls_client *d, const char *reply, size_t n, int *refused)
{
    char shown[4096];
    lm_escape(shown, sizeof shown, reply, n);
    if (n >= 7 && memcmp(reply, "error: ", 7) == 0) {
        lm_warn(LM_M_CLI_SERVER_ERROR, d->cl.peer, shown);
        *refused = 1;
    } else if (d->o->verbose >= 0) {
        lm_info(LM_M_CLI_REPLY, shown);
    } else {
        /* -q: just the reply, for scripts; at once, for one that waits
         * for it before writing the next line */
        printf("%s\n", shown);
        fflush(stdout);
    }
}

/* Send one message as one record and wait for the reply; send it again
 * when none comes within a second. Returns an exit code. */
static int exchange(dtls_client *d, const char *msg, size_t len, int *refused)
{
    static char reply[16385];
    const lm_client_opts *o = d->o;
    int wait_ms = o->timeout_ms > 0 && o->timeout_ms < DTLS_TRY_MS ? o->timeout_ms : DTLS_TRY_MS;
    size_t max = lm_dtls_max_message(d->cl.tp);

    *refused = 0;
    if (len > max) {
        lm_format(d->cl.tp->err, sizeof d->cl.tp->err, LM_M_TLS_DTLS_TOO_BIG, len, max);
        lm_warn(LM_M_PASSTHROUGH, d->cl.tp->err);
        *refused = 1;
        return LM_EXIT_OK;
    }
    for (int try = 0; try <= o->retries; try++) {
        uint64_t until = lm_now_ms() + (uint64_t)wait_ms;
        long n = lm_tp_write(d->cl.tp, msg, len);
        /* After a would-block, the same bytes again (transport.h). */
        while ((n == LM_WANT_WRITE || n == LM_WANT_READ) && left_ms(until) > 0 &&
               lm_net_wait(d->cl.sock, n == LM_WANT_WRITE, (int)left_ms(until)) >= 0)
            n = lm_tp_write(d->cl.tp, msg, len);
        if (n < 0 && n != LM_WANT_WRITE && n != LM_WANT_READ) {
            lm_warn(LM_M_PASSTHROUGH, d->cl.tp->err);
            return LM_EXIT_RUNTIME;
        }
        for (;;) {
            n = lm_tp_read(d->cl.tp, reply, sizeof reply - 1);
            if (n > 0) {
                show_reply(d, reply, (size_t)n, refused);
                return LM_EXIT_OK;
            }
            if (n == 0) {
                lm_warn(LM_M_CLI_CLOSED_EARLY, d->cl.peer);
                return LM_EXIT_RUNTIME;
            }
            if (n != LM_WANT_READ && n != LM_WANT_WRITE) {
                if (n == LM_ERR_RESET)
                    lm_warn(LM_M_CLI_UDP_REFUSED, d->cl.peer);
                else
                    lm_warn(LM_M_PASSTHROUGH, d->cl.tp->err);
                return n == LM_ERR_TLS || n == LM_ERR_VERIFY ? LM_EXIT_TLS : LM_EXIT_RUNTIME;
            }
            if (left_ms(until) == 0)
                break; /* lost, either way: ask again */
            if (lm_net_wait(d->cl.sock, n == LM_WANT_WRITE, (int)left_ms(until)) < 0)
                return LM_EXIT_RUNTIME;
        }
    }
    lm_warn(LM_M_CLI_DTLS_NO_REPLY, d->cl.peer, o->retries + 1, wait_ms / 1000.0);
    return LM_EXIT_RUNTIME;
}

/* The message, or each stdin line (NULL message), as lm_udp_client_run. */
static int run_messages(dtls_client *d, const char *message)
{
    int rc, refused = 0, failed = LM_EXIT_OK, any = 0;
    if (message) {
        rc = exchange(d, message, strlen(message), &refused);
        return rc != LM_EXIT_OK ? rc : refused ? LM_EXIT_RUNTIME : LM_EXIT_OK;
    }
    char *line = NULL;
    size_t cap = 0;
    long n;
    rc = LM_EXIT_OK;
    while (rc == LM_EXIT_OK && (n = lm_read_line(&line, &cap, stdin)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        any = 1;
        rc = exchange(d, line, (size_t)n, &refused);
        if (refused)
            failed = LM_EXIT_RUNTIME;
    }
    free(line);
    if (!any) /* an empty stdin, as under a service manager: the default */
        rc = exchange(d, "Olá servidor!", strlen("Olá servidor!"), &refused);
    if (refused)
        failed = LM_EXIT_RUNTIME;
    return rc != LM_EXIT_OK ? rc : failed;
}

int lm_dtls_client_run(const lm_client_opts *o, const char *message)
{
    dtls_client d;
    char err[512];
    int rc = LM_EXIT_OK;

    if (o->fallback_plain) {
        lm_warn(LM_M_CLI_DTLS_FALLBACK);
        return LM_EXIT_USAGE;
    }
    memset(&d, 0, sizeof d);
    d.o = o;
    d.cl.o = o;
    /* The same CA search, pins, known_servers and pairing certificate as
     * --tls over TCP; the configuration gets its datagram side. */
    rc = lm_client_tls_setup(&d.cl, err, sizeof err);
    if (rc != LM_EXIT_OK) {
        lm_client_free(&d.cl); /* what it made before it failed */
        return rc;
    }
    /* --repeat: new handshakes, resuming the session (see -v). */
    for (int i = 0; i < o->repeat && rc == LM_EXIT_OK; i++) {
        rc = connect_once(&d);
        if (rc == LM_EXIT_OK)
            rc = run_messages(&d, message);
        drop(&d);
    }
    lm_client_free(&d.cl);
    return rc;
}
