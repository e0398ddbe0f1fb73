/* lanmsg enrolled clients: the server's record of the client certificates
 * it issued through pairing, and which of them it has revoked.
 *
 * The file (clients, in the server's state folder, mode 0600) is text, one
 * certificate per line, comments kept:
 *
 *     NAME   KEY-FINGERPRINT  SERIAL (hex)  ISSUED      STATUS
 *     alice  7B3KQ2M-...      5f0e...       2026-11-29  active
 *     bob    Q2M4X7Z-...      0a91...       2026-11-02  revoked:2026-11-28
 *
 * Names follow the chat's rules (1-32 letters, digits, '-', '_', '.') and
 * compare without regard to case, so "Alice" is "alice". A name has at most
 * one active key; revoked lines stay, so a revoked key is never accepted
 * again. Entries are found by key fingerprint: that is what a TLS handshake
 * shows. */
#ifndef LANMSG_TRUST_ENROLLED_H
#define LANMSG_TRUST_ENROLLED_H

#include <stddef.h>

#include "trust/fingerprint.h"
#include "trust/textfile.h"

#define LM_NAME_MAX       32
#define LM_SERIAL_HEX_MAX 40 /* 20 bytes, RFC 5280's limit */

typedef struct lm_enrolled_entry {
    char name[LM_NAME_MAX + 1];
    unsigned char fp[LM_FP_LEN];
    char serial[LM_SERIAL_HEX_MAX + 1];
    char issued[LM_TF_DATE_LEN];
    int revoked;
    char revoked_on[LM_TF_DATE_LEN];
    size_t line;
} lm_enrolled_entry;

typedef struct lm_enrolled lm_enrolled;

/* 1 for a name a client may enrol under. */
int lm_enrolled_name_ok(const char *name);
/* 1 when two names are the same name (ASCII case ignored). */
int lm_enrolled_name_eq(const char *a, const char *b);

lm_enrolled *lm_enrolled_parse(const char *text, size_t len, const char *name, char *err,
                               size_t errlen);
/* A missing file is an empty list. */
lm_enrolled *lm_enrolled_load(const char *path, char *err, size_t errlen);
void lm_enrolled_free(lm_enrolled *e);

size_t lm_enrolled_count(const lm_enrolled *e);
const lm_enrolled_entry *lm_enrolled_at(const lm_enrolled *e, size_t i);
/* The entry for a key (active or revoked), or NULL. */
const lm_enrolled_entry *lm_enrolled_find_key(const lm_enrolled *e,
                                              const unsigned char fp[LM_FP_LEN]);
/* The active entry for a name, or NULL. */
const lm_enrolled_entry *lm_enrolled_find_name(const lm_enrolled *e, const char *name);

/* May `name` enrol with key `fp`? 0 yes (new, or the same name and key
 * again); LM_ENROL_* otherwise, with err. */
enum {
    LM_ENROL_BAD_NAME = -2,
    LM_ENROL_NAME_TAKEN = -3,  /* the name is active with another key */
    LM_ENROL_KEY_REVOKED = -4, /* this key was revoked */
    LM_ENROL_KEY_TAKEN = -5    /* this key is enrolled under another name */
};
int lm_enrolled_check(const lm_enrolled *e, const char *name, const unsigned char fp[LM_FP_LEN],
                      char *err, size_t errlen);

/* In memory. Add (after lm_enrolled_check; the same name and key again
 * replaces that line), or revoke the active key of a name. 0, or -1 with
 * err. */
int lm_enrolled_add(lm_enrolled *e, const char *name, const unsigned char fp[LM_FP_LEN],
                    const char *serial_hex, const char *date, char *err, size_t errlen);
int lm_enrolled_revoke(lm_enrolled *e, const char *name, const char *date, char *err,
                       size_t errlen);
char *lm_enrolled_text(const lm_enrolled *e, size_t *len);
/* Replace the file atomically, mode 0600. */
int lm_enrolled_save(const lm_enrolled *e, const char *path, char *err, size_t errlen);

#endif
