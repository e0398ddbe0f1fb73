/* lanmsg ClientHello front end (see hello.h for what and why).
 *
 * Which alert, for what, and on what evidence. "OpenSSL" is openssl s_server
 * 3.0.19 fed crafted bytes over loopback (tests/tls/test_hello_records.py
 * runs such cases against a server); a tlsfuzzer script name is the one
 * whose expectation we follow. Every alert goes out at once: no case waits
 * for more input or for a timeout.
 *
 *  CASE -> ALERT
 *      EVIDENCE
 *
 *  record body longer than 2^14 (no keys yet, so no expansion) -> record_overflow (22)
 *      RFC 8446 5.1 (MUST), RFC 5246 6.2.1; OpenSSL 22. We decide at the
 *      header; OpenSSL reads the body first when the length is below
 *      2^14 + 2048, for nothing: a plaintext record can never be that long.
 *  whole ClientHello larger than the limit (the library's input buffer,
 *  16384 by default) -> illegal_parameter (47)
 *      an implementation limit, not a syntax error: OpenSSL answers its own
 *      limit (131396) with 47 (EXCESSIVE_MESSAGE_SIZE) as soon as the
 *      handshake header is in (tested: 140000 and 2^24-1), and so do we.
 *      tlsfuzzer test-large-hello / test-client-hello-max-size expect
 *      hellos up to 64 KiB to succeed: mbedTLS cannot take them.
 *  handshake length disagrees with the hello's vectors: body shorter than
 *  41 bytes, session_id over 32, cipher_suites empty or odd, compression
 *  empty, extensions length not exactly the rest, an extension past the
 *  block, a trailing byte, any vector past the end -> decode_error (50)
 *      RFC 8446 6.2 ("a field out of its range or the length of a message
 *      incorrect"); tlsfuzzer test-invalid-client-hello (length fuzz of each
 *      vector) and test-truncating-of-client-hello; OpenSSL 50 for each.
 *  the peer half-closes mid-hello (EOF) -> decode_error (50)
 *      OpenSSL 50 after 1 byte, mid header, mid record and mid message.
 *  first handshake message is not a ClientHello -> unexpected_message (10)
 *      RFC 8446 6.2; tlsfuzzer test-invalid-client-hello "type fuzz";
 *      OpenSSL 10. Decided at the type byte, without waiting for the rest.
 *  a non-handshake record before the hello is complete: an alert (warning
 *  or fatal, close_notify too), change_cipher_spec, application data
 *  (empty too), heartbeat, an unknown type; also as the very first byte
 *  (0x14, 0x15, 0x17, 0x18) -> unexpected_message (10)
 *      RFC 8446 5.1 forbids interleaving. RFC 5246 6.2.1 allows it in 1.2,
 *      but before a ClientHello no alert, CCS or data means anything, and
 *      the version is not chosen until the hello is read. OpenSSL answers 10
 *      to every one of them, warning alerts (user_canceled,
 *      no_renegotiation) included; tlsfuzzer test-tls13-zero-length-data
 *      expects 10 for empty application data between hello fragments.
 *  more than 32 empty handshake records -> unexpected_message (10)
 *      senders MUST NOT send them (RFC 5246 6.2.1, RFC 8446 5.1), yet
 *      OpenSSL takes 32 in a row and answers the 33rd with 10. We count all
 *      of them, not runs, so the work per hello stays bounded.
 *  data after the ClientHello inside its last record -> unexpected_message (10)
 *      nothing may follow a hello in the client's first flight; OpenSSL 10
 *      when the hello offers TLS 1.3.
 *  record version major other than 3 -> protocol_version (70)
 *      OpenSSL 70 for such a later record; for a first one it closes without
 *      a word, which we must not do.
 *  SSLv2-format record or hello -> protocol_version (70)
 *      a record layer we recognise and do not speak. OpenSSL answers a
 *      version 0.2 SSLv2 hello with 70 (a 3.x one it still parses, then
 *      fails with 40); RFC 8446 D.5, RFC 6176; tlsfuzzer
 *      test-sslv2hello-protocol --no-ssl2 takes any alert.
 *  out of memory -> internal_error (80)
 *
 * The alert record's version is the client's first record's (minor capped
 * at 3), which that client surely reads; before a whole record header,
 * 0x0301, as OpenSSL sends there. Before a version is negotiated TLS clients
 * take either (RFC 5246 E.1; RFC 8446 5.1: the field is ignored).
 *
 * The first bytes decide what the peer speaks (also --allow-plain's test):
 *  0x16                   a TLS handshake record: read the hello.
 *  0x14 0x15 0x17 0x18    the other TLS content types: unexpected_message.
 *  0x80-0xC1, 0xF5-0xFF   cannot start UTF-8 text (RFC 3629), and every real
 *                         SSLv2 hello starts 0x80 or 0x81: SSLv2, at once.
 *  0xC2-0xF4              UTF-8 lead bytes, or an SSLv2 record of 16.9 KB or
 *                         more: THREE bytes decide. An SSLv2 CLIENT-HELLO
 *                         has msg_type 1 in its third byte; U+0001 never
 *                         appears in text. (Latin-1 text that starts
 *                         with a byte of the line above, such as an
 *                         inverted question mark, is taken for SSLv2.)
 *  anything else          text, or at least not TLS: PLAIN (the caller
 *                         serves it with --allow-plain, or sends its
 *                         plain-text notice). */
#include "hello.h"

#include <stdlib.h>
#include <string.h>

#define REC_HDR           5
#define HS_HDR            4
#define MAX_RECORD        16384u /* 2^14: TLSPlaintext.length's limit */
#define MIN_HELLO_BODY    41u    /* version, random, session_id<0>, 1 suite, 1 method */
#define CT_CCS            20
#define CT_ALERT          21
#define CT_HANDSHAKE      22
#define CT_APPDATA        23
#define CT_HEARTBEAT      24
#define HS_CLIENT_HELLO   1
#define SSL2_CLIENT_HELLO 1

enum phase {
    PH_START,  /* nothing read yet */
    PH_FIRST,  /* a UTF-8 lead byte read: up to 3 bytes decide */
    PH_HEADER, /* reading a record header (hdr, nhdr) */
    PH_BODY,   /* reading a handshake record's body (rec_left bytes to go) */
    PH_DONE,
    PH_ALERT,
    PH_PLAIN,
    PH_CLOSED,
};

void lm_hello_init(lm_hello *h, size_t limit)
{
    memset(h, 0, sizeof *h);
    if (limit == 0)
        limit = LM_HELLO_LIMIT_DEFAULT;
    if (limit > MAX_RECORD) /* the output is one record */
        limit = MAX_RECORD;
    h->limit = limit;
    h->phase = PH_START;
    h->info.bad_type = -1;
    h->info.alert = -1;
}

void lm_hello_free(lm_hello *h)
{
    free(h->buf);
    h->buf = NULL;
    h->out_len = 0;
}

/* ------------------------------------------------------------------------ */
/* Outcomes                                                                  */
/* ------------------------------------------------------------------------ */

static void fail(lm_hello *h, int description, lm_hello_why why)
{
    unsigned v = h->info.record_version;

    if (v >> 8 != 3)
        v = 0x0301;
    else if ((v & 0xFF) > 3)
        v = 0x0303;
    h->alert[0] = CT_ALERT;
    h->alert[1] = (unsigned char)(v >> 8);
    h->alert[2] = (unsigned char)v;
    h->alert[3] = 0;
    h->alert[4] = 2;
    h->alert[5] = 2; /* fatal */
    h->alert[6] = (unsigned char)description;
    h->info.alert = description;
    h->info.why = why;
    h->phase = PH_ALERT;
    /* Nothing of the hello is needed any more. */
    free(h->buf);
    h->buf = NULL;
    h->out_len = 0;
}

static void plain(lm_hello *h)
{
    h->phase = PH_PLAIN;
}

/* ------------------------------------------------------------------------ */
/* The ClientHello's own structure (RFC 5246 7.4.1.2, RFC 8446 4.1.2)        */
/* ------------------------------------------------------------------------ */

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Check that the body's vectors add up to exactly its length. Only
 * lengths: what the values mean is the TLS library's business. */
static lm_hello_why check_body(const unsigned char *p, size_t n)
{
    size_t at = 2 + 32, len; /* legacy_version, random */

    if (n < at + 1)
        return LM_HELLO_WHY_FIXED;
    len = p[at++]; /* session_id<0..32> */
    if (len > 32 || n - at < len)
        return LM_HELLO_WHY_SESSION_ID;
    at += len;
    if (n - at < 2)
        return LM_HELLO_WHY_CIPHER_SUITES;
    len = be16(p + at); /* cipher_suites<2..2^16-2> */
    at += 2;
    if (len < 2 || len % 2 != 0 || n - at < len)
        return LM_HELLO_WHY_CIPHER_SUITES;
    at += len;
    if (n - at < 1)
        return LM_HELLO_WHY_COMPRESSION;
    len = p[at++]; /* compression_methods<1..2^8-1> */
    if (len < 1 || n - at < len)
        return LM_HELLO_WHY_COMPRESSION;
    at += len;
    if (at == n)
        return LM_HELLO_WHY_NONE; /* no extensions block: allowed up to TLS 1.2 */
    if (n - at < 2)
        return LM_HELLO_WHY_EXTENSIONS; /* a trailing byte */
    len = be16(p + at);                 /* extensions<0..2^16-1>: exactly the rest */
    at += 2;
    if (len != n - at)
        return LM_HELLO_WHY_EXTENSIONS;
    while (at < n) {
        if (n - at < 4)
            return LM_HELLO_WHY_EXTENSION;
        len = be16(p + at + 2);
        at += 4;
        if (n - at < len)
            return LM_HELLO_WHY_EXTENSION;
        at += len;
    }
    return LM_HELLO_WHY_NONE;
}

/* ------------------------------------------------------------------------ */
/* The byte stream                                                           */
/* ------------------------------------------------------------------------ */

/* The first byte of the connection. */
static void classify(lm_hello *h, unsigned char b)
{
    if (b == CT_HANDSHAKE) {
        h->hdr[0] = b;
        h->nhdr = 1;
        h->phase = PH_HEADER;
    } else if (b == CT_CCS || b == CT_ALERT || b == CT_APPDATA || b == CT_HEARTBEAT) {
        h->info.bad_type = b;
        fail(h, LM_HELLO_UNEXPECTED_MESSAGE, LM_HELLO_WHY_RECORD_TYPE);
    } else if (b >= 0xC2 && b <= 0xF4) {
        h->first[h->nfirst++] = b;
        h->phase = PH_FIRST;
    } else if (b >= 0x80) {
        h->first[h->nfirst++] = b;
        fail(h, LM_HELLO_PROTOCOL_VERSION, LM_HELLO_WHY_SSLV2);
    } else {
        h->first[h->nfirst++] = b;
        plain(h);
    }
}

/* One more byte of a record header; judged as soon as each field is in. */
static void header_byte(lm_hello *h, unsigned char b)
{
    unsigned len;

    h->hdr[h->nhdr++] = b;
    if (h->nhdr == 1 && b != CT_HANDSHAKE) {
        h->info.bad_type = b;
        fail(h, LM_HELLO_UNEXPECTED_MESSAGE, LM_HELLO_WHY_RECORD_TYPE);
        return;
    }
    if (h->nhdr == 2 && b != 3) {
        fail(h, LM_HELLO_PROTOCOL_VERSION, LM_HELLO_WHY_RECORD_VERSION);
        return;
    }
    if (h->nhdr < REC_HDR)
        return;
    len = be16(h->hdr + 3);
    h->info.records++;
    h->info.last_record_len = len;
    if (h->info.record_version == 0)
        h->info.record_version = be16(h->hdr + 1);
    h->nhdr = 0;
    if (len > MAX_RECORD) {
        fail(h, LM_HELLO_RECORD_OVERFLOW, LM_HELLO_WHY_RECORD_OVERFLOW);
    } else if (len == 0) {
        if (++h->info.empty_records > LM_HELLO_MAX_EMPTY)
            fail(h, LM_HELLO_UNEXPECTED_MESSAGE, LM_HELLO_WHY_EMPTY_RECORDS);
    } else {
        h->rec_left = len;
        h->phase = PH_BODY;
    }
}

/* One byte of the handshake message's 4-byte header. Once the length is in,
 * the one buffer is allocated: record header, message, tail room. */
static void msg_header_byte(lm_hello *h, unsigned char b)
{
    size_t body;

    h->msg_hdr[h->nmsg++] = b;
    h->rec_left--;
    if (h->nmsg == 1 && b != HS_CLIENT_HELLO) {
        fail(h, LM_HELLO_UNEXPECTED_MESSAGE, LM_HELLO_WHY_NOT_CLIENT_HELLO);
        return;
    }
    if (h->nmsg < HS_HDR)
        return;
    body = (size_t)h->msg_hdr[1] << 16 | (size_t)h->msg_hdr[2] << 8 | h->msg_hdr[3];
    h->info.hello_len = HS_HDR + body;
    if (HS_HDR + body > h->limit) {
        fail(h, LM_HELLO_ILLEGAL_PARAMETER, LM_HELLO_WHY_TOO_BIG);
        return;
    }
    if (body < MIN_HELLO_BODY) {
        fail(h, LM_HELLO_DECODE_ERROR, LM_HELLO_WHY_FIXED);
        return;
    }
    h->msg_total = HS_HDR + body;
    h->buf = malloc(REC_HDR + h->msg_total + LM_HELLO_TAIL);
    if (!h->buf) {
        fail(h, LM_HELLO_INTERNAL_ERROR, LM_HELLO_WHY_NO_MEMORY);
        return;
    }
    memcpy(h->buf + REC_HDR, h->msg_hdr, HS_HDR);
}

/* The whole message is in: check it, then write the one record's header. */
static void finish(lm_hello *h)
{
    lm_hello_why why = check_body(h->buf + REC_HDR + HS_HDR, h->msg_total - HS_HDR);

    if (why != LM_HELLO_WHY_NONE) {
        fail(h, LM_HELLO_DECODE_ERROR, why);
        return;
    }
    if (h->rec_left > 0) {
        fail(h, LM_HELLO_UNEXPECTED_MESSAGE, LM_HELLO_WHY_DATA_AFTER);
        return;
    }
    h->buf[0] = CT_HANDSHAKE;
    h->buf[1] = (unsigned char)(h->info.record_version >> 8);
    h->buf[2] = (unsigned char)h->info.record_version;
    h->buf[3] = (unsigned char)(h->msg_total >> 8);
    h->buf[4] = (unsigned char)h->msg_total;
    h->out_len = REC_HDR + h->msg_total;
    h->phase = PH_DONE;
}

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

lm_hello_status lm_hello_push(lm_hello *h, const void *data, size_t len, size_t *used)
{
    const unsigned char *p = data;
    size_t i = 0;

    if (h->phase >= PH_DONE) { /* final: nothing more is taken */
        if (used)
            *used = 0;
        return lm_hello_state(h);
    }
    while (i < len && h->phase < PH_DONE) {
        switch (h->phase) {
        case PH_START:
            classify(h, p[i++]);
            break;
        case PH_FIRST:
            h->first[h->nfirst++] = p[i++];
            if (h->nfirst == 3) {
                if (h->first[2] == SSL2_CLIENT_HELLO)
                    fail(h, LM_HELLO_PROTOCOL_VERSION, LM_HELLO_WHY_SSLV2);
                else
                    plain(h);
            }
            break;
        case PH_HEADER:
            header_byte(h, p[i++]);
            break;
        case PH_BODY:
            if (h->nmsg < HS_HDR) {
                msg_header_byte(h, p[i++]);
            } else {
                size_t n = min3(len - i, h->rec_left, h->msg_total - h->nmsg);
                memcpy(h->buf + REC_HDR + h->nmsg, p + i, n);
                h->nmsg += n;
                h->rec_left -= n;
                i += n;
            }
            if (h->phase != PH_BODY)
                break;
            if (h->msg_total && h->nmsg == h->msg_total)
                finish(h);
            else if (h->rec_left == 0)
                h->phase = PH_HEADER;
            break;
        }
    }
    /* What came after the hello's last record, in this same push, follows
     * the record unchanged, as far as the tail room goes. */
    if (h->phase == PH_DONE && i < len) {
        size_t n = len - i < LM_HELLO_TAIL ? len - i : LM_HELLO_TAIL;
        memcpy(h->buf + h->out_len, p + i, n);
        h->out_len += n;
        i += n;
    }
    h->info.bytes_in += i;
    if (used)
        *used = i;
    return lm_hello_state(h);
}

lm_hello_status lm_hello_eof(lm_hello *h)
{
    switch (h->phase) {
    case PH_START:
        h->phase = PH_CLOSED;
        break;
    case PH_FIRST:
        plain(h); /* part of a UTF-8 character: the plain side sees the EOF next */
        break;
    case PH_HEADER:
    case PH_BODY:
        fail(h, LM_HELLO_DECODE_ERROR, LM_HELLO_WHY_EOF);
        break;
    default:
        break;
    }
    return lm_hello_state(h);
}

lm_hello_status lm_hello_silence(lm_hello *h)
{
    if (h->phase == PH_START || h->phase == PH_FIRST)
        plain(h);
    return lm_hello_state(h);
}

lm_hello_status lm_hello_state(const lm_hello *h)
{
    switch (h->phase) {
    case PH_DONE:
        return LM_HELLO_DONE;
    case PH_ALERT:
        return LM_HELLO_ALERT;
    case PH_PLAIN:
        return LM_HELLO_PLAIN;
    case PH_CLOSED:
        return LM_HELLO_CLOSED;
    default:
        return LM_HELLO_NEED_MORE;
    }
}

size_t lm_hello_want(const lm_hello *h)
{
    switch (h->phase) {
    case PH_START:
        return 1;
    case PH_FIRST:
        return 3 - h->nfirst;
    case PH_HEADER:
        return REC_HDR - h->nhdr;
    case PH_BODY:
        if (h->nmsg < HS_HDR)
            return h->rec_left < HS_HDR - h->nmsg ? h->rec_left : HS_HDR - h->nmsg;
        return h->rec_left < h->msg_total - h->nmsg ? h->rec_left : h->msg_total - h->nmsg;
    default:
        return 0;
    }
}

const unsigned char *lm_hello_output(const lm_hello *h, size_t *len)
{
    const unsigned char *out = NULL;
    size_t n = 0;

    switch (h->phase) {
    case PH_DONE:
        out = h->buf;
        n = h->out_len;
        break;
    case PH_ALERT:
        out = h->alert;
        n = sizeof h->alert;
        break;
    case PH_PLAIN:
        out = h->first;
        n = h->nfirst;
        break;
    default:
        break;
    }
    if (len)
        *len = n;
    return out;
}

void lm_hello_get_info(const lm_hello *h, lm_hello_info *out)
{
    *out = h->info;
}

const char *lm_hello_why_text(lm_hello_why why)
{
    switch (why) {
    case LM_HELLO_WHY_NONE:
        return "no error";
    case LM_HELLO_WHY_SSLV2:
        return "SSLv2-format ClientHello (not supported)";
    case LM_HELLO_WHY_RECORD_TYPE:
        return "a non-handshake record came before the ClientHello was complete";
    case LM_HELLO_WHY_RECORD_VERSION:
        return "record version is not TLS (major version not 3)";
    case LM_HELLO_WHY_RECORD_OVERFLOW:
        return "record longer than 16384 bytes before encryption";
    case LM_HELLO_WHY_EMPTY_RECORDS:
        return "too many empty records in the ClientHello";
    case LM_HELLO_WHY_NOT_CLIENT_HELLO:
        return "first handshake message is not a ClientHello";
    case LM_HELLO_WHY_TOO_BIG:
        return "ClientHello larger than the TLS library's input buffer";
    case LM_HELLO_WHY_FIXED:
        return "ClientHello too short for its version and random";
    case LM_HELLO_WHY_SESSION_ID:
        return "ClientHello session_id longer than 32 bytes or past its end";
    case LM_HELLO_WHY_CIPHER_SUITES:
        return "ClientHello cipher_suites empty, odd or past its end";
    case LM_HELLO_WHY_COMPRESSION:
        return "ClientHello compression_methods empty or past its end";
    case LM_HELLO_WHY_EXTENSIONS:
        return "ClientHello extensions length disagrees with the message length";
    case LM_HELLO_WHY_EXTENSION:
        return "a ClientHello extension runs past the extensions block";
    case LM_HELLO_WHY_DATA_AFTER:
        return "data after the ClientHello in its last record";
    case LM_HELLO_WHY_EOF:
        return "ClientHello ends early (the peer closed its side)";
    case LM_HELLO_WHY_NO_MEMORY:
        return "out of memory for the ClientHello";
    }
    return "unknown";
}

const char *lm_hello_alert_name(int description)
{
    switch (description) {
    case LM_HELLO_UNEXPECTED_MESSAGE:
        return "unexpected_message";
    case LM_HELLO_RECORD_OVERFLOW:
        return "record_overflow";
    case LM_HELLO_ILLEGAL_PARAMETER:
        return "illegal_parameter";
    case LM_HELLO_DECODE_ERROR:
        return "decode_error";
    case LM_HELLO_PROTOCOL_VERSION:
        return "protocol_version";
    case LM_HELLO_INTERNAL_ERROR:
        return "internal_error";
    default:
        return "unknown";
    }
}
