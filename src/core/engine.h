/* Internal to the server engine: the connection record, the per-thread
 * event loop and the server, shared by the engine's files:
 *
 *   server.c  life cycle: configuration, threads, reload, shutdown
 *   loop.c    one event loop: poller wait, per-turn flush and reaping, timers
 *   accept.c  accepting clients, telling TLS from plain, the TLS hand-off
 *   conn.c    one connection's state machine, input, output queue, closing
 *
 * Services and programs see only lanmsg/service.h and lanmsg/server.h. */
#ifndef LANMSG_ENGINE_H
#define LANMSG_ENGINE_H

#include <stdatomic.h>

#include "lanmsg/dtls.h"
#include "lanmsg/server.h"
#include "lanmsg/transport.h"
#include "platform/os.h"
#include "platform/poller.h"
#include "transport/hello.h"

#define LM_READ_CHUNK 16384
#define LM_DGRAM_MAX  65536 /* larger than any UDP datagram (65507 bytes of payload) */

typedef struct lm_loop lm_loop;

enum conn_state {
    CS_DETECT,    /* TLS server: waiting for the first bytes to tell TLS from plain */
    CS_HANDSHAKE, /* TLS handshake under way */
    CS_OPEN,      /* messages flow */
    CS_CLOSING,   /* flushing the output queue, then close_notify */
    CS_DEAD,      /* to be freed by the loop */
};

struct lm_conn {
    lm_loop *loop;
    lm_transport *tp; /* NULL while detecting */
    lm_sock sock;
    enum conn_state state;
    int opened;     /* the service saw on_open */
    int over_limit; /* accepted past --max-clients: told "server full" */
    int tp_wants;   /* LM_EV_* the transport's unfinished operation waits for */
    int registered; /* LM_EV_* currently registered with the poller */
    int dirty;      /* on the loop's flush list */
    int again;      /* input left unread after the per-turn budget */
    int shut;       /* closing: our close (close_notify / FIN) is sent */
    int peer_done;  /* the peer closed or failed: nothing more to read */
    int heard;      /* the peer has sent something */
    int logged;     /* its end was logged already (a refused TLS client) */
    int broken;     /* no usable transport (a failed handshake): closing drains raw bytes */
    /* A datagram peer: its socket is the server's shared UDP socket (never
     * registered or closed on its behalf), its address is its identity, and
     * its output queue keeps message boundaries: each message is stored
     * after its 4-byte length and sent as one datagram. */
    int datagram;
    lm_addr addr;
    lm_conn *hnext; /* the loop's peer table chain */
    /* DTLS: the connection ID this peer puts in its records, by which it
     * is found when its address changes (the loop's second table). */
    unsigned char cid[LM_DTLS_CID_LEN];
    int has_cid;
    lm_conn *cnext;
    lm_framer framer;
    lm_hello *hello; /* CS_DETECT on a TLS server: the ClientHello front end */
    /* Output queue: one contiguous buffer, consumed from out_head. While a
     * TLS write waits to be retried the pending bytes stay at the head: the
     * buffer may move (realloc, compaction), but their content and order
     * never change, which is all mbedTLS asks of a retry. */
    char *out;
    size_t out_head, out_len, out_cap;
    uint64_t id;
    uint64_t t_start, t_active, t_partial;
    const char *reason; /* why it is closing (static text or reason_buf) */
    char reason_buf[320];
    void *svc_data;
    const lm_service *svc; /* the server's service, or its ALPN one */
    void *svc_state;
    char peer[LM_ADDR_MAX];
    lm_conn *prev, *next; /* all connections of the loop */
    lm_conn *dirty_next;  /* flush list */
    lm_conn *grave_next;  /* dead, waiting to be freed at the end of the turn */
    int buried;           /* on the loop's grave list */
};

struct lm_loop {
    lm_server *srv;
    lm_poller *poller;
    lm_conn *head;
    lm_conn *dirty; /* connections to flush or reap this turn */
    lm_conn *grave; /* dead connections, freed at the end of the turn */
    int nagain;     /* connections with input left after their budget */
    int listening;  /* listener registered with this poller */
    int failed;     /* the poller failed: this loop stops, and so does the server */
    uint64_t accept_paused_until;
    uint64_t last_tick;
    /* Refused TLS clients are logged at most REFUSED_PER_WINDOW times per
     * window; the rest are counted and summed up when the window ends. */
    uint64_t refused_window;
    int refused_shown, refused_hidden;
    lm_thread *thread;
    /* The configuration's hook (first loop only): the sockets registered
     * for it; an event's udata points into this array. */
    lm_watch hook_w[LM_HOOK_MAX_WATCHES];
    int hook_n;
    /* Datagram peers of the server's UDP socket (first loop only), found by
     * address; and the buffer datagrams are read into. */
    lm_conn **peers;
    lm_conn **cid_peers; /* DTLS peers by connection ID */
    unsigned char *dgram_buf;
    char err[256]; /* why the loop failed */
    char scratch[LM_READ_CHUNK];
};

struct lm_server {
    lm_server_config cfg;
    void *svc_state;
    void *alpn_svc_state;
    lm_sock listener;   /* TCP, or LM_SOCK_INVALID */
    lm_sock udp;        /* UDP, or LM_SOCK_INVALID */
    lm_dtls_gate *gate; /* with TLS over UDP: hellos from unknown addresses */
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

/* The listening sockets' poller tags (loop.c, accept.c, dgram.c). */
extern int lm_listener_tag, lm_udp_tag;

/* conn.c */
lm_conn *lm_conn_new(lm_loop *l, lm_sock s, const char *peer, int over_limit);
void lm_conn_event(lm_conn *c, int events);
void lm_conn_open(lm_conn *c);
void lm_conn_handshake(lm_conn *c);
void lm_conn_read(lm_conn *c);
void lm_conn_drain(lm_conn *c);
void lm_conn_want(lm_conn *c, int rc);
void lm_conn_update_interest(lm_conn *c);
int lm_conn_flush(lm_conn *c);
void lm_conn_mark_dirty(lm_conn *c);
void lm_conn_fail(lm_conn *c, const char *reason);
void lm_conn_free(lm_conn *c);
void lm_conn_refused(lm_conn *c, const char *why);

/* loop.c: the refused-client log's rate limit. 1 when this one may be
 * shown; otherwise it is counted. */
int lm_loop_may_log_refused(lm_loop *l);

/* accept.c */
void lm_accept_clients(lm_loop *l);
void lm_accept_detect(lm_conn *c);
void lm_accept_silent_as_plain(lm_conn *c);

/* dgram.c: the server's UDP socket, and its peers */
#define LM_PEER_BUCKETS 1024
void lm_dgram_receive(lm_loop *l);
/* One datagram read from the UDP socket, to its peer (the fuzz target
 * calls it directly). */
void lm_dgram_dispatch(lm_loop *l, const lm_addr *from, const unsigned char *data, size_t n);
void lm_dgram_forget(lm_conn *c);
lm_conn *lm_dgram_find(lm_loop *l, const lm_addr *a);
/* A connection for a new peer at `a`, with its transport (NULL: plain
 * UDP), in the address table; the caller has counted it (clients or
 * over_limit). */
lm_conn *lm_dgram_peer_new(lm_loop *l, const lm_addr *a, lm_transport *tp, int over_limit);
/* The peer now sends from `a`: found there from now on. */
void lm_dgram_rehome(lm_conn *c, const lm_addr *a);

/* dgram_dtls.c: the same socket's peers when they speak DTLS */
void lm_dgram_dtls(lm_loop *l, const lm_addr *from, const unsigned char *data, size_t n);
void lm_dgram_dtls_forget(lm_conn *c);

/* loop.c */
lm_loop *lm_loop_new(lm_server *srv, char *err, size_t errlen);
void lm_loop_free(lm_loop *l);
void lm_loop_run(lm_loop *l);
void lm_loop_settle(lm_loop *l);

#endif
