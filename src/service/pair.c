/* lanmsg service "pair": a pairing conversation on one TLS connection.
 *
 * The bytes are the pairing protocol's frames (src/pairing/pair_msg.h),
 * gathered until a whole one is there and handed to the server's state
 * machine, whose answers go back on the same connection. The machine binds
 * the conversation to this TLS channel (this server's key and the
 * exporter), enrols the client and signs its certificate itself; this
 * service moves bytes, says what happened, and closes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/error.h"
#include "platform/os.h"
#include "service/pair.h"
#include "trust/fingerprint.h"
#include "util/mem.h"
#include "util/text.h"

#define PAIR_BUF (LM_PMSG_FRAME_MAX * 2)

typedef struct pair_conn {
    lm_pair_server *ps;
    unsigned char in[PAIR_BUF];
    size_t have;
    int over; /* done or failed: ignore the rest */
} pair_conn;

static int pair_init(const lm_service_params *p, void **state, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    *state = (void *)p->extra; /* the program's settings; they outlive the server */
    return LM_OK;
}

static void pair_open(void *state, lm_conn *c)
{
    lm_pair_service_settings *set = state;
    pair_conn *pc = lm_xcalloc(1, sizeof *pc);
    lm_pair_binding b;

    lm_conn_set_data(c, pc);
    if (lm_conn_tls_binding(c, LM_PAIR_EXPORTER_LABEL, b.server_fp, b.exporter,
                            sizeof b.exporter) != 0) {
        lm_info(LM_M_PAIR_S_LOG_FAILED, lm_conn_peer(c), lm_tr(LM_M_PAIR_S_NO_BINDING));
        pc->over = 1;
        lm_conn_close(c, lm_tr(LM_M_PAIR_S_NO_BINDING));
        return;
    }
    pc->ps = lm_pair_server_new(set->code, &set->issuer, &b);
    lm_info(LM_M_PAIR_S_LOG_START, lm_conn_peer(c));
}

static void finish(lm_conn *c, pair_conn *pc, lm_pair_status st)
{
    pc->over = 1;
    if (st == LM_PAIR_DONE) {
        char fp[LM_FP_TEXT_MAX];
        lm_fp_format(lm_pair_server_client_fp(pc->ps), fp);
        lm_info(LM_M_PAIR_S_LOG_DONE, lm_conn_peer(c), lm_pair_server_name(pc->ps), fp);
        lm_conn_close(c, lm_tr(LM_M_PAIR_S_REASON_DONE));
    } else {
        lm_info(LM_M_PAIR_S_LOG_FAILED, lm_conn_peer(c), lm_pair_server_error(pc->ps));
        lm_conn_close(c, lm_pair_server_error(pc->ps));
    }
}

static void pair_message(void *state, lm_conn *c, const char *msg, size_t len)
{
    pair_conn *pc = lm_conn_data(c);
    (void)state;
    if (!pc || pc->over)
        return;
    if (len > sizeof pc->in - pc->have) {
        /* No frame is this long: not the pairing protocol. */
        pc->over = 1;
        lm_info(LM_M_PAIR_S_LOG_FAILED, lm_conn_peer(c), lm_tr(LM_M_PAIR_S_PROTOCOL));
        lm_conn_close(c, lm_tr(LM_M_PAIR_S_PROTOCOL));
        return;
    }
    memcpy(pc->in + pc->have, msg, len);
    pc->have += len;
    while (pc->have && !pc->over) {
        unsigned char out[LM_PMSG_FRAME_MAX];
        size_t used = 0, outlen = 0;
        lm_pair_status st = lm_pair_server_input(pc->ps, pc->in, pc->have, &used, lm_now_ms(), out,
                                                 sizeof out, &outlen);
        if (outlen)
            lm_conn_send_raw(c, (const char *)out, outlen);
        if (st != LM_PAIR_CONTINUE) {
            finish(c, pc, st);
            return;
        }
        if (!used)
            return; /* a frame is not complete yet */
        memmove(pc->in, pc->in + used, pc->have - used);
        pc->have -= used;
    }
}

static void pair_close(void *state, lm_conn *c)
{
    pair_conn *pc = lm_conn_data(c);
    (void)state;
    if (!pc)
        return;
    if (pc->ps && !pc->over) {
        lm_pair_server_eof(pc->ps);
        lm_info(LM_M_PAIR_S_LOG_FAILED, lm_conn_peer(c), lm_pair_server_error(pc->ps));
    }
    lm_pair_server_free(pc->ps);
    free(pc);
    lm_conn_set_data(c, NULL);
}

const lm_service lm_service_pair = {
    .name = "pair",
    .init = pair_init,
    .on_open = pair_open,
    .on_message = pair_message,
    .on_close = pair_close,
};
