/* lanmsg pairing messages: the bytes of the pairing protocol, and the one
 * parser that reads them.
 *
 * Every message is a frame:
 *     type (1 byte) | payload length (2 bytes, big-endian) | payload
 * and every payload is a fixed sequence of fields for its type, each
 *     length (2 bytes, big-endian) | bytes
 * with a minimum and maximum length per field, and nothing after the last.
 * The parser checks all of it and hands back spans into the caller's
 * buffer; anything else (an unknown type, a length out of bounds, a field
 * missing or extra, a frame longer than LM_PMSG_FRAME_MAX) is malformed.
 * docs/pairing.md lists the messages; tests/fuzz/fuzz_pairing.c fuzzes
 * this parser. */
#ifndef LANMSG_PAIRING_PAIR_MSG_H
#define LANMSG_PAIRING_PAIR_MSG_H

#include <stddef.h>

#define LM_PMSG_PAYLOAD_MAX 4096
#define LM_PMSG_FRAME_MAX   (3 + LM_PMSG_PAYLOAD_MAX)
#define LM_PMSG_FIELDS_MAX  4
#define LM_PMSG_MAC_LEN     32

typedef enum lm_pmsg_type {
    LM_PMSG_HELLO = 1,     /* C->S: version, name, EC-JPAKE round 1 */
    LM_PMSG_SERVER_KX = 2, /* S->C: round 1, round 2 */
    LM_PMSG_CLIENT_KX = 3, /* C->S: round 2, CSR, code MAC, binding MAC */
    LM_PMSG_RESULT = 4,    /* S->C: status, code MAC, binding MAC, certificate */
    LM_PMSG_ERROR = 5      /* either way: code, detail */
} lm_pmsg_type;

/* Field order per type (indexes into lm_pmsg.f). */
enum { LM_PMSG_HELLO_VERSION = 0, LM_PMSG_HELLO_NAME = 1, LM_PMSG_HELLO_ROUND1 = 2 };
enum { LM_PMSG_SKX_ROUND1 = 0, LM_PMSG_SKX_ROUND2 = 1 };
enum {
    LM_PMSG_CKX_ROUND2 = 0,
    LM_PMSG_CKX_CSR = 1,
    LM_PMSG_CKX_CODE_MAC = 2,
    LM_PMSG_CKX_BIND_MAC = 3
};
enum {
    LM_PMSG_RES_STATUS = 0,
    LM_PMSG_RES_CODE_MAC = 1,
    LM_PMSG_RES_BIND_MAC = 2,
    LM_PMSG_RES_CERT = 3
};
enum { LM_PMSG_ERR_CODE = 0, LM_PMSG_ERR_DETAIL = 1 };

/* RESULT status byte. */
enum {
    LM_PMSG_OK = 0,
    LM_PMSG_CHANNEL_MISMATCH = 1, /* the code was right, the two TLS channels differ */
    LM_PMSG_NAME_TAKEN = 2,
    LM_PMSG_BAD_REQUEST = 3,
    LM_PMSG_SERVER_FAILED = 4
};

/* ERROR code byte (detail: attempts left for WRONG_CODE, else 0). */
enum {
    LM_PMSG_E_WRONG_CODE = 1,
    LM_PMSG_E_NO_CODE = 2,  /* expired, already used, or none being offered */
    LM_PMSG_E_BURNED = 3,   /* too many wrong codes */
    LM_PMSG_E_BUSY = 4,     /* another client is pairing */
    LM_PMSG_E_PROTOCOL = 5, /* malformed or out-of-order message */
    LM_PMSG_E_VERSION = 6,
    LM_PMSG_E_NAME = 7,  /* not a valid name, or taken (detail 1) */
    LM_PMSG_E_SERVER = 8 /* the server failed */
};

#define LM_PMSG_VERSION 1

typedef struct lm_pmsg_span {
    const unsigned char *p;
    size_t len;
} lm_pmsg_span;

typedef struct lm_pmsg {
    int type;
    int nfields;
    lm_pmsg_span f[LM_PMSG_FIELDS_MAX];
} lm_pmsg;

enum { LM_PMSG_PARSED = 1, LM_PMSG_MORE = 0, LM_PMSG_BAD = -1 };

/* Parse one frame from the start of buf. LM_PMSG_PARSED with *used set to
 * the frame's length; LM_PMSG_MORE when buf holds only part of a frame
 * (that is not yet known to be bad); LM_PMSG_BAD otherwise. */
int lm_pmsg_parse(const unsigned char *buf, size_t len, lm_pmsg *out, size_t *used);

/* Write a frame of `type` with these fields (checked against the type's
 * rules, so we never send what we would refuse). Returns its length, or 0
 * when it does not fit in cap or breaks a rule. */
size_t lm_pmsg_build(unsigned char *out, size_t cap, int type, const lm_pmsg_span *fields, int n);

#endif
