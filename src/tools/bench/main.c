/* lanmsg-bench: what TLS costs and what it buys, measured here.
 *
 * By default the program makes test certificates (with the lanmsg-certgen
 * beside it), starts plain and TLS servers in child processes on
 * 127.0.0.1, and runs the same workloads over plain TCP, TLS 1.2 and, where
 * the library has it, TLS 1.3. Baselines are measured in the same run (a
 * minimal mbedTLS server, raw AEAD, raw sockets, openssl s_server), so
 * every ratio compares like with like on a machine that may be busy.
 * --wiretap shows the eavesdropper's view. */
#include "bench.h"

#include <math.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

void bench_out(lm_msg_id id, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, id);
    lm_vformat(line, sizeof line, id, ap);
    va_end(ap);
    puts(line);
}

void bench_progress(const bench_opts *o, lm_msg_id step, ...)
{
    char what[512];
    va_list ap;
    if (o->verbose < 0)
        return;
    va_start(ap, step);
    lm_vformat(what, sizeof what, step, ap);
    va_end(ap);
    lm_warn(LM_M_BENCH_STEP, what);
}

/* ==== options ==== */

/* Returns -1 to go on, or an exit code. */
static int parse(bench_opts *o, int argc, char **argv)
{
    const char *lang = NULL;
    lm_args a;
    long n;

    lm_args_init(&a, argc, argv, "lanmsg-bench");
    for (; a.i < argc && !a.err[0]; a.i++) {
        const char *v;
        if (lm_arg_flag(&a, "-h|--help")) {
            fputs(lm_tr(LM_M_BENCH_USAGE), stdout);
            return LM_EXIT_OK;
        } else if (lm_arg_flag(&a, "-V|--version")) {
            printf("lanmsg-bench %s (%s)\n", LANMSG_VERSION, lm_tls_library());
            return LM_EXIT_OK;
        } else if (lm_arg_common(&a, &lang, &o->verbose)) {
            if (lang)
                lm_lang_init(lang);
        } else if (lm_arg_flag(&a, "--quick")) {
            o->quick = 1;
        } else if (lm_arg_flag(&a, "--wiretap")) {
            o->wiretap = 1;
        } else if (lm_arg_value(&a, "--conns", &v)) {
            if (lm_arg_int(&a, "--conns", v, 1, 2000, &n) == 0)
                o->conns = (int)n;
        } else if (lm_arg_value(&a, "--json", &v)) {
            o->json = v;
        } else if (lm_arg_value(&a, "--csv", &v)) {
            o->csv = v;
        } else if (lm_arg_value(&a, "--svg", &v)) {
            o->svg = v;
        } else if (lm_arg_value(&a, "--dump", &v)) {
            o->dump_dir = v;
        } else if (lm_arg_value(&a, "--message", &v)) {
            o->message = v;
        } else if (lm_arg_value(&a, "--cipher", &v)) {
            o->cipher = v;
        } else if (lm_arg_value(&a, "--hs-client", &v)) {
            if (strcmp(v, "openssl") != 0 && strcmp(v, "own") != 0)
                lm_format(a.err, sizeof a.err, LM_M_BENCH_BAD_HS_CLIENT, v);
            o->hs_client = v;
        } else if (lm_arg_value(&a, "--certs", &v)) {
            o->certs = v;
        } else if (lm_arg_value(&a, "--host", &v)) {
            o->host = v;
            o->external = 1;
        } else if (lm_arg_value(&a, "-p|--port", &v)) {
            if (lm_arg_port(&a, "--port", v) == 0)
                o->port = v;
            o->external = 1;
        } else if (lm_arg_value(&a, "--tls-port", &v)) {
            if (lm_arg_port(&a, "--tls-port", v) == 0)
                o->tls_port = v;
            o->external = 1;
        } else if (!a.err[0]) {
            lm_arg_unknown(&a);
        }
    }
    if (a.err[0]) {
        lm_warn(LM_M_PASSTHROUGH, a.err);
        return LM_EXIT_USAGE;
    }
    if (o->tls_port && !o->port) {
        lm_warn(LM_M_BENCH_TLS_PORT_NEEDS_PORT);
        return LM_EXIT_USAGE;
    }
    if (o->wiretap && o->external) {
        lm_warn(LM_M_BENCH_WIRETAP_NEEDS_OWN);
        return LM_EXIT_USAGE;
    }
    if (o->dump_dir && !o->wiretap) {
        lm_warn(LM_M_BENCH_DUMP_NEEDS_WIRETAP);
        return LM_EXIT_USAGE;
    }
    if (o->dump_dir) {
        /* Found now, not after a minute of measuring: can a file be made
         * there? */
        char probe[1024];
        FILE *f;
        snprintf(probe, sizeof probe, "%s/.lanmsg-bench-probe", o->dump_dir);
        if (!(f = fopen(probe, "wb"))) {
            lm_warn(LM_M_BENCH_DUMP_DIR, o->dump_dir, strerror(errno));
            return LM_EXIT_USAGE;
        }
        fclose(f);
        remove(probe);
    }
    return -1;
}

/* ==== the run ==== */

typedef struct bench_run {
    bench_opts *o;
    bench_results res;
    bench_target tgt[BT_N];  /* plain, TLS 1.2, TLS 1.3: echo servers */
    bench_target sink[BT_N]; /* the same, to servers that discard */
    bench_server srv_plain, srv_tls, sink_plain, sink_tls, srv_udp, srv_dtls;
    lm_tls_options dtls_opts; /* the DTLS client's options */
    lm_tls_config *dtls_cfg;  /* and a configuration made from them */
    char certdir[600], ca[700], crt[700], key[700], tmpdir[600];
    lm_tls_options srv_tls_opts;
    double raw_rt, raw_p50, ecdhe_x, ecdsa, ssl_bytes;
    double full_rate[BT_N], resumed_rate[BT_N], mem[BT_N];
    double srv_cpu_mb[BT_N], oneway_cpu_mb[BT_N], rtt64_rate[BT_N];
} bench_run;

/* Make certificates in a private temporary directory, unless --certs. */
static int prepare_certs(bench_run *r)
{
    bench_opts *o = r->o;
    if (o->certs) {
        snprintf(r->certdir, sizeof r->certdir, "%s", o->certs);
    } else if (o->external) {
        snprintf(r->certdir, sizeof r->certdir, "certs");
    } else {
        char cmd[2048], prog[700];
        int st;
        bench_progress(o, LM_M_BENCH_STEP_CERTS);
        if (bench_tempdir(r->certdir, sizeof r->certdir) != LM_OK) {
            lm_warn(LM_M_BENCH_TEMPDIR_FAILED);
            return LM_EXIT_RUNTIME;
        }
        snprintf(prog, sizeof prog, "%s/lanmsg-certgen", o->bindir);
        /* system() is plain C; the paths are ours (no quotes in them). */
        snprintf(cmd, sizeof cmd, "\"%s\" --out \"%s\" --san 127.0.0.1 >/dev/null 2>&1", prog,
                 r->certdir);
        st = system(cmd);
        if (st != 0) {
            lm_warn(LM_M_BENCH_CERTGEN_FAILED, prog, st);
            bench_rmtree(r->certdir);
            r->certdir[0] = '\0';
            return LM_EXIT_RUNTIME;
        }
    }
    snprintf(r->ca, sizeof r->ca, "%s/ca.crt", r->certdir);
    snprintf(r->crt, sizeof r->crt, "%s/server.crt", r->certdir);
    snprintf(r->key, sizeof r->key, "%s/server.key", r->certdir);
    return LM_EXIT_OK;
}

/* Pick the AEAD: the faster one measured here, unless pinned. */
static void choose_cipher(bench_run *r, double secs)
{
    bench_results *res = &r->res;
    res->aead_aes = bc_aead_mb_per_s("aes128", 0, secs);
    res->aead_chacha = bc_aead_mb_per_s("chacha20", 0, secs);
    res->open_aes = bc_aead_mb_per_s("aes128", 1, secs);
    res->open_chacha = bc_aead_mb_per_s("chacha20", 1, secs);
    if (r->o->cipher) {
        snprintf(res->cipher, sizeof res->cipher, "%s", r->o->cipher);
        snprintf(res->cipher_why, sizeof res->cipher_why, "%s", lm_tr(LM_M_BENCH_CIPHER_PINNED));
    } else {
        snprintf(res->cipher, sizeof res->cipher, "%s",
                 res->aead_chacha > res->aead_aes ? "chacha20" : "aes128");
        snprintf(res->cipher_why, sizeof res->cipher_why, "%s", lm_tr(LM_M_BENCH_CIPHER_FASTER));
    }
}

/* Start the servers (or point at the external one) and build the client
 * configurations for each column. */
static int prepare_targets(bench_run *r)
{
    bench_opts *o = r->o;
    lm_server_config cfg;
    char err[512];
    int code;

    lm_server_config_defaults(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = "0";
    cfg.service = lm_service_find("echo");
    cfg.framing = LM_FRAMING_LINE;
    cfg.max_clients = 100000;
    cfg.verbose = LM_LOG_QUIET;
    memset(&r->srv_tls_opts, 0, sizeof r->srv_tls_opts);
    r->srv_tls_opts.is_server = 1;
    r->srv_tls_opts.cert_file = r->crt;
    r->srv_tls_opts.key_file = r->key;
    r->srv_tls_opts.cipher = r->res.cipher;

    r->res.have[BT_PLAIN] = 1;
    r->tgt[BT_PLAIN].host = o->external ? (o->host ? o->host : "127.0.0.1") : "127.0.0.1";
    if (!o->external) {
        lm_server_config sink = cfg;
        sink.service = &bench_sink_service;
        sink.framing = LM_FRAMING_RAW;
        bench_progress(o, LM_M_BENCH_STEP_SERVERS);
        if (bench_server_start(&r->srv_plain, &cfg, NULL, err, sizeof err) != LM_OK ||
            bench_server_start(&r->sink_plain, &sink, NULL, err, sizeof err) != LM_OK ||
            (lm_tls_available() &&
             (bench_server_start(&r->srv_tls, &cfg, &r->srv_tls_opts, err, sizeof err) != LM_OK ||
              bench_server_start(&r->sink_tls, &sink, &r->srv_tls_opts, err, sizeof err) !=
                  LM_OK))) {
            lm_warn(LM_M_PASSTHROUGH, err);
            return LM_EXIT_RUNTIME;
        }
        r->tgt[BT_PLAIN].port = r->srv_plain.port;
        r->tgt[BT_PLAIN].server_pid = r->srv_plain.pid;
        {
            /* The same echo service over UDP: one datagram, one message. */
            lm_server_config udp = cfg;
            udp.tcp = 0;
            udp.udp = 1;
            if (bench_server_start(&r->srv_udp, &udp, NULL, err, sizeof err) != LM_OK) {
                lm_warn(LM_M_PASSTHROUGH, err);
                return LM_EXIT_RUNTIME;
            }
        }
        r->sink[BT_PLAIN] = r->tgt[BT_PLAIN];
        r->sink[BT_PLAIN].port = r->sink_plain.port;
        r->sink[BT_PLAIN].server_pid = r->sink_plain.pid;
    } else {
        r->tgt[BT_PLAIN].port = o->port ? o->port : "5000";
    }
    if (!lm_tls_available() || (o->external && !o->tls_port))
        return LM_EXIT_OK;
    if (!o->external) {
        /* DTLS 1.2: the echo service over --udp --tls, the same files. */
        lm_server_config d = cfg;
        lm_tls_options so = r->srv_tls_opts, *co = &r->dtls_opts;
        d.tcp = 0;
        d.udp = 1;
        so.datagram = 1;
        memset(co, 0, sizeof *co);
        co->ca_file = r->ca;
        co->datagram = 1;
        if (bench_server_start(&r->srv_dtls, &d, &so, err, sizeof err) != LM_OK ||
            !(r->dtls_cfg = lm_tls_config_new(co, err, sizeof err, &code))) {
            lm_warn(LM_M_PASSTHROUGH, err);
            return LM_EXIT_RUNTIME;
        }
    }
    for (int c = BT_TLS12; c <= BT_TLS13; c++) {
        bench_target *t = &r->tgt[c];
        if (c == BT_TLS13 && !lm_tls_has_tls13())
            continue;
        *t = r->tgt[BT_PLAIN];
        t->port = o->external ? o->tls_port : r->srv_tls.port;
        t->server_pid = o->external ? 0 : r->srv_tls.pid;
        t->tls_opts.ca_file = r->ca;
        t->tls_opts.tls_version = c == BT_TLS12 ? 12 : 13;
        t->tls = lm_tls_config_new(&t->tls_opts, err, sizeof err, &code);
        if (!t->tls) {
            lm_warn(LM_M_PASSTHROUGH, err);
            return code == LM_ERR_CONFIG ? LM_EXIT_USAGE : LM_EXIT_RUNTIME;
        }
        r->sink[c] = *t;
        r->sink[c].port = r->sink_tls.port;
        r->sink[c].server_pid = r->sink_tls.pid;
        r->res.have[c] = 1;
    }
    return LM_EXIT_OK;
}

static const char *col_name(int c)
{
    return lm_tr(c == BT_PLAIN   ? LM_M_BENCH_COL_PLAIN
                 : c == BT_TLS12 ? LM_M_BENCH_COL_TLS12
                                 : LM_M_BENCH_COL_TLS13);
}

/* Scale a count by --quick, never below a floor. */
static int count(const bench_opts *o, int full, int floor)
{
    int n = (int)(full * o->scale);
    return n < floor ? floor : n;
}

#define ROW(key, id, unit, hb) br_row(res, key, LM_M_##id, unit, hb)

/* Every client workload for one column; fills its value in each row. */
static int measure_column(bench_run *r, int c, bench_row **row)
{
    const bench_opts *o = r->o;
    const bench_target *t = &r->tgt[c];
    bm_connect_result cr, rr;
    bm_rtt_result rt[3];
    bm_tput_result t1, tn, tb, ow = {NAN, NAN, NAN, NAN};
    static const size_t sizes[3] = {64, 1024, 16384};
    double setup = NAN, per_msg = NAN, mem = NAN;
    char err[512];
    int k = 0;

    /* Memory first, on a fresh server, so that memory freed by earlier
     * workloads cannot absorb the new connections. */
    if (t->server_pid) {
        bench_progress(o, LM_M_BENCH_STEP_MEM, col_name(c));
        if (bm_memory(t, count(o, 300, 60), &mem, err, sizeof err) != LM_OK)
            goto fail;
    }
    bench_progress(o, LM_M_BENCH_STEP_CONNECT, col_name(c));
    if (bm_connect(t, count(o, t->tls ? 200 : 500, t->tls ? 15 : 40), 0, &cr, err, sizeof err) !=
            LM_OK ||
        bm_connect(t, count(o, t->tls ? 300 : 500, 30), 1, &rr, err, sizeof err) != LM_OK)
        goto fail;
    bench_progress(o, LM_M_BENCH_STEP_RTT, col_name(c));
    for (int i = 0; i < 3; i++)
        if (bm_rtt(t, sizes[i], count(o, i == 2 ? 1500 : 4000, 200), &rt[i], err, sizeof err) !=
            LM_OK)
            goto fail;
    bench_progress(o, LM_M_BENCH_STEP_TPUT, col_name(c), o->conns);
    if (bm_throughput(t, 1, 1024, 32, 1.2 * o->scale, &t1, err, sizeof err) != LM_OK ||
        bm_throughput(t, o->conns, 1024, 16, 1.5 * o->scale, &tn, err, sizeof err) != LM_OK ||
        bm_throughput(t, 1, 16384, 4, 1.5 * o->scale, &tb, err, sizeof err) != LM_OK)
        goto fail;
    bench_progress(o, LM_M_BENCH_STEP_ONEWAY, col_name(c));
    if (r->sink[c].server_pid &&
        bm_oneway(&r->sink[c], 1.5 * o->scale, &ow, err, sizeof err) != LM_OK)
        goto fail;
    bench_progress(o, LM_M_BENCH_STEP_WIRE, col_name(c));
    if (bw_wire_bytes(t, &setup, &per_msg, err, sizeof err) != LM_OK)
        goto fail;
    row[k++]->v[c] = cr.p50_us;
    row[k++]->v[c] = cr.p99_us;
    row[k++]->v[c] = rr.p50_us;
    row[k++]->v[c] = rr.p99_us;
    for (int i = 0; i < 3; i++) {
        row[k++]->v[c] = rt[i].p50_us;
        row[k++]->v[c] = rt[i].p99_us;
    }
    row[k++]->v[c] = t1.msgs_per_s;
    row[k++]->v[c] = t1.mb_per_s;
    row[k++]->v[c] = tn.msgs_per_s;
    row[k++]->v[c] = tn.mb_per_s;
    row[k++]->v[c] = tb.mb_per_s;
    row[k++]->v[c] = tb.srv_cpu_ms_per_mb;
    row[k++]->v[c] = tb.cli_cpu_ms_per_mb;
    row[k++]->v[c] = ow.mb_per_s;
    row[k++]->v[c] = ow.srv_cpu_ms_per_mb;
    row[k++]->v[c] = ow.cli_cpu_ms_per_mb;
    row[k++]->v[c] = cr.srv_cpu_ms;
    row[k++]->v[c] = cr.cli_cpu_ms;
    row[k++]->v[c] = cr.rate;
    row[k++]->v[c] = rr.rate;
    row[k++]->v[c] = t->tls ? setup : NAN; /* plain TCP sends no bytes to set up */
    row[k++]->v[c] = per_msg;
    row[k++]->v[c] = mem;
    r->full_rate[c] = cr.rate;
    r->resumed_rate[c] = rr.rate;
    r->mem[c] = mem;
    r->srv_cpu_mb[c] = tb.srv_cpu_ms_per_mb;
    r->oneway_cpu_mb[c] = ow.srv_cpu_ms_per_mb;
    r->rtt64_rate[c] = rt[0].per_sec;
    if (c != BT_PLAIN) {
        char e2[256];
        lm_transport *tp = bm_open(t, t->tls, e2, sizeof e2);
        if (tp)
            snprintf(r->res.suite[c], sizeof r->res.suite[c], "%s", tp->desc);
        bm_close(tp);
    }
    return LM_EXIT_OK;
fail:
    lm_warn(LM_M_BENCH_FAILED_STEP, col_name(c), err);
    return LM_EXIT_RUNTIME;
}

/* The datagram table: UDP beside plain TCP (and TLS 1.2), the stream
 * figures taken from the main table. */
static int measure_datagrams(bench_run *r)
{
    bench_results *res = &r->res;
    const bench_opts *o = r->o;
    static const char *stream_keys[] = {"rtt_64_p50_us",     "rtt_64_p99_us",  "rtt_1k_p50_us",
                                        "rtt_1k_p99_us",     "connect_p50_us", "wire_setup_bytes",
                                        "wire_bytes_per_msg"};
    bench_row *row[7];
    bm_rtt_result rt[2];
    double setup, per_msg;
    char err[512];

    if (!r->srv_udp.pid)
        return LM_EXIT_OK;
    bench_progress(o, LM_M_BENCH_STEP_UDP);
    for (int i = 0; i < 2; i++)
        if (bu_rtt("127.0.0.1", r->srv_udp.port, i ? 1024 : 64, count(o, 4000, 200), &rt[i], err,
                   sizeof err) != LM_OK)
            goto fail;
    if (bu_wire_bytes("127.0.0.1", r->srv_udp.port, &setup, &per_msg, err, sizeof err) != LM_OK)
        goto fail;
    row[0] = br_dg_row(res, "rtt_64_p50_us", LM_M_BENCH_R_RTT64_P50, "us", 0);
    row[1] = br_dg_row(res, "rtt_64_p99_us", LM_M_BENCH_R_RTT64_P99, "us", 0);
    row[2] = br_dg_row(res, "rtt_1k_p50_us", LM_M_BENCH_R_RTT1K_P50, "us", 0);
    row[3] = br_dg_row(res, "rtt_1k_p99_us", LM_M_BENCH_R_RTT1K_P99, "us", 0);
    row[4] = br_dg_row(res, "setup_p50_us", LM_M_BENCH_D_SETUP_P50, "us", 0);
    row[5] = br_dg_row(res, "wire_setup_bytes", LM_M_BENCH_R_WIRE_SETUP, "B", 0);
    row[6] = br_dg_row(res, "wire_bytes_per_msg", LM_M_BENCH_R_WIRE_MSG, "B", 0);
    /* The stream columns, copied from the main table. */
    for (int k = 0; k < 7; k++)
        for (int i = 0; i < res->nrows; i++)
            if (strcmp(res->rows[i].key, stream_keys[k]) == 0) {
                row[k]->v[DC_TCP] = res->rows[i].v[BT_PLAIN];
                row[k]->v[DC_TLS12] = res->rows[i].v[BT_TLS12];
            }
    row[0]->v[DC_UDP] = rt[0].p50_us;
    row[1]->v[DC_UDP] = rt[0].p99_us;
    row[2]->v[DC_UDP] = rt[1].p50_us;
    row[3]->v[DC_UDP] = rt[1].p99_us;
    row[4]->v[DC_UDP] = NAN; /* nothing to set up */
    row[5]->v[DC_UDP] = setup;
    row[6]->v[DC_UDP] = per_msg;
    res->dg_have[DC_TCP] = res->dg_have[DC_UDP] = 1;
    res->dg_have[DC_TLS12] = res->have[BT_TLS12];
    if (r->dtls_cfg) {
        bd_result d;
        bench_progress(o, LM_M_BENCH_STEP_DTLS);
        if (bd_measure(r->srv_dtls.port, &r->dtls_opts, count(o, 100, 10), count(o, 4000, 200), &d,
                       err, sizeof err) != LM_OK)
            goto fail;
        row[0]->v[DC_DTLS] = d.rtt[0].p50_us;
        row[1]->v[DC_DTLS] = d.rtt[0].p99_us;
        row[2]->v[DC_DTLS] = d.rtt[1].p50_us;
        row[3]->v[DC_DTLS] = d.rtt[1].p99_us;
        row[4]->v[DC_DTLS] = d.setup_p50_us;
        row[5]->v[DC_DTLS] = d.setup_bytes;
        row[6]->v[DC_DTLS] = d.per_msg_bytes;
        res->dg_have[DC_DTLS] = 1;
    }
    return LM_EXIT_OK;
fail:
    lm_warn(LM_M_BENCH_FAILED_STEP, "UDP/DTLS", err);
    return LM_EXIT_RUNTIME;
}

/* The baselines that are not about handshakes (bench_handshake.c adds
 * those): each lanmsg figure against its raw counterpart. */
static void add_baselines(bench_run *r)
{
    bench_results *res = &r->res;
    int chacha = strcmp(res->cipher, "chacha20") == 0;
    double seal = chacha ? res->aead_chacha : res->aead_aes;
    double open = chacha ? res->open_chacha : res->open_aes;
    static const char *keys[BT_N][5] = {{0},
                                        {"tls_oneway_server_cpu_tls12", "tls_echo_server_cpu_tls12",
                                         "resumed_vs_full_tls12", "memory_tls_tls12"},
                                        {"tls_oneway_server_cpu_tls13", "tls_echo_server_cpu_tls13",
                                         "resumed_vs_full_tls13", "memory_tls_tls13"}};

    bb_add(res, "plain_round_trips", BT_PLAIN, LM_M_BENCH_B_RTT, "rt/s", r->raw_rt,
           r->rtt64_rate[0], r->rtt64_rate[0] / r->raw_rt, 0.90, 1, LM_M_BENCH_B_RTT_NOTE);
    bb_add(res, "memory_plain", BT_PLAIN, LM_M_BENCH_B_MEM_PLAIN, "B", 4096, r->mem[BT_PLAIN],
           r->mem[BT_PLAIN] / 4096, 1.0, 0, LM_M_BENCH_B_MEM_PLAIN_NOTE);
    for (int c = BT_TLS12; c < BT_N; c++) {
        const char *const *k = keys[c];
        if (!res->have[c])
            continue;
        /* ms per MB: 1000 / (MB/s). Efficiency = raw cost / lanmsg's cost. */
        bb_add(res, k[0], c, LM_M_BENCH_B_ONEWAY, "ms/MB", 1e3 / open, r->oneway_cpu_mb[c],
               1e3 / open / r->oneway_cpu_mb[c], 0.90, 1, LM_M_BENCH_B_ONEWAY_NOTE);
        bb_add(res, k[1], c, LM_M_BENCH_B_ECHO, "ms/MB", 1e3 / open + 1e3 / seal, r->srv_cpu_mb[c],
               (1e3 / open + 1e3 / seal) / r->srv_cpu_mb[c], 0.85, 1, LM_M_BENCH_B_ECHO_NOTE);
        bb_add(res, k[2], c, LM_M_BENCH_B_RESUME, "conn/s", r->full_rate[c], r->resumed_rate[c],
               r->resumed_rate[c] / r->full_rate[c], 10, 1, LM_M_BENCH_B_RESUME_NOTE);
        bb_add(res, k[3], c, LM_M_BENCH_B_MEM_TLS, "B", r->ssl_bytes, r->mem[c],
               r->mem[c] / r->ssl_bytes, 1.15, 0, LM_M_BENCH_B_MEM_TLS_NOTE);
    }
}

static int write_outputs(const bench_run *r)
{
    const bench_opts *o = r->o;
    char err[1024];
    int rc = LM_EXIT_OK;
    if (o->json && br_write_json(&r->res, o->json, err, sizeof err) != LM_OK)
        rc = LM_EXIT_RUNTIME, lm_warn(LM_M_PASSTHROUGH, err);
    if (o->csv && br_write_csv(&r->res, o->csv, err, sizeof err) != LM_OK)
        rc = LM_EXIT_RUNTIME, lm_warn(LM_M_PASSTHROUGH, err);
    if (o->svg && br_write_svg(&r->res, o->svg, err, sizeof err) != LM_OK)
        rc = LM_EXIT_RUNTIME, lm_warn(LM_M_PASSTHROUGH, err);
    return rc;
}

static int run_bench(bench_run *r)
{
    bench_opts *o = r->o;
    bench_results *res = &r->res;
    bench_row *row[32];
    char err[512];
    double rt2, p2;
    int k = 0, rc;

    row[k++] = ROW("connect_p50_us", BENCH_R_CONNECT_P50, "us", 0);
    row[k++] = ROW("connect_p99_us", BENCH_R_CONNECT_P99, "us", 0);
    row[k++] = ROW("resumed_p50_us", BENCH_R_RESUMED_P50, "us", 0);
    row[k++] = ROW("resumed_p99_us", BENCH_R_RESUMED_P99, "us", 0);
    row[k++] = ROW("rtt_64_p50_us", BENCH_R_RTT64_P50, "us", 0);
    row[k++] = ROW("rtt_64_p99_us", BENCH_R_RTT64_P99, "us", 0);
    row[k++] = ROW("rtt_1k_p50_us", BENCH_R_RTT1K_P50, "us", 0);
    row[k++] = ROW("rtt_1k_p99_us", BENCH_R_RTT1K_P99, "us", 0);
    row[k++] = ROW("rtt_16k_p50_us", BENCH_R_RTT16K_P50, "us", 0);
    row[k++] = ROW("rtt_16k_p99_us", BENCH_R_RTT16K_P99, "us", 0);
    row[k++] = ROW("tput_1conn_msgs", BENCH_R_TPUT1_MSGS, "msg/s", 1);
    row[k++] = ROW("tput_1conn_mb", BENCH_R_TPUT1_MB, "MB/s", 1);
    row[k++] = ROW("tput_nconn_msgs", BENCH_R_TPUTN_MSGS, "msg/s", 1);
    row[k++] = ROW("tput_nconn_mb", BENCH_R_TPUTN_MB, "MB/s", 1);
    row[k++] = ROW("bulk_16k_mb", BENCH_R_BULK_MB, "MB/s", 1);
    row[k++] = ROW("cpu_server_ms_per_mb", BENCH_R_CPU_SRV_MB, "ms", 0);
    row[k++] = ROW("cpu_client_ms_per_mb", BENCH_R_CPU_CLI_MB, "ms", 0);
    row[k++] = ROW("oneway_16k_mb", BENCH_R_ONEWAY_MB, "MB/s", 1);
    row[k++] = ROW("cpu_server_ms_per_mb_oneway", BENCH_R_CPU_SRV_MB_ONEWAY, "ms", 0);
    row[k++] = ROW("cpu_client_ms_per_mb_oneway", BENCH_R_CPU_CLI_MB_ONEWAY, "ms", 0);
    row[k++] = ROW("cpu_server_ms_per_conn", BENCH_R_CPU_SRV_CONN, "ms", 0);
    row[k++] = ROW("cpu_client_ms_per_conn", BENCH_R_CPU_CLI_CONN, "ms", 0);
    row[k++] = ROW("new_conn_per_s", BENCH_R_RATE_NEW, "conn/s", 1);
    row[k++] = ROW("resumed_conn_per_s", BENCH_R_RATE_RESUMED, "conn/s", 1);
    row[k++] = ROW("wire_setup_bytes", BENCH_R_WIRE_SETUP, "B", 0);
    row[k++] = ROW("wire_bytes_per_msg", BENCH_R_WIRE_MSG, "B", 0);
    row[k++] = ROW("memory_per_conn_bytes", BENCH_R_MEM_CONN, "B", 0);

    bench_progress(o, LM_M_BENCH_STEP_RAW);
    if (bb_raw_pingpong(64, count(o, 8000, 500), &r->raw_rt, &r->raw_p50, err, sizeof err) !=
        LM_OK) {
        lm_warn(LM_M_BENCH_FAILED_STEP, lm_tr(LM_M_BENCH_STEP_RAW), err);
        return LM_EXIT_RUNTIME;
    }
    if (lm_tls_available()) {
        double s = 0.3 * o->scale;
        bench_progress(o, LM_M_BENCH_STEP_CRYPTO);
        r->ecdhe_x = bc_ecdhe_us(1, s);
        r->ecdsa = bc_ecdsa_sign_us(s);
        r->ssl_bytes = bc_ssl_context_bytes(count(o, 400, 100));
        bc_cert_key(r->crt, res->cert, sizeof res->cert);
        snprintf(res->group, sizeof res->group, "X25519");
    }
    for (int c = 0; c < BT_N; c++)
        if (res->have[c] && (rc = measure_column(r, c, row)) != LM_EXIT_OK)
            return rc;
    if ((rc = measure_datagrams(r)) != LM_EXIT_OK)
        return rc;
    if (res->have[BT_TLS12] && !o->external) {
        bench_hs_env e;
        memset(&e, 0, sizeof e);
        e.o = o;
        e.pair = (bc_pair_opts){r->crt, r->key, r->ca, res->cipher};
        e.srv_tls = &r->srv_tls_opts;
        e.port = r->srv_tls.port;
        e.pid = r->srv_tls.pid;
        e.tmpdir = r->tmpdir;
        e.pk_ms = (r->ecdhe_x + r->ecdsa) / 1e3;
        e.have13 = res->have[BT_TLS13];
        if (bench_tempdir(r->tmpdir, sizeof r->tmpdir) != LM_OK) {
            lm_warn(LM_M_BENCH_TEMPDIR_FAILED);
            return LM_EXIT_RUNTIME;
        }
        rc = bench_handshakes(&e, res);
        bench_rmtree(r->tmpdir);
        if (rc != LM_EXIT_OK)
            return rc;
    }
    /* The raw ping-pong again, after the rest: the better of the two runs
     * is the baseline, so a noisy moment cannot flatter lanmsg. */
    bench_progress(o, LM_M_BENCH_STEP_RAW);
    if (bb_raw_pingpong(64, count(o, 8000, 500), &rt2, &p2, err, sizeof err) == LM_OK &&
        rt2 > r->raw_rt) {
        r->raw_rt = rt2;
        r->raw_p50 = p2;
    }
    add_baselines(r);

    bench_out(LM_M_BENCH_TITLE, res->machine);
    if (res->have[BT_TLS12]) {
        bench_out(LM_M_BENCH_LIB_LINE, res->tlslib);
        for (int c = BT_TLS12; c < BT_N; c++)
            if (res->have[c])
                bench_out(LM_M_BENCH_COL_LINE, col_name(c), res->suite[c], res->group,
                          res->cert[0] ? res->cert : "?");
        bench_out(LM_M_BENCH_CIPHER_LINE, res->aead_aes, res->aead_chacha, res->open_aes,
                  res->open_chacha, res->cipher, res->cipher_why);
    }
    if (o->external)
        bench_out(LM_M_BENCH_EXTERNAL_LINE, o->host ? o->host : "127.0.0.1");
    else
        bench_out(LM_M_BENCH_SERVER_LINE, o->conns);
    bench_out(LM_M_BENCH_DATA, "");
    br_print_table(res);
    return write_outputs(r);
}

int main(int argc, char **argv)
{
    static bench_opts o;
    static bench_run r;
    char err[256];
    int rc;

    o.conns = 50;
    o.message = "Olá servidor!";
    lm_log_set_program("lanmsg-bench");
    lm_lang_init(NULL);
    if ((rc = parse(&o, argc, argv)) >= 0)
        return rc;
    o.scale = o.quick ? 0.1 : 1.0;
    bench_exe_dir(argv[0], o.bindir, sizeof o.bindir);
    if (lm_net_init(err, sizeof err) != LM_OK) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_RUNTIME;
    }
    bench_fd_limit(8192);
    r.o = &o;
    r.res.conns = o.conns;
    bench_machine(r.res.machine, sizeof r.res.machine);
    snprintf(r.res.tlslib, sizeof r.res.tlslib, "%s", lm_tls_library());
    if (!lm_tls_available() && !o.wiretap)
        lm_warn(LM_M_BENCH_NO_TLS);

    rc = lm_tls_available() ? prepare_certs(&r) : LM_EXIT_OK;
    if (rc == LM_EXIT_OK) {
        if (lm_tls_available())
            choose_cipher(&r, o.wiretap ? 0.01 : 0.3 * o.scale);
        rc = prepare_targets(&r);
    }
    if (rc == LM_EXIT_OK && o.wiretap) {
        rc = bw_wiretap(&o, &r.tgt[BT_PLAIN], r.res.have[BT_TLS12] ? &r.tgt[BT_TLS12] : NULL);
        if (rc == LM_EXIT_OK && r.srv_udp.pid)
            rc = bu_wiretap(&o, r.srv_udp.port);
        if (rc == LM_EXIT_OK && r.dtls_cfg)
            rc = bd_wiretap(&o, r.srv_dtls.port, r.dtls_cfg);
    } else if (rc == LM_EXIT_OK) {
        rc = run_bench(&r);
    }

    bench_server_stop(&r.srv_plain);
    bench_server_stop(&r.srv_tls);
    bench_server_stop(&r.sink_plain);
    bench_server_stop(&r.sink_tls);
    bench_server_stop(&r.srv_udp);
    bench_server_stop(&r.srv_dtls);
    lm_tls_config_free(r.dtls_cfg);
    for (int c = 0; c < BT_N; c++)
        lm_tls_config_free(r.tgt[c].tls);
    if (!o.certs && !o.external && r.certdir[0])
        bench_rmtree(r.certdir);
    lm_net_cleanup();
    return rc;
}
