/* lanmsg pairing messages: frames and fields, see pair_msg.h. */
#include "pairing/pair_msg.h"

#include <string.h>

typedef struct field_rule {
    size_t min, max;
} field_rule;

typedef struct type_rule {
    int nfields;
    field_rule f[LM_PMSG_FIELDS_MAX];
} type_rule;

/* Bounds that a well-formed peer always meets: round messages of P-256
 * EC-JPAKE are about 330 and 165 bytes, CSRs and certificates of P-256
 * keys a few hundred; the caps leave room for RSA-4096 requests. */
static const type_rule rules[] = {
    [LM_PMSG_HELLO] = {3, {{1, 1}, {1, 32}, {1, 1024}}},
    [LM_PMSG_SERVER_KX] = {2, {{1, 1024}, {1, 1024}}},
    [LM_PMSG_CLIENT_KX] = {4, {{1, 1024}, {1, 2048}, {32, 32}, {32, 32}}},
    [LM_PMSG_RESULT] = {4, {{1, 1}, {32, 32}, {32, 32}, {0, 2048}}},
    [LM_PMSG_ERROR] = {2, {{1, 1}, {1, 1}}},
};

static const type_rule *rule_for(int type)
{
    if (type < LM_PMSG_HELLO || type > LM_PMSG_ERROR)
        return NULL;
    return &rules[type];
}

static size_t get16(const unsigned char *p)
{
    return (size_t)p[0] << 8 | p[1];
}

int lm_pmsg_parse(const unsigned char *buf, size_t len, lm_pmsg *out, size_t *used)
{
    const type_rule *r;
    size_t plen, at;

    *used = 0;
    memset(out, 0, sizeof *out);
    if (len < 1)
        return LM_PMSG_MORE;
    /* Decide on the type before waiting for more: garbage is refused at
     * its first byte, not after the peer sends 4 KiB. */
    r = rule_for(buf[0]);
    if (!r)
        return LM_PMSG_BAD;
    if (len < 3)
        return LM_PMSG_MORE;
    plen = get16(buf + 1);
    if (plen > LM_PMSG_PAYLOAD_MAX || plen < (size_t)r->nfields * 2)
        return LM_PMSG_BAD;
    if (len < 3 + plen)
        return LM_PMSG_MORE;
    at = 3;
    for (int i = 0; i < r->nfields; i++) {
        size_t flen;
        if (3 + plen - at < 2)
            return LM_PMSG_BAD;
        flen = get16(buf + at);
        at += 2;
        if (flen < r->f[i].min || flen > r->f[i].max || flen > 3 + plen - at)
            return LM_PMSG_BAD;
        out->f[i].p = buf + at;
        out->f[i].len = flen;
        at += flen;
    }
    if (at != 3 + plen)
        return LM_PMSG_BAD;
    out->type = buf[0];
    out->nfields = r->nfields;
    *used = at;
    return LM_PMSG_PARSED;
}

size_t lm_pmsg_build(unsigned char *out, size_t cap, int type, const lm_pmsg_span *fields, int n)
{
    const type_rule *r = rule_for(type);
    size_t at = 3;

    if (!r || n != r->nfields || cap < 3)
        return 0;
    for (int i = 0; i < n; i++) {
        size_t flen = fields[i].len;
        if (flen < r->f[i].min || flen > r->f[i].max || cap - at < 2 + flen)
            return 0;
        out[at] = (unsigned char)(flen >> 8);
        out[at + 1] = (unsigned char)flen;
        if (flen)
            memcpy(out + at + 2, fields[i].p, flen);
        at += 2 + flen;
    }
    if (at - 3 > LM_PMSG_PAYLOAD_MAX)
        return 0;
    out[0] = (unsigned char)type;
    out[1] = (unsigned char)((at - 3) >> 8);
    out[2] = (unsigned char)(at - 3);
    return at;
}
