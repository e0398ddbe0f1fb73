/* Unit tests of the chat line parser and the text cleaner
 * (src/service/chat_cmd.c). */
#include <string.h>

#include "service/chat_cmd.h"
#include "check.h"

static lm_chat_cmd parse(const char *s)
{
    lm_chat_cmd c;
    lm_chat_parse(s, strlen(s), &c);
    return c;
}

static int eq(const char *p, size_t n, const char *want)
{
    return p && n == strlen(want) && memcmp(p, want, n) == 0;
}

static void test_messages(void)
{
    lm_chat_cmd c = parse("hello there\r\n");
    CHECK(c.kind == LM_CHAT_SAY && eq(c.text, c.text_len, "hello there"));
    c = parse("//etc/passwd is a path");
    CHECK(c.kind == LM_CHAT_SAY && eq(c.text, c.text_len, "/etc/passwd is a path"));
    c = parse("\r\n");
    CHECK(c.kind == LM_CHAT_EMPTY);
    c = parse("");
    CHECK(c.kind == LM_CHAT_EMPTY);
    c = parse("  spaces kept  ");
    CHECK(c.kind == LM_CHAT_SAY && eq(c.text, c.text_len, "  spaces kept  "));
}

static void test_commands(void)
{
    lm_chat_cmd c = parse("/help");
    CHECK(c.kind == LM_CHAT_HELP);
    CHECK(parse("/who  ").kind == LM_CHAT_WHO);
    c = parse("/quit");
    CHECK(c.kind == LM_CHAT_QUIT && c.text_len == 0);
    c = parse("/quit  see you later ");
    CHECK(c.kind == LM_CHAT_QUIT && eq(c.text, c.text_len, "see you later"));
    c = parse("/lang pt");
    CHECK(c.kind == LM_CHAT_LANG && eq(c.name, c.name_len, "pt"));
    c = parse("/lang");
    CHECK(c.kind == LM_CHAT_LANG && c.name_len == 0);
    c = parse("/nick   alice  \n");
    CHECK(c.kind == LM_CHAT_NICK && eq(c.name, c.name_len, "alice"));
    c = parse("/nick");
    CHECK(c.kind == LM_CHAT_NICK && c.name_len == 0);
    c = parse("/msg bob hi  there");
    CHECK(c.kind == LM_CHAT_MSG && eq(c.name, c.name_len, "bob") &&
          eq(c.text, c.text_len, "hi  there"));
    c = parse("/msg bob  indented");
    CHECK(c.kind == LM_CHAT_MSG && eq(c.text, c.text_len, " indented"));
    c = parse("/me waves");
    CHECK(c.kind == LM_CHAT_ME && eq(c.text, c.text_len, "waves"));
}

static void test_errors(void)
{
    lm_chat_cmd c = parse("/msg bob");
    CHECK(c.kind == LM_CHAT_USAGE && eq(c.name, c.name_len, "/msg"));
    c = parse("/msg");
    CHECK(c.kind == LM_CHAT_USAGE && eq(c.name, c.name_len, "/msg"));
    c = parse("/me   ");
    CHECK(c.kind == LM_CHAT_USAGE && eq(c.name, c.name_len, "/me"));
    c = parse("/frobnicate x");
    CHECK(c.kind == LM_CHAT_UNKNOWN && eq(c.name, c.name_len, "/frobnicate"));
    c = parse("/");
    CHECK(c.kind == LM_CHAT_UNKNOWN && eq(c.name, c.name_len, "/"));
    c = parse("/helpx");
    CHECK(c.kind == LM_CHAT_UNKNOWN);
    c = parse("/HELP");
    CHECK(c.kind == LM_CHAT_UNKNOWN); /* commands are lower case */
}

/* Clean a copy of `in` (of n bytes) and compare with `want`. */
static int cleans_to(const char *in, size_t n, const char *want)
{
    char buf[256];
    size_t len;
    memcpy(buf, in, n);
    len = lm_chat_clean(buf, n);
    if (len != strlen(want) || memcmp(buf, want, len) != 0) {
        fprintf(stderr, "cleaned to \"%.*s\", wanted \"%s\"\n", (int)len, buf, want);
        return 0;
    }
    return 1;
}
#define CLEANS_TO(lit, want) cleans_to(lit, sizeof lit - 1, want)

static void test_clean(void)
{
    CHECK(CLEANS_TO("plain text, ol\xc3\xa1", "plain text, ol\xc3\xa1"));
    CHECK(CLEANS_TO("C:\\temp \\x1b", "C:\\temp \\x1b")); /* backslashes are text */
    CHECK(CLEANS_TO("\x1b[31mred\x1b[0m", "red"));        /* colours */
    CHECK(CLEANS_TO("up\x1b[Adown\x1b[1;5B", "updown"));  /* arrow keys */
    CHECK(CLEANS_TO("f1\x1bOPf5\x1b[15~", "f1f5"));       /* function keys */
    CHECK(CLEANS_TO("\x1b]0;pwned\x07title", "title"));   /* window title, BEL */
    CHECK(CLEANS_TO("\x1b]0;pwned\x1b\\title", "title")); /* ... ST */
    CHECK(CLEANS_TO("\x1b]0;never ends", ""));
    CHECK(CLEANS_TO("alt\x1bx", "alt"));
    CHECK(CLEANS_TO("\x1b(Bcharset", "charset"));
    CHECK(CLEANS_TO("lone\x1b", "lone"));
    CHECK(CLEANS_TO("two\x1b\x1b[1mbold", "twobold"));
    CHECK(CLEANS_TO("a\tb", "a b"));
    CHECK(CLEANS_TO("bell\x07 nul\x00 cr\r lf\n del\x7f", "bell nul cr lf del"));
    CHECK(CLEANS_TO("c1 \xc2\x9b"
                    "31mcsi",
                    "c1 csi")); /* U+009B is CSI */
    CHECK(CLEANS_TO("c1 \xc2\x85nel", "c1 nel"));
    CHECK(CLEANS_TO("bidi \xe2\x80\xae"
                    "evil\xe2\x81\xa6",
                    "bidi evil"));
    CHECK(CLEANS_TO("bad \xff\xc3 utf8 \xed\xa0\x80", "bad ?? utf8 ???"));
    CHECK(CLEANS_TO("", ""));
}

int main(void)
{
    test_messages();
    test_commands();
    test_errors();
    test_clean();
    return 0;
}
