/* lanmsg TLS backend for builds without mbedTLS (-DLANMSG_WITH_TLS=OFF).
 *
 * Same interface, no TLS: configuration fails with one line saying how to
 * get a TLS build, so --tls on a plain-only build is a clear error at
 * start-up rather than a link failure or a silent plain connection. */
#include <stdio.h>

#include "lanmsg/dtls.h"
#include "lanmsg/tls.h"

int lm_tls_available(void)
{
    return 0;
}

const char *lm_tls_library(void)
{
    return "none (built without TLS)";
}

int lm_tls_has_tls13(void)
{
    return 0;
}

int lm_tls_thread_safe(void)
{
    return 1; /* nothing to share */
}

lm_tls_config *lm_tls_config_new(const lm_tls_options *o, char *err, size_t errlen, int *code)
{
    (void)o;
    if (err && errlen)
        snprintf(err, errlen,
                 "this build has no TLS: install libmbedtls-dev and rebuild with "
                 "-DLANMSG_WITH_TLS=ON");
    if (code)
        *code = LM_ERR_CONFIG;
    return NULL;
}

void lm_tls_config_free(lm_tls_config *cfg)
{
    (void)cfg;
}

int lm_tls_config_reload(lm_tls_config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    if (err && errlen)
        snprintf(err, errlen, "this build has no TLS");
    return LM_ERR_CONFIG;
}

/* No config can exist, so this is never reached with a real one. */
lm_transport *lm_tls_new(lm_tls_config *cfg, lm_sock s, const char *peer, const char *host,
                         char *err, size_t errlen)
{
    (void)cfg;
    (void)s;
    (void)peer;
    (void)host;
    if (err && errlen)
        snprintf(err, errlen, "this build has no TLS");
    return NULL;
}

void lm_tls_get_stats(lm_tls_config *cfg, lm_tls_stats *out)
{
    (void)cfg;
    out->handshakes = 0;
    out->resumed = 0;
}

lm_transport *lm_tls_new_server_prefixed(lm_tls_config *cfg, lm_sock s, const char *peer,
                                         const void *prefix, size_t len, char *err, size_t errlen)
{
    (void)prefix;
    (void)len;
    return lm_tls_new(cfg, s, peer, NULL, err, errlen);
}

size_t lm_tls_hello_limit(void)
{
    return 16384;
}

int lm_tls_key_is_encrypted(const char *key_file)
{
    (void)key_file;
    return 0;
}

/* DTLS (lanmsg/dtls.h): no configuration can exist, so the engine never
 * reaches these with one; they keep plain-only builds linking. */
int lm_dtls_has_cid(void)
{
    return 0;
}

lm_dtls_gate *lm_dtls_gate_new(lm_tls_config *cfg, lm_sock shared, char *err, size_t errlen)
{
    (void)cfg;
    (void)shared;
    if (err && errlen)
        snprintf(err, errlen, "this build has no TLS");
    return NULL;
}

void lm_dtls_gate_free(lm_dtls_gate *g)
{
    (void)g;
}

int lm_dtls_gate_cookie_ok(lm_dtls_gate *g, const lm_addr *from, const void *data, size_t len)
{
    (void)g;
    (void)from;
    (void)data;
    (void)len;
    return 0;
}

lm_dtls_verdict lm_dtls_gate_offer(lm_dtls_gate *g, const lm_addr *from, const char *peer,
                                   const void *data, size_t len, lm_transport **out, char *why,
                                   size_t whylen)
{
    (void)g;
    (void)from;
    (void)peer;
    (void)data;
    (void)len;
    *out = NULL;
    snprintf(why, whylen, "this build has no TLS");
    return LM_DTLS_DROPPED;
}

size_t lm_dtls_own_cid(const lm_transport *t, unsigned char *out)
{
    (void)t;
    (void)out;
    return 0;
}

int lm_dtls_moved(lm_transport *t, const lm_addr *from, const void *data, size_t len)
{
    (void)t;
    (void)from;
    (void)data;
    (void)len;
    return 0;
}

long lm_dtls_timer_ms(lm_transport *t)
{
    (void)t;
    return -1;
}

size_t lm_dtls_max_message(lm_transport *t)
{
    (void)t;
    return 0;
}

lm_transport *lm_dtls_new(lm_tls_config *cfg, lm_sock s, const char *peer, const char *host,
                          char *err, size_t errlen)
{
    return lm_tls_new(cfg, s, peer, host, err, errlen);
}
