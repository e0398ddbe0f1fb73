/* lanmsg pairing codes: the one-time secret a person reads over the phone.
 *
 * A code is ten digits shown as 123-456-7890: nine random digits (from a
 * CTR-DRBG seeded by the system) and a Luhn check digit, so a misheard
 * digit is caught on the client before it costs an attempt. Nine random
 * digits are 10^9 codes, about 29.9 bits; EC-JPAKE gives an attacker
 * nothing to test offline, so what counts is online guesses: a code is
 * burned after LM_PCODE_TRIES wrong ones, which bounds an attacker's
 * chance at 3 in 10^9 per code issued. A code is good for one successful
 * pairing and LM_PCODE_LIFETIME_S seconds, whichever ends first.
 *
 * The server holds one lm_pcode and lets one pairing conversation use it
 * at a time (a ticket from lm_pcode_begin). A conversation that stalls
 * loses its ticket to the next one after LM_PCODE_SESSION_S seconds. The
 * object has its own lock: loop threads share it. Times are monotonic
 * milliseconds passed in by the caller, so tests need not sleep. */
#ifndef LANMSG_PAIRING_PAIR_CODE_H
#define LANMSG_PAIRING_PAIR_CODE_H

#include <stddef.h>
#include <stdint.h>

#define LM_PCODE_DIGITS     10
#define LM_PCODE_TEXT_MAX   13 /* "123-456-7890" and its NUL */
#define LM_PCODE_TRIES      3
#define LM_PCODE_LIFETIME_S 300
#define LM_PCODE_SESSION_S  30

typedef struct lm_pcode lm_pcode;

/* A new code. lifetime_ms 0 and tries 0 mean the defaults above. NULL with
 * err when no random bytes could be had. */
lm_pcode *lm_pcode_new(uint64_t now_ms, uint64_t lifetime_ms, int tries, char *err, size_t errlen);
/* The same, from given digits (tests, and the fuzz target). */
lm_pcode *lm_pcode_from(const char *digits, uint64_t now_ms, uint64_t lifetime_ms, int tries);
void lm_pcode_free(lm_pcode *c);

/* "123-456-7890" */
void lm_pcode_text(const lm_pcode *c, char out[LM_PCODE_TEXT_MAX]);
/* The secret EC-JPAKE uses: the ten digits. */
void lm_pcode_secret(const lm_pcode *c, char out[LM_PCODE_DIGITS + 1]);

/* Client: read a code as a person typed it (spaces and dashes ignored)
 * into its ten digits. 0, or -1 with err (length, or the check digit). */
int lm_pcode_parse(const char *text, char out[LM_PCODE_DIGITS + 1], char *err, size_t errlen);

typedef enum lm_pcode_state {
    LM_PCODE_READY = 0, /* begin: the ticket is yours */
    LM_PCODE_BUSY,      /* another conversation holds it */
    LM_PCODE_EXPIRED,
    LM_PCODE_USED,  /* one pairing already succeeded with it */
    LM_PCODE_BURNED /* too many wrong codes */
} lm_pcode_state;

/* Start a conversation; *ticket identifies it to the calls below. */
lm_pcode_state lm_pcode_begin(lm_pcode *c, uint64_t now_ms, unsigned *ticket);
/* Still usable by this conversation now? READY, or why not. */
lm_pcode_state lm_pcode_check(lm_pcode *c, unsigned ticket, uint64_t now_ms);
/* A wrong code: returns the tries left (0 = burned now). */
int lm_pcode_wrong(lm_pcode *c, unsigned ticket);
/* A man in the middle was seen: burn the code. */
void lm_pcode_burn(lm_pcode *c);
/* Success: the code is used up. */
void lm_pcode_success(lm_pcode *c, unsigned ticket);
/* The conversation ended (any way): the next may begin. */
void lm_pcode_end(lm_pcode *c, unsigned ticket);
/* Why the code can no longer be used, or READY. */
lm_pcode_state lm_pcode_state_now(lm_pcode *c, uint64_t now_ms);

#endif
