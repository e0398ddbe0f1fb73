/* Unit tests for fingerprints (src/trust/fingerprint.c): the text form is
 * eight groups of seven Crockford base32 characters with one Luhn mod 32
 * check character per block of two groups; every single mistyped character
 * is caught and the error names its groups; parsing forgives case, spaces,
 * dashes and Crockford's look-alikes, and takes 64 hex digits. */
#include "trust/fingerprint.h"

#include <string.h>

#include "check.h"
#include "util/text.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* The check character as docs/pairing.md describes it, written again here
 * from that description so the test does not trust the code it checks. */
static char check_char(int block, const char *sym13)
{
    int values[14], sum = 0;
    values[0] = block;
    for (int i = 0; i < 13; i++)
        values[i + 1] = (int)(strchr(alphabet, sym13[i]) - alphabet);
    for (int i = 13, k = 0; i >= 0; i--, k++) {
        int add = values[i] * (k % 2 == 0 ? 2 : 1);
        sum += add / 32 + add % 32;
    }
    return alphabet[(32 - sum % 32) % 32];
}

static void strip(const char *in, char *out)
{
    for (; *in; in++)
        if (*in != '-')
            *out++ = *in;
    *out = '\0';
}

static void test_shape_and_known_value(void)
{
    unsigned char fp[32] = {0}, back[32];
    char text[LM_FP_TEXT_MAX], err[256];

    lm_fp_format(fp, text);
    /* Block n's only non-zero input is n itself, at an undoubled place. */
    CHECK(strcmp(text, "0000000-0000000-0000000-000000Z-0000000-000000Y-0000000-000000X") == 0);
    CHECK(lm_fp_parse(text, back, err, sizeof err) == 0);
    CHECK(memcmp(fp, back, 32) == 0);

    for (int i = 0; i < 32; i++)
        fp[i] = (unsigned char)(i * 37 + 11);
    lm_fp_format(fp, text);
    CHECK(strlen(text) == 63);
    for (int i = 0; i < 63; i++)
        CHECK((i % 8 == 7) == (text[i] == '-'));
    char s[64];
    strip(text, s);
    for (int b = 0; b < 4; b++)
        CHECK(s[b * 14 + 13] == check_char(b, s + b * 14));
    CHECK(lm_fp_parse(text, back, err, sizeof err) == 0);
    CHECK(memcmp(fp, back, 32) == 0);
}

static void test_roundtrip_many(void)
{
    unsigned char fp[32], back[32];
    char text[LM_FP_TEXT_MAX], err[256];
    unsigned x = 12345;
    for (int n = 0; n < 500; n++) {
        for (int i = 0; i < 32; i++) {
            x = x * 1103515245u + 12345u;
            fp[i] = (unsigned char)(x >> 16);
        }
        lm_fp_format(fp, text);
        CHECK(lm_fp_parse(text, back, err, sizeof err) == 0);
        CHECK(lm_fp_equal(fp, back));
    }
}

static void test_forgiving(void)
{
    unsigned char fp[32], back[32];
    char text[LM_FP_TEXT_MAX], loose[200], err[256];
    for (int i = 0; i < 32; i++)
        fp[i] = (unsigned char)(0x10 * i + 1);
    lm_fp_format(fp, text);

    /* lower case, spaces for dashes, 1 as l, 0 as o */
    size_t o = 0;
    for (const char *p = text; *p; p++) {
        char c = *p;
        if (c == '-')
            c = ' ';
        else if (c == '1')
            c = 'l';
        else if (c == '0')
            c = 'o';
        else if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        loose[o++] = c;
    }
    loose[o] = '\0';
    CHECK(lm_fp_parse(loose, back, err, sizeof err) == 0);
    CHECK(lm_fp_equal(fp, back));
    strip(text, loose);
    CHECK(lm_fp_parse(loose, back, err, sizeof err) == 0);
    CHECK(lm_fp_equal(fp, back));

    /* 64 hex digits, with colons, as openssl prints them */
    o = 0;
    for (int i = 0; i < 32; i++)
        o += (size_t)snprintf(loose + o, sizeof loose - o, "%s%02X", i ? ":" : "", fp[i]);
    CHECK(lm_fp_parse(loose, back, err, sizeof err) == 0);
    CHECK(lm_fp_equal(fp, back));
}

static void test_every_typo_is_caught(void)
{
    unsigned char fp[32], back[32];
    char text[LM_FP_TEXT_MAX], bad[LM_FP_TEXT_MAX], err[256], want[32];
    int swaps = 0, swaps_caught = 0;
    for (int i = 0; i < 32; i++)
        fp[i] = (unsigned char)(0xA5 ^ (i * 29));
    lm_fp_format(fp, text);

    for (size_t pos = 0; pos < strlen(text); pos++) {
        if (text[pos] == '-')
            continue;
        int group = (int)(pos / 8) + 1, first = (group + 1) / 2 * 2 - 1;
        for (const char *a = alphabet; *a; a++) {
            if (*a == text[pos])
                continue;
            memcpy(bad, text, sizeof bad);
            bad[pos] = *a;
            CHECK(lm_fp_parse(bad, back, err, sizeof err) != 0);
            snprintf(want, sizeof want, "groups %d-%d", first, first + 1);
            CHECK(strstr(err, want) != NULL || strstr(err, "bits") != NULL);
        }
        /* neighbours swapped (within a group): Luhn catches nearly all */
        if (pos + 1 < strlen(text) && text[pos + 1] != '-' && text[pos] != text[pos + 1]) {
            memcpy(bad, text, sizeof bad);
            bad[pos] = text[pos + 1];
            bad[pos + 1] = text[pos];
            swaps++;
            swaps_caught += lm_fp_parse(bad, back, err, sizeof err) != 0;
        }
    }
    CHECK(swaps > 40 && swaps_caught >= swaps - 2);
}

static void test_errors(void)
{
    unsigned char back[32];
    char err[256];
    CHECK(lm_fp_parse("ABCD", back, err, sizeof err) != 0);
    CHECK(strstr(err, "4 characters") && strstr(err, "56"));
    CHECK(lm_fp_parse("", back, err, sizeof err) != 0);
    char text[LM_FP_TEXT_MAX];
    unsigned char fp[32] = {1, 2, 3};
    lm_fp_format(fp, text);
    text[9] = 'U'; /* not in Crockford's alphabet */
    CHECK(lm_fp_parse(text, back, err, sizeof err) != 0);
    CHECK(strstr(err, "'U'") && strstr(err, "group 2"));
    text[9] = '*';
    CHECK(lm_fp_parse(text, back, err, sizeof err) != 0);

    /* Padding bits set, with a check character that matches them. */
    char s[64];
    lm_fp_format((unsigned char[32]){0}, text);
    strip(text, s);
    s[3 * 14 + 12] = '1'; /* the last data symbol: data bit 0, pad bits 0001 */
    s[3 * 14 + 13] = check_char(3, s + 3 * 14);
    CHECK(lm_fp_parse(s, back, err, sizeof err) != 0);
    CHECK(strstr(err, "bits") != NULL);
}

int main(void)
{
    lm_lang_init("en");
    test_shape_and_known_value();
    test_roundtrip_many();
    test_forgiving();
    test_every_typo_is_caught();
    test_errors();
    puts("fingerprint: ok");
    return 0;
}
