/* lanmsg pairing: a one-time code turned into mutual trust, over one TLS
 * connection that neither side trusts yet. docs/pairing.md is the
 * protocol's description; this is its interface.
 *
 *   client                                              server
 *   HELLO      version, name, EC-JPAKE round 1   ->
 *                                                <-  SERVER_KX  round 1, round 2
 *   CLIENT_KX  round 2, CSR, code MAC, bind MAC  ->
 *                                                <-  RESULT  status, code MAC, bind MAC, cert
 *   (either side may answer with ERROR instead)
 *
 * Both sides hold a key K that EC-JPAKE derives from the code. The code
 * MACs prove K (the code) over the messages; the bind MACs prove it over
 * the messages plus this side's view of the channel: the server key's
 * fingerprint and a TLS exporter value. A relay that terminates TLS on both
 * sides shows each end a different fingerprint and exporter, so the code
 * MACs check out and the bind MACs do not, on both ends: each end knows it
 * was a man in the middle, and nothing is pinned or enrolled.
 *
 * The state machines do no I/O: bytes in, bytes out, a status. The caller
 * (the server's connection, the client program) moves the bytes, gives the
 * channel binding (lm_pair_binding) from its TLS connection, and on the
 * client stores the result (known_servers, the key and certificate). The
 * server's machine enrols the client itself (issuing key and enrolled list
 * in its state folder). */
#ifndef LANMSG_PAIRING_PAIRING_H
#define LANMSG_PAIRING_PAIRING_H

#include <stddef.h>
#include <stdint.h>

#include "pairing/pair_code.h"
#include "pairing/pair_msg.h"

/* Offered by a pairing client in the TLS handshake: the server routes a
 * connection that negotiated it to pairing instead of its service. */
#define LM_PAIR_ALPN "lanmsg-pair/1"
/* The TLS exporter label (RFC 5705 / RFC 8446 7.5) for the binding. */
#define LM_PAIR_EXPORTER_LABEL "EXPORTER-lanmsg-pair"
#define LM_PAIR_EXPORTER_LEN   32
/* Client certificates from pairing are valid this long; revocation, not
 * expiry, is how access ends. */
#define LM_PAIR_CERT_DAYS 825

/* This side's view of the TLS connection. */
typedef struct lm_pair_binding {
    unsigned char server_fp[32]; /* SPKI SHA-256 of the server's certificate */
    unsigned char exporter[LM_PAIR_EXPORTER_LEN];
} lm_pair_binding;

typedef enum lm_pair_status {
    LM_PAIR_FAILED = -1, /* stop; the error says why (send `out` first if any) */
    LM_PAIR_CONTINUE = 0,
    LM_PAIR_DONE = 1 /* paired (send `out` first if any) */
} lm_pair_status;

/* What went wrong, for exit codes and tests. */
typedef enum lm_pair_error {
    LM_PAIR_E_NONE = 0,
    LM_PAIR_E_WRONG_CODE, /* the other side used another code */
    LM_PAIR_E_NO_CODE,    /* expired, used, burned, or none on offer */
    LM_PAIR_E_BUSY,       /* another client is pairing */
    LM_PAIR_E_MITM,       /* the two ends see different TLS channels */
    LM_PAIR_E_PROTOCOL,   /* malformed, out of order, cut mid-way */
    LM_PAIR_E_NAME,       /* the name is invalid or enrolled to another key */
    LM_PAIR_E_REFUSED,    /* the server would not issue (bad request, its failure) */
    LM_PAIR_E_LOCAL       /* our own failure (crypto unavailable, out of memory) */
} lm_pair_error;

/* ---- client ---- */

typedef struct lm_pair_client lm_pair_client;

/* code: as typed (checked: a typo is refused here, costing no attempt);
 * name: the enrolment name; b: this connection's binding. Makes the
 * client's key and CSR. NULL with err. */
lm_pair_client *lm_pair_client_new(const char *code, const char *name, const lm_pair_binding *b,
                                   char *err, size_t errlen);
void lm_pair_client_free(lm_pair_client *c);
/* The HELLO to send first. */
lm_pair_status lm_pair_client_start(lm_pair_client *c, unsigned char *out, size_t cap,
                                    size_t *outlen);
/* Feed received bytes; *used of them were consumed (0 while a message is
 * incomplete: feed more). A reply, if any, is in out and *outlen. */
lm_pair_status lm_pair_client_input(lm_pair_client *c, const unsigned char *in, size_t len,
                                    size_t *used, unsigned char *out, size_t cap, size_t *outlen);
/* The connection ended: LM_PAIR_FAILED unless the exchange was done. */
lm_pair_status lm_pair_client_eof(lm_pair_client *c);
const char *lm_pair_client_error(const lm_pair_client *c);
lm_pair_error lm_pair_client_reason(const lm_pair_client *c);
/* After LM_PAIR_DONE: what to keep. The key never left this machine. */
const char *lm_pair_client_key_pem(const lm_pair_client *c);
const char *lm_pair_client_cert_pem(const lm_pair_client *c);

/* Where a client keeps the key and certificate pairing gave it for one
 * server: <state_dir>/client-<host>_<port>.pem, from the canonical
 * host:port (lm_known_key), with every character that is not a letter,
 * digit, '.' or '-' written as '_' (IPv6 colons are not file names on
 * Windows). 0, or -1 with err when it does not fit. */
int lm_pair_client_file(const char *state_dir, const char *hostport, char *out, size_t len,
                        char *err, size_t errlen);

/* ---- server ---- */

typedef struct lm_pair_server lm_pair_server;

typedef struct lm_pair_issuer {
    const char *state_dir;     /* holds issuer.key and issuer.crt (made if missing) */
    const char *enrolled_path; /* the enrolled clients list */
    unsigned days;             /* 0: LM_PAIR_CERT_DAYS */
} lm_pair_issuer;

/* One conversation. code is shared by all (it counts attempts); issuer is
 * copied by reference and must outlive the conversation. */
lm_pair_server *lm_pair_server_new(lm_pcode *code, const lm_pair_issuer *iss,
                                   const lm_pair_binding *b);
void lm_pair_server_free(lm_pair_server *s);
lm_pair_status lm_pair_server_input(lm_pair_server *s, const unsigned char *in, size_t len,
                                    size_t *used, uint64_t now_ms, unsigned char *out, size_t cap,
                                    size_t *outlen);
lm_pair_status lm_pair_server_eof(lm_pair_server *s);
const char *lm_pair_server_error(const lm_pair_server *s);
lm_pair_error lm_pair_server_reason(const lm_pair_server *s);
/* After LM_PAIR_DONE: the enrolled name and the client key's fingerprint. */
const char *lm_pair_server_name(const lm_pair_server *s);
const unsigned char *lm_pair_server_client_fp(const lm_pair_server *s);

#endif
