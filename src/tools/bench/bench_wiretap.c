/* lanmsg-bench: the eavesdropper's view.
 *
 * A TCP relay on 127.0.0.1 sits between the client and the server and
 * records every byte that crosses it, in each direction. It answers two
 * questions: how many bytes go on the wire for a message (the TLS record
 * overhead), and what someone on the path would see (readable text in
 * plain mode; records of ciphertext with TLS). No root and no capture
 * library are needed, because the relay is the wire. */
#include "bench.h"
#include "platform/poller.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURE_MAX (1024 * 1024)
#define CHUNKS_MAX  4096

/* ==== the relay ==== */

typedef struct relay_chunk {
    int dir; /* 0 client to server, 1 server to client */
    size_t off, len;
} relay_chunk;

struct bench_relay {
    lm_sock listener;
    char port[16], up_host[128], up_port[16];
    lm_thread *thread;
    atomic_int stop;
    lm_mutex *lock;
    uint64_t count[2];
    unsigned char *cap; /* what crossed, in order, up to CAPTURE_MAX */
    size_t caplen;
    relay_chunk chunks[CHUNKS_MAX];
    int nchunks;
};

/* Count and keep one chunk that just crossed. */
static void relay_record(bench_relay *r, int dir, const unsigned char *p, size_t n)
{
    lm_mutex_lock(r->lock);
    r->count[dir] += n;
    if (r->caplen + n <= CAPTURE_MAX && r->nchunks < CHUNKS_MAX) {
        memcpy(r->cap + r->caplen, p, n);
        r->chunks[r->nchunks++] = (relay_chunk){dir, r->caplen, n};
        r->caplen += n;
    }
    lm_mutex_unlock(r->lock);
}

/* Copy bytes both ways between one client and the server until both sides
 * have closed. Reads are driven by the poller; writes block, which is fine
 * for a relay whose two peers both keep reading. */
static void relay_pump(bench_relay *r, lm_sock side[2])
{
    static unsigned char buf[65536];
    lm_poller *p = lm_poller_new();
    int open[2] = {1, 1}, tag[2] = {0, 1};
    char err[128];

    if (!p)
        return;
    lm_poller_add(p, side[0], LM_EV_READ, &tag[0]);
    lm_poller_add(p, side[1], LM_EV_READ, &tag[1]);
    while ((open[0] || open[1]) && !atomic_load(&r->stop)) {
        lm_event ev[2];
        int n = lm_poller_wait(p, ev, 2, 50, NULL, 0);
        for (int i = 0; i < n; i++) {
            int from = *(int *)ev[i].udata, to = 1 - from;
            long got = lm_net_recv(side[from], buf, sizeof buf, err, sizeof err);
            if (got == LM_WANT_READ || got == LM_WANT_WRITE)
                continue;
            if (got <= 0) {
                lm_poller_del(p, side[from]);
                open[from] = 0;
                lm_net_shutdown_write(side[to]);
                continue;
            }
            relay_record(r, from, buf, (size_t)got);
            for (long o = 0; o < got;) {
                long w = lm_net_send(side[to], buf + o, (size_t)(got - o), err, sizeof err);
                if (w == LM_WANT_WRITE) {
                    lm_net_wait(side[to], 1, 1000);
                    continue;
                }
                if (w <= 0)
                    break;
                o += w;
            }
        }
    }
    lm_poller_free(p);
}

static void relay_thread(void *arg)
{
    bench_relay *r = arg;
    char peer[LM_ADDR_MAX], err[256];
    while (!atomic_load(&r->stop)) {
        lm_sock side[2];
        if (lm_net_wait(r->listener, 0, 50) <= 0)
            continue;
        if (lm_net_accept(r->listener, &side[0], peer, sizeof peer, err, sizeof err) != LM_OK)
            continue;
        if (lm_net_connect(r->up_host, r->up_port, 5000, &side[1], peer, sizeof peer, err,
                           sizeof err) != LM_OK) {
            lm_net_close(side[0]);
            continue;
        }
        lm_net_set_nodelay(side[0]);
        relay_pump(r, side);
        lm_net_close(side[0]);
        lm_net_close(side[1]);
    }
}

bench_relay *bw_relay_start(const char *host, const char *port, char *err, size_t errlen)
{
    bench_relay *r = calloc(1, sizeof *r);
    char addr[LM_ADDR_MAX];
    if (!r || !(r->cap = malloc(CAPTURE_MAX))) {
        free(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(r->up_host, sizeof r->up_host, "%s", host);
    snprintf(r->up_port, sizeof r->up_port, "%s", port);
    if (lm_net_listen("127.0.0.1", "0", 16, &r->listener, err, errlen) != LM_OK) {
        free(r->cap);
        free(r);
        return NULL;
    }
    snprintf(r->port, sizeof r->port, "%d", lm_net_local_addr(r->listener, addr, sizeof addr));
    r->lock = lm_mutex_new();
    if (!r->lock || lm_thread_start(&r->thread, relay_thread, r) != 0) {
        snprintf(err, errlen, "cannot start the capturing relay: no thread");
        lm_mutex_free(r->lock);
        lm_net_close(r->listener);
        free(r->cap);
        free(r);
        return NULL;
    }
    return r;
}

const char *bw_relay_port(const bench_relay *r)
{
    return r->port;
}

void bw_relay_counts(bench_relay *r, uint64_t *c2s, uint64_t *s2c)
{
    lm_mutex_lock(r->lock);
    *c2s = r->count[0];
    *s2c = r->count[1];
    lm_mutex_unlock(r->lock);
}

void bw_relay_stop(bench_relay *r)
{
    if (!r)
        return;
    atomic_store(&r->stop, 1);
    lm_thread_join(r->thread);
    lm_net_close(r->listener);
    lm_mutex_free(r->lock);
    free(r->cap);
    free(r);
}

/* ==== bytes on the wire ==== */

/* Through the relay: one connection, its handshake, then 64-byte echoes.
 * Setup bytes are what crossed before the first message (both ways; for
 * TLS 1.3 the session ticket is included); per message, both ways. */
int bw_wire_bytes(const bench_target *t, double *setup, double *per_msg, char *err, size_t errlen)
{
    enum { K = 50, SIZE = 64 };
    bench_relay *r = bw_relay_start(t->host, t->port, err, errlen);
    bench_target via = *t;
    lm_transport *tp;
    char msg[SIZE];
    uint64_t a0, b0, a1, b1, a2, b2;
    int rc = LM_ERR;

    if (!r)
        return LM_ERR;
    via.host = "127.0.0.1";
    via.port = bw_relay_port(r);
    memset(msg, 'w', SIZE - 1);
    msg[SIZE - 1] = '\n';
    if (!(tp = bm_open(&via, t->tls, err, errlen)))
        goto out;
    bw_relay_counts(r, &a0, &b0);
    if (bm_write_all(tp, msg, SIZE) != 0 || bm_read_lines(tp, 1) != 0)
        goto fail;
    bw_relay_counts(r, &a1, &b1);
    for (int i = 0; i < K; i++)
        if (bm_write_all(tp, msg, SIZE) != 0 || bm_read_lines(tp, 1) != 0)
            goto fail;
    bw_relay_counts(r, &a2, &b2);
    *per_msg = (double)(a2 + b2 - a1 - b1) / K;
    /* The first echo may carry a late TLS 1.3 ticket: count it as setup. */
    *setup = (double)(a1 + b1) - *per_msg;
    (void)a0;
    (void)b0;
    rc = LM_OK;
    goto out;
fail:
    snprintf(err, errlen, "echo through the relay failed: %s", tp->err);
out:
    bm_close(tp);
    bw_relay_stop(r);
    return rc;
}

/* ==== the eavesdropper's view ==== */

/* Hexdump lines: offset, 16 bytes in hex, the same bytes as ASCII. */
void bw_hexdump(const unsigned char *p, size_t n, size_t limit)
{
    size_t shown = n < limit ? n : limit;
    for (size_t o = 0; o < shown; o += 16) {
        char line[100];
        int k = snprintf(line, sizeof line, "    %04zx  ", o);
        for (size_t i = 0; i < 16; i++)
            k += snprintf(line + k, sizeof line - (size_t)k, o + i < shown ? "%02x " : "   ",
                          o + i < shown ? p[o + i] : 0);
        k += snprintf(line + k, sizeof line - (size_t)k, " |");
        for (size_t i = 0; i < 16 && o + i < shown; i++)
            line[k++] = p[o + i] >= 32 && p[o + i] < 127 ? (char)p[o + i] : '.';
        snprintf(line + k, sizeof line - (size_t)k, "|");
        bench_out(LM_M_BENCH_DATA, line);
    }
    if (shown < n)
        bench_out(LM_M_BENCH_WT_MORE, n - shown);
}

const char *bw_record_type_name(int t)
{
    switch (t) {
    case 20:
        return "change_cipher_spec";
    case 21:
        return "alert";
    case 22:
        return "handshake";
    case 23:
        return "application_data";
    case 24:
        return "heartbeat";
    default:
        return "unknown";
    }
}

/* Print every complete TLS record in buf[*used..len) and advance *used.
 * A record is a 5-byte header (type, version, length) and its body; the
 * body of everything after the handshake is ciphertext. */
static void print_records(int dir, const unsigned char *buf, size_t len, size_t *used)
{
    while (len - *used >= 5) {
        const unsigned char *h = buf + *used;
        size_t body = (size_t)h[3] << 8 | h[4];
        if (len - *used < 5 + body)
            break;
        bench_out(dir ? LM_M_BENCH_WT_REC_S2C : LM_M_BENCH_WT_REC_C2S, bw_record_type_name(h[0]),
                  h[0], h[1], h[2], body);
        bw_hexdump(h + 5, body, h[0] == 23 ? 256 : 64);
        *used += 5 + body;
    }
}

/* Raw capture files, one per direction, for the tests and for tools. */
static void dump_files(const char *dir, const char *name, const bench_relay *r)
{
    for (int d = 0; d < 2; d++) {
        char path[1024];
        FILE *f;
        snprintf(path, sizeof path, "%s/%s.%s", dir, name, d ? "s2c" : "c2s");
        if (!(f = fopen(path, "wb"))) {
            bench_out(LM_M_BENCH_CANNOT_WRITE, path, strerror(errno));
            continue;
        }
        for (int i = 0; i < r->nchunks; i++)
            if (r->chunks[i].dir == d)
                fwrite(r->cap + r->chunks[i].off, 1, r->chunks[i].len, f);
        fclose(f);
    }
}

/* Send one message through the relay and show what crossed. */
static int tap_one(const bench_opts *o, const bench_target *t, const char *name)
{
    char err[512];
    bench_relay *r = bw_relay_start(t->host, t->port, err, sizeof err);
    bench_target via = *t;
    lm_transport *tp;
    size_t mlen = strlen(o->message), used[2] = {0, 0}, have[2] = {0, 0};
    unsigned char *stream[2];
    char *line = malloc(mlen + 2);

    if (!r || !line) {
        bench_out(LM_M_BENCH_ERROR, r ? "out of memory" : err);
        free(line);
        bw_relay_stop(r);
        return LM_EXIT_RUNTIME;
    }
    memcpy(line, o->message, mlen);
    line[mlen] = '\n';
    via.host = "127.0.0.1";
    via.port = bw_relay_port(r);
    tp = bm_open(&via, t->tls, err, sizeof err);
    if (!tp || bm_write_all(tp, line, mlen + 1) != 0 || bm_read_lines(tp, 1) != 0) {
        bench_out(LM_M_BENCH_ERROR, tp ? tp->err : err);
        bm_close(tp);
        free(line);
        bw_relay_stop(r);
        return LM_EXIT_RUNTIME;
    }
    bench_out(LM_M_BENCH_WT_HEADER, tp->desc);
    bm_close(tp);
    bench_sleep_ms(150); /* let the relay see both closes */
    atomic_store(&r->stop, 1);
    lm_thread_join(r->thread);
    r->stop = 0;

    stream[0] = malloc(r->caplen + 1);
    stream[1] = malloc(r->caplen + 1);
    for (int i = 0; stream[0] && stream[1] && i < r->nchunks; i++) {
        relay_chunk *c = &r->chunks[i];
        bench_out(c->dir ? LM_M_BENCH_WT_S2C : LM_M_BENCH_WT_C2S, c->len);
        if (!t->tls) {
            char text[512];
            bw_hexdump(r->cap + c->off, c->len, 256);
            lm_escape(text, sizeof text, (const char *)r->cap + c->off, c->len);
            bench_out(LM_M_BENCH_WT_TEXT, text);
            continue;
        }
        memcpy(stream[c->dir] + have[c->dir], r->cap + c->off, c->len);
        have[c->dir] += c->len;
        print_records(c->dir, stream[c->dir], have[c->dir], &used[c->dir]);
    }
    if (o->dump_dir)
        dump_files(o->dump_dir, name, r);
    free(stream[0]);
    free(stream[1]);
    free(line);
    /* The thread has been joined: free what is left by hand. */
    lm_net_close(r->listener);
    lm_mutex_free(r->lock);
    free(r->cap);
    free(r);
    return LM_EXIT_OK;
}

int bw_wiretap(const bench_opts *o, const bench_target *plain, const bench_target *tls)
{
    int rc;
    bench_out(LM_M_BENCH_WT_INTRO, o->message);
    bench_out(LM_M_BENCH_WT_PLAIN);
    rc = tap_one(o, plain, "plain");
    if (rc != LM_EXIT_OK || !tls)
        return rc;
    bench_out(LM_M_BENCH_WT_TLS);
    rc = tap_one(o, tls, "tls");
    if (rc == LM_EXIT_OK)
        bench_out(LM_M_BENCH_WT_OUTRO);
    return rc;
}
