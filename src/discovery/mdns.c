/* lanmsg's own multicast DNS responder and browser: see mdns.h.
 *
 * What the responder does, with the RFC 6762 section for each:
 *  - probes its instance name three times, 250 ms apart (§8.1); a conflict
 *    renames it "name (2)", "name (3)"... and probes again (§9), a
 *    simultaneous probe is settled by comparing the records (§8.2);
 *  - announces twice, one second apart (§8.3), with cache-flush on its
 *    unique records (SRV, TXT, A, AAAA: §10.2);
 *  - answers the service type's PTR, the DNS-SD enumeration PTR (RFC 6763
 *    §9), the instance's SRV/TXT and the host's A/AAAA, with the related
 *    records in the additional section (RFC 6763 §12) and NSEC for types it
 *    does not have (§6.1);
 *  - leaves out what the querier already knows (known-answer suppression,
 *    §7.1), delays answers that hold shared records by 20-120 ms (§6),
 *    never multicasts one record twice within a second (§6.2, 250 ms when
 *    defending against a probe), answers QU questions by unicast (§5.4) and
 *    queries from ports other than 5353 the legacy-unicast way (§6.7);
 *  - says goodbye with TTL 0 when stopped (§10.1).
 * The browser is in mdns_browse.c. Responses from ports other than 5353
 * are ignored (§11). Not done: several interfaces with different addresses
 * (the same A/AAAA set is given on every interface), the §11 source-address
 * check, and re-reading the interfaces when the network changes. */
#include "mdns.h"
#include "mdns_int.h"
#include "mdns_wire.h"
#include "../platform/mcast.h"

#include "util/text.h"
#include "platform/os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t lm_mdns__rnd(lm_mdns *m, uint32_t below)
{
    /* xorshift32: jitter only, nothing secret depends on it. */
    uint32_t x = m->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    m->rng = x;
    return below ? x % below : 0;
}

/* ======================================================================
 * Life cycle
 * ==================================================================== */

lm_mdns *lm_mdns_new(int no_sockets, char *err, size_t errlen)
{
    lm_mdns *m = calloc(1, sizeof *m);
    if (!m) {
        lm_format(err, errlen, LM_M_DISC_NO_SOCKET, "out of memory");
        return NULL;
    }
    m->sock[0] = m->sock[1] = LM_SOCK_INVALID;
    m->no_sockets = no_sockets;
    m->rng = (uint32_t)(lm_now_ns() ^ (uintptr_t)m) | 1;
    m->state = LM_MDNS_IDLE;
    if (!no_sockets) {
        if (lm_mcast_open(0, LM_MDNS_PORT, &m->sock[0], err, errlen) != LM_OK) {
            free(m);
            return NULL;
        }
        char ignored[160];
        /* IPv6 where the host has it; IPv4 alone still does the job. */
        if (lm_mcast_open(1, LM_MDNS_PORT, &m->sock[1], ignored, sizeof ignored) != LM_OK)
            m->sock[1] = LM_SOCK_INVALID;
    }
    return m;
}

void lm_mdns_free(lm_mdns *m)
{
    if (!m)
        return;
    for (int i = 0; i < 2; i++)
        if (m->sock[i] != LM_SOCK_INVALID)
            lm_net_close(m->sock[i]);
    free(m);
}

int lm_mdns_socks(const lm_mdns *m, lm_sock out[2])
{
    int n = 0;
    for (int i = 0; i < 2; i++)
        if (m->sock[i] != LM_SOCK_INVALID)
            out[n++] = m->sock[i];
    return n;
}

int lm_mdns_state(const lm_mdns *m)
{
    return m->state;
}

const char *lm_mdns_instance(const lm_mdns *m)
{
    return m->instance;
}

/* ======================================================================
 * Sending
 * ==================================================================== */

void lm_mdns__send(lm_mdns *m, size_t len, const lm_mcast_peer *to)
{
    if (m->no_sockets || len <= LM_DNS_HEADER_LEN)
        return;
    if (to) {
        lm_sock s = m->sock[to->v6 ? 1 : 0];
        if (s != LM_SOCK_INVALID)
            lm_mcast_send(s, m->tx, len, to);
        return;
    }
    for (int i = 0; i < 2; i++)
        if (m->sock[i] != LM_SOCK_INVALID)
            lm_mcast_send(m->sock[i], m->tx, len, NULL);
}

/* ======================================================================
 * The responder's records
 * ==================================================================== */

static void rec_init(lm_dns_rr *r, const lm_dns_name *name, uint16_t type, uint32_t ttl, int flush)
{
    memset(r, 0, sizeof *r);
    r->name = *name;
    r->type = type;
    r->cls = LM_DNS_CLASS_IN;
    r->ttl = ttl;
    r->cache_flush = flush;
}

/* (Re)build every record from the configuration and the instance name in
 * use; called at the start and after each rename. */
static int build_records(lm_mdns *m)
{
    if (lm_dns_name_make(&m->n_instance, m->instance, NULL) != 0)
        return -1;
    /* instance + service type: append the service's labels. */
    lm_dns_name full = m->n_instance;
    full.len--; /* drop the root label, then append service.local */
    if ((size_t)full.len + m->n_service.len > LM_DNS_NAME_MAX)
        return -1;
    memcpy(full.b + full.len, m->n_service.b, m->n_service.len);
    full.len = (uint8_t)(full.len + m->n_service.len);
    m->n_instance = full;

    lm_dns_rr *r = m->rec;
    rec_init(&r[R_PTR], &m->n_service, LM_DNS_PTR, TTL_OTHER, 0);
    r[R_PTR].target = m->n_instance;
    rec_init(&r[R_ENUM], &m->n_enum, LM_DNS_PTR, TTL_OTHER, 0);
    r[R_ENUM].target = m->n_service;
    rec_init(&r[R_SRV], &m->n_instance, LM_DNS_SRV, TTL_HOST, 1);
    r[R_SRV].srv_port = m->port;
    r[R_SRV].target = m->n_host;
    rec_init(&r[R_TXT], &m->n_instance, LM_DNS_TXT, TTL_OTHER, 1);
    r[R_TXT].rdata = m->txt;
    r[R_TXT].rdlen = (uint16_t)m->txtlen;

    m->nrec = R_ADDR;
    uint8_t addrs[MAX_ADDRS][16];
    for (int v6 = 0; v6 < 2; v6++) {
        int n = m->no_sockets ? 0 : lm_mcast_local_addrs(v6, addrs, MAX_ADDRS);
        if (m->no_sockets && !v6) { /* a fixed address for the fuzz target */
            memcpy(addrs[0], "\x7f\0\0\1", 4);
            n = 1;
        }
        for (int i = 0; i < n; i++) {
            lm_dns_rr *a = &r[m->nrec++];
            rec_init(a, &m->n_host, v6 ? LM_DNS_AAAA : LM_DNS_A, TTL_HOST, 1);
            memcpy(a->addr, addrs[i], 16);
        }
    }
    memset(m->last_mcast, 0, sizeof m->last_mcast);
    return 0;
}

static int has_type(const lm_mdns *m, uint16_t type)
{
    for (int i = R_ADDR; i < m->nrec; i++)
        if (m->rec[i].type == type)
            return 1;
    return 0;
}

static uint32_t addr_mask(const lm_mdns *m, uint16_t type)
{
    uint32_t mask = 0;
    for (int i = R_ADDR; i < m->nrec; i++)
        if (type == LM_DNS_ANY || m->rec[i].type == type)
            mask |= 1u << i;
    return mask;
}

/* NSEC saying which types a name has (§6.1), so a querier asking for a
 * type we lack (AAAA on an IPv4-only host) gets a definite no. */
enum { NSEC_INSTANCE = 1, NSEC_HOST = 2 };

static void make_nsec(const lm_mdns *m, int host, lm_dns_rr *out)
{
    const lm_dns_name *n = host ? &m->n_host : &m->n_instance;
    rec_init(out, n, LM_DNS_NSEC, host ? TTL_HOST : TTL_OTHER, 1);
    out->target = *n;
    if (host) {
        if (has_type(m, LM_DNS_A))
            out->nsec_types[LM_DNS_A / 8] |= (uint8_t)(0x80 >> (LM_DNS_A % 8));
        if (has_type(m, LM_DNS_AAAA))
            out->nsec_types[LM_DNS_AAAA / 8] |= (uint8_t)(0x80 >> (LM_DNS_AAAA % 8));
    } else {
        out->nsec_types[LM_DNS_TXT / 8] |= (uint8_t)(0x80 >> (LM_DNS_TXT % 8));
        out->nsec_types[LM_DNS_SRV / 8] |= (uint8_t)(0x80 >> (LM_DNS_SRV % 8));
    }
}

/* Write a response: answers, negative answers (NSEC, §6.1), then the
 * additional records (less those already answered) and NSECs. ttl_cap > 0
 * caps TTLs and clears cache-flush, for legacy unicast (§6.7); goodbye sets
 * every TTL to 0. */
static size_t build_response(lm_mdns *m, lm_dns_builder *b, uint32_t ans, uint32_t add, int nsec_an,
                             int nsec_ar, uint32_t ttl_cap, int goodbye)
{
    add &= ~ans;
    nsec_ar &= ~nsec_an;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t set = pass ? add : ans;
        int section = pass ? LM_DNS_AR : LM_DNS_AN;
        for (int i = 0; i < m->nrec; i++) {
            if (!(set & (1u << i)))
                continue;
            lm_dns_rr r = m->rec[i];
            if (goodbye)
                r.ttl = 0;
            if (ttl_cap && r.ttl > ttl_cap)
                r.ttl = ttl_cap;
            if (ttl_cap)
                r.cache_flush = 0;
            lm_dns_build_rr(b, section, &r);
        }
        int nsec = pass ? nsec_ar : nsec_an;
        for (int h = 0; h < 2; h++) {
            if (!(nsec & (h ? NSEC_HOST : NSEC_INSTANCE)))
                continue;
            lm_dns_rr r;
            make_nsec(m, h, &r);
            if (ttl_cap) {
                r.ttl = r.ttl > ttl_cap ? ttl_cap : r.ttl;
                r.cache_flush = 0;
            }
            lm_dns_build_rr(b, section, &r);
        }
    }
    return lm_dns_build_finish(b);
}

/* Multicast the records in ans and add, less those multicast within
 * min_gap ms (§6.2). Nothing is sent when no answer is left. */
static void multicast_records(lm_mdns *m, uint32_t ans, uint32_t add, int nsec_an, int nsec_ar,
                              uint64_t now, uint64_t min_gap, int goodbye)
{
    for (int i = 0; i < m->nrec; i++) {
        if (!goodbye && m->last_mcast[i] && now - m->last_mcast[i] < min_gap) {
            ans &= ~(1u << i);
            add &= ~(1u << i);
        }
    }
    if (!ans && !nsec_an)
        return;
    lm_dns_builder b;
    lm_dns_build_init(&b, m->tx, sizeof m->tx, 0, LM_DNS_FLAG_RESPONSE | LM_DNS_FLAG_AA);
    size_t len = build_response(m, &b, ans, add, nsec_an, nsec_ar, 0, goodbye);
    for (int i = 0; i < m->nrec; i++)
        if ((ans | add) & (1u << i))
            m->last_mcast[i] = now ? now : 1;
    lm_mdns__send(m, len, NULL);
}

static uint32_t all_records(const lm_mdns *m)
{
    return m->nrec >= 32 ? 0xffffffffu : (1u << m->nrec) - 1;
}

/* ======================================================================
 * Probing, announcing, conflicts
 * ==================================================================== */

static void send_probe(lm_mdns *m)
{
    lm_dns_builder b;
    lm_dns_question q = {.name = m->n_instance, .type = LM_DNS_ANY, .cls = LM_DNS_CLASS_IN};
    /* The first probe asks for a unicast answer (§8.1); the defenders
     * multicast anyway when the asker is on their own host. */
    q.unicast = m->step == 0;
    lm_dns_build_init(&b, m->tx, sizeof m->tx, 0, 0);
    lm_dns_build_question(&b, &q);
    lm_dns_build_rr(&b, LM_DNS_NS, &m->rec[R_SRV]);
    lm_dns_build_rr(&b, LM_DNS_NS, &m->rec[R_TXT]);
    lm_mdns__send(m, lm_dns_build_finish(&b), NULL);
}

static void start_probing(lm_mdns *m, uint64_t now, uint64_t delay)
{
    m->state = LM_MDNS_PROBING;
    m->step = 0;
    m->pending = m->pending_add = 0;
    m->pending_nsec_an = m->pending_nsec_ar = 0;
    m->next_step = now + delay + lm_mdns__rnd(m, 250);
}

void lm_mdns_next_name(char *name, size_t len)
{
    char base[64];
    unsigned n = 2;
    snprintf(base, sizeof base, "%s", name);
    size_t l = strlen(base);
    if (l > 4 && base[l - 1] == ')') {
        size_t i = l - 1;
        while (i > 0 && base[i - 1] >= '0' && base[i - 1] <= '9')
            i--;
        if (i >= 3 && i < l - 1 && base[i - 1] == '(' && base[i - 2] == ' ') {
            n = (unsigned)strtoul(base + i, NULL, 10) + 1;
            base[i - 2] = '\0';
        }
    }
    char suffix[16];
    snprintf(suffix, sizeof suffix, " (%u)", n % 100000u);
    size_t keep = strlen(base);
    if (keep + strlen(suffix) > LM_DNS_LABEL_MAX) {
        /* Cut before a whole UTF-8 character, never inside one. */
        keep = LM_DNS_LABEL_MAX - strlen(suffix);
        while (keep > 0 && ((unsigned char)base[keep] & 0xc0) == 0x80)
            keep--;
    }
    base[keep] = '\0';
    snprintf(name, len, "%s%s", base, suffix);
}

static void conflict(lm_mdns *m, uint64_t now)
{
    /* §8.1: after 15 conflicts within ten seconds, wait five seconds. */
    if (now - m->conflict_window > 10000) {
        m->conflict_window = now;
        m->conflicts = 0;
    }
    m->conflicts++;
    lm_mdns_next_name(m->instance, sizeof m->instance);
    if (build_records(m) != 0) { /* cannot happen: next_name keeps 63 bytes */
        m->state = LM_MDNS_IDLE;
        return;
    }
    start_probing(m, now, m->conflicts > 15 ? 5000 : 0);
}

static void step_responder(lm_mdns *m, uint64_t now)
{
    if (m->state == LM_MDNS_PROBING) {
        if (m->step < 3) {
            send_probe(m);
            m->step++;
            m->next_step = now + 250;
            return;
        }
        m->state = LM_MDNS_ANNOUNCING;
        m->step = 0;
    }
    if (m->state == LM_MDNS_ANNOUNCING) {
        multicast_records(m, all_records(m), 0, 0, 0, now, 0, 0);
        if (++m->step >= 2) {
            m->state = LM_MDNS_ANNOUNCED;
            m->next_step = UINT64_MAX;
        } else {
            m->next_step = now + 1000;
        }
    }
}

int lm_mdns_announce(lm_mdns *m, const lm_mdns_config *c, uint64_t now, char *err, size_t errlen)
{
    char host[64];
    size_t l = c->instance ? strlen(c->instance) : 0;
    if (l == 0 || l > LM_DNS_LABEL_MAX) {
        lm_format(err, errlen, LM_M_DISC_BAD_NAME, c->instance ? c->instance : "",
                  l ? "longer than 63 bytes" : "empty");
        return -1;
    }
    if (c->txtlen > sizeof m->txt) {
        lm_format(err, errlen, LM_M_DISC_BAD_TXT);
        return -1;
    }
    if (c->host) {
        snprintf(host, sizeof host, "%s", c->host);
    } else if (lm_host_name(host, sizeof host) != 0 || !host[0]) {
        snprintf(host, sizeof host, "lanmsg");
    }
    host[strcspn(host, ".")] = '\0'; /* "alice.example.org" -> "alice" */
    snprintf(m->base, sizeof m->base, "%s", c->instance);
    snprintf(m->instance, sizeof m->instance, "%s", c->instance);
    m->port = c->port;
    if (c->txt && c->txtlen) {
        memcpy(m->txt, c->txt, c->txtlen);
        m->txtlen = c->txtlen;
    } else {
        m->txt[0] = 0; /* RFC 6763 §6.1: one empty string */
        m->txtlen = 1;
    }
    if (lm_dns_name_make(&m->n_enum, NULL, "_services._dns-sd._udp.local") != 0 ||
        lm_dns_name_make(&m->n_host, host, "local") != 0) {
        lm_format(err, errlen, LM_M_DISC_BAD_NAME, host, "not a valid DNS name");
        return -1;
    }
    /* service "_lanmsg._tcp" + ".local" */
    char svc[128];
    snprintf(svc, sizeof svc, "%s.local", c->service);
    if (lm_dns_name_make(&m->n_service, NULL, svc) != 0 || build_records(m) != 0) {
        lm_format(err, errlen, LM_M_DISC_BAD_NAME, c->instance, "too long with the service type");
        return -1;
    }
    start_probing(m, now, 0);
    return 0;
}

void lm_mdns_stop(lm_mdns *m)
{
    if (m->state == LM_MDNS_ANNOUNCING || m->state == LM_MDNS_ANNOUNCED) {
        /* Goodbye for this instance's own records. Not for the shared
         * enumeration PTR (another lanmsg on this host may still offer
         * the type) nor the host's addresses (other services use them). */
        uint32_t mask = (1u << R_PTR) | (1u << R_SRV) | (1u << R_TXT);
        multicast_records(m, mask, 0, 0, 0, lm_now_ms(), 0, 1);
    }
    if (m->state != LM_MDNS_IDLE)
        m->state = LM_MDNS_STOPPED;
    m->browsing = 0;
    m->pending = m->pending_add = 0;
    m->pending_nsec_an = m->pending_nsec_ar = 0;
}

/* ======================================================================
 * Answering queries
 * ==================================================================== */

static int is_ours(const lm_mdns *m, const lm_dns_rr *r)
{
    for (int i = 0; i < m->nrec; i++)
        if (m->rec[i].type == r->type && lm_dns_name_equal(&m->rec[i].name, &r->name) &&
            lm_dns_rr_same_data(&m->rec[i], r))
            return 1;
    return 0;
}

/* 1 when the sender is this host: unicast to a port that several
 * responders share (5353 with SO_REUSEPORT) reaches only one of them, so
 * answers for this host go by multicast. */
static int from_this_host(const lm_mdns *m, int v6, const uint8_t *a)
{
    static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (!v6 && a[0] == 127)
        return 1;
    if (v6 && memcmp(a, lo6, 16) == 0)
        return 1;
    for (int i = R_ADDR; i < m->nrec; i++)
        if ((m->rec[i].type == LM_DNS_AAAA) == (v6 != 0) &&
            memcmp(m->rec[i].addr, a, v6 ? 16 : 4) == 0)
            return 1;
    return 0;
}

/* A probe for our name from someone else while we probe too (§8.2): the
 * lexicographically later set of records wins; the loser waits a second
 * and probes again. Our own probe, looped back, compares equal. */
static void tiebreak(lm_mdns *m, const lm_dns_msg *q, uint64_t now)
{
    const lm_dns_rr *theirs[LM_DNS_MAX_RECORDS];
    int n = 0;
    for (int i = 0; i < q->nrr; i++)
        if (q->rr[i].section == LM_DNS_NS && lm_dns_name_equal(&q->rr[i].name, &m->n_instance))
            theirs[n++] = &q->rr[i];
    if (n == 0)
        return;
    for (int i = 1; i < n; i++) /* insertion sort: a handful of records */
        for (int j = i; j > 0 && lm_dns_rr_compare(theirs[j - 1], theirs[j]) > 0; j--) {
            const lm_dns_rr *t = theirs[j];
            theirs[j] = theirs[j - 1];
            theirs[j - 1] = t;
        }
    const lm_dns_rr *ours[2] = {&m->rec[R_TXT], &m->rec[R_SRV]}; /* TXT (16) < SRV (33) */
    for (int i = 0; i < n || i < 2; i++) {
        if (i >= n)
            return; /* ours has more: ours is later, we win */
        if (i >= 2) {
            start_probing(m, now, 1000);
            return;
        }
        int c = lm_dns_rr_compare(ours[i], theirs[i]);
        if (c > 0)
            return;
        if (c < 0) {
            start_probing(m, now, 1000);
            return;
        }
    }
}

static void handle_query(lm_mdns *m, const lm_dns_msg *q, const lm_mcast_peer *from, uint64_t now)
{
    uint32_t ans_m = 0, ans_u = 0, add = 0;
    int nsec_an = 0, nsec_ar = 0, probe = 0;

    if (m->state == LM_MDNS_PROBING) {
        tiebreak(m, q, now);
        return;
    }
    if (m->state != LM_MDNS_ANNOUNCING && m->state != LM_MDNS_ANNOUNCED)
        return;

    for (int i = 0; i < q->nq; i++) {
        const lm_dns_question *qu = &q->q[i];
        uint32_t a = 0;
        int neg = 0;
        if (qu->cls != LM_DNS_CLASS_IN && qu->cls != LM_DNS_ANY)
            continue;
        int any = qu->type == LM_DNS_ANY;
        if (lm_dns_name_equal(&qu->name, &m->n_service) && (any || qu->type == LM_DNS_PTR)) {
            /* RFC 6763 §12.1: SRV, TXT and addresses come along. */
            a |= 1u << R_PTR;
            add |= (1u << R_SRV) | (1u << R_TXT) | addr_mask(m, LM_DNS_ANY);
            if (!has_type(m, LM_DNS_AAAA) || !has_type(m, LM_DNS_A))
                nsec_ar |= NSEC_HOST;
        } else if (lm_dns_name_equal(&qu->name, &m->n_enum) && (any || qu->type == LM_DNS_PTR)) {
            a |= 1u << R_ENUM;
        } else if (lm_dns_name_equal(&qu->name, &m->n_instance)) {
            if (any || qu->type == LM_DNS_SRV)
                a |= 1u << R_SRV;
            if (any || qu->type == LM_DNS_TXT)
                a |= 1u << R_TXT;
            if (!a)
                neg = NSEC_INSTANCE;
            add |= addr_mask(m, LM_DNS_ANY);
            /* A query with our name in its authority section is a probe:
             * defend at once, by multicast (§8.1, §6.2's 250 ms rule). */
            for (int k = 0; k < q->nrr; k++)
                if (q->rr[k].section == LM_DNS_NS &&
                    lm_dns_name_equal(&q->rr[k].name, &m->n_instance) && !is_ours(m, &q->rr[k]))
                    probe = 1;
        } else if (lm_dns_name_equal(&qu->name, &m->n_host)) {
            if (any || qu->type == LM_DNS_A || qu->type == LM_DNS_AAAA)
                a |= addr_mask(m, qu->type);
            if (!a)
                neg = NSEC_HOST;
        }
        if (!a && !neg)
            continue;
        nsec_an |= neg;
        /* QU (§5.4): unicast, unless the record has not been multicast
         * within a quarter of its TTL, or the asker is on this host. */
        int uni = qu->unicast && !probe && !from_this_host(m, from->v6, from->addr);
        for (int r = 0; r < m->nrec && uni; r++)
            if ((a & (1u << r)) &&
                (!m->last_mcast[r] || now - m->last_mcast[r] > m->rec[r].ttl * 250u))
                uni = 0;
        if (uni)
            ans_u |= a;
        else
            ans_m |= a;
    }

    /* Known-answer suppression (§7.1): the asker holds it with at least
     * half its TTL left. */
    for (int k = 0; k < q->nrr; k++) {
        const lm_dns_rr *kr = &q->rr[k];
        if (kr->section != LM_DNS_AN)
            continue;
        for (int r = 0; r < m->nrec; r++)
            if (m->rec[r].type == kr->type && lm_dns_name_equal(&m->rec[r].name, &kr->name) &&
                lm_dns_rr_same_data(&m->rec[r], kr) && kr->ttl >= m->rec[r].ttl / 2) {
                ans_m &= ~(1u << r);
                ans_u &= ~(1u << r);
                add &= ~(1u << r);
            }
    }
    if (!ans_m && !ans_u && !nsec_an)
        return;

    if (from->port != LM_MDNS_PORT) {
        /* Legacy unicast (§6.7): a plain DNS client. Echo the ID and the
         * questions, answer to its port, TTL at most 10 s. */
        lm_dns_builder b;
        lm_dns_build_init(&b, m->tx, sizeof m->tx, q->id, LM_DNS_FLAG_RESPONSE | LM_DNS_FLAG_AA);
        for (int i = 0; i < q->nq; i++)
            lm_dns_build_question(&b, &q->q[i]);
        size_t len = build_response(m, &b, ans_m | ans_u, add, nsec_an, nsec_ar, 10, 0);
        lm_mdns__send(m, len, from);
        return;
    }
    if (ans_u) {
        lm_dns_builder b;
        lm_dns_build_init(&b, m->tx, sizeof m->tx, 0, LM_DNS_FLAG_RESPONSE | LM_DNS_FLAG_AA);
        lm_mdns__send(m, build_response(m, &b, ans_u, add, 0, nsec_ar, 0, 0), from);
        if (!ans_m && !nsec_an)
            return;
    }
    if (probe) {
        multicast_records(m, ans_m, add, nsec_an, nsec_ar, now, 250, 0);
        return;
    }
    /* Shared records (PTR) wait 20-120 ms so that answers from several
     * responders do not collide (§6); a truncated query 400-500 ms, for the
     * rest of its known answers (§7.2). Unique records go at once. */
    uint64_t delay = 0;
    if (ans_m & ((1u << R_PTR) | (1u << R_ENUM)))
        delay = 20 + lm_mdns__rnd(m, 101);
    if (q->flags & LM_DNS_FLAG_TC)
        delay = 400 + lm_mdns__rnd(m, 101);
    if (delay == 0) {
        multicast_records(m, ans_m, add, nsec_an, nsec_ar, now, 1000, 0);
        return;
    }
    if (!(m->pending | (uint32_t)m->pending_nsec_an) || now + delay < m->pending_at)
        m->pending_at = now + delay;
    m->pending |= ans_m;
    m->pending_add |= add;
    m->pending_nsec_an |= nsec_an;
    m->pending_nsec_ar |= nsec_ar;
}

/* ======================================================================
 * Hearing responses: conflicts (what the browser gathers is in mdns_browse.c)
 * ==================================================================== */

static void check_conflict(lm_mdns *m, const lm_dns_msg *r, uint64_t now)
{
    if (m->state != LM_MDNS_PROBING && m->state != LM_MDNS_ANNOUNCING &&
        m->state != LM_MDNS_ANNOUNCED)
        return;
    for (int i = 0; i < r->nrr; i++) {
        const lm_dns_rr *rr = &r->rr[i];
        if (!lm_dns_name_equal(&rr->name, &m->n_instance) || rr->type == LM_DNS_NSEC)
            continue;
        if (is_ours(m, rr))
            continue; /* our own answer, looped back, or a cache repeating it */
        /* While probing, any other record with our name is a conflict
         * (§8.1); afterwards, a unique record of ours with other data
         * (§9). A goodbye for data that is not ours is no claim. */
        if (rr->ttl == 0)
            continue;
        if (m->state == LM_MDNS_PROBING || rr->type == LM_DNS_SRV || rr->type == LM_DNS_TXT) {
            conflict(m, now);
            return;
        }
    }
}

/* ======================================================================
 * The loop's entry points
 * ==================================================================== */

void lm_mdns_handle_packet(lm_mdns *m, const uint8_t *pkt, size_t len, int v6,
                           const uint8_t addr[16], uint16_t from_port, uint64_t now)
{
    lm_mcast_peer from = {.v6 = v6, .port = from_port};
    memcpy(from.addr, addr, v6 ? 16 : 4);
    if (lm_dns_parse(pkt, len, &m->msg) != 0)
        return; /* malformed: dropped, nothing else changes */
    const lm_dns_msg *msg = &m->msg;
    if ((msg->flags & LM_DNS_OPCODE_MASK) != 0)
        return; /* §18.3: only standard queries and responses */
    if (msg->flags & LM_DNS_FLAG_RESPONSE) {
        if (from_port != LM_MDNS_PORT || (msg->flags & LM_DNS_RCODE_MASK) != 0)
            return; /* §11, §18.11 */
        check_conflict(m, msg, now);
        if (m->browsing)
            lm_mdns__gather(m, msg, now);
        return;
    }
    handle_query(m, msg, &from, now);
}

void lm_mdns_on_readable(lm_mdns *m, lm_sock s, uint64_t now)
{
    /* A bounded number of datagrams per call, so a flood cannot starve the
     * connections on the same loop; a level-triggered poller calls again. */
    for (int i = 0; i < READS_PER_CALL; i++) {
        lm_mcast_peer from;
        long n = lm_mcast_recv(s, m->rx, sizeof m->rx, &from);
        if (n < 0)
            return;
        lm_mdns_handle_packet(m, m->rx, (size_t)n, from.v6, from.addr, from.port, now);
    }
}

uint64_t lm_mdns_next_deadline(const lm_mdns *m)
{
    uint64_t t = UINT64_MAX;
    if (m->state == LM_MDNS_PROBING || m->state == LM_MDNS_ANNOUNCING)
        t = m->next_step;
    if ((m->pending || m->pending_nsec_an) && m->pending_at < t)
        t = m->pending_at;
    if (m->browsing && m->queries < MAX_QUERIES && m->next_query < t)
        t = m->next_query;
    return t;
}

void lm_mdns_on_timer(lm_mdns *m, uint64_t now)
{
    if ((m->state == LM_MDNS_PROBING || m->state == LM_MDNS_ANNOUNCING) && now >= m->next_step)
        step_responder(m, now);
    if ((m->pending || m->pending_nsec_an) && now >= m->pending_at) {
        multicast_records(m, m->pending, m->pending_add, m->pending_nsec_an, m->pending_nsec_ar,
                          now, 1000, 0);
        m->pending = m->pending_add = 0;
        m->pending_nsec_an = m->pending_nsec_ar = 0;
    }
    if (m->browsing && m->queries < MAX_QUERIES && now >= m->next_query) {
        lm_mdns__send_query(m, now);
        m->queries++;
        m->next_query = now + m->query_gap;
        m->query_gap *= 2; /* §5.2: 1 s, 2 s, 4 s... */
    }
}
