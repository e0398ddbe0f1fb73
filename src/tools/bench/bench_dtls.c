/* lanmsg-bench: DTLS 1.2, the datagram column beside TLS 1.2.
 *
 * The client is lanmsg's own (lm_dtls_new over a connected UDP socket, as
 * lanmsg-client --udp --tls uses), against an echo server started with
 * --udp --tls. The handshake is driven the way the client program drives
 * it: call it again when the socket is readable or when the library's
 * retransmission timer is due, within a bound. Bytes are counted by the UDP
 * relay of bench_udp.c, so a cookie exchange (HelloVerifyRequest) and any
 * resent flight are in the set-up figure, as they would be on a wire. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/dtls.h"

#define BD_WAIT_MS 5000 /* a handshake or a reply on loopback */

typedef struct bd_conn {
    lm_sock sock;
    lm_transport *tp;
} bd_conn;

static void bd_close(bd_conn *c)
{
    if (c->tp) {
        lm_tp_shutdown(c->tp); /* close_notify, so the server forgets us now */
        lm_tp_destroy(c->tp);
    }
    if (c->sock != LM_SOCK_INVALID)
        lm_net_close(c->sock);
    c->tp = NULL;
    c->sock = LM_SOCK_INVALID;
}

/* Connect and finish the handshake, bounded. */
static int bd_open(const char *port, lm_tls_config *cfg, bd_conn *c, char *err, size_t errlen)
{
    char peer[LM_ADDR_MAX];
    uint64_t until = lm_now_ms() + BD_WAIT_MS;
    int rc;

    c->tp = NULL;
    c->sock = LM_SOCK_INVALID;
    if (lm_net_udp_connect("127.0.0.1", port, &c->sock, peer, sizeof peer, err, errlen) != LM_OK)
        return LM_ERR;
    if (!(c->tp = lm_dtls_new(cfg, c->sock, peer, "127.0.0.1", err, errlen))) {
        bd_close(c);
        return LM_ERR;
    }
    while ((rc = lm_tp_handshake(c->tp)) == LM_WANT_READ || rc == LM_WANT_WRITE) {
        uint64_t now = lm_now_ms();
        long timer = lm_dtls_timer_ms(c->tp), left = now >= until ? 0 : (long)(until - now);
        long wait = timer >= 0 && timer < left ? timer : left;
        if (left == 0)
            break;
        if (wait > 0)
            lm_net_wait(c->sock, rc == LM_WANT_WRITE, (int)wait);
    }
    if (rc != LM_OK) {
        snprintf(err, errlen, "DTLS handshake with %s failed: %s", peer,
                 c->tp->err[0] ? c->tp->err : "no answer in time");
        bd_close(c);
        return LM_ERR;
    }
    return LM_OK;
}

/* One message out (one record, one datagram) and its echo back. */
static int bd_echo(bd_conn *c, const char *msg, size_t len, char *buf, size_t buflen, char *err,
                   size_t errlen)
{
    uint64_t until = lm_now_ms() + BD_WAIT_MS;
    long n = lm_tp_write(c->tp, msg, len);
    if (n != (long)len) {
        snprintf(err, errlen, "DTLS write failed: %s", c->tp->err);
        return LM_ERR;
    }
    for (;;) {
        n = lm_tp_read(c->tp, buf, buflen);
        if (n == (long)len)
            return LM_OK;
        if ((n == LM_WANT_READ || n == LM_WANT_WRITE) && lm_now_ms() < until) {
            lm_net_wait(c->sock, n == LM_WANT_WRITE, (int)(until - lm_now_ms()));
            continue;
        }
        snprintf(err, errlen, "DTLS echo failed (read %ld of %zu bytes): %s", n, len,
                 c->tp->err[0] ? c->tp->err : "no answer in time");
        return LM_ERR;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
    int i = (int)((double)n * p);
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[i < n ? i : n - 1];
}

/* A configuration of its own for one connection: nothing to resume, so the
 * handshake is a full one, as in the stream columns' set-up figures. */
static int bd_open_full(const char *port, const lm_tls_options *co, bd_conn *c, lm_tls_config **cfg,
                        char *err, size_t errlen)
{
    int code;
    if (!(*cfg = lm_tls_config_new(co, err, errlen, &code)))
        return LM_ERR;
    return bd_open(port, *cfg, c, err, errlen);
}

int bd_measure(const char *port, const lm_tls_options *co, int nsetup, int nrtt, bd_result *r,
               char *err, size_t errlen)
{
    lm_tls_config *cfg = NULL;
    static const size_t sizes[2] = {64, 1024};
    double *us = calloc((size_t)(nsetup > nrtt ? nsetup : nrtt), sizeof *us);
    char msg[1024], buf[1100];
    bu_relay *relay = NULL;
    bd_conn c = {LM_SOCK_INVALID, NULL};
    uint64_t a0, b0, a1, b1;
    int rc = LM_ERR;

    memset(r, 0, sizeof *r);
    r->setup_p50_us = r->setup_bytes = r->per_msg_bytes = NAN;
    if (!us) {
        snprintf(err, errlen, "out of memory");
        return LM_ERR;
    }
    /* Set-up time: new connections, one at a time. */
    for (int i = 0; i < nsetup; i++) {
        uint64_t t0 = lm_now_us();
        int ok = bd_open_full(port, co, &c, &cfg, err, errlen) == LM_OK;
        us[i] = (double)(lm_now_us() - t0);
        bd_close(&c);
        lm_tls_config_free(cfg);
        cfg = NULL;
        if (!ok)
            goto out;
    }
    r->setup_p50_us = pct(us, nsetup, 0.5);
    /* Round trips on one connection. */
    if (bd_open_full(port, co, &c, &cfg, err, errlen) != LM_OK)
        goto out;
    for (int s = 0; s < 2; s++) {
        memset(msg, 'd', sizes[s]);
        msg[sizes[s] - 1] = '\n';
        for (int i = 0; i < nrtt / 10 + 1; i++) /* warm-up */
            if (bd_echo(&c, msg, sizes[s], buf, sizeof buf, err, errlen) != LM_OK)
                goto out;
        for (int i = 0; i < nrtt; i++) {
            uint64_t t0 = lm_now_us();
            if (bd_echo(&c, msg, sizes[s], buf, sizeof buf, err, errlen) != LM_OK)
                goto out;
            us[i] = (double)(lm_now_us() - t0);
        }
        r->rtt[s].p50_us = pct(us, nrtt, 0.5);
        r->rtt[s].p99_us = pct(us, nrtt, 0.99);
    }
    bd_close(&c);
    lm_tls_config_free(cfg);
    cfg = NULL;
    /* Bytes on the wire, through the relay: a full handshake, then 10
     * echoes of 64 bytes. */
    if (!(relay = bu_relay_start("127.0.0.1", port, err, errlen)))
        goto out;
    bu_relay_counts(relay, &a0, &b0);
    if (bd_open_full(bu_relay_port(relay), co, &c, &cfg, err, errlen) != LM_OK)
        goto out;
    bench_sleep_ms(20);
    bu_relay_counts(relay, &a1, &b1);
    r->setup_bytes = (double)(a1 - a0 + b1 - b0);
    memset(msg, 'w', 64);
    msg[63] = '\n';
    for (int i = 0; i < 10; i++)
        if (bd_echo(&c, msg, 64, buf, sizeof buf, err, errlen) != LM_OK)
            goto out;
    bench_sleep_ms(20);
    bu_relay_counts(relay, &a0, &b0);
    r->per_msg_bytes = (double)(a0 - a1 + b0 - b1) / 10;
    rc = LM_OK;
out:
    bd_close(&c);
    lm_tls_config_free(cfg);
    bu_relay_stop(relay);
    free(us);
    return rc;
}

/* ==== the eavesdropper's view ==== */

/* DTLS 1.2 record header: type, version (2), epoch (2), sequence number
 * (6), [connection ID for type 25], length (2). */
static void print_dtls_records(int dir, const unsigned char *p, size_t n, size_t cid_len)
{
    size_t o = 0;
    while (n - o >= 13) {
        const unsigned char *h = p + o;
        size_t hdr = 13 + (h[0] == 25 ? cid_len : 0), body;
        if (n - o < hdr)
            break;
        body = (size_t)h[hdr - 2] << 8 | h[hdr - 1];
        if (n - o < hdr + body)
            break;
        bench_out(dir ? LM_M_BENCH_WT_DREC_S2C : LM_M_BENCH_WT_DREC_C2S,
                  h[0] == 25 ? "tls12_cid" : bw_record_type_name(h[0]), h[0], h[1], h[2],
                  (unsigned)(h[3] << 8 | h[4]), body);
        bw_hexdump(h + hdr, body, h[0] == 23 || h[0] == 25 ? 256 : 64);
        o += hdr + body;
    }
    if (o < n)
        bw_hexdump(p + o, n - o, 64);
}

typedef struct tap_ctx {
    size_t cid_len;
} tap_ctx;

static void show_dgram(void *ctx, int dir, const unsigned char *data, size_t len)
{
    const tap_ctx *t = ctx;
    bench_out(dir ? LM_M_BENCH_WT_DGRAM_S2C : LM_M_BENCH_WT_DGRAM_C2S, len);
    /* The server asked for an ID in the client's records; the client asks
     * for none, so the server's records carry an empty one. */
    print_dtls_records(dir, data, len, dir ? 0 : t->cid_len);
}

int bd_wiretap(const bench_opts *o, const char *port, lm_tls_config *cfg)
{
    char err[512], buf[2048];
    bu_relay *relay = bu_relay_start("127.0.0.1", port, err, sizeof err);
    bd_conn c = {LM_SOCK_INVALID, NULL};
    size_t mlen = strlen(o->message);
    tap_ctx t = {lm_dtls_has_cid() ? LM_DTLS_CID_LEN : 0};
    int rc = LM_EXIT_RUNTIME;

    bench_out(LM_M_BENCH_WT_DTLS);
    if (!relay || mlen > sizeof buf - 1)
        goto fail;
    if (bd_open(bu_relay_port(relay), cfg, &c, err, sizeof err) != LM_OK ||
        bd_echo(&c, o->message, mlen, buf, sizeof buf, err, sizeof err) != LM_OK)
        goto fail;
    bench_out(LM_M_BENCH_WT_HEADER, c.tp->desc);
    bd_close(&c);
    bench_sleep_ms(50);
    bu_relay_show(relay, show_dgram, &t);
    if (o->dump_dir)
        bu_relay_dump(relay, o->dump_dir, "dtls");
    bench_out(LM_M_BENCH_WT_DTLS_OUTRO);
    rc = LM_EXIT_OK;
    goto out;
fail:
    bench_out(LM_M_BENCH_ERROR, err);
out:
    bd_close(&c);
    bu_relay_stop(relay);
    return rc;
}
