/* lanmsg-bench: what TLS costs, measured on this machine.
 *
 * The benchmark is split by idea:
 *   main.c            options, the order of the run, progress;
 *   bench_measure.c   the client workloads (connect, ping-pong, throughput,
 *                     one-way bulk);
 *   bench_handshake.c handshakes: lanmsg against a minimal mbedTLS server,
 *                     thread scaling, openssl s_server as a peer;
 *   bench_hsload.c    the load clients for that (openssl s_time processes,
 *                     or our own) and the openssl s_server peer;
 *   bench_baseline.c  the raw ping-pong baseline and the baseline table;
 *   bench_serve.c     services the benchmark's own servers run;
 *   bench_crypto.c    raw mbedTLS costs (AEAD, ECDHE, ECDSA, memory);
 *   bench_tlspair.c   the minimal blocking mbedTLS server and client;
 *   bench_wiretap.c   the capturing relay, hexdumps and the TLS record parser;
 *   bench_report.c    tables, JSON, CSV and SVG;
 *   bench_sys.c       the OS-specific bits (server child process, CPU time,
 *                     resident memory, temporary directory, other programs),
 *                     kept in one file the way src/platform keeps the OS.
 * Only bench_crypto.c and bench_tlspair.c include mbedTLS. */
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
/* Columns of the handshake table: lanmsg and openssl s_server (the peer,
 * where openssl is installed), for each TLS version. */
enum { HC_LM12, HC_SS12, HC_LM13, HC_SS13, HC_N };
/* Columns of the datagram table: each datagram kind beside its stream
 * counterpart (plain TCP, UDP, TLS 1.2, DTLS 1.2). */
enum { DC_TCP, DC_UDP, DC_TLS12, DC_DTLS, DC_N };
#define BENCH_MAX_COLS 4

typedef struct bench_opts {
    const char *host, *port, *tls_port; /* external server (plain / TLS side) */
    int external;
    const char *certs; /* directory with ca.crt (server.crt, server.key) */
    const char *json, *csv, *svg, *dump_dir;
    const char *message;   /* for --wiretap */
    const char *cipher;    /* pin an AEAD; NULL = the faster one measured */
    const char *hs_client; /* "openssl", "own" or NULL (openssl where installed) */
    int quick, wiretap, conns, verbose;
    double scale; /* 1.0 full run, 0.1 quick */
    char bindir[512];
} bench_opts;

/* One measure, compared across columns (BT_* in the main table, HC_* in
 * the handshake table). NAN = not measured. */
typedef struct bench_row {
    const char *key;  /* JSON / CSV key, never translated */
    lm_msg_id label;  /* what a person reads */
    const char *unit; /* "us", "msg/s", "MB/s", "ms", "B", "hs/s" */
    int higher_better;
    double v[BENCH_MAX_COLS];
} bench_row;

/* One baseline: a figure measured in the same run without lanmsg (or
 * lanmsg in another setting), lanmsg's figure, their ratio and the target
 * (printed, never asserted). The label names the baseline in words. */
typedef struct bench_baseline {
    const char *key; /* unique, the column included ("full_handshake_cpu_tls12") */
    int col;         /* BT_*: the transport it belongs to */
    lm_msg_id label;
    const char *unit;
    double baseline, measured, ratio;
    double lo, hi;    /* the ratio's range over the rounds of this run; NAN if one */
    double target;    /* NAN: an extra line, explained, with no target */
    int want_ge;      /* ratio should be >= target (else <=) */
    lm_msg_id note;   /* explains the line; may print note_v */
    double note_v[5]; /* figures the note quotes */
} bench_baseline;

#define BENCH_MAX_ROWS 40
#define BENCH_MAX_BASE 40

typedef struct bench_results {
    bench_row rows[BENCH_MAX_ROWS];
    int nrows;
    bench_row hs[BENCH_MAX_ROWS]; /* the handshake table */
    int nhs;
    bench_row dg[BENCH_MAX_ROWS]; /* the datagram table */
    int ndg;
    bench_baseline base[BENCH_MAX_BASE];
    int nbase;
    int have[BT_N];    /* columns measured */
    int hs_have[HC_N]; /* handshake-table columns measured */
    int dg_have[DC_N]; /* datagram-table columns measured */
    int conns;
    char cipher[32];      /* AEAD the TLS runs used */
    char cipher_why[160]; /* why it was chosen */
    char suite[BT_N][96]; /* negotiated, from the transport description */
    char group[16];       /* ECDHE group of every TLS measure */
    char cert[48];        /* the server certificate's key */
    char hs_client[160];  /* what made the load in the handshake table */
    char tlslib[64];
    char machine[512];
    double aead_aes, aead_chacha; /* MB/s, sealing */
    double open_aes, open_chacha; /* MB/s, opening */
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
/* The machine's CPU ticks so far, all cores: busy (not idle or waiting
 * for I/O) and in all. LM_ERR where the OS does not say. */
int bench_machine_ticks(double *busy, double *total);
/* Cores online. */
int bench_ncpu(void);
/* Wait up to ms for either socket to be readable: 1, 0 on timeout. */
int bench_wait2(lm_sock a, lm_sock b, int ms);
/* Put a time limit on a blocking socket's waits (send and receive). */
void bench_sock_timeout(lm_sock s, int ms);
/* The path of a program found on PATH, or 0 when there is none. */
int bench_find_program(const char *name, char *path, size_t len);
/* Start argv[0] (a path) in `dir` (NULL: here) with standard input from
 * the null device, standard output on a non-blocking pipe (*out_fd) and,
 * when err_too, standard error on the same pipe (else discarded). */
int bench_spawn(char *const argv[], const char *dir, int err_too, long *pid, int *out_fd, char *err,
                size_t errlen);
/* Wait up to timeout_ms for output on any of n pipes and read some:
 * returns the bytes read (from fds[*which]), 0 when nothing came; a pipe
 * that reaches its end is closed and set to -1; -1 when none is left. */
long bench_pipes_read(int *fds, int n, int timeout_ms, char *buf, size_t len, int *which);
/* Stop a spawned program (SIGTERM, SIGKILL if it lingers) and reap it;
 * closes its pipe when fd >= 0. */
void bench_spawn_stop(long pid, int fd);

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

/* One way: the client writes 16 KiB as fast as it can for `seconds`; the
 * server (running bench_sink_service) reads and discards. MB/s is what
 * the client got through; CPU per MB is counted once the server has read
 * every byte. */
int bm_oneway(const bench_target *t, double seconds, bm_tput_result *r, char *err, size_t errlen);

/* Resident memory per idle connection on the server (bytes). */
int bm_memory(const bench_target *t, int n, double *per_conn, char *err, size_t errlen);

/* ---- bench_serve.c: services the benchmark's own servers run ---- */
/* Reads and discards everything (the one-way bulk measure). */
extern const lm_service bench_sink_service;
/* Answers a client's first line with a tiny HTTP/1.0 reply and closes:
 * what "openssl s_time -www" needs to read TLS 1.3 tickets. */
extern const lm_service bench_once_service;

/* ---- bench_wiretap.c ---- */
typedef struct bench_relay bench_relay;
bench_relay *bw_relay_start(const char *host, const char *port, char *err, size_t errlen);
const char *bw_relay_port(const bench_relay *r);
/* Bytes seen so far: client to server, server to client. */
void bw_relay_counts(bench_relay *r, uint64_t *c2s, uint64_t *s2c);
void bw_relay_stop(bench_relay *r);
/* Bytes on the wire: connection setup, and per 64-byte echo (both ways). */
int bw_wire_bytes(const bench_target *t, double *setup, double *per_msg, char *err, size_t errlen);
/* Hexdump lines (offset, hex, ASCII) of the first `limit` bytes. */
void bw_hexdump(const unsigned char *p, size_t n, size_t limit);
/* "handshake", "application_data"...: a TLS record content type's name. */
const char *bw_record_type_name(int t);
/* The eavesdropper's view; returns an exit code. */
int bw_wiretap(const bench_opts *o, const bench_target *plain, const bench_target *tls);

/* ---- bench_udp.c: datagrams ---- */
typedef struct bu_relay bu_relay;
/* A UDP relay on 127.0.0.1 (bu_relay_port) to host:port that counts and
 * keeps the datagrams it forwards. */
bu_relay *bu_relay_start(const char *host, const char *port, char *err, size_t errlen);
const char *bu_relay_port(const bu_relay *r);
/* Payload bytes forwarded each way so far. */
void bu_relay_counts(bu_relay *r, uint64_t *c2s, uint64_t *s2c);
void bu_relay_stop(bu_relay *r);
/* Round trips of `size`-byte datagrams to a UDP echo server, one at a time. */
int bu_rtt(const char *host, const char *port, size_t size, int n, bm_rtt_result *r, char *err,
           size_t errlen);
/* Bytes on the wire to set up (NAN: UDP sets nothing up) and per 64-byte
 * echo, both ways, through the relay. */
int bu_wire_bytes(const char *host, const char *port, double *setup, double *per_msg, char *err,
                  size_t errlen);
/* The eavesdropper's view of one message over UDP; an exit code. */
int bu_wiretap(const bench_opts *o, const char *port);
/* Stop the relay and hand each datagram it kept to show (dir 0: client to
 * server), in order. */
void bu_relay_show(bu_relay *r, void (*show)(void *, int, const unsigned char *, size_t),
                   void *ctx);
/* The kept datagrams' bytes in DIR/NAME.c2s and DIR/NAME.s2c. */
void bu_relay_dump(const bu_relay *r, const char *dir, const char *name);

/* ---- bench_dtls.c: DTLS 1.2 (lanmsg-server --udp --tls) ---- */
typedef struct bd_result {
    double setup_p50_us;  /* connect to a finished handshake, one at a time */
    bm_rtt_result rtt[2]; /* 64 B and 1 KiB */
    double setup_bytes;   /* both ways, cookie exchange included */
    double per_msg_bytes; /* per 64-byte echo, both ways */
} bd_result;
/* Every DTLS figure against the echo server on 127.0.0.1:port; co are
 * client options with .datagram set (each connection gets a configuration
 * of its own, so every handshake is a full one). */
int bd_measure(const char *port, const lm_tls_options *co, int nsetup, int nrtt, bd_result *r,
               char *err, size_t errlen);
/* The eavesdropper's view of one message over DTLS; an exit code. */
int bd_wiretap(const bench_opts *o, const char *port, lm_tls_config *cfg);

/* ---- bench_crypto.c: raw mbedTLS costs ----
 * bench_crypto.c and bench_tlspair.c are the only bench files that include
 * mbedTLS (bench_crypto_none.c stands in for both without TLS). */
const char *bc_library(void);
/* AEAD speed with 16 KiB buffers, MB/s of plaintext: "aes128" or
 * "chacha20"; sealing (encrypt and tag) or, with open, opening (check the
 * tag and decrypt), as a TLS sender and receiver do per record. */
double bc_aead_mb_per_s(const char *which, int open, double seconds);
/* "ECDSA P-256", "RSA 2048": the key of a certificate file, or "". */
void bc_cert_key(const char *path, char *out, size_t len);
/* Server's share of ECDHE (key pair + shared secret), microseconds. */
double bc_ecdhe_us(int x25519, double seconds);
/* One ECDSA P-256 signature over a SHA-256 digest, microseconds. */
double bc_ecdsa_sign_us(double seconds);
/* Resident bytes per mbedtls_ssl_context set up with a server config. */
double bc_ssl_context_bytes(int n);

/* ---- bench_tlspair.c: a minimal blocking TLS server and client on mbedTLS ---- */
typedef struct bc_pair_opts {
    const char *crt, *key, *ca; /* the files lanmsg's server and clients use */
    const char *cipher;         /* "aes128", "aes256" or "chacha20" */
} bc_pair_opts;
typedef struct bc_server bc_server;
/* A server thread on 127.0.0.1, port 0; TLS 1.2 and (where the library
 * has it) 1.3, the cipher's suites, session tickets. */
bc_server *bc_server_start(const bc_pair_opts *o, char *err, size_t errlen);
const char *bc_server_port(const bc_server *s);
/* Connections served so far and the server thread's CPU seconds on them. */
void bc_server_stats(bc_server *s, long *conns, double *cpu_s);
void bc_server_stop(bc_server *s);
typedef struct bc_client bc_client;
/* A client offering one version (12 or 13), the cipher's suite and one
 * group ("x25519" or "p256"). */
bc_client *bc_client_new(const bc_pair_opts *o, int version, const char *group, char *err,
                         size_t errlen);
/* One connection: handshake (offering the newest session when `resume`),
 * close_notify, read until the server has closed. *resumed: no
 * certificate came, so the session was resumed. */
int bc_client_connect(bc_client *c, const char *host, const char *port, int resume, int *resumed,
                      char *err, size_t errlen);
void bc_client_free(bc_client *c);

/* ---- bench_hsload.c: handshake load from many clients ---- */
/* The load clients: openssl s_time processes where openssl is installed
 * (the cheapest client on most machines), else threads of our own running
 * bc_client. */
typedef struct bh_clients {
    int openssl;       /* 1: s_time processes */
    char path[512];    /* openssl */
    char version[64];  /* "OpenSSL 3.0.19 27 Jan 2026" */
    char flags[3][16]; /* s_time options that skip certificate stores */
    int nflags;
    bc_pair_opts pair; /* our own clients */
} bh_clients;
/* Find openssl unless `which` is "own"; "openssl" insists on it. LM_OK, or
 * LM_ERR with err when openssl was asked for and is not there. */
int bh_clients_init(bh_clients *c, const char *which, const bc_pair_opts *pair, char *err,
                    size_t errlen);
typedef struct bh_window {
    const char *port;
    long server_pid; /* the server's process, for its CPU */
    int clients;     /* how many at once */
    int resume;      /* resumed sessions (s_time -reuse) */
    int version;     /* 12 or 13 */
    int request;     /* one small request per connection (s_time -www) */
    double seconds;  /* length of the measured window */
} bh_window;
typedef struct bh_result {
    double rate;   /* handshakes per second, all clients */
    double srv_ms; /* server CPU per handshake */
    double cli_ms; /* client CPU per handshake */
    long count;
    int resumed_ok; /* every counted connection was resumed (when asked) */
    double machine; /* share of all cores busy during the window (NAN: unknown) */
    double ours;    /* share of all cores used by the server and the clients */
} bh_result;
/* Start the clients, wait until each has made its first connection, then
 * count handshakes for w->seconds and stop them. */
int bh_measure(const bh_clients *c, const bh_window *w, bh_result *r, char *err, size_t errlen);
/* openssl s_server on 127.0.0.1 (port chosen by the system), -WWW serving
 * `dir` (where bh_peer_start writes the tiny page), the same certificate,
 * suites and group as lanmsg's server, one TLS 1.3 ticket as mbedTLS. */
typedef struct bh_peer {
    long pid;
    int fd;
    char port[16];
} bh_peer;
int bh_peer_start(const bh_clients *c, const bc_pair_opts *o, const char *dir, bh_peer *p,
                  char *err, size_t errlen);
void bh_peer_stop(bh_peer *p);

/* ---- bench_handshake.c: handshakes against their baselines ---- */
typedef struct bench_hs_env {
    const bench_opts *o;
    bc_pair_opts pair;             /* certificate, key, CA and cipher of every server */
    const lm_tls_options *srv_tls; /* how the benchmark starts lanmsg TLS servers */
    const char *port;              /* the running lanmsg TLS echo server (1 loop) */
    long pid;
    const char *tmpdir; /* a private folder for s_server's page */
    double pk_ms;       /* raw X25519 ECDHE + one ECDSA P-256 signature, ms */
    int have13;         /* the library speaks TLS 1.3 */
} bench_hs_env;
/* Every handshake figure: the rows of the handshake table and the
 * handshake baselines of each TLS column. LM_EXIT_OK or an exit code. */
int bench_handshakes(const bench_hs_env *e, bench_results *res);

/* ---- bench_baseline.c ---- */
/* Raw blocking ping-pong over loopback with the lm_net_* calls only. */
int bb_raw_pingpong(size_t size, int n, double *per_sec, double *p50_us, char *err, size_t errlen);
/* Add a baseline line; target NAN for an extra line with no target. The
 * ratio's range over rounds is set to NAN (see bb_range). */
bench_baseline *bb_add(bench_results *res, const char *key, int col, lm_msg_id label,
                       const char *unit, double baseline, double measured, double ratio,
                       double target, int want_ge, lm_msg_id note);
/* The median of n values (n > 0), and their range. */
double bb_median(const double *v, int n, double *lo, double *hi);

/* ---- bench_report.c ---- */
bench_row *br_row(bench_results *res, const char *key, lm_msg_id label, const char *unit,
                  int higher_better);
/* A row of the datagram table. */
bench_row *br_dg_row(bench_results *res, const char *key, lm_msg_id label, const char *unit,
                     int higher_better);
/* A row of the handshake table. */
bench_row *br_hs_row(bench_results *res, const char *key, lm_msg_id label, const char *unit,
                     int higher_better);
/* "How many times worse" TLS is than plain for this row, or NAN. */
double br_cost(const bench_row *row, int col);
void br_print_table(const bench_results *res);
int br_write_json(const bench_results *res, const char *path, char *err, size_t errlen);
int br_write_csv(const bench_results *res, const char *path, char *err, size_t errlen);
int br_write_svg(const bench_results *res, const char *path, char *err, size_t errlen);

#endif
