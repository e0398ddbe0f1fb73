/* Fuzz target: the server's TLS input. Arbitrary bytes arrive on one end
 * of a socketpair whose other end is a server-side lanmsg TLS transport
 * (lm_tls_new, so the real BIO callbacks over lm_net_recv/lm_net_send),
 * driven through the handshake and, should it ever complete, reads.
 *
 * The bytes are written in fuzzer-chosen pieces, with the handshake stepped
 * between them, so records cut at every point are seen; then the peer side
 * closes. Whatever the server writes back is drained and dropped. */
#define _XOPEN_SOURCE 700 /* a POSIX test harness: sockets, mkdtemp, readlink */

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_certs.h"
#include "lanmsg/tls.h"

static void drain(int fd)
{
    char buf[4096];
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
}

/* Step the transport until it wants input we have not sent yet. */
static int step(lm_transport *t, int *open)
{
    char buf[1024];
    for (int i = 0; i < 16; i++) {
        if (!*open) {
            int rc = lm_tp_handshake(t);
            if (rc == LM_OK) {
                *open = 1;
                continue;
            }
            if (rc == LM_WANT_READ || rc == LM_WANT_WRITE)
                return 0;
            if (!t->err[0] || !memchr(t->err, '\0', sizeof t->err))
                abort(); /* every error leaves one line */
            return -1;
        }
        long n = lm_tp_read(t, buf, sizeof buf);
        if (n == LM_WANT_READ || n == LM_WANT_WRITE)
            return 0;
        if (n <= 0)
            return -1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2], open = 0;
    lm_tls_config *cfg = fz_server_config(0);

    if (size > 65536)
        return 0;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        abort();
    int big = 1 << 18;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    lm_transport *t = lm_tls_new(cfg, (lm_sock)sv[0], "fuzz:1", NULL, NULL, 0);
    if (!t)
        abort();

    /* Byte 0 sets the piece length: 0 means everything at once. */
    size_t piece = size ? data[0] % 64 : 0, i = size ? 1 : 0;
    int rc = 0;
    while (i < size && rc == 0) {
        size_t len = piece ? piece : size - i;
        if (len > size - i)
            len = size - i;
        if (send(sv[1], data + i, len, MSG_NOSIGNAL) != (ssize_t)len)
            break;
        i += len;
        rc = step(t, &open);
        drain(sv[1]);
    }
    shutdown(sv[1], SHUT_WR);
    if (rc == 0)
        step(t, &open);
    drain(sv[1]);
    lm_tp_destroy(t); /* the socket stays ours (transport.h) */
    close(sv[0]);
    close(sv[1]);
    return 0;
}
