/* Fuzz target: the framer (src/core/framing.c) in every mode, with the
 * input cut at fuzzer-chosen points and a callback that stops delivery
 * when told to, the way a closing connection does.
 *
 * Input layout: byte 0 picks the mode, bytes 1-2 max_len (1..1024), byte 3
 * how often the callback stops; the rest is a stream of (chunk length,
 * chunk) pairs. Besides the sanitizers, it checks what the framer promises:
 * line messages never hold a newline or pass max_len, and in line mode the
 * messages do not depend on where the input was cut (compared with the
 * same bytes pushed in one piece). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/framing.h"

#define MAX_KEEP 4096 /* messages compared between the two runs */

typedef struct fz_rec {
    const lm_framer *f;
    unsigned stop_every, calls;
    size_t n;
    size_t lens[MAX_KEEP];
    uint32_t sums[MAX_KEEP]; /* a cheap digest of each message */
} fz_rec;

static uint32_t digest(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* Check each event against the framer's promises and record it. */
static int on_frame(void *ctx, lm_frame_kind kind, const char *msg, size_t len)
{
    fz_rec *r = ctx;
    if (kind == LM_FRAME_MESSAGE) {
        if (msg == NULL || len > r->f->max_len)
            abort();
        if (r->f->active == LM_FRAMING_LINE && memchr(msg, '\n', len) != NULL)
            abort();
        if (len > 0) /* touch every byte, so ASan sees a bad pointer */
            (void)digest(msg, len);
        if (r->n < MAX_KEEP) {
            r->lens[r->n] = len;
            r->sums[r->n] = digest(msg, len);
        }
        r->n++;
    } else if (kind == LM_FRAME_OVERLONG) {
        if (msg != NULL || len <= r->f->max_len)
            abort();
    } else {
        abort();
    }
    r->calls++;
    return r->stop_every && r->calls % r->stop_every == 0;
}

/* Drive one framer over the chunks; a stopped push is simply followed by
 * the next one, which must pick up the kept input first. */
static void run(lm_framer *f, fz_rec *r, const uint8_t *d, size_t n, int split)
{
    size_t i = 0;
    r->f = f;
    while (i < n) {
        size_t len = n - i;
        if (split) {
            len = (size_t)d[i] % 97 + 1;
            i++;
            if (len > n - i)
                len = n - i;
        }
        if (lm_framer_push(f, (const char *)d + i, len, on_frame, r) < 0)
            abort();
        i += len;
        if (split && len % 5 == 0)
            lm_framer_idle(f, on_frame, r);
    }
    /* Flush anything left behind a stop, then end the stream. */
    for (int k = 0; k < 100000 && lm_framer_eof(f, on_frame, r) != 0; k++)
        ;
    lm_framer_free(f);
    if (f->buf != NULL || lm_framer_partial(f) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fz_rec a, b;
    if (size < 4)
        return 0;
    lm_framing mode = (lm_framing)(data[0] % 3);
    size_t max_len = ((size_t)data[1] << 8 | data[2]) % 1024 + 1;
    unsigned stop_every = data[3] % 4; /* 0: never stop */
    lm_framer f;

    memset(&a, 0, sizeof a);
    a.stop_every = stop_every;
    lm_framer_init(&f, mode, max_len);
    run(&f, &a, data + 4, size - 4, 1);

    /* Line mode, no stops, no overlong lines: cutting must not matter. */
    if (mode == LM_FRAMING_LINE && stop_every == 0) {
        memset(&b, 0, sizeof b);
        lm_framer_init(&f, mode, 1u << 20);
        /* Same bytes without the length prefixes, in one piece. */
        uint8_t *flat = malloc(size);
        size_t fl = 0, i = 4;
        if (!flat)
            return 0;
        while (i < size) {
            size_t len = (size_t)data[i] % 97 + 1;
            i++;
            if (len > size - i)
                len = size - i;
            memcpy(flat + fl, data + i, len);
            fl += len;
            i += len;
        }
        memset(&a, 0, sizeof a);
        lm_framer_init(&f, mode, 1u << 20);
        run(&f, &a, data + 4, size - 4, 1);
        lm_framer_init(&f, mode, 1u << 20);
        run(&f, &b, flat, fl, 0);
        free(flat);
        if (a.n != b.n)
            abort();
        for (size_t k = 0; k < a.n && k < MAX_KEEP; k++)
            if (a.lens[k] != b.lens[k] || a.sums[k] != b.sums[k])
                abort();
    }
    return 0;
}
