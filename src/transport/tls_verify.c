/* lanmsg TLS backend: certificate names, verification, and who the peer
 * is (its verified certificate, or the identity its session ticket
 * carried). */
#define LM_TLS_BACKEND 1

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/tls_internal.h"

/* Address bytes of an IP literal host ("[::1]" accepted); 0 if not one. */
size_t tls_parse_ip(const char *host, unsigned char out[16])
{
    char tmp[64];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof tmp) {
        memcpy(tmp, host + 1, n - 2);
        tmp[n - 2] = '\0';
        host = tmp;
    }
    return (size_t)lm_ip_parse(host, out);
}

/* Walk the subjectAltName extension of a certificate from its raw DER, and
 * call fn(tag, bytes, len) for each entry. Done by hand because 2.28 drops
 * iPAddress entries from crt->subject_alt_names, and because crt->raw is a
 * public field in both versions. Returns -1 on malformed input. */
typedef void (*san_fn)(void *arg, int tag, const unsigned char *p, size_t len);

static int skip_tlv(unsigned char **p, const unsigned char *end)
{
    size_t len;
    if (end - *p < 1)
        return -1;
    (*p)++;
    if (mbedtls_asn1_get_len(p, end, &len) != 0)
        return -1;
    *p += len;
    return 0;
}

static int tls_walk_san(const mbedtls_x509_crt *crt, san_fn fn, void *arg)
{
    static const unsigned char oid_san[] = {0x55, 0x1d, 0x11}; /* 2.5.29.17 */
    const int seq = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
    unsigned char *p = crt->raw.p, *end = crt->raw.p + crt->raw.len, *tbs_end;
    size_t len;

    if (mbedtls_asn1_get_tag(&p, end, &len, seq) != 0)
        return -1;
    if (mbedtls_asn1_get_tag(&p, end, &len, seq) != 0)
        return -1;
    tbs_end = p + len;
    /* [0] version (optional), serial, signature, issuer, validity, subject,
     * subjectPublicKeyInfo: skip them all. */
    if (p < tbs_end && *p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0))
        if (skip_tlv(&p, tbs_end) != 0)
            return -1;
    for (int i = 0; i < 6; i++)
        if (skip_tlv(&p, tbs_end) != 0)
            return -1;
    while (p < tbs_end) {
        if (*p != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 3)) {
            if (skip_tlv(&p, tbs_end) != 0) /* issuer/subject unique ids */
                return -1;
            continue;
        }
        p++;
        if (mbedtls_asn1_get_len(&p, tbs_end, &len) != 0)
            return -1;
        unsigned char *exts_end;
        if (mbedtls_asn1_get_tag(&p, tbs_end, &len, seq) != 0)
            return -1;
        exts_end = p + len;
        while (p < exts_end) {
            unsigned char *ext_end, *oid;
            size_t oid_len;
            int critical;
            if (mbedtls_asn1_get_tag(&p, exts_end, &len, seq) != 0)
                return -1;
            ext_end = p + len;
            if (mbedtls_asn1_get_tag(&p, ext_end, &oid_len, MBEDTLS_ASN1_OID) != 0)
                return -1;
            oid = p;
            p += oid_len;
            (void)mbedtls_asn1_get_bool(&p, ext_end, &critical);
            if (mbedtls_asn1_get_tag(&p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0)
                return -1;
            if (oid_len == sizeof oid_san && memcmp(oid, oid_san, oid_len) == 0) {
                unsigned char *q = p, *names_end;
                if (mbedtls_asn1_get_tag(&q, p + len, &len, seq) != 0)
                    return -1;
                names_end = q + len;
                while (q < names_end) {
                    int tag = *q++;
                    size_t n;
                    if (mbedtls_asn1_get_len(&q, names_end, &n) != 0)
                        return -1;
                    fn(arg, tag, q, n);
                    q += n;
                }
                return 0;
            }
            p = ext_end;
        }
        return 0;
    }
    return 0;
}

#define SAN_DNS (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2)
#define SAN_IP  (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)

struct ip_match {
    const unsigned char *ip;
    size_t len;
    int found;
};

static void san_ip_cb(void *arg, int tag, const unsigned char *p, size_t len)
{
    struct ip_match *m = arg;
    if (tag == SAN_IP && len == m->len && memcmp(p, m->ip, len) == 0)
        m->found = 1;
}

struct name_list {
    char *buf;
    size_t size, used;
    int count;
};

static void name_list_add(struct name_list *l, const char *s, size_t n)
{
    int w =
        snprintf(l->buf + l->used, l->size - l->used, "%s%.*s", l->count ? ", " : "", (int)n, s);
    if (w > 0)
        l->used += (size_t)w < l->size - l->used ? (size_t)w : l->size - l->used - 1;
    l->count++;
}

static void san_names_cb(void *arg, int tag, const unsigned char *p, size_t len)
{
    struct name_list *l = arg;
    char ip[64];
    if (tag == SAN_DNS) {
        for (size_t i = 0; i < len; i++)
            if (!isprint(p[i]))
                return;
        name_list_add(l, (const char *)p, len);
    } else if (tag == SAN_IP) {
        lm_ip_format(p, len, ip, sizeof ip);
        name_list_add(l, ip, strlen(ip));
    }
}

/* The subject CN of a certificate, printable characters only, or "". */
void tls_cert_cn(const mbedtls_x509_crt *crt, char *out, size_t outlen)
{
    out[0] = '\0';
    for (const mbedtls_x509_name *n = &crt->subject; n; n = n->next) {
        if (n->oid.p && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
            size_t k = n->val.len < outlen - 1 ? n->val.len : outlen - 1;
            for (size_t i = 0; i < k; i++)
                out[i] = isprint(n->val.p[i]) ? (char)n->val.p[i] : '?';
            out[k] = '\0';
            return;
        }
    }
}

/* "localhost, 127.0.0.1, ::1": what a certificate is for, to tell a person
 * which name to connect with. The CN when there are no usable SANs. */
static void tls_cert_names(const mbedtls_x509_crt *crt, char *out, size_t outlen)
{
    struct name_list l = {out, outlen, 0, 0};
    out[0] = '\0';
    tls_walk_san(crt, san_names_cb, &l);
    if (!l.count) {
        tls_cert_cn(crt, out, outlen);
        if (!out[0])
            snprintf(out, outlen, "no names at all");
    }
}

/* Called by mbedTLS for each certificate of the peer's chain, leaf last
 * (depth 0). We note that a certificate was seen (so this handshake was not
 * resumed), keep the leaf's names for messages, and on 2.28 check an IP
 * literal against the iPAddress SANs, flagging a mismatch the same way the
 * library flags a wrong host name so that one error path handles both. */
int tls_verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    tls_conn *c = ctx;
    c->cert_seen = 1;
    /* The chain comes top down: depth 1 is the key that signed the leaf. */
    if (depth == 1)
        c->has_issuer_fp = tls_spki_fp(crt, c->issuer_fp) == 0;
    if (depth != 0)
        return 0;
    tls_cert_names(crt, c->names, sizeof c->names);
    tls_cert_cn(crt, c->leaf_cn, sizeof c->leaf_cn);
    c->has_peer_fp = tls_spki_fp(crt, c->peer_fp) == 0;
    if (c->ip_check) {
        struct ip_match m = {c->ip, c->ip_len, 0};
        if (tls_walk_san(crt, san_ip_cb, &m) != 0 || !m.found)
            *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    }
    if (c->cfg->trust)
        return tls_trust_verify(c, flags);
    return 0;
}

/* The verified CN of the client this server connection talks to, or NULL:
 * the certificate it showed in this handshake, or the one its ticket had. */
const char *tls_verified_client_cn(tls_conn *c)
{
    if (c->ticket_cn[0])
        return c->ticket_cn;
    if (c->trust_done && c->trust.verdict == LM_TRUST_VERIFIED && c->trust.name[0])
        return c->trust.name; /* an enrolled client: the enrolled name */
    if (c->cert_seen && c->leaf_cn[0] && c->cfg->authmode != MBEDTLS_SSL_VERIFY_NONE &&
        mbedtls_ssl_get_verify_result(&c->ssl) == 0)
        return c->leaf_cn;
    return NULL;
}

/* ==== errors ==== */

/* One line for a failed certificate check: the most fundamental cause
 * first (an unknown CA makes every other flag moot), then what to do. */
int tls_verify_error(tls_conn *c, uint32_t flags)
{
    char who[LM_ADDR_MAX + 40];
    const char *fix_ca = lm_tr(c->cfg->is_server ? LM_M_TLS_FIX_CA_SERVER : LM_M_TLS_FIX_CA_CLIENT);
    lm_format(who, sizeof who, c->cfg->is_server ? LM_M_TLS_WHO_CLIENT : LM_M_TLS_WHO_SERVER,
              c->t.peer);

    if (flags & MBEDTLS_X509_BADCERT_MISSING)
        tls_conn_err(&c->t, LM_M_TLS_CERT_MISSING, who);
    else if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        tls_conn_err(&c->t, LM_M_TLS_CERT_UNTRUSTED, who, fix_ca);
    else if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
        tls_conn_err(&c->t, LM_M_TLS_CERT_EXPIRED, who);
    else if (flags & MBEDTLS_X509_BADCERT_FUTURE)
        tls_conn_err(&c->t, LM_M_TLS_CERT_FUTURE, who);
    else if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
        tls_conn_err(&c->t, LM_M_TLS_CERT_NAME, who, c->host,
                     c->names[0] ? c->names : lm_tr(LM_M_TLS_OTHER_NAMES));
    else if (flags & MBEDTLS_X509_BADCERT_REVOKED)
        tls_conn_err(&c->t, LM_M_TLS_CERT_REVOKED, who);
    else if (flags & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
                      MBEDTLS_X509_BADCERT_NS_CERT_TYPE))
        tls_conn_err(&c->t, LM_M_TLS_CERT_USAGE, who);
    else if (flags & (MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK |
                      MBEDTLS_X509_BADCERT_BAD_KEY))
        tls_conn_err(&c->t, LM_M_TLS_CERT_WEAK, who);
    else
        tls_conn_err(&c->t, LM_M_TLS_CERT_FAILED, who, (unsigned)flags, fix_ca);
    return LM_ERR_VERIFY;
}
