/* lanmsg TLS backend: the transport table over mbedTLS.
 *
 * The only file that speaks mbedTLS on the wire. Every difference between
 * mbedTLS 2.28 and 3.6 is a macro or inline function from mbedtls_compat.h,
 * so this file reads the same for both.
 *
 * Shape: an lm_tls_config holds what never changes while the program runs
 * (RNG, CA chain, ticket keys, session cache, counters) plus a pointer to an
 * immutable, reference-counted "inner" configuration (the mbedtls_ssl_config
 * with our own certificate and key). Each connection holds a reference to the
 * inner config it started with, so a SIGHUP reload can swap in new files
 * without touching a configuration that live handshakes are reading. */
#define LM_TLS_BACKEND 1

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include "lanmsg/tls.h"
#include "platform/os.h"
#include "util/mem.h"
#include "util/text.h"
#include "platform/os.h"
#include "mbedtls_compat.h"

/* Ticket lifetime; mbedtls_ssl_ticket rotates its AES-256-GCM keys on this
 * period and accepts tickets from the previous key for as long again. */
#define TLS_TICKET_LIFETIME_S 3600

/* How many issued tickets the server remembers the client identity of (see
 * "ticket identities" below); the oldest is forgotten first. */
#define TLS_TICKET_IDS 256

/* ==== state ==== */

/* The verified client identity a ticket was issued to, keyed by the
 * SHA-256 of the ticket as sent. */
typedef struct tls_ticket_id {
    unsigned char digest[32];
    int used;
    char cn[65];
} tls_ticket_id;

typedef struct tls_inner {
    atomic_int refs;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt cert;
    mbedtls_pk_context key;
} tls_inner;

struct lm_tls_config {
    int is_server;
    int authmode;
    int allow_insecure_key_perms;
    int min_version, max_version;
    char *cert_file, *key_file;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;
    int has_ca;
    mbedtls_ssl_ticket_context ticket;
    mbedtls_ssl_cache_context cache;
    int suites[16];
    lm_mutex *lock; /* guards current, the saved session, the key log, ticket ids */
    tls_inner *current;
    FILE *keylog;
    atomic_ulong handshakes, resumed;
    /* Client: the last session, offered again to the same host. */
    mbedtls_ssl_session last;
    int has_last;
    char last_host[256];
    /* Server: identities of the clients recent tickets were issued to. */
    tls_ticket_id ids[TLS_TICKET_IDS];
    unsigned next_id;
};

typedef struct tls_conn {
    lm_transport t; /* first, so an lm_transport * is a tls_conn * */
    mbedtls_ssl_context ssl;
    lm_tls_config *cfg;
    tls_inner *inner;
    char host[256];
    int no_host;          /* a verifying client was given no name to check */
    int ip_check;         /* 2.28: we match the IP literal ourselves */
    unsigned char ip[16]; /* that IP, network order */
    size_t ip_len;
    char names[128]; /* the leaf certificate's names, for messages */
    int cert_seen;   /* the verify callback ran in this handshake */
    int offered;     /* the client offered a saved session */
    unsigned char offered_master[48];
    int srv_resumed;    /* server: ticket or cache lookup succeeded */
    char leaf_cn[65];   /* the CN of the peer's leaf certificate, as seen */
    char ticket_cn[65]; /* server: the verified CN a resumed ticket carried */
    int handshake_done;
    int app_data_seen; /* a read returned application data */
    /* Record framing as seen on the wire, to tell a clean EOF from a cut. */
    int first_byte; /* -1 until the peer sends anything */
    unsigned char hdr[5];
    size_t hdr_have, rec_left;
    size_t pending_write; /* length of a write interrupted by WANT_* */
    char neterr[160];
} tls_conn;

/* The connection whose handshake this thread is driving, so the ticket and
 * cache hooks (which only see the shared config) can mark it resumed. */
static _Thread_local tls_conn *tls_current;

/* ==== small helpers ==== */

/* Errors a person reads come from the message catalog, so they are
 * translated; set_err fills a caller's buffer, conn_err a connection's. */
static void set_err(char *err, size_t errlen, lm_msg_id id, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, id);
    lm_vformat(err, errlen, id, ap);
    va_end(ap);
}

static void conn_err(lm_transport *t, lm_msg_id id, ...)
{
    char buf[sizeof t->err];
    va_list ap;
    va_start(ap, id);
    lm_vformat(buf, sizeof buf, id, ap);
    va_end(ap);
    lm_tp_set_error(t, "%s", buf);
}

/* mbedtls_strerror's text, kept whole with its module prefix ("SSL - "):
 * it names the module, which helps bug reports. A number when the library
 * was built without error strings. */
static void tls_strerror(int ret, char *buf, size_t len)
{
    mbedtls_strerror(ret, buf, len);
    if (!buf[0])
        snprintf(buf, len, "mbed TLS error -0x%04x", (unsigned)-ret);
}

/* Address bytes of an IP literal host ("[::1]" accepted); 0 if not one. */
static size_t parse_ip(const char *host, unsigned char out[16])
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

/* ==== certificate names ==== */

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

static int walk_san(const mbedtls_x509_crt *crt, san_fn fn, void *arg)
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
static void cert_cn(const mbedtls_x509_crt *crt, char *out, size_t outlen)
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
static void cert_names(const mbedtls_x509_crt *crt, char *out, size_t outlen)
{
    struct name_list l = {out, outlen, 0, 0};
    out[0] = '\0';
    walk_san(crt, san_names_cb, &l);
    if (!l.count) {
        cert_cn(crt, out, outlen);
        if (!out[0])
            snprintf(out, outlen, "no names at all");
    }
}

/* ==== I/O callbacks ==== */

/* Follow TLS record headers in the bytes the peer sends, so that at EOF we
 * know whether it stopped between records (a clean, if rude, close) or in
 * the middle of one (a cut connection). Also remember the very first byte:
 * a TLS server always starts with a handshake (22) or alert (21) record. */
static void track_records(tls_conn *c, const unsigned char *p, size_t n)
{
    if (n && c->first_byte < 0)
        c->first_byte = p[0];
    while (n) {
        if (c->rec_left) {
            size_t k = n < c->rec_left ? n : c->rec_left;
            c->rec_left -= k;
            p += k;
            n -= k;
            continue;
        }
        c->hdr[c->hdr_have++] = *p++;
        n--;
        if (c->hdr_have == 5) {
            c->rec_left = (size_t)c->hdr[3] << 8 | c->hdr[4];
            c->hdr_have = 0;
        }
    }
}

static int first_byte_is_tls(int b)
{
    return b == 0x16 || b == 0x15;
}

/* mbedTLS receive hook over the platform layer: maps would-block and
 * resets onto mbedTLS codes; the platform's message is kept for our own. */
static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    tls_conn *c = ctx;
    if (len > INT_MAX)
        len = INT_MAX;
    long n = lm_net_recv(c->t.sock, buf, len, c->neterr, sizeof c->neterr);
    if (n > 0) {
        int was_first = c->first_byte < 0;
        track_records(c, buf, (size_t)n);
        /* A client fails at once on a plain-text answer, rather than waiting
         * for five bytes of "record header" that may never come. */
        if (was_first && !c->cfg->is_server && !first_byte_is_tls(c->first_byte))
            return MBEDTLS_ERR_SSL_INVALID_RECORD;
        return (int)n;
    }
    switch (n) {
    case 0:
        return 0; /* EOF: mbedTLS reports MBEDTLS_ERR_SSL_CONN_EOF */
    case LM_WANT_READ:
        return MBEDTLS_ERR_SSL_WANT_READ;
    case LM_WANT_WRITE:
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    case LM_ERR_RESET:
        return MBEDTLS_ERR_NET_CONN_RESET;
    default:
        return MBEDTLS_ERR_NET_RECV_FAILED;
    }
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    tls_conn *c = ctx;
    if (len > INT_MAX)
        len = INT_MAX;
    long n = lm_net_send(c->t.sock, buf, len, c->neterr, sizeof c->neterr);
    if (n > 0)
        return (int)n;
    switch (n) {
    case 0:
    case LM_WANT_WRITE:
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    case LM_WANT_READ:
        return MBEDTLS_ERR_SSL_WANT_READ;
    case LM_ERR_RESET:
        return MBEDTLS_ERR_NET_CONN_RESET;
    default:
        return MBEDTLS_ERR_NET_SEND_FAILED;
    }
}

/* Called by mbedTLS for each certificate of the peer's chain, leaf last
 * (depth 0). We note that a certificate was seen (so this handshake was not
 * resumed), keep the leaf's names for messages, and on 2.28 check an IP
 * literal against the iPAddress SANs, flagging a mismatch the same way the
 * library flags a wrong host name so that one error path handles both. */
static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    tls_conn *c = ctx;
    c->cert_seen = 1;
    if (depth != 0)
        return 0;
    cert_names(crt, c->names, sizeof c->names);
    cert_cn(crt, c->leaf_cn, sizeof c->leaf_cn);
    if (c->ip_check) {
        struct ip_match m = {c->ip, c->ip_len, 0};
        if (walk_san(crt, san_ip_cb, &m) != 0 || !m.found)
            *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    }
    return 0;
}

/* ==== ticket identities ====
 * A TLS 1.3 ticket from mbedTLS 3.6 does not carry the client's certificate,
 * so a resumed mutual-TLS session would lose the client's name. The server
 * remembers, for each ticket it issues to a verified client, that client's
 * CN, keyed by the ticket's digest; a ticket that later decrypts and
 * authenticates (only then) gets its CN back. The resumption key stays bound
 * to the first handshake, so the identity is inherited, not guessed. */

static int ticket_digest(const unsigned char *buf, size_t len, unsigned char out[32])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    return md ? mbedtls_md(md, buf, len, out) : -1;
}

/* The verified CN of the client this server connection talks to, or NULL:
 * the certificate it showed in this handshake, or the one its ticket had. */
static const char *verified_client_cn(tls_conn *c)
{
    if (c->ticket_cn[0])
        return c->ticket_cn;
    if (c->cert_seen && c->leaf_cn[0] && c->cfg->authmode != MBEDTLS_SSL_VERIFY_NONE &&
        mbedtls_ssl_get_verify_result(&c->ssl) == 0)
        return c->leaf_cn;
    return NULL;
}

static void ticket_id_store(tls_conn *c, const unsigned char *ticket, size_t len)
{
    lm_tls_config *cfg = c->cfg;
    const char *cn = verified_client_cn(c);
    unsigned char d[32];
    if (!cn || ticket_digest(ticket, len, d) != 0)
        return;
    lm_mutex_lock(cfg->lock);
    tls_ticket_id *e = &cfg->ids[cfg->next_id++ % TLS_TICKET_IDS];
    memcpy(e->digest, d, sizeof d);
    snprintf(e->cn, sizeof e->cn, "%s", cn);
    e->used = 1;
    lm_mutex_unlock(cfg->lock);
}

static void ticket_id_find(tls_conn *c, const unsigned char d[32])
{
    lm_tls_config *cfg = c->cfg;
    lm_mutex_lock(cfg->lock);
    for (size_t i = 0; i < TLS_TICKET_IDS; i++) {
        if (cfg->ids[i].used && memcmp(cfg->ids[i].digest, d, 32) == 0) {
            snprintf(c->ticket_cn, sizeof c->ticket_cn, "%s", cfg->ids[i].cn);
            break;
        }
    }
    lm_mutex_unlock(cfg->lock);
}

/* Server hooks: the shared ticket writer and parser and session cache,
 * wrapped so that a successful lookup marks the connection being
 * handshaken as resumed (mbedTLS resumes exactly when these succeed, and
 * has no public query), and so that tickets keep the client's identity. */
static int ticket_write_hook(void *p_ticket, const mbedtls_ssl_session *session,
                             unsigned char *start, const unsigned char *end, size_t *tlen,
                             uint32_t *lifetime)
{
    int ret = mbedtls_ssl_ticket_write(p_ticket, session, start, end, tlen, lifetime);
    if (ret == 0 && tls_current)
        ticket_id_store(tls_current, start, *tlen);
    return ret;
}

static int ticket_parse_hook(void *p_ticket, mbedtls_ssl_session *session, unsigned char *buf,
                             size_t len)
{
    unsigned char d[32];
    /* Digest first: the parser decrypts in place. */
    int have_digest = ticket_digest(buf, len, d) == 0;
    int ret = mbedtls_ssl_ticket_parse(p_ticket, session, buf, len);
    if (ret == 0 && tls_current) {
        tls_current->srv_resumed = 1;
        if (have_digest)
            ticket_id_find(tls_current, d);
    }
    return ret;
}

static int cache_get_hook(LM_COMPAT_CACHE_GET_PARAMS)
{
    int ret = LM_COMPAT_CACHE_GET_CALL();
    if (ret == 0 && tls_current)
        tls_current->srv_resumed = 1;
    return ret;
}

/* ==== key log ==== */

/* One NSS key-log line per secret: "LABEL <client random> <secret>", hex.
 * Locked because server threads share the file; flushed per line so that a
 * crash or Ctrl-C still leaves a usable file. */
static void tls_keylog_write(void *p, const char *label, const unsigned char *client_random,
                             const unsigned char *secret, size_t len)
{
    lm_tls_config *cfg = p;
    char line[64 + 2 * 32 + 2 * 64 + 4];
    size_t o;
    if (!cfg || !cfg->keylog || len > 64)
        return;
    o = (size_t)snprintf(line, sizeof line, "%s ", label);
    for (int i = 0; i < 32; i++)
        o += (size_t)snprintf(line + o, sizeof line - o, "%02x", client_random[i]);
    line[o++] = ' ';
    for (size_t i = 0; i < len; i++)
        o += (size_t)snprintf(line + o, sizeof line - o, "%02x", secret[i]);
    line[o++] = '\n';
    line[o] = '\0';
    lm_mutex_lock(cfg->lock);
    fputs(line, cfg->keylog);
    fflush(cfg->keylog);
    lm_mutex_unlock(cfg->lock);
}

/* Open $SSLKEYLOGFILE for appending, created 0600 since it holds secrets,
 * and say once, loudly, that traffic can be decrypted. */
static void keylog_open(lm_tls_config *cfg)
{
    const char *path = getenv("SSLKEYLOGFILE");
    if (!path || !*path)
        return;
    cfg->keylog = lm_file_append_private(path);
    if (!cfg->keylog) {
        lm_warn(LM_M_TLS_KEYLOG_CANNOT_OPEN, path, strerror(errno));
        return;
    }
    lm_warn(LM_M_TLS_KEYLOG_ON, path);
}

/* ==== configuration ==== */

/* ECDHE with an AEAD only, in the server's order of preference: AES-128-GCM
 * (fast with AES-NI), AES-256-GCM, then ChaCha20-Poly1305. TLS 1.3 suites
 * (3.x) first; zeros from the compat header are skipped. */
static int build_suites(lm_tls_config *cfg, const char *cipher, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        int ids[3];
    } groups[] = {
        {"aes128",
         {LM_COMPAT_TLS13_AES128, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
          MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}},
        {"aes256",
         {LM_COMPAT_TLS13_AES256, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
          MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}},
        {"chacha20",
         {LM_COMPAT_TLS13_CHACHA20, MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
          MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}},
    };
    size_t n = 0, ng = sizeof groups / sizeof groups[0];
    int any = 0;
    /* TLS 1.3 suites first, then the TLS 1.2 ones, each in group order. */
    for (int pass = 0; pass < 3; pass++) {
        for (size_t g = 0; g < ng; g++) {
            if (cipher && strcmp(cipher, groups[g].name) != 0)
                continue;
            any = 1;
            if (groups[g].ids[pass] && n < sizeof cfg->suites / sizeof cfg->suites[0] - 1)
                cfg->suites[n++] = groups[g].ids[pass];
        }
    }
    cfg->suites[n] = 0;
    if (!any) {
        set_err(err, errlen, LM_M_TLS_BAD_CIPHER, cipher);
        return -1;
    }
    return 0;
}

/* Check that a file can be opened, for a message naming the OS cause and,
 * when it is missing, the script that creates it. */
static int check_readable(const char *path, const char *what, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        return 0;
    }
    int e = errno;
    set_err(err, errlen, e == ENOENT ? LM_M_TLS_CANNOT_READ_MISSING : LM_M_TLS_CANNOT_READ, what,
            path, strerror(e));
    return -1;
}

static int load_certs(mbedtls_x509_crt *crt, const char *path, const char *what, char *err,
                      size_t errlen)
{
    char msg[128];
    if (check_readable(path, what, err, errlen) != 0)
        return -1;
    int ret = mbedtls_x509_crt_parse_file(crt, path);
    if (ret < 0 || crt->raw.len == 0) {
        tls_strerror(ret, msg, sizeof msg);
        set_err(err, errlen, LM_M_TLS_BAD_CERT_FILE, what, path, msg);
        return -1;
    }
    return 0;
}

/* Load our own certificate and key, refusing a key others can read and a
 * key that is not the certificate's. */
static int load_own(lm_tls_config *cfg, tls_inner *in, char *err, size_t errlen)
{
    char msg[128];
    if (load_certs(&in->cert, cfg->cert_file, lm_tr(LM_M_TLS_WHAT_CERT), err, errlen) != 0)
        return -1;
    if (check_readable(cfg->key_file, lm_tr(LM_M_TLS_WHAT_KEY), err, errlen) != 0)
        return -1;
    int mode = lm_file_mode(cfg->key_file, msg, sizeof msg);
    if (mode >= 0 && (mode & 077) && !cfg->allow_insecure_key_perms) {
        set_err(err, errlen, LM_M_TLS_KEY_PERMS, cfg->key_file, (unsigned)mode & 07777,
                cfg->key_file);
        return -1;
    }
    int ret =
        LM_COMPAT_PK_PARSE_KEYFILE(&in->key, cfg->key_file, mbedtls_ctr_drbg_random, &cfg->drbg);
    if (ret != 0) {
        if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED || ret == MBEDTLS_ERR_PK_PASSWORD_MISMATCH) {
            set_err(err, errlen, LM_M_TLS_KEY_PASSPHRASE, cfg->key_file);
        } else {
            tls_strerror(ret, msg, sizeof msg);
            set_err(err, errlen, LM_M_TLS_BAD_KEY_FILE, cfg->key_file, msg);
        }
        return -1;
    }
    if (LM_COMPAT_PK_CHECK_PAIR(&in->cert.pk, &in->key, mbedtls_ctr_drbg_random, &cfg->drbg) != 0) {
        set_err(err, errlen, LM_M_TLS_KEY_MISMATCH, cfg->key_file, cfg->cert_file);
        return -1;
    }
    return 0;
}

static void inner_free(tls_inner *in)
{
    if (!in)
        return;
    mbedtls_ssl_config_free(&in->conf);
    mbedtls_x509_crt_free(&in->cert);
    mbedtls_pk_free(&in->key);
    free(in);
}

/* Build an immutable inner configuration: the policy, the shared parts of
 * cfg, and freshly loaded own certificate and key. */
static tls_inner *inner_new(lm_tls_config *cfg, char *err, size_t errlen)
{
    tls_inner *in = lm_xcalloc(1, sizeof *in);
    atomic_init(&in->refs, 1);
    mbedtls_ssl_config_init(&in->conf);
    mbedtls_x509_crt_init(&in->cert);
    mbedtls_pk_init(&in->key);

    if (cfg->cert_file && load_own(cfg, in, err, errlen) != 0)
        goto fail;

    mbedtls_ssl_config *conf = &in->conf;
    int ret = mbedtls_ssl_config_defaults(
        conf, cfg->is_server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
        MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        char msg[128];
        tls_strerror(ret, msg, sizeof msg);
        set_err(err, errlen, LM_M_TLS_SETUP_FAILED, msg);
        goto fail;
    }
    mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &cfg->drbg);
    lm_compat_conf_versions(conf, cfg->min_version, cfg->max_version);
    mbedtls_ssl_conf_ciphersuites(conf, cfg->suites);
    lm_compat_conf_groups(conf);
    lm_compat_conf_tls13(conf, cfg->is_server);
#if defined(MBEDTLS_SSL_RENEGOTIATION)
    mbedtls_ssl_conf_renegotiation(conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
    mbedtls_ssl_conf_authmode(conf, cfg->authmode);
    if (cfg->has_ca)
        mbedtls_ssl_conf_ca_chain(conf, &cfg->ca, NULL);
    if (cfg->cert_file) {
        ret = mbedtls_ssl_conf_own_cert(conf, &in->cert, &in->key);
        if (ret != 0) {
            char msg[128];
            tls_strerror(ret, msg, sizeof msg);
            set_err(err, errlen, LM_M_TLS_CANNOT_USE_CERT, cfg->cert_file, msg);
            goto fail;
        }
    }
    if (cfg->is_server) {
        mbedtls_ssl_conf_session_tickets_cb(conf, ticket_write_hook, ticket_parse_hook,
                                            &cfg->ticket);
        mbedtls_ssl_conf_session_cache(conf, &cfg->cache, cache_get_hook, mbedtls_ssl_cache_set);
    } else {
        mbedtls_ssl_conf_session_tickets(conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
    }
    if (cfg->keylog)
        LM_COMPAT_KEYLOG_CONF(conf, cfg);
    return in;
fail:
    inner_free(in);
    return NULL;
}

static tls_inner *inner_get(lm_tls_config *cfg)
{
    lm_mutex_lock(cfg->lock);
    tls_inner *in = cfg->current;
    atomic_fetch_add(&in->refs, 1);
    lm_mutex_unlock(cfg->lock);
    return in;
}

static void inner_put(tls_inner *in)
{
    if (in && atomic_fetch_sub(&in->refs, 1) == 1)
        inner_free(in);
}

int lm_tls_available(void)
{
    return 1;
}

/* The library this file was compiled against (the compat choices were made
 * for it) and the protocol versions it can speak, as --version shows them:
 * scripts and tests tell a TLS 1.3 build by ", TLS 1.3". A static string,
 * safe from any thread. */
const char *lm_tls_library(void)
{
    return LM_COMPAT_HAVE_TLS13 ? MBEDTLS_VERSION_STRING_FULL ", TLS 1.2, TLS 1.3"
                                : MBEDTLS_VERSION_STRING_FULL ", TLS 1.2";
}

int lm_tls_has_tls13(void)
{
    return LM_COMPAT_HAVE_TLS13;
}

int lm_tls_thread_safe(void)
{
#if defined(MBEDTLS_THREADING_C)
    return 1;
#else
    return 0;
#endif
}

/* Check the option combinations before touching any file, so the first
 * message is about what the person typed. */
static int check_options(const lm_tls_options *o, char *err, size_t errlen)
{
    if (o->is_server && (!o->cert_file || !o->key_file)) {
        set_err(err, errlen, LM_M_TLS_SERVER_NEEDS_CERT);
        return -1;
    }
    if (!o->cert_file != !o->key_file) {
        set_err(err, errlen, LM_M_TLS_CERT_KEY_PAIR);
        return -1;
    }
    if (!o->is_server && !o->insecure && !o->ca_file) {
        set_err(err, errlen, LM_M_TLS_NO_CA);
        return -1;
    }
    if (o->is_server && o->require_client_cert && !o->ca_file) {
        set_err(err, errlen, LM_M_TLS_REQUIRE_NEEDS_CA);
        return -1;
    }
    if (o->tls_version != 0 && o->tls_version != 12 && o->tls_version != 13) {
        set_err(err, errlen, LM_M_TLS_BAD_VERSION, o->tls_version);
        return -1;
    }
    if (o->tls_version == 13 && !LM_COMPAT_HAVE_TLS13) {
        set_err(err, errlen, LM_M_TLS_NO_TLS13, lm_tls_library());
        return -1;
    }
    return 0;
}

lm_tls_config *lm_tls_config_new(const lm_tls_options *o, char *err, size_t errlen, int *code)
{
    lm_tls_config *cfg;
    int ret;
    char msg[128];

    if (code)
        *code = LM_ERR_CONFIG;
    if (check_options(o, err, errlen) != 0)
        return NULL;
    cfg = lm_xcalloc(1, sizeof *cfg);
    cfg->is_server = o->is_server;
    cfg->allow_insecure_key_perms = o->allow_insecure_key_perms;
    cfg->min_version = o->tls_version == 13 ? 13 : 12;
    cfg->max_version = o->tls_version == 12 ? 12 : (LM_COMPAT_HAVE_TLS13 ? 13 : 12);
    cfg->cert_file = o->cert_file ? lm_xstrdup(o->cert_file) : NULL;
    cfg->key_file = o->key_file ? lm_xstrdup(o->key_file) : NULL;
    cfg->lock = lm_mutex_new();
    atomic_init(&cfg->handshakes, 0);
    atomic_init(&cfg->resumed, 0);
    mbedtls_entropy_init(&cfg->entropy);
    mbedtls_ctr_drbg_init(&cfg->drbg);
    mbedtls_x509_crt_init(&cfg->ca);
    mbedtls_ssl_ticket_init(&cfg->ticket);
    mbedtls_ssl_cache_init(&cfg->cache);
    mbedtls_ssl_session_init(&cfg->last);

    if (!cfg->lock) {
        set_err(err, errlen, LM_M_TLS_SETUP_FAILED, "no mutex");
        goto fail_runtime;
    }
    /* Failures of the library or the system, not of the configuration. */
    if (LM_COMPAT_PSA_INIT() != 0) {
        set_err(err, errlen, LM_M_TLS_PSA_FAILED);
        goto fail_runtime;
    }
    ret = mbedtls_ctr_drbg_seed(&cfg->drbg, mbedtls_entropy_func, &cfg->entropy,
                                (const unsigned char *)"lanmsg", 6);
    if (ret != 0) {
        tls_strerror(ret, msg, sizeof msg);
        set_err(err, errlen, LM_M_TLS_SEED_FAILED, msg);
        goto fail_runtime;
    }
    if (build_suites(cfg, o->cipher, err, errlen) != 0)
        goto fail;

    if (o->ca_file && !(o->insecure && !o->is_server)) {
        if (load_certs(&cfg->ca, o->ca_file, lm_tr(LM_M_TLS_WHAT_CA), err, errlen) != 0)
            goto fail;
        cfg->has_ca = 1;
    }
    if (o->is_server)
        cfg->authmode = o->require_client_cert ? MBEDTLS_SSL_VERIFY_REQUIRED
                        : cfg->has_ca          ? MBEDTLS_SSL_VERIFY_OPTIONAL
                                               : MBEDTLS_SSL_VERIFY_NONE;
    else
        cfg->authmode = o->insecure ? MBEDTLS_SSL_VERIFY_NONE : MBEDTLS_SSL_VERIFY_REQUIRED;

    if (o->is_server) {
        ret = mbedtls_ssl_ticket_setup(&cfg->ticket, mbedtls_ctr_drbg_random, &cfg->drbg,
                                       MBEDTLS_CIPHER_AES_256_GCM, TLS_TICKET_LIFETIME_S);
        if (ret != 0) {
            tls_strerror(ret, msg, sizeof msg);
            set_err(err, errlen, LM_M_TLS_TICKETS_FAILED, msg);
            goto fail_runtime;
        }
    }
    keylog_open(cfg);
    cfg->current = inner_new(cfg, err, errlen);
    if (!cfg->current)
        goto fail;
    if (code)
        *code = LM_OK;
    return cfg;
fail_runtime:
    if (code)
        *code = LM_ERR;
fail:
    lm_tls_config_free(cfg);
    return NULL;
}

void lm_tls_config_free(lm_tls_config *cfg)
{
    if (!cfg)
        return;
    inner_put(cfg->current);
    mbedtls_ssl_session_free(&cfg->last);
    mbedtls_ssl_cache_free(&cfg->cache);
    mbedtls_ssl_ticket_free(&cfg->ticket);
    mbedtls_x509_crt_free(&cfg->ca);
    mbedtls_ctr_drbg_free(&cfg->drbg);
    mbedtls_entropy_free(&cfg->entropy);
    if (cfg->keylog)
        fclose(cfg->keylog);
    lm_mutex_free(cfg->lock);
    free(cfg->cert_file);
    free(cfg->key_file);
    free(cfg);
}

int lm_tls_config_reload(lm_tls_config *cfg, char *err, size_t errlen)
{
    tls_inner *in = inner_new(cfg, err, errlen);
    if (!in)
        return LM_ERR_CONFIG;
    lm_mutex_lock(cfg->lock);
    tls_inner *old = cfg->current;
    cfg->current = in;
    lm_mutex_unlock(cfg->lock);
    inner_put(old);
    return LM_OK;
}

void lm_tls_get_stats(lm_tls_config *cfg, lm_tls_stats *out)
{
    out->handshakes = atomic_load(&cfg->handshakes);
    out->resumed = atomic_load(&cfg->resumed);
}

/* ==== errors ==== */

/* One line for a failed certificate check: the most fundamental cause
 * first (an unknown CA makes every other flag moot), then what to do. */
static int verify_error(tls_conn *c, uint32_t flags)
{
    char who[LM_ADDR_MAX + 40];
    const char *fix_ca = lm_tr(c->cfg->is_server ? LM_M_TLS_FIX_CA_SERVER : LM_M_TLS_FIX_CA_CLIENT);
    lm_format(who, sizeof who, c->cfg->is_server ? LM_M_TLS_WHO_CLIENT : LM_M_TLS_WHO_SERVER,
              c->t.peer);

    if (flags & MBEDTLS_X509_BADCERT_MISSING)
        conn_err(&c->t, LM_M_TLS_CERT_MISSING, who);
    else if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        conn_err(&c->t, LM_M_TLS_CERT_UNTRUSTED, who, fix_ca);
    else if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
        conn_err(&c->t, LM_M_TLS_CERT_EXPIRED, who);
    else if (flags & MBEDTLS_X509_BADCERT_FUTURE)
        conn_err(&c->t, LM_M_TLS_CERT_FUTURE, who);
    else if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
        conn_err(&c->t, LM_M_TLS_CERT_NAME, who, c->host,
                 c->names[0] ? c->names : lm_tr(LM_M_TLS_OTHER_NAMES));
    else if (flags & MBEDTLS_X509_BADCERT_REVOKED)
        conn_err(&c->t, LM_M_TLS_CERT_REVOKED, who);
    else if (flags & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
                      MBEDTLS_X509_BADCERT_NS_CERT_TYPE))
        conn_err(&c->t, LM_M_TLS_CERT_USAGE, who);
    else if (flags & (MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK |
                      MBEDTLS_X509_BADCERT_BAD_KEY))
        conn_err(&c->t, LM_M_TLS_CERT_WEAK, who);
    else
        conn_err(&c->t, LM_M_TLS_CERT_FAILED, who, (unsigned)flags, fix_ca);
    return LM_ERR_VERIFY;
}

/* Map an mbedTLS failure onto error.h, leaving one line in t->err. */
static int map_error(tls_conn *c, int ret, int in_handshake)
{
    char msg[128];
    if (ret == MBEDTLS_ERR_SSL_WANT_READ)
        return LM_WANT_READ;
    if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
        return LM_WANT_WRITE;
    if (in_handshake && !c->cfg->is_server && c->first_byte >= 0 &&
        !first_byte_is_tls(c->first_byte)) {
        conn_err(&c->t, LM_M_TLS_NOT_TLS, c->t.peer);
        return LM_ERR_NOT_TLS;
    }
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
        return verify_error(c, flags ? flags : MBEDTLS_X509_BADCERT_OTHER);
    }
    if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE)
        return verify_error(c, MBEDTLS_X509_BADCERT_MISSING);
    if (ret == MBEDTLS_ERR_NET_CONN_RESET) {
        conn_err(&c->t, in_handshake ? LM_M_TLS_RESET_HS : LM_M_TLS_RESET, c->t.peer, c->neterr);
        return LM_ERR_RESET;
    }
    if (ret == MBEDTLS_ERR_SSL_CONN_EOF) {
        conn_err(&c->t, in_handshake ? LM_M_TLS_CLOSED_HS : LM_M_TLS_CLOSED_MID, c->t.peer);
        return LM_ERR_RESET;
    }
    if (ret == MBEDTLS_ERR_NET_RECV_FAILED || ret == MBEDTLS_ERR_NET_SEND_FAILED) {
        lm_tp_set_error(&c->t, "%s", c->neterr[0] ? c->neterr : lm_tr(LM_M_TLS_NET_ERROR));
        return LM_ERR;
    }
    tls_strerror(ret, msg, sizeof msg);
    if (!in_handshake && !c->cfg->is_server && !c->cfg->cert_file && !c->app_data_seen &&
        lm_compat_is_tls13(&c->ssl) &&
        (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE || ret == MBEDTLS_ERR_SSL_INVALID_MAC))
        /* TLS 1.3 clients finish their handshake before the server has
         * judged them; a refusal then (often of a missing client
         * certificate) reaches us as an alert, or as a record we cannot
         * decrypt because the server sent it under its handshake keys. */
        conn_err(&c->t, LM_M_TLS_ENDED_AFTER_HS, c->t.peer, msg);
    else if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
        conn_err(&c->t, LM_M_TLS_ALERT, c->t.peer, msg);
    else
        conn_err(&c->t, LM_M_TLS_ERROR, c->t.peer, msg);
    return LM_ERR_TLS;
}

/* ==== after the handshake ==== */

/* "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256" -> "ECDHE-ECDSA-AES128-GCM-SHA256",
 * "TLS1-3-AES-128-GCM-SHA256" -> "TLS_AES_128_GCM_SHA256": the names people
 * know from OpenSSL and Wireshark. */
static void suite_name(const char *mb, char *out, size_t outlen)
{
    const char *with;
    if (strncmp(mb, "TLS1-3-", 7) == 0) {
        size_t i = 0;
        i += (size_t)snprintf(out, outlen, "TLS_");
        for (const char *s = mb + 7; *s && i + 1 < outlen; s++)
            out[i++] = *s == '-' ? '_' : *s;
        out[i < outlen ? i : outlen - 1] = '\0';
        return;
    }
    if (strncmp(mb, "TLS-", 4) != 0 || !(with = strstr(mb, "-WITH-"))) {
        snprintf(out, outlen, "%s", mb);
        return;
    }
    const char *ciph = with + 6;
    const char *tail = ciph;
    const char *alg = "";
    if (strncmp(ciph, "AES-128-", 8) == 0) {
        alg = "AES128-";
        tail = ciph + 8;
    } else if (strncmp(ciph, "AES-256-", 8) == 0) {
        alg = "AES256-";
        tail = ciph + 8;
    } else if (strcmp(ciph, "CHACHA20-POLY1305-SHA256") == 0) {
        tail = "CHACHA20-POLY1305";
    }
    snprintf(out, outlen, "%.*s-%s%s", (int)(with - (mb + 4)), mb + 4, alg, tail);
}

/* Take the session this client just got and keep it for the next connect
 * to the same host (replacing the previous one). */
static void save_session(tls_conn *c, mbedtls_ssl_session *s)
{
    lm_tls_config *cfg = c->cfg;
    lm_mutex_lock(cfg->lock);
    mbedtls_ssl_session_free(&cfg->last);
    cfg->last = *s; /* moves ownership of the session's buffers */
    cfg->has_last = 1;
    snprintf(cfg->last_host, sizeof cfg->last_host, "%s", c->host);
    lm_mutex_unlock(cfg->lock);
    mbedtls_ssl_session_init(s);
}

/* A TLS 1.3 ticket arrived (3.x): keep it for the next connection. */
static void save_ticket(tls_conn *c)
{
    mbedtls_ssl_session s;
    mbedtls_ssl_session_init(&s);
    if (mbedtls_ssl_get_session(&c->ssl, &s) == 0)
        save_session(c, &s);
    mbedtls_ssl_session_free(&s);
}

/* Fill the transport's description, verification and resumption state,
 * and the counters, once the handshake is over. */
static void after_handshake(tls_conn *c)
{
    lm_tls_config *cfg = c->cfg;
    char suite[64];
    const char *ver = mbedtls_ssl_get_version(&c->ssl);
    const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&c->ssl);
    int tls13 = lm_compat_is_tls13(&c->ssl);

    c->handshake_done = 1;
    c->t.secure = 1;
    suite_name(mbedtls_ssl_get_ciphersuite(&c->ssl), suite, sizeof suite);
    snprintf(c->t.desc, sizeof c->t.desc, "TLS %s %s", strncmp(ver, "TLSv", 4) == 0 ? ver + 4 : ver,
             suite);
    c->t.verified = cfg->authmode != MBEDTLS_SSL_VERIFY_NONE && peer &&
                    mbedtls_ssl_get_verify_result(&c->ssl) == 0;
    c->t.peer_cn[0] = '\0';
    if (cfg->is_server && c->t.verified)
        cert_cn(peer, c->t.peer_cn, sizeof c->t.peer_cn);
    if (cfg->is_server && !peer && c->srv_resumed && c->ticket_cn[0]) {
        /* A resumed TLS 1.3 session: the identity its ticket was issued to. */
        c->t.verified = 1;
        snprintf(c->t.peer_cn, sizeof c->t.peer_cn, "%s", c->ticket_cn);
    }

    if (cfg->is_server) {
        c->t.resumed = c->srv_resumed;
    } else if (tls13) {
        /* A resumed TLS 1.3 handshake carries no certificate; the session
         * to save comes later, with the server's ticket. */
        c->t.resumed = c->offered && !c->cert_seen && cfg->authmode != MBEDTLS_SSL_VERIFY_NONE;
    } else {
        mbedtls_ssl_session s;
        mbedtls_ssl_session_init(&s);
        if (mbedtls_ssl_get_session(&c->ssl, &s) == 0) {
            c->t.resumed = c->offered && memcmp(LM_COMPAT_SESSION_MASTER(&s), c->offered_master,
                                                sizeof c->offered_master) == 0;
            save_session(c, &s);
        }
        mbedtls_ssl_session_free(&s);
    }
    atomic_fetch_add(&cfg->handshakes, 1);
    if (c->t.resumed)
        atomic_fetch_add(&cfg->resumed, 1);
}

/* ==== transport operations ==== */

static int tls_handshake(lm_transport *t)
{
    tls_conn *c = (tls_conn *)t;
    if (c->handshake_done)
        return LM_OK;
    if (c->no_host) {
        conn_err(t, LM_M_TLS_NO_HOST, t->peer);
        return LM_ERR_CONFIG;
    }
    tls_current = c;
    int ret = mbedtls_ssl_handshake(&c->ssl);
    tls_current = NULL;
    if (ret != 0)
        return map_error(c, ret, 1);
    after_handshake(c);
    return LM_OK;
}

/* EOF from the peer: clean between records, a cut inside one. */
static long eof_result(tls_conn *c)
{
    if (c->hdr_have == 0 && c->rec_left == 0)
        return 0;
    return map_error(c, MBEDTLS_ERR_SSL_CONN_EOF, 0);
}

static long tls_read(lm_transport *t, void *buf, size_t len)
{
    tls_conn *c = (tls_conn *)t;
    if (!c->handshake_done) {
        int hs = tls_handshake(t);
        if (hs != LM_OK)
            return hs;
    }
    if (len > INT_MAX)
        len = INT_MAX;
    for (;;) {
        int ret = mbedtls_ssl_read(&c->ssl, buf, len);
        if (ret > 0) {
            c->app_data_seen = 1;
            return ret;
        }
        if (ret == LM_COMPAT_ERR_NEW_TICKET) {
            save_ticket(c);
            continue;
        }
        if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
            return 0;
        if (ret == 0 || ret == MBEDTLS_ERR_SSL_CONN_EOF)
            return eof_result(c);
        return map_error(c, ret, 0);
    }
}

/* mbedTLS has already encrypted the bytes of an interrupted write and wants
 * the very same call again; the caller guarantees those bytes are still at
 * the head of buf, and we supply the length. */
static long tls_write(lm_transport *t, const void *buf, size_t len)
{
    tls_conn *c = (tls_conn *)t;
    if (!c->handshake_done) {
        int hs = tls_handshake(t);
        if (hs != LM_OK)
            return hs;
    }
    if (c->pending_write) {
        if (len < c->pending_write) {
            conn_err(t, LM_M_TLS_WRITE_RETRY, len, c->pending_write);
            return LM_ERR;
        }
        len = c->pending_write;
    }
    if (len > INT_MAX)
        len = INT_MAX;
    for (;;) {
        int ret = mbedtls_ssl_write(&c->ssl, buf, len);
        if (ret >= 0) {
            c->pending_write = 0;
            return ret;
        }
        if (ret == LM_COMPAT_ERR_NEW_TICKET) {
            save_ticket(c);
            continue;
        }
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            c->pending_write = len;
        return map_error(c, ret, 0);
    }
}

static size_t tls_pending(lm_transport *t)
{
    return mbedtls_ssl_get_bytes_avail(&((tls_conn *)t)->ssl);
}

static int tls_shutdown(lm_transport *t)
{
    tls_conn *c = (tls_conn *)t;
    if (!c->handshake_done)
        return LM_OK;
    int ret = mbedtls_ssl_close_notify(&c->ssl);
    if (ret == 0)
        return LM_OK;
    return map_error(c, ret, 0);
}

static void tls_destroy(lm_transport *t)
{
    tls_conn *c = (tls_conn *)t;
    mbedtls_ssl_free(&c->ssl);
    inner_put(c->inner);
    free(c);
}

static const lm_transport_ops tls_ops = {
    .kind = "tls",
    .handshake = tls_handshake,
    .read = tls_read,
    .write = tls_write,
    .pending = tls_pending,
    .shutdown = tls_shutdown,
    .destroy = tls_destroy,
};

lm_transport *lm_tls_new(lm_tls_config *cfg, lm_sock s, const char *peer, const char *host,
                         char *err, size_t errlen)
{
    tls_conn *c;
    char msg[128];
    int ret;

    if (host && strlen(host) >= sizeof c->host) {
        /* DNS names end at 253 bytes; TLS (SNI) takes no more than 255. */
        set_err(err, errlen, LM_M_TLS_CONN_SETUP_FAILED, peer ? peer : "?",
                lm_tr(LM_M_TLS_NAME_TOO_LONG));
        return NULL;
    }
    c = lm_xcalloc(1, sizeof *c);
    c->t.ops = &tls_ops;
    c->t.sock = s;
    c->cfg = cfg;
    c->first_byte = -1;
    snprintf(c->t.peer, sizeof c->t.peer, "%s", peer ? peer : "?");
    snprintf(c->t.desc, sizeof c->t.desc, "TLS (handshake not done)");
    snprintf(c->host, sizeof c->host, "%s", host ? host : "");
    c->inner = inner_get(cfg);
    mbedtls_ssl_init(&c->ssl);
    ret = mbedtls_ssl_setup(&c->ssl, &c->inner->conf);
    if (ret != 0)
        goto fail;
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
    mbedtls_ssl_set_verify(&c->ssl, verify_cb, c);
    if (cfg->keylog)
        LM_COMPAT_KEYLOG_SSL(&c->ssl, cfg);

    if (!cfg->is_server) {
        if (cfg->authmode != MBEDTLS_SSL_VERIFY_NONE && !c->host[0])
            c->no_host = 1;
        if (c->host[0]) {
            c->ip_len = parse_ip(c->host, c->ip);
            /* An IP is never sent as SNI; on 2.28 it is matched by verify_cb
             * since the library would compare it with DNS names only. */
            if (c->ip_len && !LM_COMPAT_LIB_MATCHES_IP_SAN)
                c->ip_check = cfg->authmode != MBEDTLS_SSL_VERIFY_NONE;
            else if ((ret = mbedtls_ssl_set_hostname(&c->ssl, c->host)) != 0)
                goto fail;
        }
        lm_mutex_lock(cfg->lock);
        if (cfg->has_last && strcmp(cfg->last_host, c->host) == 0 &&
            mbedtls_ssl_set_session(&c->ssl, &cfg->last) == 0) {
            c->offered = 1;
            memcpy(c->offered_master, LM_COMPAT_SESSION_MASTER(&cfg->last),
                   sizeof c->offered_master);
        }
        lm_mutex_unlock(cfg->lock);
    }
    return &c->t;
fail:
    /* The socket is the caller's, as on success (transport.h). */
    tls_strerror(ret, msg, sizeof msg);
    set_err(err, errlen, LM_M_TLS_CONN_SETUP_FAILED, c->t.peer, msg);
    mbedtls_ssl_free(&c->ssl);
    inner_put(c->inner);
    free(c);
    return NULL;
}
