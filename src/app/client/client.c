/* lanmsg client side: connecting and blocking I/O with time limits.
 *
 * The socket is non-blocking even here, so every wait has a deadline: a
 * server that accepts and then says nothing cannot hang the client. */
#include "client.h"

#include <string.h>

#include "lanmsg/discovery.h"
#include "files.h"
#include "pairing/pairing.h"
#include "platform/paths.h"
#include "transport/tls_trust.h"
#include "trust/known_servers.h"
#include "trust/trust.h"

#include <stdlib.h>
#include <string.h>

#include "platform/os.h"
#include "util/text.h"

/* Wait for what the transport asked for, until deadline_ms (0 = forever).
 * Returns 1 ready, 0 timed out, or LM_ERR. */
static int wait_for(lm_client *cl, int want, uint64_t deadline_ms)
{
    int left = -1;
    if (deadline_ms) {
        uint64_t now = lm_now_ms();
        if (now >= deadline_ms)
            return 0;
        left = (int)(deadline_ms - now);
    }
    return lm_net_wait(cl->tp->sock, want == LM_WANT_WRITE, left);
}

static uint64_t deadline(const lm_client *cl)
{
    return cl->o->timeout_ms > 0 ? lm_now_ms() + (uint64_t)cl->o->timeout_ms : 0;
}

/* Run the TLS handshake to completion or failure. */
static int handshake(lm_client *cl)
{
    uint64_t until = deadline(cl);
    for (;;) {
        int rc = lm_tp_handshake(cl->tp), w;
        if (rc != LM_WANT_READ && rc != LM_WANT_WRITE)
            return rc;
        w = wait_for(cl, rc, until);
        if (w == 0) {
            lm_format(cl->tp->err, sizeof cl->tp->err, LM_M_CLI_NO_TLS_ANSWER, cl->peer,
                      cl->o->timeout_ms / 1000);
            return LM_ERR_TLS;
        }
        if (w < 0)
            return LM_ERR;
    }
}

/* Forget the connection without a goodbye: the transport, then the socket. */
static void drop(lm_client *cl)
{
    lm_tp_destroy(cl->tp);
    cl->tp = NULL;
    if (cl->has_sock)
        lm_net_close(cl->sock);
    cl->has_sock = 0;
}

/* --host NAME that no DNS knows may be a server announced on the LAN
 * (DNS-SD) under that instance name: a name of one label ("office") or one
 * no host could have ("Ana's laptop"); a dotted DNS name is never looked
 * for there. Its address, port and the name its certificate carries (the
 * host it runs on) replace the name. 0 when found, -1 when not (*looked
 * says whether the LAN was asked). */
static int find_on_lan(lm_client *cl, int *looked)
{
    const lm_client_opts *o = cl->o;
    lm_disc_result r;
    char err[512], shown[LM_DISC_NAME_MAX * 4];
    size_t n;

    if (strchr(o->host, '.') && !strchr(o->host, ' '))
        return -1;
    *looked = 1;
    if (lm_disc_resolve(o->host, NULL, LM_CLIENT_DISCOVER_MS, &r, err, sizeof err) != 1)
        return -1;
    snprintf(cl->found_addr, sizeof cl->found_addr, "%s", r.addr[0]);
    snprintf(cl->found_port, sizeof cl->found_port, "%u", (unsigned)r.port);
    snprintf(cl->found_name, sizeof cl->found_name, "%s", r.host);
    n = strlen(cl->found_name);
    if (n > 6 && strcmp(cl->found_name + n - 6, ".local") == 0)
        cl->found_name[n - 6] = '\0';
    cl->found = 1;
    lm_escape(shown, sizeof shown, r.name, strlen(r.name));
    lm_info(LM_M_CLI_FOUND_ON_LAN, shown, cl->found_addr, o->port_given ? o->port : cl->found_port);
    return 0;
}

/* A server never met before (no CA, no pin, not in known_servers): trust's
 * message shows its fingerprint; a person at a terminal is asked, and
 * --trust-on-first-use answers yes. The key is recorded before anything is
 * sent. LM_OK, or LM_ERR_VERIFY when the answer is no. */
int lm_client_first_use(lm_client *cl)
{
    const lm_trust_result *r = lm_tls_trust_result(cl->tp);
    char err[512], answer[16];

    if (!r || r->verdict != LM_TRUST_FIRST_USE || cl->o->pairing)
        return LM_OK;
    lm_warn(LM_M_PASSTHROUGH, r->msg);
    if (r->ask) {
        if (lm_read_tty_line(lm_tr(LM_M_TRUST_ASK), answer, sizeof answer) != 0 ||
            (answer[0] != 'y' && answer[0] != 'Y' && answer[0] != 's' && answer[0] != 'S')) {
            lm_warn(LM_M_TRUST_NOT_TRUSTED, r->name);
            drop(cl);
            return LM_ERR_VERIFY;
        }
    }
    {
        unsigned char fp[32];
        if (lm_tls_peer_fp(cl->tp, fp) != 0 ||
            lm_trust_remember(cl->trust, r->name, fp, err, sizeof err) != 0) {
            lm_warn(LM_M_PASSTHROUGH, err);
            drop(cl);
            return LM_ERR_CONFIG;
        }
        lm_info(LM_M_TRUST_REMEMBERED, r->name, cl->known);
    }
    return LM_OK;
}

/* One connection attempt, TLS or plain. Returns LM_OK, or a status with
 * the message already printed (except LM_ERR_NOT_TLS, which the caller
 * may answer with a fallback). */
static int open_once(lm_client *cl, int tls)
{
    const lm_client_opts *o = cl->o;
    const char *host = cl->found ? cl->found_addr : o->host;
    const char *port = cl->found && !o->port_given ? cl->found_port : o->port;
    const char *name = o->servername ? o->servername : cl->found ? cl->found_name : o->host;
    char err[256];
    lm_sock s;
    int rc;

    rc = lm_net_connect(host, port, o->timeout_ms, &s, cl->peer, sizeof cl->peer, err, sizeof err);
    if (rc == LM_ERR_NO_HOST && !cl->found) {
        int looked = 0;
        if (find_on_lan(cl, &looked) == 0)
            return open_once(cl, tls); /* a server announced under that name */
        if (looked)
            lm_format(err, sizeof err, LM_M_CLI_NOWHERE, o->host);
    }
    if (rc != LM_OK) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_ERR;
    }
    lm_net_set_nonblocking(s, 1);
    cl->sock = s; /* ours: the transport borrows it */
    cl->has_sock = 1;
    if (!tls) {
        cl->tp = lm_plain_new(s, cl->peer);
        return LM_OK;
    }
    if (o->tls.insecure)
        lm_warn(LM_M_CLI_INSECURE, cl->peer);
    cl->tp = lm_tls_new(cl->tls, s, cl->peer, name, err, sizeof err);
    if (!cl->tp) {
        lm_warn(LM_M_PASSTHROUGH, err);
        drop(cl);
        return LM_ERR_CONFIG;
    }
    rc = handshake(cl);
    if (rc == LM_OK)
        return lm_client_first_use(cl);
    if (rc == LM_ERR_NOT_TLS)
        return rc;
    lm_client_handshake_failed(cl);
    drop(cl);
    return rc;
}

void lm_client_handshake_failed(lm_client *cl)
{
    /* Trust's line is longer than the transport keeps (a changed key
     * shows both fingerprints). */
    const lm_trust_result *r = lm_tls_trust_result(cl->tp);
    lm_warn(LM_M_PASSTHROUGH, r && r->verdict == LM_TRUST_REFUSE && r->msg[0] ? r->msg
                              : cl->tp->err[0]                                ? cl->tp->err
                                               : lm_tr(LM_M_REASON_UNKNOWN_ERROR));
}

int lm_client_hostport(const lm_client_opts *o, char *out, size_t len, char *err, size_t errlen)
{
    return lm_known_key(o->servername ? o->servername : o->host, atoi(o->port), out, len, err,
                        errlen);
}

/* The user's known_servers file: in the configuration folder. */
int lm_client_known_path(char *out, size_t len, char *err, size_t errlen)
{
    char dir[1024];
    if (lm_dir_path(LM_DIR_CONFIG, NULL, dir, sizeof dir, err, errlen) != 0)
        return -1;
    return lm_path_join(out, len, dir, "known_servers", err, errlen);
}

/* The TLS configuration of this client: the CA (--ca, or ca.crt from the
 * search order), the client certificate (--cert, or the one pairing gave
 * us for this server), and trust (pin, known_servers, first use) for a
 * server no CA vouches for. With --udp, its datagram (DTLS) side too. */
int lm_client_tls_setup(lm_client *cl, char *err, size_t errlen)
{
    const lm_client_opts *o = cl->o;
    lm_tls_options t = o->tls;
    char state[1024], hostport[300];
    int code;

    t.is_server = 0;
    t.datagram = o->udp;
    t.port = atoi(o->port);
    t.alpn = o->alpn;
    if (!t.ca_file && !t.insecure && lm_files_find("ca.crt", cl->ca, sizeof cl->ca, NULL, 0))
        t.ca_file = cl->ca;
    if (!t.cert_file && !t.insecure &&
        lm_dir_path(LM_DIR_STATE, o->state_opt, state, sizeof state, err, errlen) == 0 &&
        lm_client_hostport(o, hostport, sizeof hostport, err, errlen) == 0 &&
        lm_pair_client_file(state, hostport, cl->pair_file, sizeof cl->pair_file, err, errlen) ==
            0 &&
        lm_path_exists(cl->pair_file)) {
        /* One file holds the key and the certificate pairing made. */
        t.cert_file = t.key_file = cl->pair_file;
    }
    if (!t.insecure) {
        lm_trust_options to = {.is_server = 0,
                               .pin = o->pin,
                               .has_ca = t.ca_file != NULL,
                               .ca_explicit = o->tls.ca_file != NULL,
                               .tofu = o->tofu,
                               .interactive = lm_stdin_is_tty()};
        if (lm_client_known_path(cl->known, sizeof cl->known, err, errlen) == 0)
            to.known_path = cl->known;
        cl->trust = lm_trust_new(&to, err, errlen);
        if (!cl->trust) {
            lm_warn(LM_M_PASSTHROUGH, err);
            return LM_EXIT_USAGE;
        }
        t.trust = cl->trust;
    }
    cl->tls = lm_tls_config_new(&t, err, errlen, &code);
    if (!cl->tls) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return code == LM_ERR_CONFIG ? LM_EXIT_USAGE : LM_EXIT_RUNTIME;
    }
    return LM_EXIT_OK;
}

int lm_client_forget(const char *text)
{
    char known[1024], key[300], err[512];
    int removed = 0;
    if (lm_known_key_parse(text, 5000, key, sizeof key, err, sizeof err) != 0 ||
        lm_client_known_path(known, sizeof known, err, sizeof err) != 0 ||
        lm_known_forget(known, key, &removed, err, sizeof err) != 0) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_USAGE;
    }
    if (!removed) {
        lm_warn(LM_M_TRUST_NOT_KNOWN, key, known);
        return LM_EXIT_RUNTIME;
    }
    lm_info(LM_M_TRUST_FORGOTTEN, key, known);
    return LM_EXIT_OK;
}

int lm_client_connect(lm_client *cl, const lm_client_opts *o)
{
    char err[512];
    int rc;

    cl->o = o;
    cl->tp = NULL;
    if (o->use_tls && !cl->tls && (rc = lm_client_tls_setup(cl, err, sizeof err)) != LM_EXIT_OK)
        return rc;
    rc = open_once(cl, o->use_tls);
    if (rc == LM_ERR_NOT_TLS) {
        /* Only a peer that demonstrably does not speak TLS may lead to a
         * fallback, and only when asked for; never after a certificate
         * problem, which is an attack as often as a mistake. */
        if (!o->fallback_plain) {
            lm_warn(LM_M_PASSTHROUGH, cl->tp->err);
            lm_client_close(cl);
            return LM_EXIT_TLS;
        }
        drop(cl);
        lm_warn(LM_M_CLI_FALLBACK, cl->peer);
        rc = open_once(cl, 0);
    }
    if (rc != LM_OK) {
        int tls_failure = rc == LM_ERR_TLS || rc == LM_ERR_VERIFY || rc == LM_ERR_RESET;
        lm_client_close(cl);
        return rc == LM_ERR_CONFIG ? LM_EXIT_USAGE : tls_failure ? LM_EXIT_TLS : LM_EXIT_RUNTIME;
    }
    lm_info(LM_M_CLI_CONNECTED, cl->peer,
            o->use_tls && !cl->tp->secure ? lm_tr(LM_M_CLI_UNENCRYPTED_FALLBACK) : cl->tp->desc);
    if (cl->tp->secure)
        lm_debug(LM_M_CLI_TLS_DETAIL, lm_tr(cl->tp->resumed ? LM_M_WORD_RESUMED : LM_M_WORD_NEW),
                 lm_tr(cl->tp->verified ? LM_M_WORD_VERIFIED : LM_M_WORD_NOT_VERIFIED));
    return LM_EXIT_OK;
}

int lm_client_write_all(lm_client *cl, const char *buf, size_t len)
{
    uint64_t until = deadline(cl);
    size_t off = 0;
    while (off < len) {
        long n = lm_tp_write(cl->tp, buf + off, len - off);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n == LM_WANT_READ || n == LM_WANT_WRITE) {
            int w = wait_for(cl, (int)n, until);
            if (w == 0) {
                lm_format(cl->tp->err, sizeof cl->tp->err, LM_M_CLI_SEND_TIMEOUT, cl->peer,
                          cl->o->timeout_ms / 1000);
                return LM_ERR;
            }
            if (w < 0)
                return LM_ERR;
            continue;
        }
        return n < 0 ? (int)n : LM_ERR;
    }
    return LM_OK;
}

long lm_client_read(lm_client *cl, void *buf, size_t len)
{
    uint64_t until = deadline(cl);
    for (;;) {
        long n = lm_tp_read(cl->tp, buf, len);
        int w;
        if (n != LM_WANT_READ && n != LM_WANT_WRITE)
            return n;
        w = wait_for(cl, (int)n, until);
        if (w == 0) {
            lm_format(cl->tp->err, sizeof cl->tp->err, LM_M_CLI_NO_REPLY, cl->peer,
                      cl->o->timeout_ms / 1000);
            return LM_ERR;
        }
        if (w < 0)
            return LM_ERR;
    }
}

int lm_client_more_ready(lm_client *cl)
{
    return lm_tp_pending(cl->tp) > 0 || lm_net_wait(cl->tp->sock, 0, 0) == 1;
}

int lm_client_fail(lm_client *cl, int code)
{
    if (code == LM_ERR_RESET)
        lm_warn(LM_M_CLI_LOST, cl->peer, cl->tp->err);
    else
        lm_warn(LM_M_PASSTHROUGH, cl->tp->err[0] ? cl->tp->err : "connection failed");
    return code == LM_ERR_TLS || code == LM_ERR_VERIFY ? LM_EXIT_TLS : LM_EXIT_RUNTIME;
}

void lm_client_close(lm_client *cl)
{
    if (cl->tp) {
        /* Best effort close_notify; a vanished peer is not an error now. */
        if (lm_tp_shutdown(cl->tp) == LM_WANT_WRITE && lm_net_wait(cl->tp->sock, 1, 1000) == 1)
            lm_tp_shutdown(cl->tp);
    }
    drop(cl);
}

void lm_client_free(lm_client *cl)
{
    lm_client_close(cl);
    lm_tls_config_free(cl->tls);
    lm_trust_free(cl->trust);
    cl->tls = NULL;
    cl->trust = NULL;
}

long lm_read_line(char **line, size_t *cap, FILE *in)
{
    size_t len = 0;
    if (!*line || *cap < 128) {
        char *n = realloc(*line, 128);
        if (!n)
            return -1;
        *line = n;
        *cap = 128;
    }
    while (fgets(*line + len, (int)(*cap - len), in)) {
        len += strlen(*line + len);
        if (len && (*line)[len - 1] == '\n')
            return (long)len;
        if (len + 1 == *cap) {
            char *n = realloc(*line, *cap * 2);
            if (!n)
                return -1;
            *line = n;
            *cap *= 2;
        }
    }
    return len ? (long)len : -1;
}
