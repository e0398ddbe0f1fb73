/* lanmsg fingerprints: a key's SHA-256, in a form people read aloud.
 *
 * A fingerprint is the SHA-256 of a certificate's SubjectPublicKeyInfo (its
 * public key, DER), so a renewed certificate with the same key keeps it.
 * Its text form, the same everywhere (server start-up, --show-id, prompts,
 * errors, known_servers, --pin):
 *
 *     7B3KQ2M-9TD4XFA-...   eight groups of seven characters
 *
 * The 256 bits are written in Crockford's base32 (digits and capital
 * letters without I, L, O and U, so nothing reads as something else): 52
 * characters, the last carrying one bit and four zero bits. They are cut
 * into four blocks of 13, and each block gets a Luhn mod 32 check character
 * computed over the block's number and its 13 characters; a block and its
 * check character are two groups of seven. A single mistyped character, or
 * two neighbours swapped, in any block is reported, naming the groups.
 *
 * Parsing forgives case, spaces, dashes and colons, reads I and L as 1 and
 * O as 0 (Crockford's rule), and also takes 64 hex digits (what openssl and
 * sha256sum print), which carry no check. */
#ifndef LANMSG_TRUST_FINGERPRINT_H
#define LANMSG_TRUST_FINGERPRINT_H

#include <stddef.h>

#define LM_FP_LEN      32
#define LM_FP_TEXT_MAX 64 /* 56 characters, 7 dashes, NUL */

void lm_fp_format(const unsigned char fp[LM_FP_LEN], char out[LM_FP_TEXT_MAX]);

/* 0, or -1 with one line in err saying what is wrong (length, a character
 * that cannot be in a fingerprint, or the groups whose check fails). */
int lm_fp_parse(const char *text, unsigned char fp[LM_FP_LEN], char *err, size_t errlen);

/* 1 when equal; takes the same time whatever differs. */
int lm_fp_equal(const unsigned char a[LM_FP_LEN], const unsigned char b[LM_FP_LEN]);

#endif
