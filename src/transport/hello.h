/* lanmsg ClientHello front end: the first bytes of a connection on a TLS
 * port, read before the TLS library sees any of them.
 *
 * It tells TLS from plain text, then reads the client's first flight until
 * the whole ClientHello handshake message is there, whatever records it came
 * in (1-byte records, empty records between fragments, a message that ends
 * mid-record), and hands back ONE handshake record holding the whole
 * message: the form every supported mbedTLS (2.28, 3.6) takes. Re-chunking
 * records changes nothing TLS authenticates: the transcript covers handshake
 * messages, not records. Input the library would drop without a word (or
 * wait on until a timeout) gets, at once, the fatal alert the RFCs name.
 * hello.c's opening comment has the table: case, alert, evidence.
 *
 * No I/O and no TLS library types: the caller pushes the bytes it read, in
 * any chunks, and acts on the status. Memory: the struct (embed it or
 * allocate it) and ONE allocation, of the ClientHello's own size plus a
 * small tail, made when the message's length is known and refused (with an
 * alert) when that length passes the limit. Nothing is allocated per byte.
 *
 * Not thread-safe; one per connection, owned by the loop that reads it. */
#ifndef LANMSG_HELLO_H
#define LANMSG_HELLO_H

#include <stddef.h>

/* The largest record body mbedTLS takes in: MBEDTLS_SSL_IN_CONTENT_LEN's
 * default, in 2.28 and 3.6 alike. A whole ClientHello (its 4-byte handshake
 * header included) must fit in it. */
#define LM_HELLO_LIMIT_DEFAULT 16384u
/* At most this many bytes that follow the hello's last record in the same
 * push are kept after the output record (e.g. TLS 1.3's compatibility
 * change_cipher_spec); more stay with the caller (see lm_hello_push). */
#define LM_HELLO_TAIL 512u
/* Empty handshake records tolerated while the hello is read (senders MUST
 * NOT send any; OpenSSL accepts 32 in a row). */
#define LM_HELLO_MAX_EMPTY 32u

typedef enum lm_hello_status {
    LM_HELLO_NEED_MORE, /* read more: at most lm_hello_want() bytes to never over-read */
    LM_HELLO_DONE,      /* output: one handshake record + tail, for the TLS library */
    LM_HELLO_ALERT,     /* output: the 7-byte fatal alert record to send, then close */
    LM_HELLO_PLAIN,     /* not TLS: output = the bytes read so far (0 to 3), the plain peer's */
    LM_HELLO_CLOSED,    /* the peer closed before sending a byte: nothing to answer */
} lm_hello_status;

/* The alert descriptions this module sends (RFC 8446 section 6). */
#define LM_HELLO_UNEXPECTED_MESSAGE 10
#define LM_HELLO_RECORD_OVERFLOW    22
#define LM_HELLO_ILLEGAL_PARAMETER  47
#define LM_HELLO_DECODE_ERROR       50
#define LM_HELLO_PROTOCOL_VERSION   70
#define LM_HELLO_INTERNAL_ERROR     80

/* Why an alert was chosen: for the log (lm_hello_why_text gives English;
 * a program's catalog may map the codes instead). */
typedef enum lm_hello_why {
    LM_HELLO_WHY_NONE,
    LM_HELLO_WHY_SSLV2,            /* SSLv2-format record or hello */
    LM_HELLO_WHY_RECORD_TYPE,      /* a non-handshake record before the hello was complete */
    LM_HELLO_WHY_RECORD_VERSION,   /* record version major is not 3 */
    LM_HELLO_WHY_RECORD_OVERFLOW,  /* record body longer than 2^14 */
    LM_HELLO_WHY_EMPTY_RECORDS,    /* more than LM_HELLO_MAX_EMPTY empty records */
    LM_HELLO_WHY_NOT_CLIENT_HELLO, /* first handshake message of another type */
    LM_HELLO_WHY_TOO_BIG,          /* hello larger than the limit */
    LM_HELLO_WHY_FIXED,            /* too short for version and random */
    LM_HELLO_WHY_SESSION_ID,       /* session_id longer than 32 or past the end */
    LM_HELLO_WHY_CIPHER_SUITES,    /* cipher_suites empty, odd or past the end */
    LM_HELLO_WHY_COMPRESSION,      /* compression_methods empty or past the end */
    LM_HELLO_WHY_EXTENSIONS,       /* extensions block length disagrees with the message */
    LM_HELLO_WHY_EXTENSION,        /* one extension runs past the extensions block */
    LM_HELLO_WHY_DATA_AFTER,       /* data after the hello inside its last record */
    LM_HELLO_WHY_EOF,              /* the peer closed mid-hello */
    LM_HELLO_WHY_NO_MEMORY,
} lm_hello_why;

/* What a log line may want to show. */
typedef struct lm_hello_info {
    size_t bytes_in;          /* bytes consumed so far */
    unsigned records;         /* TLS record headers read, empty ones included */
    unsigned empty_records;   /* of which empty */
    unsigned record_version;  /* of the first record, e.g. 0x0301; 0 before one */
    unsigned last_record_len; /* length field of the last record header read */
    size_t hello_len; /* whole ClientHello message (4-byte header included); 0 until known */
    int bad_type;     /* content type of the unexpected record or first byte; -1 if none */
    int alert;        /* alert description sent; -1 if none */
    lm_hello_why why;
} lm_hello_info;

/* The fields are private: read them through the functions below. */
typedef struct lm_hello {
    int phase;
    size_t limit;
    unsigned char first[3], hdr[5], msg_hdr[4], alert[7];
    size_t nfirst, nhdr, nmsg, rec_left, msg_total;
    unsigned char *buf; /* [record header][ClientHello][tail], once msg_total is known */
    size_t out_len;
    lm_hello_info info;
} lm_hello;

/* limit: the largest whole ClientHello (4-byte header included) to accept;
 * 0 means LM_HELLO_LIMIT_DEFAULT, and more than 16384 (2^14, the largest
 * record, which the output is) means 16384. Allocates nothing. */
void lm_hello_init(lm_hello *h, size_t limit);
/* Releases the buffer; the output is gone after this. Safe to call twice. */
void lm_hello_free(lm_hello *h);

/* Feed bytes the caller read. *used (may be NULL) gets how many were
 * consumed: all of them while the result is NEED_MORE. With DONE or PLAIN,
 * bytes past *used were not consumed and belong, in order, after the
 * output: none when every push is at most lm_hello_want() bytes. Once the
 * status is not NEED_MORE it is final: later pushes consume nothing and
 * return it again. */
lm_hello_status lm_hello_push(lm_hello *h, const void *data, size_t len, size_t *used);
/* The peer half-closed (read returned 0). Mid-hello this is an alert; before
 * any byte, CLOSED; after part of what may be a UTF-8 character, PLAIN. */
lm_hello_status lm_hello_eof(lm_hello *h);
/* The peer has been silent for a while (--allow-plain waits a second): a
 * peer that has not started a TLS record yet is a plain client waiting for
 * the server, so PLAIN, with what it sent so far (maybe nothing). Once a TLS
 * record has begun, nothing changes: NEED_MORE until the caller's handshake
 * timeout. Final statuses stay as they are. */
lm_hello_status lm_hello_silence(lm_hello *h);
/* The current status. */
lm_hello_status lm_hello_state(const lm_hello *h);
/* How many bytes the next read may take without reading past the end of the
 * hello's last record (0 once the status is final). */
size_t lm_hello_want(const lm_hello *h);

/* DONE: the record and tail; ALERT: the 7-byte alert record; PLAIN: the
 * bytes read (none after a silence at the start). NULL and 0 otherwise.
 * Valid until lm_hello_free. */
const unsigned char *lm_hello_output(const lm_hello *h, size_t *len);

void lm_hello_get_info(const lm_hello *h, lm_hello_info *out);
/* "ClientHello split over records ends early (peer closed)", ... */
const char *lm_hello_why_text(lm_hello_why why);
/* "decode_error", ... for the descriptions above; "unknown" for others. */
const char *lm_hello_alert_name(int description);

#endif
