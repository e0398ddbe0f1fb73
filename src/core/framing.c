/* lanmsg framing: turn the chunks a connection reads into messages.
 *
 * Memory: a framer holds a buffer only while a message is unfinished. A
 * message that starts and ends inside one pushed chunk is handed to the
 * callback straight from that chunk, and the buffer is freed as soon as the
 * message it held is delivered, so an idle connection costs no buffer at all.
 *
 * Decisions the header leaves open, made here:
 *  - An empty line is delivered as an empty message (len 0, msg not NULL):
 *    "\n" on its own is something the peer sent, and services decide what it
 *    means.
 *  - The length that counts against max_len is every byte before the "\n",
 *    including a "\r" that will be stripped: a partial line cannot know yet
 *    whether its last "\r" ends it.
 *  - LM_FRAME_OVERLONG carries the bytes of the line seen when the limit was
 *    found to be passed (always > max_len), not the final total: the whole
 *    line when its newline is in the chunk that crosses the limit, otherwise
 *    the bytes held plus that chunk. Reporting at once means the rest need
 *    not be counted or kept. Its msg is NULL. It is reported once per line,
 *    and its return value stops delivery like any other callback.
 *  - A final line at EOF loses a trailing "\r" like any other line.
 *  - max_len 0 means LM_DEFAULT_MAX_LINE.
 *  - The callback must not call back into the same framer.
 *
 * Stopping: when the callback returns non-zero, the rest of the chunk is kept
 * in the buffer, marked as not yet scanned, and the next push, idle or eof
 * scans it first. The mark lives in a spare bit of `discarding` so that the
 * public struct needs no extra field. */
#include "lanmsg/framing.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

/* Bits of lm_framer.discarding. */
#define FR_DISCARD   1 /* inside an overlong line: drop up to the next newline */
#define FR_UNSCANNED 2 /* buf holds input left over after a stop, not yet framed */

/* Smallest buffer worth allocating: a few short lines fit without regrowing. */
#define FR_MIN_CAP 128

/* ---- names ---- */

int lm_framing_parse(const char *s, lm_framing *out)
{
    static const struct {
        const char *name;
        lm_framing f;
    } names[] = {{"auto", LM_FRAMING_AUTO}, {"line", LM_FRAMING_LINE}, {"raw", LM_FRAMING_RAW}};

    if (s == NULL)
        return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i].name) == 0) {
            if (out != NULL)
                *out = names[i].f;
            return 0;
        }
    }
    return -1;
}

const char *lm_framing_name(lm_framing f)
{
    switch (f) {
    case LM_FRAMING_AUTO:
        return "auto";
    case LM_FRAMING_LINE:
        return "line";
    case LM_FRAMING_RAW:
        return "raw";
    }
    return "?";
}

/* ---- buffer ---- */

/* Give the buffer back. Called whenever nothing is pending, which is what
 * keeps idle connections free of buffer memory. */
static void release(lm_framer *f)
{
    free(f->buf);
    f->buf = NULL;
    f->len = 0;
    f->cap = 0;
}

/* Take the held bytes out of the framer, which is then empty: the caller
 * owns (and frees) them. Done before a callback so that a callback that
 * stops delivery finds a consistent framer. */
static char *detach(lm_framer *f, size_t *len)
{
    char *held = f->buf;
    *len = f->len;
    f->buf = NULL;
    f->len = 0;
    f->cap = 0;
    return held;
}

/* Append bytes to the buffer, growing it geometrically. The pending message
 * is checked against max_len before it gets here, so growth is bounded by
 * max_len except for input kept after a stop (at most one chunk). */
static void append(lm_framer *f, const char *data, size_t len)
{
    if (len == 0)
        return;
    if (len > f->cap - f->len) {
        size_t need = f->len + len;
        size_t cap = f->cap * 2;
        if (cap < FR_MIN_CAP)
            cap = FR_MIN_CAP;
        if (cap < need)
            cap = need;
        /* Never reserve more than a legal message needs. */
        if (cap > f->max_len && need <= f->max_len)
            cap = f->max_len;
        f->buf = lm_xrealloc(f->buf, cap);
        f->cap = cap;
    }
    memcpy(f->buf + f->len, data, len);
    f->len += len;
}

/* Keep what a stopped callback left undelivered so that the next call picks
 * it up. Every stop follows a complete message or an OVERLONG report, and
 * both leave the buffer empty, so the kept bytes start at a message
 * boundary. */
static void keep_unscanned(lm_framer *f, const char *data, size_t len)
{
    if (len == 0)
        return;
    append(f, data, len);
    f->discarding |= FR_UNSCANNED;
}

/* Report a message that passed max_len and forget what was held of it. */
static int overlong(lm_framer *f, size_t seen, lm_frame_fn fn, void *ctx)
{
    release(f);
    return fn(ctx, LM_FRAME_OVERLONG, NULL, seen);
}

/* Deliver one line, dropping the "\r" of a CRLF. */
static int deliver_line(const char *msg, size_t len, lm_frame_fn fn, void *ctx)
{
    if (len > 0 && msg[len - 1] == '\r')
        len--;
    return fn(ctx, LM_FRAME_MESSAGE, msg, len);
}

/* ---- line framing ---- */

/* Frame a chunk as lines, continuing the partial line in the buffer. On a
 * stop the unread rest of the chunk is kept for later. */
static int line_feed(lm_framer *f, const char *data, size_t len, lm_frame_fn fn, void *ctx)
{
    const char *p = data, *end = data + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t seg = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        int rc;

        if (f->discarding & FR_DISCARD) {
            /* The rest of an overlong line: already reported, just skip it. */
            if (nl == NULL)
                return 0;
            f->discarding &= ~FR_DISCARD;
            p = nl + 1;
            continue;
        }
        if (f->len + seg > f->max_len) {
            rc = overlong(f, f->len + seg, fn, ctx);
            if (nl == NULL) {
                /* The newline is still to come: drop bytes until it does. */
                f->discarding |= FR_DISCARD;
                return rc;
            }
            p = nl + 1;
        } else if (nl == NULL) {
            /* An unfinished line: the only case that needs the buffer. */
            append(f, p, seg);
            return 0;
        } else if (f->len == 0) {
            /* Whole line inside this chunk: no copy. */
            rc = deliver_line(p, seg, fn, ctx);
            p = nl + 1;
        } else {
            append(f, p, seg);
            rc = deliver_line(f->buf, f->len, fn, ctx);
            release(f);
            p = nl + 1;
        }
        if (rc != 0) {
            keep_unscanned(f, p, (size_t)(end - p));
            return rc;
        }
    }
    return 0;
}

/* ---- auto framing, before the first newline ---- */

/* Accumulate a chunk from a peer that has not sent a newline yet. The first
 * newline turns the connection into a line connection for good, and what was
 * accumulated becomes the start of its first line. */
static int auto_feed(lm_framer *f, const char *data, size_t len, lm_frame_fn fn, void *ctx)
{
    if (memchr(data, '\n', len) != NULL) {
        f->active = LM_FRAMING_LINE;
        return line_feed(f, data, len, fn, ctx);
    }
    if (f->discarding & FR_DISCARD)
        return 0;
    if (f->len + len > f->max_len) {
        int rc = overlong(f, f->len + len, fn, ctx);
        f->discarding |= FR_DISCARD;
        return rc;
    }
    append(f, data, len);
    return 0;
}

/* Frame one chunk according to what the connection speaks now. */
static int feed(lm_framer *f, const char *data, size_t len, lm_frame_fn fn, void *ctx)
{
    if (len == 0)
        return 0;
    if (f->active == LM_FRAMING_LINE)
        return line_feed(f, data, len, fn, ctx);
    if (f->mode == LM_FRAMING_AUTO)
        return auto_feed(f, data, len, fn, ctx);
    /* Raw: one read, one message, straight from the chunk. */
    if (len > f->max_len)
        return fn(ctx, LM_FRAME_OVERLONG, NULL, len);
    return fn(ctx, LM_FRAME_MESSAGE, data, len);
}

/* Frame input kept after an earlier stop, before anything newer. The kept
 * bytes are detached first because framing them may start a new partial
 * line in the buffer. */
static int resume(lm_framer *f, lm_frame_fn fn, void *ctx)
{
    if (!(f->discarding & FR_UNSCANNED))
        return 0;
    size_t held_len;
    char *held = detach(f, &held_len);
    f->discarding &= ~FR_UNSCANNED;
    int rc = feed(f, held, held_len, fn, ctx);
    free(held);
    return rc;
}

/* ---- public entry points ---- */

void lm_framer_init(lm_framer *f, lm_framing mode, size_t max_len)
{
    memset(f, 0, sizeof *f);
    f->mode = mode;
    /* Auto starts out raw: the tutorial's client never sends a newline. */
    f->active = mode == LM_FRAMING_LINE ? LM_FRAMING_LINE : LM_FRAMING_RAW;
    f->max_len = max_len != 0 ? max_len : LM_DEFAULT_MAX_LINE;
}

void lm_framer_free(lm_framer *f)
{
    release(f);
    f->discarding = 0;
}

/* Feed one chunk. Input left over from a stop goes first; if that stops
 * again, the new chunk is queued behind it so nothing is lost or reordered. */
int lm_framer_push(lm_framer *f, const char *data, size_t len, lm_frame_fn fn, void *ctx)
{
    int rc = resume(f, fn, ctx);
    if (rc != 0) {
        /* The buffer now starts at a message boundary (or is empty), so
         * queueing the chunk behind it keeps the stream intact. */
        keep_unscanned(f, data, len);
        return rc;
    }
    return feed(f, data, len, fn, ctx);
}

/* Nothing more is readable for now: in auto mode, before any newline, what
 * has accumulated is one whole message (the tutorial sends one and waits). */
int lm_framer_idle(lm_framer *f, lm_frame_fn fn, void *ctx)
{
    int rc = resume(f, fn, ctx);
    if (rc != 0)
        return rc;
    if (f->mode != LM_FRAMING_AUTO || f->active != LM_FRAMING_RAW || f->len == 0)
        return 0;
    size_t len;
    char *msg = detach(f, &len);
    rc = fn(ctx, LM_FRAME_MESSAGE, msg, len);
    free(msg);
    return rc;
}

/* The peer closed: whatever is pending is the last message. An overlong line
 * being discarded was already reported and delivers nothing. */
int lm_framer_eof(lm_framer *f, lm_frame_fn fn, void *ctx)
{
    int rc = resume(f, fn, ctx);
    if (rc != 0)
        return rc;
    if (f->len == 0 || (f->discarding & FR_DISCARD))
        return 0;
    size_t len;
    char *msg = detach(f, &len);
    if (f->active == LM_FRAMING_LINE)
        rc = deliver_line(msg, len, fn, ctx);
    else
        rc = fn(ctx, LM_FRAME_MESSAGE, msg, len);
    free(msg);
    return rc;
}

/* A line being discarded is unfinished too, although nothing of it is held:
 * report it as more than max_len, so that a line timeout also cuts a peer
 * that trickles an endless overlong line (otherwise the count would be 0 and
 * the timer would never start). */
size_t lm_framer_partial(const lm_framer *f)
{
    if (f->discarding & FR_DISCARD)
        return f->max_len + 1;
    return f->len;
}

int lm_framer_wants_newline(const lm_framer *f)
{
    return f->active == LM_FRAMING_LINE;
}
