/* lanmsg-bench: handshakes, each against a baseline measured in the same
 * run, for TLS 1.2 and TLS 1.3.
 *
 *  1. Server CPU per handshake. lanmsg's TLS server (one event loop) and
 *     the minimal blocking mbedTLS server (bench_tlspair.c) are driven by
 *     the same minimal client, one connection at a time: full handshakes
 *     with X25519 and with P-256, and resumed ones. Rounds alternate the
 *     two servers, so a machine that slows down or speeds up meanwhile
 *     moves both; the ratio is the median of the rounds' ratios.
 *  2. Handshakes per second with 1 and 2 load clients (bench_hsload.c)
 *     against lanmsg with 1 and 2 event-loop threads, the four settings
 *     alternating round by round. The clients run on the same cores as the
 *     server: with S the server's CPU per handshake and C a client's, one
 *     thread gives at most 1/S handshakes/s and two cores at most
 *     2/(S + C), so 2S/(S + C) is the most a second thread can add here.
 *     That ceiling is printed beside the ratio.
 *  3. openssl s_server as a peer: the same load client, one at a time,
 *     full and resumed handshakes. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_ROUNDS 8

typedef struct pair_fig {
    double raw_ms, lm_ms, ratio, lo, hi;
} pair_fig;

typedef struct hs_fig {
    bh_result r;             /* medians over rounds */
    double v[MAX_ROUNDS][5]; /* rate, server ms, client ms, machine, ours of each round */
    int n;
} hs_fig;

static int rounds(const bench_opts *o, int full)
{
    return o->quick ? 2 : full;
}

/* ==== 1. lanmsg against the minimal server ==== */

/* CPU seconds of the minimal server once it has closed `want` connections
 * (the client returns as soon as it has read the server's close). */
static double raw_cpu_after(bc_server *raw, long want)
{
    long conns;
    double s;
    for (int i = 0; i < 200; i++) {
        bc_server_stats(raw, &conns, &s);
        if (conns >= want)
            break;
        bench_sleep_ms(5);
    }
    return s;
}

/* One batch of n connections to one server; server CPU ms per handshake. */
static int pair_batch(const bench_hs_env *e, bc_server *raw, int use_raw, bc_client *cl, int resume,
                      int n, double *ms, char *err, size_t errlen)
{
    const char *port = use_raw ? bc_server_port(raw) : e->port;
    long conns0 = 0;
    double c0, c1;
    int resumed;

    /* A first connection outside the count: it warms the server up and,
     * when resuming, gets a session this server knows. */
    if (bc_client_connect(cl, "127.0.0.1", port, resume, &resumed, err, errlen) != LM_OK)
        return LM_ERR;
    if (use_raw) {
        bc_server_stats(raw, &conns0, &c0);
        c0 = raw_cpu_after(raw, conns0);
    } else {
        bench_sleep_ms(20);
        c0 = bench_proc_cpu(e->pid);
    }
    for (int i = 0; i < n; i++) {
        if (bc_client_connect(cl, "127.0.0.1", port, resume, &resumed, err, errlen) != LM_OK)
            return LM_ERR;
        if (resumed != resume) {
            lm_format(err, errlen, resume ? LM_M_BENCH_NOT_RESUMED : LM_M_BENCH_RESUMED_UNASKED,
                      use_raw ? "minimal mbedTLS server" : "lanmsg");
            return LM_ERR;
        }
    }
    if (use_raw) {
        c1 = raw_cpu_after(raw, conns0 + n);
    } else {
        /* lanmsg frees a connection once the client has closed too. */
        bench_sleep_ms(20);
        c1 = bench_proc_cpu(e->pid);
    }
    *ms = (c1 - c0) * 1e3 / n;
    return LM_OK;
}

static int pair_measure(const bench_hs_env *e, bc_server *raw, int version, const char *group,
                        int resume, int n, pair_fig *f, char *err, size_t errlen)
{
    bc_client *cl = bc_client_new(&e->pair, version, group, err, errlen);
    double raw_ms[MAX_ROUNDS], lm_ms[MAX_ROUNDS], ratio[MAX_ROUNDS];
    int nr = rounds(e->o, 5), rc = LM_OK;

    if (!cl)
        return LM_ERR;
    for (int i = 0; i < nr && rc == LM_OK; i++) {
        /* Which server goes first alternates too. */
        for (int k = 0; k < 2 && rc == LM_OK; k++) {
            int use_raw = (i + k) % 2 == 0;
            rc = pair_batch(e, raw, use_raw, cl, resume, n, use_raw ? &raw_ms[i] : &lm_ms[i], err,
                            errlen);
        }
        ratio[i] = lm_ms[i] / raw_ms[i];
    }
    bc_client_free(cl);
    if (rc != LM_OK)
        return rc;
    f->raw_ms = bb_median(raw_ms, nr, NULL, NULL);
    f->lm_ms = bb_median(lm_ms, nr, NULL, NULL);
    f->ratio = bb_median(ratio, nr, &f->lo, &f->hi);
    return LM_OK;
}

/* ==== 2 and 3: load clients ==== */

static void fig_add(hs_fig *f, const bh_result *r)
{
    if (f->n < MAX_ROUNDS) {
        f->v[f->n][0] = r->rate;
        f->v[f->n][1] = r->srv_ms;
        f->v[f->n][2] = r->cli_ms;
        f->v[f->n][3] = r->machine;
        f->v[f->n][4] = r->ours;
        f->n++;
    }
}

static void fig_done(hs_fig *f)
{
    double col[MAX_ROUNDS];
    double *out[5] = {&f->r.rate, &f->r.srv_ms, &f->r.cli_ms, &f->r.machine, &f->r.ours};
    for (int k = 0; k < 5; k++) {
        for (int i = 0; i < f->n; i++)
            col[i] = f->v[i][k];
        *out[k] = f->n ? bb_median(col, f->n, NULL, NULL) : NAN;
    }
}

typedef struct ver_figs {
    pair_fig full_x, full_p, resumed;
    hs_fig load[2][2]; /* [threads - 1][clients - 1], full handshakes */
    double scale[MAX_ROUNDS], ceiling[MAX_ROUNDS];
    int nscale;
    hs_fig resumed_lm, full_ss, resumed_ss; /* one client */
} ver_figs;

/* Start a lanmsg TLS server with `threads` event loops, answering one
 * request per connection (bench_once_service). */
static int start_lanmsg(const bench_hs_env *e, int threads, bench_server *s, char *err,
                        size_t errlen)
{
    lm_server_config cfg;
    lm_server_config_defaults(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = "0";
    cfg.service = &bench_once_service;
    cfg.framing = LM_FRAMING_LINE;
    cfg.max_clients = 100000;
    cfg.verbose = LM_LOG_QUIET;
    cfg.threads = threads;
    return bench_server_start(s, &cfg, e->srv_tls, err, errlen);
}

static int measure_load(const bench_hs_env *e, const bh_clients *cl, const bench_server srv[2],
                        const bh_peer *peer, int version, ver_figs *f, char *err, size_t errlen)
{
    double secs = e->o->quick ? 0.25 : 1.0;
    int nr = rounds(e->o, 3);

    bench_progress(e->o, LM_M_BENCH_STEP_SCALE, version == 13 ? "TLS 1.3" : "TLS 1.2");
    for (int i = 0; i < nr && i < MAX_ROUNDS; i++) {
        bh_result res[2][2];
        for (int k = 0; k < 4; k++) {
            int s = (i + k) % 4, th = s / 2, n = s % 2;
            bh_window w = {srv[th].port, srv[th].pid, n + 1, 0, version, 0, secs};
            if (bh_measure(cl, &w, &res[th][n], err, errlen) != LM_OK)
                return LM_ERR;
            fig_add(&f->load[th][n], &res[th][n]);
        }
        {
            double S = res[0][1].srv_ms, C = res[0][1].cli_ms;
            f->scale[f->nscale] = res[1][1].rate / res[0][1].rate;
            f->ceiling[f->nscale++] = 2 * S / (S + C);
        }
    }
    for (int th = 0; th < 2; th++)
        for (int n = 0; n < 2; n++)
            fig_done(&f->load[th][n]);

    bench_progress(e->o, peer->pid ? LM_M_BENCH_STEP_PEER : LM_M_BENCH_STEP_RESUMED_LOAD,
                   version == 13 ? "TLS 1.3" : "TLS 1.2");
    for (int i = 0; i < rounds(e->o, 2); i++) {
        /* Resumed sessions with one small request each: s_time reads a
         * TLS 1.3 ticket only while reading an answer. */
        bh_window lm_res = {srv[0].port, srv[0].pid, 1, 1, version, 1, secs};
        bh_window ss_full = {peer->port, peer->pid, 1, 0, version, 0, secs};
        bh_window ss_res = {peer->port, peer->pid, 1, 1, version, 1, secs};
        bh_result r;
        if (bh_measure(cl, &lm_res, &r, err, errlen) != LM_OK)
            return LM_ERR;
        if (!r.resumed_ok) {
            lm_format(err, errlen, LM_M_BENCH_NOT_RESUMED, "lanmsg");
            return LM_ERR;
        }
        fig_add(&f->resumed_lm, &r);
        if (!peer->pid)
            continue;
        if (bh_measure(cl, &ss_full, &r, err, errlen) != LM_OK)
            return LM_ERR;
        fig_add(&f->full_ss, &r);
        if (bh_measure(cl, &ss_res, &r, err, errlen) != LM_OK)
            return LM_ERR;
        if (!r.resumed_ok) {
            lm_format(err, errlen, LM_M_BENCH_NOT_RESUMED, "openssl s_server");
            return LM_ERR;
        }
        fig_add(&f->resumed_ss, &r);
    }
    fig_done(&f->resumed_lm);
    fig_done(&f->full_ss);
    fig_done(&f->resumed_ss);
    return LM_OK;
}

/* ==== the report's lines ==== */

#define HROW(key, id, unit, hb) br_hs_row(res, key, LM_M_##id, unit, hb)

static void fill_table(bench_results *res, ver_figs f[2], const int have[2])
{
    static const int lm_col[2] = {HC_LM12, HC_LM13}, ss_col[2] = {HC_SS12, HC_SS13};
    bench_row *rate[2][2], *cpu[2][2], *cli, *res_rate, *res_cpu;

    rate[0][0] = HROW("hs_full_1client_1thread", BENCH_H_FULL_1C_1T, "hs/s", 1);
    rate[0][1] = HROW("hs_full_2clients_1thread", BENCH_H_FULL_2C_1T, "hs/s", 1);
    rate[1][0] = HROW("hs_full_1client_2threads", BENCH_H_FULL_1C_2T, "hs/s", 1);
    rate[1][1] = HROW("hs_full_2clients_2threads", BENCH_H_FULL_2C_2T, "hs/s", 1);
    cpu[0][0] = HROW("cpu_server_ms_full_1client_1thread", BENCH_H_CPU_1C_1T, "ms", 0);
    cpu[0][1] = HROW("cpu_server_ms_full_2clients_1thread", BENCH_H_CPU_2C_1T, "ms", 0);
    cpu[1][0] = HROW("cpu_server_ms_full_1client_2threads", BENCH_H_CPU_1C_2T, "ms", 0);
    cpu[1][1] = HROW("cpu_server_ms_full_2clients_2threads", BENCH_H_CPU_2C_2T, "ms", 0);
    cli = HROW("cpu_client_ms_full", BENCH_H_CPU_CLIENT, "ms", 0);
    res_rate = HROW("hs_resumed_1client_1thread", BENCH_H_RESUMED, "hs/s", 1);
    res_cpu = HROW("cpu_server_ms_resumed", BENCH_H_CPU_RESUMED, "ms", 0);
    for (int v = 0; v < 2; v++) {
        if (!have[v])
            continue;
        for (int th = 0; th < 2; th++)
            for (int n = 0; n < 2; n++) {
                rate[th][n]->v[lm_col[v]] = f[v].load[th][n].r.rate;
                cpu[th][n]->v[lm_col[v]] = f[v].load[th][n].r.srv_ms;
            }
        cli->v[lm_col[v]] = f[v].load[0][0].r.cli_ms;
        res_rate->v[lm_col[v]] = f[v].resumed_lm.r.rate;
        res_cpu->v[lm_col[v]] = f[v].resumed_lm.r.srv_ms;
        if (!res->hs_have[ss_col[v]])
            continue;
        rate[0][0]->v[ss_col[v]] = f[v].full_ss.r.rate;
        cpu[0][0]->v[ss_col[v]] = f[v].full_ss.r.srv_ms;
        cli->v[ss_col[v]] = f[v].full_ss.r.cli_ms;
        res_rate->v[ss_col[v]] = f[v].resumed_ss.r.rate;
        res_cpu->v[ss_col[v]] = f[v].resumed_ss.r.srv_ms;
    }
}

static void set_range(bench_baseline *b, double lo, double hi)
{
    if (b) {
        b->lo = lo;
        b->hi = hi;
    }
}

static void add_lines(const bench_hs_env *e, bench_results *res, const ver_figs *f, int c)
{
    static const char *keys[BT_N][9] = {
        {0},
        {"full_handshake_cpu_x25519_tls12", "full_handshake_cpu_p256_tls12",
         "resumed_handshake_cpu_tls12", "public_key_share_tls12", "handshake_scaling_tls12",
         "handshake_scaling_ceiling_tls12", "vs_openssl_full_tls12", "vs_openssl_resumed_tls12"},
        {"full_handshake_cpu_x25519_tls13", "full_handshake_cpu_p256_tls13",
         "resumed_handshake_cpu_tls13", "public_key_share_tls13", "handshake_scaling_tls13",
         "handshake_scaling_ceiling_tls13", "vs_openssl_full_tls13", "vs_openssl_resumed_tls13"}};
    const char *const *k = keys[c];
    double lo, hi, scale = bb_median(f->scale, f->nscale, &lo, &hi);
    double ceil = bb_median(f->ceiling, f->nscale, NULL, NULL);
    const hs_fig *one = &f->load[0][1], *two = &f->load[1][1];
    bench_baseline *b;

    b = bb_add(res, k[0], c, LM_M_BENCH_B_HS_PAIR_X25519, "ms", f->full_x.raw_ms, f->full_x.lm_ms,
               f->full_x.ratio, 1.05, 0, LM_M_BENCH_B_HS_PAIR_NOTE);
    set_range(b, f->full_x.lo, f->full_x.hi);
    b = bb_add(res, k[1], c, LM_M_BENCH_B_HS_PAIR_P256, "ms", f->full_p.raw_ms, f->full_p.lm_ms,
               f->full_p.ratio, 1.05, 0, LM_M_BENCH_B_HS_PAIR_P256_NOTE);
    set_range(b, f->full_p.lo, f->full_p.hi);
    b = bb_add(res, k[2], c, LM_M_BENCH_B_HS_PAIR_RESUMED, "ms", f->resumed.raw_ms,
               f->resumed.lm_ms, f->resumed.ratio, 1.05, 0,
               c == BT_TLS13 ? LM_M_BENCH_B_HS_PAIR_RESUMED13_NOTE
                             : LM_M_BENCH_B_HS_PAIR_RESUMED12_NOTE);
    set_range(b, f->resumed.lo, f->resumed.hi);
    bb_add(res, k[3], c, LM_M_BENCH_B_HS_PK, "ms", e->pk_ms, f->full_x.lm_ms,
           f->full_x.lm_ms / e->pk_ms, NAN, 0, LM_M_BENCH_B_HS_PK_NOTE);
    b = bb_add(res, k[4], c, LM_M_BENCH_B_SCALE, "hs/s", one->r.rate, two->r.rate, scale, 1.5, 1,
               LM_M_BENCH_B_SCALE_NOTE);
    set_range(b, lo, hi);
    if (b) {
        b->note_v[0] = one->r.srv_ms;
        b->note_v[1] = one->r.cli_ms;
        b->note_v[2] = ceil;
        b->note_v[3] = two->r.machine * 100;
        b->note_v[4] = two->r.ours * 100;
    }
    bb_add(res, k[5], c, LM_M_BENCH_B_SCALE_CEIL, "x", ceil, scale, scale / ceil, NAN, 1,
           LM_M_BENCH_B_SCALE_CEIL_NOTE);
    if (!res->hs_have[c == BT_TLS13 ? HC_SS13 : HC_SS12])
        return;
    bb_add(res, k[6], c, LM_M_BENCH_B_VS_OPENSSL_FULL, "hs/s", f->full_ss.r.rate,
           f->load[0][0].r.rate, f->load[0][0].r.rate / f->full_ss.r.rate, NAN, 1,
           LM_M_BENCH_B_VS_OPENSSL_FULL_NOTE);
    bb_add(res, k[7], c, LM_M_BENCH_B_VS_OPENSSL_RESUMED, "hs/s", f->resumed_ss.r.rate,
           f->resumed_lm.r.rate, f->resumed_lm.r.rate / f->resumed_ss.r.rate, NAN, 1,
           LM_M_BENCH_B_VS_OPENSSL_RESUMED_NOTE);
}

/* ==== the whole step ==== */

int bench_handshakes(const bench_hs_env *e, bench_results *res)
{
    static ver_figs f[2];
    const bench_opts *o = e->o;
    bench_server srv[2] = {{0}, {0}};
    bh_peer peer = {0, -1, ""};
    bh_clients cl;
    bc_server *raw = NULL;
    int have[2] = {1, e->have13}, nfull = o->quick ? 4 : 30, rc = LM_EXIT_RUNTIME;
    const char *step = lm_tr(LM_M_BENCH_STEP_HANDSHAKES);
    char err[512];

    memset(f, 0, sizeof f);
    if (bh_clients_init(&cl, o->hs_client, &e->pair, err, sizeof err) != LM_OK) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_USAGE;
    }
    if (cl.openssl)
        lm_format(res->hs_client, sizeof res->hs_client, LM_M_BENCH_HS_CLIENT_OPENSSL, cl.version);
    else
        lm_format(res->hs_client, sizeof res->hs_client, LM_M_BENCH_HS_CLIENT_OWN);

    /* 1. */
    if (!(raw = bc_server_start(&e->pair, err, sizeof err)))
        goto fail;
    for (int v = 0; v < 2; v++) {
        int version = v ? 13 : 12;
        if (!have[v])
            continue;
        bench_progress(o, LM_M_BENCH_STEP_PAIR, v ? "TLS 1.3" : "TLS 1.2");
        if (pair_measure(e, raw, version, "x25519", 0, nfull, &f[v].full_x, err, sizeof err) !=
                LM_OK ||
            pair_measure(e, raw, version, "p256", 0, nfull, &f[v].full_p, err, sizeof err) !=
                LM_OK ||
            pair_measure(e, raw, version, "x25519", 1, v ? nfull : 4 * nfull, &f[v].resumed, err,
                         sizeof err) != LM_OK)
            goto fail;
    }
    bc_server_stop(raw);
    raw = NULL;

    /* 2 and 3. */
    if (start_lanmsg(e, 1, &srv[0], err, sizeof err) != LM_OK ||
        start_lanmsg(e, 2, &srv[1], err, sizeof err) != LM_OK)
        goto fail;
    if (cl.openssl && bh_peer_start(&cl, &e->pair, e->tmpdir, &peer, err, sizeof err) != LM_OK)
        goto fail;
    res->hs_have[HC_LM12] = 1;
    res->hs_have[HC_LM13] = have[1];
    res->hs_have[HC_SS12] = peer.pid != 0;
    res->hs_have[HC_SS13] = peer.pid != 0 && have[1];
    for (int v = 0; v < 2; v++)
        if (have[v] &&
            measure_load(e, &cl, srv, &peer, v ? 13 : 12, &f[v], err, sizeof err) != LM_OK)
            goto fail;
    fill_table(res, f, have);
    for (int v = 0; v < 2; v++)
        if (have[v])
            add_lines(e, res, &f[v], v ? BT_TLS13 : BT_TLS12);
    rc = LM_EXIT_OK;
    goto out;
fail:
    lm_warn(LM_M_BENCH_FAILED_STEP, step, err);
out:
    bc_server_stop(raw);
    bh_peer_stop(&peer);
    bench_server_stop(&srv[0]);
    bench_server_stop(&srv[1]);
    return rc;
}
