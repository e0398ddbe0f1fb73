/* lanmsg DNS message codec for multicast DNS (RFC 1035 wire format, with the
 * mDNS meanings of RFC 6762: the cache-flush bit in a record's class, the
 * unicast-response bit in a question's class).
 *
 * Everything here reads untrusted bytes from the network, so every read is
 * bounds-checked against the packet, names are read with compression
 * pointers that may only go backwards (each jump lands before the place the
 * previous one started, so no pointer loop can run), and the counts a
 * header declares never size anything: the parser fills a caller-owned
 * lm_dns_msg of fixed size and stops when it is full. No allocation at all.
 *
 * Names are kept in wire form (length-prefixed labels, uncompressed): a
 * service instance name such as "alice's laptop (2)" may hold dots and any
 * UTF-8, which a dotted text form would have to escape. */
#ifndef LANMSG_MDNS_WIRE_H
#define LANMSG_MDNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define LM_DNS_NAME_MAX      255 /* octets of a wire-form name, the root label included */
#define LM_DNS_LABEL_MAX     63
#define LM_DNS_MAX_QUESTIONS 32 /* more in one packet are not read (msg->partial) */
#define LM_DNS_MAX_RECORDS   64
#define LM_DNS_HEADER_LEN    12

enum lm_dns_type {
    LM_DNS_A = 1,
    LM_DNS_PTR = 12,
    LM_DNS_TXT = 16,
    LM_DNS_AAAA = 28,
    LM_DNS_SRV = 33,
    LM_DNS_NSEC = 47,
    LM_DNS_ANY = 255,
};
#define LM_DNS_CLASS_IN      1
#define LM_DNS_CLASS_MASK    0x7fff /* the top bit is mDNS's cache-flush / unicast bit */
#define LM_DNS_FLAG_RESPONSE 0x8000
#define LM_DNS_FLAG_AA       0x0400
#define LM_DNS_FLAG_TC       0x0200
#define LM_DNS_OPCODE_MASK   0x7800
#define LM_DNS_RCODE_MASK    0x000f

enum lm_dns_section { LM_DNS_QD = 0, LM_DNS_AN = 1, LM_DNS_NS = 2, LM_DNS_AR = 3 };

typedef struct lm_dns_name {
    uint8_t len; /* bytes used in b, the final zero included; 0 = not set */
    uint8_t b[LM_DNS_NAME_MAX];
} lm_dns_name;

typedef struct lm_dns_question {
    lm_dns_name name;
    uint16_t type;
    uint16_t cls; /* without the unicast bit */
    int unicast;  /* QU: the asker wants a unicast reply */
} lm_dns_question;

/* One resource record, parsed or to be built. Which fields mean something
 * depends on type: PTR uses target; SRV srv_* and target; A and AAAA addr;
 * TXT rdata/rdlen (the wire form: length-prefixed strings); NSEC target (the
 * next name) and nsec_types (bit t set: type t < 256 exists). For any other
 * type only rdata/rdlen. A parsed record's rdata points into the packet. */
typedef struct lm_dns_rr {
    lm_dns_name name;
    uint16_t type;
    uint16_t cls; /* without the cache-flush bit */
    int cache_flush;
    uint32_t ttl;
    int section; /* LM_DNS_AN, NS or AR */
    const uint8_t *rdata;
    uint16_t rdlen;
    lm_dns_name target;
    uint16_t srv_priority, srv_weight, srv_port;
    uint8_t addr[16];
    uint8_t nsec_types[32];
} lm_dns_rr;

typedef struct lm_dns_msg {
    uint16_t id, flags;
    uint16_t declared[4]; /* the header's counts, as sent */
    int nq, nrr;
    int partial; /* more questions or records were declared than fit here */
    lm_dns_question q[LM_DNS_MAX_QUESTIONS];
    lm_dns_rr rr[LM_DNS_MAX_RECORDS];
} lm_dns_msg;

/* Parse one DNS message. 0 on success (possibly partial), -1 when the packet
 * is malformed: shorter than its header says, a name past its end or longer
 * than 255 octets, a pointer that does not go backwards, a record whose data
 * does not fit its declared length. Work is linear in the packet length. */
int lm_dns_parse(const uint8_t *pkt, size_t len, lm_dns_msg *m);

/* ---- names ---- */
/* name = label (raw bytes, may be NULL for none) + dotted (e.g.
 * "_lanmsg._tcp.local"; may be "" for the root). 0, or -1 when a label is
 * empty or longer than 63 octets, or the name longer than 255. */
int lm_dns_name_make(lm_dns_name *n, const char *label, const char *dotted);
/* ASCII case-insensitive comparison, as DNS names compare. */
int lm_dns_name_equal(const lm_dns_name *a, const lm_dns_name *b);
/* 1 when n is one label followed by exactly parent; that label is copied
 * into label (NUL-terminated, raw bytes) when label is not NULL. */
int lm_dns_name_child_of(const lm_dns_name *n, const lm_dns_name *parent, char *label,
                         size_t labellen);
/* Dotted text with '.' and '\' inside labels escaped ("\." "\\") and bytes
 * below 0x20 as \DDD, for logs; always NUL-terminated. */
void lm_dns_name_text(const lm_dns_name *n, char *buf, size_t len);
/* The canonical ordering of RFC 6762 §8.2 for probe tie-breaking: compares
 * class, type, then the rdata bytes. <0, 0, >0. */
int lm_dns_rr_compare(const lm_dns_rr *a, const lm_dns_rr *b);
/* 1 when two records carry the same data (same type, class and rdata).
 * Names inside the data compare case-insensitively, TTLs do not count. */
int lm_dns_rr_same_data(const lm_dns_rr *a, const lm_dns_rr *b);

/* ---- TXT data (RFC 6763 §6) ---- */
/* Build TXT rdata from "key=value" strings. Returns its length, or -1 when
 * a string is longer than 255 bytes or it does not fit cap. No strings give
 * the single empty string RFC 6763 §6.1 asks for. */
int lm_dns_txt_build(uint8_t *out, size_t cap, const char *const *kv, int n);
/* Find key (case-insensitive) in TXT rdata. 1 and its value copied (empty
 * for a key without '='), 0 when absent. */
int lm_dns_txt_get(const uint8_t *rdata, size_t len, const char *key, char *val, size_t vallen);

/* ---- building ---- */
typedef struct lm_dns_builder {
    uint8_t *buf;
    size_t cap, len;
    uint16_t counts[4];
    int section;       /* the last section written: records go in order */
    int failed;        /* something did not fit */
    uint16_t comp[48]; /* offsets of names written, for compression */
    int ncomp;
} lm_dns_builder;

void lm_dns_build_init(lm_dns_builder *b, uint8_t *buf, size_t cap, uint16_t id, uint16_t flags);
/* Each returns 0, or -1 when it does not fit (the packet is left as it was
 * before the call, so what is there can still be sent) or the section is
 * out of order. */
int lm_dns_build_question(lm_dns_builder *b, const lm_dns_question *q);
int lm_dns_build_rr(lm_dns_builder *b, int section, const lm_dns_rr *rr);
/* Write the counts into the header; returns the message length. */
size_t lm_dns_build_finish(lm_dns_builder *b);

#endif
