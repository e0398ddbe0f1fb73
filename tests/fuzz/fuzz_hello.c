/* Fuzz target: the ClientHello front end (src/transport/hello.c) on
 * arbitrary bytes in arbitrary chunkings.
 *
 * Input layout: byte 0 picks the limit (below 128: the default; else a
 * small one, so that "too big" is reached), byte 1 the chunking (want-driven,
 * random sizes, one push) and whether the stream ends with a silence
 * (--allow-plain's wait) and with EOF, byte 2 seeds
 * the chunk sizes; the rest is the stream. Besides the sanitizers, it checks
 * what the module promises:
 *  - the verdict, the alert and the bytes consumed up to it do not depend on
 *    how the stream was cut (compared with the same bytes in one push);
 *  - DONE: the output is exactly one handshake record holding one whole,
 *    well-formed ClientHello (checked here by a separate reader), equal to
 *    the handshake bytes of the input's records, with the first record's
 *    version, then the input bytes that followed, unchanged;
 *  - ALERT: a 7-byte fatal alert record; PLAIN: the first bytes read;
 *  - every byte is taken while more are needed; a final status stays final
 *    and takes nothing more. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/transport/hello.h"

typedef struct run {
    lm_hello_status st;
    size_t used; /* bytes consumed in all */
    unsigned char out[5 + LM_HELLO_LIMIT_DEFAULT + LM_HELLO_TAIL];
    size_t out_len;
    lm_hello_info info;
} run;

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void drive(run *r, size_t limit, int mode, int eof, int silence, uint32_t seed,
                  const uint8_t *d, size_t n)
{
    lm_hello h;
    size_t i = 0;
    const unsigned char *out;

    lm_hello_init(&h, limit);
    r->st = LM_HELLO_NEED_MORE;
    while (i < n && r->st == LM_HELLO_NEED_MORE) {
        size_t len = n - i, used = (size_t)-1, want = lm_hello_want(&h);
        if (want == 0)
            abort(); /* more is needed, so some must be wanted */
        if (mode == 0)
            len = 1 + rnd(&seed) % want; /* the engine's way: never past the hello */
        else if (mode == 1)
            len = 1 + rnd(&seed) % 300;
        if (len > n - i)
            len = n - i;
        r->st = lm_hello_push(&h, d + i, len, &used);
        if (used > len || (r->st == LM_HELLO_NEED_MORE && used != len))
            abort();
        if (mode == 0 && r->st != LM_HELLO_ALERT && used != len)
            abort(); /* want-sized reads are taken whole: no tail, ever */
        i += used;
    }
    if (silence)
        r->st = lm_hello_silence(&h);
    if (eof)
        r->st = lm_hello_eof(&h);
    r->used = i;
    if (lm_hello_state(&h) != r->st)
        abort();
    /* Final means final. */
    if (r->st != LM_HELLO_NEED_MORE) {
        size_t used = 1;
        if (lm_hello_push(&h, d, n, &used) != r->st || used != 0 || lm_hello_want(&h) != 0)
            abort();
        if (lm_hello_eof(&h) != r->st)
            abort();
    }
    out = lm_hello_output(&h, &r->out_len);
    if ((out == NULL) != (r->st == LM_HELLO_NEED_MORE || r->st == LM_HELLO_CLOSED))
        abort();
    if (r->out_len > sizeof r->out)
        abort();
    if (out)
        memcpy(r->out, out, r->out_len);
    lm_hello_get_info(&h, &r->info);
    if (r->info.bytes_in != r->used)
        abort();
    lm_hello_free(&h);
}

static size_t be16(const unsigned char *p)
{
    return (size_t)p[0] << 8 | p[1];
}

/* A second reader of the ClientHello body, written apart from hello.c's: is
 * each vector inside the body, and do they end exactly at its end? */
static int well_formed(const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n;
    size_t v;

    if (n < 35 || p[34] > 32)
        return 0;
    p += 35 + p[34];
    if (end - p < 2 || (v = be16(p)) < 2 || v & 1 || (size_t)(end - p - 2) < v)
        return 0;
    p += 2 + v;
    if (end - p < 1 || p[0] == 0 || (size_t)(end - p - 1) < p[0])
        return 0;
    p += 1 + p[0];
    if (p == end)
        return 1;
    if (end - p < 2 || be16(p) != (size_t)(end - p - 2))
        return 0;
    for (p += 2; p < end; p += 4 + be16(p + 2))
        if (end - p < 4 || (size_t)(end - p - 4) < be16(p + 2))
            return 0;
    return 1;
}

/* DONE: check the record against the input's own records. */
static void check_done(const run *r, size_t limit, const uint8_t *d, size_t n)
{
    const unsigned char *rec = r->out;
    size_t len, msg, at = 0, got = 0;

    if (r->out_len < 5 || rec[0] != 22 || rec[1] != 3 || rec[1] != d[1] || rec[2] != d[2])
        abort();
    len = be16(rec + 3);
    if (len > limit || len < 4 + 41 || 5 + len > r->out_len || rec[5] != 1)
        abort();
    msg = (size_t)rec[6] << 16 | (size_t)rec[7] << 8 | rec[8];
    if (4 + msg != len || !well_formed(rec + 9, msg))
        abort();
    /* The message is the handshake payload of the input's records, in order. */
    while (got < len) {
        size_t body, take;
        if (n - at < 5 || d[at] != 22)
            abort();
        body = be16(d + at + 3);
        take = body < len - got ? body : len - got;
        if (n - at - 5 < take || memcmp(d + at + 5, rec + 5 + got, take) != 0)
            abort();
        got += take;
        at += 5 + body;
    }
    /* Consumed up to the end of that record, then the tail as it came. */
    if (at + (r->out_len - 5 - len) != r->used)
        abort();
    if (memcmp(d + at, rec + 5 + len, r->out_len - 5 - len) != 0)
        abort();
}

static void check(const run *r, size_t limit, const uint8_t *d, size_t n)
{
    switch (r->st) {
    case LM_HELLO_DONE:
        check_done(r, limit, d, n);
        break;
    case LM_HELLO_ALERT:
        if (r->out_len != 7 || r->out[0] != 21 || r->out[1] != 3 || r->out[2] > 3 ||
            r->out[3] != 0 || r->out[4] != 2 || r->out[5] != 2)
            abort();
        if (r->info.alert != r->out[6] || r->info.why == LM_HELLO_WHY_NONE)
            abort();
        if (strcmp(lm_hello_alert_name(r->out[6]), "unknown") == 0)
            abort();
        break;
    case LM_HELLO_PLAIN:
        if (r->out_len > 3 || r->out_len != r->used || memcmp(r->out, d, r->out_len) != 0)
            abort();
        break;
    case LM_HELLO_CLOSED:
        if (r->used != 0)
            abort();
        break;
    case LM_HELLO_NEED_MORE:
        if (r->used != n)
            abort();
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static run a, b;
    size_t limit;
    int mode, eof, silence;

    if (size < 3)
        return 0;
    limit = data[0] < 128 ? LM_HELLO_LIMIT_DEFAULT : 45 + (size_t)(data[0] - 128) * 8;
    mode = data[1] % 3;
    eof = (data[1] >> 2) & 1;
    silence = (data[1] >> 3) & 1;
    drive(&a, limit, mode, eof, silence, data[2], data + 3, size - 3);
    check(&a, limit, data + 3, size - 3);
    drive(&b, limit, 2, eof, silence, 0, data + 3, size - 3);
    check(&b, limit, data + 3, size - 3);
    /* Cutting must not matter, except for how much tail one push carried. */
    if (a.st != b.st || a.info.alert != b.info.alert || a.info.why != b.info.why)
        abort();
    if (a.st == LM_HELLO_DONE) {
        size_t rec = 5 + be16(a.out + 3);
        if (memcmp(a.out, b.out, rec) != 0 ||
            a.used - (a.out_len - rec) != b.used - (b.out_len - rec))
            abort();
    } else if (a.used != b.used || a.out_len != b.out_len || memcmp(a.out, b.out, a.out_len) != 0) {
        abort();
    }
    return 0;
}
