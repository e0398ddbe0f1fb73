/* lanmsg poller on Linux: epoll, level-triggered. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "platform/poller.h"
#include "platform/sys.h"

#define MAX_BATCH 256
struct lm_poller {
    int ep;
    struct epoll_event evs[MAX_BATCH];
};

lm_poller *lm_poller_new(void)
{
    lm_poller *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->ep = epoll_create1(EPOLL_CLOEXEC);
    if (p->ep < 0) {
        free(p);
        return NULL;
    }
    return p;
}

void lm_poller_free(lm_poller *p)
{
    if (p) {
        close(p->ep);
        free(p);
    }
}

static unsigned to_epoll(int events)
{
    return (events & LM_EV_READ ? EPOLLIN : 0u) | (events & LM_EV_WRITE ? EPOLLOUT : 0u);
}

int lm_poller_add(lm_poller *p, lm_sock s, int events, void *udata)
{
    struct epoll_event ev = {.events = to_epoll(events), .data.ptr = udata};
    return epoll_ctl(p->ep, EPOLL_CTL_ADD, LM_SYS_HANDLE(s), &ev) == 0 ? LM_OK : LM_ERR;
}

int lm_poller_mod(lm_poller *p, lm_sock s, int events, void *udata)
{
    struct epoll_event ev = {.events = to_epoll(events), .data.ptr = udata};
    return epoll_ctl(p->ep, EPOLL_CTL_MOD, LM_SYS_HANDLE(s), &ev) == 0 ? LM_OK : LM_ERR;
}

void lm_poller_del(lm_poller *p, lm_sock s)
{
    epoll_ctl(p->ep, EPOLL_CTL_DEL, LM_SYS_HANDLE(s), NULL);
}

int lm_poller_wait(lm_poller *p, lm_event *evs, int max, int timeout_ms, char *err, size_t errlen)
{
    int n, i;
    if (max > MAX_BATCH)
        max = MAX_BATCH;
    n = epoll_wait(p->ep, p->evs, max, timeout_ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        lm_sys_error_text(errno, err, errlen);
        return LM_ERR;
    }
    for (i = 0; i < n; i++) {
        unsigned e = p->evs[i].events;
        evs[i].udata = p->evs[i].data.ptr;
        evs[i].events = (e & (EPOLLIN | EPOLLHUP | EPOLLRDHUP) ? LM_EV_READ : 0) |
                        (e & EPOLLOUT ? LM_EV_WRITE : 0) | (e & EPOLLERR ? LM_EV_ERROR : 0);
    }
    return n;
}
