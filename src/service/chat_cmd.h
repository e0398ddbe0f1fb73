/* lanmsg chat: the syntax of a chat line, parsed without side effects.
 *
 * Kept apart from the service so that the parser can be unit-tested and
 * fuzzed alone: it only points into the line it was given, never copies,
 * allocates or looks at who is connected. What a name may contain, and
 * whether a user exists, are the service's business. */
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
    LM_CHAT_QUIT,    /* /quit */
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

#endif
