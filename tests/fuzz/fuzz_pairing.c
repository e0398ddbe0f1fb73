/* Fuzz target: the pairing protocol's parser (src/pairing/pair_msg.c) and
 * the server's state machine behind it (src/pairing/pair_server.c).
 *
 * The parser's promises, checked besides the sanitizers: a parsed frame
 * lies inside the input, its fields inside the frame and within their
 * bounds, and building the same fields gives back the same bytes; "more"
 * is said only while a frame could still complete. Then the whole input is
 * fed, as a stream, to a server conversation with a fixed code: every
 * outcome must be a refusal (random bytes cannot prove the code), with an
 * ERROR frame or nothing as the answer, and never an enrolment. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pairing/pairing.h"

static void check_frame(const uint8_t *data, size_t size)
{
    lm_pmsg m;
    size_t used = 0;
    int rc = lm_pmsg_parse(data, size, &m, &used);

    if (rc == LM_PMSG_MORE) {
        if (used != 0)
            abort();
        if (size >= 3 && size >= 3 + ((size_t)data[1] << 8 | data[2]))
            abort(); /* the whole frame was there */
        return;
    }
    if (rc != LM_PMSG_PARSED)
        return;
    if (used < 3 || used > size || used > LM_PMSG_FRAME_MAX || m.type != data[0])
        abort();
    for (int i = 0; i < m.nfields; i++)
        if (m.f[i].len && (m.f[i].p < data + 3 || m.f[i].p + m.f[i].len > data + used))
            abort();
    uint8_t *again = malloc(LM_PMSG_FRAME_MAX);
    if (!again)
        return;
    size_t n = lm_pmsg_build(again, LM_PMSG_FRAME_MAX, m.type, m.f, m.nfields);
    if (n != used || memcmp(again, data, used) != 0)
        abort();
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const lm_pair_issuer iss = {"fuzz-no-such-dir", "fuzz-no-such-dir/clients", 1};
    static const lm_pair_binding bind = {{1}, {2}};
    uint8_t *copy = malloc(size ? size : 1), *out = malloc(LM_PMSG_FRAME_MAX);
    lm_pcode *code = lm_pcode_from("1234567897", 0, 0, 3);
    lm_pair_server *s = code ? lm_pair_server_new(code, &iss, &bind) : NULL;
    size_t at = 0;

    if (!copy || !out || !s)
        goto done;
    /* An exact-size copy, so ASan sees any read past the end. */
    if (size)
        memcpy(copy, data, size);
    check_frame(copy, size);

    for (int turns = 0; turns < 8; turns++) {
        size_t used = 0, outlen = 0;
        lm_pair_status st = lm_pair_server_input(s, copy + at, size - at, &used, 1, out,
                                                 LM_PMSG_FRAME_MAX, &outlen);
        if (st == LM_PAIR_DONE || used > size - at || outlen > LM_PMSG_FRAME_MAX)
            abort();
        if (outlen) {
            lm_pmsg m;
            size_t u;
            if (lm_pmsg_parse(out, outlen, &m, &u) != LM_PMSG_PARSED || u != outlen)
                abort(); /* we only ever send well-formed frames */
        }
        if (st == LM_PAIR_FAILED || used == 0)
            break;
        at += used;
    }
    if (lm_pair_server_eof(s) == LM_PAIR_DONE)
        abort();
done:
    lm_pair_server_free(s);
    lm_pcode_free(code);
    free(out);
    free(copy);
    return 0;
}
