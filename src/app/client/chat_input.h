/* lanmsg chat client: what the user types, and printing above it.
 *
 * Two ways to read, picked when opened:
 *  - line editing (libedit, when the build has it and stdin and stdout are
 *    terminals): arrow keys, history, the user's ~/.editrc; an incoming
 *    line is printed above the line being typed, which is drawn again
 *    intact;
 *  - plain reading, one byte per readiness report, so a byte is never stuck
 *    in a stdio buffer that the wait cannot see: scripts (no prompt), and
 *    terminals without libedit (the terminal's own line editing, as on
 *    Windows, with a "> " prompt drawn again below each incoming line).
 * Either way the caller waits for stdin to be readable (poll) and then
 * calls lm_chat_input_read once, so incoming lines are never held up by a
 * half-typed one. */
#ifndef LANMSG_CHAT_INPUT_H
#define LANMSG_CHAT_INPUT_H

#include <stddef.h>

typedef struct lm_chat_input lm_chat_input;

enum {
    LM_CHAT_IN_NONE, /* nothing complete yet */
    LM_CHAT_IN_LINE, /* a line (without its newline) */
    LM_CHAT_IN_EOF   /* end of input: Ctrl-D, or the end of a script */
};

/* Start reading stdin, showing `prompt` on a terminal. */
lm_chat_input *lm_chat_input_open(const char *prompt);
/* Read what stdin has now (call when it is readable). On LM_CHAT_IN_LINE,
 * *line and *len hold the line until the next call; on LM_CHAT_IN_EOF, a
 * last unfinished line of a script comes first as a line. */
int lm_chat_input_read(lm_chat_input *in, const char **line, size_t *len);
/* Print one line (no newline in it) above what the user is typing. */
void lm_chat_input_print(lm_chat_input *in, const char *text);
/* Erase the prompt, give the terminal back as it was, and free. */
void lm_chat_input_close(lm_chat_input *in);

#endif
