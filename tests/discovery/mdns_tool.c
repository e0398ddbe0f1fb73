/* A small program over lanmsg/discovery.h for the discovery tests, driven
 * the way the server's loop will drive it (watches + timer):
 *
 *   mdns_tool announce NAME PORT [--tls] [--fp TEXT] [--udp] [--backend auto|builtin|avahi]
 *       announce until SIGTERM/SIGINT, then say goodbye; prints
 *       "announced <name> via <backend>" once the name is claimed
 *   mdns_tool browse WAIT_MS [TYPE]      one lm_disc_format line per server
 *   mdns_tool resolve NAME WAIT_MS       "found <line>" or the error, exit 1
 *
 * POSIX only (poll), like the other test harnesses. */
#define _POSIX_C_SOURCE 200809L

#include "lanmsg/discovery.h"
#include "platform/poller.h"
#include "platform/os.h"
#include "lanmsg/net.h"
#include "util/text.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;

static int announce(int argc, char **argv)
{
    lm_disc_opts o = {.name = argv[2], .port = (uint16_t)atoi(argv[3])};
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--tls"))
            o.tls = 1;
        else if (!strcmp(argv[i], "--udp"))
            o.udp = 1;
        else if (!strcmp(argv[i], "--fp") && i + 1 < argc)
            o.fingerprint = argv[++i];
        else if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
            const char *b = argv[++i];
            o.backend = !strcmp(b, "builtin") ? LM_DISC_BUILTIN
                        : !strcmp(b, "avahi") ? LM_DISC_AVAHI
                                              : LM_DISC_AUTO;
        }
    }
    char err[512];
    lm_signals_install(&stop, NULL);
    lm_disc *d = lm_disc_announce_start(&o, err, sizeof err);
    if (!d) {
        fprintf(stderr, "mdns_tool: %s\n", err);
        return 1;
    }
    int said = 0;
    char last[LM_DISC_NAME_MAX] = "";
    while (!stop) {
        lm_disc_watch w[LM_DISC_MAX_WATCHES];
        struct pollfd p[LM_DISC_MAX_WATCHES];
        int n = lm_disc_watches(d, w, LM_DISC_MAX_WATCHES);
        for (int i = 0; i < n; i++) {
            p[i].fd = (int)w[i].sock;
            p[i].events = (short)(((w[i].events & LM_EV_READ) ? POLLIN : 0) |
                                  ((w[i].events & LM_EV_WRITE) ? POLLOUT : 0));
            p[i].revents = 0;
        }
        long t = lm_disc_timeout_ms(d);
        if (t < 0 || t > 200)
            t = 200; /* to notice SIGTERM */
        int rc = poll(p, (nfds_t)n, (int)t);
        for (int i = 0; rc > 0 && i < n; i++) {
            int ev = ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) ? LM_EV_READ : 0) |
                     ((p[i].revents & POLLOUT) ? LM_EV_WRITE : 0);
            if (ev)
                lm_disc_on_event(d, w[i].sock, ev);
        }
        if (lm_disc_timeout_ms(d) == 0)
            lm_disc_on_timer(d);
        if (lm_disc_announced(d) && (!said || strcmp(last, lm_disc_name(d)) != 0)) {
            snprintf(last, sizeof last, "%s", lm_disc_name(d));
            printf("announced %s via %s\n", last, lm_disc_backend_name(d));
            fflush(stdout);
            said = 1;
        }
    }
    lm_disc_announce_stop(d);
    printf("stopped\n");
    return 0;
}

int main(int argc, char **argv)
{
    char err[512], line[1024];
    lm_disc_result r[32];
    if (argc >= 4 && !strcmp(argv[1], "announce"))
        return announce(argc, argv);
    if (argc >= 3 && !strcmp(argv[1], "browse")) {
        int n = lm_disc_browse(argc > 3 ? argv[3] : NULL, atoi(argv[2]), r, 32, err, sizeof err);
        if (n < 0) {
            fprintf(stderr, "mdns_tool: %s\n", err);
            return 1;
        }
        for (int i = 0; i < n; i++) {
            lm_disc_format(&r[i], line, sizeof line);
            printf("%s\n", line);
        }
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "resolve")) {
        int n = lm_disc_resolve(argv[2], NULL, atoi(argv[3]), r, err, sizeof err);
        if (n != 1) {
            fprintf(stderr, "mdns_tool: %s\n", err);
            return 1;
        }
        lm_disc_format(&r[0], line, sizeof line);
        printf("found %s\n", line);
        return 0;
    }
    fprintf(stderr, "usage: mdns_tool announce NAME PORT [--tls] [--fp T] [--udp] [--backend B]\n"
                    "       mdns_tool browse WAIT_MS [TYPE]\n"
                    "       mdns_tool resolve NAME WAIT_MS\n");
    return 2;
}
