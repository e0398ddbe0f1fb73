/* lanmsg chat: the names seen on verified certificates, which nobody
 * without a certificate may take.
 *
 * Kept for the server's run, and across runs in STATE/chat-names when the
 * server has a state folder: one name per line, least recently seen first,
 * lines starting with '#' ignored. At most LM_CHAT_NAMES_MAX are kept (the
 * least recently seen are forgotten first), so the file stays under 300 KB.
 * It is rewritten whole when a new name appears: written to chat-names.tmp
 * in the same folder, then renamed over the old one, so a crash leaves the
 * old list or the new one, never half. One writer per folder: two servers
 * sharing a state folder would each keep their own list. Names compare as
 * lm_chat_name_eq says. Used from one thread (the chat service's loop). */
#ifndef LANMSG_CHAT_NAMES_H
#define LANMSG_CHAT_NAMES_H

#include <stddef.h>

#define LM_CHAT_NAMES_MAX  4096
#define LM_CHAT_NAMES_FILE "chat-names"

typedef struct lm_chat_names lm_chat_names;

/* The list, read from STATE/chat-names when state_dir is not NULL (a
 * missing file is an empty list). NULL with one line in err when the file
 * exists and cannot be read: running without it would hand reserved names
 * to anyone. */
lm_chat_names *lm_chat_names_open(const char *state_dir, char *err, size_t errlen);
/* 1 when the name is reserved. */
int lm_chat_names_has(const lm_chat_names *n, const char *name);
/* A verified certificate with this name is here now: it becomes the most
 * recently seen, and a new name is saved at once. A failed save is warned
 * about on the console once, and the name is kept for this run. */
void lm_chat_names_seen(lm_chat_names *n, const char *name);
void lm_chat_names_free(lm_chat_names *n);

#endif
