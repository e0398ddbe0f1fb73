/* Discovery through avahi-daemon (libavahi-client over D-Bus): see
 * disc_backend.h. Compiled where pkg-config finds avahi-client.
 *
 * Where avahi-daemon runs, it already owns port 5353, the host's name and
 * its address records on every interface; a second responder beside it
 * would duplicate all that and could disagree with it. So when the daemon
 * answers, the service is registered with it and browsing asks it.
 *
 * Staying on the caller's loop: libavahi-client drives its D-Bus connection
 * through an AvahiPoll, a table of watch/timeout functions that a main loop
 * provides. We provide one (below) on top of the same "sockets to watch +
 * next deadline" contract the built-in responder has: each AvahiWatch is an
 * lm_disc_watch, each AvahiTimeout a deadline, and the caller's loop
 * dispatches into them. The other way, avahi_simple_poll_iterate(0) from our
 * loop, would leave the loop blind to the D-Bus socket (it would have to
 * poll on a timer to notice anything). Browsing blocks anyway, so it uses
 * Avahi's own AvahiSimplePoll. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "disc_backend.h"
#include "mdns.h"

#include "util/text.h"
#include "platform/poller.h"
#include "platform/os.h"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/error.h>
#include <avahi-common/simple-watch.h>
#include <avahi-common/strlst.h>
#include <avahi-common/watch.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

const char lm_disc_sys_label[] = "avahi";

/* ======================================================================
 * An AvahiPoll on the caller's loop
 * ==================================================================== */

struct AvahiWatch {
    lm_disc_sys *owner;
    int fd;
    AvahiWatchEvent want, got;
    AvahiWatchCallback cb;
    void *ud;
    int dead; /* freed by Avahi; reaped when no callback is running */
    struct AvahiWatch *next;
};

struct AvahiTimeout {
    lm_disc_sys *owner;
    int armed;
    uint64_t at; /* lm_now_ms() time */
    AvahiTimeoutCallback cb;
    void *ud;
    int dead;
    struct AvahiTimeout *next;
};

struct lm_disc_sys {
    AvahiPoll api;
    AvahiWatch *watches;
    AvahiTimeout *timeouts;
    int changed; /* the set of watches changed since the caller last looked */
    AvahiClient *client;
    AvahiEntryGroup *group;
    char name[64];
    char type[64];
    uint16_t port;
    AvahiStringList *txt;
    int announced;
    int failed;
};

/* Avahi's times are absolute wall-clock timevals; ours are monotonic. */
static uint64_t to_mono(const struct timeval *tv)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    int64_t diff =
        ((int64_t)tv->tv_sec - now.tv_sec) * 1000 + ((int64_t)tv->tv_usec - now.tv_usec) / 1000;
    uint64_t mono = lm_now_ms();
    return diff <= 0 ? mono : mono + (uint64_t)diff;
}

static AvahiWatch *watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent ev,
                             AvahiWatchCallback cb, void *ud)
{
    lm_disc_sys *d = api->userdata;
    AvahiWatch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    *w = (AvahiWatch){.owner = d, .fd = fd, .want = ev, .cb = cb, .ud = ud, .next = d->watches};
    d->watches = w;
    d->changed = 1;
    return w;
}

static void watch_update(AvahiWatch *w, AvahiWatchEvent ev)
{
    if (w->want != ev)
        w->owner->changed = 1;
    w->want = ev;
}

static AvahiWatchEvent watch_get_events(AvahiWatch *w)
{
    return w->got;
}

static void watch_free(AvahiWatch *w)
{
    w->dead = 1;
    w->owner->changed = 1;
}

static AvahiTimeout *timeout_new(const AvahiPoll *api, const struct timeval *tv,
                                 AvahiTimeoutCallback cb, void *ud)
{
    lm_disc_sys *d = api->userdata;
    AvahiTimeout *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    *t = (AvahiTimeout){.owner = d, .armed = tv != NULL, .cb = cb, .ud = ud, .next = d->timeouts};
    if (tv)
        t->at = to_mono(tv);
    d->timeouts = t;
    return t;
}

static void timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
    t->armed = tv != NULL;
    if (tv)
        t->at = to_mono(tv);
}

static void timeout_free(AvahiTimeout *t)
{
    t->dead = 1;
    t->armed = 0;
}

/* Free what Avahi freed, once no callback of ours is on the stack. */
static void reap(lm_disc_sys *d)
{
    for (AvahiWatch **p = &d->watches; *p;) {
        AvahiWatch *w = *p;
        if (w->dead) {
            *p = w->next;
            free(w);
        } else {
            p = &w->next;
        }
    }
    for (AvahiTimeout **p = &d->timeouts; *p;) {
        AvahiTimeout *t = *p;
        if (t->dead) {
            *p = t->next;
            free(t);
        } else {
            p = &t->next;
        }
    }
}

int lm_disc_sys_watches(lm_disc_sys *d, lm_disc_watch *out, int max)
{
    int n = 0;
    d->changed = 0;
    for (AvahiWatch *w = d->watches; w && n < max; w = w->next) {
        if (w->dead || !w->want)
            continue;
        out[n].sock = (lm_sock)(unsigned)w->fd;
        out[n].events = ((w->want & AVAHI_WATCH_IN) ? LM_EV_READ : 0) |
                        ((w->want & AVAHI_WATCH_OUT) ? LM_EV_WRITE : 0);
        n++;
    }
    return n;
}

int lm_disc_sys_on_event(lm_disc_sys *d, lm_sock s, int events)
{
    /* Callbacks may add or free watches: walk a list that only grows at
     * its head, and whose freed entries stay until reap(). */
    for (AvahiWatch *w = d->watches; w; w = w->next) {
        if (w->dead || (lm_sock)(unsigned)w->fd != s)
            continue;
        AvahiWatchEvent got = 0;
        if (events & LM_EV_READ)
            got |= AVAHI_WATCH_IN;
        if (events & LM_EV_WRITE)
            got |= AVAHI_WATCH_OUT;
        got &= w->want | AVAHI_WATCH_ERR | AVAHI_WATCH_HUP;
        if (!got)
            continue;
        w->got = got;
        w->cb(w, w->fd, got, w->ud);
        w->got = 0;
    }
    reap(d);
    return d->changed;
}

uint64_t lm_disc_sys_deadline(lm_disc_sys *d)
{
    uint64_t t = UINT64_MAX;
    for (AvahiTimeout *x = d->timeouts; x; x = x->next)
        if (x->armed && !x->dead && x->at < t)
            t = x->at;
    return t;
}

int lm_disc_sys_on_timer(lm_disc_sys *d, uint64_t now)
{
    for (AvahiTimeout *x = d->timeouts; x; x = x->next) {
        if (!x->armed || x->dead || x->at > now)
            continue;
        x->armed = 0; /* one-shot: Avahi re-arms it with timeout_update */
        x->cb(x, x->ud);
    }
    reap(d);
    return d->changed;
}

/* ======================================================================
 * Registering
 * ==================================================================== */

static void register_service(lm_disc_sys *d, AvahiClient *c);

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *ud)
{
    lm_disc_sys *d = ud;
    if (state == AVAHI_ENTRY_GROUP_ESTABLISHED) {
        d->announced = 1;
    } else if (state == AVAHI_ENTRY_GROUP_COLLISION) {
        /* The daemon found the name taken: "name (2)", as the built-in
         * responder does, rather than Avahi's own "name #2". */
        lm_mdns_next_name(d->name, sizeof d->name);
        d->announced = 0;
        avahi_entry_group_reset(g);
        register_service(d, avahi_entry_group_get_client(g));
    } else if (state == AVAHI_ENTRY_GROUP_FAILURE) {
        d->failed = 1;
        d->announced = 0;
    }
}

static void register_service(lm_disc_sys *d, AvahiClient *c)
{
    if (!d->group) {
        d->group = avahi_entry_group_new(c, group_cb, d);
        if (!d->group) {
            d->failed = 1;
            return;
        }
    }
    for (int tries = 0; tries < 100; tries++) {
        int rc =
            avahi_entry_group_add_service_strlst(d->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
                                                 d->name, d->type, NULL, NULL, d->port, d->txt);
        if (rc == AVAHI_ERR_COLLISION) {
            lm_mdns_next_name(d->name, sizeof d->name);
            continue;
        }
        if (rc < 0 || avahi_entry_group_commit(d->group) < 0)
            d->failed = 1;
        return;
    }
    d->failed = 1;
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *ud)
{
    lm_disc_sys *d = ud;
    switch (state) {
    case AVAHI_CLIENT_S_RUNNING:
        /* Also after the daemon came back (AVAHI_CLIENT_NO_FAIL). */
        if (!d->group || avahi_entry_group_is_empty(d->group))
            register_service(d, c);
        break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
        /* The host name changed or is being re-announced: our records
         * point at it, so withdraw them until it settles. */
        d->announced = 0;
        if (d->group)
            avahi_entry_group_reset(d->group);
        break;
    case AVAHI_CLIENT_CONNECTING:
        /* The daemon went away; the group died with our registration. */
        d->announced = 0;
        d->group = NULL;
        break;
    case AVAHI_CLIENT_FAILURE:
        d->failed = 1;
        d->announced = 0;
        break;
    }
}

static void sys_free(lm_disc_sys *d)
{
    if (d->client)
        avahi_client_free(d->client); /* frees the group too */
    avahi_string_list_free(d->txt);
    for (AvahiWatch *w = d->watches; w; w = w->next)
        w->dead = 1;
    for (AvahiTimeout *t = d->timeouts; t; t = t->next)
        t->dead = 1;
    reap(d);
    free(d);
}

lm_disc_sys *lm_disc_sys_announce(const lm_disc_service *s, char *err, size_t errlen)
{
    lm_disc_sys *d = calloc(1, sizeof *d);
    int error = 0;
    if (!d) {
        lm_format(err, errlen, LM_M_DISC_AVAHI, "out of memory");
        return NULL;
    }
    d->api = (AvahiPoll){d,          watch_new,   watch_update,   watch_get_events,
                         watch_free, timeout_new, timeout_update, timeout_free};
    snprintf(d->name, sizeof d->name, "%s", s->name);
    snprintf(d->type, sizeof d->type, "%s", s->type);
    d->port = s->port;
    for (int i = s->ntxt - 1; i >= 0; i--) /* prepend: keep the order given */
        d->txt = avahi_string_list_add(d->txt, s->txt[i]);
    /* NO_FAIL: survive a restart of avahi-daemon later. Whether it runs
     * now shows in the state right after: CONNECTING means it does not,
     * and the built-in responder takes over. */
    d->client = avahi_client_new(&d->api, AVAHI_CLIENT_NO_FAIL, client_cb, d, &error);
    if (!d->client || avahi_client_get_state(d->client) == AVAHI_CLIENT_CONNECTING || d->failed) {
        lm_format(err, errlen, LM_M_DISC_AVAHI,
                  d->client ? "the daemon is not running" : avahi_strerror(error));
        sys_free(d);
        return NULL;
    }
    return d;
}

const char *lm_disc_sys_name(const lm_disc_sys *d)
{
    return d->name;
}

int lm_disc_sys_announced(const lm_disc_sys *d)
{
    return d->announced;
}

void lm_disc_sys_stop(lm_disc_sys *d)
{
    /* Freeing the group withdraws the service: the daemon sends the
     * goodbyes. */
    sys_free(d);
}

/* ======================================================================
 * Browsing (blocking, on Avahi's own simple poll)
 * ==================================================================== */

typedef struct browse_ctx {
    AvahiSimplePoll *sp;
    AvahiClient *client;
    const char *want; /* one instance, or NULL */
    lm_disc_result *out;
    int max, n;
    int pending; /* resolvers still running */
    int failed;
} browse_ctx;

static lm_disc_result *result_for(browse_ctx *b, const char *name)
{
    for (int i = 0; i < b->n; i++)
        if (strcmp(b->out[i].name, name) == 0)
            return &b->out[i];
    if (b->n == b->max)
        return NULL;
    lm_disc_result *r = &b->out[b->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->tls = -1;
    return r;
}

static void resolve_cb(AvahiServiceResolver *r, AvahiIfIndex iface, AvahiProtocol proto,
                       AvahiResolverEvent ev, const char *name, const char *type,
                       const char *domain, const char *host, const AvahiAddress *a, uint16_t port,
                       AvahiStringList *txt, AvahiLookupResultFlags flags, void *ud)
{
    browse_ctx *b = ud;
    (void)iface, (void)proto, (void)type, (void)domain, (void)flags;
    if (ev == AVAHI_RESOLVER_FOUND && (!b->want || strcmp(name, b->want) == 0)) {
        lm_disc_result *res = result_for(b, name);
        if (res) {
            char addr[AVAHI_ADDRESS_STR_MAX];
            avahi_address_snprint(addr, sizeof addr, a);
            int dup = 0;
            for (int i = 0; i < res->naddr; i++)
                dup |= strcmp(res->addr[i], addr) == 0;
            if (!dup && res->naddr < 4) {
                /* IPv4 first, as the built-in browser orders them. */
                int at = res->naddr;
                if (a->proto == AVAHI_PROTO_INET)
                    for (at = 0; at < res->naddr && !strchr(res->addr[at], ':'); at++)
                        ;
                memmove(res->addr[at + 1], res->addr[at], (size_t)(res->naddr - at) * 48);
                snprintf(res->addr[at], sizeof res->addr[at], "%s", addr);
                res->naddr++;
            }
            snprintf(res->host, sizeof res->host, "%s", host ? host : "");
            res->port = port;
            uint8_t buf[LM_MDNS_TXT_MAX];
            size_t len = 0;
            for (AvahiStringList *t = txt; t; t = avahi_string_list_get_next(t)) {
                size_t l = avahi_string_list_get_size(t);
                if (l > 255 || len + 1 + l > sizeof buf)
                    break;
                buf[len] = (uint8_t)l;
                memcpy(buf + len + 1, avahi_string_list_get_text(t), l);
                len += 1 + l;
            }
            lm_disc_result_txt(res, buf, len);
        }
    }
    b->pending--;
    avahi_service_resolver_free(r);
}

static void browse_cb(AvahiServiceBrowser *sb, AvahiIfIndex iface, AvahiProtocol proto,
                      AvahiBrowserEvent ev, const char *name, const char *type, const char *domain,
                      AvahiLookupResultFlags flags, void *ud)
{
    browse_ctx *b = ud;
    (void)sb, (void)flags;
    if (ev == AVAHI_BROWSER_NEW) {
        if (avahi_service_resolver_new(b->client, iface, proto, name, type, domain,
                                       AVAHI_PROTO_UNSPEC, 0, resolve_cb, b))
            b->pending++;
    } else if (ev == AVAHI_BROWSER_FAILURE) {
        b->failed = 1;
    }
}

int lm_disc_sys_browse(const char *type, const char *instance, int wait_ms, lm_disc_result *out,
                       int max)
{
    browse_ctx b = {.want = instance, .out = out, .max = max};
    int error = 0, found = -1;
    b.sp = avahi_simple_poll_new();
    if (!b.sp)
        return -1;
    b.client = avahi_client_new(avahi_simple_poll_get(b.sp), 0, NULL, NULL, &error);
    if (!b.client) {
        avahi_simple_poll_free(b.sp);
        return -1; /* no daemon: the built-in browser takes over */
    }
    AvahiServiceBrowser *sb = NULL;
    if (instance) {
        /* One name: resolve it directly, no need to browse. */
        if (avahi_service_resolver_new(b.client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, instance,
                                       type, NULL, AVAHI_PROTO_UNSPEC, 0, resolve_cb, &b))
            b.pending++;
    } else {
        sb = avahi_service_browser_new(b.client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, type, NULL, 0,
                                       browse_cb, &b);
    }
    uint64_t end = lm_now_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
    for (uint64_t now = lm_now_ms(); now < end && !b.failed; now = lm_now_ms()) {
        uint64_t left = end - now;
        if (avahi_simple_poll_iterate(b.sp, (int)(left < 100 ? left : 100)) != 0)
            break;
        if (instance && b.n > 0 && b.out[0].naddr > 0)
            break;
    }
    found = b.n;
    if (sb)
        avahi_service_browser_free(sb);
    avahi_client_free(b.client); /* frees the resolvers still running */
    avahi_simple_poll_free(b.sp);
    /* Instances whose resolution gave nothing are dropped. */
    int k = 0;
    for (int i = 0; i < found; i++)
        if (out[i].port || out[i].naddr)
            out[k++] = out[i];
    return k;
}
