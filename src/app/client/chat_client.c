/* lanmsg interactive chat client: what the user types goes to the server,
 * what the server sends is printed as it arrives, and neither waits for the
 * other.
 *
 * One wait covers both the socket and stdin (lm_net_wait_with_stdin); what
 * the user types is read by chat_input.c (line editing with libedit on a
 * terminal, plain reading otherwise), which also prints incoming lines above
 * the line being typed. With stdin not a terminal there is no prompt at
 * all, so scripts read clean lines.
 *
 * Text: what the user sends and what the server sends are both cleaned of
 * terminal controls (lm_chat_clean): an arrow key or a pasted colour code
 * never reaches anyone as text, and a server that relayed one could not
 * steer this terminal.
 *
 * Language: in Portuguese (--lang pt, or the locale), the client sends
 * "/lang pt" as its first line, so the server's notices come in
 * Portuguese. The server's first line, the welcome, was sent before that
 * could arrive; the server sends the welcome again in Portuguese, so the
 * English one (the first line, when it is a "* " notice) is not shown.
 *
 * Leaving: Ctrl-D (end of input) and /quit [reason] both send /quit and
 * exit 0 as soon as the server has said goodbye and closed (what it sent
 * before is still printed, so a script sees the replies to all its lines).
 * Ctrl-C closes at once, cleanly (TLS close_notify through
 * lm_client_close), and exits 0. The server going away is an error (exit
 * 1), reported in one line. */
#include "chat_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/framing.h"
#include "platform/os.h"
#include "service/chat_cmd.h"
#include "util/mem.h"
#include "util/text.h"
#include "chat_input.h"

#define PROMPT       "> "
#define DRAIN_MAX_MS 3000 /* after /quit: longest wait for the server to close */
#define TICK_MS      200  /* how often Ctrl-C is noticed while idle */
#define MAX_LINE     (LM_DEFAULT_MAX_LINE + 256)

typedef struct chat_client {
    lm_client *cl;
    lm_chat_input *in;
    int skip_welcome; /* asked for /lang: the first (English) welcome is not shown */
    int lines_in;     /* lines received so far */
    char *shown;      /* the cleaned copy of an incoming line */
    size_t shown_cap;
} chat_client;

/* ======================================================================
 * Input from the server
 * ==================================================================== */

/* Print one incoming line, cleaned for the terminal, above the prompt. */
static int on_line(void *ctx, lm_frame_kind kind, const char *msg, size_t len)
{
    chat_client *cc = ctx;

    if (kind == LM_FRAME_OVERLONG)
        return 0;
    if (cc->lines_in++ == 0 && cc->skip_welcome && len >= 2 && memcmp(msg, "* ", 2) == 0)
        return 0;
    if (len + 1 > cc->shown_cap) {
        cc->shown_cap = len + 1;
        cc->shown = lm_xrealloc(cc->shown, cc->shown_cap);
    }
    memcpy(cc->shown, msg, len);
    len = lm_chat_clean(cc->shown, len);
    cc->shown[len] = '\0';
    lm_chat_input_print(cc->in, cc->shown);
    return 0;
}

/* Read everything the transport has now. Returns 1 while the connection is
 * up, 0 when the server closed it, or a negative status. */
static int pump_socket(chat_client *cc, lm_framer *f)
{
    char buf[16384];
    for (;;) {
        long n = lm_tp_read(cc->cl->tp, buf, sizeof buf);
        if (n > 0) {
            lm_framer_push(f, buf, (size_t)n, on_line, cc);
            continue;
        }
        if (n == LM_WANT_READ || n == LM_WANT_WRITE)
            return 1;
        if (n == 0 || n == LM_ERR_RESET) {
            lm_framer_eof(f, on_line, cc);
            return 0;
        }
        return (int)n;
    }
}

/* ======================================================================
 * Input from the user
 * ==================================================================== */

static int send_line(chat_client *cc, const char *text, size_t len)
{
    char *buf = lm_xmalloc(len + 1);
    int rc;
    memcpy(buf, text, len);
    buf[len] = '\n';
    rc = lm_client_write_all(cc->cl, buf, len + 1);
    free(buf);
    return rc;
}

/* "/quit" alone or with a reason. */
static int is_quit(const char *s, size_t len)
{
    return len >= 5 && memcmp(s, "/quit", 5) == 0 && (len == 5 || s[5] == ' ');
}

/* Handle what stdin has. Returns 1 to go on, 2 when /quit went out (typed,
 * or sent for end of input), or a negative status for a failed send. */
static int take_input(chat_client *cc)
{
    const char *text;
    size_t len;
    char *line;
    int r = lm_chat_input_read(cc->in, &text, &len), rc;

    if (r == LM_CHAT_IN_NONE)
        return 1;
    if (r == LM_CHAT_IN_EOF) {
        /* Ctrl-D leaves as /quit does: the server says goodbye and closes
         * right after the replies to what came before. */
        rc = send_line(cc, "/quit", 5);
        return rc == LM_OK ? 2 : rc;
    }
    line = lm_xmalloc(len + 1);
    memcpy(line, text, len);
    len = lm_chat_clean(line, len);
    rc = LM_OK;
    if (len)
        rc = send_line(cc, line, len);
    r = rc != LM_OK ? rc : is_quit(line, len) ? 2 : 1;
    free(line);
    return r;
}

/* ======================================================================
 * The loop
 * ==================================================================== */

/* After /quit: print what still arrives, until the server closes or
 * DRAIN_MAX_MS have passed. */
static int drain(chat_client *cc, lm_framer *f, volatile sig_atomic_t *stop)
{
    uint64_t end = lm_now_ms() + DRAIN_MAX_MS;
    while (!*stop) {
        uint64_t now = lm_now_ms();
        int w;
        if (now >= end)
            break;
        if (lm_tp_pending(cc->cl->tp) == 0) {
            w = lm_net_wait(cc->cl->tp->sock, 0, (int)(end - now));
            if (w < 0)
                break;
            if (w == 0)
                continue;
        }
        if (pump_socket(cc, f) <= 0)
            break; /* closed after we said goodbye: expected */
    }
    return LM_EXIT_OK;
}

int lm_chat_run(lm_client *cl, const char *nick, volatile sig_atomic_t *stop)
{
    chat_client cc;
    lm_framer f;
    int rc = LM_EXIT_OK;

    memset(&cc, 0, sizeof cc);
    cc.cl = cl;
    lm_framer_init(&f, LM_FRAMING_LINE, MAX_LINE);
    if (lm_stdin_is_tty())
        lm_info(LM_M_CHATC_HELLO);
    if (lm_lang_is_pt()) {
        /* Before anything else, so that the server can answer with the
         * welcome in Portuguese (see the top of this file). */
        if (send_line(&cc, "/lang pt", 8) != LM_OK)
            rc = lm_client_fail(cl, LM_ERR);
        cc.skip_welcome = 1;
    }
    if (nick && rc == LM_EXIT_OK) {
        /* The server answers a refused name with an error line. */
        char cmd[300];
        int n = snprintf(cmd, sizeof cmd, "/nick %s", nick);
        if (n > 0 && (size_t)n < sizeof cmd && send_line(&cc, cmd, (size_t)n) != LM_OK)
            rc = lm_client_fail(cl, LM_ERR);
    }
    cc.in = lm_chat_input_open(PROMPT);
    while (rc == LM_EXIT_OK && !*stop) {
        int sock_ready = 0, in_ready = 0, w;
        if (lm_tp_pending(cl->tp) > 0)
            sock_ready = 1;
        else if ((w = lm_net_wait_with_stdin(cl->tp->sock, 0, TICK_MS, &sock_ready, &in_ready)) <
                 0) {
            rc = lm_client_fail(cl, LM_ERR);
            break;
        }
        if (sock_ready) {
            int r = pump_socket(&cc, &f);
            if (r == 0) {
                lm_chat_input_close(cc.in);
                cc.in = NULL;
                lm_warn(LM_M_CHATC_CLOSED, cl->peer);
                rc = LM_EXIT_RUNTIME;
                break;
            }
            if (r < 0) {
                rc = lm_client_fail(cl, r);
                break;
            }
        }
        if (in_ready) {
            int r = take_input(&cc);
            if (r < 0) {
                rc = lm_client_fail(cl, r);
                break;
            }
            if (r == 2) {
                rc = drain(&cc, &f, stop);
                break;
            }
        }
    }
    lm_chat_input_close(cc.in);
    fflush(stdout);
    free(cc.shown);
    lm_framer_free(&f);
    return rc;
}
