/* lanmsg TLS backend: one connection. The transport table over mbedTLS:
 * the I/O callbacks over the platform's sockets, the handshake, the record
 * path, and mbedTLS failures mapped onto lanmsg's error codes. */
#define LM_TLS_BACKEND 1

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/dtls.h"
#include "transport/tls_internal.h"

_Thread_local tls_conn *tls_current;

void tls_conn_err(lm_transport *t, lm_msg_id id, ...)
{
    char buf[sizeof t->err];
    va_list ap;
    va_start(ap, id);
    lm_vformat(buf, sizeof buf, id, ap);
    va_end(ap);
    lm_tp_set_error(t, "%s", buf);
}

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

int tls_first_byte_is_tls(int b)
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
    if (c->prefix_off < c->prefix_len) {
        size_t k = c->prefix_len - c->prefix_off;
        if (k > len)
            k = len;
        memcpy(buf, c->prefix + c->prefix_off, k);
        c->prefix_off += k;
        track_records(c, buf, k);
        if (c->prefix_off == c->prefix_len) {
            free(c->prefix);
            c->prefix = NULL;
            c->prefix_len = c->prefix_off = 0;
        }
        return (int)k;
    }
    long n = lm_net_recv(c->t.sock, buf, len, c->neterr, sizeof c->neterr);
    if (n > 0) {
        int was_first = c->first_byte < 0;
        track_records(c, buf, (size_t)n);
        /* A client fails at once on a plain-text answer, rather than waiting
         * for five bytes of "record header" that may never come. */
        if (was_first && !c->cfg->is_server && !tls_first_byte_is_tls(c->first_byte))
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

/* ==== alerts ==== */

/* The TLS alert names (RFC 8446 section 6 and RFC 5246), for messages. */
static const char *alert_name(int d)
{
    switch (d) {
    case 0:
        return "close_notify";
    case 10:
        return "unexpected_message";
    case 20:
        return "bad_record_mac";
    case 22:
        return "record_overflow";
    case 40:
        return "handshake_failure";
    case 42:
        return "bad_certificate";
    case 43:
        return "unsupported_certificate";
    case 44:
        return "certificate_revoked";
    case 45:
        return "certificate_expired";
    case 46:
        return "certificate_unknown";
    case 47:
        return "illegal_parameter";
    case 48:
        return "unknown_ca";
    case 49:
        return "access_denied";
    case 50:
        return "decode_error";
    case 51:
        return "decrypt_error";
    case 70:
        return "protocol_version";
    case 71:
        return "insufficient_security";
    case 80:
        return "internal_error";
    case 86:
        return "inappropriate_fallback";
    case 90:
        return "user_canceled";
    case 109:
        return "missing_extension";
    case 110:
        return "unsupported_extension";
    case 112:
        return "unrecognized_name";
    case 116:
        return "certificate_required";
    case 120:
        return "no_application_protocol";
    default:
        return "unknown";
    }
}

/* A plaintext alert record waiting on the socket (TLS 1.2 sends its
 * refusals before any key is in use): when a write fails because the peer
 * already closed, what it said is often still there to read. -1 if none. */
static int pending_plain_alert(tls_conn *c)
{
    unsigned char b[7];
    char err[64];
    if (lm_net_peek(c->t.sock, b, sizeof b, err, sizeof err) != (long)sizeof b)
        return -1;
    return b[0] == 0x15 && b[1] == 3 && b[3] == 0 && b[4] == 2 && b[5] == 2 ? b[6] : -1;
}

/* One line for a fatal alert from the peer: the cause in words where the
 * alert says it, with what to do. A client's refused certificate is named,
 * with its expiry date when that is the reason. */
static int alert_error(tls_conn *c, int d)
{
    const char *peer = c->t.peer;
    const char *cert = c->cfg->cert_file ? c->cfg->cert_file : "";
    char when[16] = "?";

    if (c->cfg->is_server) {
        /* A client that does not trust us says so: bad_certificate,
         * unknown_ca, certificate_unknown. */
        if (d == 42 || d == 46 || d == 48)
            tls_conn_err(&c->t, LM_M_TLS_ALERT_CLIENT_DISTRUSTS, alert_name(d));
        else
            tls_conn_err(&c->t, LM_M_TLS_ALERT_FROM_PEER, peer, alert_name(d), d);
        return LM_ERR_TLS;
    }
    /* 116 is TLS 1.3's; a DTLS 1.2 server without a certificate from us
     * says handshake_failure (above), after its own certificate came (the
     * same alert before that means no common cipher or group). */
    if (d == 116 || (!c->cfg->cert_file && d == 40 &&
                     ((c->dg && c->cert_seen) || lm_compat_is_tls13(&c->ssl)))) {
        tls_conn_err(&c->t, LM_M_TLS_ALERT_CERT_REQUIRED, peer);
        return LM_ERR_VERIFY;
    }
    if (c->cfg->cert_file && d == 45) {
        const mbedtls_x509_time *t = &c->inner->cert.valid_to;
        snprintf(when, sizeof when, "%04d-%02d-%02d", t->year, t->mon, t->day);
        tls_conn_err(&c->t, LM_M_TLS_ALERT_CERT_EXPIRED, peer, cert, when);
        return LM_ERR_VERIFY;
    }
    if (c->cfg->cert_file && d == 48) {
        tls_conn_err(&c->t, LM_M_TLS_ALERT_UNKNOWN_CA, peer, cert);
        return LM_ERR_VERIFY;
    }
    if (c->cfg->cert_file && d == 44) {
        tls_conn_err(&c->t, LM_M_TLS_ALERT_REVOKED, peer, cert);
        return LM_ERR_VERIFY;
    }
    if (c->cfg->cert_file && (d == 42 || d == 43 || d == 46)) {
        tls_conn_err(&c->t, LM_M_TLS_ALERT_CERT_BAD, peer, cert, alert_name(d));
        return LM_ERR_VERIFY;
    }
    if (d == 70) {
        tls_conn_err(&c->t, LM_M_TLS_ALERT_VERSION, peer);
        return LM_ERR_TLS;
    }
    if (d == 40 || d == 71) {
        tls_conn_err(&c->t, LM_M_TLS_ALERT_NO_COMMON, peer, alert_name(d));
        return LM_ERR_TLS;
    }
    tls_conn_err(&c->t, LM_M_TLS_ALERT_FROM_PEER, peer, alert_name(d), d);
    return LM_ERR_TLS;
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
        !tls_first_byte_is_tls(c->first_byte)) {
        tls_conn_err(&c->t, c->dg ? LM_M_TLS_NOT_DTLS : LM_M_TLS_NOT_TLS, c->t.peer);
        return LM_ERR_NOT_TLS;
    }
    if (ret == MBEDTLS_ERR_SSL_TIMEOUT && c->dg) {
        /* DTLS: the library resent its flight until its limit. */
        tls_conn_err(&c->t, LM_M_TLS_DTLS_TIMEOUT, c->t.peer);
        return LM_ERR;
    }
    if (in_handshake && c->trust_refused)
        return tls_trust_error(c);
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
        return tls_verify_error(c, flags ? flags : MBEDTLS_X509_BADCERT_OTHER);
    }
    if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE) {
        /* The library says nothing here. Over TCP the closed connection
         * tells the client; a DTLS client would resend its flight until
         * its timer gave up, so tell it (RFC 5246 7.4.6). */
        if (c->dg)
            mbedtls_ssl_send_alert_message(&c->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                           MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
        return tls_verify_error(c, MBEDTLS_X509_BADCERT_MISSING);
    }
    if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && lm_compat_last_alert(&c->ssl) >= 0)
        return alert_error(c, lm_compat_last_alert(&c->ssl));
    if (!c->dg && (ret == MBEDTLS_ERR_NET_CONN_RESET || ret == MBEDTLS_ERR_NET_SEND_FAILED ||
                   ret == MBEDTLS_ERR_SSL_CONN_EOF)) {
        /* Closed on us: if it told us why first, that is the cause. */
        int d = pending_plain_alert(c);
        if (d >= 0)
            return alert_error(c, d);
    }
    /* A client whose handshake the server cut short without a readable
     * word gets the likely causes; a server just notes it. */
    const char *hint =
        in_handshake && !c->cfg->is_server
            ? lm_tr(c->cfg->cert_file ? LM_M_TLS_HS_HINT_CERT : LM_M_TLS_HS_HINT_NO_CERT)
            : "";
    if (ret == MBEDTLS_ERR_NET_CONN_RESET) {
        if (in_handshake)
            tls_conn_err(&c->t, LM_M_TLS_RESET_HS, c->t.peer, c->neterr, hint);
        else
            tls_conn_err(&c->t, LM_M_TLS_RESET, c->t.peer, c->neterr);
        return LM_ERR_RESET;
    }
    if (ret == MBEDTLS_ERR_SSL_CONN_EOF) {
        if (!in_handshake)
            tls_conn_err(&c->t, LM_M_TLS_CLOSED_MID, c->t.peer);
        else if (c->cfg->is_server)
            tls_conn_err(&c->t, LM_M_TLS_CLIENT_CLOSED_HS, c->t.peer);
        else
            tls_conn_err(&c->t, LM_M_TLS_CLOSED_HS, c->t.peer, hint);
        return LM_ERR_RESET;
    }
    if (ret == MBEDTLS_ERR_NET_RECV_FAILED || ret == MBEDTLS_ERR_NET_SEND_FAILED) {
        lm_tp_set_error(&c->t, "%s", c->neterr[0] ? c->neterr : lm_tr(LM_M_TLS_NET_ERROR));
        return LM_ERR;
    }
    if (!in_handshake && ret == MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE && lm_compat_is_tls13(&c->ssl)) {
        /* mbedTLS 3.6 takes no KeyUpdate (README: Known TLS limitations). */
        tls_conn_err(&c->t, LM_M_TLS_POST_HS_UNSUPPORTED, c->t.peer);
        return LM_ERR_TLS;
    }
    tls_strerror(ret, msg, sizeof msg);
    if (!in_handshake && !c->cfg->is_server && !c->app_data_seen && lm_compat_is_tls13(&c->ssl) &&
        ret == MBEDTLS_ERR_SSL_INVALID_MAC)
        /* TLS 1.3 clients finish their handshake before the server has
         * judged them; mbedTLS 3.6 servers send that refusal (often of a
         * missing client certificate) under their handshake keys, which a
         * client can no longer read (README: Known TLS limitations). */
        tls_conn_err(&c->t,
                     c->cfg->cert_file ? LM_M_TLS_ENDED_AFTER_HS_CERT : LM_M_TLS_ENDED_AFTER_HS,
                     c->t.peer);
    else if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
        tls_conn_err(&c->t, LM_M_TLS_ALERT, c->t.peer, msg);
    else
        tls_conn_err(&c->t, LM_M_TLS_ERROR, c->t.peer, msg);
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
 * and the counters, once the handshake is over. LM_OK, or LM_ERR_VERIFY
 * when trust refuses the key a resumed session was made with. */
static int after_handshake(tls_conn *c)
{
    lm_tls_config *cfg = c->cfg;
    char suite[64];
    const char *ver = mbedtls_ssl_get_version(&c->ssl);
    const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&c->ssl);
    int tls13 = lm_compat_is_tls13(&c->ssl);

    if (cfg->trust && cfg->is_server && c->srv_resumed && !c->cert_seen &&
        tls_trust_resumed(c, peer) != LM_OK)
        return LM_ERR_VERIFY;
    c->handshake_done = 1;
    c->t.secure = 1;
    suite_name(mbedtls_ssl_get_ciphersuite(&c->ssl), suite, sizeof suite);
    /* "TLSv1.3" -> "TLS 1.3", "DTLSv1.2" -> "DTLS 1.2" */
    if (strncmp(ver, "DTLSv", 5) == 0)
        snprintf(c->t.desc, sizeof c->t.desc, "DTLS %s %s", ver + 5, suite);
    else
        snprintf(c->t.desc, sizeof c->t.desc, "TLS %s %s",
                 strncmp(ver, "TLSv", 4) == 0 ? ver + 4 : ver, suite);
    c->t.verified = cfg->authmode != MBEDTLS_SSL_VERIFY_NONE && peer &&
                    mbedtls_ssl_get_verify_result(&c->ssl) == 0;
    c->t.peer_cn[0] = '\0';
    if (cfg->is_server && c->t.verified && c->trust_done && c->trust.name[0])
        snprintf(c->t.peer_cn, sizeof c->t.peer_cn, "%.64s", c->trust.name); /* enrolled */
    else if (cfg->is_server && c->t.verified)
        tls_cert_cn(peer, c->t.peer_cn, sizeof c->t.peer_cn);
    if (cfg->is_server && !peer && c->srv_resumed && c->ticket_cn[0]) {
        /* A resumed TLS 1.3 session: the identity its ticket was issued to. */
        c->t.verified = 1;
        snprintf(c->t.peer_cn, sizeof c->t.peer_cn, "%s", c->ticket_cn);
    }
    if (cfg->trust && !cfg->is_server)
        tls_trust_client_after(c);

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
    return LM_OK;
}

/* ==== transport operations ==== */

static int tls_handshake(lm_transport *t)
{
    tls_conn *c = (tls_conn *)t;
    if (c->handshake_done)
        return LM_OK;
    if (c->no_host) {
        tls_conn_err(t, LM_M_TLS_NO_HOST, t->peer);
        return LM_ERR_CONFIG;
    }
    tls_current = c;
    int ret = mbedtls_ssl_handshake(&c->ssl);
    tls_current = NULL;
    if (ret != 0)
        return map_error(c, ret, 1);
    return after_handshake(c);
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
        if (ret == MBEDTLS_ERR_SSL_CLIENT_RECONNECT) {
            /* DTLS: a new hello with a valid cookie from this peer's
             * address; this session ends, the next hello starts anew. */
            tls_conn_err(t, LM_M_REASON_DTLS_RECONNECT);
            return LM_ERR_RESET;
        }
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
            tls_conn_err(t, LM_M_TLS_WRITE_RETRY, len, c->pending_write);
            return LM_ERR;
        }
        len = c->pending_write;
    }
    if (len > INT_MAX)
        len = INT_MAX;
    if (c->dg && len > lm_dtls_max_message(t)) {
        /* One message, one record: DTLS does not split a write. */
        tls_conn_err(t, LM_M_TLS_DTLS_TOO_BIG, len, lm_dtls_max_message(t));
        return LM_ERR;
    }
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
    free(c->prefix);
    dtls_part_free(c);
    mbedtls_ssl_free(&c->ssl);
    tls_inner_put(c->inner);
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

/* DTLS: the same operations over datagrams, which the engine delivers
 * (dtls_conn.c). */
static const lm_transport_ops dtls_ops = {
    .kind = "dtls",
    .handshake = tls_handshake,
    .read = tls_read,
    .write = tls_write,
    .pending = tls_pending,
    .shutdown = tls_shutdown,
    .destroy = tls_destroy,
    .deliver = dtls_deliver,
};

tls_conn *tls_conn_new(lm_tls_config *cfg, int datagram, lm_sock s, const char *peer,
                       const char *host, char *err, size_t errlen)
{
    tls_conn *c;
    char msg[128];
    int ret;

    if (host && strlen(host) >= sizeof c->host) {
        /* DNS names end at 253 bytes; TLS (SNI) takes no more than 255. */
        tls_set_err(err, errlen, LM_M_TLS_CONN_SETUP_FAILED, peer ? peer : "?",
                    lm_tr(LM_M_TLS_NAME_TOO_LONG));
        return NULL;
    }
    c = lm_xcalloc(1, sizeof *c);
    c->t.ops = datagram ? &dtls_ops : &tls_ops;
    c->t.sock = s;
    c->cfg = cfg;
    c->first_byte = -1;
    snprintf(c->t.peer, sizeof c->t.peer, "%s", peer ? peer : "?");
    snprintf(c->t.desc, sizeof c->t.desc, "%s (handshake not done)", datagram ? "DTLS" : "TLS");
    snprintf(c->host, sizeof c->host, "%s", host ? host : "");
    c->inner = tls_inner_get(cfg);
    mbedtls_ssl_init(&c->ssl);
    if (datagram && !c->inner->has_dconf) {
        tls_set_err(err, errlen, LM_M_TLS_NO_DATAGRAM);
        goto fail_quiet;
    }
    ret = mbedtls_ssl_setup(&c->ssl, datagram ? &c->inner->dconf : &c->inner->conf);
    if (ret != 0)
        goto fail;
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
    mbedtls_ssl_set_verify(&c->ssl, tls_verify_cb, c);
    if (cfg->keylog)
        LM_COMPAT_KEYLOG_SSL(&c->ssl, cfg);

    if (!cfg->is_server) {
        if (cfg->authmode != MBEDTLS_SSL_VERIFY_NONE && !c->host[0])
            c->no_host = 1;
        if (cfg->trust && c->host[0])
            tls_trust_hostport(c);
        if (c->host[0]) {
            c->ip_len = tls_parse_ip(c->host, c->ip);
            /* An IP is never sent as SNI; on 2.28 it is matched by tls_verify_cb
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
    return c;
fail:
    /* The socket is the caller's, as on success (transport.h). */
    tls_strerror(ret, msg, sizeof msg);
    tls_set_err(err, errlen, LM_M_TLS_CONN_SETUP_FAILED, c->t.peer, msg);
fail_quiet:
    mbedtls_ssl_free(&c->ssl);
    tls_inner_put(c->inner);
    free(c);
    return NULL;
}

int tls_is_dtls(const lm_transport *t)
{
    return t->ops == &dtls_ops;
}

int tls_conn_error(tls_conn *c, int ret, int in_handshake)
{
    return map_error(c, ret, in_handshake);
}

lm_transport *lm_tls_new(lm_tls_config *cfg, lm_sock s, const char *peer, const char *host,
                         char *err, size_t errlen)
{
    tls_conn *c = tls_conn_new(cfg, 0, s, peer, host, err, errlen);
    return c ? &c->t : NULL;
}

lm_transport *lm_tls_new_server_prefixed(lm_tls_config *cfg, lm_sock s, const char *peer,
                                         const void *prefix, size_t len, char *err, size_t errlen)
{
    tls_conn *c = (tls_conn *)lm_tls_new(cfg, s, peer, NULL, err, errlen);
    if (!c)
        return NULL;
    if (len) {
        c->prefix = lm_xmalloc(len);
        memcpy(c->prefix, prefix, len);
        c->prefix_len = len;
    }
    return &c->t;
}

size_t lm_tls_hello_limit(void)
{
    return MBEDTLS_SSL_IN_CONTENT_LEN;
}
