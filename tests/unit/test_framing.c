/* Unit tests for the framer: the chunk boundaries a real socket produces,
 * line endings, overlong lines, the three modes, stopping from the callback
 * and the promise that an idle framer holds no buffer. */
#include "lanmsg/framing.h"

#include <string.h>

#include "check.h"

/* ---- a callback that records what it was given ---- */

#define MAX_EVENTS 64

typedef struct rec {
    int n;
    lm_frame_kind kind[MAX_EVENTS];
    char msg[MAX_EVENTS][256];
    size_t len[MAX_EVENTS];
    const char *stop_on[4]; /* messages after which the callback stops */
} rec;

/* Copy each event so that a test can look at it after the chunk is gone,
 * and stop when told to, the way the server stops on "/quit". */
static int record(void *ctx, lm_frame_kind kind, const char *msg, size_t len)
{
    rec *r = ctx;
    CHECK(r->n < MAX_EVENTS);
    r->kind[r->n] = kind;
    r->len[r->n] = len;
    if (kind == LM_FRAME_MESSAGE) {
        CHECK(msg != NULL);
        CHECK(len < sizeof r->msg[0]);
        memcpy(r->msg[r->n], msg, len);
        r->msg[r->n][len] = '\0';
    }
    r->n++;
    for (size_t i = 0; i < sizeof r->stop_on / sizeof r->stop_on[0]; i++) {
        const char *s = r->stop_on[i];
        if (kind == LM_FRAME_MESSAGE && s != NULL && strlen(s) == len && memcmp(s, msg, len) == 0)
            return 1;
    }
    return 0;
}

static int push(lm_framer *f, rec *r, const char *s)
{
    return lm_framer_push(f, s, strlen(s), record, r);
}

/* The i-th event was a message with exactly this content. */
static int is_msg(const rec *r, int i, const char *s)
{
    return i < r->n && r->kind[i] == LM_FRAME_MESSAGE && r->len[i] == strlen(s) &&
           memcmp(r->msg[i], s, r->len[i]) == 0;
}

static int is_overlong(const rec *r, int i, size_t len)
{
    return i < r->n && r->kind[i] == LM_FRAME_OVERLONG && r->len[i] == len;
}

/* Nothing partial means no buffer at all, not an empty one. */
static int no_buffer(const lm_framer *f)
{
    return f->buf == NULL && f->cap == 0 && f->len == 0 && lm_framer_partial(f) == 0;
}

/* ---- line mode ---- */

static void test_one_byte_at_a_time(void)
{
    lm_framer f;
    rec r = {0};
    const char *s = "hello\n";
    lm_framer_init(&f, LM_FRAMING_LINE, 0);
    for (size_t i = 0; s[i] != '\0'; i++) {
        CHECK(r.n == 0);
        CHECK(lm_framer_push(&f, s + i, 1, record, &r) == 0);
    }
    CHECK(r.n == 1 && is_msg(&r, 0, "hello"));
    CHECK(no_buffer(&f));
    lm_framer_free(&f);
}

static void test_two_in_one_chunk(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_LINE, 0);
    CHECK(push(&f, &r, "first\nsecond\n") == 0);
    CHECK(r.n == 2 && is_msg(&r, 0, "first") && is_msg(&r, 1, "second"));
    /* Both came straight from the chunk: no buffer was ever needed. */
    CHECK(no_buffer(&f));
    lm_framer_free(&f);
}

static void test_split_over_three_chunks(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_LINE, 0);
    CHECK(push(&f, &r, "hel") == 0);
    CHECK(f.buf != NULL && lm_framer_partial(&f) == 3);
    CHECK(push(&f, &r, "lo wo") == 0);
    CHECK(lm_framer_partial(&f) == 8);
    CHECK(push(&f, &r, "rld\nnext") == 0);
    CHECK(r.n == 1 && is_msg(&r, 0, "hello world"));
    CHECK(lm_framer_partial(&f) == 4);
    CHECK(push(&f, &r, "\n") == 0);
    CHECK(r.n == 2 && is_msg(&r, 1, "next"));
    CHECK(no_buffer(&f));
    lm_framer_free(&f);
}

static void test_line_endings(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_LINE, 0);
    CHECK(push(&f, &r, "crlf\r\nlf\n") == 0);
    /* A CR split from its LF by a chunk boundary. */
    CHECK(push(&f, &r, "split\r") == 0);
    CHECK(push(&f, &r, "\n") == 0);
    /* Only the CR right before the LF is a line ending. */
    CHECK(push(&f, &r, "a\rb\r\r\n") == 0);
    CHECK(r.n == 4);
    CHECK(is_msg(&r, 0, "crlf") && is_msg(&r, 1, "lf") && is_msg(&r, 2, "split"));
    CHECK(is_msg(&r, 3, "a\rb\r"));
    lm_framer_free(&f);
}

/* Empty lines are delivered as empty messages: the service decides. */
static void test_empty_lines(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_LINE, 0);
    CHECK(push(&f, &r, "\n\r\n") == 0);
    CHECK(push(&f, &r, "\r") == 0);
    CHECK(push(&f, &r, "\n") == 0);
    CHECK(r.n == 3 && is_msg(&r, 0, "") && is_msg(&r, 1, "") && is_msg(&r, 2, ""));
    CHECK(no_buffer(&f));
    lm_framer_free(&f);
}

static void test_overlong_then_good(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_LINE, 8);
    /* Exactly max_len is fine, one more is not. */
    CHECK(push(&f, &r, "12345678\n123456789\nok\n") == 0);
    CHECK(r.n == 3);
    CHECK(is_msg(&r, 0, "12345678"));
    CHECK(is_overlong(&r, 1, 9));
    CHECK(is_msg(&r, 2, "ok"));
    CHECK(no_buffer(&f) && f.discarding == 0);
    lm_framer_free(&f);
}

static void test_overlong_across_chunks(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_LINE, 8);
    CHECK(push(&f, &r, "01234") == 0);
    CHECK(push(&f, &r, "56789") == 0);
    /* Reported once, when the limit was passed, with the bytes seen then. */
    CHECK(r.n == 1 && is_overlong(&r, 0, 10));
    /* While discarding, nothing is held, but the line still counts as
     * unfinished (for --line-timeout). */
    CHECK(f.buf == NULL && f.cap == 0 && f.len == 0);
    CHECK(lm_framer_partial(&f) > 8);
    CHECK(push(&f, &r, "abcdefghijklmnop") == 0);
    CHECK(push(&f, &r, "qr\ngo") == 0);
    CHECK(r.n == 1);
    CHECK(push(&f, &r, "od\n") == 0);
    CHECK(r.n == 2 && is_msg(&r, 1, "good"));
    /* The newline that ends an overlong line arriving in the next chunk. */
    CHECK(push(&f, &r, "0123456") == 0);
    CHECK(push(&f, &r, "789\nafter\n") == 0);
    CHECK(r.n == 4 && is_overlong(&r, 2, 10) && is_msg(&r, 3, "after"));
    CHECK(no_buffer(&f));
    lm_framer_free(&f);
}

/* A peer trickling an endless overlong line: the framer must keep saying
 * that a line is unfinished, or the server's --line-timeout never starts
 * (tests/abuse/test_limits.py found this against the real server). */
static void test_overlong_trickle_stays_partial(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_LINE, 8);
    CHECK(push(&f, &r, "0123456789") == 0);
    CHECK(r.n == 1 && is_overlong(&r, 0, 10));
    for (int i = 0; i < 100; i++) {
        CHECK(push(&f, &r, "z") == 0);
        CHECK(lm_framer_partial(&f) > 0);
    }
    CHECK(push(&f, &r, "\n") == 0);
    CHECK(r.n == 1 && no_buffer(&f));
    /* The same in auto mode, before the first newline. */
    lm_framer_free(&f);
    lm_framer_init(&f, LM_FRAMING_AUTO, 8);
    CHECK(push(&f, &r, "0123456789") == 0);
    CHECK(push(&f, &r, "z") == 0);
    CHECK(lm_framer_partial(&f) > 0);
    lm_framer_free(&f);
}

/* ---- raw mode ---- */

static void test_raw(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_RAW, 4);
    CHECK(!lm_framer_wants_newline(&f));
    CHECK(push(&f, &r, "a\nb\r") == 0);
    CHECK(push(&f, &r, "") == 0);
    CHECK(push(&f, &r, "12345") == 0);
    CHECK(push(&f, &r, "xy") == 0);
    CHECK(lm_framer_idle(&f, record, &r) == 0);
    CHECK(lm_framer_eof(&f, record, &r) == 0);
    CHECK(r.n == 3);
    CHECK(is_msg(&r, 0, "a\nb\r"));
    CHECK(is_overlong(&r, 1, 5));
    CHECK(is_msg(&r, 2, "xy"));
    CHECK(no_buffer(&f));
    lm_framer_free(&f);
}

/* ---- auto mode ---- */

static void test_auto_tutorial_then_lines(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_AUTO, 0);
    CHECK(f.active == LM_FRAMING_RAW && !lm_framer_wants_newline(&f));
    CHECK(lm_framer_idle(&f, record, &r) == 0);
    CHECK(r.n == 0);
    CHECK(push(&f, &r, "Olá servidor!") == 0);
    CHECK(r.n == 0);
    CHECK(lm_framer_idle(&f, record, &r) == 0);
    CHECK(r.n == 1 && is_msg(&r, 0, "Olá servidor!"));
    CHECK(f.active == LM_FRAMING_RAW && no_buffer(&f));

    CHECK(push(&f, &r, "a\nb") == 0);
    CHECK(f.active == LM_FRAMING_LINE && lm_framer_wants_newline(&f));
    CHECK(r.n == 2 && is_msg(&r, 1, "a"));
    /* Line mode now: idle no longer ends a partial message. */
    CHECK(lm_framer_idle(&f, record, &r) == 0);
    CHECK(r.n == 2 && lm_framer_partial(&f) == 1);
    CHECK(push(&f, &r, "c\n") == 0);
    CHECK(r.n == 3 && is_msg(&r, 2, "bc"));
    CHECK(no_buffer(&f));
    lm_framer_free(&f);
}

static void test_auto_accumulates_until_newline(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_AUTO, 0);
    CHECK(push(&f, &r, "abc") == 0);
    CHECK(push(&f, &r, "def\n") == 0);
    CHECK(r.n == 1 && is_msg(&r, 0, "abcdef"));
    CHECK(f.active == LM_FRAMING_LINE && no_buffer(&f));
    lm_framer_free(&f);
}

static void test_auto_overlong(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_AUTO, 8);
    CHECK(push(&f, &r, "01234") == 0);
    CHECK(push(&f, &r, "56789") == 0);
    CHECK(r.n == 1 && is_overlong(&r, 0, 10));
    /* Discarding: idle delivers nothing, the newline switches to line. */
    CHECK(lm_framer_idle(&f, record, &r) == 0);
    CHECK(push(&f, &r, "more") == 0);
    CHECK(r.n == 1 && f.active == LM_FRAMING_RAW);
    CHECK(push(&f, &r, "xyz\nok\n") == 0);
    CHECK(r.n == 2 && is_msg(&r, 1, "ok") && f.active == LM_FRAMING_LINE);
    lm_framer_free(&f);
}

/* ---- stopping and end of input ---- */

static void test_stop_and_resume(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_LINE, 0);
    r.stop_on[0] = "/quit";
    r.stop_on[1] = "two";
    CHECK(push(&f, &r, "hi\n/quit\none\ntwo\nthr") != 0);
    CHECK(r.n == 2 && is_msg(&r, 0, "hi") && is_msg(&r, 1, "/quit"));
    /* The rest is held, undelivered. */
    CHECK(lm_framer_partial(&f) == strlen("one\ntwo\nthr"));
    /* The next push resumes there, stops again at "two", and queues the
     * new chunk behind what is still held. */
    CHECK(push(&f, &r, "ee\nfour\n") != 0);
    CHECK(r.n == 4 && is_msg(&r, 2, "one") && is_msg(&r, 3, "two"));
    /* Idle resumes too. */
    CHECK(lm_framer_idle(&f, record, &r) == 0);
    CHECK(r.n == 6 && is_msg(&r, 4, "three") && is_msg(&r, 5, "four"));
    CHECK(no_buffer(&f));
    lm_framer_free(&f);
}

static void test_stop_resumed_by_eof(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_LINE, 0);
    r.stop_on[0] = "/quit";
    CHECK(push(&f, &r, "/quit\nbye\nlast") == 1);
    CHECK(r.n == 1);
    CHECK(lm_framer_eof(&f, record, &r) == 0);
    CHECK(r.n == 3 && is_msg(&r, 1, "bye") && is_msg(&r, 2, "last"));
    CHECK(no_buffer(&f));
    lm_framer_free(&f);
}

/* A stop on the last line of a chunk leaves nothing behind. */
static void test_stop_at_chunk_end(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_LINE, 0);
    r.stop_on[0] = "/quit";
    CHECK(push(&f, &r, "/qu") == 0);
    CHECK(push(&f, &r, "it\n") == 1);
    CHECK(no_buffer(&f));
    /* An idle auto framer stopped by its callback keeps nothing either. */
    lm_framer_free(&f);
    lm_framer_init(&f, LM_FRAMING_AUTO, 0);
    CHECK(push(&f, &r, "/quit") == 0);
    CHECK(lm_framer_idle(&f, record, &r) == 1);
    CHECK(no_buffer(&f));
    lm_framer_free(&f);
}

static void test_eof(void)
{
    lm_framer f;
    rec r = {0};
    lm_framer_init(&f, LM_FRAMING_LINE, 8);
    CHECK(push(&f, &r, "one\nlast\r") == 0);
    CHECK(lm_framer_eof(&f, record, &r) == 0);
    CHECK(r.n == 2 && is_msg(&r, 0, "one") && is_msg(&r, 1, "last"));
    CHECK(no_buffer(&f));
    /* Nothing pending: nothing delivered, not an empty message. */
    CHECK(lm_framer_eof(&f, record, &r) == 0);
    CHECK(r.n == 2);
    /* An overlong line cut by EOF was already reported. */
    CHECK(push(&f, &r, "0123456789") == 0);
    CHECK(lm_framer_eof(&f, record, &r) == 0);
    CHECK(r.n == 3 && is_overlong(&r, 2, 10));
    lm_framer_free(&f);

    /* Auto mode before any newline: the pending raw message. */
    lm_framer_init(&f, LM_FRAMING_AUTO, 0);
    CHECK(push(&f, &r, "no newline") == 0);
    CHECK(lm_framer_eof(&f, record, &r) == 0);
    CHECK(r.n == 4 && is_msg(&r, 3, "no newline"));
    CHECK(no_buffer(&f));
    lm_framer_free(&f);
}

/* Any way of cutting a stream into chunks gives the same messages. */
static void test_random_splits(void)
{
    static const char stream[] = "alpha\r\nbeta\n\ngamma delta\nthis line is far too long\nz\n";
    static const char *const want[] = {"alpha", "beta", "", "gamma delta", NULL, "z"};
    unsigned long seed = 12345;

    for (int round = 0; round < 500; round++) {
        lm_framer f;
        rec r = {0};
        size_t pos = 0, n = sizeof stream - 1;
        lm_framer_init(&f, LM_FRAMING_LINE, 16);
        while (pos < n) {
            seed = seed * 1103515245u + 12345u;
            size_t take = 1 + (seed >> 16) % 9;
            if (take > n - pos)
                take = n - pos;
            CHECK(lm_framer_push(&f, stream + pos, take, record, &r) == 0);
            pos += take;
        }
        CHECK(r.n == 6);
        for (int i = 0; i < 6; i++) {
            if (want[i] == NULL)
                CHECK(r.kind[i] == LM_FRAME_OVERLONG && r.len[i] > 16);
            else
                CHECK(is_msg(&r, i, want[i]));
        }
        CHECK(no_buffer(&f));
        lm_framer_free(&f);
    }
}

static void test_names(void)
{
    lm_framing m = LM_FRAMING_LINE;
    CHECK(lm_framing_parse("auto", &m) == 0 && m == LM_FRAMING_AUTO);
    CHECK(lm_framing_parse("raw", &m) == 0 && m == LM_FRAMING_RAW);
    CHECK(lm_framing_parse("line", &m) == 0 && m == LM_FRAMING_LINE);
    CHECK(lm_framing_parse("LINE", &m) == -1 && m == LM_FRAMING_LINE);
    CHECK(lm_framing_parse("", &m) == -1);
    CHECK(strcmp(lm_framing_name(LM_FRAMING_AUTO), "auto") == 0);
    CHECK(strcmp(lm_framing_name(LM_FRAMING_RAW), "raw") == 0);
    CHECK(strcmp(lm_framing_name(LM_FRAMING_LINE), "line") == 0);
}

int main(void)
{
    test_one_byte_at_a_time();
    test_two_in_one_chunk();
    test_split_over_three_chunks();
    test_line_endings();
    test_empty_lines();
    test_overlong_then_good();
    test_overlong_across_chunks();
    test_overlong_trickle_stays_partial();
    test_raw();
    test_auto_tutorial_then_lines();
    test_auto_accumulates_until_newline();
    test_auto_overlong();
    test_stop_and_resume();
    test_stop_resumed_by_eof();
    test_stop_at_chunk_end();
    test_eof();
    test_random_splits();
    test_names();
    puts("test_framing: all checks passed");
    return 0;
}
