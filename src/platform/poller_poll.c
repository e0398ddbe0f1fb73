/* lanmsg poller over poll(): POSIX systems without epoll, and Windows
 * (WSAPoll). What the two name differently is in sys.h. */
#include <stdlib.h>

#include "platform/poller.h"
#include "platform/sys.h"

/* A growable pollfd array with a parallel udata array. Adding is O(1);
 * modifying and removing search the array, which is fine for the sizes a
 * LAN server on a system without epoll sees. */
struct lm_poller {
    lm_sys_pollfd *fds;
    void **udata;
    size_t n, cap;
};

lm_poller *lm_poller_new(void)
{
    return calloc(1, sizeof(lm_poller));
}

void lm_poller_free(lm_poller *p)
{
    if (p) {
        free(p->fds);
        free(p->udata);
        free(p);
    }
}

static short to_poll(int events)
{
    return (short)((events & LM_EV_READ ? POLLIN : 0) | (events & LM_EV_WRITE ? POLLOUT : 0));
}

int lm_poller_add(lm_poller *p, lm_sock s, int events, void *udata)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        lm_sys_pollfd *f = realloc(p->fds, cap * sizeof *f);
        void **u;
        if (!f)
            return LM_ERR;
        p->fds = f;
        u = realloc(p->udata, cap * sizeof *u);
        if (!u)
            return LM_ERR;
        p->udata = u;
        p->cap = cap;
    }
    p->fds[p->n].fd = LM_SYS_HANDLE(s);
    p->fds[p->n].events = to_poll(events);
    p->fds[p->n].revents = 0;
    p->udata[p->n++] = udata;
    return LM_OK;
}

int lm_poller_mod(lm_poller *p, lm_sock s, int events, void *udata)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        if (p->fds[i].fd == LM_SYS_HANDLE(s)) {
            p->fds[i].events = to_poll(events);
            p->udata[i] = udata;
            return LM_OK;
        }
    return LM_ERR;
}

void lm_poller_del(lm_poller *p, lm_sock s)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        if (p->fds[i].fd == LM_SYS_HANDLE(s)) {
            p->fds[i] = p->fds[p->n - 1];
            p->udata[i] = p->udata[p->n - 1];
            p->n--;
            return;
        }
}

int lm_poller_wait(lm_poller *p, lm_event *evs, int max, int timeout_ms, char *err, size_t errlen)
{
    int code = 0, k = 0;
    int rc = lm_sys_poll(p->fds, p->n, timeout_ms, &code);
    size_t i;
    if (rc < 0) {
        lm_sys_error_text(code, err, errlen);
        return LM_ERR;
    }
    for (i = 0; i < p->n && k < max; i++) {
        short r = p->fds[i].revents;
        if (!r)
            continue;
        evs[k].udata = p->udata[i];
        evs[k].events = (r & (POLLIN | POLLHUP) ? LM_EV_READ : 0) |
                        (r & POLLOUT ? LM_EV_WRITE : 0) |
                        (r & (POLLERR | POLLNVAL) ? LM_EV_ERROR : 0);
        k++;
    }
    return k;
}
