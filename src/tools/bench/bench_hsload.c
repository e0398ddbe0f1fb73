/* lanmsg-bench: handshake load from several clients at once, and openssl
 * s_server as a peer to compare lanmsg with.
 *
 * The load clients are `openssl s_time` processes where openssl is
 * installed: OpenSSL's client is the cheapest one most machines have, and
 * the clients share the machine's cores with the server, so what a client
 * costs is taken from the server. s_time is given options that skip the
 * system's certificate folders (it would otherwise scan them on every
 * connection) and prints one character per connection, which is how
 * handshakes are counted here, inside a window this program times: the
 * processes are stopped when the window closes. Without openssl, the
 * clients are threads of this program running the minimal mbedTLS client
 * (bench_tlspair.c).
 *
 * Server CPU per handshake is the server process's (or the minimal server
 * thread's) CPU time over the window divided by the handshakes counted in
 * it; client CPU the same for the clients. */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BH_MAX_CLIENTS 8
#define BH_START_MS    5000 /* for every client's first connection */
#define BH_PAGE        "/x" /* s_server -WWW serves DIR/x; lanmsg answers any line */

/* ==== which clients ==== */

/* Run `openssl ARGS...` to completion and keep what it printed. */
static int run_openssl(char *const args[], char *out, size_t len)
{
    char err[256];
    int fd, which;
    long pid, n, got = 0;
    uint64_t until = lm_now_ms() + 5000;

    if (bench_spawn(args, NULL, 1, &pid, &fd, err, sizeof err) != LM_OK)
        return LM_ERR;
    while (lm_now_ms() < until && (size_t)got + 1 < len &&
           (n = bench_pipes_read(&fd, 1, 100, out + got, len - 1 - (size_t)got, &which)) >= 0)
        got += n;
    out[got] = '\0';
    bench_spawn_stop(pid, fd);
    return LM_OK;
}

int bh_clients_init(bh_clients *c, const char *which, const bc_pair_opts *pair, char *err,
                    size_t errlen)
{
    static const char *skip[] = {"-no-CApath", "-no-CAstore", "-no-CAfile"};
    static char help[8192];
    memset(c, 0, sizeof *c);
    c->pair = *pair;
    if (which && strcmp(which, "own") == 0)
        return LM_OK;
    if (!bench_find_program("openssl", c->path, sizeof c->path)) {
        if (which && strcmp(which, "openssl") == 0) {
            lm_format(err, errlen, LM_M_BENCH_NO_OPENSSL);
            return LM_ERR;
        }
        return LM_OK;
    }
    {
        char *v[] = {c->path, "version", NULL};
        if (run_openssl(v, c->version, sizeof c->version) != LM_OK ||
            strncmp(c->version, "OpenSSL", 7) != 0) {
            c->version[0] = '\0';
            return LM_OK; /* not an OpenSSL we know how to drive */
        }
        /* "OpenSSL 3.0.19 27 Jan 2026 (Library: ...)": the first part. */
        c->version[strcspn(c->version, "\r\n(")] = '\0';
        for (size_t l = strlen(c->version); l > 0 && c->version[l - 1] == ' '; l--)
            c->version[l - 1] = '\0';
    }
    {
        /* Only the options this s_time knows (1.1.1 has no -no-CAstore). */
        char *h[] = {c->path, "s_time", "-help", NULL};
        run_openssl(h, help, sizeof help);
        for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++) {
            const char *p = strstr(help, skip[i]);
            size_t l = strlen(skip[i]);
            if (p && (p[l] == ' ' || p[l] == '\n'))
                snprintf(c->flags[c->nflags++], sizeof c->flags[0], "%s", skip[i]);
        }
    }
    c->openssl = 1;
    return LM_OK;
}

/* ==== our own clients (threads) ==== */

typedef struct own_client {
    const bh_clients *c;
    const bh_window *w;
    bc_client *cl;
    lm_thread *thread;
    atomic_int stop;
    atomic_long count, not_resumed;
    atomic_llong cpu_ns;
    int failed;
    char err[256];
} own_client;

static void own_run(void *arg)
{
    own_client *o = arg;
    double t0 = bench_thread_cpu();
    while (!atomic_load(&o->stop)) {
        int resumed;
        if (bc_client_connect(o->cl, "127.0.0.1", o->w->port, o->w->resume, &resumed, o->err,
                              sizeof o->err) != LM_OK) {
            o->failed = 1;
            break;
        }
        if (o->w->resume && !resumed)
            atomic_fetch_add(&o->not_resumed, 1);
        atomic_fetch_add(&o->count, 1);
        atomic_store(&o->cpu_ns, (long long)((bench_thread_cpu() - t0) * 1e9));
    }
}

/* ==== the load ==== */

typedef struct load {
    int n;
    /* s_time processes */
    long pid[BH_MAX_CLIENTS];
    int fd[BH_MAX_CLIENTS];
    long done[BH_MAX_CLIENTS];  /* progress characters on the current line */
    int other[BH_MAX_CLIENTS];  /* that line holds other text: a heading */
    long fresh[BH_MAX_CLIENTS]; /* full handshakes counted while resuming */
    /* or our own threads */
    own_client own[BH_MAX_CLIENTS];
} load;

/* s_time prints '*' for each new session ('t' for TLS 1.0, '3' for SSL 3)
 * and 'r' for each reused one, on one line after its headings. */
static void count_progress(load *l, int i, const char *buf, long n)
{
    for (long k = 0; k < n; k++) {
        char ch = buf[k];
        if (ch == '\n') {
            l->done[i] = l->other[i] = 0;
            l->fresh[i] = 0;
        } else if (ch == '*' || ch == 'r' || ch == 't' || ch == '3') {
            l->done[i]++;
            l->fresh[i] += ch != 'r';
        } else if (ch != '\r') {
            l->other[i] = 1;
        }
    }
}

static void load_poll(load *l, int timeout_ms)
{
    char buf[4096];
    int which;
    long n = bench_pipes_read(l->fd, l->n, timeout_ms, buf, sizeof buf, &which);
    if (n > 0)
        count_progress(l, which, buf, n);
}

static long load_count(const load *l, const bh_clients *c, long *fresh)
{
    long total = 0;
    *fresh = 0;
    for (int i = 0; i < l->n; i++) {
        if (c->openssl) {
            total += l->other[i] ? 0 : l->done[i];
            *fresh += l->other[i] ? 0 : l->fresh[i];
        } else {
            total += atomic_load(&l->own[i].count);
            *fresh += atomic_load(&l->own[i].not_resumed);
        }
    }
    return total;
}

static double load_cpu(const load *l, const bh_clients *c)
{
    double s = 0;
    for (int i = 0; i < l->n; i++)
        s += c->openssl ? bench_proc_cpu(l->pid[i]) : (double)atomic_load(&l->own[i].cpu_ns) / 1e9;
    return s;
}

/* 1 when some client died; its reason in err. */
static int load_failed(const load *l, const bh_clients *c, char *err, size_t errlen)
{
    for (int i = 0; i < l->n; i++) {
        if (c->openssl && l->fd[i] < 0) {
            lm_format(err, errlen, LM_M_BENCH_STIME_DIED, c->path);
            return 1;
        }
        if (!c->openssl && l->own[i].failed) {
            snprintf(err, errlen, "%s", l->own[i].err);
            return 1;
        }
    }
    return 0;
}

static void load_stop(load *l, const bh_clients *c)
{
    for (int i = 0; i < l->n; i++) {
        if (c->openssl) {
            bench_spawn_stop(l->pid[i], l->fd[i]);
        } else if (l->own[i].thread) {
            atomic_store(&l->own[i].stop, 1);
            lm_thread_join(l->own[i].thread);
            bc_client_free(l->own[i].cl);
        }
    }
}

static int load_start(load *l, const bh_clients *c, const bh_window *w, char *err, size_t errlen)
{
    char target[64], ver[16];
    memset(l, 0, sizeof *l);
    for (int i = 0; i < BH_MAX_CLIENTS; i++)
        l->fd[i] = -1;
    snprintf(target, sizeof target, "127.0.0.1:%s", w->port);
    snprintf(ver, sizeof ver, "-tls1_%d", w->version == 13 ? 3 : 2);
    for (int i = 0; i < w->clients && i < BH_MAX_CLIENTS; i++) {
        if (c->openssl) {
            char *argv[16];
            int k = 0;
            argv[k++] = (char *)c->path;
            argv[k++] = "s_time";
            argv[k++] = "-connect";
            argv[k++] = target;
            argv[k++] = w->resume ? "-reuse" : "-new";
            argv[k++] = ver;
            argv[k++] = "-time";
            argv[k++] = "600"; /* a bound only: the window is ours */
            for (int f = 0; f < c->nflags; f++)
                argv[k++] = (char *)c->flags[f];
            if (w->request) {
                argv[k++] = "-www";
                argv[k++] = BH_PAGE;
            }
            argv[k] = NULL;
            if (bench_spawn(argv, NULL, 0, &l->pid[i], &l->fd[i], err, errlen) != LM_OK)
                return LM_ERR;
        } else {
            own_client *o = &l->own[i];
            o->c = c;
            o->w = w;
            if (!(o->cl = bc_client_new(&c->pair, w->version, "x25519", err, errlen)))
                return LM_ERR;
            if (lm_thread_start(&o->thread, own_run, o) != 0) {
                o->thread = NULL;
                bc_client_free(o->cl);
                snprintf(err, errlen, "cannot start a load client thread");
                return LM_ERR;
            }
        }
        l->n++;
    }
    return LM_OK;
}

int bh_measure(const bh_clients *c, const bh_window *w, bh_result *r, char *err, size_t errlen)
{
    static load l; /* one measure at a time */
    uint64_t until = lm_now_ms() + BH_START_MS, t0, t1;
    long n0, n1, f0, f1;
    double s0, s1, c0, c1, mb0 = 0, mt0 = 0, mb1 = 0, mt1 = 0;
    int rc = LM_ERR, ready = 0, mstat;

    memset(r, 0, sizeof *r);
    if (load_start(&l, c, w, err, errlen) != LM_OK)
        goto out;
    /* Wait until every client has connected once (s_time's start-up and,
     * when resuming, its first full handshake are not in the window). */
    while (!ready && lm_now_ms() < until) {
        if (c->openssl)
            load_poll(&l, 20);
        else
            bench_sleep_ms(5);
        if (load_failed(&l, c, err, errlen))
            goto out;
        ready = 1;
        for (int i = 0; i < l.n; i++)
            ready &= c->openssl ? (!l.other[i] && l.done[i] > 0) : atomic_load(&l.own[i].count) > 0;
    }
    if (!ready) {
        lm_format(err, errlen, LM_M_BENCH_HS_NO_START, w->port);
        goto out;
    }
    t0 = lm_now_us();
    n0 = load_count(&l, c, &f0);
    s0 = bench_proc_cpu(w->server_pid);
    c0 = load_cpu(&l, c);
    mstat = bench_machine_ticks(&mb0, &mt0);
    do {
        if (c->openssl)
            load_poll(&l, 10);
        else
            bench_sleep_ms(10);
        if (load_failed(&l, c, err, errlen))
            goto out;
    } while ((double)(lm_now_us() - t0) < w->seconds * 1e6);
    n1 = load_count(&l, c, &f1);
    s1 = bench_proc_cpu(w->server_pid);
    c1 = load_cpu(&l, c);
    t1 = lm_now_us();
    if (mstat == LM_OK)
        mstat = bench_machine_ticks(&mb1, &mt1);
    r->count = n1 - n0;
    if (r->count <= 0) {
        lm_format(err, errlen, LM_M_BENCH_HS_NONE, w->port, w->seconds);
        goto out;
    }
    r->rate = (double)r->count / ((double)(t1 - t0) / 1e6);
    r->srv_ms = (s1 - s0) * 1e3 / (double)r->count;
    r->cli_ms = (c1 - c0) * 1e3 / (double)r->count;
    r->resumed_ok = !w->resume || f1 == f0;
    /* How full the cores were: all of them, and by the server and clients. */
    r->machine = mstat == LM_OK && mt1 > mt0 ? (mb1 - mb0) / (mt1 - mt0) : NAN;
    r->ours = (s1 - s0 + c1 - c0) / ((double)(t1 - t0) / 1e6) / bench_ncpu();
    rc = LM_OK;
out:
    load_stop(&l, c);
    return rc;
}

/* ==== openssl s_server, the peer ==== */

/* lanmsg's cipher names as OpenSSL spells the suites (ECDSA certificate). */
static void openssl_suites(const char *cipher, const char **tls12, const char **tls13)
{
    if (strcmp(cipher, "aes128") == 0) {
        *tls12 = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
        *tls13 = "TLS_AES_128_GCM_SHA256";
    } else if (strcmp(cipher, "aes256") == 0) {
        *tls12 = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
        *tls13 = "TLS_AES_256_GCM_SHA384";
    } else {
        *tls12 = "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
        *tls13 = "TLS_CHACHA20_POLY1305_SHA256";
    }
}

int bh_peer_start(const bh_clients *c, const bc_pair_opts *o, const char *dir, bh_peer *p,
                  char *err, size_t errlen)
{
    char page[700], out[512];
    const char *s12, *s13;
    uint64_t until = lm_now_ms() + BH_START_MS;
    size_t got = 0;
    FILE *f;
    int which;

    memset(p, 0, sizeof *p);
    p->fd = -1;
    snprintf(page, sizeof page, "%s%s", dir, BH_PAGE);
    if (!(f = fopen(page, "w")) || fputs("x", f) < 0 || fclose(f) != 0) {
        lm_format(err, errlen, LM_M_BENCH_CANNOT_WRITE, page, strerror(errno));
        return LM_ERR;
    }
    openssl_suites(o->cipher, &s12, &s13);
    {
        char *argv[] = {(char *)c->path,
                        "s_server",
                        "-accept",
                        "127.0.0.1:0",
                        "-cert",
                        (char *)o->crt,
                        "-key",
                        (char *)o->key,
                        "-WWW",
                        "-cipher",
                        (char *)s12,
                        "-ciphersuites",
                        (char *)s13,
                        "-groups",
                        "X25519",
                        "-num_tickets",
                        "1",
                        NULL};
        if (bench_spawn(argv, dir, 0, &p->pid, &p->fd, err, errlen) != LM_OK)
            return LM_ERR;
    }
    /* It says "ACCEPT 127.0.0.1:PORT" once it listens. */
    while (lm_now_ms() < until && got + 1 < sizeof out) {
        long n = bench_pipes_read(&p->fd, 1, 50, out + got, sizeof out - 1 - got, &which);
        const char *a;
        if (n < 0)
            break;
        got += (size_t)n;
        out[got] = '\0';
        if ((a = strstr(out, "ACCEPT ")) != NULL && strchr(a, '\n')) {
            const char *colon = strrchr(a, ':');
            snprintf(p->port, sizeof p->port, "%.*s", (int)strcspn(colon + 1, "\r\n"), colon + 1);
            return LM_OK;
        }
    }
    lm_format(err, errlen, LM_M_BENCH_SSERVER_FAILED, c->path);
    bh_peer_stop(p);
    return LM_ERR;
}

void bh_peer_stop(bh_peer *p)
{
    if (p->pid > 0)
        bench_spawn_stop(p->pid, p->fd);
    p->pid = 0;
    p->fd = -1;
}
