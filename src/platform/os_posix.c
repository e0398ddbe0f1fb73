/* lanmsg platform layer for POSIX systems: clocks, signals, files, names
 * and threads (platform/os.h). Sockets are in net_posix.c. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "platform/os.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void set_err(char *err, size_t errlen, const char *what, int code)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", what, strerror(code));
}

const char *lm_os_strerror(int code)
{
    return strerror(code);
}

/* ======================================================================
 * Clocks
 * ==================================================================== */

uint64_t lm_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t lm_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t lm_now_ms(void)
{
    return lm_now_us() / 1000u;
}

void lm_wall_clock(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/* ======================================================================
 * Process-level bits
 * ==================================================================== */

static volatile sig_atomic_t *g_stop, *g_reload;

static void on_signal(int sig)
{
    if (sig == SIGHUP) {
        if (g_reload)
            *g_reload = 1;
    } else if (g_stop) {
        *g_stop = 1;
    }
}

void lm_signals_install(volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    g_stop = stop;
    g_reload = reload;
    /* No SA_RESTART: a blocked poll or read must return so the flag is seen. */
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (stop) {
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    if (reload)
        sigaction(SIGHUP, &sa, NULL);
}

long lm_raise_fd_limit(long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if ((rlim_t)want > rl.rlim_cur) {
        rlim_t target = (rlim_t)want;
        if (rl.rlim_max != RLIM_INFINITY && target > rl.rlim_max)
            target = rl.rlim_max;
        rl.rlim_cur = target;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return (long)rl.rlim_cur;
}

int lm_stdin_is_tty(void)
{
    return isatty(STDIN_FILENO);
}

/* From the controlling terminal itself (/dev/tty), so that stdin may be a
 * pipe of messages; echo is off while the line is typed. */
int lm_read_secret(const char *prompt, char *buf, size_t len)
{
    struct termios old, quiet;
    FILE *tty = fopen("/dev/tty", "r+");
    int ok, echo_off;
    if (!tty || len == 0) {
        if (tty)
            fclose(tty);
        return -1;
    }
    /* Echo off before the prompt shows: a quick typist (or a program
     * answering the prompt) must not see the secret echoed. */
    echo_off = tcgetattr(fileno(tty), &old) == 0;
    if (echo_off) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(tty), TCSANOW, &quiet);
    }
    fputs(prompt, stderr);
    fflush(stderr);
    ok = fgets(buf, (int)len, tty) != NULL;
    if (echo_off)
        tcsetattr(fileno(tty), TCSANOW, &old);
    fputc('\n', stderr);
    fclose(tty);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

int lm_read_tty_line(const char *prompt, char *buf, size_t len)
{
    FILE *tty = fopen("/dev/tty", "r+");
    int ok;
    if (!tty || len == 0) {
        if (tty)
            fclose(tty);
        return -1;
    }
    fputs(prompt, stderr);
    fflush(stderr);
    ok = fgets(buf, (int)len, tty) != NULL;
    fclose(tty);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

int lm_stderr_is_tty(void)
{
    return isatty(STDERR_FILENO);
}

int lm_file_mode(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        set_err(err, errlen, path, errno);
        return -1;
    }
    return (int)(st.st_mode & 07777);
}

/* ======================================================================
 * Names and files for tools
 * ==================================================================== */

int lm_host_name(char *buf, size_t len)
{
    if (len == 0 || gethostname(buf, len - 1) != 0)
        return -1;
    buf[len - 1] = '\0';
    return 0;
}

int lm_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int lm_make_dir(const char *path, int mode)
{
    return mkdir(path, (mode_t)mode);
}

/* O_EXCL then fchmod, so the mode is exact whatever the umask; fsync so a
 * crash never leaves an empty key file behind a successful run. */
int lm_file_create(const char *path, const void *data, size_t len, int mode)
{
    const char *p = data;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode), ok, saved;
    if (fd < 0)
        return -1;
    ok = fchmod(fd, (mode_t)mode) == 0;
    while (ok && len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        if (ok) {
            p += w;
            len -= (size_t)w;
        }
    }
    ok = ok && fsync(fd) == 0;
    saved = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (!ok) {
        unlink(path);
        errno = saved ? saved : EIO;
        return -1;
    }
    return 0;
}

int lm_file_link(const char *from, const char *to)
{
    return link(from, to);
}

int lm_file_replace(const char *from, const char *to)
{
    return rename(from, to);
}

FILE *lm_file_append_private(const char *path)
{
    FILE *f;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    f = fdopen(fd, "a");
    if (!f)
        close(fd);
    return f;
}

/* ======================================================================
 * Threads
 * ==================================================================== */

struct lm_thread {
    pthread_t id;
    void (*fn)(void *);
    void *arg;
};

struct lm_mutex {
    pthread_mutex_t m;
};

static void *thread_main(void *p)
{
    lm_thread *t = p;
    t->fn(t->arg);
    return NULL;
}

int lm_thread_start(lm_thread **out, void (*fn)(void *arg), void *arg)
{
    lm_thread *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->fn = fn;
    t->arg = arg;
    if (pthread_create(&t->id, NULL, thread_main, t) != 0) {
        free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void lm_thread_join(lm_thread *t)
{
    if (!t)
        return;
    pthread_join(t->id, NULL);
    free(t);
}

lm_mutex *lm_mutex_new(void)
{
    lm_mutex *m = calloc(1, sizeof *m);
    if (m && pthread_mutex_init(&m->m, NULL) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

void lm_mutex_free(lm_mutex *m)
{
    if (m) {
        pthread_mutex_destroy(&m->m);
        free(m);
    }
}

void lm_mutex_lock(lm_mutex *m)
{
    pthread_mutex_lock(&m->m);
}

void lm_mutex_unlock(lm_mutex *m)
{
    pthread_mutex_unlock(&m->m);
}
