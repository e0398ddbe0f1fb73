/* Unit tests for the text module: the catalog is complete and its two
 * languages take the same printf arguments, the language comes from the
 * right variable, escaping makes hostile bytes visible and harmless, and the
 * log functions honour the level. */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv */

#include "util/text.h"

#include <string.h>

#include "check.h"

/* The environment helpers differ on Windows; this is the one place the test
 * needs to know. */
#if defined(_WIN32)
static void set_env(const char *name, const char *value)
{
    _putenv_s(name, value != NULL ? value : "");
}
#else
static void set_env(const char *name, const char *value)
{
    if (value != NULL)
        setenv(name, value, 1);
    else
        unsetenv(name);
}
#endif

/* ---- catalog ---- */

/* Reduce a format string to what decides its arguments: one entry per
 * conversion, holding any '*' (an int argument), the length modifier and
 * the conversion letter. Flags, digits and "%%" take no argument and are
 * left out, so a translation may change widths. Returns the count, or -1 for
 * a conversion this parser does not know (which the catalog should not use). */
static int signature(const char *fmt, char sig[][8], int max)
{
    int n = 0;
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%')
            continue;
        p++;
        if (*p == '%')
            continue;
        if (n == max)
            return -1;
        char *s = sig[n++];
        int k = 0;
        while (*p != '\0' && strchr("-+ #0'", *p) != NULL)
            p++;
        if (*p == '*')
            s[k++] = '*', p++;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p == '.') {
            p++;
            if (*p == '*')
                s[k++] = '*', p++;
            while (*p >= '0' && *p <= '9')
                p++;
        }
        while (*p != '\0' && strchr("hljztL", *p) != NULL && k < 4)
            s[k++] = *p++;
        if (*p == '\0' || strchr("diouxXfFeEgGaAcspn", *p) == NULL)
            return -1;
        s[k++] = *p;
        s[k] = '\0';
    }
    return n;
}

static void test_signature_parser(void)
{
    char a[8][8];
    CHECK(signature("no conversions, 100%% sure", a, 8) == 0);
    CHECK(signature("%s:%d %-10.*s %lu %zu %5.2f%%", a, 8) == 6);
    CHECK(strcmp(a[0], "s") == 0 && strcmp(a[1], "d") == 0 && strcmp(a[2], "*s") == 0);
    CHECK(strcmp(a[3], "lu") == 0 && strcmp(a[4], "zu") == 0 && strcmp(a[5], "f") == 0);
    CHECK(signature("bad %y", a, 8) == -1);
    CHECK(signature("cut %", a, 8) == -1);
}

static void test_catalog(void)
{
    for (int i = 0; i < LM_M__COUNT; i++) {
        const char *en = lm_tr_lang((lm_msg_id)i, 0);
        const char *pt = lm_tr_lang((lm_msg_id)i, 1);
        char sen[16][8], spt[16][8];
        int nen, npt;

        if (en[0] == '\0' || pt[0] == '\0' || lm_msg_name((lm_msg_id)i)[0] == '\0') {
            fprintf(stderr, "catalog entry %s is empty\n", lm_msg_name((lm_msg_id)i));
            CHECK(!"every catalog entry has English and Portuguese text");
        }
        nen = signature(en, sen, 16);
        npt = signature(pt, spt, 16);
        if (nen < 0 || nen != npt) {
            fprintf(stderr, "catalog entry %s: \"%s\" vs \"%s\"\n", lm_msg_name((lm_msg_id)i), en,
                    pt);
            CHECK(!"both languages take the same conversions");
        }
        for (int j = 0; j < nen; j++) {
            if (strcmp(sen[j], spt[j]) != 0) {
                fprintf(stderr, "catalog entry %s: conversion %d is %%%s in en, %%%s in pt\n",
                        lm_msg_name((lm_msg_id)i), j + 1, sen[j], spt[j]);
                CHECK(!"both languages take the same conversions");
            }
        }
    }
    CHECK(strcmp(lm_msg_name(LM_M_OUT_OF_MEMORY), "OUT_OF_MEMORY") == 0);
}

static void test_language_choice(void)
{
    set_env("LC_ALL", NULL);
    set_env("LC_MESSAGES", NULL);
    set_env("LANG", NULL);
    CHECK(lm_lang_init(NULL) == 0 && !lm_lang_is_pt());

    set_env("LANG", "pt_PT.UTF-8");
    CHECK(lm_lang_init(NULL) == 0 && lm_lang_is_pt());
    CHECK(strcmp(lm_tr(LM_M_OUT_OF_MEMORY), lm_tr_lang(LM_M_OUT_OF_MEMORY, 1)) == 0);

    set_env("LC_ALL", "en_GB.UTF-8");
    CHECK(lm_lang_init(NULL) == 0 && !lm_lang_is_pt());

    /* Set but empty does not count. */
    set_env("LC_ALL", "");
    CHECK(lm_lang_init(NULL) == 0 && lm_lang_is_pt());

    set_env("LC_ALL", NULL);
    set_env("LANG", "C");
    set_env("LC_MESSAGES", "pt_BR.UTF-8");
    CHECK(lm_lang_init(NULL) == 0 && lm_lang_is_pt());

    /* An explicit choice wins over the environment. */
    set_env("LC_ALL", "pt_PT.UTF-8");
    CHECK(lm_lang_init("en") == 0 && !lm_lang_is_pt());
    CHECK(strcmp(lm_tr(LM_M_OUT_OF_MEMORY), "out of memory") == 0);
    CHECK(lm_lang_init("pt") == 0 && lm_lang_is_pt());
    CHECK(lm_lang_init("fr") == -1);
    CHECK(lm_lang_init("en") == 0);
}

/* ---- escaping ---- */

/* Escape a byte string into a buffer of outlen and compare with want. */
static int esc_is(const char *in, size_t len, size_t outlen, const char *want)
{
    char out[256];
    CHECK(outlen <= sizeof out);
    memset(out, 'Z', sizeof out);
    size_t n = lm_escape(out, outlen, in, len);
    if (n != strlen(want) || strcmp(out, want) != 0) {
        fprintf(stderr, "escape gave \"%s\" (%zu), wanted \"%s\"\n", out, n, want);
        return 0;
    }
    return out[n] == '\0' && n < outlen;
}

#define ESC(lit, want) esc_is(lit, sizeof lit - 1, 256, want)

static void test_escape(void)
{
    CHECK(ESC("plain ascii, 100%", "plain ascii, 100%"));
    CHECK(ESC("", ""));
    CHECK(ESC("Olá, ção", "Olá, ção"));
    CHECK(ESC("\xf0\x9f\x98\x80 \xe2\x82\xac", "\xf0\x9f\x98\x80 \xe2\x82\xac"));
    CHECK(ESC("\x1b[31mred", "\\x1b[31mred"));
    CHECK(ESC("a\0b", "a\\x00b"));
    CHECK(ESC("\n\r\t", "\\n\\r\\t"));
    CHECK(ESC("back\\slash", "back\\\\slash"));
    CHECK(ESC("del\x7f", "del\\x7f"));
    CHECK(ESC("\xff", "\\xff"));
    CHECK(ESC("\xc0\xaf", "\\xc0\\xaf"));                   /* overlong "/" */
    CHECK(ESC("\xe0\x80\xaf", "\\xe0\\x80\\xaf"));          /* overlong, 3 bytes */
    CHECK(ESC("\xc2\x9b", "\\xc2\\x9b"));                   /* C1 CSI */
    CHECK(ESC("\xc2\xa0", "\xc2\xa0"));                     /* U+00A0 is printable */
    CHECK(ESC("\xed\xa0\x80", "\\xed\\xa0\\x80"));          /* surrogate */
    CHECK(ESC("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80")); /* past U+10FFFF */
    CHECK(ESC("cut \xc3", "cut \\xc3"));                    /* sequence cut short */
    CHECK(ESC("\xc3(", "\\xc3("));                          /* bad continuation */

    /* Truncation: "..." at a character boundary, never splitting an escape
     * or a UTF-8 sequence, and the result always fits with its NUL. */
    CHECK(esc_is("abcdefghij", 10, 8, "abcd..."));
    CHECK(esc_is("abcdefg", 7, 8, "abcdefg"));
    CHECK(esc_is("\xc3\xa1\xc3\xa1\xc3\xa1\xc3\xa1\xc3\xa1", 10, 8, "\xc3\xa1\xc3\xa1..."));
    CHECK(esc_is("\x01\x02\x03", 3, 10, "\\x01..."));
    CHECK(esc_is("abcdef", 6, 3, ".."));
    CHECK(esc_is("abcdef", 6, 1, ""));

    char out[4] = "xyz";
    CHECK(lm_escape(out, 0, "abc", 3) == 0 && strcmp(out, "xyz") == 0);
}

/* ---- formatting and logging ---- */

static void test_format(void)
{
    char buf[64];
    lm_lang_init("en");
    CHECK(lm_format(buf, sizeof buf, LM_M_OUT_OF_MEMORY) == (int)strlen("out of memory"));
    CHECK(strcmp(buf, "out of memory") == 0);
    /* Truncated, NUL-terminated, and the full length reported. */
    CHECK(lm_format(buf, 4, LM_M_OUT_OF_MEMORY) == (int)strlen("out of memory"));
    CHECK(strcmp(buf, "out") == 0);
}

/* The whole of a small file, for comparing what a log call printed. */
static int file_is(const char *path, const char *want)
{
    char got[512];
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL);
    size_t n = fread(got, 1, sizeof got - 1, fp);
    fclose(fp);
    remove(path);
    got[n] = '\0';
    return strcmp(got, want) == 0;
}

/* Last, because stdout and stderr are redirected into files for good. */
static void test_logging(void)
{
    lm_lang_init("en");
    CHECK(freopen("test_text.stdout", "w", stdout) != NULL);
    lm_log_set_level(LM_LOG_QUIET);
    CHECK(lm_log_level() == LM_LOG_QUIET);
    lm_info(LM_M_OUT_OF_MEMORY);
    lm_debug(LM_M_OUT_OF_MEMORY);
    lm_log_set_level(LM_LOG_NORMAL);
    lm_info(LM_M_OUT_OF_MEMORY);
    lm_debug(LM_M_OUT_OF_MEMORY);
    lm_log_set_level(LM_LOG_VERBOSE);
    lm_debug(LM_M_OUT_OF_MEMORY);
    CHECK(file_is("test_text.stdout", "out of memory\nout of memory\n"));

    /* A failed check below lands in the file; the exit status still says so. */
    CHECK(freopen("test_text.stderr", "w", stderr) != NULL);
    lm_log_set_level(LM_LOG_QUIET);
    lm_log_set_program("build/bin/lanmsg-client");
    lm_warn(LM_M_OUT_OF_MEMORY);
    lm_lang_init("pt");
    lm_warn(LM_M_OUT_OF_MEMORY);
    char want[256];
    snprintf(want, sizeof want, "lanmsg-client: out of memory\nlanmsg-client: %s\n",
             lm_tr_lang(LM_M_OUT_OF_MEMORY, 1));
    CHECK(file_is("test_text.stderr", want));
}

int main(void)
{
    test_signature_parser();
    test_catalog();
    test_language_choice();
    test_escape();
    test_format();
    puts("test_text: all checks passed");
    fflush(stdout);
    test_logging();
    return 0;
}
