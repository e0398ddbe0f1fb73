/* A DTLS client over lanmsg's own API, for the DTLS tests: it can do what
 * lanmsg-client does not, change its source address in the middle of a
 * session (a NAT rebinding, a laptop changing networks), to show that a
 * server with connection IDs keeps the session.
 *
 *   dtls_peer PORT CA [--move] [--cert FILE --key FILE]
 *
 * Handshakes with 127.0.0.1:PORT (verifying the name "localhost" against
 * CA), sends "one" and prints the reply; with --move, sends "two" from a
 * new socket (a new source port) in the same session and prints that
 * reply. Exit 0 when every reply came, 1 otherwise. Every wait is bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/dtls.h"
#include "lanmsg/net.h"
#include "platform/os.h"

static int handshake(lm_transport *t)
{
    uint64_t until = lm_now_ms() + 10000;
    for (;;) {
        int rc = lm_tp_handshake(t);
        long timer;
        if (rc != LM_WANT_READ && rc != LM_WANT_WRITE)
            return rc;
        if (lm_now_ms() >= until)
            return LM_ERR;
        timer = lm_dtls_timer_ms(t);
        lm_net_wait(t->sock, rc == LM_WANT_WRITE, timer >= 0 && timer < 500 ? (int)timer : 500);
    }
}

/* One message, one reply, a few tries of a second each. */
static int exchange(lm_transport *t, const char *msg)
{
    char buf[2048];
    for (int try = 0; try < 5; try++) {
        uint64_t until = lm_now_ms() + 1000;
        long n = lm_tp_write(t, msg, strlen(msg));
        if (n < 0 && n != LM_WANT_WRITE) {
            printf("write failed: %s\n", t->err);
            return -1;
        }
        while (lm_now_ms() < until) {
            n = lm_tp_read(t, buf, sizeof buf - 1);
            if (n > 0) {
                buf[n] = '\0';
                printf("reply: %s\n", buf);
                return 0;
            }
            if (n != LM_WANT_READ && n != LM_WANT_WRITE) {
                printf("read failed: %s\n", t->err);
                return -1;
            }
            lm_net_wait(t->sock, 0, 100);
        }
    }
    printf("no reply to %s\n", msg);
    return -1;
}

static lm_sock udp_to(const char *port, char *err, size_t errlen)
{
    lm_sock s;
    char peer[LM_ADDR_MAX];
    if (lm_net_udp_connect("127.0.0.1", port, &s, peer, sizeof peer, err, errlen) != LM_OK)
        return LM_SOCK_INVALID;
    return s;
}

int main(int argc, char **argv)
{
    lm_tls_options o;
    lm_tls_config *cfg;
    lm_transport *t;
    char err[512], local[LM_ADDR_MAX];
    int move = 0, code, rc = 0;
    lm_sock a, b;

    if (argc < 3) {
        fprintf(stderr, "usage: dtls_peer PORT CA [--move] [--cert FILE --key FILE]\n");
        return 2;
    }
    memset(&o, 0, sizeof o);
    o.ca_file = argv[2];
    o.datagram = 1;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--move") == 0)
            move = 1;
        else if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc)
            o.cert_file = argv[++i];
        else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            o.key_file = argv[++i];
    }
    if (lm_net_init(err, sizeof err) != LM_OK ||
        !(cfg = lm_tls_config_new(&o, err, sizeof err, &code))) {
        fprintf(stderr, "dtls_peer: %s\n", err);
        return 2;
    }
    if ((a = udp_to(argv[1], err, sizeof err)) == LM_SOCK_INVALID ||
        !(t = lm_dtls_new(cfg, a, "server", "localhost", err, sizeof err))) {
        fprintf(stderr, "dtls_peer: %s\n", err);
        return 2;
    }
    if (handshake(t) != LM_OK) {
        printf("handshake failed: %s\n", t->err);
        return 1;
    }
    lm_net_local_addr(a, local, sizeof local);
    printf("connected (%s) from %s; connection IDs: %s\n", t->desc, local,
           lm_dtls_has_cid() ? "yes" : "no");
    fflush(stdout);
    rc |= exchange(t, "one");
    if (move) {
        /* Same session, new source port: the transport borrows its socket
         * (transport.h), so it can be handed another. */
        if ((b = udp_to(argv[1], err, sizeof err)) == LM_SOCK_INVALID) {
            fprintf(stderr, "dtls_peer: %s\n", err);
            return 2;
        }
        t->sock = b;
        lm_net_close(a);
        a = b;
        lm_net_local_addr(b, local, sizeof local);
        printf("moved to %s\n", local);
        fflush(stdout);
        rc |= exchange(t, "two");
    }
    lm_tp_shutdown(t);
    lm_tp_destroy(t);
    lm_net_close(a);
    lm_tls_config_free(cfg);
    lm_net_cleanup();
    return rc ? 1 : 0;
}
