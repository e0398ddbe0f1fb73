/* Fault injection for the engine's tests (Linux, LD_PRELOAD).
 *
 * The engine's answers to a failing system call (a poller that cannot
 * wait, a registration the poller refuses, a thread that does not start)
 * cannot be provoked from outside on a healthy machine, so this library
 * makes exactly one chosen call fail, the Nth of its kind, with the errno
 * the system would give. Everything else passes through to the real C
 * library. Nothing here touches the network: sockets stay real.
 *
 *   LANMSG_FAIL_EPOLL_WAIT=N   the Nth epoll_wait fails with EBADF
 *   LANMSG_FAIL_EPOLL_MOD=N    the Nth epoll_ctl(EPOLL_CTL_MOD) fails, ENOMEM
 *   LANMSG_FAIL_THREAD=N       the Nth pthread_create fails with EAGAIN
 *
 * Test-only code: never linked into a program. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>

static long target(const char *name)
{
    const char *v = getenv(name);
    return v ? atol(v) : 0;
}

/* 1 when this call is the one to fail. */
static int hit(atomic_long *counter, const char *name)
{
    long n = target(name);
    return n > 0 && atomic_fetch_add(counter, 1) + 1 == n;
}

int epoll_wait(int ep, struct epoll_event *evs, int max, int timeout)
{
    static atomic_long calls;
    static int (*real)(int, struct epoll_event *, int, int);
    if (hit(&calls, "LANMSG_FAIL_EPOLL_WAIT")) {
        errno = EBADF;
        return -1;
    }
    if (!real)
        real = (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
    return real(ep, evs, max, timeout);
}

int epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
    static atomic_long calls;
    static int (*real)(int, int, int, struct epoll_event *);
    if (op == EPOLL_CTL_MOD && hit(&calls, "LANMSG_FAIL_EPOLL_MOD")) {
        errno = ENOMEM;
        return -1;
    }
    if (!real)
        real = (int (*)(int, int, int, struct epoll_event *))dlsym(RTLD_NEXT, "epoll_ctl");
    return real(ep, op, fd, ev);
}

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    static atomic_long calls;
    static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    if (hit(&calls, "LANMSG_FAIL_THREAD"))
        return EAGAIN;
    if (!real)
        real = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))dlsym(
            RTLD_NEXT, "pthread_create");
    return real(t, a, fn, arg);
}
