/* Fuzz target: the chat line parser and the text cleaner
 * (src/service/chat_cmd.c). Besides the sanitizers, it checks the parser's
 * promises: every span it returns lies inside the input, arguments carry no
 * surrounding spaces, /msg and /me always have their parts, and text never
 * ends in CR or LF; and the cleaner's: never longer, no control byte left,
 * and cleaning twice changes nothing (so what is left is well-formed UTF-8:
 * a bad byte would have become '?'). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service/chat_cmd.h"

static void inside(const char *p, size_t n, const char *base, size_t len)
{
    if (n == 0)
        return;
    if (!p || p < base || p + n > base + len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly `size` bytes, so ASan catches any read past it. */
    char *line = malloc(size ? size : 1);
    lm_chat_cmd c;

    if (!line)
        return 0;
    if (size)
        memcpy(line, data, size);
    lm_chat_parse(line, size, &c);
    inside(c.name, c.name_len, line, size);
    inside(c.text, c.text_len, line, size);
    switch (c.kind) {
    case LM_CHAT_NICK:
        if (c.name_len && (c.name[0] == ' ' || c.name[c.name_len - 1] == ' '))
            abort();
        break;
    case LM_CHAT_MSG:
        if (!c.name_len || !c.text_len || memchr(c.name, ' ', c.name_len))
            abort();
        break;
    case LM_CHAT_ME:
    case LM_CHAT_SAY:
        if (!c.text_len || c.text[c.text_len - 1] == '\n' ||
            (c.kind == LM_CHAT_SAY && c.text[c.text_len - 1] == '\r'))
            abort();
        break;
    case LM_CHAT_USAGE:
    case LM_CHAT_UNKNOWN:
        if (!c.name_len || c.name[0] != '/')
            abort();
        break;
    default:
        break;
    }

    if (size)
        memcpy(line, data, size);
    size_t n = lm_chat_clean(line, size), i;
    if (n > size)
        abort();
    for (i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            abort();
    if (n) {
        char *again = malloc(n);
        if (!again)
            abort();
        memcpy(again, line, n);
        if (lm_chat_clean(again, n) != n || memcmp(again, line, n) != 0)
            abort();
        free(again);
    }
    free(line);
    return 0;
}
