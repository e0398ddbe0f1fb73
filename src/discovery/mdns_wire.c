/* lanmsg DNS message codec for multicast DNS: see mdns_wire.h.
 *
 * The parser trusts nothing: every byte read is checked against the packet
 * length first, through the small get_* helpers below, and every loop is
 * bounded by the packet length or a fixed count. */
#include "mdns_wire.h"

#include <stdio.h>
#include <string.h>

#define MAX_JUMPS 32 /* compression pointers followed in one name */

/* ======================================================================
 * Reading
 * ==================================================================== */

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Read a possibly compressed name at *pos into n (uncompressed). *pos moves
 * past the name as it appears at *pos (its pointer, if it has one). Each
 * pointer must land before the start of the run of labels that led to it,
 * so positions strictly decrease from jump to jump and no loop is possible;
 * MAX_JUMPS bounds the work further. */
static int read_name(const uint8_t *pkt, size_t len, size_t *pos, lm_dns_name *n)
{
    size_t p = *pos, run_start = *pos, after = 0;
    int jumps = 0;
    n->len = 0;
    for (;;) {
        if (p >= len)
            return -1;
        uint8_t c = pkt[p];
        if (c == 0) {
            if (n->len + 1 > LM_DNS_NAME_MAX)
                return -1;
            n->b[n->len++] = 0;
            *pos = jumps ? after : p + 1;
            return 0;
        }
        if ((c & 0xc0) == 0xc0) {
            if (p + 1 >= len || ++jumps > MAX_JUMPS)
                return -1;
            size_t target = ((size_t)(c & 0x3f) << 8) | pkt[p + 1];
            if (target >= run_start)
                return -1; /* forwards, or onto itself: a loop in the making */
            if (jumps == 1)
                after = p + 2;
            p = run_start = target;
            continue;
        }
        if (c & 0xc0)
            return -1; /* 0x40 and 0x80: extended label types, never used */
        if (p + 1 + c > len || (size_t)n->len + 1 + c + 1 > LM_DNS_NAME_MAX)
            return -1;
        memcpy(n->b + n->len, pkt + p, (size_t)c + 1);
        n->len = (uint8_t)(n->len + 1 + c);
        p += 1 + (size_t)c;
    }
}

/* Decode the data of the record types mDNS service discovery uses. The
 * names inside may be compressed against the whole packet, and must end
 * exactly where the record's data ends. */
static int parse_rdata(const uint8_t *pkt, size_t len, size_t off, lm_dns_rr *rr)
{
    size_t end = off + rr->rdlen, p = off;
    if (end > len)
        return -1;
    switch (rr->type) {
    case LM_DNS_A:
        if (rr->rdlen != 4)
            return -1;
        memcpy(rr->addr, pkt + off, 4);
        return 0;
    case LM_DNS_AAAA:
        if (rr->rdlen != 16)
            return -1;
        memcpy(rr->addr, pkt + off, 16);
        return 0;
    case LM_DNS_PTR:
        if (read_name(pkt, end, &p, &rr->target) != 0 || p != end)
            return -1;
        return 0;
    case LM_DNS_SRV:
        if (rr->rdlen < 7)
            return -1;
        rr->srv_priority = get16(pkt + off);
        rr->srv_weight = get16(pkt + off + 2);
        rr->srv_port = get16(pkt + off + 4);
        p = off + 6;
        if (read_name(pkt, end, &p, &rr->target) != 0 || p != end)
            return -1;
        return 0;
    case LM_DNS_TXT:
        /* A sequence of length-prefixed strings that fills the data. */
        while (p < end) {
            p += 1 + (size_t)pkt[p];
            if (p > end)
                return -1;
        }
        return 0;
    case LM_DNS_NSEC:
        if (read_name(pkt, end, &p, &rr->target) != 0)
            return -1;
        memset(rr->nsec_types, 0, sizeof rr->nsec_types);
        while (p < end) {
            if (p + 2 > end)
                return -1;
            unsigned window = pkt[p], blen = pkt[p + 1];
            /* RFC 4034 wants 1..32; an empty block (python-zeroconf 0.47
             * writes one before the real one) says nothing: accept it. */
            if (blen > 32 || p + 2 + blen > end)
                return -1;
            if (window == 0)
                memcpy(rr->nsec_types, pkt + p + 2, blen);
            p += 2 + blen;
        }
        return 0;
    default:
        return 0; /* kept as raw rdata only */
    }
}

int lm_dns_parse(const uint8_t *pkt, size_t len, lm_dns_msg *m)
{
    m->nq = m->nrr = m->partial = 0;
    if (len < LM_DNS_HEADER_LEN)
        return -1;
    m->id = get16(pkt);
    m->flags = get16(pkt + 2);
    for (int i = 0; i < 4; i++)
        m->declared[i] = get16(pkt + 4 + 2 * i);

    size_t p = LM_DNS_HEADER_LEN;
    for (unsigned i = 0; i < m->declared[LM_DNS_QD]; i++) {
        if (m->nq == LM_DNS_MAX_QUESTIONS) {
            m->partial = 1;
            return 0;
        }
        lm_dns_question *q = &m->q[m->nq];
        if (read_name(pkt, len, &p, &q->name) != 0 || p + 4 > len)
            return -1;
        q->type = get16(pkt + p);
        uint16_t cls = get16(pkt + p + 2);
        q->cls = cls & LM_DNS_CLASS_MASK;
        q->unicast = (cls & 0x8000) != 0;
        p += 4;
        m->nq++;
    }
    for (int s = LM_DNS_AN; s <= LM_DNS_AR; s++) {
        for (unsigned i = 0; i < m->declared[s]; i++) {
            if (m->nrr == LM_DNS_MAX_RECORDS) {
                m->partial = 1;
                return 0;
            }
            lm_dns_rr *rr = &m->rr[m->nrr];
            if (read_name(pkt, len, &p, &rr->name) != 0 || p + 10 > len)
                return -1;
            rr->type = get16(pkt + p);
            uint16_t cls = get16(pkt + p + 2);
            rr->cls = cls & LM_DNS_CLASS_MASK;
            rr->cache_flush = (cls & 0x8000) != 0;
            rr->ttl = get32(pkt + p + 4);
            rr->rdlen = get16(pkt + p + 8);
            rr->section = s;
            p += 10;
            if (p + rr->rdlen > len)
                return -1;
            rr->rdata = pkt + p;
            rr->target.len = 0;
            if (parse_rdata(pkt, len, p, rr) != 0)
                return -1;
            p += rr->rdlen;
            m->nrr++;
        }
    }
    return 0;
}

/* ======================================================================
 * Names
 * ==================================================================== */

static int add_label(lm_dns_name *n, const char *s, size_t l)
{
    if (l == 0 || l > LM_DNS_LABEL_MAX || (size_t)n->len + 1 + l + 1 > LM_DNS_NAME_MAX)
        return -1;
    n->b[n->len] = (uint8_t)l;
    memcpy(n->b + n->len + 1, s, l);
    n->len = (uint8_t)(n->len + 1 + l);
    return 0;
}

int lm_dns_name_make(lm_dns_name *n, const char *label, const char *dotted)
{
    n->len = 0;
    if (label && add_label(n, label, strlen(label)) != 0)
        return -1;
    while (dotted && *dotted) {
        const char *dot = strchr(dotted, '.');
        size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);
        if (add_label(n, dotted, l) != 0)
            return -1;
        dotted += l + (dot != NULL);
    }
    n->b[n->len++] = 0;
    return 0;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Wire-form names compare byte by byte once case is folded: the length
 * bytes (< 64) are never letters, so they compare as themselves. */
static int bytes_equal_nocase(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return 0;
    return 1;
}

int lm_dns_name_equal(const lm_dns_name *a, const lm_dns_name *b)
{
    return a->len == b->len && bytes_equal_nocase(a->b, b->b, a->len);
}

int lm_dns_name_child_of(const lm_dns_name *n, const lm_dns_name *parent, char *label,
                         size_t labellen)
{
    if (n->len == 0 || parent->len == 0 || n->b[0] == 0)
        return 0;
    size_t l = n->b[0];
    if (1 + l + parent->len != n->len || !bytes_equal_nocase(n->b + 1 + l, parent->b, parent->len))
        return 0;
    if (label && labellen) {
        size_t c = l < labellen - 1 ? l : labellen - 1;
        memcpy(label, n->b + 1, c);
        label[c] = '\0';
    }
    return 1;
}

void lm_dns_name_text(const lm_dns_name *n, char *buf, size_t len)
{
    size_t o = 0, p = 0;
    if (!len)
        return;
    buf[0] = '\0';
    while (p < n->len && n->b[p] != 0) {
        size_t l = n->b[p++];
        for (size_t i = 0; i < l && p < n->len; i++, p++) {
            uint8_t c = n->b[p];
            char tmp[5];
            if (c == '.' || c == '\\')
                snprintf(tmp, sizeof tmp, "\\%c", c);
            else if (c < 0x20 || c == 0x7f)
                snprintf(tmp, sizeof tmp, "\\%03u", c);
            else
                snprintf(tmp, sizeof tmp, "%c", c);
            for (const char *t = tmp; *t && o + 1 < len; t++)
                buf[o++] = *t;
        }
        if (o + 1 < len)
            buf[o++] = '.';
    }
    buf[o] = '\0';
}

/* ======================================================================
 * Records compared
 * ==================================================================== */

/* The rdata as it would be written uncompressed: names inside it are
 * expanded, so a compressed and an uncompressed copy compare equal. */
static size_t canonical_rdata(const lm_dns_rr *rr, uint8_t *out, size_t cap)
{
    size_t o = 0;
    switch (rr->type) {
    case LM_DNS_SRV:
        if (cap < 6 + (size_t)rr->target.len)
            return 0;
        out[0] = (uint8_t)(rr->srv_priority >> 8), out[1] = (uint8_t)rr->srv_priority;
        out[2] = (uint8_t)(rr->srv_weight >> 8), out[3] = (uint8_t)rr->srv_weight;
        out[4] = (uint8_t)(rr->srv_port >> 8), out[5] = (uint8_t)rr->srv_port;
        o = 6;
        /* fall through */
    case LM_DNS_PTR:
        if (cap < o + rr->target.len)
            return 0;
        for (size_t i = 0; i < rr->target.len; i++)
            out[o + i] = (uint8_t)lower(rr->target.b[i]);
        return o + rr->target.len;
    case LM_DNS_A:
        memcpy(out, rr->addr, 4);
        return 4;
    case LM_DNS_AAAA:
        memcpy(out, rr->addr, 16);
        return 16;
    default:
        if (!rr->rdata || rr->rdlen > cap)
            return 0;
        memcpy(out, rr->rdata, rr->rdlen);
        return rr->rdlen;
    }
}

int lm_dns_rr_compare(const lm_dns_rr *a, const lm_dns_rr *b)
{
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    uint8_t da[512], db[512];
    size_t la = canonical_rdata(a, da, sizeof da), lb = canonical_rdata(b, db, sizeof db);
    size_t n = la < lb ? la : lb;
    int c = memcmp(da, db, n);
    if (c != 0)
        return c < 0 ? -1 : 1;
    return la == lb ? 0 : (la < lb ? -1 : 1);
}

int lm_dns_rr_same_data(const lm_dns_rr *a, const lm_dns_rr *b)
{
    return lm_dns_rr_compare(a, b) == 0;
}

/* ======================================================================
 * TXT
 * ==================================================================== */

int lm_dns_txt_build(uint8_t *out, size_t cap, const char *const *kv, int n)
{
    size_t o = 0;
    if (n == 0) {
        if (cap < 1)
            return -1;
        out[0] = 0;
        return 1;
    }
    for (int i = 0; i < n; i++) {
        size_t l = strlen(kv[i]);
        if (l > 255 || o + 1 + l > cap || o + 1 + l > 65535)
            return -1;
        out[o] = (uint8_t)l;
        memcpy(out + o + 1, kv[i], l);
        o += 1 + l;
    }
    return (int)o;
}

int lm_dns_txt_get(const uint8_t *rdata, size_t len, const char *key, char *val, size_t vallen)
{
    size_t klen = strlen(key), p = 0;
    while (p < len) {
        size_t l = rdata[p];
        const uint8_t *s = rdata + p + 1;
        if (p + 1 + l > len)
            return 0;
        p += 1 + l;
        /* RFC 6763 §6.4: keys compare case-insensitively; the first wins. */
        if (l < klen || !bytes_equal_nocase(s, (const uint8_t *)key, klen))
            continue;
        if (l > klen && s[klen] != '=')
            continue;
        if (val && vallen) {
            size_t vl = l > klen ? l - klen - 1 : 0;
            if (vl > vallen - 1)
                vl = vallen - 1;
            memcpy(val, s + klen + 1, vl);
            val[vl] = '\0';
        }
        return 1;
    }
    return 0;
}

/* ======================================================================
 * Building
 * ==================================================================== */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void lm_dns_build_init(lm_dns_builder *b, uint8_t *buf, size_t cap, uint16_t id, uint16_t flags)
{
    memset(b, 0, sizeof *b);
    b->buf = buf;
    b->cap = cap;
    if (cap < LM_DNS_HEADER_LEN) {
        b->failed = 1;
        return;
    }
    memset(buf, 0, LM_DNS_HEADER_LEN);
    put16(buf, id);
    put16(buf + 2, flags);
    b->len = LM_DNS_HEADER_LEN;
}

static int room(lm_dns_builder *b, size_t n)
{
    return b->len + n <= b->cap;
}

/* Write a name, pointing at an earlier copy of its longest suffix that the
 * packet already holds. Suffixes are compared by reading the earlier copy
 * back with the same checked reader the parser uses. */
static int write_name(lm_dns_builder *b, const lm_dns_name *n)
{
    size_t offs[LM_DNS_NAME_MAX / 2];
    int nl = 0;
    for (size_t p = 0; p < n->len && n->b[p] != 0; p += 1 + n->b[p])
        offs[nl++] = p;
    for (int i = 0; i <= nl; i++) {
        size_t sp = i < nl ? offs[i] : (size_t)n->len - 1;
        if (i < nl) {
            for (int k = 0; k < b->ncomp; k++) {
                lm_dns_name prev;
                size_t at = b->comp[k];
                if (read_name(b->buf, b->len, &at, &prev) != 0)
                    continue;
                if (prev.len == n->len - sp && bytes_equal_nocase(prev.b, n->b + sp, prev.len)) {
                    if (!room(b, sp + 2))
                        return -1;
                    memcpy(b->buf + b->len, n->b, sp);
                    for (int j = 0; j < i; j++)
                        if (b->len + offs[j] < 0x3fff && b->ncomp < (int)(sizeof b->comp / 2))
                            b->comp[b->ncomp++] = (uint16_t)(b->len + offs[j]);
                    b->len += sp;
                    put16(b->buf + b->len, (uint16_t)(0xc000 | b->comp[k]));
                    b->len += 2;
                    return 0;
                }
            }
            continue;
        }
        /* No suffix is in the packet yet: write it whole. */
        if (!room(b, n->len))
            return -1;
        memcpy(b->buf + b->len, n->b, n->len);
        for (int j = 0; j < nl; j++)
            if (b->len + offs[j] < 0x3fff && b->ncomp < (int)(sizeof b->comp / 2))
                b->comp[b->ncomp++] = (uint16_t)(b->len + offs[j]);
        b->len += n->len;
        return 0;
    }
    return -1;
}

/* Undo a partly written entry, so a packet that ran out of room still holds
 * whole records only. */
static int rollback(lm_dns_builder *b, size_t len, int ncomp)
{
    b->len = len;
    b->ncomp = ncomp;
    b->failed = 1;
    return -1;
}

int lm_dns_build_question(lm_dns_builder *b, const lm_dns_question *q)
{
    size_t len0 = b->len;
    int ncomp0 = b->ncomp;
    if (b->section > LM_DNS_QD || b->cap < LM_DNS_HEADER_LEN || q->name.len == 0)
        return rollback(b, len0, ncomp0);
    if (write_name(b, &q->name) != 0 || !room(b, 4))
        return rollback(b, len0, ncomp0);
    put16(b->buf + b->len, q->type);
    put16(b->buf + b->len + 2, (uint16_t)(q->cls | (q->unicast ? 0x8000 : 0)));
    b->len += 4;
    b->counts[LM_DNS_QD]++;
    return 0;
}

int lm_dns_build_rr(lm_dns_builder *b, int section, const lm_dns_rr *rr)
{
    size_t len0 = b->len;
    int ncomp0 = b->ncomp;
    if (section < b->section || section < LM_DNS_AN || section > LM_DNS_AR ||
        b->cap < LM_DNS_HEADER_LEN || rr->name.len == 0)
        return rollback(b, len0, ncomp0);
    if (write_name(b, &rr->name) != 0 || !room(b, 10))
        return rollback(b, len0, ncomp0);
    uint8_t *h = b->buf + b->len;
    put16(h, rr->type);
    put16(h + 2, (uint16_t)(rr->cls | (rr->cache_flush ? 0x8000 : 0)));
    put16(h + 4, (uint16_t)(rr->ttl >> 16));
    put16(h + 6, (uint16_t)rr->ttl);
    b->len += 10;
    size_t start = b->len;
    switch (rr->type) {
    case LM_DNS_A:
    case LM_DNS_AAAA: {
        size_t n = rr->type == LM_DNS_A ? 4 : 16;
        if (!room(b, n))
            return rollback(b, len0, ncomp0);
        memcpy(b->buf + b->len, rr->addr, n);
        b->len += n;
        break;
    }
    case LM_DNS_SRV:
        if (!room(b, 6))
            return rollback(b, len0, ncomp0);
        put16(b->buf + b->len, rr->srv_priority);
        put16(b->buf + b->len + 2, rr->srv_weight);
        put16(b->buf + b->len + 4, rr->srv_port);
        b->len += 6;
        /* fall through */ /* then the target, compressed like a PTR's */
    case LM_DNS_PTR:
        if (rr->target.len == 0 || write_name(b, &rr->target) != 0)
            return rollback(b, len0, ncomp0);
        break;
    case LM_DNS_NSEC: {
        /* Next name uncompressed (RFC 4034 §4.1.1), then window 0 only:
         * mDNS asserts the absence of types below 256 (RFC 6762 §6.1). */
        int last = -1;
        for (int i = 0; i < 32; i++)
            if (rr->nsec_types[i])
                last = i;
        size_t n = rr->target.len + (last >= 0 ? 2 + (size_t)last + 1 : 0);
        if (rr->target.len == 0 || !room(b, n))
            return rollback(b, len0, ncomp0);
        memcpy(b->buf + b->len, rr->target.b, rr->target.len);
        b->len += rr->target.len;
        if (last >= 0) {
            b->buf[b->len] = 0;
            b->buf[b->len + 1] = (uint8_t)(last + 1);
            memcpy(b->buf + b->len + 2, rr->nsec_types, (size_t)last + 1);
            b->len += 2 + (size_t)last + 1;
        }
        break;
    }
    default:
        if (!room(b, rr->rdlen) || (rr->rdlen && !rr->rdata))
            return rollback(b, len0, ncomp0);
        if (rr->rdlen)
            memcpy(b->buf + b->len, rr->rdata, rr->rdlen);
        b->len += rr->rdlen;
        break;
    }
    put16(b->buf + start - 2, (uint16_t)(b->len - start));
    b->section = section;
    b->counts[section]++;
    return 0;
}

size_t lm_dns_build_finish(lm_dns_builder *b)
{
    if (b->cap < LM_DNS_HEADER_LEN)
        return 0;
    for (int i = 0; i < 4; i++)
        put16(b->buf + 4 + 2 * i, b->counts[i]);
    return b->len;
}
