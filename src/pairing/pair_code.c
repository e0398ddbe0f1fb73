/* lanmsg pairing codes: see pair_code.h for the format and the numbers. */
#include "pairing/pair_code.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "platform/os.h"
#include "transport/tls_pake.h"

struct lm_pcode {
    lm_mutex *lock;
    char digits[LM_PCODE_DIGITS + 1];
    uint64_t expires_ms;
    int tries_left;
    int used, burned;
    unsigned ticket;  /* the conversation holding the code; 0 = none */
    unsigned next;    /* tickets are never 0 */
    uint64_t held_ms; /* when that conversation began */
};

static void set_err(char *err, size_t errlen, lm_msg_id id, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, id);
    lm_vformat(err, errlen, id, ap);
    va_end(ap);
}

/* Luhn mod 10 over n digits: from the right, double every second digit
 * (the check digit's neighbour first) and subtract 9 from doubles over 9. */
static char luhn10(const char *d, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int x = d[n - 1 - i] - '0';
        if (i % 2 == 0) {
            x *= 2;
            if (x > 9)
                x -= 9;
        }
        sum += x;
    }
    return (char)('0' + (10 - sum % 10) % 10);
}

lm_pcode *lm_pcode_from(const char *digits, uint64_t now_ms, uint64_t lifetime_ms, int tries)
{
    lm_pcode *c;
    if (strlen(digits) != LM_PCODE_DIGITS || strspn(digits, "0123456789") != LM_PCODE_DIGITS)
        return NULL;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->lock = lm_mutex_new();
    if (!c->lock) {
        free(c);
        return NULL;
    }
    memcpy(c->digits, digits, sizeof c->digits);
    c->expires_ms = now_ms + (lifetime_ms ? lifetime_ms : LM_PCODE_LIFETIME_S * 1000ull);
    c->tries_left = tries > 0 ? tries : LM_PCODE_TRIES;
    c->next = 1;
    return c;
}

lm_pcode *lm_pcode_new(uint64_t now_ms, uint64_t lifetime_ms, int tries, char *err, size_t errlen)
{
    char d[LM_PCODE_DIGITS + 1];
    uint32_t v = 0;
    lm_pcode *c;

    /* Uniform over 0..999999999: draw 32 bits, keep values below the
     * largest multiple of 10^9 that fits (4 * 10^9), try again otherwise. */
    for (int i = 0;; i++) {
        unsigned char r[4];
        if (i == 64 || lm_pake_random(r, sizeof r) != 0) {
            set_err(err, errlen, LM_M_PCODE_RANDOM);
            return NULL;
        }
        v = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
        if (v < 4000000000u)
            break;
    }
    snprintf(d, sizeof d, "%09lu", (unsigned long)(v % 1000000000u));
    d[9] = luhn10(d, 9);
    d[10] = '\0';
    c = lm_pcode_from(d, now_ms, lifetime_ms, tries);
    memset(d, 0, sizeof d);
    if (!c)
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
    return c;
}

void lm_pcode_free(lm_pcode *c)
{
    if (!c)
        return;
    lm_mutex_free(c->lock);
    memset(c, 0, sizeof *c);
    free(c);
}

void lm_pcode_text(const lm_pcode *c, char out[LM_PCODE_TEXT_MAX])
{
    snprintf(out, LM_PCODE_TEXT_MAX, "%.3s-%.3s-%.4s", c->digits, c->digits + 3, c->digits + 6);
}

void lm_pcode_secret(const lm_pcode *c, char out[LM_PCODE_DIGITS + 1])
{
    memcpy(out, c->digits, LM_PCODE_DIGITS + 1);
}

int lm_pcode_parse(const char *text, char out[LM_PCODE_DIGITS + 1], char *err, size_t errlen)
{
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == ' ' || *p == '-' || *p == '\t')
            continue;
        if (*p < '0' || *p > '9' || n == LM_PCODE_DIGITS) {
            set_err(err, errlen, LM_M_PCODE_FORM);
            return -1;
        }
        out[n++] = *p;
    }
    out[n] = '\0';
    if (n != LM_PCODE_DIGITS) {
        set_err(err, errlen, LM_M_PCODE_FORM);
        return -1;
    }
    if (luhn10(out, LM_PCODE_DIGITS - 1) != out[LM_PCODE_DIGITS - 1]) {
        set_err(err, errlen, LM_M_PCODE_CHECK);
        return -1;
    }
    return 0;
}

/* Why the code is unusable, lock held. */
static lm_pcode_state state_locked(const lm_pcode *c, uint64_t now_ms)
{
    if (c->used)
        return LM_PCODE_USED;
    if (c->burned)
        return LM_PCODE_BURNED;
    if (now_ms >= c->expires_ms)
        return LM_PCODE_EXPIRED;
    return LM_PCODE_READY;
}

lm_pcode_state lm_pcode_state_now(lm_pcode *c, uint64_t now_ms)
{
    lm_mutex_lock(c->lock);
    lm_pcode_state s = state_locked(c, now_ms);
    lm_mutex_unlock(c->lock);
    return s;
}

lm_pcode_state lm_pcode_begin(lm_pcode *c, uint64_t now_ms, unsigned *ticket)
{
    lm_pcode_state s;
    *ticket = 0;
    lm_mutex_lock(c->lock);
    s = state_locked(c, now_ms);
    if (s == LM_PCODE_READY && c->ticket && now_ms - c->held_ms < LM_PCODE_SESSION_S * 1000ull)
        s = LM_PCODE_BUSY;
    if (s == LM_PCODE_READY) {
        c->ticket = c->next++;
        if (c->next == 0)
            c->next = 1;
        c->held_ms = now_ms;
        *ticket = c->ticket;
    }
    lm_mutex_unlock(c->lock);
    return s;
}

lm_pcode_state lm_pcode_check(lm_pcode *c, unsigned ticket, uint64_t now_ms)
{
    lm_pcode_state s;
    lm_mutex_lock(c->lock);
    s = state_locked(c, now_ms);
    if (s == LM_PCODE_READY && (ticket == 0 || c->ticket != ticket))
        s = LM_PCODE_BUSY; /* our ticket was taken over after a stall */
    lm_mutex_unlock(c->lock);
    return s;
}

int lm_pcode_wrong(lm_pcode *c, unsigned ticket)
{
    int left;
    (void)ticket; /* a wrong code counts whoever sent it */
    lm_mutex_lock(c->lock);
    if (c->tries_left > 0)
        c->tries_left--;
    if (c->tries_left == 0)
        c->burned = 1;
    left = c->tries_left;
    lm_mutex_unlock(c->lock);
    return left;
}

void lm_pcode_burn(lm_pcode *c)
{
    lm_mutex_lock(c->lock);
    c->burned = 1;
    lm_mutex_unlock(c->lock);
}

void lm_pcode_success(lm_pcode *c, unsigned ticket)
{
    lm_mutex_lock(c->lock);
    if (c->ticket == ticket)
        c->used = 1;
    lm_mutex_unlock(c->lock);
}

void lm_pcode_end(lm_pcode *c, unsigned ticket)
{
    lm_mutex_lock(c->lock);
    if (ticket && c->ticket == ticket)
        c->ticket = 0;
    lm_mutex_unlock(c->lock);
}
