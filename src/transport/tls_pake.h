/* lanmsg PAKE: the cryptography pairing needs, without mbedTLS types.
 *
 * EC-JPAKE (RFC 8236 as mbedTLS implements it: NIST P-256, SHA-256) with
 * the pairing code as the shared secret. Each side writes two rounds and
 * reads the other's two, as opaque bytes that the pairing protocol carries
 * in its own messages; then both derive the same 32-byte key if, and only
 * if, both used the same code. An attacker without the code learns nothing
 * it could test guesses against offline: each guess costs a conversation.
 *
 * Also SHA-256, HMAC-SHA256 (key confirmation over the transcript) and
 * random bytes (the code itself). Pairing needs mbedTLS 3.x built with
 * EC-JPAKE and the TLS exporter; elsewhere lm_pake_available says so and
 * lm_pake_new fails. */
#ifndef LANMSG_TRANSPORT_TLS_PAKE_H
#define LANMSG_TRANSPORT_TLS_PAKE_H

#include <stddef.h>

#define LM_PAKE_KEY_LEN   32
#define LM_PAKE_ROUND_MAX 1024 /* a round is about 330 bytes with P-256 */

typedef struct lm_pake lm_pake;

/* 1 when this build can pair; else 0 and one line in why. */
int lm_pake_available(char *why, size_t len);

/* A new exchange for one side. NULL with err when pairing is unavailable
 * or the library fails. */
lm_pake *lm_pake_new(int is_server, const unsigned char *secret, size_t len, char *err,
                     size_t errlen);
void lm_pake_free(lm_pake *p);

/* Rounds. Writers fill out (cap bytes) and set *len; readers take the
 * peer's bytes. 0, or -1 (bad input or a library failure: the peer's
 * round is malformed, or its proofs do not verify). */
int lm_pake_write_round1(lm_pake *p, unsigned char *out, size_t cap, size_t *len);
int lm_pake_read_round1(lm_pake *p, const unsigned char *in, size_t len);
int lm_pake_write_round2(lm_pake *p, unsigned char *out, size_t cap, size_t *len);
int lm_pake_read_round2(lm_pake *p, const unsigned char *in, size_t len);
/* After both rounds both ways: the shared key. 0, or -1. */
int lm_pake_derive(lm_pake *p, unsigned char key[LM_PAKE_KEY_LEN]);

/* SHA-256 and HMAC-SHA256. 0, or -1. */
int lm_pake_sha256(const void *data, size_t len, unsigned char out[32]);
int lm_pake_hmac(const unsigned char *key, size_t keylen, const void *data, size_t len,
                 unsigned char out[32]);
/* Random bytes from a freshly seeded CTR-DRBG. 0, or -1. */
int lm_pake_random(unsigned char *out, size_t len);

#endif
