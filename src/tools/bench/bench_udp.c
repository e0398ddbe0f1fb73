/* lanmsg-bench: datagrams. lanmsg's UDP mode (one datagram is one message)
 * against an echo server started with --udp, measured the way the stream
 * columns are: round trips of 64 B and 1 KiB one at a time, the time and
 * bytes it takes to set a conversation up, and the bytes on the wire per
 * 64-byte echo; and the eavesdropper's view of one message.
 *
 * The bytes are counted by a relay on 127.0.0.1 that forwards datagrams
 * between the client and the server and keeps what it forwarded: the
 * datagrams' payloads, as the stream relay counts the stream's bytes (IP
 * and UDP or TCP headers are not counted in either). The client is a
 * connected UDP socket, as lanmsg-client --udp uses; every wait is bounded
 * and a missing reply is an error, not a retry, so a lost datagram cannot
 * flatter a figure. */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BU_WAIT_MS   2000 /* for one reply on loopback: generous */
#define BU_MAX_DGRAM 65536
#define BU_MAX_CAP   64 /* datagrams kept for the eavesdropper's view */

/* ==== the relay ==== */

typedef struct bu_dgram {
    int dir; /* 0 client -> server, 1 server -> client */
    size_t len;
    unsigned char *data;
} bu_dgram;

struct bu_relay {
    lm_sock front; /* where the client sends */
    lm_sock back;  /* connected to the server */
    char port[16];
    lm_addr client;
    int have_client;
    lm_thread *thread;
    atomic_int stop;
    atomic_ullong bytes[2], dgrams[2];
    lm_mutex *lock; /* guards cap and ncap */
    bu_dgram cap[BU_MAX_CAP];
    int ncap;
    unsigned char buf[BU_MAX_DGRAM];
};

static void relay_keep(bu_relay *r, int dir, const unsigned char *p, size_t n)
{
    atomic_fetch_add(&r->bytes[dir], n);
    atomic_fetch_add(&r->dgrams[dir], 1);
    lm_mutex_lock(r->lock);
    if (r->ncap < BU_MAX_CAP && (r->cap[r->ncap].data = malloc(n ? n : 1)) != NULL) {
        memcpy(r->cap[r->ncap].data, p, n);
        r->cap[r->ncap].len = n;
        r->cap[r->ncap].dir = dir;
        r->ncap++;
    }
    lm_mutex_unlock(r->lock);
}

static void relay_run(void *arg)
{
    bu_relay *r = arg;
    unsigned char *buf = r->buf;
    const size_t cap = sizeof r->buf;
    char err[160];

    while (!atomic_load(&r->stop)) {
        lm_addr from;
        long n;
        int any = 0;
        /* Both sockets are non-blocking: drain each, then wait a little on
         * the front one (the back one is polled on the next turn). */
        while ((n = lm_net_recvfrom(r->front, buf, cap, &from, err, sizeof err)) >= 0) {
            size_t len = (size_t)n < cap ? (size_t)n : cap;
            r->client = from;
            r->have_client = 1;
            relay_keep(r, 0, buf, len);
            lm_net_send(r->back, buf, len, err, sizeof err);
            any = 1;
        }
        while ((n = lm_net_recv(r->back, buf, cap, err, sizeof err)) >= 0) {
            size_t len = (size_t)n < cap ? (size_t)n : cap;
            relay_keep(r, 1, buf, len);
            if (r->have_client)
                lm_net_sendto(r->front, buf, len, &r->client, err, sizeof err);
            any = 1;
        }
        if (!any)
            bench_wait2(r->front, r->back, 20);
    }
}

bu_relay *bu_relay_start(const char *host, const char *port, char *err, size_t errlen)
{
    bu_relay *r = calloc(1, sizeof *r);
    char addr[LM_ADDR_MAX], peer[LM_ADDR_MAX];

    if (!r) {
        snprintf(err, errlen, "UDP relay: out of memory");
        return NULL;
    }
    r->front = r->back = LM_SOCK_INVALID;
    r->lock = lm_mutex_new();
    if (lm_net_udp_bind("127.0.0.1", "0", &r->front, err, errlen) != LM_OK ||
        lm_net_udp_connect(host, port, &r->back, peer, sizeof peer, err, errlen) != LM_OK) {
        bu_relay_stop(r);
        return NULL;
    }
    snprintf(r->port, sizeof r->port, "%d", lm_net_local_addr(r->front, addr, sizeof addr));
    if (lm_thread_start(&r->thread, relay_run, r) != 0) {
        r->thread = NULL;
        snprintf(err, errlen, "UDP relay: cannot start its thread");
        bu_relay_stop(r);
        return NULL;
    }
    return r;
}

const char *bu_relay_port(const bu_relay *r)
{
    return r->port;
}

void bu_relay_counts(bu_relay *r, uint64_t *c2s, uint64_t *s2c)
{
    *c2s = atomic_load(&r->bytes[0]);
    *s2c = atomic_load(&r->bytes[1]);
}

void bu_relay_stop(bu_relay *r)
{
    if (!r)
        return;
    atomic_store(&r->stop, 1);
    if (r->thread)
        lm_thread_join(r->thread);
    if (r->front != LM_SOCK_INVALID)
        lm_net_close(r->front);
    if (r->back != LM_SOCK_INVALID)
        lm_net_close(r->back);
    for (int i = 0; i < r->ncap; i++)
        free(r->cap[i].data);
    lm_mutex_free(r->lock);
    free(r);
}

/* ==== the client ==== */

/* One datagram out and its echo back, bounded. */
static int echo_once(lm_sock s, const char *msg, size_t len, char *buf, size_t buflen, char *err,
                     size_t errlen, const char *port)
{
    long n = lm_net_send(s, msg, len, err, errlen);
    if (n != (long)len)
        return LM_ERR;
    if (lm_net_wait(s, 0, BU_WAIT_MS) <= 0) {
        lm_format(err, errlen, LM_M_BENCH_UDP_NO_REPLY, port, BU_WAIT_MS);
        return LM_ERR;
    }
    n = lm_net_recv(s, buf, buflen, err, errlen);
    if (n != (long)len) {
        if (n >= 0)
            lm_format(err, errlen, LM_M_BENCH_UDP_SHORT, port, (size_t)n, len);
        return LM_ERR;
    }
    return LM_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int bu_rtt(const char *host, const char *port, size_t size, int n, bm_rtt_result *r, char *err,
           size_t errlen)
{
    char peer[LM_ADDR_MAX], *msg = malloc(size), *buf = malloc(size + 1);
    uint64_t *us = calloc((size_t)n, sizeof *us), t0;
    lm_sock s = LM_SOCK_INVALID;
    int rc = LM_ERR, warm = n / 10 + 1;

    r->p50_us = r->p99_us = r->per_sec = NAN;
    if (!msg || !buf || !us) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    memset(msg, 'u', size);
    msg[size - 1] = '\n';
    if (lm_net_udp_connect(host, port, &s, peer, sizeof peer, err, errlen) != LM_OK)
        goto out;
    for (int i = 0; i < warm; i++)
        if (echo_once(s, msg, size, buf, size + 1, err, errlen, port) != LM_OK)
            goto out;
    t0 = lm_now_us();
    for (int i = 0; i < n; i++) {
        uint64_t a = lm_now_us();
        if (echo_once(s, msg, size, buf, size + 1, err, errlen, port) != LM_OK)
            goto out;
        us[i] = lm_now_us() - a;
    }
    r->per_sec = (double)n / ((double)(lm_now_us() - t0) / 1e6);
    qsort(us, (size_t)n, sizeof *us, cmp_u64);
    r->p50_us = (double)us[n / 2];
    r->p99_us = (double)
        us[(size_t)((double)n * 0.99) < (size_t)n ? (size_t)((double)n * 0.99) : (size_t)n - 1];
    rc = LM_OK;
out:
    if (s != LM_SOCK_INVALID)
        lm_net_close(s);
    free(msg);
    free(buf);
    free(us);
    return rc;
}

int bu_wire_bytes(const char *host, const char *port, double *setup, double *per_msg, char *err,
                  size_t errlen)
{
    bu_relay *r = bu_relay_start(host, port, err, errlen);
    char peer[LM_ADDR_MAX], msg[64], buf[65];
    lm_sock s = LM_SOCK_INVALID;
    uint64_t a0, b0, a1, b1;
    int rc = LM_ERR;
    const int n = 10;

    *setup = *per_msg = NAN;
    if (!r)
        return LM_ERR;
    memset(msg, 'w', sizeof msg);
    msg[sizeof msg - 1] = '\n';
    if (lm_net_udp_connect("127.0.0.1", bu_relay_port(r), &s, peer, sizeof peer, err, errlen) !=
        LM_OK)
        goto out;
    /* UDP sets nothing up: the first datagram is the message. */
    bu_relay_counts(r, &a0, &b0);
    for (int i = 0; i < n; i++)
        if (echo_once(s, msg, sizeof msg, buf, sizeof buf, err, errlen, port) != LM_OK)
            goto out;
    bench_sleep_ms(20);
    bu_relay_counts(r, &a1, &b1);
    *per_msg = (double)(a1 - a0 + b1 - b0) / n;
    rc = LM_OK;
out:
    if (s != LM_SOCK_INVALID)
        lm_net_close(s);
    bu_relay_stop(r);
    return rc;
}

/* ==== the eavesdropper's view ==== */

void bu_relay_show(bu_relay *r, void (*show)(void *, int, const unsigned char *, size_t), void *ctx)
{
    atomic_store(&r->stop, 1);
    if (r->thread)
        lm_thread_join(r->thread);
    r->thread = NULL;
    for (int i = 0; i < r->ncap; i++)
        show(ctx, r->cap[i].dir, r->cap[i].data, r->cap[i].len);
}

void bu_relay_dump(const bu_relay *r, const char *dir, const char *name)
{
    for (int d = 0; d < 2; d++) {
        char path[1024];
        FILE *f;
        snprintf(path, sizeof path, "%s/%s.%s", dir, name, d ? "s2c" : "c2s");
        if (!(f = fopen(path, "wb"))) {
            bench_out(LM_M_BENCH_CANNOT_WRITE, path, strerror(errno));
            continue;
        }
        for (int i = 0; i < r->ncap; i++)
            if (r->cap[i].dir == d)
                fwrite(r->cap[i].data, 1, r->cap[i].len, f);
        fclose(f);
    }
}

/* A datagram in clear: hexdump and text. */
static void show_clear(void *ctx, int dir, const unsigned char *data, size_t len)
{
    char text[512];
    (void)ctx;
    bench_out(dir ? LM_M_BENCH_WT_DGRAM_S2C : LM_M_BENCH_WT_DGRAM_C2S, len);
    bw_hexdump(data, len, 256);
    lm_escape(text, sizeof text, (const char *)data, len);
    bench_out(LM_M_BENCH_WT_TEXT, text);
}

int bu_wiretap(const bench_opts *o, const char *port)
{
    char err[512], peer[LM_ADDR_MAX], buf[BU_MAX_DGRAM];
    bu_relay *r = bu_relay_start("127.0.0.1", port, err, sizeof err);
    size_t mlen = strlen(o->message);
    lm_sock s = LM_SOCK_INVALID;
    int rc = LM_EXIT_RUNTIME;

    bench_out(LM_M_BENCH_WT_UDP);
    if (!r)
        goto fail;
    if (lm_net_udp_connect("127.0.0.1", bu_relay_port(r), &s, peer, sizeof peer, err, sizeof err) !=
            LM_OK ||
        echo_once(s, o->message, mlen, buf, sizeof buf, err, sizeof err, port) != LM_OK)
        goto fail;
    bench_out(LM_M_BENCH_WT_UDP_HEADER);
    bench_sleep_ms(50);
    bu_relay_show(r, show_clear, NULL);
    if (o->dump_dir)
        bu_relay_dump(r, o->dump_dir, "udp");
    bench_out(LM_M_BENCH_WT_UDP_OUTRO);
    rc = LM_EXIT_OK;
    goto out;
fail:
    bench_out(LM_M_BENCH_ERROR, err);
out:
    if (s != LM_SOCK_INVALID)
        lm_net_close(s);
    bu_relay_stop(r);
    return rc;
}
