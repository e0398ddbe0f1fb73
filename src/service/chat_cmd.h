/* lanmsg chat: the syntax of a chat line, parsed without side effects, and
 * the cleaning that keeps terminal controls out of chat text.
 *
 * Kept apart from the service so that both can be unit-tested and fuzzed
 * alone: the parser only points into the line it was given, never copies,
 * allocates or looks at who is connected; the cleaner only rewrites the
 * buffer it is given. What a name may contain, and whether a user exists,
 * are the service's business. The chat client uses the cleaner too, on what
 * the user types and on what it prints. */
#ifndef LANMSG_CHAT_CMD_H
#define LANMSG_CHAT_CMD_H

#include <stddef.h>

typedef enum lm_chat_kind {
    LM_CHAT_EMPTY,   /* nothing to do (an empty line) */
    LM_CHAT_SAY,     /* text: a public message; "//x" says "/x" */
    LM_CHAT_HELP,    /* /help */
    LM_CHAT_WHO,     /* /who */
    LM_CHAT_NICK,    /* /nick NAME: name (may be empty: the service refuses it) */
    LM_CHAT_MSG,     /* /msg NAME text: name and text, both non-empty */
    LM_CHAT_ME,      /* /me action: text, non-empty */
    LM_CHAT_QUIT,    /* /quit [reason]: text = the reason (may be empty) */
    LM_CHAT_LANG,    /* /lang CODE: name = the code (may be empty: the service refuses it) */
    LM_CHAT_USAGE,   /* a known command without its argument: name = the command */
    LM_CHAT_UNKNOWN, /* name = the unknown command word, '/' included */
} lm_chat_kind;

typedef struct lm_chat_cmd {
    lm_chat_kind kind;
    const char *name; /* see lm_chat_kind */
    size_t name_len;
    const char *text;
    size_t text_len;
} lm_chat_cmd;

/* Parse one line (trailing CR/LF ignored). Arguments lose the spaces around
 * them; the text of /msg starts right after the single space that follows
 * the name, so its own leading spaces are kept. */
void lm_chat_parse(const char *line, size_t len, lm_chat_cmd *out);

/* The one rule for comparing names, everywhere (/nick, /msg, duplicates,
 * reserved names): equal without regard to ASCII case, so "Alice" cannot
 * pass for "alice". Other bytes compare as they are. */
int lm_chat_name_eq(const char *a, const char *b);

/* Make chat text safe to show on anyone's terminal, in place; returns the
 * new length (never more than len). Escape sequences (ESC or the C1 CSI/OSC
 * introducers and everything up to their end: the keys of a keyboard, colours,
 * window titles) are removed whole; a tab becomes a space; other control
 * characters (C0, DEL, C1) and the Unicode bidirectional overrides and
 * isolates, which can reorder what a terminal shows, are removed; a byte
 * that is not part of well-formed UTF-8 becomes '?'. The result is valid
 * UTF-8 without control characters, and cleaning it again changes nothing. */
size_t lm_chat_clean(char *s, size_t len);

#endif
