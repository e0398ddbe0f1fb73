/* lanmsg-bench: what TLS costs, measured on this machine.
 *
 * The benchmark is split by idea:
 *   bench.c          options, the order of the run, progress;
 *   bench_measure.c  the client workloads (connect, ping-pong, throughput);
 *   bench_baseline.c the raw ping-pong baseline and the baseline table;
 *   bench_crypto.c   raw mbedTLS costs (the only bench file with mbedTLS);
 *   bench_wiretap.c  the capturing relay, hexdumps and the TLS record parser;
 *   bench_report.c   table, JSON, CSV and SVG;
 *   bench_sys.c      the OS-specific bits (server child process, CPU time,
 *                    resident memory, temporary directory), kept in one file
 *                    the way src/platform keeps the rest of the OS. */
#ifndef LANMSG_BENCH_H
#define LANMSG_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "platform/os.h"
#include "lanmsg/server.h"
#include "util/text.h"
#include "lanmsg/tls.h"

/* Columns of the comparison: plain TCP, TLS 1.2, TLS 1.3. */
enum { BT_PLAIN, BT_TLS12, BT_TLS13, BT_N };

typedef struct bench_opts {
    const char *host, *port, *tls_port; /* external server (plain / TLS side) */
    int external;
    const char *certs; /* directory with ca.crt (server.crt, server.key) */
    const char *json, *csv, *svg, *dump_dir;
    const char *message; /* for --wiretap */
    const char *cipher;  /* pin an AEAD; NULL = the faster one measured */
    int quick, wiretap, conns, verbose;
    double scale; /* 1.0 full run, 0.1 quick */
    char bindir[512];
} bench_opts;

/* One measure, compared across transports. NAN = not measured. */
typedef struct bench_row {
    const char *key;  /* JSON / CSV key, never translated */
    lm_msg_id label;  /* what a person reads */
    const char *unit; /* "us", "msg/s", "MB/s", "ms", "B" */
    int higher_better;
    double v[BT_N];
} bench_row;

/* One baseline: a raw figure measured in the same run, lanmsg's figure,
 * their ratio and the target (printed, never asserted). */
typedef struct bench_baseline {
    const char *key;
    lm_msg_id label;
    const char *unit;
    double baseline, measured, ratio;
    double target;
    int want_ge; /* ratio should be >= target (else <=) */
    lm_msg_id note;
} bench_baseline;

#define BENCH_MAX_ROWS 40
#define BENCH_MAX_BASE 12

typedef struct bench_results {
    bench_row rows[BENCH_MAX_ROWS];
    int nrows;
    bench_baseline base[BENCH_MAX_BASE];
    int nbase;
    int have[BT_N]; /* columns measured */
    int conns;
    char cipher[32];      /* AEAD the TLS runs used */
    char cipher_why[160]; /* why it was chosen */
    char suite[96];       /* negotiated, from the transport description */
    char tlslib[64];
    char machine[512];
    double aead_aes, aead_chacha; /* MB/s */
} bench_results;

/* ---- bench.c ---- */
void bench_progress(const bench_opts *o, lm_msg_id step, ...);
/* One catalog line on standard output (the report and the wiretap). */
void bench_out(lm_msg_id id, ...);

/* ---- bench_sys.c: OS-specific helpers ---- */
typedef struct bench_server {
    long pid; /* 0 when external */
    char port[16];
} bench_server;
/* Fork a child that runs lm_server_run with cfg (port "0" on 127.0.0.1) and
 * TLS options (NULL for plain); returns LM_OK with the port filled in. */
int bench_server_start(bench_server *s, const lm_server_config *cfg, const lm_tls_options *tls,
                       char *err, size_t errlen);
void bench_server_stop(bench_server *s);
/* CPU seconds used so far by a process (every thread), ns resolution where
 * the kernel offers it. pid 0 = this process. */
double bench_proc_cpu(long pid);
/* CPU seconds of the calling thread. */
double bench_thread_cpu(void);
/* Resident memory in bytes (pid 0 = this process), or -1. */
double bench_proc_rss(long pid);
/* Make a private temporary directory; remove it and its files. */
int bench_tempdir(char *out, size_t len);
void bench_rmtree(const char *dir);
/* Directory of the running executable, for lanmsg-certgen next to it. */
void bench_exe_dir(const char *argv0, char *out, size_t len);
/* CPU model, cores, kernel: one line for the report. */
void bench_machine(char *out, size_t len);
void bench_sleep_ms(int ms);
/* Raise the open-files limit for the connection tests. */
void bench_fd_limit(long want);

/* ---- bench_measure.c: client workloads ---- */
typedef struct bench_target {
    const char *host, *port;
    lm_tls_config *tls;      /* NULL = plain */
    lm_tls_options tls_opts; /* to make fresh configs (full handshakes) */
    long server_pid;         /* 0 when the server is not ours */
} bench_target;

lm_transport *bm_open(const bench_target *t, lm_tls_config *cfg, char *err, size_t errlen);
int bm_write_all(lm_transport *tp, const void *buf, size_t len);
/* Read until `lines` newline characters have arrived. */
int bm_read_lines(lm_transport *tp, long lines);
void bm_close(lm_transport *tp);
double bm_percentile(double *v, int n, double p); /* sorts v */

typedef struct bm_connect_result {
    double p50_us, p99_us, rate, cli_cpu_ms, srv_cpu_ms;
    int resumed;
} bm_connect_result;
/* mode 0 plain/full handshakes (fresh TLS config each time), 1 resumed. */
int bm_connect(const bench_target *t, int n, int mode, bm_connect_result *r, char *err,
               size_t errlen);

typedef struct bm_rtt_result {
    double p50_us, p99_us, per_sec;
} bm_rtt_result;
int bm_rtt(const bench_target *t, size_t size, int n, bm_rtt_result *r, char *err, size_t errlen);

typedef struct bm_tput_result {
    double msgs_per_s, mb_per_s, cli_cpu_ms_per_mb, srv_cpu_ms_per_mb;
} bm_tput_result;
int bm_throughput(const bench_target *t, int conns, size_t size, int window, double seconds,
                  bm_tput_result *r, char *err, size_t errlen);

/* Resident memory per idle connection on the server (bytes). */
int bm_memory(const bench_target *t, int n, double *per_conn, char *err, size_t errlen);
/* Full handshakes per second from `threads` client threads for `seconds`. */
int bm_handshake_rate(const bench_target *t, int threads, double seconds, double *rate, char *err,
                      size_t errlen);

/* ---- bench_wiretap.c ---- */
typedef struct bench_relay bench_relay;
bench_relay *bw_relay_start(const char *host, const char *port, char *err, size_t errlen);
const char *bw_relay_port(const bench_relay *r);
/* Bytes seen so far: client to server, server to client. */
void bw_relay_counts(bench_relay *r, uint64_t *c2s, uint64_t *s2c);
void bw_relay_stop(bench_relay *r);
/* Bytes on the wire: connection setup, and per 64-byte echo (both ways). */
int bw_wire_bytes(const bench_target *t, double *setup, double *per_msg, char *err, size_t errlen);
/* The eavesdropper's view; returns an exit code. */
int bw_wiretap(const bench_opts *o, const bench_target *plain, const bench_target *tls);

/* ---- bench_crypto.c: raw mbedTLS (the only bench file that includes it) ---- */
const char *bc_library(void);
/* AEAD encryption speed with 16 KiB buffers, MB/s: "aes128" or "chacha20". */
double bc_aead_mb_per_s(const char *which, double seconds);
/* Server's share of ECDHE (key pair + shared secret), microseconds. */
double bc_ecdhe_us(int x25519, double seconds);
/* One ECDSA P-256 signature over a SHA-256 digest, microseconds. */
double bc_ecdsa_sign_us(double seconds);
/* Resident bytes per mbedtls_ssl_context set up with a server config. */
double bc_ssl_context_bytes(int n);

/* ---- bench_baseline.c ---- */
/* Raw blocking ping-pong over loopback with the lm_net_* calls only. */
int bb_raw_pingpong(size_t size, int n, double *per_sec, double *p50_us, char *err, size_t errlen);
bench_baseline *bb_add(bench_results *res, const char *key, lm_msg_id label, const char *unit,
                       double baseline, double measured, double ratio, double target, int want_ge,
                       lm_msg_id note);

/* ---- bench_report.c ---- */
bench_row *br_row(bench_results *res, const char *key, lm_msg_id label, const char *unit,
                  int higher_better);
/* "How many times worse" TLS is than plain for this row, or NAN. */
double br_cost(const bench_row *row, int col);
void br_print_table(const bench_results *res);
int br_write_json(const bench_results *res, const char *path, char *err, size_t errlen);
int br_write_csv(const bench_results *res, const char *path, char *err, size_t errlen);
int br_write_svg(const bench_results *res, const char *path, char *err, size_t errlen);

#endif
