/* lanmsg-client --udp: the tutorial's exchange over SOCK_DGRAM.
 *
 * Each message is one datagram, sent as it is (no newline: a datagram
 * carries its own boundary), and each reply is one datagram. UDP promises
 * nothing, so a reply that does not come within a second is asked for
 * again, a bounded number of times, and then reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "platform/os.h"
#include "util/mem.h"
#include "util/text.h"

#define UDP_TRY_MS 1000

/* Send one datagram and wait for the reply to it; resend when none comes.
 * Returns an exit code; sets *refused when the server answered "error: ". */
static int exchange(lm_sock s, const lm_client_opts *o, const char *peer, const char *msg,
                    size_t len, int *refused)
{
    static char reply[65536];
    char err[256], shown[4096];
    int wait_ms = o->timeout_ms > 0 && o->timeout_ms < UDP_TRY_MS ? o->timeout_ms : UDP_TRY_MS;

    *refused = 0;
    for (int try = 0; try <= o->retries; try++) {
        long n = lm_net_send(s, msg, len, err, sizeof err);
        if (n == LM_ERR_RESET) {
            lm_warn(LM_M_CLI_UDP_REFUSED, peer);
            return LM_EXIT_RUNTIME;
        }
        if (n < 0) {
            lm_warn(LM_M_PASSTHROUGH, err);
            return LM_EXIT_RUNTIME;
        }
        if (lm_net_wait(s, 0, wait_ms) <= 0)
            continue; /* lost, either way: ask again */
        n = lm_net_recv(s, reply, sizeof reply, err, sizeof err);
        if (n == LM_ERR_RESET) {
            lm_warn(LM_M_CLI_UDP_REFUSED, peer);
            return LM_EXIT_RUNTIME;
        }
        if (n < 0) {
            if (n == LM_WANT_READ)
                continue;
            lm_warn(LM_M_PASSTHROUGH, err);
            return LM_EXIT_RUNTIME;
        }
        lm_escape(shown, sizeof shown, reply, (size_t)n);
        if (n >= 7 && memcmp(reply, "error: ", 7) == 0) {
            lm_warn(LM_M_CLI_SERVER_ERROR, peer, shown);
            *refused = 1;
        } else if (o->verbose >= 0) {
            lm_info(LM_M_CLI_REPLY, shown);
        } else {
            printf("%s\n", shown);
            fflush(stdout); /* a script reading replies sees each at once */
        }
        return LM_EXIT_OK;
    }
    lm_warn(LM_M_CLI_UDP_NO_REPLY, peer, o->retries + 1, wait_ms / 1000.0);
    return LM_EXIT_RUNTIME;
}

int lm_udp_client_run(const lm_client_opts *o, const char *message)
{
    char err[512], peer[LM_ADDR_MAX];
    lm_sock s;
    int rc = LM_EXIT_OK, failed = LM_EXIT_OK, refused = 0, any = 0;

    if (lm_net_udp_connect(o->host, o->port, &s, peer, sizeof peer, err, sizeof err) != LM_OK) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_RUNTIME;
    }
    lm_info(LM_M_CLI_UDP_TO, peer);
    if (message) {
        rc = exchange(s, o, peer, message, strlen(message), &refused);
    } else {
        /* Scripted use: each stdin line is one datagram. */
        char *line = NULL;
        size_t cap = 0;
        long n;
        while (rc == LM_EXIT_OK && (n = lm_read_line(&line, &cap, stdin)) >= 0) {
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            any = 1;
            rc = exchange(s, o, peer, line, (size_t)n, &refused);
            if (refused)
                failed = LM_EXIT_RUNTIME;
        }
        free(line);
        if (!any) /* an empty stdin, as under a service manager: the default */
            rc = exchange(s, o, peer, "Olá servidor!", strlen("Olá servidor!"), &refused);
    }
    if (refused)
        failed = LM_EXIT_RUNTIME;
    lm_net_close(s);
    return rc != LM_EXIT_OK ? rc : failed;
}
