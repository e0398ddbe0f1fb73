/* lanmsg chat: the syntax of a chat line, and cleaning chat text (see
 * chat_cmd.h). */
#include "chat_cmd.h"

#include <string.h>

static void set(lm_chat_cmd *c, lm_chat_kind kind, const char *name, size_t name_len,
                const char *text, size_t text_len)
{
    c->kind = kind;
    c->name = name;
    c->name_len = name_len;
    c->text = text;
    c->text_len = text_len;
}

/* "/msg NAME text": the name ends at the first space; both parts needed. */
static void parse_msg(lm_chat_cmd *c, const char *cmd, size_t cmd_len, const char *arg, size_t len)
{
    size_t n = 0;
    while (n < len && arg[n] != ' ')
        n++;
    if (n == 0 || n + 1 >= len)
        set(c, LM_CHAT_USAGE, cmd, cmd_len, NULL, 0);
    else
        set(c, LM_CHAT_MSG, arg, n, arg + n + 1, len - n - 1);
}

void lm_chat_parse(const char *line, size_t len, lm_chat_cmd *out)
{
    size_t n = 1, a;
    const char *word = line + 1, *arg;
    size_t wlen, alen;

    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    if (len == 0) {
        set(out, LM_CHAT_EMPTY, NULL, 0, NULL, 0);
        return;
    }
    if (line[0] != '/' || (len > 1 && line[1] == '/')) {
        /* A public message; a doubled slash escapes a leading one. */
        size_t skip = line[0] == '/' ? 1 : 0;
        set(out, LM_CHAT_SAY, NULL, 0, line + skip, len - skip);
        return;
    }
    while (n < len && line[n] != ' ')
        n++;
    wlen = n - 1;
    a = n;
    while (a < len && line[a] == ' ')
        a++;
    /* Trailing spaces, and line ends hidden behind them, end the command. */
    while (len > a && (line[len - 1] == ' ' || line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    arg = line + a;
    alen = len - a;
#define IS(w) (wlen == sizeof w - 1 && memcmp(word, w, wlen) == 0)
    if (IS("help"))
        set(out, LM_CHAT_HELP, NULL, 0, NULL, 0);
    else if (IS("who"))
        set(out, LM_CHAT_WHO, NULL, 0, NULL, 0);
    else if (IS("quit"))
        set(out, LM_CHAT_QUIT, NULL, 0, arg, alen);
    else if (IS("lang"))
        set(out, LM_CHAT_LANG, arg, alen, NULL, 0);
    else if (IS("nick"))
        set(out, LM_CHAT_NICK, arg, alen, NULL, 0);
    else if (IS("msg"))
        parse_msg(out, line, n, arg, alen);
    else if (IS("me") && alen)
        set(out, LM_CHAT_ME, NULL, 0, arg, alen);
    else if (IS("me"))
        set(out, LM_CHAT_USAGE, line, n, NULL, 0);
    else
        set(out, LM_CHAT_UNKNOWN, line, n, NULL, 0);
#undef IS
}

int lm_chat_name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return *a == *b;
}

/* ======================================================================
 * Cleaning
 * ==================================================================== */

/* Length (2 to 4) of the well-formed UTF-8 sequence that starts with the
 * non-ASCII byte at s, with its code point; 0 when there is none (a stray
 * continuation byte, an overlong form, a surrogate, past U+10FFFF, cut
 * short). */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned long v, min;
    size_t need, i;

    if (s[0] < 0xc2 || s[0] > 0xf4)
        return 0;
    if (s[0] < 0xe0)
        need = 1, min = 0x80, v = s[0] & 0x1fu;
    else if (s[0] < 0xf0)
        need = 2, min = 0x800, v = s[0] & 0x0fu;
    else
        need = 3, min = 0x10000, v = s[0] & 0x07u;
    if (n < need + 1)
        return 0;
    for (i = 1; i <= need; i++) {
        if ((s[i] & 0xc0u) != 0x80u)
            return 0;
        v = (v << 6) | (s[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return need + 1;
}

/* A control sequence's body (ECMA-48: parameter bytes, intermediate bytes,
 * one final byte), from s[i]; returns where it ends. A byte that cannot be
 * part of it ends it early, and is kept for the caller to judge. */
static size_t skip_csi(const unsigned char *s, size_t len, size_t i)
{
    while (i < len && s[i] >= 0x30 && s[i] <= 0x3f)
        i++;
    while (i < len && s[i] >= 0x20 && s[i] <= 0x2f)
        i++;
    if (i < len && s[i] >= 0x40 && s[i] <= 0x7e)
        i++;
    return i;
}

/* A control string (OSC, DCS, SOS, PM, APC: a window title, say) runs to
 * BEL or ST (ESC \ or U+009C), or to the end of the line. */
static size_t skip_string(const unsigned char *s, size_t len, size_t i)
{
    while (i < len) {
        if (s[i] == 0x07)
            return i + 1;
        if (s[i] == 0x1b && i + 1 < len && s[i + 1] == '\\')
            return i + 2;
        if (s[i] == 0xc2 && i + 1 < len && s[i + 1] == 0x9c)
            return i + 2;
        i++;
    }
    return len;
}

/* What follows an ESC at s[i - 1]; returns where the sequence ends. */
static size_t skip_escape(const unsigned char *s, size_t len, size_t i)
{
    if (i >= len)
        return len;
    switch (s[i]) {
    case '[':
        return skip_csi(s, len, i + 1);
    case ']':
    case 'P':
    case 'X':
    case '^':
    case '_':
        return skip_string(s, len, i + 1);
    case 'N':
    case 'O':
        /* SS2, SS3: one more character (F1 is ESC O P). */
        return i + 1 < len && s[i + 1] >= 0x20 && s[i + 1] <= 0x7e ? i + 2 : i + 1;
    default:
        break;
    }
    if (s[i] >= 0x20 && s[i] <= 0x2f) { /* ESC ( B and the like */
        while (i < len && s[i] >= 0x20 && s[i] <= 0x2f)
            i++;
        return i < len && s[i] >= 0x30 && s[i] <= 0x7e ? i + 1 : i;
    }
    if (s[i] >= 0x30 && s[i] <= 0x7e) /* ESC c, ESC 7, Alt+key */
        return i + 1;
    return i; /* a lone ESC */
}

static int is_bidi_control(unsigned long cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t lm_chat_clean(char *text, size_t len)
{
    unsigned char *s = (unsigned char *)text;
    size_t i = 0, o = 0;

    while (i < len) {
        unsigned long cp = 0;
        size_t n;

        if (s[i] == 0x1b) {
            i = skip_escape(s, len, i + 1);
            continue;
        }
        if (s[i] < 0x20 || s[i] == 0x7f) {
            if (s[i] == '\t')
                s[o++] = ' ';
            i++;
            continue;
        }
        if (s[i] < 0x80) {
            s[o++] = s[i++];
            continue;
        }
        n = utf8_seq(s + i, len - i, &cp);
        if (n == 0) {
            s[o++] = '?';
            i++;
        } else if (cp == 0x9b) { /* CSI */
            i = skip_csi(s, len, i + n);
        } else if (cp == 0x90 || cp == 0x98 || cp == 0x9d || cp == 0x9e || cp == 0x9f) {
            i = skip_string(s, len, i + n);
        } else if (cp <= 0x9f || is_bidi_control(cp)) {
            i += n;
        } else {
            memmove(s + o, s + i, n);
            o += n;
            i += n;
        }
    }
    return o;
}
