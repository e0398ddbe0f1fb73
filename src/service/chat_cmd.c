/* lanmsg chat: the syntax of a chat line (see chat_cmd.h). */
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
        set(out, LM_CHAT_QUIT, NULL, 0, NULL, 0);
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
