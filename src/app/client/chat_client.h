/* lanmsg interactive chat client (lanmsg-client --chat). */
#ifndef LANMSG_CHAT_CLIENT_H
#define LANMSG_CHAT_CLIENT_H

#include <signal.h>

#include "client.h"

/* Chat over a connected client until the user leaves (Ctrl-D, /quit, or
 * *stop set by Ctrl-C: exit code 0) or the server goes away (1). `nick`
 * (may be NULL) is sent as "/nick NAME" first. The caller closes. */
int lm_chat_run(lm_client *cl, const char *nick, volatile sig_atomic_t *stop);

#endif
