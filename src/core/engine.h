/* Internal to the server engine (conn.c, loop.c): the connection record and
 * the per-thread event loop. Services and programs see only lanmsg/server.h. */
#ifndef LANMSG_ENGINE_H
#define LANMSG_ENGINE_H

#include <stdatomic.h>

#include "lanmsg/server.h"
#include "lanmsg/transport.h"

typedef struct lm_loop lm_loop;

enum conn_state {
    CS_DETECT,    /* TLS server: waiting for the first byte to tell TLS from plain */
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
    int tp_wants;   /* LM_EV_* the transport asked for last */
    int registered; /* LM_EV_* currently registered with the poller */
    int dirty;      /* on the loop's flush list */
    int again;      /* input left unread after the per-turn budget */
    int shut;       /* closing: our close (close_notify / FIN) is sent */
    int peer_done;  /* the peer closed or failed: nothing more to read */
    lm_framer framer;
    /* Output queue: one contiguous buffer, consumed from out_head. Kept
     * contiguous so a TLS retry after WANT_WRITE sees the same bytes. */
    char *out;
    size_t out_head, out_len, out_cap;
    uint64_t id;
    uint64_t t_start, t_active, t_partial;
    const char *reason; /* why it is closing (static text or reason_buf) */
    char reason_buf[320];
    void *svc_data;
    char peer[LM_ADDR_MAX];
    lm_conn *prev, *next; /* all connections of the loop */
    lm_conn *dirty_next;  /* flush list */
    lm_conn *grave_next;    /* dead, waiting to be freed at the end of the turn */
    int buried;             /* on the loop's grave list */
};

/* conn.c: queue and flush */
int lm_conn_flush(lm_conn *c);
void lm_conn_free_buffers(lm_conn *c);
void lm_conn_mark_dirty(lm_conn *c);
void lm_conn_fail(lm_conn *c, const char *reason);

/* loop.c: what conn.c needs from the loop */
size_t lm_loop_max_output(const lm_loop *l);

#endif
