/* lanmsg framing: bytes to messages, per connection.
 *
 *  line  newline-terminated UTF-8; CRLF accepted; messages longer than
 *        max_len are reported as LM_FRAME_OVERLONG and discarded up to the
 *        next newline, and the connection carries on.
 *  raw   one read is one message: the tutorial's behaviour (recv(1024)).
 *  auto  the server's default. A peer that has never sent a newline is
 *        treated as raw: a chunk without a newline, once nothing more is
 *        immediately readable, is one whole message. From the first newline
 *        on, the connection is line. This lets the tutorial's client (which
 *        sends "Olá servidor!" with no newline and waits) and line-based
 *        clients (nc, our client) share one port without configuration.
 *
 * The framer owns no socket. The reader pushes each chunk it read, then
 * calls lm_framer_idle once the transport says nothing more is readable. */
#ifndef LANMSG_FRAMING_H
#define LANMSG_FRAMING_H

#include <stddef.h>

typedef enum lm_framing { LM_FRAMING_AUTO = 0, LM_FRAMING_LINE, LM_FRAMING_RAW } lm_framing;

#define LM_DEFAULT_MAX_LINE (64u * 1024u)

/* "auto", "line", "raw" -> 0 and *out; -1 for anything else. */
int lm_framing_parse(const char *s, lm_framing *out);
const char *lm_framing_name(lm_framing f);

typedef enum lm_frame_kind {
    LM_FRAME_MESSAGE,  /* msg/len: one message, without its line ending */
    LM_FRAME_OVERLONG, /* a line passed max_len; len = bytes seen so far */
} lm_frame_kind;

/* Called once per message. Returning non-zero stops delivery (the
 * connection is closing); undelivered input stays in the framer. */
typedef int (*lm_frame_fn)(void *ctx, lm_frame_kind kind, const char *msg, size_t len);

typedef struct lm_framer {
    lm_framing mode;   /* as configured */
    lm_framing active; /* LINE or RAW: what the connection speaks now */
    size_t max_len;
    char *buf; /* partial message; allocated only while one is pending */
    size_t len, cap;
    int discarding; /* inside an overlong line, dropping to the newline */
} lm_framer;

void lm_framer_init(lm_framer *f, lm_framing mode, size_t max_len);
void lm_framer_free(lm_framer *f);
/* Feed one chunk. Returns 0, or non-zero if the callback stopped delivery
 * (the rest is kept, and delivered first by the next call). */
int lm_framer_push(lm_framer *f, const char *data, size_t len, lm_frame_fn fn, void *ctx);
/* Nothing more is immediately readable (auto mode ends a raw message here). */
int lm_framer_idle(lm_framer *f, lm_frame_fn fn, void *ctx);
/* The peer closed its side: deliver a final line that had no newline. */
int lm_framer_eof(lm_framer *f, lm_frame_fn fn, void *ctx);
/* Bytes of an unfinished message held (0 when none): for line timeouts.
 * While an overlong line is being discarded: max_len + 1, though none is held. */
size_t lm_framer_partial(const lm_framer *f);
/* 1 when outgoing messages need a trailing newline (line mode). */
int lm_framer_wants_newline(const lm_framer *f);

#endif
