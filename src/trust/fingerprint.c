/* lanmsg fingerprints: Crockford base32 with a Luhn mod 32 check character
 * per block. See fingerprint.h for the form and why. */
#include "trust/fingerprint.h"

#include <stdarg.h>
#include <string.h>

#include "util/text.h"

#define SYMBOLS    52 /* ceil(256 / 5) */
#define BLOCKS     4
#define BLOCK_LEN  13 /* SYMBOLS / BLOCKS */
#define TEXT_CHARS 56 /* BLOCKS * (BLOCK_LEN + 1) */
#define GROUP_LEN  7
#define HEX_CHARS  64

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void set_err(char *err, size_t errlen, lm_msg_id id, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, id);
    lm_vformat(err, errlen, id, ap);
    va_end(ap);
}

/* A symbol's value, or -1. Lower case is upper case; I and L are 1 and O
 * is 0, the misreadings Crockford's alphabet is built to forgive. */
static int symbol_value(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    if (c == 'I' || c == 'L')
        return 1;
    if (c == 'O')
        return 0;
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

/* Luhn mod 32 over the block number followed by the block's values: from
 * the right, every second value is doubled and its two base-32 digits are
 * added. The check value makes the sum a multiple of 32. Folding in the
 * block number catches two whole blocks swapped. */
static int luhn32(int block, const int *v, size_t n)
{
    int sum = 0, factor = 2;
    for (size_t i = n + 1; i-- > 0;) {
        int x = i == 0 ? block : v[i - 1];
        int add = factor * x;
        sum += add / 32 + add % 32;
        factor = factor == 2 ? 1 : 2;
    }
    return (32 - sum % 32) % 32;
}

void lm_fp_format(const unsigned char fp[LM_FP_LEN], char out[LM_FP_TEXT_MAX])
{
    int v[SYMBOLS];
    char text[TEXT_CHARS];
    size_t t = 0, o = 0;

    /* Most significant bit first; bits past the 256th are zero. */
    for (int s = 0; s < SYMBOLS; s++) {
        int x = 0;
        for (int b = 0; b < 5; b++) {
            int bit = s * 5 + b;
            x <<= 1;
            if (bit < 256)
                x |= (fp[bit / 8] >> (7 - bit % 8)) & 1;
        }
        v[s] = x;
    }
    for (int blk = 0; blk < BLOCKS; blk++) {
        for (int i = 0; i < BLOCK_LEN; i++)
            text[t++] = alphabet[v[blk * BLOCK_LEN + i]];
        text[t++] = alphabet[luhn32(blk, &v[blk * BLOCK_LEN], BLOCK_LEN)];
    }
    for (size_t i = 0; i < TEXT_CHARS; i++) {
        if (i > 0 && i % GROUP_LEN == 0)
            out[o++] = '-';
        out[o++] = text[i];
    }
    out[o] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int is_separator(char c)
{
    return c == ' ' || c == '\t' || c == '-' || c == ':';
}

int lm_fp_parse(const char *text, unsigned char fp[LM_FP_LEN], char *err, size_t errlen)
{
    char sym[HEX_CHARS];
    size_t n = 0;
    int all_hex = 1;

    for (const char *p = text; *p; p++) {
        if (is_separator(*p))
            continue;
        if (n < sizeof sym)
            sym[n] = *p;
        all_hex &= hex_value(*p) >= 0;
        n++;
    }
    if (n == HEX_CHARS && all_hex) {
        for (size_t i = 0; i < LM_FP_LEN; i++)
            fp[i] = (unsigned char)(hex_value(sym[2 * i]) << 4 | hex_value(sym[2 * i + 1]));
        return 0;
    }
    if (n != TEXT_CHARS) {
        set_err(err, errlen, LM_M_FP_LENGTH, n);
        return -1;
    }

    int v[SYMBOLS];
    for (int blk = 0; blk < BLOCKS; blk++) {
        int *bv = &v[blk * BLOCK_LEN];
        for (int i = 0; i <= BLOCK_LEN; i++) {
            size_t at = (size_t)blk * (BLOCK_LEN + 1) + (size_t)i;
            int x = symbol_value(sym[at]);
            if (x < 0) {
                char shown[8];
                lm_escape(shown, sizeof shown, &sym[at], 1);
                set_err(err, errlen, LM_M_FP_BAD_CHAR, shown, (int)(at / GROUP_LEN) + 1);
                return -1;
            }
            if (i < BLOCK_LEN)
                bv[i] = x;
            else if (x != luhn32(blk, bv, BLOCK_LEN)) {
                set_err(err, errlen, LM_M_FP_CHECK, 2 * blk + 1, 2 * blk + 2);
                return -1;
            }
        }
    }
    memset(fp, 0, LM_FP_LEN);
    for (int s = 0; s < SYMBOLS; s++) {
        for (int b = 0; b < 5; b++) {
            int bit = s * 5 + b;
            int on = (v[s] >> (4 - b)) & 1;
            if (bit >= 256) {
                /* The padding bits: only one text per key. */
                if (on) {
                    set_err(err, errlen, LM_M_FP_PADDING);
                    return -1;
                }
            } else if (on) {
                fp[bit / 8] |= (unsigned char)(1u << (7 - bit % 8));
            }
        }
    }
    return 0;
}

int lm_fp_equal(const unsigned char a[LM_FP_LEN], const unsigned char b[LM_FP_LEN])
{
    unsigned char d = 0;
    for (size_t i = 0; i < LM_FP_LEN; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}
