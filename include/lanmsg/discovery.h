/* lanmsg discovery: announcing a server on the LAN and finding servers, with
 * DNS-SD over multicast DNS (RFC 6763, RFC 6762), as printers do.
 *
 * A server announces "_lanmsg._tcp" ("_lanmsg._udp" in datagram mode) with
 * TXT keys txtvers=1, v=<version>, tls=1|0 and, where it has one,
 * fp=<fingerprint>. Which implementation does it is chosen at run time:
 *  - avahi-daemon through libavahi-client, where lanmsg was built with it
 *    and the daemon answers (Linux desktops and most servers);
 *  - Windows' own DNS-SD API (Windows 10 1809 and later);
 *  - otherwise lanmsg's own small responder and browser (src/discovery/mdns.c).
 *
 * Discovery shares no state with connections. Announcing runs on the
 * caller's event loop through a watch/timer contract and never blocks:
 *
 *     lm_disc *d = lm_disc_announce_start(&opts, err, sizeof err);
 *     if (!d) warn(err);               // and serve anyway
 *     loop:
 *         n = lm_disc_watches(d, w, LM_DISC_MAX_WATCHES); // add w[i].sock for w[i].events
 *         timeout = min(timeout, lm_disc_timeout_ms(d));
 *         ... poll ...
 *         if readable/writable: changed = lm_disc_on_event(d, sock, events);
 *         if timeout passed:    changed = lm_disc_on_timer(d);
 *         if changed: re-read lm_disc_watches (the set changed)
 *     lm_disc_announce_stop(d);        // goodbyes, then frees d
 *
 * Browsing blocks for a bounded time (the client does it before it
 * connects). Not thread-safe: one lm_disc belongs to one loop. */
#ifndef LANMSG_DISCOVERY_H
#define LANMSG_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>

#include "lanmsg/net.h"

#define LM_DISC_MAX_WATCHES 8
#define LM_DISC_NAME_MAX    64 /* an instance name: 63 bytes of UTF-8 */
#define LM_DISC_FP_MAX      160

enum lm_disc_backend {
    LM_DISC_AUTO = 0, /* Avahi or Windows where they answer, else built-in */
    LM_DISC_BUILTIN,  /* lanmsg's own responder (tests) */
    LM_DISC_AVAHI,    /* avahi-daemon only: fail when it does not answer */
};

typedef struct lm_disc_opts {
    const char *name;        /* instance name; NULL or "": this host's name */
    int udp;                 /* announce _lanmsg._udp instead of _lanmsg._tcp */
    uint16_t port;           /* the port the server listens on */
    int tls;                 /* 1: TLS, 0: plain TCP */
    const char *fingerprint; /* opaque text for fp=, NULL or "" for none */
    const char *version;     /* v=; NULL: this build's version */
    int backend;             /* enum lm_disc_backend */
} lm_disc_opts;

typedef struct lm_disc_watch {
    lm_sock sock;
    int events; /* 1 read, 2 write: LM_EV_READ | LM_EV_WRITE (platform/poller.h) */
} lm_disc_watch;

typedef struct lm_disc lm_disc;

/* Start announcing. NULL with one line in err when it cannot (the caller
 * warns and serves anyway). A conflict found later renames the instance
 * ("name (2)"): lm_disc_name tells the name in use. */
lm_disc *lm_disc_announce_start(const lm_disc_opts *o, char *err, size_t errlen);
/* The sockets to watch now; returns how many. */
int lm_disc_watches(lm_disc *d, lm_disc_watch *out, int max);
/* One of them is ready. Returns 1 when the set of watches changed. */
int lm_disc_on_event(lm_disc *d, lm_sock s, int events);
/* Milliseconds until lm_disc_on_timer is due (0: now), or -1: no timer. */
long lm_disc_timeout_ms(lm_disc *d);
/* Returns 1 when the set of watches changed. */
int lm_disc_on_timer(lm_disc *d);
/* The instance name in use, and "avahi", "windows" or "built-in". */
const char *lm_disc_name(const lm_disc *d);
const char *lm_disc_backend_name(const lm_disc *d);
/* 1 once the name is claimed and announced (probing done). */
int lm_disc_announced(const lm_disc *d);
/* Send goodbyes (the service disappears from browsers at once), free d. */
void lm_disc_announce_stop(lm_disc *d);

typedef struct lm_disc_result {
    char name[LM_DISC_NAME_MAX]; /* raw UTF-8 from the network: lm_escape it */
    char host[256];              /* SRV target, e.g. "alice-laptop.local" */
    int naddr;
    char addr[4][48]; /* numeric; IPv4 first; "" when none arrived */
    uint16_t port;
    int tls;                 /* 1 TLS, 0 plain, -1 not said */
    char fp[LM_DISC_FP_MAX]; /* "" when none */
    char version[32];        /* "" when none */
} lm_disc_result;

/* Listen for servers of type "_lanmsg._tcp" (NULL: that) for wait_ms, then
 * return how many were found (at most max), or -1 with err set. Blocks. */
int lm_disc_browse(const char *type, int wait_ms, lm_disc_result *out, int max, char *err,
                   size_t errlen);
/* Find one instance by name (--host NAME): 1 found (returns as soon as its
 * address is known), 0 not within wait_ms (err says so), -1 error. */
int lm_disc_resolve(const char *name, const char *type, int wait_ms, lm_disc_result *out, char *err,
                    size_t errlen);
/* One line for --discover: name, address:port, TLS or plain, fingerprint:
 *     alice-laptop  192.168.1.10:5000  TLS  fp=ABCD-...
 * The name is escaped for a terminal. */
void lm_disc_format(const lm_disc_result *r, char *buf, size_t len);

#endif
