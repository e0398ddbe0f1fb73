/* lanmsg's built-in mDNS browser (see mdns.h): asks for a service type's
 * PTR, again after 1, 2, 4... s (RFC 6762 §5.2) with the PTRs it already
 * holds as known answers (§7.1), asks for what a found instance still lacks
 * (SRV, TXT, addresses), and gathers PTR/SRV/TXT/A/AAAA from every response
 * it hears, announcements included. A goodbye (TTL 0) drops an instance. */
#include "mdns.h"
#include "mdns_int.h"
#include "mdns_wire.h"

#include <stdio.h>
#include <string.h>

static found *find_instance(lm_mdns *m, const lm_dns_name *n, int create, uint64_t now)
{
    for (int i = 0; i < m->nfound; i++)
        if (lm_dns_name_equal(&m->found[i].name, n))
            return &m->found[i];
    if (!create || m->nfound == LM_MDNS_MAX_FOUND)
        return NULL;
    found *f = &m->found[m->nfound++];
    memset(f, 0, sizeof *f);
    f->name = *n;
    f->ptr_seen = now;
    lm_dns_name_child_of(n, &m->b_service, f->pub.instance, sizeof f->pub.instance);
    return f;
}

static void drop_instance(lm_mdns *m, found *f)
{
    size_t i = (size_t)(f - m->found);
    memmove(&m->found[i], &m->found[i + 1], (size_t)(m->nfound - 1 - (int)i) * sizeof *f);
    m->nfound--;
}

void lm_mdns__gather(lm_mdns *m, const lm_dns_msg *r, uint64_t now)
{
    for (int i = 0; i < r->nrr; i++) {
        const lm_dns_rr *rr = &r->rr[i];
        if (rr->cls != LM_DNS_CLASS_IN)
            continue;
        if (rr->type == LM_DNS_PTR && lm_dns_name_equal(&rr->name, &m->b_service)) {
            if (!lm_dns_name_child_of(&rr->target, &m->b_service, NULL, 0))
                continue;
            if (m->b_instance.len && !lm_dns_name_equal(&rr->target, &m->b_instance))
                continue;
            found *f = find_instance(m, &rr->target, rr->ttl != 0, now);
            if (f && rr->ttl == 0) {
                drop_instance(m, f); /* goodbye */
            } else if (f) {
                f->ptr_ttl = rr->ttl;
                f->ptr_seen = now;
            }
        } else if (rr->type == LM_DNS_SRV || rr->type == LM_DNS_TXT) {
            if (!lm_dns_name_child_of(&rr->name, &m->b_service, NULL, 0))
                continue;
            if (m->b_instance.len && !lm_dns_name_equal(&rr->name, &m->b_instance))
                continue;
            /* An SRV/TXT without a PTR seen yet still names an instance:
             * a lookup of one instance asks for its SRV directly. */
            found *f = find_instance(m, &rr->name, rr->ttl != 0, now);
            if (!f)
                continue;
            if (rr->ttl == 0) {
                drop_instance(m, f);
            } else if (rr->type == LM_DNS_SRV) {
                f->have_srv = 1;
                f->host = rr->target;
                f->pub.port = rr->srv_port;
                lm_dns_name_text(&rr->target, f->pub.host, sizeof f->pub.host);
            } else {
                size_t l = rr->rdlen < sizeof f->pub.txt ? rr->rdlen : sizeof f->pub.txt;
                memcpy(f->pub.txt, rr->rdata, l);
                f->pub.txtlen = (uint16_t)l;
                f->have_txt = 1;
            }
        } else if (rr->type == LM_DNS_A || rr->type == LM_DNS_AAAA) {
            int v6 = rr->type == LM_DNS_AAAA, known = 0;
            for (int k = 0; k < m->nhosts; k++)
                if (m->hosts[k].v6 == v6 && lm_dns_name_equal(&m->hosts[k].name, &rr->name) &&
                    memcmp(m->hosts[k].a, rr->addr, v6 ? 16 : 4) == 0)
                    known = 1;
            if (!known && rr->ttl != 0 && m->nhosts < MAX_HOSTS) {
                hostaddr *h = &m->hosts[m->nhosts++];
                h->name = rr->name;
                h->v6 = v6;
                memcpy(h->a, rr->addr, 16);
            }
        }
    }
}

/* ======================================================================
 * Browsing
 * ==================================================================== */

int lm_mdns_browse(lm_mdns *m, const char *service, const char *instance, uint64_t now)
{
    char svc[128];
    snprintf(svc, sizeof svc, "%s.local", service);
    if (lm_dns_name_make(&m->b_service, NULL, svc) != 0)
        return -1;
    m->b_instance.len = 0;
    if (instance && *instance) {
        lm_dns_name inst;
        if (lm_dns_name_make(&inst, instance, NULL) != 0 ||
            (size_t)inst.len - 1 + m->b_service.len > LM_DNS_NAME_MAX)
            return -1;
        memcpy(m->b_instance.b, inst.b, inst.len - 1u);
        memcpy(m->b_instance.b + inst.len - 1, m->b_service.b, m->b_service.len);
        m->b_instance.len = (uint8_t)(inst.len - 1 + m->b_service.len);
    }
    m->browsing = 1;
    m->queries = 0;
    m->query_gap = 1000;
    m->next_query = now + lm_mdns__rnd(m, 120) + 20; /* §5.2: 20-120 ms before the first */
    return 0;
}

void lm_mdns__send_query(lm_mdns *m, uint64_t now)
{
    lm_dns_builder b;
    lm_dns_build_init(&b, m->tx, sizeof m->tx, 0, 0);
    lm_dns_question q = {.name = m->b_service, .type = LM_DNS_PTR, .cls = LM_DNS_CLASS_IN};
    lm_dns_build_question(&b, &q);
    if (m->b_instance.len) {
        q.name = m->b_instance;
        q.type = LM_DNS_SRV;
        lm_dns_build_question(&b, &q);
        q.type = LM_DNS_TXT;
        lm_dns_build_question(&b, &q);
    }
    /* Ask again for what a found instance still lacks. */
    for (int i = 0; i < m->nfound; i++) {
        found *f = &m->found[i];
        if (!f->have_srv || !f->have_txt) {
            q.name = f->name;
            q.type = LM_DNS_ANY;
            lm_dns_build_question(&b, &q);
        } else {
            int has_addr = 0;
            for (int k = 0; k < m->nhosts; k++)
                has_addr |= lm_dns_name_equal(&m->hosts[k].name, &f->host);
            if (!has_addr) {
                q.name = f->host;
                q.type = LM_DNS_ANY;
                lm_dns_build_question(&b, &q);
            }
        }
    }
    /* Known answers (§7.1): PTRs with more than half their TTL left. */
    for (int i = 0; i < m->nfound; i++) {
        found *f = &m->found[i];
        uint64_t age = (now - f->ptr_seen) / 1000;
        if (!f->ptr_ttl || age * 2 >= f->ptr_ttl)
            continue;
        lm_dns_rr r;
        memset(&r, 0, sizeof r);
        r.name = m->b_service;
        r.type = LM_DNS_PTR;
        r.cls = LM_DNS_CLASS_IN;
        r.ttl = f->ptr_ttl - (uint32_t)age;
        r.target = f->name;
        lm_dns_build_rr(&b, LM_DNS_AN, &r);
    }
    lm_mdns__send(m, lm_dns_build_finish(&b), NULL);
}

int lm_mdns_results(const lm_mdns *m, lm_mdns_found *out, int max)
{
    int n = 0;
    for (int i = 0; i < m->nfound && n < max; i++) {
        const found *f = &m->found[i];
        if (!f->have_srv)
            continue;
        out[n] = f->pub;
        out[n].naddr = 0;
        for (int k = 0; k < m->nhosts && out[n].naddr < LM_MDNS_MAX_ADDRS; k++) {
            if (!lm_dns_name_equal(&m->hosts[k].name, &f->host))
                continue;
            out[n].addr[out[n].naddr].v6 = m->hosts[k].v6;
            memcpy(out[n].addr[out[n].naddr].b, m->hosts[k].a, 16);
            out[n].naddr++;
        }
        n++;
    }
    return n;
}
