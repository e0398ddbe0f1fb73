/* lanmsg discovery: the public face (lanmsg/discovery.h). Picks the system's
 * DNS-SD service where it answers, else the built-in responder, builds the
 * TXT record, and turns what browsers find into lm_disc_result lines. */
#include "lanmsg/discovery.h"
#include "platform/poller.h"
#include "platform/os.h"
#include "util/text.h"

#include "disc_backend.h"
#include "mdns.h"
#include "mdns_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LANMSG_VERSION
#define LANMSG_VERSION "0"
#endif

struct lm_disc {
    lm_mdns *mdns;    /* built-in */
    lm_disc_sys *sys; /* Avahi or Windows */
};

#ifndef LANMSG_HAVE_SYS_DISC
/* No system DNS-SD backend in this build: d->sys is always NULL. */
const char lm_disc_sys_label[] = "none";
lm_disc_sys *lm_disc_sys_announce(const lm_disc_service *s, char *err, size_t errlen)
{
    (void)s;
    lm_format(err, errlen, LM_M_DISC_AVAHI, "lanmsg was built without libavahi-client");
    return NULL;
}
int lm_disc_sys_watches(lm_disc_sys *d, lm_disc_watch *out, int max)
{
    (void)d, (void)out, (void)max;
    return 0;
}
int lm_disc_sys_on_event(lm_disc_sys *d, lm_sock s, int events)
{
    (void)d, (void)s, (void)events;
    return 0;
}
uint64_t lm_disc_sys_deadline(lm_disc_sys *d)
{
    (void)d;
    return UINT64_MAX;
}
int lm_disc_sys_on_timer(lm_disc_sys *d, uint64_t now)
{
    (void)d, (void)now;
    return 0;
}
const char *lm_disc_sys_name(const lm_disc_sys *d)
{
    (void)d;
    return "";
}
int lm_disc_sys_announced(const lm_disc_sys *d)
{
    (void)d;
    return 0;
}
void lm_disc_sys_stop(lm_disc_sys *d)
{
    (void)d;
}
int lm_disc_sys_browse(const char *type, const char *instance, int wait_ms, lm_disc_result *out,
                       int max)
{
    (void)type, (void)instance, (void)wait_ms, (void)out, (void)max;
    return -1;
}
#endif

static const char *service_type(int udp)
{
    return udp ? "_lanmsg._udp" : "_lanmsg._tcp";
}

/* ======================================================================
 * Announcing
 * ==================================================================== */

lm_disc *lm_disc_announce_start(const lm_disc_opts *o, char *err, size_t errlen)
{
    char host[64], fp[LM_DISC_FP_MAX + 4], ver[48], tls[8];
    const char *name = o->name;
    if (!name || !*name) {
        if (lm_host_name(host, sizeof host) != 0 || !host[0])
            snprintf(host, sizeof host, "lanmsg");
        host[strcspn(host, ".")] = '\0';
        name = host;
    }
    /* RFC 6763 §6.7: txtvers first; then what a client needs to decide
     * before it connects. */
    const char *txt[4];
    int ntxt = 0;
    txt[ntxt++] = "txtvers=1";
    snprintf(ver, sizeof ver, "v=%s", o->version ? o->version : LANMSG_VERSION);
    txt[ntxt++] = ver;
    snprintf(tls, sizeof tls, "tls=%d", o->tls ? 1 : 0);
    txt[ntxt++] = tls;
    if (o->fingerprint && *o->fingerprint) {
        snprintf(fp, sizeof fp, "fp=%s", o->fingerprint);
        txt[ntxt++] = fp;
    }
    size_t l = strlen(name);
    if (l > LM_DNS_LABEL_MAX) {
        lm_format(err, errlen, LM_M_DISC_BAD_NAME, name, "longer than 63 bytes");
        return NULL;
    }

    lm_disc *d = calloc(1, sizeof *d);
    if (!d) {
        lm_format(err, errlen, LM_M_DISC_NO_SOCKET, "out of memory");
        return NULL;
    }
    lm_disc_service s = {name, service_type(o->udp), o->port, txt, ntxt};
    if (o->backend != LM_DISC_BUILTIN) {
        char syserr[256];
        d->sys = lm_disc_sys_announce(&s, syserr, sizeof syserr);
        if (d->sys)
            return d;
        if (o->backend == LM_DISC_AVAHI) {
            snprintf(err, errlen, "%s", syserr);
            free(d);
            return NULL;
        }
    }
    uint8_t rdata[LM_MDNS_TXT_MAX];
    int rl = lm_dns_txt_build(rdata, sizeof rdata, s.txt, s.ntxt);
    if (rl < 0) {
        lm_format(err, errlen, LM_M_DISC_BAD_TXT);
        free(d);
        return NULL;
    }
    char why[200];
    d->mdns = lm_mdns_new(0, why, sizeof why);
    if (!d->mdns) {
        snprintf(err, errlen, "%s", why);
        free(d);
        return NULL;
    }
    lm_mdns_config c = {name, s.type, NULL, o->port, rdata, (size_t)rl};
    if (lm_mdns_announce(d->mdns, &c, lm_now_ms(), err, errlen) != 0) {
        lm_mdns_free(d->mdns);
        free(d);
        return NULL;
    }
    return d;
}

int lm_disc_watches(lm_disc *d, lm_disc_watch *out, int max)
{
    if (d->sys)
        return lm_disc_sys_watches(d->sys, out, max);
    lm_sock s[2];
    int n = lm_mdns_socks(d->mdns, s), k = 0;
    for (int i = 0; i < n && k < max; i++) {
        out[k].sock = s[i];
        out[k++].events = LM_EV_READ;
    }
    return k;
}

int lm_disc_on_event(lm_disc *d, lm_sock s, int events)
{
    if (d->sys)
        return lm_disc_sys_on_event(d->sys, s, events);
    lm_mdns_on_readable(d->mdns, s, lm_now_ms());
    return 0;
}

long lm_disc_timeout_ms(lm_disc *d)
{
    uint64_t t = d->sys ? lm_disc_sys_deadline(d->sys) : lm_mdns_next_deadline(d->mdns);
    if (t == UINT64_MAX)
        return -1;
    uint64_t now = lm_now_ms();
    return t <= now ? 0 : (long)(t - now);
}

int lm_disc_on_timer(lm_disc *d)
{
    uint64_t now = lm_now_ms();
    if (d->sys)
        return lm_disc_sys_on_timer(d->sys, now);
    lm_mdns_on_timer(d->mdns, now);
    return 0;
}

const char *lm_disc_name(const lm_disc *d)
{
    return d->sys ? lm_disc_sys_name(d->sys) : lm_mdns_instance(d->mdns);
}

const char *lm_disc_backend_name(const lm_disc *d)
{
    return d->sys ? lm_disc_sys_label : "built-in";
}

int lm_disc_announced(const lm_disc *d)
{
    if (d->sys)
        return lm_disc_sys_announced(d->sys);
    return lm_mdns_state(d->mdns) == LM_MDNS_ANNOUNCED;
}

void lm_disc_announce_stop(lm_disc *d)
{
    if (!d)
        return;
    if (d->sys) {
        lm_disc_sys_stop(d->sys);
    } else {
        lm_mdns_stop(d->mdns);
        lm_mdns_free(d->mdns);
    }
    free(d);
}

/* ======================================================================
 * Browsing
 * ==================================================================== */

void lm_disc_result_txt(lm_disc_result *r, const uint8_t *txt, size_t len)
{
    char v[LM_DISC_FP_MAX];
    r->tls = -1;
    if (lm_dns_txt_get(txt, len, "tls", v, sizeof v))
        r->tls = strcmp(v, "1") == 0 ? 1 : (strcmp(v, "0") == 0 ? 0 : -1);
    r->fp[0] = r->version[0] = '\0';
    lm_dns_txt_get(txt, len, "fp", r->fp, sizeof r->fp);
    lm_dns_txt_get(txt, len, "v", r->version, sizeof r->version);
}

static void from_found(const lm_mdns_found *f, lm_disc_result *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", f->instance);
    snprintf(r->host, sizeof r->host, "%s", f->host);
    size_t hl = strlen(r->host);
    if (hl && r->host[hl - 1] == '.')
        r->host[hl - 1] = '\0';
    r->port = f->port;
    /* IPv4 first: it works without a scope on every LAN. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < f->naddr && r->naddr < 4; i++)
            if (f->addr[i].v6 == pass)
                lm_ip_format(f->addr[i].b, pass ? 16 : 4, r->addr[r->naddr++], sizeof r->addr[0]);
    lm_disc_result_txt(r, f->txt, f->txtlen);
}

/* Run a built-in browser for at most wait_ms. With an instance name, stop
 * as soon as that instance has an address. */
static int builtin_browse(const char *type, const char *instance, int wait_ms, lm_disc_result *out,
                          int max, char *err, size_t errlen)
{
    char why[200];
    lm_mdns *m = lm_mdns_new(0, why, sizeof why);
    if (!m) {
        lm_format(err, errlen, LM_M_DISC_NO_SOCKET, why);
        return -1;
    }
    uint64_t start = lm_now_ms(), end = start + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
    if (lm_mdns_browse(m, type, instance, start) != 0) {
        lm_format(err, errlen, LM_M_DISC_BAD_NAME, instance ? instance : type, "not a DNS-SD name");
        lm_mdns_free(m);
        return -1;
    }
    lm_mdns_found *found = calloc(LM_MDNS_MAX_FOUND, sizeof *found);
    int n = 0;
    for (uint64_t now = start; found && now < end; now = lm_now_ms()) {
        lm_sock s[2];
        int ns = lm_mdns_socks(m, s);
        uint64_t t = lm_mdns_next_deadline(m);
        if (t > end)
            t = end;
        int timeout = t > now ? (int)(t - now) : 0;
        /* Two sockets at most: wait on the first, then drain both. */
        lm_net_wait(s[0], 0, ns > 1 && timeout > 50 ? 50 : timeout);
        now = lm_now_ms();
        for (int i = 0; i < ns; i++)
            lm_mdns_on_readable(m, s[i], now);
        lm_mdns_on_timer(m, now);
        if (instance) {
            n = lm_mdns_results(m, found, LM_MDNS_MAX_FOUND);
            if (n > 0 && found[0].naddr > 0)
                break;
        }
    }
    if (found) {
        n = lm_mdns_results(m, found, LM_MDNS_MAX_FOUND);
        if (n > max)
            n = max;
        for (int i = 0; i < n; i++)
            from_found(&found[i], &out[i]);
    }
    free(found);
    lm_mdns_free(m);
    return n;
}

static int browse_any(const char *type, const char *instance, int wait_ms, lm_disc_result *out,
                      int max, char *err, size_t errlen)
{
    if (!type || !*type)
        type = service_type(0);
    /* LANMSG_DISCOVERY=builtin: the tests' way to pick the built-in
     * browser where avahi-daemon runs too. */
    const char *force = getenv("LANMSG_DISCOVERY");
    if (!force || strcmp(force, "builtin") != 0) {
        int n = lm_disc_sys_browse(type, instance, wait_ms, out, max);
        if (n >= 0)
            return n;
    }
    return builtin_browse(type, instance, wait_ms, out, max, err, errlen);
}

int lm_disc_browse(const char *type, int wait_ms, lm_disc_result *out, int max, char *err,
                   size_t errlen)
{
    return browse_any(type, NULL, wait_ms, out, max, err, errlen);
}

int lm_disc_resolve(const char *name, const char *type, int wait_ms, lm_disc_result *out, char *err,
                    size_t errlen)
{
    if (!name || !*name || strlen(name) > LM_DNS_LABEL_MAX) {
        lm_format(err, errlen, LM_M_DISC_BAD_NAME, name ? name : "", "not 1 to 63 bytes");
        return -1;
    }
    int n = browse_any(type, name, wait_ms, out, 1, err, errlen);
    if (n < 0)
        return -1;
    if (n == 0 || out->naddr == 0) {
        lm_format(err, errlen, LM_M_DISC_NOT_FOUND, name, wait_ms);
        return 0;
    }
    return 1;
}

void lm_disc_format(const lm_disc_result *r, char *buf, size_t len)
{
    char name[4 * LM_DISC_NAME_MAX], fp[4 * LM_DISC_FP_MAX], where[80];
    lm_escape(name, sizeof name, r->name, strlen(r->name));
    lm_escape(fp, sizeof fp, r->fp, strlen(r->fp));
    if (r->naddr == 0)
        snprintf(where, sizeof where, "?:%u", (unsigned)r->port);
    else if (strchr(r->addr[0], ':'))
        snprintf(where, sizeof where, "[%s]:%u", r->addr[0], (unsigned)r->port);
    else
        snprintf(where, sizeof where, "%s:%u", r->addr[0], (unsigned)r->port);
    snprintf(buf, len, "%s  %s  %s%s%s", name, where,
             r->tls == 1 ? "TLS" : (r->tls == 0 ? "plain" : "?"), fp[0] ? "  fp=" : "", fp);
}
