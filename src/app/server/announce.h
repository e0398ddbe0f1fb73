/* lanmsg-server: announcing itself on the LAN (DNS-SD), served by the
 * engine's first event loop beside the connections (lm_loop_hook). */
#ifndef LANMSG_SERVER_ANNOUNCE_H
#define LANMSG_SERVER_ANNOUNCE_H

#include "lanmsg/discovery.h"
#include "lanmsg/server.h"

typedef struct server_announce {
    lm_loop_hook hook; /* give &hook to the engine's configuration */
    lm_disc *disc;     /* NULL until started, or when not announcing */
    char asked[LM_DISC_NAME_MAX];
    int told_rename;
} server_announce;

/* The hook, with nothing to announce yet. */
void server_announce_init(server_announce *a);
/* 1 when a server listening on `host` should announce itself: not with
 * --no-announce, and not when it listens on loopback only (nobody else
 * could connect, and tests stay off the network). */
int server_announce_wanted(const char *host, int no_announce);
/* Start announcing; a failure is a warning, never a reason not to serve. */
void server_announce_start(server_announce *a, const lm_disc_opts *o);
/* Goodbyes (the service disappears from browsers at once). */
void server_announce_stop(server_announce *a);

#endif
