/* lanmsg-bench baselines: the least a round trip can cost here.
 *
 * The plain baseline is the simplest blocking ping-pong one can write:
 * a thread that reads exactly `size` bytes and writes them back, and a
 * client that does the same the other way, over loopback with TCP_NODELAY.
 * No framing, no event loop, no output queue: only the kernel. It uses the
 * lm_net_* calls from lanmsg/net.h, which are thin wrappers over recv/send
 * (lanmsg keeps every OS call in src/platform), and nothing else of lanmsg.
 * lanmsg's plain echo over one connection is then compared with it. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct raw_server {
    lm_sock listener;
    size_t size;
} raw_server;

/* Read exactly len bytes; 0 at EOF, -1 on error. */
static int read_exact(lm_sock s, unsigned char *p, size_t len)
{
    char err[128];
    while (len > 0) {
        long n = lm_net_recv(s, p, len, err, sizeof err);
        if (n == LM_WANT_READ) {
            lm_net_wait(s, 0, 5000);
            continue;
        }
        if (n <= 0)
            return n == 0 ? 0 : -1;
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

static int write_exact(lm_sock s, const unsigned char *p, size_t len)
{
    char err[128];
    while (len > 0) {
        long n = lm_net_send(s, p, len, err, sizeof err);
        if (n == LM_WANT_WRITE) {
            lm_net_wait(s, 1, 5000);
            continue;
        }
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

/* The echo side: one client, blocking, until it closes. */
static void raw_server_run(void *arg)
{
    raw_server *rs = arg;
    unsigned char buf[65536];
    char peer[LM_ADDR_MAX], err[128];
    lm_sock c;

    if (lm_net_wait(rs->listener, 0, 5000) <= 0 ||
        lm_net_accept(rs->listener, &c, peer, sizeof peer, err, sizeof err) != LM_OK)
        return;
    lm_net_set_nonblocking(c, 0);
    lm_net_set_nodelay(c);
    while (read_exact(c, buf, rs->size) == 1 && write_exact(c, buf, rs->size) == 1)
        ;
    lm_net_close(c);
}

int bb_raw_pingpong(size_t size, int n, double *per_sec, double *p50_us, char *err, size_t errlen)
{
    raw_server rs = {LM_SOCK_INVALID, size};
    unsigned char buf[65536];
    char addr[LM_ADDR_MAX], port[16], peer[LM_ADDR_MAX];
    double *lat = calloc((size_t)n, sizeof *lat);
    int warm = n / 10 + 1, rc = LM_ERR;
    lm_thread *th;
    lm_sock s;

    if (!lat || size > sizeof buf)
        goto out_free;
    memset(buf, 'r', size);
    if (lm_net_listen("127.0.0.1", "0", 4, &rs.listener, err, errlen) != LM_OK)
        goto out_free;
    snprintf(port, sizeof port, "%d", lm_net_local_addr(rs.listener, addr, sizeof addr));
    if (lm_thread_start(&th, raw_server_run, &rs) != 0) {
        snprintf(err, errlen, "cannot start the baseline echo thread");
        goto out_listener;
    }
    if (lm_net_connect("127.0.0.1", port, 5000, &s, peer, sizeof peer, err, errlen) == LM_OK) {
        int i;
        for (i = -warm; i < n; i++) {
            uint64_t t0 = lm_now_ns();
            if (write_exact(s, buf, size) != 1 || read_exact(s, buf, size) != 1)
                break;
            if (i >= 0)
                lat[i] = (double)(lm_now_ns() - t0) / 1000.0;
        }
        lm_net_close(s);
        if (i == n) {
            *p50_us = bm_percentile(lat, n, 50);
            *per_sec = 1e6 / *p50_us; /* from the median, as lanmsg's figure */
            rc = LM_OK;
        } else {
            snprintf(err, errlen, "the baseline ping-pong broke off after %d round trips", i);
        }
    }
    lm_thread_join(th);
out_listener:
    lm_net_close(rs.listener);
out_free:
    free(lat);
    return rc;
}

bench_baseline *bb_add(bench_results *res, const char *key, int col, lm_msg_id label,
                       const char *unit, double baseline, double measured, double ratio,
                       double target, int want_ge, lm_msg_id note)
{
    bench_baseline *b;
    if (res->nbase >= BENCH_MAX_BASE)
        return NULL;
    b = &res->base[res->nbase++];
    *b = (bench_baseline){key,
                          col,
                          label,
                          unit,
                          baseline,
                          measured,
                          ratio,
                          NAN,
                          NAN,
                          target,
                          want_ge,
                          note,
                          {NAN, NAN, NAN, NAN, NAN}};
    return b;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bb_median(const double *v, int n, double *lo, double *hi)
{
    double s[64];
    if (n > 64)
        n = 64;
    memcpy(s, v, sizeof *s * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    if (lo)
        *lo = n > 1 ? s[0] : NAN;
    if (hi)
        *hi = n > 1 ? s[n - 1] : NAN;
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
