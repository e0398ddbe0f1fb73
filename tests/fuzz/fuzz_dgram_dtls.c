/* Fuzz target: the DTLS server's datagram demultiplexer (src/core/
 * dgram_dtls.c) with the gate, the peers and the record reader behind it.
 *
 * A real server (--udp --tls, --max-clients 2) is made for each input, on
 * 127.0.0.1 with port 0, and the input is cut into datagrams, each handed
 * to lm_dgram_dispatch as the engine's read of the shared socket does, as if
 * sent by one of four UDP sockets of this harness; the server's answers go
 * to those sockets, which read them. A cookie cannot be guessed, so a
 * datagram may ask for its ClientHello's cookie to be replaced by the last
 * one the server gave that sender: then the fuzzer reaches real peers,
 * their handshakes, connection IDs and moves between senders.
 *
 * Input: a sequence of [flags][length, 2 bytes][datagram]. Flags bits 0-1:
 * the sender; bit 2: put in the cookie. Besides the sanitizers it checks
 * the bounds the engine promises: never more than --max-clients peers,
 * plus the few kept to be told "server full". */
#define _XOPEN_SOURCE 700 /* a POSIX test harness: sockets, mkdtemp, readlink */

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/core/engine.h"
#include "fuzz_certs.h"
#include "lanmsg/net.h"
#include "lanmsg/service.h"
#include "lanmsg/tls.h"
#include "util/text.h"

#define SENDERS     4
#define MAX_CLIENTS 2
#define OVER_MAX    16 /* dgram_dtls.c: peers past the limit told "server full" */

typedef struct sender {
    lm_sock s;
    lm_addr addr;
    unsigned char cookie[255];
    size_t cookie_len;
} sender;

static lm_tls_config *config(void)
{
    static int quiet;
    if (!quiet++)
        lm_log_set_level(LM_LOG_QUIET);
    return fz_server_config(1);
}

static sender *senders(void)
{
    static sender sd[SENDERS];
    static int made;
    char err[256];
    if (!made) {
        for (int i = 0; i < SENDERS; i++) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            if (lm_net_udp_bind("127.0.0.1", "0", &sd[i].s, err, sizeof err) != LM_OK ||
                getsockname((int)sd[i].s, (struct sockaddr *)&ss, &sl) != 0) {
                fprintf(stderr, "fuzz: %s\n", err);
                abort();
            }
            sd[i].addr.len = (unsigned)sl;
            memcpy(sd[i].addr.bytes, &ss, sl);
        }
        made = 1;
    }
    return sd;
}

/* Read what the server sent a sender; keep the cookie of a
 * HelloVerifyRequest (record 13 + handshake 12 + version 2 + length 1). */
static void drain(sender *d)
{
    unsigned char buf[4096];
    char err[256];
    lm_addr from;
    long n;
    while ((n = lm_net_recvfrom(d->s, buf, sizeof buf, &from, err, sizeof err)) > 0 ||
           n == LM_ERR_RESET) {
        if (n >= 28 && (size_t)n <= sizeof buf && buf[0] == 22 && buf[13] == 3 &&
            (size_t)n >= 28u + buf[27]) {
            d->cookie_len = buf[27];
            memcpy(d->cookie, buf + 28, d->cookie_len);
        }
    }
}

/* The datagram with its ClientHello's cookie replaced by the sender's
 * (lengths fixed up), into out; its length, or 0 when it has no cookie
 * field to replace. */
static size_t with_cookie(const sender *d, const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
    lm_dtls_rec rec;
    size_t at, after, len;
    if (lm_dtls_peek(p, n, LM_DTLS_CID_LEN, &rec) != LM_DTLS_REC_OK || !rec.cookie || rec.cid)
        return 0;
    at = (size_t)(rec.cookie - p) - 1; /* the cookie's length byte */
    after = at + 1 + rec.cookie_len;
    len = at + 1 + d->cookie_len + (n - after);
    if (len > cap)
        return 0;
    memcpy(out, p, at);
    out[at] = (uint8_t)d->cookie_len;
    memcpy(out + at + 1, d->cookie, d->cookie_len);
    memcpy(out + at + 1 + d->cookie_len, p + after, n - after);
    /* record length (bytes 11-12), handshake length (14-16) and fragment
     * length (22-24) grow or shrink by the difference */
    long diff = (long)d->cookie_len - (long)rec.cookie_len;
    size_t rl = ((size_t)out[11] << 8 | out[12]) + (size_t)diff;
    size_t hl = ((size_t)out[14] << 16 | (size_t)out[15] << 8 | out[16]) + (size_t)diff;
    size_t fl = ((size_t)out[22] << 16 | (size_t)out[23] << 8 | out[24]) + (size_t)diff;
    out[11] = (uint8_t)(rl >> 8), out[12] = (uint8_t)rl;
    out[14] = (uint8_t)(hl >> 16), out[15] = (uint8_t)(hl >> 8), out[16] = (uint8_t)hl;
    out[22] = (uint8_t)(fl >> 16), out[23] = (uint8_t)(fl >> 8), out[24] = (uint8_t)fl;
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t fixed[LM_DGRAM_MAX];
    lm_server_config c;
    lm_server *srv;
    sender *sd;
    char err[512];
    int code;
    size_t i = 0;

    if (size > 65536)
        return 0;
    lm_server_config_defaults(&c);
    c.host = "127.0.0.1";
    c.port = "0";
    c.tcp = 0;
    c.udp = 1;
    c.tls = config();
    c.max_clients = MAX_CLIENTS;
    c.service = lm_service_find("echo");
    sd = senders();
    for (int k = 0; k < SENDERS; k++) {
        drain(&sd[k]);
        sd[k].cookie_len = 0;
    }
    if (lm_net_init(err, sizeof err) != LM_OK ||
        !(srv = lm_server_new(&c, err, sizeof err, &code))) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    lm_loop *l = srv->loops[0];
    while (i + 3 <= size) {
        unsigned flags = data[i];
        size_t n = (size_t)data[i + 1] << 8 | data[i + 2];
        const uint8_t *p = data + i + 3;
        sender *d = &sd[flags % SENDERS];
        i += 3;
        if (n > size - i)
            n = size - i;
        i += n;
        if ((flags & 4) && d->cookie_len) {
            size_t m = with_cookie(d, p, n, fixed, sizeof fixed);
            if (m) {
                p = fixed;
                n = m;
            }
        }
        lm_dgram_dispatch(l, &d->addr, p, n);
        lm_loop_settle(l);
        if (atomic_load(&srv->clients) > MAX_CLIENTS || atomic_load(&srv->over_limit) > OVER_MAX)
            abort(); /* the bound on peers broke */
        drain(d);
    }
    lm_server_free(srv);
    lm_net_cleanup();
    return 0;
}
