/* lanmsg server engine: listener, event loops, connections; it runs the
 * service the program hands it.
 *
 * One event loop per thread drives every connection without blocking: TLS
 * handshakes, reads, and writes from a bounded output queue. A service sees
 * connections and messages only (lanmsg/service.h). */
#ifndef LANMSG_SERVER_H
#define LANMSG_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "lanmsg/framing.h"
#include "lanmsg/service.h"
#include "lanmsg/tls.h"

typedef struct lm_server lm_server;

/* ---- something else served on the first event loop ----
 * Announcing the server on the LAN runs beside the connections, on the same
 * loop, and shares nothing with them: the engine only watches the sockets it
 * is told to and keeps its timer. Events are 1 (readable) and 2 (writable). */
typedef struct lm_watch {
    lm_sock sock;
    int events;
} lm_watch;
#define LM_HOOK_MAX_WATCHES 8
typedef struct lm_loop_hook {
    void *ctx;
    /* The sockets to watch now (at most max); returns how many. */
    int (*watches)(void *ctx, lm_watch *out, int max);
    /* One of them is ready; 1 when the set of sockets changed. */
    int (*on_event)(void *ctx, lm_sock s, int events);
    /* Milliseconds until on_timer is due (0: now), or -1 for no timer. */
    long (*timeout_ms)(void *ctx);
    /* 1 when the set of sockets changed. */
    int (*on_timer)(void *ctx);
} lm_loop_hook;

/* ---- configuration ---- */
typedef struct lm_server_config {
    const char *host;          /* default "0.0.0.0" */
    const char *port;          /* default "5000"; "0" = ephemeral */
    int tcp;                   /* serve TCP (default 1) */
    int udp;                   /* serve UDP datagrams on the same port number (default 0) */
    lm_tls_config *tls;        /* NULL = plain TCP only */
    int allow_plain;           /* with tls: accept plain clients too */
    lm_framing framing;        /* default auto */
    size_t max_line;           /* default 64 KiB */
    const lm_service *service; /* required: the program picks it */
    lm_service_params params;  /* what the service is told (threads and tls are filled in) */
    int handshake_timeout_ms;  /* default 10000 */
    int idle_timeout_ms;       /* default 0 = off */
    int line_timeout_ms;       /* default 30000: time to finish a line */
    int max_clients;           /* default 1024 */
    size_t max_output;         /* per-connection output queue, default 1 MiB */
    int threads;               /* default 1 */
    int verbose;               /* -1 quiet, 0 normal, 1 verbose */
    const lm_loop_hook *hook;  /* NULL, or served on the first loop (e.g. discovery) */
    /* A second service for TLS connections that agreed on the application
     * protocol `alpn` (pairing, "lanmsg-pair/1"): they get it instead of
     * `service`, with raw framing. NULL: none. */
    const lm_service *alpn_service;
    const char *alpn;
    lm_service_params alpn_params;
    /* Refuse, after the handshake, a TLS client without a verified
     * certificate, unless it came for the ALPN service: how a server that
     * pairs can still require certificates of everyone else. */
    int require_verified;
} lm_server_config;

void lm_server_config_defaults(lm_server_config *cfg);

/* Bind and listen (errors such as a port in use are reported here, before
 * anything runs). Returns NULL with one line in err and *code (may be NULL)
 * set: LM_ERR_CONFIG when the service refuses the configuration, LM_ERR for
 * runtime failures such as a port in use. */
lm_server *lm_server_new(const lm_server_config *cfg, char *err, size_t errlen, int *code);
/* Port actually bound (useful with port "0"); with TCP and UDP both, the
 * same number for both. */
int lm_server_port(const lm_server *srv);
/* "0.0.0.0:5000" */
const char *lm_server_address(const lm_server *srv);
/* Serve until *stop becomes non-zero; then close every connection cleanly.
 * *reload (may be NULL) asks to re-read TLS files. Returns LM_OK, or LM_ERR
 * when an event loop could not run (a thread that would not start, a poller
 * that fails), with one line in err. */
int lm_server_run(lm_server *srv, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                  char *err, size_t errlen);
void lm_server_free(lm_server *srv);
const lm_server_config *lm_server_get_config(const lm_server *srv);

#endif
