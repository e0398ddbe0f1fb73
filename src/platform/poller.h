/* lanmsg platform layer, readiness: which sockets can be read or written.
 *
 * One backend is compiled: epoll on Linux (poller_epoll.c), poll() on other
 * POSIX systems and WSAPoll on Windows (poller_poll.c, one file for both).
 * Interest is level-triggered: a socket stays reported while it is ready. */
#ifndef LANMSG_POLLER_H
#define LANMSG_POLLER_H

#include "lanmsg/net.h"

typedef struct lm_poller lm_poller;
enum { LM_EV_READ = 1, LM_EV_WRITE = 2, LM_EV_ERROR = 4 };
typedef struct lm_event {
    void *udata;
    int events;
} lm_event;

/* NULL when the system refuses (out of descriptors or memory). */
lm_poller *lm_poller_new(void);
void lm_poller_free(lm_poller *p);
/* LM_OK, or LM_ERR when the system refuses; then nothing is registered. */
int lm_poller_add(lm_poller *p, lm_sock s, int events, void *udata);
/* LM_OK, or LM_ERR; on failure the previous registration stays as it was. */
int lm_poller_mod(lm_poller *p, lm_sock s, int events, void *udata);
void lm_poller_del(lm_poller *p, lm_sock s);
/* Waits at most timeout_ms (< 0: forever). Returns the number of events (0
 * on timeout or when a signal interrupted the wait), or LM_ERR with one line
 * in err (may be NULL) naming the system's reason. */
int lm_poller_wait(lm_poller *p, lm_event *evs, int max, int timeout_ms, char *err, size_t errlen);

#endif
