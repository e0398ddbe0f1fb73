/* lanmsg memory: allocation that cannot fail.
 *
 * Running out of memory on a LAN server or client is not a condition any
 * caller can do something useful about, and every recovery branch for it is
 * code that almost never runs (redis and smallchat reason the same way). So
 * these print one line and abort: no caller checks for NULL. The bounded
 * queues and limits (--max-output, --max-line, --max-clients) are what keep
 * memory in check, not these functions. */
#ifndef LANMSG_MEM_H
#define LANMSG_MEM_H

#include <stddef.h>

void *lm_xmalloc(size_t n);
void *lm_xcalloc(size_t count, size_t size);
void *lm_xrealloc(void *p, size_t n);
char *lm_xstrdup(const char *s);

#endif
