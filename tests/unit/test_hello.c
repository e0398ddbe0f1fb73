/* Unit tests of the ClientHello front end (src/transport/hello.c): genuine
 * ClientHellos (hello_vectors.h) cut into records every way, and each
 * malformed case with the alert it must get and how soon. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/transport/hello.h"
#include "check.h"
#include "hello_vectors.h"

/* ---- building inputs ---- */

typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        CHECK(b->p != NULL);
    }
    if (n)
        memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void put_u8(bytes *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

/* A record header, then its body. */
static void rec(bytes *b, int type, unsigned version, const void *body, size_t n)
{
    unsigned char h[5] = {(unsigned char)type, (unsigned char)(version >> 8),
                          (unsigned char)version, (unsigned char)(n >> 8), (unsigned char)n};
    put(b, h, 5);
    put(b, body, n);
}

/* The message inside a one-record vector. */
#define MSG(v)     ((v) + 5)
#define MSG_LEN(v) (sizeof(v) - 5)

/* A ClientHello message from a body: the 4-byte header added. */
static bytes message(const unsigned char *body, size_t n)
{
    bytes m = {0};
    put_u8(&m, 1);
    put_u8(&m, (unsigned)(n >> 16));
    put_u8(&m, (unsigned)(n >> 8));
    put_u8(&m, (unsigned)n);
    put(&m, body, n);
    return m;
}

static uint32_t rng = 12345;
static size_t next_rand(size_t bound)
{
    rng = rng * 1103515245u + 12345u;
    return (size_t)((rng >> 8) % bound);
}

/* ---- driving the front end ---- */

/* Push in chunks of `chunk` bytes (0: random sizes 1..64). While the status
 * is NEED_MORE every byte must be taken. Returns the final status;
 * *consumed gets the bytes taken in all. */
static lm_hello_status feed(lm_hello *h, const unsigned char *d, size_t n, size_t chunk,
                            size_t *consumed)
{
    size_t i = 0;
    lm_hello_status st = lm_hello_state(h);

    while (i < n && st == LM_HELLO_NEED_MORE) {
        size_t len = chunk ? chunk : 1 + next_rand(64), used = 999999;
        if (len > n - i)
            len = n - i;
        st = lm_hello_push(h, d + i, len, &used);
        CHECK(used <= len);
        if (st == LM_HELLO_NEED_MORE)
            CHECK(used == len);
        i += used;
    }
    if (consumed)
        *consumed = i;
    return st;
}

static int output_is(const lm_hello *h, const void *want, size_t n)
{
    size_t len;
    const unsigned char *out = lm_hello_output(h, &len);
    return out != NULL && len == n && memcmp(out, want, n) == 0;
}

/* Run a whole input; expect an alert with this description, and check the
 * record's bytes. Returns the bytes consumed. */
static size_t expect_alert(const void *d, size_t n, size_t chunk, int description)
{
    lm_hello h;
    size_t used, len;
    lm_hello_info info;
    const unsigned char *a;

    lm_hello_init(&h, 0);
    CHECK(feed(&h, d, n, chunk, &used) == LM_HELLO_ALERT);
    a = lm_hello_output(&h, &len);
    CHECK(len == 7 && a[0] == 21 && a[1] == 3 && a[3] == 0 && a[4] == 2 && a[5] == 2);
    CHECK(a[6] == description);
    lm_hello_get_info(&h, &info);
    CHECK(info.alert == description && info.why != LM_HELLO_WHY_NONE);
    CHECK(info.bytes_in == used);
    lm_hello_free(&h);
    return used;
}

/* Run a whole input; expect DONE with exactly `want` as output. */
static void expect_done(const void *d, size_t n, size_t chunk, const void *want, size_t want_n)
{
    lm_hello h;
    size_t used;

    lm_hello_init(&h, 0);
    CHECK(feed(&h, d, n, chunk, &used) == LM_HELLO_DONE);
    CHECK(output_is(&h, want, want_n));
    CHECK(lm_hello_want(&h) == 0);
    lm_hello_free(&h);
}

/* ---- reassembly ---- */

static void test_whole(void)
{
    lm_hello h;
    lm_hello_info info;
    size_t used;

    lm_hello_init(&h, 0);
    CHECK(lm_hello_state(&h) == LM_HELLO_NEED_MORE && lm_hello_want(&h) == 1);
    CHECK(lm_hello_push(&h, hello13, sizeof hello13, &used) == LM_HELLO_DONE);
    CHECK(used == sizeof hello13);
    CHECK(output_is(&h, hello13, sizeof hello13));
    lm_hello_get_info(&h, &info);
    CHECK(info.records == 1 && info.empty_records == 0 && info.record_version == 0x0301);
    CHECK(info.hello_len == MSG_LEN(hello13) && info.bytes_in == sizeof hello13);
    CHECK(info.alert == -1 && info.bad_type == -1 && info.why == LM_HELLO_WHY_NONE);
    lm_hello_free(&h);
    lm_hello_free(&h); /* twice is fine */
    CHECK(lm_hello_output(&h, &used) == NULL || used == 0);

    expect_done(hello12, sizeof hello12, 1, hello12, sizeof hello12);
    expect_done(hello12, sizeof hello12, 0, hello12, sizeof hello12);
}

/* Two records, split at every point of the message; the second record's
 * version differs and must not matter (the first one's is kept). */
static void test_every_split(void)
{
    const unsigned char *vs[] = {hello13, hello12};
    size_t ns[] = {sizeof hello13, sizeof hello12};

    for (int v = 0; v < 2; v++) {
        const unsigned char *msg = vs[v] + 5;
        size_t len = ns[v] - 5;
        for (size_t k = 1; k < len; k++) {
            bytes in = {0};
            rec(&in, 22, 0x0301, msg, k);
            rec(&in, 22, 0x0303, msg + k, len - k);
            expect_done(in.p, in.n, in.n, vs[v], ns[v]);
            expect_done(in.p, in.n, 1, vs[v], ns[v]);
            expect_done(in.p, in.n, 0, vs[v], ns[v]);
            free(in.p);
        }
    }
}

/* Records of every size from 1 byte to the whole message, with empty records
 * between the fragments (up to the 32 tolerated), pushed in random chunks. */
static void test_record_sizes(void)
{
    const unsigned char *msg = MSG(hello13);
    size_t len = MSG_LEN(hello13);

    for (size_t size = 1; size <= len; size++) {
        bytes in = {0}, with_empty = {0};
        unsigned empties = 0;
        for (size_t at = 0; at < len; at += size) {
            size_t n = len - at < size ? len - at : size;
            rec(&in, 22, 0x0301, msg + at, n);
            if (at > 0 && empties < LM_HELLO_MAX_EMPTY && next_rand(3) == 0) {
                rec(&with_empty, 22, 0x0301, "", 0);
                empties++;
            }
            rec(&with_empty, 22, 0x0301, msg + at, n);
        }
        expect_done(in.p, in.n, 0, hello13, sizeof hello13);
        expect_done(with_empty.p, with_empty.n, 0, hello13, sizeof hello13);
        free(in.p);
        free(with_empty.p);
    }
}

static void test_empty_records(void)
{
    const unsigned char *msg = MSG(hello12);
    size_t len = MSG_LEN(hello12);

    for (unsigned count = 31; count <= 34; count++) {
        bytes in = {0};
        rec(&in, 22, 0x0301, msg, 10);
        for (unsigned i = 0; i < count; i++)
            rec(&in, 22, 0x0301, "", 0);
        rec(&in, 22, 0x0301, msg + 10, len - 10);
        if (count <= LM_HELLO_MAX_EMPTY)
            expect_done(in.p, in.n, 0, hello12, sizeof hello12);
        else /* refused at the 33rd empty header, not later */
            CHECK(expect_alert(in.p, in.n, 0, 10) == 15 + 5 * (LM_HELLO_MAX_EMPTY + 1));
        free(in.p);
    }
    /* An empty record before the first fragment counts, and its version is
     * the first record's. */
    {
        bytes in = {0};
        lm_hello h;
        size_t n;
        const unsigned char *out;
        rec(&in, 22, 0x0302, "", 0);
        rec(&in, 22, 0x0301, msg, len);
        lm_hello_init(&h, 0);
        CHECK(feed(&h, in.p, in.n, 0, NULL) == LM_HELLO_DONE);
        out = lm_hello_output(&h, &n);
        CHECK(n == sizeof hello12 && out[1] == 3 && out[2] == 2);
        CHECK(memcmp(out + 3, hello12 + 3, n - 3) == 0);
        lm_hello_free(&h);
        free(in.p);
    }
}

/* Reading at most lm_hello_want() bytes never takes a byte past the hello. */
static void test_want(void)
{
    static const unsigned char ccs[] = {20, 3, 3, 0, 1, 1};
    const unsigned char *msg = MSG(hello13);
    size_t len = MSG_LEN(hello13);
    bytes in = {0};
    lm_hello h;
    size_t i = 0;
    lm_hello_status st = LM_HELLO_NEED_MORE;

    for (size_t at = 0; at < len; at += 7)
        rec(&in, 22, 0x0301, msg + at, len - at < 7 ? len - at : 7);
    rec(&in, 22, 0x0301, "", 0);
    put(&in, ccs, sizeof ccs);
    lm_hello_init(&h, 0);
    while (st == LM_HELLO_NEED_MORE) {
        size_t want = lm_hello_want(&h), used;
        CHECK(want >= 1 && i + want <= in.n);
        want = 1 + next_rand(want); /* any read up to want */
        st = lm_hello_push(&h, in.p + i, want, &used);
        CHECK(used == want);
        i += used;
    }
    CHECK(st == LM_HELLO_DONE && output_is(&h, hello13, sizeof hello13));
    CHECK(lm_hello_want(&h) == 0);
    CHECK(in.n - i == 5 + sizeof ccs); /* the empty record and the CCS are the caller's */
    lm_hello_free(&h);
    free(in.p);
}

/* What follows the hello's last record in the same push comes after the
 * output record unchanged, up to LM_HELLO_TAIL bytes; the rest stays with
 * the caller. */
static void test_tail(void)
{
    static const unsigned char ccs[] = {20, 3, 3, 0, 1, 1};
    bytes in = {0}, want = {0};
    lm_hello h;
    size_t used, n;
    unsigned char *big = malloc(LM_HELLO_TAIL + 100);

    CHECK(big != NULL);
    rec(&in, 22, 0x0301, MSG(hello13), 100);
    rec(&in, 22, 0x0301, MSG(hello13) + 100, MSG_LEN(hello13) - 100);
    put(&in, ccs, sizeof ccs);
    put(&want, hello13, sizeof hello13);
    put(&want, ccs, sizeof ccs);
    expect_done(in.p, in.n, in.n, want.p, want.n);

    memset(big, 0x17, LM_HELLO_TAIL + 100);
    lm_hello_init(&h, 0);
    CHECK(lm_hello_push(&h, hello12, 50, &used) == LM_HELLO_NEED_MORE && used == 50);
    {
        bytes rest = {0};
        put(&rest, hello12 + 50, sizeof hello12 - 50);
        put(&rest, big, LM_HELLO_TAIL + 100);
        CHECK(lm_hello_push(&h, rest.p, rest.n, &used) == LM_HELLO_DONE);
        CHECK(used == sizeof hello12 - 50 + LM_HELLO_TAIL);
        CHECK(lm_hello_output(&h, &n) != NULL && n == sizeof hello12 + LM_HELLO_TAIL);
        CHECK(memcmp(lm_hello_output(&h, NULL), hello12, sizeof hello12) == 0);
        /* Final: nothing more is taken. */
        CHECK(lm_hello_push(&h, rest.p + used, rest.n - used, &used) == LM_HELLO_DONE);
        CHECK(used == 0);
        CHECK(lm_hello_eof(&h) == LM_HELLO_DONE);
        free(rest.p);
    }
    lm_hello_free(&h);
    free(big);
    free(in.p);
    free(want.p);
}

/* ---- limits ---- */

/* hello12 with a padding extension (21) making the message `total` bytes. */
static bytes padded12(size_t total)
{
    const unsigned char *body = MSG(hello12) + 4;
    size_t n = MSG_LEN(hello12) - 4, at = 34, extra;
    bytes b = {0}, m;
    unsigned ext_len;

    at += 1 + body[at];
    at += 2 + ((size_t)body[at] << 8 | body[at + 1]);
    at += 1 + body[at];
    ext_len = (unsigned)body[at] << 8 | body[at + 1];
    extra = total - 4 - n - 4;
    put(&b, body, at);
    put_u8(&b, (ext_len + 4 + extra) >> 8);
    put_u8(&b, (ext_len + 4 + extra) & 0xFF);
    put(&b, body + at + 2, n - at - 2);
    put_u8(&b, 0);
    put_u8(&b, 21);
    put_u8(&b, (unsigned)(extra >> 8));
    put_u8(&b, (unsigned)extra & 0xFF);
    for (size_t i = 0; i < extra; i++)
        put_u8(&b, 0);
    m = message(b.p, b.n);
    free(b.p);
    CHECK(m.n == total);
    return m;
}

static void test_limit(void)
{
    /* Exactly the default limit: one full record; one byte more: refused
     * as soon as the handshake header says so, before any buffering. */
    for (size_t total = 16383; total <= 16385; total++) {
        bytes m = padded12(total), in = {0}, want = {0};
        rec(&in, 22, 0x0301, m.p, 9000);
        rec(&in, 22, 0x0301, m.p + 9000, m.n - 9000);
        if (total <= LM_HELLO_LIMIT_DEFAULT) {
            rec(&want, 22, 0x0301, m.p, m.n);
            expect_done(in.p, in.n, 0, want.p, want.n);
            expect_done(in.p, in.n, 1, want.p, want.n);
        } else {
            CHECK(expect_alert(in.p, in.n, 0, 47) == 9);
        }
        free(m.p);
        free(in.p);
        free(want.p);
    }
    /* The limit is a parameter. */
    {
        lm_hello h;
        lm_hello_info info;
        lm_hello_init(&h, MSG_LEN(hello13));
        CHECK(feed(&h, hello13, sizeof hello13, 0, NULL) == LM_HELLO_DONE);
        lm_hello_free(&h);
        lm_hello_init(&h, MSG_LEN(hello13) - 1);
        CHECK(feed(&h, hello13, sizeof hello13, 0, NULL) == LM_HELLO_ALERT);
        lm_hello_get_info(&h, &info);
        CHECK(info.alert == 47 && info.why == LM_HELLO_WHY_TOO_BIG && info.bytes_in == 9);
        CHECK(info.hello_len == MSG_LEN(hello13));
        lm_hello_free(&h);
    }
    /* A handshake length of 2^24-1: refused without waiting for it. */
    {
        static const unsigned char huge[] = {22, 3, 1, 0, 4, 1, 0xFF, 0xFF, 0xFF};
        CHECK(expect_alert(huge, sizeof huge, 1, 47) == 9);
    }
}

static void test_record_overflow(void)
{
    static const unsigned char over[] = {22, 3, 1, 0x40, 0x01};
    static const unsigned char max[] = {22, 3, 1, 0x40, 0x00, 1};
    static const unsigned char ffff[] = {22, 3, 3, 0xFF, 0xFF};
    lm_hello h;

    CHECK(expect_alert(over, sizeof over, 1, 22) == 5);
    CHECK(expect_alert(ffff, sizeof ffff, 0, 22) == 5);
    lm_hello_init(&h, 0);
    CHECK(feed(&h, max, sizeof max, 0, NULL) == LM_HELLO_NEED_MORE);
    lm_hello_free(&h);
    /* A later record too. */
    {
        bytes in = {0};
        rec(&in, 22, 0x0301, MSG(hello12), 20);
        put(&in, over, sizeof over);
        CHECK(expect_alert(in.p, in.n, 0, 22) == 25 + 5);
        free(in.p);
    }
}

/* ---- what is not a ClientHello ---- */

static void test_record_types(void)
{
    static const int firsts[] = {20, 21, 23, 24};
    static const int later[] = {20, 21, 23, 24, 0, 25, 0x41, 0xFF};

    for (size_t i = 0; i < sizeof firsts / sizeof firsts[0]; i++) {
        unsigned char in[] = {(unsigned char)firsts[i], 3, 3, 0, 2, 1, 0};
        lm_hello h;
        lm_hello_info info;
        size_t n;
        const unsigned char *a;
        CHECK(expect_alert(in, sizeof in, 0, 10) == 1);
        lm_hello_init(&h, 0);
        CHECK(feed(&h, in, sizeof in, 0, NULL) == LM_HELLO_ALERT);
        a = lm_hello_output(&h, &n);
        CHECK(a[1] == 3 && a[2] == 1); /* no record read yet: 0x0301 */
        lm_hello_get_info(&h, &info);
        CHECK(info.bad_type == firsts[i] && info.why == LM_HELLO_WHY_RECORD_TYPE);
        lm_hello_free(&h);
    }
    /* Between fragments: a warning alert, CCS, empty application data, ... */
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
        static const unsigned char warning[] = {1, 90}; /* user_canceled */
        bytes in = {0};
        lm_hello h;
        lm_hello_info info;
        size_t n;
        const unsigned char *a;
        rec(&in, 22, 0x0302, MSG(hello12), 30);
        rec(&in, later[i], 0x0302, warning, later[i] == 23 ? 0 : 2);
        rec(&in, 22, 0x0302, MSG(hello12) + 30, MSG_LEN(hello12) - 30);
        CHECK(expect_alert(in.p, in.n, 0, 10) == 35 + 1);
        lm_hello_init(&h, 0);
        CHECK(feed(&h, in.p, in.n, 3, NULL) == LM_HELLO_ALERT);
        a = lm_hello_output(&h, &n);
        CHECK(a[1] == 3 && a[2] == 2); /* the client's first record version */
        lm_hello_get_info(&h, &info);
        CHECK(info.bad_type == later[i] && info.records == 1);
        lm_hello_free(&h);
        free(in.p);
    }
}

static void test_record_versions(void)
{
    static const unsigned majors[] = {0x0203, 0x0403, 0x0000, 0xFF03};

    for (size_t i = 0; i < sizeof majors / sizeof majors[0]; i++) {
        bytes in = {0};
        rec(&in, 22, majors[i], MSG(hello12), MSG_LEN(hello12));
        CHECK(expect_alert(in.p, in.n, 0, 70) == 2);
        free(in.p);
        in.p = NULL;
        in.n = in.cap = 0;
        rec(&in, 22, 0x0301, MSG(hello12), 10);
        rec(&in, 22, majors[i], MSG(hello12) + 10, MSG_LEN(hello12) - 10);
        CHECK(expect_alert(in.p, in.n, 0, 70) == 15 + 2);
        free(in.p);
    }
    /* Any minor version is the library's business; it is kept as sent,
     * and an alert's version never claims more than TLS 1.2's 0x0303. */
    {
        bytes in = {0}, want = {0};
        rec(&in, 22, 0x03FF, MSG(hello12), MSG_LEN(hello12));
        rec(&want, 22, 0x03FF, MSG(hello12), MSG_LEN(hello12));
        expect_done(in.p, in.n, 0, want.p, want.n);
        free(in.p);
        in.p = NULL;
        in.n = in.cap = 0;
        rec(&in, 22, 0x03FF, MSG(hello12), 10);
        rec(&in, 21, 0x03FF, "\2\50", 2);
        {
            lm_hello h;
            const unsigned char *a;
            lm_hello_init(&h, 0);
            CHECK(feed(&h, in.p, in.n, 0, NULL) == LM_HELLO_ALERT);
            a = lm_hello_output(&h, NULL);
            CHECK(a[1] == 3 && a[2] == 3 && a[6] == 10);
            lm_hello_free(&h);
        }
        free(in.p);
        free(want.p);
    }
}

static void test_handshake_type(void)
{
    for (unsigned t = 0; t < 256; t++) {
        unsigned char in[sizeof hello12];
        if (t == 1)
            continue;
        memcpy(in, hello12, sizeof in);
        in[5] = (unsigned char)t;
        CHECK(expect_alert(in, sizeof in, 0, 10) == 6); /* at the type byte */
    }
    /* A handshake type alone, in a 1-byte record: no waiting for more. */
    {
        static const unsigned char in[] = {22, 3, 1, 0, 1, 0x10};
        CHECK(expect_alert(in, sizeof in, 0, 10) == 6);
    }
}

/* ---- the ClientHello's own lengths ---- */

/* Offsets in a message (4-byte header included) of each vector's length. */
typedef struct layout {
    size_t sid, suites, comp, ext;
} layout;

static layout layout_of(const unsigned char *m)
{
    layout l;
    l.sid = 4 + 34;
    l.suites = l.sid + 1 + m[l.sid];
    l.comp = l.suites + 2 + ((size_t)m[l.suites] << 8 | m[l.suites + 1]);
    l.ext = l.comp + 1 + m[l.comp];
    return l;
}

/* Run a message (one record) whose handshake length is fixed to its size. */
static void expect_body(const unsigned char *body, size_t n, int description)
{
    bytes m = message(body, n), in = {0};
    rec(&in, 22, 0x0301, m.p, m.n);
    if (description)
        CHECK(expect_alert(in.p, in.n, 0, description) == in.n);
    else
        expect_done(in.p, in.n, 0, in.p, in.n);
    /* And split over 1-byte records: the same verdict. */
    free(in.p);
    in.p = NULL;
    in.n = in.cap = 0;
    for (size_t i = 0; i < m.n; i++)
        rec(&in, 22, 0x0301, m.p + i, 1);
    if (description)
        CHECK(expect_alert(in.p, in.n, 0, description) == in.n);
    free(in.p);
    free(m.p);
}

static void test_structure(void)
{
    const unsigned char *vs[] = {hello13, hello12};
    size_t ns[] = {sizeof hello13, sizeof hello12};

    for (int v = 0; v < 2; v++) {
        const unsigned char *msg = vs[v] + 5;
        size_t len = ns[v] - 5;
        layout l = layout_of(msg);
        unsigned char *b = malloc(len + 1);
        size_t ext_block = len - l.ext;
        CHECK(b != NULL);

#define MUTATE(stmt, want)                                                                         \
    do {                                                                                           \
        memcpy(b, msg + 4, len - 4);                                                               \
        stmt;                                                                                      \
        expect_body(b, len - 4, want);                                                             \
    } while (0)
        MUTATE((void)0, 0);
        MUTATE(b[l.sid - 4] = 33, 50);
        MUTATE(b[l.sid - 4] = 255, 50);
        MUTATE(b[l.suites - 4 + 1] ^= 1, 50);                   /* odd */
        MUTATE((b[l.suites - 4] = 0, b[l.suites - 3] = 0), 50); /* empty */
        MUTATE((b[l.suites - 4] = 0xFF, b[l.suites - 3] = 0xFE), 50);
        MUTATE(b[l.comp - 4] = 0, 50);
        MUTATE(b[l.comp - 4] = 0xFF, 50);
        MUTATE(b[l.ext - 4 + 1] += 1, 50);
        MUTATE(b[l.ext - 4 + 1] -= 1, 50);
        MUTATE((b[l.ext - 4 + 4] = 0xFF, b[l.ext - 4 + 5] = 0xFF), 50); /* first extension */
#undef MUTATE
        /* A trailing byte after the extensions. */
        memcpy(b, msg + 4, len - 4);
        b[len - 4] = 0;
        expect_body(b, len - 4 + 1, 50);
        /* No extensions block at all: valid syntax (TLS 1.2 allows it). */
        expect_body(msg + 4, l.ext - 4, 0);
        /* One byte where the extensions length would be. */
        memcpy(b, msg + 4, l.ext - 4);
        b[l.ext - 4] = 0;
        expect_body(b, l.ext - 4 + 1, 50);
        /* Truncated at every length, the handshake length fixed to match
         * (tlsfuzzer's "truncate" probes): only cutting the whole extensions
         * block leaves a valid hello. Bodies under 41 bytes are refused at
         * the handshake header. */
        for (size_t cut = 1; cut < len - 4; cut++) {
            size_t n = len - 4 - cut;
            if (n < 41) {
                bytes m = message(msg + 4, n), in = {0};
                rec(&in, 22, 0x0301, m.p, m.n);
                CHECK(expect_alert(in.p, in.n, 0, 50) == 9);
                free(m.p);
                free(in.p);
            } else {
                expect_body(msg + 4, n, cut == ext_block ? 0 : 50);
            }
        }
        free(b);
    }
}

/* Data after the ClientHello inside its last record. */
static void test_data_after(void)
{
    bytes in = {0}, body = {0};
    lm_hello h;
    lm_hello_info info;

    put(&body, MSG(hello12), MSG_LEN(hello12));
    put(&body, "\1\0", 2);
    rec(&in, 22, 0x0301, body.p, body.n);
    /* Refused when the hello completes, without reading the extra bytes. */
    CHECK(expect_alert(in.p, in.n, 0, 10) == sizeof hello12);
    lm_hello_init(&h, 0);
    CHECK(feed(&h, in.p, in.n, 1, NULL) == LM_HELLO_ALERT);
    lm_hello_get_info(&h, &info);
    CHECK(info.why == LM_HELLO_WHY_DATA_AFTER);
    lm_hello_free(&h);
    free(in.p);
    free(body.p);
}

/* ---- end of stream ---- */

static void test_eof(void)
{
    lm_hello h;
    size_t cuts[] = {1, 3, 5, 6, 9, 100, sizeof hello12 - 1};

    lm_hello_init(&h, 0);
    CHECK(lm_hello_eof(&h) == LM_HELLO_CLOSED);
    CHECK(lm_hello_output(&h, NULL) == NULL);
    CHECK(lm_hello_push(&h, "x", 1, NULL) == LM_HELLO_CLOSED);
    lm_hello_free(&h);

    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        lm_hello_info info;
        lm_hello_init(&h, 0);
        CHECK(feed(&h, hello12, cuts[i], 0, NULL) == LM_HELLO_NEED_MORE);
        CHECK(lm_hello_eof(&h) == LM_HELLO_ALERT);
        CHECK(lm_hello_output(&h, NULL)[6] == 50);
        lm_hello_get_info(&h, &info);
        CHECK(info.why == LM_HELLO_WHY_EOF);
        CHECK(lm_hello_eof(&h) == LM_HELLO_ALERT); /* final */
        lm_hello_free(&h);
    }
    /* Between two records. */
    {
        bytes in = {0};
        rec(&in, 22, 0x0301, MSG(hello12), 40);
        lm_hello_init(&h, 0);
        CHECK(feed(&h, in.p, in.n, 0, NULL) == LM_HELLO_NEED_MORE);
        CHECK(lm_hello_eof(&h) == LM_HELLO_ALERT);
        lm_hello_free(&h);
        free(in.p);
    }
    /* Part of a UTF-8 character: plain text that ended. */
    lm_hello_init(&h, 0);
    CHECK(lm_hello_push(&h, "\xC3", 1, NULL) == LM_HELLO_NEED_MORE);
    CHECK(lm_hello_eof(&h) == LM_HELLO_PLAIN);
    CHECK(output_is(&h, "\xC3", 1));
    lm_hello_free(&h);
    /* After DONE, EOF changes nothing. */
    lm_hello_init(&h, 0);
    CHECK(feed(&h, hello12, sizeof hello12, 0, NULL) == LM_HELLO_DONE);
    CHECK(lm_hello_eof(&h) == LM_HELLO_DONE && output_is(&h, hello12, sizeof hello12));
    lm_hello_free(&h);
}

/* --allow-plain: a silent peer that has not begun a TLS record is plain. */
static void test_silence(void)
{
    lm_hello h;
    size_t n;

    lm_hello_init(&h, 0);
    CHECK(lm_hello_silence(&h) == LM_HELLO_PLAIN);
    CHECK(lm_hello_output(&h, &n) != NULL && n == 0);
    lm_hello_free(&h);

    lm_hello_init(&h, 0);
    CHECK(lm_hello_push(&h, "\xE2\x82", 2, NULL) == LM_HELLO_NEED_MORE);
    CHECK(lm_hello_silence(&h) == LM_HELLO_PLAIN && output_is(&h, "\xE2\x82", 2));
    lm_hello_free(&h);

    lm_hello_init(&h, 0);
    CHECK(lm_hello_push(&h, hello12, 1, NULL) == LM_HELLO_NEED_MORE);
    CHECK(lm_hello_silence(&h) == LM_HELLO_NEED_MORE); /* TLS has begun: wait */
    CHECK(feed(&h, hello12 + 1, sizeof hello12 - 1, 0, NULL) == LM_HELLO_DONE);
    CHECK(lm_hello_silence(&h) == LM_HELLO_DONE);
    lm_hello_free(&h);
}

/* ---- the first bytes: TLS, SSLv2 or plain ---- */

static void expect_plain(const char *in, size_t n, size_t decided_after)
{
    lm_hello h;
    size_t used;

    lm_hello_init(&h, 0);
    CHECK(feed(&h, (const unsigned char *)in, n, n, &used) == LM_HELLO_PLAIN);
    CHECK(used == decided_after);
    CHECK(output_is(&h, in, decided_after));
    lm_hello_free(&h);
    lm_hello_init(&h, 0);
    CHECK(feed(&h, (const unsigned char *)in, n, 1, &used) == LM_HELLO_PLAIN);
    CHECK(used == decided_after && output_is(&h, in, decided_after));
    lm_hello_free(&h);
}

static void test_classify(void)
{
    /* Text, decided by the first byte, which the caller gets back. */
    expect_plain("Ol\xC3\xA1 servidor!\n", 15, 1);
    expect_plain("GET / HTTP/1.0\r\n\r\n", 18, 1);
    expect_plain("\r\n", 2, 1);
    expect_plain("\n", 1, 1);
    expect_plain("\thi", 3, 1);
    expect_plain("\x01\x02\x03", 3, 1); /* not text, not TLS either: plain */
    expect_plain("\x7F", 1, 1);
    /* UTF-8 lead bytes: three bytes decide. */
    expect_plain("\xC3\xA1gua\n", 6, 3);      /* "água" */
    expect_plain("\xE2\x82\xAC 5\n", 6, 3);   /* "€ 5" */
    expect_plain("\xF0\x9F\x99\x82\n", 5, 3); /* an emoji */
    expect_plain("\xC3\xA1\n", 3, 3);
    /* SSLv2: bytes that never start UTF-8 text, at once. */
    for (unsigned b = 0x80; b <= 0xFF; b++) {
        unsigned char in[3] = {(unsigned char)b, 0x2e, 0x01};
        if (b >= 0xC2 && b <= 0xF4)
            CHECK(expect_alert(in, 3, 1, 70) == 3); /* UTF-8 lead: at the third byte */
        else
            CHECK(expect_alert(in, 3, 1, 70) == 1);
    }
    /* A real SSLv2 CLIENT-HELLO offering TLS 1.2. */
    {
        static const unsigned char v2[] = {0x80, 0x2e, 0x01, 0x03, 0x03, 0x00, 0x15, 0x00,
                                           0x00, 0x00, 0x10, 0x00, 0xc0, 0x2b, 0x00, 0xc0};
        lm_hello h;
        lm_hello_info info;
        const unsigned char *a;
        CHECK(expect_alert(v2, sizeof v2, 0, 70) == 1);
        lm_hello_init(&h, 0);
        CHECK(feed(&h, v2, sizeof v2, 0, NULL) == LM_HELLO_ALERT);
        a = lm_hello_output(&h, NULL);
        CHECK(a[0] == 21 && a[1] == 3 && a[2] == 1); /* a TLS record the peer can read */
        lm_hello_get_info(&h, &info);
        CHECK(info.why == LM_HELLO_WHY_SSLV2);
        lm_hello_free(&h);
    }
    /* tlsfuzzer's "--no-ssl2" probes start like these. */
    CHECK(expect_alert("\x80\x00\x81\x00", 4, 0, 70) == 1);
    CHECK(expect_alert("\x80\x01\x00", 3, 0, 70) == 1);
}

static void test_names(void)
{
    CHECK(strcmp(lm_hello_alert_name(50), "decode_error") == 0);
    CHECK(strcmp(lm_hello_alert_name(10), "unexpected_message") == 0);
    CHECK(strcmp(lm_hello_alert_name(70), "protocol_version") == 0);
    CHECK(strcmp(lm_hello_alert_name(47), "illegal_parameter") == 0);
    CHECK(strcmp(lm_hello_alert_name(22), "record_overflow") == 0);
    CHECK(strcmp(lm_hello_alert_name(80), "internal_error") == 0);
    CHECK(strcmp(lm_hello_alert_name(0), "unknown") == 0);
    for (int w = LM_HELLO_WHY_NONE; w <= LM_HELLO_WHY_NO_MEMORY; w++)
        CHECK(strlen(lm_hello_why_text((lm_hello_why)w)) > 5);
}

int main(void)
{
    test_whole();
    test_every_split();
    test_record_sizes();
    test_empty_records();
    test_want();
    test_tail();
    test_limit();
    test_record_overflow();
    test_record_types();
    test_record_versions();
    test_handshake_type();
    test_structure();
    test_data_after();
    test_eof();
    test_silence();
    test_classify();
    test_names();
    return 0;
}
