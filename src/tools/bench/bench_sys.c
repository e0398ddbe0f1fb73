/* lanmsg-bench: the operating-system bits, in one file.
 *
 * The rest of lanmsg reaches the OS only through src/platform. The benchmark
 * needs a few things that layer does not offer (and that only a benchmark
 * wants): a server in a child process, another process's CPU time and
 * resident memory, a private temporary directory. They live here, behind
 * the small interface in bench.h, so a Windows port has one file to redo.
 *
 * Why a child process for the server: its CPU time and memory are then
 * separate from the client's by construction, and /proc/<pid> reads them
 * without any cooperation from the server code. Other programs (openssl
 * s_time and s_server) are started here too, with a pipe on their output. */
#define _GNU_SOURCE
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ==== server child process ==== */

/* Runs in the child: build the server exactly as lanmsg-server would, tell
 * the parent the port through the pipe, serve until SIGTERM. */
static void server_child(int wfd, const lm_server_config *cfg, const lm_tls_options *tls)
{
    static volatile sig_atomic_t stop;
    lm_server_config c = *cfg;
    char err[512], port[16];
    int code;
    lm_server *srv;

    lm_log_set_level(LM_LOG_QUIET);
    if (tls) {
        c.tls = lm_tls_config_new(tls, err, sizeof err, &code);
        if (!c.tls) {
            dprintf(wfd, "E%s\n", err);
            _exit(1);
        }
    }
    srv = lm_server_new(&c, err, sizeof err, NULL);
    if (!srv) {
        dprintf(wfd, "E%s\n", err);
        _exit(1);
    }
    lm_signals_install(&stop, NULL);
    snprintf(port, sizeof port, "%d", lm_server_port(srv));
    dprintf(wfd, "P%s\n", port);
    close(wfd);
    lm_server_run(srv, &stop, NULL, err, sizeof err);
    lm_server_free(srv);
    lm_tls_config_free(c.tls);
    _exit(0);
}

int bench_server_start(bench_server *s, const lm_server_config *cfg, const lm_tls_options *tls,
                       char *err, size_t errlen)
{
    int fds[2];
    char buf[600];
    ssize_t n, got = 0;
    pid_t pid;

    memset(s, 0, sizeof *s);
    fflush(NULL);
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "cannot start the benchmark server: pipe: %s", strerror(errno));
        return LM_ERR;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start the benchmark server: fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return LM_ERR;
    }
    if (pid == 0) {
        close(fds[0]);
        server_child(fds[1], cfg, tls);
    }
    close(fds[1]);
    while (got < (ssize_t)sizeof buf - 1 && (n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += n;
    close(fds[0]);
    buf[got > 0 ? got : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (buf[0] != 'P') {
        snprintf(err, errlen, "the benchmark server did not start: %s",
                 buf[0] == 'E' ? buf + 1 : "it exited without a word");
        waitpid(pid, NULL, 0);
        return LM_ERR;
    }
    s->pid = (long)pid;
    snprintf(s->port, sizeof s->port, "%.15s", buf + 1);
    return LM_OK;
}

void bench_server_stop(bench_server *s)
{
    if (s->pid > 0) {
        kill((pid_t)s->pid, SIGTERM);
        waitpid((pid_t)s->pid, NULL, 0);
    }
    s->pid = 0;
}

/* ==== CPU time and memory ==== */

/* Sum of the first field of /proc/<pid>/task/<tid>/schedstat (nanoseconds on
 * the CPU) over every thread; -1 when the kernel lacks schedstat. */
static double schedstat_seconds(long pid)
{
    char path[96];
    DIR *d;
    struct dirent *e;
    double total = 0;
    int any = 0;

    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    d = opendir(path);
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        char p2[320];
        unsigned long long ns;
        FILE *f;
        if (e->d_name[0] == '.')
            continue;
        snprintf(p2, sizeof p2, "/proc/%ld/task/%s/schedstat", pid, e->d_name);
        f = fopen(p2, "r");
        if (!f)
            continue;
        if (fscanf(f, "%llu", &ns) == 1) {
            total += (double)ns / 1e9;
            any = 1;
        }
        fclose(f);
    }
    closedir(d);
    return any ? total : -1;
}

/* utime + stime from /proc/<pid>/stat, in clock ticks (coarse fallback). */
static double stat_seconds(long pid)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, st = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double bench_proc_cpu(long pid)
{
    double s;
    if (pid == 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6;
    }
    s = schedstat_seconds(pid);
    return s >= 0 ? s : stat_seconds(pid);
}

double bench_thread_cpu(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return bench_proc_cpu(0);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_proc_rss(long pid)
{
    char path[64], line[256];
    double kb = -1;
    FILE *f;

    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/status");
    else
        snprintf(path, sizeof path, "/proc/%ld/status", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %lf", &kb) == 1)
            break;
    fclose(f);
    return kb < 0 ? -1 : kb * 1024.0;
}

/* ==== files and the machine ==== */

int bench_tempdir(char *out, size_t len)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, len, "%s/lanmsg-bench-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(out) ? LM_OK : LM_ERR;
}

void bench_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d) {
        while ((e = readdir(d)) != NULL) {
            char p[1024];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

void bench_exe_dir(const char *argv0, char *out, size_t len)
{
    char buf[1024];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    char *slash;
    if (n > 0)
        buf[n] = '\0';
    else
        snprintf(buf, sizeof buf, "%s", argv0);
    slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(buf, sizeof buf, ".");
    snprintf(out, len, "%s", buf);
}

void bench_machine(char *out, size_t len)
{
    char model[160] = "unknown CPU", line[256];
    struct utsname u;
    FILE *f = fopen("/proc/cpuinfo", "r");

    if (f) {
        while (fgets(line, sizeof line, f)) {
            char *c = strchr(line, ':');
            if (strncmp(line, "model name", 10) == 0 && c) {
                snprintf(model, sizeof model, "%s", c + 2);
                model[strcspn(model, "\n")] = '\0';
                break;
            }
        }
        fclose(f);
    }
    if (uname(&u) != 0)
        memset(&u, 0, sizeof u);
    snprintf(out, len, "%s, %ld CPU(s) online, %s %s %s", model, sysconf(_SC_NPROCESSORS_ONLN),
             u.sysname, u.release, u.machine);
}

void bench_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void bench_fd_limit(long want)
{
    lm_raise_fd_limit(want);
}

int bench_machine_ticks(double *busy, double *total)
{
    unsigned long long v[10] = {0};
    FILE *f = fopen("/proc/stat", "r");
    int n;
    if (!f)
        return LM_ERR;
    /* cpu user nice system idle iowait irq softirq steal guest guest_nice */
    n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 4)
        return LM_ERR;
    *total = (double)(v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7]);
    *busy = *total - (double)(v[3] + v[4]);
    return LM_OK;
}

int bench_ncpu(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int bench_wait2(lm_sock a, lm_sock b, int ms)
{
    struct pollfd pf[2] = {{(int)a, POLLIN, 0}, {(int)b, POLLIN, 0}};
    return poll(pf, 2, ms) > 0;
}

void bench_sock_timeout(lm_sock s, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt((int)s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt((int)s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* ==== other programs ==== */

int bench_find_program(const char *name, char *path, size_t len)
{
    const char *p = getenv("PATH");
    char dirs[4096];
    if (!p || !*p)
        p = "/usr/local/bin:/usr/bin:/bin";
    snprintf(dirs, sizeof dirs, "%s", p);
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        struct stat st;
        snprintf(path, len, "%s/%s", *d ? d : ".", name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
            return 1;
    }
    path[0] = '\0';
    return 0;
}

int bench_spawn(char *const argv[], const char *dir, int err_too, long *pid, int *out_fd, char *err,
                size_t errlen)
{
    int fds[2];
    pid_t child;

    fflush(NULL);
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "cannot start %s: pipe: %s", argv[0], strerror(errno));
        return LM_ERR;
    }
    child = fork();
    if (child < 0) {
        snprintf(err, errlen, "cannot start %s: fork: %s", argv[0], strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return LM_ERR;
    }
    if (child == 0) {
        int devnull = open("/dev/null", O_RDWR);
        close(fds[0]);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(err_too ? fds[1] : devnull, 2);
        }
        dup2(fds[1], 1);
        if (dir && chdir(dir) != 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    *pid = (long)child;
    *out_fd = fds[0];
    return LM_OK;
}

long bench_pipes_read(int *fds, int n, int timeout_ms, char *buf, size_t len, int *which)
{
    struct pollfd pf[16];
    int open = 0;

    if (n > 16)
        n = 16;
    for (int i = 0; i < n; i++) {
        pf[i].fd = fds[i]; /* poll skips negative descriptors */
        pf[i].events = POLLIN;
        pf[i].revents = 0;
        open += fds[i] >= 0;
    }
    if (!open)
        return -1;
    if (poll(pf, (nfds_t)n, timeout_ms) <= 0)
        return 0;
    for (int i = 0; i < n; i++) {
        ssize_t got;
        if (fds[i] < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        got = read(fds[i], buf, len);
        if (got > 0) {
            *which = i;
            return (long)got;
        }
        if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
    return 0;
}

void bench_spawn_stop(long pid, int fd)
{
    if (pid > 0) {
        kill((pid_t)pid, SIGTERM);
        for (int i = 0; i < 200; i++) { /* two seconds, then no more asking */
            if (waitpid((pid_t)pid, NULL, WNOHANG) != 0)
                break;
            if (i == 199) {
                kill((pid_t)pid, SIGKILL);
                waitpid((pid_t)pid, NULL, 0);
            }
            bench_sleep_ms(10);
        }
    }
    if (fd >= 0)
        close(fd);
}
