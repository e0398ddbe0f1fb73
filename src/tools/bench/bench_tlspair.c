/* lanmsg-bench: a minimal TLS server and client written on mbedTLS alone.
 *
 * They are the baseline for what lanmsg's server spends on a handshake:
 * the same library, suite, group and certificate, with nothing around
 * them. Both are blocking and serve one connection at a time:
 *
 *   server  accept, handshake, read until the client's close_notify, send
 *           ours, close; one mbedtls_ssl_context reset between connections.
 *           Session tickets (AES-256-GCM, as lanmsg's) make resumption
 *           possible; TLS 1.3 uses the key exchange modes lanmsg allows
 *           ((EC)DHE, with or without a ticket), so a resumed TLS 1.3
 *           session costs both of them one ECDHE.
 *   client  offers one version, one suite and one group, verifies the chain
 *           against the CA (a full handshake is the one that saw a
 *           certificate), keeps the newest session for the next connection.
 *
 * The server runs in a thread of the benchmark and adds up its own CPU time
 * (CLOCK_THREAD_CPUTIME_ID) from the moment a client is waiting to the
 * moment its socket is closed, so the figure holds accept, the handshake,
 * the close and nothing else. Sockets are the lm_net_* wrappers, made
 * blocking, with a time limit on every wait so a broken peer cannot hang the
 * benchmark. Nothing here comes from mbedTLS's example programs. */
#include "bench.h"
#include "bench_rng.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h> /* its error codes only */
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#if MBEDTLS_VERSION_MAJOR >= 3
#include <psa/crypto.h>
#endif

/* The baseline configures the library with the same calls as lanmsg's
 * backend (versions, groups), so the two differ only where they must. */
#define LM_TLS_BACKEND 1
#include "transport/mbedtls_compat.h"

#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
#define BC_TLS13 1
#else
#define BC_TLS13 0
#endif

#define BC_IO_TIMEOUT_MS 10000
#define BC_TICKET_S      3600 /* lanmsg's ticket lifetime */

/* ==== shared pieces ==== */

static void bc_err(char *err, size_t errlen, const char *what, int ret)
{
    char msg[160];
    mbedtls_strerror(ret, msg, sizeof msg);
    snprintf(err, errlen, "minimal mbedTLS pair: %s: %s", what, msg[0] ? msg : "error");
}

/* The suite each protocol version uses for a cipher name (lanmsg's names),
 * or 0 when this build has no such suite. */
static int bc_suite(const char *cipher, int version)
{
    int aes128 = strcmp(cipher, "aes128") == 0, aes256 = strcmp(cipher, "aes256") == 0;
    if (version == 13) {
#if BC_TLS13
        return aes128   ? MBEDTLS_TLS1_3_AES_128_GCM_SHA256
               : aes256 ? MBEDTLS_TLS1_3_AES_256_GCM_SHA384
                        : MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256;
#else
        return 0;
#endif
    }
    return aes128   ? MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
           : aes256 ? MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
                    : MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256;
}

/* TLS 1.3 key exchanges: (EC)DHE alone or with a ticket, as lanmsg. */
static void bc_tls13_modes(mbedtls_ssl_config *conf)
{
#if BC_TLS13
    mbedtls_ssl_conf_tls13_key_exchange_modes(
        conf, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL |
                  MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL);
#else
    (void)conf;
#endif
}

/* Blocking socket I/O for mbedTLS. A wait that outlasts the time limit
 * (SO_RCVTIMEO) is a failure, never a retry. */
static int bc_send(void *ctx, const unsigned char *buf, size_t len)
{
    char err[128];
    long n = lm_net_send(*(lm_sock *)ctx, buf, len, err, sizeof err);
    return n > 0 ? (int)n : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bc_recv(void *ctx, unsigned char *buf, size_t len)
{
    char err[128];
    long n = lm_net_recv(*(lm_sock *)ctx, buf, len, err, sizeof err);
    if (n >= 0)
        return (int)n; /* 0: EOF */
    return n == LM_ERR_RESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

static void bc_blocking(lm_sock s)
{
    lm_net_set_nonblocking(s, 0);
    bench_sock_timeout(s, BC_IO_TIMEOUT_MS);
}

/* Read until the peer's close_notify or EOF, discarding data; a client
 * keeps each TLS 1.3 ticket that arrives meanwhile (keep may be NULL). */
static void bc_drain(mbedtls_ssl_context *ssl, mbedtls_ssl_session *keep, int *have)
{
    unsigned char buf[512];
    for (int i = 0; i < 64; i++) {
        int ret = mbedtls_ssl_read(ssl, buf, sizeof buf);
        /* WANT_READ on a blocking socket: a record that carried no data
         * (a TLS 1.3 post-handshake message) was consumed; read on. */
        if (ret > 0 || ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
#if BC_TLS13
        if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            if (keep) {
                mbedtls_ssl_session_free(keep);
                mbedtls_ssl_session_init(keep);
                *have = mbedtls_ssl_get_session(ssl, keep) == 0;
            }
            continue;
        }
#else
        (void)keep;
        (void)have;
#endif
        return; /* close_notify, EOF or an error: the connection is over */
    }
}

/* ==== the server ==== */

struct bc_server {
    lm_sock listener;
    char port[16];
    lm_thread *thread;
    atomic_int stop;
    atomic_long conns;
    atomic_llong cpu_ns;
    bc_rng rng;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    mbedtls_ssl_ticket_context ticket;
    int suites[3];
};

/* One connection, start to close. */
static void bc_serve(bc_server *s, mbedtls_ssl_context *ssl, lm_sock c)
{
    int ret;
    bc_blocking(c);
    mbedtls_ssl_set_bio(ssl, &c, bc_send, bc_recv, NULL);
    do
        ret = mbedtls_ssl_handshake(ssl);
    while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (ret == 0) {
        bc_drain(ssl, NULL, NULL);
        mbedtls_ssl_close_notify(ssl);
    }
    (void)s;
}

static void bc_server_run(void *arg)
{
    bc_server *s = arg;
    mbedtls_ssl_context ssl;
    char peer[LM_ADDR_MAX], err[160];

    mbedtls_ssl_init(&ssl);
    if (mbedtls_ssl_setup(&ssl, &s->conf) != 0) {
        mbedtls_ssl_free(&ssl);
        return;
    }
    while (!atomic_load(&s->stop)) {
        lm_sock c;
        double t0;
        /* Waiting for a client costs no CPU; the clock starts when one is
         * there. */
        if (lm_net_wait(s->listener, 0, 100) <= 0)
            continue;
        t0 = bench_thread_cpu();
        if (lm_net_accept(s->listener, &c, peer, sizeof peer, err, sizeof err) != LM_OK)
            continue;
        bc_serve(s, &ssl, c);
        lm_net_close(c);
        mbedtls_ssl_session_reset(&ssl);
        atomic_fetch_add(&s->cpu_ns, (long long)((bench_thread_cpu() - t0) * 1e9));
        atomic_fetch_add(&s->conns, 1);
    }
    mbedtls_ssl_free(&ssl);
}

bc_server *bc_server_start(const bc_pair_opts *o, char *err, size_t errlen)
{
    bc_server *s = calloc(1, sizeof *s);
    char addr[LM_ADDR_MAX];
    int ret;

    if (!s) {
        snprintf(err, errlen, "minimal mbedTLS pair: out of memory");
        return NULL;
    }
    s->listener = LM_SOCK_INVALID;
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_x509_crt_init(&s->crt);
    mbedtls_pk_init(&s->key);
    mbedtls_ssl_ticket_init(&s->ticket);
    if ((ret = bc_rng_init(&s->rng)) != 0) {
        bc_err(err, errlen, "random generator", ret);
        goto fail;
    }
    if ((ret = mbedtls_x509_crt_parse_file(&s->crt, o->crt)) != 0) {
        bc_err(err, errlen, o->crt, ret);
        goto fail;
    }
#if MBEDTLS_VERSION_MAJOR >= 3
    ret = mbedtls_pk_parse_keyfile(&s->key, o->key, NULL, mbedtls_ctr_drbg_random, &s->rng.drbg);
#else
    ret = mbedtls_pk_parse_keyfile(&s->key, o->key, NULL);
#endif
    if (ret != 0) {
        bc_err(err, errlen, o->key, ret);
        goto fail;
    }
    ret = mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret == 0)
        ret = mbedtls_ssl_conf_own_cert(&s->conf, &s->crt, &s->key);
    if (ret == 0)
        ret = mbedtls_ssl_ticket_setup(&s->ticket, mbedtls_ctr_drbg_random, &s->rng.drbg,
                                       MBEDTLS_CIPHER_AES_256_GCM, BC_TICKET_S);
    if (ret != 0) {
        bc_err(err, errlen, "server configuration", ret);
        goto fail;
    }
    mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->rng.drbg);
    lm_compat_conf_groups(&s->conf); /* the groups lanmsg's server prefers, in its order */
    s->suites[0] = bc_suite(o->cipher, 13);
    s->suites[s->suites[0] ? 1 : 0] = bc_suite(o->cipher, 12);
    mbedtls_ssl_conf_ciphersuites(&s->conf, s->suites);
    lm_compat_conf_versions(&s->conf, 12, BC_TLS13 ? 13 : 12);
    bc_tls13_modes(&s->conf);
    mbedtls_ssl_conf_session_tickets_cb(&s->conf, mbedtls_ssl_ticket_write,
                                        mbedtls_ssl_ticket_parse, &s->ticket);
    if (lm_net_listen("127.0.0.1", "0", 16, &s->listener, err, errlen) != LM_OK)
        goto fail;
    snprintf(s->port, sizeof s->port, "%d", lm_net_local_addr(s->listener, addr, sizeof addr));
    if (lm_thread_start(&s->thread, bc_server_run, s) != 0) {
        snprintf(err, errlen, "minimal mbedTLS pair: cannot start the server thread");
        s->thread = NULL;
        goto fail;
    }
    return s;
fail:
    bc_server_stop(s);
    return NULL;
}

const char *bc_server_port(const bc_server *s)
{
    return s->port;
}

void bc_server_stats(bc_server *s, long *conns, double *cpu_s)
{
    *conns = atomic_load(&s->conns);
    *cpu_s = (double)atomic_load(&s->cpu_ns) / 1e9;
}

void bc_server_stop(bc_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    if (s->thread)
        lm_thread_join(s->thread);
    if (s->listener != LM_SOCK_INVALID)
        lm_net_close(s->listener);
    mbedtls_ssl_ticket_free(&s->ticket);
    mbedtls_ssl_config_free(&s->conf);
    mbedtls_pk_free(&s->key);
    mbedtls_x509_crt_free(&s->crt);
    bc_rng_free(&s->rng);
    free(s);
}

/* ==== the client ==== */

struct bc_client {
    bc_rng rng;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_session saved;
    int have_saved, version, suites[2], certs_seen;
#if MBEDTLS_VERSION_MAJOR >= 3
    uint16_t groups[3];
#else
    mbedtls_ecp_group_id groups[3];
#endif
};

/* Called once per certificate of the chain: a handshake that calls it was
 * a full one (a resumed session carries no certificate). */
static int bc_client_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    (void)crt;
    (void)depth;
    (void)flags;
    ((bc_client *)ctx)->certs_seen++;
    return 0;
}

bc_client *bc_client_new(const bc_pair_opts *o, int version, const char *group, char *err,
                         size_t errlen)
{
    bc_client *c = calloc(1, sizeof *c);
    int p256 = strcmp(group, "p256") == 0, ret;

    if (!c) {
        snprintf(err, errlen, "minimal mbedTLS pair: out of memory");
        return NULL;
    }
    c->version = version;
    mbedtls_ssl_config_init(&c->conf);
    mbedtls_x509_crt_init(&c->ca);
    mbedtls_ssl_init(&c->ssl);
    mbedtls_ssl_session_init(&c->saved);
    if ((ret = bc_rng_init(&c->rng)) != 0) {
        bc_err(err, errlen, "random generator", ret);
        goto fail;
    }
    if ((ret = mbedtls_x509_crt_parse_file(&c->ca, o->ca)) != 0) {
        bc_err(err, errlen, o->ca, ret);
        goto fail;
    }
    c->suites[0] = bc_suite(o->cipher, version);
    if (!c->suites[0]) {
        snprintf(err, errlen, "minimal mbedTLS pair: this mbedTLS has no TLS 1.3");
        goto fail;
    }
    ret = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        bc_err(err, errlen, "client configuration", ret);
        goto fail;
    }
    mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->rng.drbg);
    mbedtls_ssl_conf_ciphersuites(&c->conf, c->suites);
    lm_compat_conf_versions(&c->conf, version, version);
    bc_tls13_modes(&c->conf);
    /* "x25519" offers P-256 after it: a TLS 1.2 server may only use an
     * ECDSA P-256 certificate with a client that lists P-256. X25519 comes
     * first, so both servers choose it (and TLS 1.3 sends its key share). */
#if MBEDTLS_VERSION_MAJOR >= 3
    c->groups[0] = p256 ? MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1 : MBEDTLS_SSL_IANA_TLS_GROUP_X25519;
    c->groups[1] = p256 ? MBEDTLS_SSL_IANA_TLS_GROUP_NONE : MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1;
    c->groups[2] = MBEDTLS_SSL_IANA_TLS_GROUP_NONE;
    mbedtls_ssl_conf_groups(&c->conf, c->groups);
#else
    c->groups[0] = p256 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_CURVE25519;
    c->groups[1] = p256 ? MBEDTLS_ECP_DP_NONE : MBEDTLS_ECP_DP_SECP256R1;
    c->groups[2] = MBEDTLS_ECP_DP_NONE;
    mbedtls_ssl_conf_curves(&c->conf, c->groups);
#endif
    /* The chain is checked (so a full handshake is seen), the name is not:
     * the verdict does not change what the server does. */
    mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
    mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
    mbedtls_ssl_conf_verify(&c->conf, bc_client_verify, c);
    mbedtls_ssl_conf_session_tickets(&c->conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
#if BC_TLS13 && defined(MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED)
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
        &c->conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#endif
    if ((ret = mbedtls_ssl_setup(&c->ssl, &c->conf)) != 0) {
        bc_err(err, errlen, "client setup", ret);
        goto fail;
    }
    return c;
fail:
    bc_client_free(c);
    return NULL;
}

int bc_client_connect(bc_client *c, const char *host, const char *port, int resume, int *resumed,
                      char *err, size_t errlen)
{
    char peer[LM_ADDR_MAX];
    lm_sock s;
    int ret;

    *resumed = 0;
    if (lm_net_connect(host, port, BC_IO_TIMEOUT_MS, &s, peer, sizeof peer, err, errlen) != LM_OK)
        return LM_ERR;
    bc_blocking(s);
    mbedtls_ssl_session_reset(&c->ssl);
    mbedtls_ssl_set_bio(&c->ssl, &s, bc_send, bc_recv, NULL);
    if (resume && c->have_saved)
        mbedtls_ssl_set_session(&c->ssl, &c->saved);
    c->certs_seen = 0;
    do
        ret = mbedtls_ssl_handshake(&c->ssl);
    while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (ret != 0) {
        bc_err(err, errlen, "handshake", ret);
        lm_net_close(s);
        return LM_ERR;
    }
    *resumed = c->certs_seen == 0;
    if (resume && c->version == 12) {
        /* TLS 1.2: the session (and its ticket) is known at once. */
        mbedtls_ssl_session_free(&c->saved);
        mbedtls_ssl_session_init(&c->saved);
        c->have_saved = mbedtls_ssl_get_session(&c->ssl, &c->saved) == 0;
    }
    /* Close as a well-behaved client does: say so, then let the server
     * finish (TLS 1.3 tickets are read on the way). */
    mbedtls_ssl_close_notify(&c->ssl);
    bc_drain(&c->ssl, resume ? &c->saved : NULL, &c->have_saved);
    lm_net_close(s);
    return LM_OK;
}

void bc_client_free(bc_client *c)
{
    if (!c)
        return;
    mbedtls_ssl_session_free(&c->saved);
    mbedtls_ssl_free(&c->ssl);
    mbedtls_ssl_config_free(&c->conf);
    mbedtls_x509_crt_free(&c->ca);
    bc_rng_free(&c->rng);
    free(c);
}
