/* lanmsg interactive chat client: what the user types goes to the server,
 * what the server sends is printed as it arrives, and neither waits for the
 * other.
 *
 * One wait covers both the socket and stdin (lm_net_wait_with_stdin). Stdin
 * is read unbuffered, one byte per readiness report, so a byte is never
 * stuck in a stdio buffer that the wait cannot see, and a half-typed line
 * never blocks incoming messages. On a terminal the prompt is erased before
 * an incoming line is printed and drawn again after it (in canonical mode
 * the terminal itself keeps showing what was typed so far); with stdin not
 * a terminal there is no prompt at all, so scripts read clean lines.
 *
 * Leaving: Ctrl-D (end of input), /quit or Ctrl-C close cleanly (TLS
 * close_notify through lm_client_close) and exit 0. When stdin ends in a
 * script, replies still on their way are waited for until the server has
 * been quiet for half a second (three seconds at most). The server going
 * away is an error (exit 1), reported in one line. */
#include "chat_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/framing.h"
#include "platform/os.h"
#include "util/text.h"

#define PROMPT       "> "
#define QUIET_MS     500  /* after end of input: silence that ends the wait */
#define DRAIN_MAX_MS 3000 /* after end of input or /quit: longest wait */
#define TICK_MS      200  /* how often Ctrl-C is noticed while idle */
#define MAX_LINE     (LM_DEFAULT_MAX_LINE + 256)

typedef struct chat_client {
    lm_client *cl;
    int tty;
    int prompt_shown;
    char *line; /* what the user is typing (scripted: not echoed) */
    size_t len, cap;
    uint64_t last_rx;
} chat_client;

/* ======================================================================
 * Output
 * ==================================================================== */

static void show_prompt(chat_client *cc)
{
    if (cc->tty && !cc->prompt_shown) {
        fputs(PROMPT, stdout);
        fflush(stdout);
        cc->prompt_shown = 1;
    }
}

/* Print one incoming line, escaped for the terminal, above the prompt. */
static int on_line(void *ctx, lm_frame_kind kind, const char *msg, size_t len)
{
    chat_client *cc = ctx;
    char shown[4096];

    if (kind == LM_FRAME_OVERLONG)
        return 0;
    lm_escape(shown, sizeof shown, msg, len);
    if (cc->prompt_shown) {
        fputs("\r\033[K", stdout); /* erase the prompt line */
        cc->prompt_shown = 0;
    }
    printf("%s\n", shown);
    show_prompt(cc);
    fflush(stdout);
    return 0;
}

/* ======================================================================
 * Input from the server
 * ==================================================================== */

/* Read everything the transport has now. Returns 1 while the connection is
 * up, 0 when the server closed it, or a negative status. */
static int pump_socket(chat_client *cc, lm_framer *f)
{
    char buf[16384];
    for (;;) {
        long n = lm_tp_read(cc->cl->tp, buf, sizeof buf);
        if (n > 0) {
            cc->last_rx = lm_now_ms();
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
    char *buf = malloc(len + 1);
    int rc;
    if (!buf)
        return LM_ERR;
    memcpy(buf, text, len);
    buf[len] = '\n';
    rc = lm_client_write_all(cc->cl, buf, len + 1);
    free(buf);
    return rc;
}

/* Take one byte of stdin. Returns 1 normally, 2 when a /quit line was
 * sent, 0 at end of input, or a negative status for a failed send. */
static int take_byte(chat_client *cc)
{
    int ch = getc(stdin);
    int rc;

    if (ch == EOF) {
        if (cc->len) {
            rc = send_line(cc, cc->line, cc->len);
            cc->len = 0;
            if (rc != LM_OK)
                return rc;
        }
        return 0;
    }
    if (ch != '\n') {
        if (cc->len + 1 >= cc->cap) {
            size_t cap = cc->cap ? cc->cap * 2 : 256;
            char *n;
            if (cap > MAX_LINE)
                return 1; /* over-long input is cut; the server would refuse it */
            n = realloc(cc->line, cap);
            if (!n)
                return LM_ERR;
            cc->line = n;
            cc->cap = cap;
        }
        cc->line[cc->len++] = (char)ch;
        return 1;
    }
    while (cc->len && cc->line[cc->len - 1] == '\r')
        cc->len--;
    cc->prompt_shown = 0; /* Enter moved the cursor past it */
    rc = send_line(cc, cc->line, cc->len);
    if (rc != LM_OK)
        return rc;
    rc = cc->len == 5 && memcmp(cc->line, "/quit", 5) == 0 ? 2 : 1;
    cc->len = 0;
    show_prompt(cc);
    return rc;
}

/* ======================================================================
 * The loop
 * ==================================================================== */

/* After end of input or /quit: print what still arrives, until the server
 * closes, has been quiet for QUIET_MS, or DRAIN_MAX_MS have passed. */
static int drain(chat_client *cc, lm_framer *f, volatile sig_atomic_t *stop)
{
    uint64_t start = lm_now_ms(), end = start + DRAIN_MAX_MS;
    cc->last_rx = start;
    while (!*stop) {
        uint64_t now = lm_now_ms(), quiet = cc->last_rx + QUIET_MS;
        uint64_t until = quiet < end ? quiet : end;
        int w, rc;
        if (now >= until)
            break;
        if (lm_tp_pending(cc->cl->tp) == 0) {
            w = lm_net_wait(cc->cl->tp->sock, 0, (int)(until - now));
            if (w < 0)
                break;
            if (w == 0)
                continue;
        }
        rc = pump_socket(cc, f);
        if (rc <= 0)
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
    cc.tty = lm_stdin_is_tty();
    setvbuf(stdin, NULL, _IONBF, 0);
    lm_framer_init(&f, LM_FRAMING_LINE, MAX_LINE);
    if (cc.tty)
        lm_info(LM_M_CHATC_HELLO);
    if (nick) {
        /* The server answers a refused name with an error line. */
        char cmd[300];
        int n = snprintf(cmd, sizeof cmd, "/nick %s", nick);
        if (n > 0 && (size_t)n < sizeof cmd && send_line(&cc, cmd, (size_t)n) != LM_OK)
            rc = lm_client_fail(cl, LM_ERR);
    }
    show_prompt(&cc);
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
                if (cc.prompt_shown)
                    fputs("\r\033[K", stdout);
                fflush(stdout);
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
            int r = take_byte(&cc);
            if (r < 0) {
                rc = lm_client_fail(cl, r);
                break;
            }
            if (r == 0 || r == 2) {
                if (cc.prompt_shown) {
                    fputs("\r\033[K", stdout);
                    cc.prompt_shown = 0;
                }
                rc = drain(&cc, &f, stop);
                break;
            }
        }
    }
    if (cc.prompt_shown)
        fputs("\r\033[K", stdout);
    fflush(stdout);
    free(cc.line);
    lm_framer_free(&f);
    return rc;
}
