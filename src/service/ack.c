/* lanmsg service "ack": the tutorial's. Print each message with its
 * sender, reply with a fixed text ("Mensagem recebida" by default).
 *
 * The message is escaped before it reaches the console: a client must not
 * be able to move the cursor or recolour the server's terminal. */
#include <stdlib.h>
#include <string.h>

#include "lanmsg/error.h"
#include "lanmsg/service.h"
#include "util/mem.h"
#include "util/text.h"

/* Escaped text is at most 4 bytes per input byte; long messages are shown
 * truncated, which the escaper marks with "...". */
#define SHOW_MAX 1024

void lm_service_log_message(lm_conn *c, const char *msg, size_t len)
{
    char shown[SHOW_MAX * 4 + 4];
    lm_escape(shown, sizeof shown, msg, len);
    /* The peer twice: English names it before the message, Portuguese
     * after (the tutorial's "Recebido: <message>"); see the catalog. */
    lm_info(LM_M_SRV_RECEIVED, lm_conn_peer(c), shown, lm_conn_peer(c));
}

/* The state is the reply itself, copied: the service owns what it keeps. */
static int ack_init(const lm_service_params *p, void **state, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    *state = lm_xstrdup(p->reply ? p->reply : "Mensagem recebida");
    return LM_OK;
}

static void ack_message(void *state, lm_conn *c, const char *msg, size_t len)
{
    const char *reply = state;
    lm_service_log_message(c, msg, len);
    lm_conn_send(c, reply, strlen(reply));
}

const lm_service lm_service_ack = {
    .name = "ack",
    .init = ack_init,
    .on_message = ack_message,
    .fini = free,
};
