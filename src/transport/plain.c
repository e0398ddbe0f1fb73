/* lanmsg plain backend: TCP bytes as they are.
 *
 * A thin adapter from the transport table to the platform layer. It has no
 * handshake and no buffering of its own: the connection layer above owns the
 * buffers, so plain and TLS connections are driven the same way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/text.h"
#include "lanmsg/transport.h"

static int plain_handshake(lm_transport *t)
{
    (void)t;
    return LM_OK;
}

static long plain_read(lm_transport *t, void *buf, size_t len)
{
    return lm_net_recv(t->sock, buf, len, t->err, sizeof t->err);
}

static long plain_write(lm_transport *t, const void *buf, size_t len)
{
    return lm_net_send(t->sock, buf, len, t->err, sizeof t->err);
}

static size_t plain_pending(lm_transport *t)
{
    (void)t;
    return 0;
}

/* A plain stream has no close message of its own; half-closing tells the
 * peer we are done while still letting it finish reading. */
static int plain_shutdown(lm_transport *t)
{
    lm_net_shutdown_write(t->sock);
    return LM_OK;
}

static void plain_destroy(lm_transport *t)
{
    free(t);
}

static const lm_transport_ops plain_ops = {
    .kind = "plain",
    .handshake = plain_handshake,
    .read = plain_read,
    .write = plain_write,
    .pending = plain_pending,
    .shutdown = plain_shutdown,
    .destroy = plain_destroy,
};

lm_transport *lm_plain_new(lm_sock s, const char *peer)
{
    lm_transport *t = lm_xcalloc(1, sizeof *t);
    t->ops = &plain_ops;
    t->sock = s;
    snprintf(t->peer, sizeof t->peer, "%s", peer ? peer : "?");
    snprintf(t->desc, sizeof t->desc, "%s", lm_tr(LM_M_WORD_PLAIN));
    return t;
}
