/* lanmsg server engine: listener, event loop, connections, services.
 *
 * One event loop per thread drives every connection without blocking: TLS
 * handshakes, reads, and writes from a bounded output queue. A service sees
 * connections and messages only; it never sees a socket or a TLS context. */
#ifndef LANMSG_SERVER_H
#define LANMSG_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "lanmsg/framing.h"
#include "lanmsg/tls.h"

typedef struct lm_server lm_server;
typedef struct lm_conn lm_conn;

/* ---- services ---- */
typedef struct lm_service {
    const char *name;
    /* Called once before listening; may refuse a configuration. */
    int (*init)(lm_server *srv, void **state, char *err, size_t errlen);
    void (*on_open)(void *state, lm_conn *c);
    void (*on_message)(void *state, lm_conn *c, const char *msg, size_t len);
    /* The connection is going away (already unable to send). */
    void (*on_close)(void *state, lm_conn *c);
    void (*fini)(void *state);
} lm_service;

const lm_service *lm_service_find(const char *name);
/* "ack, echo, chat" for help text. */
const char *lm_service_names(void);

/* ---- configuration ---- */
typedef struct lm_server_config {
    const char *host;          /* default "0.0.0.0" */
    const char *port;          /* default "5000"; "0" = ephemeral */
    lm_tls_config *tls;        /* NULL = plain TCP only */
    int allow_plain;           /* with tls: accept plain clients too */
    lm_framing framing;        /* default auto */
    size_t max_line;           /* default 64 KiB */
    const lm_service *service; /* default ack */
    const char *reply;         /* ack's reply, default "Mensagem recebida" */
    int handshake_timeout_ms;  /* default 10000 */
    int idle_timeout_ms;       /* default 0 = off */
    int line_timeout_ms;       /* default 30000: time to finish a line */
    int max_clients;           /* default 1024 */
    size_t max_output;         /* per-connection output queue, default 1 MiB */
    int threads;               /* default 1 */
    int chat_require_tls;      /* chat: don't relay plain to TLS clients */
    int verbose;               /* -1 quiet, 0 normal, 1 verbose */
} lm_server_config;

void lm_server_config_defaults(lm_server_config *cfg);

/* Bind and listen (errors such as a port in use are reported here, before
 * anything runs). Returns NULL with one line in err and *code (may be NULL)
 * set: LM_ERR_CONFIG when the service refuses the configuration, LM_ERR for
 * runtime failures such as a port in use. */
lm_server *lm_server_new(const lm_server_config *cfg, char *err, size_t errlen, int *code);
/* Port actually bound (useful with port "0"). */
int lm_server_port(const lm_server *srv);
/* "0.0.0.0:5000" */
const char *lm_server_address(const lm_server *srv);
/* Serve until *stop becomes non-zero; then close every connection cleanly.
 * *reload (may be NULL) asks to re-read TLS files. Returns LM_OK or LM_ERR. */
int lm_server_run(lm_server *srv, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);
void lm_server_free(lm_server *srv);
const lm_server_config *lm_server_get_config(const lm_server *srv);

/* Calls fn for every open connection (after the handshake) of this loop. */
void lm_server_for_each(lm_server *srv, void (*fn)(lm_conn *c, void *ctx), void *ctx);

/* ---- connections, as services see them ---- */
/* Queue one message, framed for the connection (newline in line mode).
 * LM_OK, or LM_ERR when the output queue is full: the connection is then
 * closed with a logged reason. */
int lm_conn_send(lm_conn *c, const char *msg, size_t len);
/* Queue bytes exactly as given (no framing). */
int lm_conn_send_raw(lm_conn *c, const char *data, size_t len);
/* Close after flushing what is queued; reason is logged. */
void lm_conn_close(lm_conn *c, const char *reason);
const char *lm_conn_peer(const lm_conn *c);      /* "127.0.0.1:54321" */
const char *lm_conn_transport(const lm_conn *c); /* "plain TCP" / "TLS 1.3 ..." */
int lm_conn_secure(const lm_conn *c);
const char *lm_conn_cert_name(const lm_conn *c); /* verified client CN or "" */
uint64_t lm_conn_id(const lm_conn *c);
int lm_conn_line_mode(const lm_conn *c);
void *lm_conn_data(const lm_conn *c);
void lm_conn_set_data(lm_conn *c, void *data);
lm_server *lm_conn_server(const lm_conn *c);
/* Bytes waiting in the output queue. */
size_t lm_conn_queued(const lm_conn *c);
/* Show a received message on the console, escaped ("received from ..."). */
void lm_service_log_message(lm_conn *c, const char *msg, size_t len);

#endif
