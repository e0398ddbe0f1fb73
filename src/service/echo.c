/* lanmsg service "echo": reply with the message itself. Used by the
 * benchmarks, so it prints nothing per message. */
#include "lanmsg/service.h"

static void echo_message(void *state, lm_conn *c, const char *msg, size_t len)
{
    (void)state;
    lm_conn_send(c, msg, len);
}

const lm_service lm_service_echo = {
    .name = "echo",
    .on_message = echo_message,
};
