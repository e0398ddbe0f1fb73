/* lanmsg client side: connecting (plain, TLS, explicit fallback) and
 * blocking I/O with time limits, shared by the one-shot client and the
 * interactive chat client. */
#ifndef LANMSG_CLIENT_H
#define LANMSG_CLIENT_H

#include <signal.h>
#include <stdio.h>

#include "lanmsg/framing.h"
#include "lanmsg/tls.h"

/* How long --discover and a --host looked up on the LAN listen. */
#define LM_CLIENT_DISCOVER_MS 2000

typedef struct lm_client_opts {
    const char *host, *port;
    int port_given; /* --port was given: it wins over a port found on the LAN */
    int use_tls, fallback_plain;
    lm_tls_options tls;
    const char *servername;
    lm_framing framing; /* LINE or RAW */
    int timeout_ms;     /* connect, handshake and reply limit */
    int repeat;         /* connections made one after the other (>= 1) */
    size_t max_line;    /* longest stdin line sent; longer ones are skipped */
    int udp;            /* --udp: one datagram per message */
    /* Trust beside --ca (src/trust/trust.h). */
    const char *pin;       /* --pin FINGERPRINT */
    int tofu;              /* --trust-on-first-use */
    const char *state_opt; /* --state-dir: where pairing keeps this client's key */
    int pairing;           /* a first-use key is recorded by pairing, once it succeeded */
    const char *const *alpn;
    int retries; /* --udp: resends when no reply comes (default 2) */
    const char *message;
    char **words;
    int nwords;
    const char *lang;
    int verbose;
    volatile sig_atomic_t *stop;
} lm_client_opts;

struct lm_trust;

typedef struct lm_client {
    const lm_client_opts *o;
    lm_tls_config *tls;
    struct lm_trust *trust;
    char ca[1024], pair_file[1024], known[1024];
    lm_transport *tp;
    lm_sock sock; /* the connection's socket, closed by lm_client_close */
    int has_sock; /* sock is open (a zeroed lm_client has none) */
    /* --host named a server found on the LAN (DNS-SD) rather than in DNS. */
    int found;
    char found_addr[48], found_port[8], found_name[256];
    char peer[LM_ADDR_MAX];
} lm_client;

/* Connect as the options say and print the "connected" line. Returns an
 * exit code (LM_EXIT_OK on success; on failure the reason is printed). `cl`
 * starts zeroed; connecting again
 * after lm_client_close reuses the TLS configuration and offers the last
 * session for resumption. */
int lm_client_connect(lm_client *cl, const lm_client_opts *o);
/* Blocking write of everything, within the time limit: LM_OK or a code. */
int lm_client_write_all(lm_client *cl, const char *buf, size_t len);
/* Blocking read: >0 bytes, 0 on clean close, or a negative code (LM_ERR
 * with a timeout message, LM_ERR_RESET, ...). */
long lm_client_read(lm_client *cl, void *buf, size_t len);
/* 1 when more input is ready right now (buffered in TLS, or on the socket). */
int lm_client_more_ready(lm_client *cl);
/* Print the error for a failed read/write and return the exit code. */
int lm_client_fail(lm_client *cl, int code);
/* close_notify (TLS) and close the connection. */
void lm_client_close(lm_client *cl);
/* The canonical "host:port" of the server the options name, for
 * known_servers and pairing files. */
int lm_client_hostport(const lm_client_opts *o, char *out, size_t len, char *err, size_t errlen);
/* --forget HOST[:PORT]: an exit code. */
int lm_client_forget(const char *hostport);
/* Where this user's known_servers file is (it may not exist yet). */
int lm_client_known_path(char *out, size_t len, char *err, size_t errlen);
/* --pair CODE: pair with the server, keep its key and our certificate. */
int lm_client_pair(const lm_client_opts *o, const char *code, const char *name);
/* The TLS configuration and trust of cl->o (cl->o set, cl->tls NULL):
 * an exit code, the reason printed. With o->udp, made for DTLS too. */
int lm_client_tls_setup(lm_client *cl, char *err, size_t errlen);
/* After a handshake (cl->tp): a server met for the first time is asked
 * about or remembered (--trust-on-first-use). LM_OK, or a code with the
 * connection dropped and the reason printed. */
int lm_client_first_use(lm_client *cl);
/* Print why cl->tp's handshake failed (trust's line when it refused). */
void lm_client_handshake_failed(lm_client *cl);
/* Close, and free the TLS configuration. */
void lm_client_free(lm_client *cl);
/* --udp: send `message` (or, when NULL, each stdin line) as datagrams and
 * print the replies. Returns an exit code. */
int lm_udp_client_run(const lm_client_opts *o, const char *message);
/* --udp --tls: the same over DTLS 1.2, verified as --tls is. */
int lm_dtls_client_run(const lm_client_opts *o, const char *message);
/* Portable getline: returns the length, or -1 at end of input. */
long lm_read_line(char **line, size_t *cap, FILE *in);

#endif
