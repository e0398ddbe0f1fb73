/* lanmsg DTLS records as the engine sees them: the first record header of
 * a datagram, read without keys or state, to sort datagrams by peer (the
 * connection ID of a tls12_cid record) and to drop at once what cannot be
 * DTLS before any library state is touched. No mbedTLS here: the engine
 * and the fuzz targets use it in every build. */
#include <string.h>

#include "lanmsg/dtls.h"
#include "util/text.h"

#define HDR      13 /* type, version, epoch, sequence number (6), length */
#define HS_HDR   12 /* msg_type, length (3), message_seq (2), fragment offset and length (3+3) */
#define TYPE_CID 25 /* RFC 9146 tls12_cid */

/* The cookie of a ClientHello (RFC 6347 4.2.1): after the version (2),
 * the random (32) and the session ID (1 + up to 32), in the first
 * fragment. Left NULL when the record does not reach that far. */
static void hello_cookie(const unsigned char *hs, size_t len, lm_dtls_rec *out)
{
    const unsigned char *b = hs + HS_HDR;
    size_t n = len - HS_HDR, at;

    if (hs[6] | hs[7] | hs[8]) /* fragment offset: not the first fragment */
        return;
    at = 2 + 32;
    if (n < at + 1 || b[at] > 32)
        return;
    at += 1 + b[at];
    if (n < at + 1 || n - at - 1 < b[at])
        return;
    out->cookie_len = b[at];
    out->cookie = b + at + 1;
}

lm_dtls_rec_status lm_dtls_peek(const void *data, size_t len, size_t cid_len, lm_dtls_rec *out)
{
    const unsigned char *p = data;
    size_t hdr;

    memset(out, 0, sizeof *out);
    if (len < HDR)
        return LM_DTLS_REC_SHORT;
    /* change_cipher_spec, alert, handshake, application_data, heartbeat,
     * tls12_cid; every DTLS version has 0xfe as its first byte. */
    if (p[0] < 20 || p[0] > TYPE_CID || p[1] != 0xfe)
        return LM_DTLS_REC_NOT_DTLS;
    out->type = p[0];
    out->epoch = (unsigned)p[3] << 8 | p[4];
    hdr = HDR;
    if (p[0] == TYPE_CID) {
        /* The ID sits between the sequence number and the length; only
         * keyed records carry one. */
        if (out->epoch == 0 || cid_len == 0)
            return LM_DTLS_REC_NOT_DTLS;
        if (len < HDR + cid_len)
            return LM_DTLS_REC_SHORT;
        out->cid = p + 11;
        hdr += cid_len;
    }
    out->len = (size_t)p[hdr - 2] << 8 | p[hdr - 1];
    if (out->len > len - hdr)
        return LM_DTLS_REC_TRUNCATED;
    out->client_hello = p[0] == 22 && out->epoch == 0 && out->len >= HS_HDR && p[hdr] == 1;
    if (out->client_hello)
        hello_cookie(p + hdr, out->len, out);
    return LM_DTLS_REC_OK;
}

const char *lm_dtls_rec_why(lm_dtls_rec_status st)
{
    switch (st) {
    case LM_DTLS_REC_OK:
        break;
    case LM_DTLS_REC_SHORT:
        return lm_tr(LM_M_DTLS_REC_SHORT);
    case LM_DTLS_REC_NOT_DTLS:
        return lm_tr(LM_M_DTLS_REC_NOT_DTLS);
    case LM_DTLS_REC_TRUNCATED:
        return lm_tr(LM_M_DTLS_REC_TRUNCATED);
    }
    return "";
}
