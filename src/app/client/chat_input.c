/* lanmsg chat client: what the user types, and printing above it (see
 * chat_input.h). */
#if defined(LANMSG_HAVE_LIBEDIT)
#define _XOPEN_SOURCE 700 /* wcwidth, isatty: libedit is POSIX-only anyway */
#endif

#include "chat_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/framing.h"
#include "platform/os.h"
#include "util/mem.h"

#if defined(LANMSG_HAVE_LIBEDIT)
#include <histedit.h>
#include <locale.h>
#include <unistd.h>
#include <wchar.h>
#endif

#define MAX_LINE     (LM_DEFAULT_MAX_LINE + 256) /* longer typed lines are cut */
#define HISTORY_SIZE 500

struct lm_chat_input {
    const char *prompt;
    int tty;
    /* plain reading */
    int prompt_shown;
    char *line;
    size_t len, cap;
    int eof_pending; /* a last unfinished line went out; EOF comes next */
#if defined(LANMSG_HAVE_LIBEDIT)
    EditLine *el;
    History *hist;
#endif
};

/* ======================================================================
 * Plain reading
 * ==================================================================== */

static void plain_prompt(lm_chat_input *in)
{
    if (in->tty && !in->prompt_shown) {
        fputs(in->prompt, stdout);
        fflush(stdout);
        in->prompt_shown = 1;
    }
}

static void plain_unprompt(lm_chat_input *in)
{
    if (in->prompt_shown) {
        fputs("\r\033[K", stdout); /* erase the prompt line */
        in->prompt_shown = 0;
    }
}

/* One byte per call: the caller's wait saw stdin readable, so getc does
 * not block, and nothing stays buffered behind the wait's back. */
static int plain_read(lm_chat_input *in, const char **line, size_t *len)
{
    int ch;

    if (in->eof_pending)
        return LM_CHAT_IN_EOF;
    ch = getc(stdin);
    if (ch == EOF) {
        if (in->len == 0)
            return LM_CHAT_IN_EOF;
        in->eof_pending = 1;
    } else if (ch != '\n') {
        if (in->len + 1 >= in->cap) {
            if (in->cap >= MAX_LINE)
                return LM_CHAT_IN_NONE; /* cut: the server would refuse it */
            in->cap = in->cap ? in->cap * 2 : 256;
            in->line = lm_xrealloc(in->line, in->cap);
        }
        in->line[in->len++] = (char)ch;
        return LM_CHAT_IN_NONE;
    }
    while (in->len && in->line[in->len - 1] == '\r')
        in->len--;
    in->prompt_shown = 0; /* Enter moved the cursor past it */
    *line = in->line ? in->line : "";
    *len = in->len;
    in->len = 0;
    if (!in->eof_pending)
        plain_prompt(in);
    return LM_CHAT_IN_LINE;
}

/* ======================================================================
 * Line editing (libedit)
 *
 * libedit runs unbuffered (EL_UNBUFFERED): each el_gets() handles one key
 * and returns, so the caller's poll loop keeps serving the socket. It
 * reads the terminal with read(2), a byte at a time, so whatever it has not
 * taken is still visible to poll. To print above the line being typed:
 * go up to the row where the prompt starts, clear to the end of the screen,
 * print, and have libedit draw prompt and line again from there
 * (EL_REFRESH), cursor where it was.
 * ==================================================================== */

#if defined(LANMSG_HAVE_LIBEDIT)

static char *ed_prompt(EditLine *el)
{
    lm_chat_input *in = NULL;
    el_get(el, EL_CLIENTDATA, (void **)&in);
    return (char *)(in ? in->prompt : "");
}

/* Bound to the function keys nothing else uses: without a binding, libedit
 * would stop matching a key's escape sequence halfway and insert the rest
 * as text (F5 would type "~"). */
static unsigned char ed_ignore(EditLine *el, int ch)
{
    (void)el;
    (void)ch;
    return CC_NORM;
}

/* The escape sequences of the usual keys (xterm, VTE, rxvt, the Linux
 * console), with and without Shift/Alt/Ctrl (";2" to ";8"). */
static void ed_bind_keys(EditLine *el)
{
    static const int tilde[] = {2,  5,  6,  11, 12, 13, 14, 15, 17, 18, 19, 20,
                                21, 23, 24, 25, 26, 28, 29, 31, 32, 33, 34};
    static const char letters[] = "ABCDEFHPQRS";
    char key[16];
    size_t i;
    int m;

    /* The wide call keeps these (static) strings; the narrow one would
     * copy them and never free the copies. */
    el_wset(el, EL_ADDFN, L"lanmsg-ignore", L"ignore a function key", ed_ignore);
    for (i = 0; i < sizeof tilde / sizeof tilde[0]; i++) {
        snprintf(key, sizeof key, "\033[%d~", tilde[i]);
        el_set(el, EL_BIND, key, "lanmsg-ignore", NULL);
        for (m = 2; m <= 8; m++) {
            snprintf(key, sizeof key, "\033[%d;%d~", tilde[i], m);
            el_set(el, EL_BIND, key, "lanmsg-ignore", NULL);
        }
    }
    for (i = 0; letters[i]; i++) {
        snprintf(key, sizeof key, "\033O%c", letters[i]);
        if (letters[i] >= 'P') /* F1-F4; O A-D are the arrows */
            el_set(el, EL_BIND, key, "lanmsg-ignore", NULL);
        for (m = 2; m <= 8; m++) {
            snprintf(key, sizeof key, "\033[1;%d%c", m, letters[i]);
            el_set(el, EL_BIND, key, "lanmsg-ignore", NULL);
        }
    }
    for (i = 0; i < 5; i++) { /* the Linux console's F1-F5 */
        snprintf(key, sizeof key, "\033[[%c", 'A' + (int)i);
        el_set(el, EL_BIND, key, "lanmsg-ignore", NULL);
    }
    /* Keys with an obvious meaning, which some terminals send this way. */
    el_set(el, EL_BIND, "\033[1;5C", "em-next-word", NULL);
    el_set(el, EL_BIND, "\033[1;5D", "ed-prev-word", NULL);
    el_set(el, EL_BIND, "\033[3~", "ed-delete-next-char", NULL);
    el_set(el, EL_BIND, "\033[1~", "ed-move-to-beg", NULL);
    el_set(el, EL_BIND, "\033[7~", "ed-move-to-beg", NULL);
    el_set(el, EL_BIND, "\033[4~", "ed-move-to-end", NULL);
    el_set(el, EL_BIND, "\033[8~", "ed-move-to-end", NULL);
    el_set(el, EL_BIND, "\033[H", "ed-move-to-beg", NULL);
    el_set(el, EL_BIND, "\033[F", "ed-move-to-end", NULL);
}

static int ed_open(lm_chat_input *in)
{
    HistEvent ev;

    if (!in->tty || !isatty(STDOUT_FILENO))
        return 0;
    /* Multibyte input (é, ã) needs the terminal's character set. */
    setlocale(LC_CTYPE, "");
    in->el = el_init("lanmsg-client", stdin, stdout, stderr);
    if (!in->el)
        return 0;
    in->hist = history_init();
    if (in->hist) {
        history(in->hist, &ev, H_SETSIZE, HISTORY_SIZE);
        history(in->hist, &ev, H_SETUNIQUE, 1);
        el_set(in->el, EL_HIST, history, in->hist);
    }
    el_set(in->el, EL_CLIENTDATA, (void *)in);
    el_set(in->el, EL_EDITOR, "emacs");
    el_set(in->el, EL_PROMPT, ed_prompt);
    ed_bind_keys(in->el);
    el_source(in->el, NULL);          /* the user's ~/.editrc, if any (vi mode, bindings) */
    el_set(in->el, EL_UNBUFFERED, 1); /* raw mode, draws the prompt */
    return 1;
}

/* Screen rows from the start of the prompt to the cursor. */
static int ed_cursor_row(lm_chat_input *in)
{
    const LineInfoW *li = el_wline(in->el);
    const wchar_t *p;
    const char *q;
    int cols = 0;
    long w = 0;

    if (el_get(in->el, EL_GETTC, "co", &cols, NULL) != 0 || cols <= 0)
        return 0;
    for (q = in->prompt; *q; q++)
        w += ((unsigned char)*q & 0xc0) != 0x80;
    for (p = li->buffer; p < li->cursor; p++) {
        int cw = wcwidth(*p);
        w += cw < 0 ? 2 : cw; /* libedit shows a control character as ^X */
    }
    return (int)(w / cols);
}

static void ed_erase(lm_chat_input *in)
{
    int row = ed_cursor_row(in);
    fputs("\r", stdout);
    if (row > 0)
        printf("\033[%dA", row);
    fputs("\033[J", stdout);
}

static void ed_print(lm_chat_input *in, const char *text)
{
    el_resize(in->el); /* the window may have changed since the last line */
    ed_erase(in);
    fputs(text, stdout);
    fputs("\n", stdout);
    fflush(stdout);
    el_set(in->el, EL_REFRESH);
}

static int ed_read(lm_chat_input *in, const char **line, size_t *len)
{
    HistEvent ev;
    int n = 0;
    const char *buf = el_gets(in->el, &n);

    if (!buf)
        return n < 0 ? LM_CHAT_IN_EOF : LM_CHAT_IN_NONE;
    /* In unbuffered mode Ctrl-D on an empty line comes back as itself. */
    if (n == 1 && buf[0] == 0x04)
        return LM_CHAT_IN_EOF;
    if (n == 0 || buf[n - 1] != '\n')
        return LM_CHAT_IN_NONE;
    n--;
    if ((size_t)n >= MAX_LINE)
        n = MAX_LINE - 1;
    if ((size_t)n + 1 > in->cap) {
        in->cap = (size_t)n + 1;
        in->line = lm_xrealloc(in->line, in->cap);
    }
    memcpy(in->line, buf, (size_t)n);
    in->line[n] = '\0';
    if (n > 0 && in->hist)
        history(in->hist, &ev, H_ENTER, in->line);
    /* A fresh, empty line and prompt below the one just sent. */
    el_set(in->el, EL_UNBUFFERED, 0);
    el_set(in->el, EL_UNBUFFERED, 1);
    *line = in->line;
    *len = (size_t)n;
    return LM_CHAT_IN_LINE;
}

static void ed_close(lm_chat_input *in)
{
    ed_erase(in);
    fflush(stdout);
    el_end(in->el); /* gives the terminal its settings back */
    if (in->hist)
        history_end(in->hist);
}

#endif /* LANMSG_HAVE_LIBEDIT */

/* ======================================================================
 * Either way
 * ==================================================================== */

lm_chat_input *lm_chat_input_open(const char *prompt)
{
    lm_chat_input *in = lm_xcalloc(1, sizeof *in);
    in->prompt = prompt;
    in->tty = lm_stdin_is_tty();
#if defined(LANMSG_HAVE_LIBEDIT)
    if (ed_open(in))
        return in;
#endif
    setvbuf(stdin, NULL, _IONBF, 0);
    plain_prompt(in);
    return in;
}

int lm_chat_input_read(lm_chat_input *in, const char **line, size_t *len)
{
#if defined(LANMSG_HAVE_LIBEDIT)
    if (in->el)
        return ed_read(in, line, len);
#endif
    return plain_read(in, line, len);
}

void lm_chat_input_print(lm_chat_input *in, const char *text)
{
#if defined(LANMSG_HAVE_LIBEDIT)
    if (in->el) {
        ed_print(in, text);
        return;
    }
#endif
    plain_unprompt(in);
    printf("%s\n", text);
    plain_prompt(in);
    fflush(stdout);
}

void lm_chat_input_close(lm_chat_input *in)
{
    if (!in)
        return;
#if defined(LANMSG_HAVE_LIBEDIT)
    if (in->el)
        ed_close(in);
    else
#endif
        plain_unprompt(in);
    fflush(stdout);
    free(in->line);
    free(in);
}
