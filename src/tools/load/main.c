/* lanmsg-load: what the server holds and how fast chat fans out.
 *
 * Not a test: it prints figures and asserts nothing. It starts the real
 * lanmsg-server (a child process on 127.0.0.1, so what is measured is the
 * program people run) and drives it from this one process with non-blocking
 * sockets and the same transports the client uses:
 *
 *  1. N plain clients connect, each sends one line and gets its answer, and
 *     all of them stay connected, idle. The server's VmRSS (from
 *     /proc/<pid>/status) before and after, divided by N, is the memory per
 *     idle connection.
 *  2. The same with N mutual-TLS clients. The same measurement taken in this
 *     process, over its own N client-side TLS sessions, is the baseline for
 *     "mbedTLS's own per-session footprint" (both sides hold one session
 *     with two 16 KiB record buffers and the peer's certificate).
 *  3. Chat fan-out: N chat clients in one room, some of them talking with a
 *     bounded window (so no one becomes a slow consumer), for S seconds;
 *     messages delivered per second, counted at the receivers, over plain
 *     TCP and over TLS.
 *
 * Linux only (/proc, fork/exec): a measuring tool, built where it can run. */
#define _POSIX_C_SOURCE 200809L /* fork, kill, mkdtemp, setenv */
#define _DEFAULT_SOURCE         /* usleep */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lanmsg/net.h"
#include "platform/os.h"
#include "platform/poller.h"
#include "lanmsg/server.h"
#include "util/text.h"
#include "lanmsg/tls.h"
#include "lanmsg/transport.h"

#define HOST         "127.0.0.1"
#define HELLO        "hello\n"
#define WARMUP       16  /* connections made before the "before" reading */
#define PHASE_MAX_S  180 /* a hold phase gives up after this long */
#define WINDOW       32  /* fan-out: messages a talker may have in flight */
#define TLS_INFLIGHT 64  /* TLS handshakes under way at once */

typedef struct load_opts {
    int plain, tls, fanout, seconds, resume;
    char bin[1024];
} load_opts;

/* ======================================================================
 * The server, as a child process
 * ==================================================================== */

typedef struct child {
    pid_t pid;
    int out; /* its stdout, drained by a thread so it never blocks */
    int port;
    pthread_t drain;
} child;

static void fail(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lm_warn(LM_M_LOAD_STEP_FAILED, msg);
    exit(LM_EXIT_RUNTIME);
}

static void *drain_thread(void *arg)
{
    child *ch = arg;
    char buf[65536];
    while (read(ch->out, buf, sizeof buf) > 0)
        ;
    return NULL;
}

/* Start a program with stdout piped to us (and stderr passed through). */
static pid_t spawn(char *const argv[], int *out)
{
    int p[2];
    pid_t pid;
    if (pipe(p) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        setenv("LC_ALL", "C", 1); /* we read its "listening on" line */
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    *out = p[0];
    return pid;
}

static void start_server(child *ch, const load_opts *o, const char *const *args)
{
    char path[1100], line[512];
    char *argv[32];
    size_t n = 0, used = 0;
    int i;

    snprintf(path, sizeof path, "%s/lanmsg-server", o->bin);
    argv[n++] = path;
    for (i = 0; args[i] && n < 31; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    ch->pid = spawn(argv, &ch->out);
    if (ch->pid < 0)
        fail("cannot start %s: %s", path, strerror(errno));
    /* Read until the "listening on HOST:PORT" line. */
    ch->port = 0;
    while (used < sizeof line - 1) {
        ssize_t r = read(ch->out, line + used, 1);
        if (r <= 0)
            break;
        if (line[used] == '\n') {
            const char *p;
            line[used] = '\0';
            p = strstr(line, "listening on " HOST ":");
            if (p) {
                ch->port = atoi(p + strlen("listening on " HOST ":"));
                break;
            }
            used = 0;
            continue;
        }
        used++;
    }
    if (!ch->port)
        fail("%s did not start (see its error above)", path);
    pthread_create(&ch->drain, NULL, drain_thread, ch);
}

static void stop_server(child *ch)
{
    int st;
    kill(ch->pid, SIGTERM);
    waitpid(ch->pid, &st, 0);
    pthread_join(ch->drain, NULL);
    close(ch->out);
}

/* Resident memory of a process in bytes, from /proc/<pid>/status. */
static long vm_rss(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

static int run_wait(char *const argv[])
{
    int out, st;
    pid_t pid = spawn(argv, &out);
    char buf[4096];
    if (pid < 0)
        return -1;
    while (read(out, buf, sizeof buf) > 0)
        ;
    close(out);
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ======================================================================
 * Client connections, all in this process
 * ==================================================================== */

enum { C_CONNECT, C_HANDSHAKE, C_SEND, C_REPLY, C_IDLE, C_CHAT, C_FAILED };

typedef struct lconn {
    lm_sock s;
    lm_transport *tp;
    int state, reg;
    int cfg; /* TLS: index of the client configuration it borrowed, or -1 */
    size_t sent;
    /* fan-out */
    int at_start; /* the next byte starts a line */
    int talker;   /* index among talkers, or -1 */
    unsigned long seq;
    char out[96];
    size_t out_len, out_off;
    char line[128]; /* the probe's current line */
    size_t line_len;
} lconn;

/* Full handshakes on demand: a TLS client configuration offers its last
 * session again only to the same host name, so each handshake under way
 * borrows a configuration of its own and alternates between two names the
 * server certificate holds (127.0.0.1 and localhost). With --resume, one
 * configuration is shared and sessions are resumed, as lanmsg-client
 * --repeat does. */
typedef struct tls_set {
    lm_tls_config *cfg[TLS_INFLIGHT];
    int busy[TLS_INFLIGHT];
    unsigned uses[TLS_INFLIGHT];
} tls_set;

typedef struct pool {
    lm_poller *p;
    lm_tls_config *tls; /* NULL: plain TCP */
    tls_set *set;       /* when not NULL: one configuration per handshake */
    char peer[LM_ADDR_MAX];
    char port_text[16];
    int port;
    lconn *c;
    int n, started, busy, idle, failed;
    char first_err[256];
    /* fan-out */
    unsigned long delivered;
    unsigned long seen[256]; /* per talker, highest seq the probe saw */
    int counting;
} pool;

static void want(pool *pl, lconn *c, int ev)
{
    if (ev == c->reg)
        return;
    if (ev == 0)
        lm_poller_del(pl->p, c->s);
    else if (c->reg == 0)
        lm_poller_add(pl->p, c->s, ev, c);
    else
        lm_poller_mod(pl->p, c->s, ev, c);
    c->reg = ev;
}

static void release_cfg(pool *pl, lconn *c)
{
    if (pl->set && c->cfg >= 0)
        pl->set->busy[c->cfg] = 0;
    c->cfg = -1;
}

static void conn_failed(pool *pl, lconn *c, const char *why)
{
    release_cfg(pl, c);
    if (!pl->first_err[0])
        snprintf(pl->first_err, sizeof pl->first_err, "%s", why);
    want(pl, c, 0);
    lm_tp_destroy(c->tp);
    lm_net_close(c->s);
    c->tp = NULL;
    c->state = C_FAILED;
    pl->failed++;
    pl->busy--;
}

static int ev_for(long rc)
{
    return rc == LM_WANT_WRITE ? LM_EV_WRITE : LM_EV_READ;
}

/* Move one hold-phase connection as far as it can go without waiting. */
static void step(pool *pl, lconn *c)
{
    char err[160], buf[256];
    for (;;) {
        switch (c->state) {
        case C_CONNECT:
            if (lm_net_connect_result(c->s, err, sizeof err) != LM_OK) {
                conn_failed(pl, c, err);
                return;
            }
            if (pl->set) {
                int k = 0;
                while (pl->set->busy[k])
                    k++; /* there is one: handshakes under way <= set size */
                pl->set->busy[k] = 1;
                c->cfg = k;
                c->tp = lm_tls_new(pl->set->cfg[k], c->s, pl->peer,
                                   pl->set->uses[k]++ % 2 ? "localhost" : HOST, err, sizeof err);
            } else if (pl->tls) {
                c->tp = lm_tls_new(pl->tls, c->s, pl->peer, HOST, err, sizeof err);
            } else {
                c->tp = lm_plain_new(c->s, pl->peer);
            }
            if (!c->tp) {
                conn_failed(pl, c, err);
                return;
            }
            c->state = pl->tls || pl->set ? C_HANDSHAKE : C_SEND;
            break;
        case C_HANDSHAKE: {
            int rc = lm_tp_handshake(c->tp);
            if (rc == LM_WANT_READ || rc == LM_WANT_WRITE) {
                want(pl, c, ev_for(rc));
                return;
            }
            if (rc != LM_OK) {
                conn_failed(pl, c, c->tp->err);
                return;
            }
            release_cfg(pl, c);
            c->state = C_SEND;
            break;
        }
        case C_SEND: {
            long n = lm_tp_write(c->tp, &HELLO[c->sent], sizeof HELLO - 1 - c->sent);
            if (n == LM_WANT_READ || n == LM_WANT_WRITE) {
                want(pl, c, ev_for(n));
                return;
            }
            if (n <= 0) {
                conn_failed(pl, c, c->tp->err);
                return;
            }
            c->sent += (size_t)n;
            if (c->sent == sizeof HELLO - 1)
                c->state = pl->counting ? C_CHAT : C_REPLY;
            break;
        }
        case C_REPLY: {
            long n = lm_tp_read(c->tp, buf, sizeof buf);
            if (n == LM_WANT_READ || n == LM_WANT_WRITE) {
                want(pl, c, ev_for(n));
                return;
            }
            if (n <= 0) {
                conn_failed(pl, c, n == 0 ? "server closed the connection" : c->tp->err);
                return;
            }
            if (memchr(buf, '\n', (size_t)n)) {
                c->state = C_IDLE;
                want(pl, c, 0);
                pl->busy--;
                pl->idle++;
                return;
            }
            break;
        }
        default:
            return;
        }
    }
}

static void start_one(pool *pl)
{
    char err[160];
    lconn *c = &pl->c[pl->started++];
    memset(c, 0, sizeof *c);
    c->cfg = -1;
    c->talker = -1;
    c->at_start = 1;
    pl->busy++;
    if (lm_net_connect_start(HOST, pl->port_text, &c->s, err, sizeof err) != LM_OK) {
        c->tp = NULL;
        c->s = LM_SOCK_INVALID;
        conn_failed(pl, c, err);
        return;
    }
    c->state = C_CONNECT;
    want(pl, c, LM_EV_WRITE);
}

/* Connect `count` more clients (each answered once), at most `inflight`
 * at a time. Returns the seconds it took. */
static double hold(pool *pl, int count, int inflight)
{
    uint64_t t0 = lm_now_us(), limit = lm_now_ms() + PHASE_MAX_S * 1000u;
    int target = pl->started + count;
    lm_event evs[256];

    while ((pl->started < target || pl->busy > 0) && lm_now_ms() < limit) {
        int i, n;
        while (pl->started < target && pl->busy < inflight)
            start_one(pl);
        n = lm_poller_wait(pl->p, evs, 256, 100, NULL, 0);
        for (i = 0; i < n; i++)
            step(pl, evs[i].udata);
    }
    return (double)(lm_now_us() - t0) / 1e6;
}

static void close_all(pool *pl, int close_notify)
{
    int i;
    for (i = 0; i < pl->started; i++) {
        lconn *c = &pl->c[i];
        if (c->state == C_FAILED)
            continue;
        want(pl, c, 0);
        if (c->tp && close_notify)
            lm_tp_shutdown(c->tp);
        lm_tp_destroy(c->tp);
        lm_net_close(c->s);
    }
    pl->started = pl->busy = pl->idle = 0;
}

static void pool_init(pool *pl, int n, int port, lm_tls_config *tls)
{
    memset(pl, 0, sizeof *pl);
    pl->p = lm_poller_new();
    pl->c = calloc((size_t)n, sizeof *pl->c);
    pl->n = n;
    pl->tls = tls;
    pl->port = port;
    snprintf(pl->port_text, sizeof pl->port_text, "%d", port);
    snprintf(pl->peer, sizeof pl->peer, "%s:%d", HOST, port);
    if (!pl->p || !pl->c)
        fail("out of memory");
}

static void pool_free(pool *pl)
{
    lm_poller_free(pl->p);
    free(pl->c);
}

/* ======================================================================
 * Fan-out
 * ==================================================================== */

/* Count messages ("<name> ...") at line starts; the probe (client 0) also
 * parses "m <talker> <seq>" to pace the talkers. */
static void chat_read(pool *pl, lconn *c, int probe)
{
    char buf[16384];
    for (;;) {
        long n = lm_tp_read(c->tp, buf, sizeof buf), i;
        if (n == LM_WANT_READ || n == LM_WANT_WRITE)
            return;
        if (n <= 0) {
            conn_failed(pl, c, n == 0 ? "server closed a chat connection" : c->tp->err);
            return;
        }
        for (i = 0; i < n; i++) {
            if (c->at_start && buf[i] == '<' && pl->counting)
                pl->delivered++;
            c->at_start = buf[i] == '\n';
            if (!probe)
                continue;
            if (buf[i] != '\n') {
                if (c->line_len < sizeof c->line - 1)
                    c->line[c->line_len++] = buf[i];
                continue;
            }
            c->line[c->line_len] = '\0';
            c->line_len = 0;
            {
                const char *m = strstr(c->line, "> m ");
                int t;
                unsigned long s;
                if (m && sscanf(m + 4, "%d %lu", &t, &s) == 2 && t >= 0 && t < 256 &&
                    s > pl->seen[t])
                    pl->seen[t] = s;
            }
        }
    }
}

static void chat_write(pool *pl, lconn *c)
{
    for (;;) {
        long n;
        if (c->out_off == c->out_len) {
            if (c->seq - pl->seen[c->talker] >= WINDOW)
                break;
            c->seq++;
            c->out_len =
                (size_t)snprintf(c->out, sizeof c->out, "m %d %lu fan-out\n", c->talker, c->seq);
            c->out_off = 0;
        }
        n = lm_tp_write(c->tp, c->out + c->out_off, c->out_len - c->out_off);
        if (n == LM_WANT_READ || n == LM_WANT_WRITE) {
            want(pl, c, LM_EV_READ | LM_EV_WRITE);
            return;
        }
        if (n <= 0) {
            conn_failed(pl, c, c->tp->err);
            return;
        }
        c->out_off += (size_t)n;
    }
    want(pl, c, LM_EV_READ);
}

/* N chat clients (a tenth of them talking, at least one); returns
 * messages delivered per second over `seconds`. */
static double fanout(const load_opts *o, lm_tls_config *tls, const char *const *args, int n)
{
    child srv;
    pool pl;
    lm_event evs[256];
    int i, talkers = n / 10 > 0 ? n / 10 : 1;
    uint64_t t0, end, settle;
    double rate;

    if (talkers > 255)
        talkers = 255;
    start_server(&srv, o, args);
    pool_init(&pl, n, srv.port, tls);
    pl.counting = 0;
    /* Connect: the hold machinery with no reply to wait for. */
    for (i = 0; i < n; i++) {
        start_one(&pl);
        pl.c[i].state = C_CONNECT;
    }
    pl.counting = 1; /* C_SEND ends in C_CHAT */
    end = lm_now_ms() + 60000;
    while (pl.busy > 0 && lm_now_ms() < end) {
        int k = lm_poller_wait(pl.p, evs, 256, 100, NULL, 0);
        for (i = 0; i < k; i++) {
            lconn *c = evs[i].udata;
            int was = c->state;
            step(&pl, c);
            if (was != C_CHAT && c->state == C_CHAT) {
                pl.busy--;
                want(&pl, c, LM_EV_READ);
            }
        }
    }
    if (pl.busy > 0 || pl.failed)
        fail("fan-out: %d chat client(s) could not join: %s", pl.busy + pl.failed,
             pl.first_err[0] ? pl.first_err : "timed out");
    pl.counting = 0;
    /* Let the join notices settle, then count. */
    settle = lm_now_ms() + 500;
    while (lm_now_ms() < settle) {
        int k = lm_poller_wait(pl.p, evs, 256, 50, NULL, 0);
        for (i = 0; i < k; i++)
            if (((lconn *)evs[i].udata)->state == C_CHAT)
                chat_read(&pl, evs[i].udata, evs[i].udata == &pl.c[0]);
    }
    for (i = 1; i <= talkers && i < n; i++)
        pl.c[i].talker = i - 1;
    pl.counting = 1;
    pl.delivered = 0;
    t0 = lm_now_us();
    end = lm_now_ms() + (uint64_t)o->seconds * 1000u;
    while (lm_now_ms() < end && pl.failed == 0) {
        int k;
        for (i = 1; i <= talkers && i < n; i++)
            if (pl.c[i].state == C_CHAT)
                chat_write(&pl, &pl.c[i]);
        k = lm_poller_wait(pl.p, evs, 256, 10, NULL, 0);
        for (i = 0; i < k; i++) {
            lconn *c = evs[i].udata;
            if (c->state != C_CHAT)
                continue;
            if (evs[i].events & (LM_EV_READ | LM_EV_ERROR))
                chat_read(&pl, c, c == &pl.c[0]);
            if (c->state == C_CHAT && c->talker >= 0 && evs[i].events & LM_EV_WRITE)
                chat_write(&pl, c);
        }
    }
    rate = (double)pl.delivered / ((double)(lm_now_us() - t0) / 1e6);
    if (pl.failed)
        fail("fan-out: %d chat client(s) failed: %s", pl.failed, pl.first_err);
    close_all(&pl, 1);
    pool_free(&pl);
    stop_server(&srv);
    return rate;
}

/* ======================================================================
 * Main
 * ==================================================================== */

static int parse(load_opts *o, int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(lm_tr(LM_M_LOAD_USAGE), stdout);
            return LM_EXIT_OK;
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("lanmsg-load %s (%s)\n", LANMSG_VERSION, lm_tls_library());
            return LM_EXIT_OK;
        } else if (strcmp(a, "--resume") == 0) {
            o->resume = 1;
        } else if (strcmp(a, "--quick") == 0) {
            o->plain = 200;
            o->tls = 50;
            o->fanout = 20;
            o->seconds = 1;
        } else if (v && strcmp(a, "--plain") == 0 && (o->plain = atoi(v)) > 0) {
            i++;
        } else if (v && strcmp(a, "--tls") == 0 && (o->tls = atoi(v)) > 0) {
            i++;
        } else if (v && strcmp(a, "--fanout") == 0 && (o->fanout = atoi(v)) > 1) {
            i++;
        } else if (v && strcmp(a, "--seconds") == 0 && (o->seconds = atoi(v)) > 0) {
            i++;
        } else if (v && strcmp(a, "--bin") == 0) {
            snprintf(o->bin, sizeof o->bin, "%s", v);
            i++;
        } else {
            lm_warn(LM_M_LOAD_BAD_OPTION, a);
            return LM_EXIT_USAGE;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    load_opts o = {10000, 5000, 100, 3, 0, ""};
    char dir[] = "/tmp/lanmsg-load-XXXXXX", err[512], ca[1200], crt[1200], key[1200], scrt[1200],
         skey[1200], certgen[1100];
    lm_tls_options to;
    lm_tls_config *tls, *tls_anon;
    lm_tls_stats stats, st1;
    tls_set set;
    int i;
    pool pl;
    child srv;
    long fdlim, before, after, self_before, self_after;
    double secs, plain_per, tls_per, base_per;
    int rc, code, need;

    lm_log_set_program("lanmsg-load");
    lm_lang_init(NULL);
    rc = parse(&o, argc, argv);
    if (rc >= 0)
        return rc;
    if (!o.bin[0]) {
        const char *slash = strrchr(argv[0], '/');
        if (slash)
            snprintf(o.bin, sizeof o.bin, "%.*s", (int)(slash - argv[0]), argv[0]);
        else
            snprintf(o.bin, sizeof o.bin, ".");
    }
    if (lm_net_init(err, sizeof err) != LM_OK)
        fail("%s", err);
    lm_signals_install(NULL, NULL);
    need = (o.plain > o.tls ? o.plain : o.tls) + WARMUP + 256;
    fdlim = lm_raise_fd_limit(need);
    if (fdlim < need)
        fail("open-files limit is %ld, %d are needed (raise the hard limit: ulimit -Hn)", fdlim,
             need);

    /* Certificates for this run only. */
    if (!mkdtemp(dir))
        fail("cannot make a temporary directory: %s", strerror(errno));
    snprintf(certgen, sizeof certgen, "%s/lanmsg-certgen", o.bin);
    {
        char *cg[] = {certgen, "--out", dir, "--client", "load", NULL};
        if (run_wait(cg) != 0)
            fail("%s failed (is it built?)", certgen);
    }
    snprintf(ca, sizeof ca, "%s/ca.crt", dir);
    snprintf(crt, sizeof crt, "%s/load.crt", dir);
    snprintf(key, sizeof key, "%s/load.key", dir);
    snprintf(scrt, sizeof scrt, "%s/server.crt", dir);
    snprintf(skey, sizeof skey, "%s/server.key", dir);
    memset(&to, 0, sizeof to);
    to.ca_file = ca;
    to.cert_file = crt;
    to.key_file = key;
    tls = lm_tls_config_new(&to, err, sizeof err, &code);
    memset(&set, 0, sizeof set);
    for (i = 0; tls && !o.resume && i < TLS_INFLIGHT; i++)
        if (!(set.cfg[i] = lm_tls_config_new(&to, err, sizeof err, &code)))
            fail("%s", err);
    to.cert_file = to.key_file = NULL;
    tls_anon = lm_tls_config_new(&to, err, sizeof err, &code);
    if (!tls || !tls_anon)
        fail("%s", err);

    lm_info(LM_M_LOAD_HEADER, o.bin, lm_tls_library(), fdlim);

    /* ---- 1. plain clients held at once ---- */
    {
        char maxc[32];
        const char *args[] = {"--host", HOST, "--port", "0", "--max-clients", maxc, NULL};
        snprintf(maxc, sizeof maxc, "%d", o.plain + WARMUP + 16);
        start_server(&srv, &o, args);
        pool_init(&pl, o.plain + WARMUP, srv.port, NULL);
        hold(&pl, WARMUP, WARMUP);
        usleep(200000);
        before = vm_rss(srv.pid);
        secs = hold(&pl, o.plain, 256);
        usleep(500000);
        after = vm_rss(srv.pid);
        plain_per = (double)(after - before) / o.plain;
        lm_info(LM_M_LOAD_HELD, lm_tr(LM_M_WORD_PLAIN), pl.idle - WARMUP, o.plain, secs, pl.failed);
        if (pl.failed)
            lm_warn(LM_M_LOAD_FIRST_ERROR, pl.first_err);
        lm_info(LM_M_LOAD_MEM_PLAIN, plain_per, before / 1024, after / 1024);
        close_all(&pl, 0);
        pool_free(&pl);
        stop_server(&srv);
    }

    /* ---- 2. mutual-TLS clients held at once ---- */
    {
        char maxc[32];
        const char *args[] = {"--host",
                              HOST,
                              "--port",
                              "0",
                              "--tls",
                              "--require-client-cert",
                              "--cert",
                              scrt,
                              "--key",
                              skey,
                              "--ca",
                              ca,
                              "--handshake-timeout",
                              "120",
                              "--max-clients",
                              maxc,
                              NULL};
        snprintf(maxc, sizeof maxc, "%d", o.tls + WARMUP + 16);
        start_server(&srv, &o, args);
        pool_init(&pl, o.tls + WARMUP, srv.port, o.resume ? tls : NULL);
        pl.set = o.resume ? NULL : &set;
        hold(&pl, WARMUP, WARMUP);
        usleep(200000);
        before = vm_rss(srv.pid);
        self_before = vm_rss(getpid());
        secs = hold(&pl, o.tls, TLS_INFLIGHT);
        usleep(500000);
        after = vm_rss(srv.pid);
        self_after = vm_rss(getpid());
        tls_per = (double)(after - before) / o.tls;
        base_per = (double)(self_after - self_before) / o.tls;
        lm_tls_get_stats(tls, &stats);
        for (i = 0; !o.resume && i < TLS_INFLIGHT; i++) {
            lm_tls_get_stats(set.cfg[i], &st1);
            stats.handshakes += st1.handshakes;
            stats.resumed += st1.resumed;
        }
        lm_info(LM_M_LOAD_HELD, lm_tr(LM_M_LOAD_WORD_MTLS), pl.idle - WARMUP, o.tls, secs,
                pl.failed);
        if (pl.failed)
            lm_warn(LM_M_LOAD_FIRST_ERROR, pl.first_err);
        lm_info(LM_M_LOAD_HANDSHAKES, stats.handshakes - stats.resumed, stats.resumed);
        lm_info(LM_M_LOAD_MEM_TLS, tls_per, before / 1024, after / 1024);
        lm_info(LM_M_LOAD_MEM_BASE, base_per, tls_per / base_per);
        close_all(&pl, 1);
        pool_free(&pl);
        stop_server(&srv);
    }

    /* ---- 3. chat fan-out (one-way TLS: every load client would share one
     * certificate name, and chat counts the sessions of one name as one
     * user, which would not be a room of N users) ---- */
    {
        {
            const char *pa[] = {"--host", HOST, "--port", "0", "--service", "chat", NULL};
            double r = fanout(&o, NULL, pa, o.fanout);
            lm_info(LM_M_LOAD_FANOUT, lm_tr(LM_M_WORD_PLAIN), o.fanout, r);
        }
        {
            const char *ta[] = {"--host", HOST, "--port", "0",  "--service", "chat", "--tls",
                                "--cert", scrt, "--key",  skey, "--ca",      ca,     NULL};
            double r = fanout(&o, tls_anon, ta, o.fanout);
            lm_info(LM_M_LOAD_FANOUT, lm_tr(LM_M_WORD_TLS), o.fanout, r);
        }
    }

    lm_tls_config_free(tls);
    lm_tls_config_free(tls_anon);
    for (i = 0; i < TLS_INFLIGHT; i++)
        lm_tls_config_free(set.cfg[i]);
    {
        char *rm[] = {"/bin/rm", "-rf", dir, NULL};
        run_wait(rm);
    }
    lm_net_cleanup();
    return LM_EXIT_OK;
}
