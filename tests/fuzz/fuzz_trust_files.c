/* Fuzz target: the parsers of hand-editable trust files and typed-in
 * secrets (src/trust/, src/pairing/pair_code.c): known_servers, the
 * enrolled clients list, fingerprints and pairing codes.
 *
 * Promises checked besides the sanitizers: a file that parses is written
 * back byte for byte; a refused file's error is one line; a fingerprint
 * that parses formats to a text that parses to the same key; a code that
 * parses is ten digits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pairing/pair_code.h"
#include "trust/enrolled.h"
#include "trust/fingerprint.h"
#include "trust/known_servers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512], *text = malloc(size + 1);
    size_t len = 0;
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    lm_known *k = lm_known_parse(text, size, "known_servers", err, sizeof err);
    if (k) {
        char *back = lm_known_text(k, &len);
        if (!back || len != size || memcmp(back, data, size) != 0)
            abort();
        free(back);
        for (size_t i = 0; i < lm_known_count(k); i++)
            if (lm_known_find(k, lm_known_at(k, i)->key) != lm_known_at(k, i))
                abort();
        lm_known_free(k);
    } else if (strchr(err, '\n')) {
        abort();
    }

    lm_enrolled *e = lm_enrolled_parse(text, size, "clients", err, sizeof err);
    if (e) {
        char *back = lm_enrolled_text(e, &len);
        if (!back || len != size || memcmp(back, data, size) != 0)
            abort();
        free(back);
        lm_enrolled_free(e);
    } else if (strchr(err, '\n')) {
        abort();
    }

    unsigned char fp[LM_FP_LEN], again[LM_FP_LEN];
    char shown[LM_FP_TEXT_MAX];
    if (lm_fp_parse(text, fp, err, sizeof err) == 0) {
        lm_fp_format(fp, shown);
        if (lm_fp_parse(shown, again, err, sizeof err) != 0 || !lm_fp_equal(fp, again))
            abort();
    }

    char digits[LM_PCODE_DIGITS + 1];
    if (lm_pcode_parse(text, digits, err, sizeof err) == 0 &&
        (strlen(digits) != LM_PCODE_DIGITS || strspn(digits, "0123456789") != LM_PCODE_DIGITS))
        abort();
    free(text);
    return 0;
}
