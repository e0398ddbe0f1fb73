/* Unit tests of the chat line parser (src/service/chat_cmd.c). */
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
    CHECK(parse("/quit now").kind == LM_CHAT_QUIT);
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

int main(void)
{
    test_messages();
    test_commands();
    test_errors();
    return 0;
}
