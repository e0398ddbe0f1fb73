/* lanmsg-server: which certificate it shows, whom it trusts, and pairing.
 *
 * The certificate: --cert/--key when given; else the first folder of the
 * search order (src/app/common/files.h) that holds server.crt (with its
 * server.key); else the server's own identity in its state folder, made
 * on first start (src/transport/tls_identity.h). Clients are trusted
 * through --ca (or a ca.crt beside the certificate found), and through the
 * server's own issuing key for the clients it enrolled by pairing. */
#ifndef LANMSG_SERVER_IDENTITY_H
#define LANMSG_SERVER_IDENTITY_H

#include "lanmsg/server.h"
#include "service/pair.h"
#include "trust/trust.h"

typedef struct server_identity {
    const char *state_opt;      /* --state-dir, or NULL */
    char state[1024];           /* the state folder */
    char cert[1024], key[1024]; /* the files in use */
    char ca[1024], issuer_crt[1024];
    char enrolled[1100];
    unsigned char fp[32]; /* the certificate's key fingerprint */
    char fp_text[64];
    int own; /* the state folder's identity, not files given */
    lm_trust *trust;
    lm_pair_service_settings pair;
    int pairing;
} server_identity;

/* Settle the files, the trust object and (with `pair`) a pairing code, and
 * fill the TLS options. Prints what a person needs to see (the identity,
 * the code). An exit code, or -1 to go on. */
int server_identity_setup(server_identity *id, lm_tls_options *tls, const char *host, int ca_given,
                          int pair);
void server_identity_free(server_identity *id);

/* --show-id: the fingerprint of the certificate the server would show,
 * made if the server has none yet. An exit code. */
int server_identity_show(server_identity *id, lm_tls_options *tls, const char *host);
/* --list-clients, --revoke NAME. Exit codes. */
int server_identity_list(server_identity *id);
int server_identity_revoke(server_identity *id, const char *name);

#endif
