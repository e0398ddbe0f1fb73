/* lanmsg services: what a message means.
 *
 * A service gets messages in and sends messages out, and knows of each
 * connection only what a service may know: its peer address, whether it is
 * secure, the verified name of its certificate. It never sees a socket, a
 * TLS context or the engine's configuration. ack, echo and chat are the
 * services lanmsg ships; the program picks one and hands it to the engine. */
#ifndef LANMSG_SERVICE_H
#define LANMSG_SERVICE_H

#include <stddef.h>
#include <stdint.h>

typedef struct lm_conn lm_conn;

/* What a service is told of its server when it starts. */
typedef struct lm_service_params {
    const char *reply;     /* ack: the reply (default "Mensagem recebida") */
    int chat_require_tls;  /* chat: don't relay plain users' lines to TLS users */
    int threads;           /* event loops: callbacks may run on this many threads */
    int tls;               /* the server speaks TLS (plain clients only via --allow-plain) */
    int datagram;          /* peers come over UDP too: one datagram, one message */
    const char *state_dir; /* the server's state folder, for what a service keeps across
                              runs (NULL: keep nothing) */
    const void *extra;     /* a service's own settings, given by the program (pairing's) */
} lm_service_params;

typedef struct lm_service {
    const char *name;
    /* Called once before listening; may refuse the parameters, with one
     * line in err. LM_OK or LM_ERR. */
    int (*init)(const lm_service_params *p, void **state, char *err, size_t errlen);
    void (*on_open)(void *state, lm_conn *c);
    void (*on_message)(void *state, lm_conn *c, const char *msg, size_t len);
    /* The connection is going away (already unable to send). */
    void (*on_close)(void *state, lm_conn *c);
    void (*fini)(void *state);
} lm_service;

/* The services this build has, by name (NULL if none), for the programs. */
const lm_service *lm_service_find(const char *name);
/* "ack, echo, chat" for help text. */
const char *lm_service_names(void);

/* ---- connections, as services see them ----
 * Every call is made from a service callback, on the thread that runs the
 * connection's event loop. */

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
/* One pointer of the service's own per connection. */
void *lm_conn_data(const lm_conn *c);
void lm_conn_set_data(lm_conn *c, void *data);
/* Bytes waiting in the output queue. */
size_t lm_conn_queued(const lm_conn *c);
/* The TLS channel, for a protocol that binds to it (pairing): SHA-256 of
 * this end's public key, and the TLS exporter's value for `label`. 0, or -1
 * (not TLS, or a library without an exporter). */
int lm_conn_tls_binding(lm_conn *c, const char *label, unsigned char own_fp[32],
                        unsigned char *exported, size_t len);
/* Show a received message on the console, escaped ("received from ..."). */
void lm_service_log_message(lm_conn *c, const char *msg, size_t len);

#endif
