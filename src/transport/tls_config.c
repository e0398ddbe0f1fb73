/* lanmsg TLS backend: configuration (certificates, keys, policy), SIGHUP
 * reload, session tickets and the cache, and the key log. See
 * tls_internal.h for the shape of what is shared. */
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

#include <mbedtls/platform_util.h>

/* Errors a person reads come from the message catalog, so they are
 * translated; tls_set_err fills a caller's buffer, tls_conn_err a connection's. */
void tls_set_err(char *err, size_t errlen, lm_msg_id id, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, id);
    lm_vformat(err, errlen, id, ap);
    va_end(ap);
}

/* mbedtls_strerror's text, kept whole with its module prefix ("SSL - "):
 * it names the module, which helps bug reports. A number when the library
 * was built without error strings. */
void tls_strerror(int ret, char *buf, size_t len)
{
    mbedtls_strerror(ret, buf, len);
    if (!buf[0])
        snprintf(buf, len, "mbed TLS error -0x%04x", (unsigned)-ret);
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

static void ticket_id_store(tls_conn *c, const unsigned char *ticket, size_t len)
{
    lm_tls_config *cfg = c->cfg;
    const char *cn = tls_verified_client_cn(c);
    unsigned char d[32];
    if (!cn || ticket_digest(ticket, len, d) != 0)
        return;
    lm_mutex_lock(cfg->lock);
    tls_ticket_id *e = &cfg->ids[cfg->next_id++ % TLS_TICKET_IDS];
    memcpy(e->digest, d, sizeof d);
    snprintf(e->cn, sizeof e->cn, "%.64s", cn);
    e->used = 1;
    /* The key too (or the one a resumed session had): a revocation must
     * reach resumed sessions (tls_trust_resumed). */
    e->has_fp = c->has_peer_fp || c->has_ticket_fp;
    memcpy(e->fp, c->has_peer_fp ? c->peer_fp : c->ticket_fp, sizeof e->fp);
    lm_mutex_unlock(cfg->lock);
}

static void ticket_id_find(tls_conn *c, const unsigned char d[32])
{
    lm_tls_config *cfg = c->cfg;
    lm_mutex_lock(cfg->lock);
    for (size_t i = 0; i < TLS_TICKET_IDS; i++) {
        if (cfg->ids[i].used && memcmp(cfg->ids[i].digest, d, 32) == 0) {
            snprintf(c->ticket_cn, sizeof c->ticket_cn, "%s", cfg->ids[i].cn);
            c->has_ticket_fp = cfg->ids[i].has_fp;
            memcpy(c->ticket_fp, cfg->ids[i].fp, sizeof c->ticket_fp);
            break;
        }
    }
    lm_mutex_unlock(cfg->lock);
}

/* Server hooks: the shared ticket writer and parser and session cache,
 * wrapped so that a successful lookup marks the connection being
 * handshaken as resumed (mbedTLS resumes exactly when these succeed, and
 * has no public query), and so that tickets keep the client's identity. */
int tls_ticket_write_hook(void *p_ticket, const mbedtls_ssl_session *session, unsigned char *start,
                          const unsigned char *end, size_t *tlen, uint32_t *lifetime)
{
    int ret = mbedtls_ssl_ticket_write(p_ticket, session, start, end, tlen, lifetime);
    if (ret == 0 && tls_current)
        ticket_id_store(tls_current, start, *tlen);
    return ret;
}

int tls_ticket_parse_hook(void *p_ticket, mbedtls_ssl_session *session, unsigned char *buf,
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

int tls_cache_get_hook(LM_COMPAT_CACHE_GET_PARAMS)
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
void lm_tls_keylog_write(void *p, const char *label, const unsigned char *client_random,
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
        tls_set_err(err, errlen, LM_M_TLS_BAD_CIPHER, cipher);
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
    tls_set_err(err, errlen, e == ENOENT ? LM_M_TLS_CANNOT_READ_MISSING : LM_M_TLS_CANNOT_READ,
                what, path, strerror(e));
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
        tls_set_err(err, errlen, LM_M_TLS_BAD_CERT_FILE, what, path, msg);
        return -1;
    }
    return 0;
}

/* Load our own certificate and key, refusing a key others can read and a
 * key that is not the certificate's. */
/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static long days_of(const mbedtls_x509_time *t)
{
    return days_from_civil(t->year, t->mon, t->day);
}

/* Our own certificate, checked once at start (and at each reload) rather
 * than at every handshake: refuse one a peer would refuse (expired, not yet
 * valid, not meant for this side of TLS), and warn while there is time to
 * renew it. */
static int check_own_cert(lm_tls_config *cfg, const mbedtls_x509_crt *crt, char *err, size_t errlen)
{
    const char *oid = cfg->is_server ? MBEDTLS_OID_SERVER_AUTH : MBEDTLS_OID_CLIENT_AUTH;
    size_t oid_len = cfg->is_server ? MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)
                                    : MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH);
    const char *use = cfg->is_server ? "serverAuth" : "clientAuth";
    char date[16], now_text[32];
    long today, left;

    lm_wall_clock(now_text, sizeof now_text);
    today = days_from_civil(atoi(now_text), atoi(now_text + 5), atoi(now_text + 8));
    if (mbedtls_x509_time_is_past(&crt->valid_to)) {
        snprintf(date, sizeof date, "%04d-%02d-%02d", crt->valid_to.year, crt->valid_to.mon,
                 crt->valid_to.day);
        tls_set_err(err, errlen, LM_M_TLS_OWN_EXPIRED, cfg->cert_file, date);
        return -1;
    }
    if (mbedtls_x509_time_is_future(&crt->valid_from)) {
        snprintf(date, sizeof date, "%04d-%02d-%02d", crt->valid_from.year, crt->valid_from.mon,
                 crt->valid_from.day);
        tls_set_err(err, errlen, LM_M_TLS_OWN_FUTURE, cfg->cert_file, date);
        return -1;
    }
    if (mbedtls_x509_crt_check_extended_key_usage(crt, oid, oid_len) != 0 ||
        mbedtls_x509_crt_check_key_usage(crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0) {
        tls_set_err(err, errlen, LM_M_TLS_OWN_USAGE, cfg->cert_file, use);
        return -1;
    }
    left = days_of(&crt->valid_to) - today;
    if (left <= 30) {
        snprintf(date, sizeof date, "%04d-%02d-%02d", crt->valid_to.year, crt->valid_to.mon,
                 crt->valid_to.day);
        lm_warn(LM_M_TLS_OWN_EXPIRES_SOON, cfg->cert_file, date, left);
    }
    return 0;
}

static int load_own(lm_tls_config *cfg, tls_inner *in, char *err, size_t errlen)
{
    char msg[128];
    if (load_certs(&in->cert, cfg->cert_file, lm_tr(LM_M_TLS_WHAT_CERT), err, errlen) != 0)
        return -1;
    if (check_readable(cfg->key_file, lm_tr(LM_M_TLS_WHAT_KEY), err, errlen) != 0)
        return -1;
    int mode = lm_file_mode(cfg->key_file, msg, sizeof msg);
    if (mode >= 0 && (mode & 077) && !cfg->allow_insecure_key_perms) {
        tls_set_err(err, errlen, LM_M_TLS_KEY_PERMS, cfg->key_file, (unsigned)mode & 07777,
                    cfg->key_file);
        return -1;
    }
    int ret = LM_COMPAT_PK_PARSE_KEYFILE(&in->key, cfg->key_file, cfg->key_pass,
                                         mbedtls_ctr_drbg_random, &cfg->drbg);
    if (ret != 0) {
        if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
            tls_set_err(err, errlen, LM_M_TLS_KEY_PASSPHRASE, cfg->key_file);
        } else if (ret == MBEDTLS_ERR_PK_PASSWORD_MISMATCH) {
            tls_set_err(err, errlen, LM_M_TLS_KEY_WRONG_PASS, cfg->key_file);
        } else {
            tls_strerror(ret, msg, sizeof msg);
            tls_set_err(err, errlen, LM_M_TLS_BAD_KEY_FILE, cfg->key_file, msg);
        }
        return -1;
    }
    if (LM_COMPAT_PK_CHECK_PAIR(&in->cert.pk, &in->key, mbedtls_ctr_drbg_random, &cfg->drbg) != 0) {
        tls_set_err(err, errlen, LM_M_TLS_KEY_MISMATCH, cfg->key_file, cfg->cert_file);
        return -1;
    }
    return check_own_cert(cfg, &in->cert, err, errlen);
}

static void inner_free(tls_inner *in)
{
    if (!in)
        return;
    mbedtls_ssl_config_free(&in->conf);
    mbedtls_ssl_config_free(&in->dconf);
    mbedtls_x509_crt_free(&in->cert);
    mbedtls_pk_free(&in->key);
    free(in);
}

/* One library configuration: the policy and the shared parts of cfg, over
 * TCP or (datagram) UDP. Both are built from the same certificate, key, CA
 * chain and trust, so DTLS verifies exactly as TLS does. */
static int conf_build(lm_tls_config *cfg, tls_inner *in, mbedtls_ssl_config *conf, int datagram,
                      char *err, size_t errlen)
{
    char msg[128];
    int ret = mbedtls_ssl_config_defaults(
        conf, cfg->is_server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
        datagram ? MBEDTLS_SSL_TRANSPORT_DATAGRAM : MBEDTLS_SSL_TRANSPORT_STREAM,
        MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0)
        goto fail;
    mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &cfg->drbg);
    if (datagram) {
        /* DTLS 1.2: the library has no DTLS 1.3 (check_options refuses
         * --tls-version 13 with datagrams). */
        lm_compat_conf_versions(conf, 12, 12);
        if ((ret = dtls_conf(cfg, conf)) != 0)
            goto fail;
    } else {
        lm_compat_conf_versions(conf, cfg->min_version, cfg->max_version);
        lm_compat_conf_tls13(conf, cfg->is_server);
    }
    mbedtls_ssl_conf_ciphersuites(conf, cfg->suites);
    lm_compat_conf_groups(conf);
#if defined(MBEDTLS_SSL_RENEGOTIATION)
    mbedtls_ssl_conf_renegotiation(conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
    mbedtls_ssl_conf_authmode(conf, cfg->authmode);
#if defined(MBEDTLS_SSL_ALPN)
    if (cfg->alpn && (ret = mbedtls_ssl_conf_alpn_protocols(conf, (const char **)cfg->alpn)) != 0)
        goto fail;
#endif
    if (cfg->has_ca)
        mbedtls_ssl_conf_ca_chain(conf, &cfg->ca, NULL);
    if (cfg->cert_file) {
        ret = mbedtls_ssl_conf_own_cert(conf, &in->cert, &in->key);
        if (ret != 0) {
            tls_strerror(ret, msg, sizeof msg);
            tls_set_err(err, errlen, LM_M_TLS_CANNOT_USE_CERT, cfg->cert_file, msg);
            return -1;
        }
    }
    if (cfg->is_server) {
        mbedtls_ssl_conf_session_tickets_cb(conf, tls_ticket_write_hook, tls_ticket_parse_hook,
                                            &cfg->ticket);
        mbedtls_ssl_conf_session_cache(conf, &cfg->cache, tls_cache_get_hook,
                                       mbedtls_ssl_cache_set);
    } else {
        mbedtls_ssl_conf_session_tickets(conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
    }
    if (cfg->keylog)
        LM_COMPAT_KEYLOG_CONF(conf, cfg);
    return 0;
fail:
    tls_strerror(ret, msg, sizeof msg);
    tls_set_err(err, errlen, LM_M_TLS_SETUP_FAILED, msg);
    return -1;
}

/* Build an immutable inner configuration: the policy, the shared parts of
 * cfg, and freshly loaded own certificate and key; the DTLS configuration
 * beside the TLS one when datagrams were asked for. */
static tls_inner *inner_new(lm_tls_config *cfg, char *err, size_t errlen)
{
    tls_inner *in = lm_xcalloc(1, sizeof *in);
    atomic_init(&in->refs, 1);
    mbedtls_ssl_config_init(&in->conf);
    mbedtls_ssl_config_init(&in->dconf);
    mbedtls_x509_crt_init(&in->cert);
    mbedtls_pk_init(&in->key);

    if (cfg->cert_file && load_own(cfg, in, err, errlen) != 0)
        goto fail;
    if (conf_build(cfg, in, &in->conf, 0, err, errlen) != 0)
        goto fail;
    if (cfg->datagram) {
        if (conf_build(cfg, in, &in->dconf, 1, err, errlen) != 0)
            goto fail;
        in->has_dconf = 1;
    }
    return in;
fail:
    inner_free(in);
    return NULL;
}

tls_inner *tls_inner_get(lm_tls_config *cfg)
{
    lm_mutex_lock(cfg->lock);
    tls_inner *in = cfg->current;
    atomic_fetch_add(&in->refs, 1);
    lm_mutex_unlock(cfg->lock);
    return in;
}

void tls_inner_put(tls_inner *in)
{
    if (in && atomic_fetch_sub(&in->refs, 1) == 1)
        inner_free(in);
}

int lm_tls_available(void)
{
    return 1;
}

/* Traditional OpenSSL encryption says "Proc-Type: 4,ENCRYPTED"; PKCS#8
 * says "BEGIN ENCRYPTED PRIVATE KEY". Either is in the first lines. */
int lm_tls_key_is_encrypted(const char *key_file)
{
    char head[512];
    size_t n;
    FILE *f = fopen(key_file, "rb");
    if (!f)
        return 0;
    n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = '\0';
    return strstr(head, "ENCRYPTED") != NULL;
}

/* The library this file was compiled against (the compat choices were made
 * for it) and the protocol versions it can speak, as --version shows them:
 * scripts and tests tell a TLS 1.3 build by ", TLS 1.3". A static string,
 * safe from any thread. */
const char *lm_tls_library(void)
{
#if defined(LANMSG_MBEDTLS_LEGACY)
#define LM_TLS_LIBRARY_NOTE " (legacy: end-of-life upstream, no security fixes)"
#else
#define LM_TLS_LIBRARY_NOTE ""
#endif
    return LM_COMPAT_HAVE_TLS13 ? MBEDTLS_VERSION_STRING_FULL LM_TLS_LIBRARY_NOTE
               ", TLS 1.2, TLS 1.3"
                                : MBEDTLS_VERSION_STRING_FULL LM_TLS_LIBRARY_NOTE ", TLS 1.2";
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
        tls_set_err(err, errlen, LM_M_TLS_SERVER_NEEDS_CERT);
        return -1;
    }
    if (!o->cert_file != !o->key_file) {
        tls_set_err(err, errlen, LM_M_TLS_CERT_KEY_PAIR);
        return -1;
    }
    if (!o->is_server && !o->insecure && !o->ca_file && !o->trust) {
        tls_set_err(err, errlen, LM_M_TLS_NO_CA);
        return -1;
    }
    if (o->is_server && o->require_client_cert && !o->ca_file && !o->ca_file2) {
        tls_set_err(err, errlen, LM_M_TLS_REQUIRE_NEEDS_CA);
        return -1;
    }
    if (o->tls_version != 0 && o->tls_version != 12 && o->tls_version != 13) {
        tls_set_err(err, errlen, LM_M_TLS_BAD_VERSION, o->tls_version);
        return -1;
    }
    if (o->tls_version == 13 && o->datagram) {
        tls_set_err(err, errlen, LM_M_TLS_DTLS13);
        return -1;
    }
    if (o->tls_version == 13 && !LM_COMPAT_HAVE_TLS13) {
        tls_set_err(err, errlen, LM_M_TLS_NO_TLS13, lm_tls_library());
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
    cfg->datagram = o->datagram;
    cfg->allow_insecure_key_perms = o->allow_insecure_key_perms;
    cfg->min_version = o->tls_version == 13 ? 13 : 12;
    cfg->max_version = o->tls_version == 12 ? 12 : (LM_COMPAT_HAVE_TLS13 ? 13 : 12);
    cfg->cert_file = o->cert_file ? lm_xstrdup(o->cert_file) : NULL;
    cfg->key_file = o->key_file ? lm_xstrdup(o->key_file) : NULL;
    cfg->key_pass = o->key_pass ? lm_xstrdup(o->key_pass) : NULL;
    cfg->lock = lm_mutex_new();
    atomic_init(&cfg->handshakes, 0);
    atomic_init(&cfg->resumed, 0);
    mbedtls_entropy_init(&cfg->entropy);
    mbedtls_ctr_drbg_init(&cfg->drbg);
    mbedtls_x509_crt_init(&cfg->ca);
    mbedtls_ssl_ticket_init(&cfg->ticket);
    mbedtls_ssl_cache_init(&cfg->cache);
    mbedtls_ssl_session_init(&cfg->last);
    mbedtls_ssl_cookie_init(&cfg->cookie);

    if (!cfg->lock) {
        tls_set_err(err, errlen, LM_M_TLS_SETUP_FAILED, "no mutex");
        goto fail_runtime;
    }
    /* Failures of the library or the system, not of the configuration. */
    if (LM_COMPAT_PSA_INIT() != 0) {
        tls_set_err(err, errlen, LM_M_TLS_PSA_FAILED);
        goto fail_runtime;
    }
    ret = mbedtls_ctr_drbg_seed(&cfg->drbg, mbedtls_entropy_func, &cfg->entropy,
                                (const unsigned char *)"lanmsg", 6);
    if (ret != 0) {
        tls_strerror(ret, msg, sizeof msg);
        tls_set_err(err, errlen, LM_M_TLS_SEED_FAILED, msg);
        goto fail_runtime;
    }
    if (build_suites(cfg, o->cipher, err, errlen) != 0)
        goto fail;

    if (o->ca_file && !(o->insecure && !o->is_server)) {
        if (load_certs(&cfg->ca, o->ca_file, lm_tr(LM_M_TLS_WHAT_CA), err, errlen) != 0)
            goto fail;
        cfg->has_ca = 1;
    }
    /* The pairing issuer beside the certificate helper's CA: parse_file
     * appends to the chain. */
    if (o->ca_file2 && o->is_server) {
        if (load_certs(&cfg->ca, o->ca_file2, lm_tr(LM_M_TLS_WHAT_CA), err, errlen) != 0)
            goto fail;
        cfg->has_ca = 1;
    }
    if (o->is_server)
        cfg->authmode = o->require_client_cert ? MBEDTLS_SSL_VERIFY_REQUIRED
                        : cfg->has_ca          ? MBEDTLS_SSL_VERIFY_OPTIONAL
                                               : MBEDTLS_SSL_VERIFY_NONE;
    else
        /* With trust, "optional": the verify callback decides, and ends the
         * handshake itself when it refuses (a pin needs no CA). */
        cfg->authmode = o->insecure ? MBEDTLS_SSL_VERIFY_NONE
                        : o->trust  ? MBEDTLS_SSL_VERIFY_OPTIONAL
                                    : MBEDTLS_SSL_VERIFY_REQUIRED;
    cfg->trust = o->trust;
    cfg->port = o->port;
    cfg->alpn = o->alpn;

    if (o->is_server) {
        ret = mbedtls_ssl_ticket_setup(&cfg->ticket, mbedtls_ctr_drbg_random, &cfg->drbg,
                                       MBEDTLS_CIPHER_AES_256_GCM, TLS_TICKET_LIFETIME_S);
        if (ret != 0) {
            tls_strerror(ret, msg, sizeof msg);
            tls_set_err(err, errlen, LM_M_TLS_TICKETS_FAILED, msg);
            goto fail_runtime;
        }
    }
    /* The cookie key is random per run: a cookie proves the client can
     * receive at its address, and is good for a minute. */
    if (o->is_server && o->datagram &&
        (ret = mbedtls_ssl_cookie_setup(&cfg->cookie, mbedtls_ctr_drbg_random, &cfg->drbg)) != 0) {
        tls_strerror(ret, msg, sizeof msg);
        tls_set_err(err, errlen, LM_M_TLS_SETUP_FAILED, msg);
        goto fail_runtime;
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
    tls_inner_put(cfg->current);
    mbedtls_ssl_session_free(&cfg->last);
    mbedtls_ssl_cookie_free(&cfg->cookie);
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
    if (cfg->key_pass) {
        mbedtls_platform_zeroize(cfg->key_pass, strlen(cfg->key_pass));
        free(cfg->key_pass);
    }
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
    tls_inner_put(old);
    return LM_OK;
}

void lm_tls_get_stats(lm_tls_config *cfg, lm_tls_stats *out)
{
    out->handshakes = atomic_load(&cfg->handshakes);
    out->resumed = atomic_load(&cfg->resumed);
}
