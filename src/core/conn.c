/* lanmsg connections: the output queue and what services may ask of a
 * connection.
 *
 * Nothing is ever written unbuffered. A service queues a message; the loop
 * flushes every connection with queued output once per turn, so a broadcast
 * to a hundred clients costs one write per client, not one per message. The
 * queue is bounded: a client that stops reading is disconnected with a
 * logged reason instead of growing the server's memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "util/text.h"

/* ======================================================================
 * Output queue
 * ==================================================================== */

/* Make room for `need` more bytes at the tail. Consumed bytes at the head
 * are reclaimed first; the buffer is never moved while a TLS write is
 * waiting to be retried, because head bytes stay where they are. */
static int queue_reserve(lm_conn *c, size_t need)
{
    size_t want;
    char *nb;

    if (c->out_head && c->out_head + c->out_len + need > c->out_cap) {
        memmove(c->out, c->out + c->out_head, c->out_len);
        c->out_head = 0;
    }
    if (c->out_head + c->out_len + need <= c->out_cap)
        return 0;
    want = c->out_cap ? c->out_cap : 256;
    while (want < c->out_len + need)
        want *= 2;
    nb = realloc(c->out, want);
    if (!nb)
        return -1;
    c->out = nb;
    c->out_cap = want;
    return 0;
}

static int queue_append(lm_conn *c, const char *a, size_t alen, const char *b, size_t blen)
{
    size_t limit = lm_loop_max_output(c->loop);

    if (c->state != CS_OPEN && c->state != CS_HANDSHAKE)
        return LM_ERR;
    /* Before calling a client slow, give it what its socket will take now.
     * Without this, one turn of a fast sender (up to READ_BUDGET reads)
     * fanned out by chat could fill the queue of a client that reads fine,
     * because queues are otherwise flushed only at the end of the turn. */
    if (c->out_len + alen + blen > limit && c->state == CS_OPEN && c->tp && c->out_len)
        lm_conn_flush(c);
    if (c->state == CS_DEAD)
        return LM_ERR;
    if (c->out_len + alen + blen > limit) {
        lm_format(c->reason_buf, sizeof c->reason_buf, LM_M_REASON_QUEUE_FULL, c->out_len);
        lm_conn_fail(c, c->reason_buf);
        return LM_ERR;
    }
    if (queue_reserve(c, alen + blen) != 0) {
        lm_conn_fail(c, lm_tr(LM_M_OUT_OF_MEMORY));
        return LM_ERR;
    }
    memcpy(c->out + c->out_head + c->out_len, a, alen);
    c->out_len += alen;
    if (blen) {
        memcpy(c->out + c->out_head + c->out_len, b, blen);
        c->out_len += blen;
    }
    lm_conn_mark_dirty(c);
    return LM_OK;
}

int lm_conn_send(lm_conn *c, const char *msg, size_t len)
{
    int nl = lm_framer_wants_newline(&c->framer);
    return queue_append(c, msg, len, "\n", nl ? 1u : 0u);
}

int lm_conn_send_raw(lm_conn *c, const char *data, size_t len)
{
    return queue_append(c, data, len, NULL, 0);
}

void lm_conn_free_buffers(lm_conn *c)
{
    free(c->out);
    c->out = NULL;
    c->out_head = c->out_len = c->out_cap = 0;
}

/* Write as much of the queue as the transport takes. Returns LM_OK (all
 * written), LM_WANT_READ/LM_WANT_WRITE (the rest waits), or an error, after
 * which the connection is marked dead. An emptied queue gives its memory
 * back: idle connections hold no output buffer. */
int lm_conn_flush(lm_conn *c)
{
    while (c->out_len) {
        long n = lm_tp_write(c->tp, c->out + c->out_head, c->out_len);
        if (n == LM_WANT_READ || n == LM_WANT_WRITE) {
            c->tp_wants = n == LM_WANT_READ ? LM_EV_READ : LM_EV_WRITE;
            return (int)n;
        }
        if (n <= 0) {
            snprintf(c->reason_buf, sizeof c->reason_buf, "%s", c->tp->err);
            lm_conn_fail(c, c->reason_buf[0] ? c->reason_buf : lm_tr(LM_M_REASON_WRITE_FAILED));
            return n < 0 ? (int)n : LM_ERR;
        }
        c->out_head += (size_t)n;
        c->out_len -= (size_t)n;
    }
    c->tp_wants = 0;
    lm_conn_free_buffers(c);
    return LM_OK;
}

/* ======================================================================
 * Closing
 * ==================================================================== */

void lm_conn_close(lm_conn *c, const char *reason)
{
    if (c->state == CS_CLOSING || c->state == CS_DEAD)
        return;
    c->reason = reason ? reason : lm_tr(LM_M_REASON_CLOSED);
    c->state = CS_CLOSING;
    c->t_active = lm_now_ms(); /* the closing grace period starts now */
    lm_conn_mark_dirty(c);
}

/* Hard failure: nothing more can be sent; the loop frees it this turn. */
void lm_conn_fail(lm_conn *c, const char *reason)
{
    if (c->state == CS_DEAD)
        return;
    c->reason = reason;
    c->state = CS_DEAD;
    lm_conn_mark_dirty(c);
}

/* ======================================================================
 * Accessors
 * ==================================================================== */

const char *lm_conn_peer(const lm_conn *c)
{
    return c->peer;
}
const char *lm_conn_transport(const lm_conn *c)
{
    return c->tp ? c->tp->desc : "?";
}
int lm_conn_secure(const lm_conn *c)
{
    return c->tp && c->tp->secure;
}
const char *lm_conn_cert_name(const lm_conn *c)
{
    return c->tp ? c->tp->peer_cn : "";
}
uint64_t lm_conn_id(const lm_conn *c)
{
    return c->id;
}
int lm_conn_line_mode(const lm_conn *c)
{
    return lm_framer_wants_newline(&c->framer);
}
void *lm_conn_data(const lm_conn *c)
{
    return c->svc_data;
}
void lm_conn_set_data(lm_conn *c, void *data)
{
    c->svc_data = data;
}
size_t lm_conn_queued(const lm_conn *c)
{
    return c->out_len;
}
