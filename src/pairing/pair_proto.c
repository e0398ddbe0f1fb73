/* lanmsg pairing: transcript and key confirmation (see pair_proto.h and
 * docs/pairing.md). Every input is length-prefixed or of fixed length, and
 * every MAC has its own label, so no message of one kind can be read as
 * another and no MAC can be reflected back to its sender. */
#include "pairing/pair_proto.h"

#include <string.h>

#include "transport/tls_pake.h"

static const char label_transcript[] = "lanmsg-pair/1 transcript";
static const char label_binding[] = "lanmsg-pair/1 binding";
static const char label_client_code[] = "lanmsg-pair/1 client code";
static const char label_client_bind[] = "lanmsg-pair/1 client bind";
static const char label_server_code[] = "lanmsg-pair/1 server code";
static const char label_server_bind[] = "lanmsg-pair/1 server bind";

void lm_ptrans_init(lm_ptrans *t)
{
    t->len = 0;
    t->overflow = 0;
    lm_ptrans_add(t, (const unsigned char *)label_transcript, sizeof label_transcript - 1);
}

void lm_ptrans_add(lm_ptrans *t, const unsigned char *p, size_t n)
{
    if (t->overflow || n > sizeof t->buf - t->len - 4) {
        t->overflow = 1;
        return;
    }
    t->buf[t->len++] = (unsigned char)(n >> 24);
    t->buf[t->len++] = (unsigned char)(n >> 16);
    t->buf[t->len++] = (unsigned char)(n >> 8);
    t->buf[t->len++] = (unsigned char)n;
    if (n)
        memcpy(t->buf + t->len, p, n);
    t->len += n;
}

/* HMAC-SHA256(k, label || a (32) || tail (0..33)) */
static int mac(const unsigned char k[32], const char *label, const unsigned char a[32],
               const unsigned char *tail, size_t tail_len, unsigned char out[32])
{
    unsigned char in[64 + 32 + 33];
    size_t ll = strlen(label);
    memcpy(in, label, ll);
    memcpy(in + ll, a, 32);
    if (tail_len)
        memcpy(in + ll + 32, tail, tail_len);
    return lm_pake_hmac(k, 32, in, ll + 32 + tail_len, out);
}

/* The two digests both MACs start from: the messages, and the messages
 * with this side's view of the channel. */
static int digests(const lm_ptrans *t, const lm_pair_binding *b, const unsigned char client_fp[32],
                   unsigned char msgs[32], unsigned char bind[32])
{
    unsigned char in[sizeof label_binding - 1 + 32 * 3 + LM_PAIR_EXPORTER_LEN];
    size_t at = 0;
    if (t->overflow || lm_pake_sha256(t->buf, t->len, msgs) != 0)
        return -1;
    memcpy(in + at, label_binding, sizeof label_binding - 1);
    at += sizeof label_binding - 1;
    memcpy(in + at, msgs, 32);
    at += 32;
    memcpy(in + at, b->server_fp, 32);
    at += 32;
    memcpy(in + at, b->exporter, LM_PAIR_EXPORTER_LEN);
    at += LM_PAIR_EXPORTER_LEN;
    memcpy(in + at, client_fp, 32);
    at += 32;
    return lm_pake_sha256(in, at, bind);
}

int lm_pproto_client_macs(const unsigned char k[32], const lm_ptrans *t, const lm_pair_binding *b,
                          const unsigned char client_fp[32], lm_pmacs *out)
{
    unsigned char msgs[32], bind[32];
    if (digests(t, b, client_fp, msgs, bind) != 0 ||
        mac(k, label_client_code, msgs, NULL, 0, out->code) != 0 ||
        mac(k, label_client_bind, bind, NULL, 0, out->bind) != 0)
        return -1;
    return 0;
}

int lm_pproto_server_macs(const unsigned char k[32], const lm_ptrans *t, const lm_pair_binding *b,
                          const unsigned char client_fp[32], int status, const unsigned char *cert,
                          size_t cert_len, lm_pmacs *out)
{
    unsigned char msgs[32], bind[32], tail[33];
    tail[0] = (unsigned char)status;
    if (lm_pake_sha256(cert ? cert : (const unsigned char *)"", cert_len, tail + 1) != 0 ||
        digests(t, b, client_fp, msgs, bind) != 0 ||
        mac(k, label_server_code, msgs, tail, sizeof tail, out->code) != 0 ||
        mac(k, label_server_bind, bind, tail, sizeof tail, out->bind) != 0)
        return -1;
    return 0;
}

int lm_pproto_equal(const unsigned char *a, const unsigned char *b, size_t n)
{
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}
