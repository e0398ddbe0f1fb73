/* lanmsg TLS backend: where it meets trust (src/trust/) and pairing.
 *
 * With a trust object in the configuration (lm_tls_options.trust), the
 * library's chain verdict is one input and trust/trust.c decides: pins,
 * known_servers, enrolled clients, revocations. Accepted (verified, or a
 * first use): the flags are cleared, so the connection counts as verified.
 * Refused: a fatal error from the verify callback, so even an "optional"
 * check (a client with trust verifies optionally: a pin needs no CA) ends
 * the handshake with an alert, and the connection's error is trust's line.
 *
 * Also the accessors of tls_trust.h: the negotiated ALPN, both keys'
 * fingerprints and the exporter, which pairing binds its keys to.
 *
 * Needs the trust fields of tls_internal.h (tls_trust_hooks.c.txt). */
#define LM_TLS_BACKEND 1

#include <stdio.h>
#include <string.h>

#include "transport/tls_internal.h"
#include "transport/tls_trust.h"

int tls_spki_fp(const mbedtls_x509_crt *crt, unsigned char out[32])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    return md && crt && crt->pk_raw.p ? mbedtls_md(md, crt->pk_raw.p, crt->pk_raw.len, out) : -1;
}

/* mbedTLS's flags in trust's words. */
static unsigned chain_flags(uint32_t f)
{
    const uint32_t untrusted = MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_MISSING;
    const uint32_t expired = MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE;
    unsigned out = 0;
    if (f & untrusted)
        out |= LM_CHAIN_UNTRUSTED;
    if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH)
        out |= LM_CHAIN_NAME;
    if (f & expired)
        out |= LM_CHAIN_EXPIRED;
    if (f & ~(untrusted | expired | (uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH))
        out |= LM_CHAIN_OTHER;
    return out;
}

/* Ask trust about one key; the answer lands in c->trust. */
static void ask(tls_conn *c, const unsigned char *fp, unsigned chain, const char *cn)
{
    char who[LM_KNOWN_KEY_MAX + 32];
    lm_trust_peer p;

    memset(&p, 0, sizeof p);
    lm_format(who, sizeof who, c->cfg->is_server ? LM_M_TRUST_WHO_CLIENT : LM_M_TRUST_WHO_SERVER,
              c->cfg->is_server ? c->t.peer : c->hostport);
    p.who = who;
    p.hostport = c->hostport;
    p.has_cert = fp != NULL;
    if (fp)
        memcpy(p.fp, fp, 32);
    p.has_issuer = c->has_issuer_fp;
    memcpy(p.issuer_fp, c->issuer_fp, 32);
    p.chain = chain;
    p.cn = cn ? cn : "";
    lm_trust_check(c->cfg->trust, &p, &c->trust);
    c->trust_done = 1;
}

void tls_trust_hostport(tls_conn *c)
{
    /* known_servers names a server as the person did: host and port. */
    if (lm_known_key(c->host, c->cfg->port ? c->cfg->port : LM_DEFAULT_PORT, c->hostport,
                     sizeof c->hostport, NULL, 0) != 0)
        snprintf(c->hostport, sizeof c->hostport, "%s", c->host);
}

int tls_trust_verify(tls_conn *c, uint32_t *flags)
{
    ask(c, c->has_peer_fp ? c->peer_fp : NULL, chain_flags(*flags), c->leaf_cn);
    switch (c->trust.verdict) {
    case LM_TRUST_VERIFIED:
    case LM_TRUST_FIRST_USE:
        *flags = 0;
        return 0;
    case LM_TRUST_UNVERIFIED:
        return 0; /* a server's optional client check: as without trust */
    default:
        c->trust_refused = 1;
        c->trust_flags = *flags ? *flags : MBEDTLS_X509_BADCERT_OTHER;
        /* The flags pick the alert the peer gets: unknown_ca for a chain
         * to no CA of ours, certificate_revoked, bad_certificate. Where
         * the library fails the handshake on flags (a client; a server
         * requiring certificates) that is all; a server that takes
         * clients without one must be stopped outright (its alert is then
         * the library's access_denied). */
        if (c->trust.reason == LM_TRUST_R_REVOKED)
            *flags |= MBEDTLS_X509_BADCERT_REVOKED;
        else if (!*flags) /* mbedTLS answers BADCERT_OTHER with access_denied, before others */
            *flags = MBEDTLS_X509_BADCERT_OTHER;
        return c->cfg->authmode == MBEDTLS_SSL_VERIFY_REQUIRED ? 0 : MBEDTLS_ERR_X509_FATAL_ERROR;
    }
}

int tls_trust_error(tls_conn *c)
{
    /* Trust's own line; or, for a CA check that failed, the usual one. */
    if (!c->trust.msg[0])
        return tls_verify_error(c, c->trust_flags);
    lm_tp_set_error(&c->t, "%s", c->trust.msg);
    return LM_ERR_VERIFY;
}

/* A resumed session shows no certificate and the verify callback does not
 * run: ask again about the key the session was first made with, from the
 * session (TLS 1.2) or the ticket's identity (TLS 1.3), so that a
 * revocation reaches resumed sessions too. */
int tls_trust_resumed(tls_conn *c, const mbedtls_x509_crt *peer)
{
    unsigned char fp[32];
    if (tls_spki_fp(peer, fp) != 0) {
        if (!c->has_ticket_fp)
            return LM_OK;
        memcpy(fp, c->ticket_fp, sizeof fp);
    }
    ask(c, fp, LM_CHAIN_OK, c->ticket_cn[0] ? c->ticket_cn : c->leaf_cn);
    if (c->trust.verdict != LM_TRUST_REFUSE)
        return LM_OK;
    mbedtls_ssl_send_alert_message(&c->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                   MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED);
    lm_tp_set_error(&c->t, "%s", c->trust.msg);
    return LM_ERR_VERIFY;
}

void tls_trust_client_after(tls_conn *c)
{
    lm_tls_config *cfg = c->cfg;
    /* A resumed session carries the answer of the one it resumes. */
    lm_mutex_lock(cfg->lock);
    if (c->trust_done) {
        cfg->last_trust = c->trust;
        cfg->has_last_trust = 1;
    } else if (cfg->has_last_trust) {
        c->trust = cfg->last_trust;
        c->trust_done = 1;
    }
    lm_mutex_unlock(cfg->lock);
}

/* ==== tls_trust.h ==== */

/* A TLS or DTLS connection (both are tls_conn), else NULL: DTLS peers
 * have the same fingerprints, trust verdicts and exporter as TLS ones. */
static tls_conn *tls_of(lm_transport *t)
{
    return t && t->ops && (strcmp(t->ops->kind, "tls") == 0 || strcmp(t->ops->kind, "dtls") == 0)
               ? (tls_conn *)t
               : NULL;
}

const char *lm_tls_alpn(lm_transport *t)
{
#if defined(MBEDTLS_SSL_ALPN)
    tls_conn *c = tls_of(t);
    return c ? mbedtls_ssl_get_alpn_protocol(&c->ssl) : NULL;
#else
    (void)t;
    return NULL;
#endif
}

int lm_tls_peer_fp(lm_transport *t, unsigned char out[32])
{
    tls_conn *c = tls_of(t);
    if (!c)
        return -1;
    if (c->has_peer_fp) {
        memcpy(out, c->peer_fp, 32);
        return 0;
    }
    return tls_spki_fp(mbedtls_ssl_get_peer_cert(&c->ssl), out);
}

int lm_tls_own_fp(lm_transport *t, unsigned char out[32])
{
    tls_conn *c = tls_of(t);
    return c && c->cfg->cert_file ? tls_spki_fp(&c->inner->cert, out) : -1;
}

int lm_tls_export(lm_transport *t, const char *label, unsigned char *out, size_t len)
{
#if LM_COMPAT_HAVE_EXPORTER
    tls_conn *c = tls_of(t);
    if (!c || !c->handshake_done)
        return -1;
    return mbedtls_ssl_export_keying_material(&c->ssl, out, len, label, strlen(label), NULL, 0,
                                              0) == 0
               ? 0
               : -1;
#else
    (void)t, (void)label, (void)out, (void)len;
    return -1;
#endif
}

const lm_trust_result *lm_tls_trust_result(lm_transport *t)
{
    tls_conn *c = tls_of(t);
    return c && c->trust_done ? &c->trust : NULL;
}
