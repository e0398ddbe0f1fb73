/* lanmsg pairing internals shared by the client and server machines: the
 * transcript and the four confirmation MACs (docs/pairing.md, "Key
 * confirmation"). Not for other callers. */
#ifndef LANMSG_PAIRING_PAIR_PROTO_H
#define LANMSG_PAIRING_PAIR_PROTO_H

#include <stddef.h>

#include "pairing/pairing.h"

#define LM_PTRANS_MAX 8192

/* The messages both sides saw, each item length-prefixed (4 bytes). */
typedef struct lm_ptrans {
    unsigned char buf[LM_PTRANS_MAX];
    size_t len;
    int overflow;
} lm_ptrans;

typedef struct lm_pmacs {
    unsigned char code[32]; /* proves K over the messages */
    unsigned char bind[32]; /* proves K over the messages and this side's channel */
} lm_pmacs;

void lm_ptrans_init(lm_ptrans *t);
void lm_ptrans_add(lm_ptrans *t, const unsigned char *p, size_t n);

/* The client's MACs, or the server's (which also cover the status byte and
 * the certificate it sends). client_fp is the fingerprint of the key in
 * the CSR. 0, or -1 (transcript overflow, hash failure). */
int lm_pproto_client_macs(const unsigned char k[32], const lm_ptrans *t, const lm_pair_binding *b,
                          const unsigned char client_fp[32], lm_pmacs *out);
int lm_pproto_server_macs(const unsigned char k[32], const lm_ptrans *t, const lm_pair_binding *b,
                          const unsigned char client_fp[32], int status, const unsigned char *cert,
                          size_t cert_len, lm_pmacs *out);

/* 1 when equal; the time taken does not depend on where they differ. */
int lm_pproto_equal(const unsigned char *a, const unsigned char *b, size_t n);

#endif
