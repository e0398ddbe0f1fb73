/* lanmsg-bench workloads: the client side of every measure.
 *
 * Each workload speaks to an echo server through the same transport calls
 * the real client uses (lm_net_connect, lm_plain_new / lm_tls_new), so plain
 * and TLS differ only in the transport. Messages are lines: size-1 bytes of
 * payload and a newline, so a reply is complete when its newline arrives.
 * The sockets are blocking; waits are bounded so a stuck server cannot hang
 * the benchmark. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IO_TIMEOUT_MS 10000

/* ==== connections and blocking I/O ==== */

/* Connect, and run the TLS handshake when cfg is given. */
lm_transport *bm_open(const bench_target *t, lm_tls_config *cfg, char *err, size_t errlen)
{
    char peer[LM_ADDR_MAX];
    lm_transport *tp;
    lm_sock s;
    int rc;

    if (lm_net_connect(t->host, t->port, IO_TIMEOUT_MS, &s, peer, sizeof peer, err, errlen) !=
        LM_OK)
        return NULL;
    if (!cfg)
        return lm_plain_new(s, peer);
    tp = lm_tls_new(cfg, s, peer, t->host, err, errlen);
    if (!tp) {
        lm_net_close(s);
        return NULL;
    }
    while ((rc = lm_tp_handshake(tp)) == LM_WANT_READ || rc == LM_WANT_WRITE)
        if (lm_net_wait(tp->sock, rc == LM_WANT_WRITE, IO_TIMEOUT_MS) <= 0)
            break;
    if (rc != LM_OK) {
        snprintf(err, errlen, "TLS handshake with %s failed: %s", peer, tp->err);
        lm_tp_destroy_with_socket(tp);
        return NULL;
    }
    return tp;
}

/* Wait (bounded) for what a would-block transport call asked for. */
static int wait_for_want(lm_transport *tp, long want)
{
    return lm_net_wait(tp->sock, want == LM_WANT_WRITE, IO_TIMEOUT_MS) > 0 ? LM_OK : LM_ERR;
}

int bm_write_all(lm_transport *tp, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        long n = lm_tp_write(tp, p, len);
        if (n == LM_WANT_READ || n == LM_WANT_WRITE) {
            if (wait_for_want(tp, n) != LM_OK)
                return LM_ERR;
            continue;
        }
        if (n <= 0)
            return LM_ERR;
        p += n;
        len -= (size_t)n;
    }
    return LM_OK;
}

int bm_read_lines(lm_transport *tp, long lines)
{
    static _Thread_local char buf[65536];
    while (lines > 0) {
        long n = lm_tp_read(tp, buf, sizeof buf);
        if (n == LM_WANT_READ || n == LM_WANT_WRITE) {
            if (wait_for_want(tp, n) != LM_OK)
                return LM_ERR;
            continue;
        }
        if (n <= 0)
            return LM_ERR;
        for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))) != NULL; p++)
            lines--;
    }
    return LM_OK;
}

void bm_close(lm_transport *tp)
{
    if (tp && tp->secure)
        lm_tp_shutdown(tp);
    lm_tp_destroy_with_socket(tp);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bm_percentile(double *v, int n, double p)
{
    int i;
    if (n <= 0)
        return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    i = (int)ceil(p / 100.0 * n) - 1;
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* One message of `size` bytes: payload and a newline. */
static char *make_messages(size_t size, int count)
{
    char *m = malloc(size * (size_t)count);
    if (!m)
        return NULL;
    for (int k = 0; k < count; k++) {
        memset(m + size * (size_t)k, 'a' + k % 26, size - 1);
        m[size * (size_t)k + size - 1] = '\n';
    }
    return m;
}

static lm_tls_config *fresh_config(const bench_target *t, char *err, size_t errlen)
{
    int code;
    if (!t->tls)
        return NULL;
    return lm_tls_config_new(&t->tls_opts, err, errlen, &code);
}

/* ==== connection setup ==== */

/* n connections one after the other. Mode 0: every TLS connection gets a
 * fresh client configuration, so nothing can be resumed (a full handshake);
 * mode 1: one configuration that offers its last session each time. The
 * time is from connect() to a finished handshake; client CPU is this
 * thread's, server CPU the server process's over the whole loop. */
int bm_connect(const bench_target *t, int n, int mode, bm_connect_result *r, char *err,
               size_t errlen)
{
    double *lat = calloc((size_t)n, sizeof *lat), cli = 0, sum = 0, s0;
    lm_tls_config *shared = NULL;
    int rc = LM_ERR;

    memset(r, 0, sizeof *r);
    if (!lat)
        return LM_ERR;
    if (mode == 1 && t->tls) {
        lm_transport *tp;
        if (!(shared = fresh_config(t, err, errlen)))
            goto out;
        /* First connection: a full handshake that leaves a session (and, in
         * TLS 1.3, a ticket, which arrives with the first reply). */
        if (!(tp = bm_open(t, shared, err, errlen)))
            goto out;
        bm_write_all(tp, "x\n", 2);
        bm_read_lines(tp, 1);
        bm_close(tp);
    }
    s0 = t->server_pid ? bench_proc_cpu(t->server_pid) : 0;
    for (int i = 0; i < n; i++) {
        lm_tls_config *cfg = shared;
        lm_transport *tp;
        double c0;
        uint64_t t0;
        if (t->tls && !cfg && !(cfg = fresh_config(t, err, errlen)))
            goto out;
        c0 = bench_thread_cpu();
        t0 = lm_now_us();
        tp = bm_open(t, cfg, err, errlen);
        lat[i] = (double)(lm_now_us() - t0);
        cli += bench_thread_cpu() - c0;
        sum += lat[i];
        if (!tp) {
            if (cfg != shared)
                lm_tls_config_free(cfg);
            goto out;
        }
        r->resumed += tp->resumed;
        if (t->tls && mode == 1) {
            /* Let a TLS 1.3 client take the new ticket before closing. */
            bm_write_all(tp, "x\n", 2);
            bm_read_lines(tp, 1);
        }
        bm_close(tp);
        if (cfg != shared)
            lm_tls_config_free(cfg);
    }
    /* A plain connect completes in the kernel before the server even
     * accepts: give the server a moment to catch up before reading its CPU. */
    bench_sleep_ms(50);
    r->srv_cpu_ms = t->server_pid ? (bench_proc_cpu(t->server_pid) - s0) * 1e3 / n : NAN;
    r->cli_cpu_ms = cli * 1e3 / n;
    r->rate = sum > 0 ? n / (sum / 1e6) : NAN;
    r->p50_us = bm_percentile(lat, n, 50);
    r->p99_us = bm_percentile(lat, n, 99);
    rc = LM_OK;
out:
    lm_tls_config_free(shared);
    free(lat);
    return rc;
}

/* ==== ping-pong ==== */

/* One connection, one message in flight: the latency a person feels. */
int bm_rtt(const bench_target *t, size_t size, int n, bm_rtt_result *r, char *err, size_t errlen)
{
    double *lat = calloc((size_t)n, sizeof *lat);
    char *msg = make_messages(size, 1);
    lm_transport *tp = NULL;
    int rc = LM_ERR, warm = n / 10 + 1;

    if (!lat || !msg || !(tp = bm_open(t, t->tls, err, errlen)))
        goto out;
    for (int i = -warm; i < n; i++) {
        uint64_t t0 = lm_now_ns();
        if (bm_write_all(tp, msg, size) != LM_OK || bm_read_lines(tp, 1) != LM_OK) {
            snprintf(err, errlen, "echo over %s failed: %s", tp->desc, tp->err);
            goto out;
        }
        if (i >= 0)
            lat[i] = (double)(lm_now_ns() - t0) / 1000.0;
    }
    r->p50_us = bm_percentile(lat, n, 50);
    /* From the median, not the mean: one scheduling stall on a shared
     * machine would otherwise decide the figure. The baseline does the same. */
    r->per_sec = r->p50_us > 0 ? 1e6 / r->p50_us : NAN;
    r->p99_us = bm_percentile(lat, n, 99);
    rc = LM_OK;
out:
    bm_close(tp);
    free(msg);
    free(lat);
    return rc;
}

/* ==== throughput ==== */

/* `conns` connections, each with `window` messages in flight: write a
 * window to every connection, then collect every echo, and again, for
 * `seconds`. One thread drives all connections, as a load generator would;
 * the window is kept small enough (<= 64 KiB) that the server's output
 * queue never fills while we are still writing. */
int bm_throughput(const bench_target *t, int conns, size_t size, int window, double seconds,
                  bm_tput_result *r, char *err, size_t errlen)
{
    lm_transport **tp = calloc((size_t)conns, sizeof *tp);
    char *block = make_messages(size, window);
    double c0, s0, secs, mb;
    uint64_t t0, msgs = 0;
    int rc = LM_ERR, i;

    memset(r, 0, sizeof *r);
    if (!tp || !block)
        goto out;
    for (i = 0; i < conns; i++)
        if (!(tp[i] = bm_open(t, t->tls, err, errlen)))
            goto out;
    c0 = bench_proc_cpu(0);
    s0 = t->server_pid ? bench_proc_cpu(t->server_pid) : 0;
    t0 = lm_now_us();
    do {
        for (i = 0; i < conns; i++)
            if (bm_write_all(tp[i], block, size * (size_t)window) != LM_OK)
                goto io_err;
        for (i = 0; i < conns; i++)
            if (bm_read_lines(tp[i], window) != LM_OK)
                goto io_err;
        msgs += (uint64_t)conns * (uint64_t)window;
    } while ((double)(lm_now_us() - t0) / 1e6 < seconds);
    secs = (double)(lm_now_us() - t0) / 1e6;
    mb = (double)msgs * (double)size / 1e6;
    r->msgs_per_s = (double)msgs / secs;
    r->mb_per_s = mb / secs;
    r->cli_cpu_ms_per_mb = (bench_proc_cpu(0) - c0) * 1e3 / mb;
    r->srv_cpu_ms_per_mb = t->server_pid ? (bench_proc_cpu(t->server_pid) - s0) * 1e3 / mb : NAN;
    rc = LM_OK;
    goto out;
io_err:
    snprintf(err, errlen, "echo over %s failed: %s", tp[i]->desc, tp[i]->err);
out:
    for (i = 0; tp && i < conns; i++)
        bm_close(tp[i]);
    free(tp);
    free(block);
    return rc;
}

/* ==== memory per idle connection ==== */

/* Open n connections that have each finished their handshake and one echo,
 * then read how much the server's resident memory grew. One connection is
 * opened first so that one-time allocations are not counted. */
int bm_memory(const bench_target *t, int n, double *per_conn, char *err, size_t errlen)
{
    lm_transport **tp = calloc((size_t)n + 1, sizeof *tp);
    double r0 = -1, r1;
    int rc = LM_ERR, i;

    *per_conn = NAN;
    if (!tp)
        return LM_ERR;
    for (i = 0; i <= n; i++) {
        if (i == 1) {
            bench_sleep_ms(100);
            r0 = bench_proc_rss(t->server_pid);
        }
        if (!(tp[i] = bm_open(t, t->tls, err, errlen)) || bm_write_all(tp[i], "x\n", 2) != 0 ||
            bm_read_lines(tp[i], 1) != 0)
            goto out;
    }
    bench_sleep_ms(200);
    r1 = bench_proc_rss(t->server_pid);
    if (t->server_pid && r0 > 0 && r1 > 0)
        *per_conn = (r1 - r0) / n;
    rc = LM_OK;
out:
    for (i = 0; i <= n; i++)
        bm_close(tp[i]);
    free(tp);
    return rc;
}

/* ==== one-way bulk ==== */

/* One connection; the client writes 16 KiB at a time (one TLS record each)
 * for `seconds`, then closes and waits for the server to close too; the
 * server discards (bench_sink_service). The server closes only after it
 * has read everything before our close, so its CPU, read then, counts
 * every byte sent. */
int bm_oneway(const bench_target *t, double seconds, bm_tput_result *r, char *err, size_t errlen)
{
    static char block[16384];
    lm_transport *tp;
    double c0, s0, secs, mb;
    uint64_t t0, bytes = 0;

    memset(r, 0, sizeof *r);
    memset(block, 'o', sizeof block);
    if (!(tp = bm_open(t, t->tls, err, errlen)))
        return LM_ERR;
    c0 = bench_proc_cpu(0);
    s0 = t->server_pid ? bench_proc_cpu(t->server_pid) : 0;
    t0 = lm_now_us();
    do {
        for (int k = 0; k < 8; k++, bytes += sizeof block) {
            if (bm_write_all(tp, block, sizeof block) != LM_OK) {
                snprintf(err, errlen, "one-way transfer over %s failed: %s", tp->desc, tp->err);
                bm_close(tp);
                return LM_ERR;
            }
        }
    } while ((double)(lm_now_us() - t0) < seconds * 1e6);
    secs = (double)(lm_now_us() - t0) / 1e6;
    r->cli_cpu_ms_per_mb = (bench_proc_cpu(0) - c0) * 1e3 / ((double)bytes / 1e6);
    lm_tp_shutdown(tp); /* close_notify, or a FIN in plain TCP */
    for (int i = 0; i < 1000; i++) {
        long n = lm_tp_read(tp, block, sizeof block);
        if ((n == LM_WANT_READ || n == LM_WANT_WRITE) && wait_for_want(tp, n) == LM_OK)
            continue;
        if (n <= 0)
            break;
    }
    lm_tp_destroy_with_socket(tp);
    bench_sleep_ms(20);
    mb = (double)bytes / 1e6;
    r->mb_per_s = mb / secs;
    r->msgs_per_s = (double)bytes / sizeof block / secs;
    r->srv_cpu_ms_per_mb = t->server_pid ? (bench_proc_cpu(t->server_pid) - s0) * 1e3 / mb : NAN;
    return LM_OK;
}
