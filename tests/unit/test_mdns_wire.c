/* Unit tests for the mDNS wire codec (src/discovery/mdns_wire.c): names,
 * compression both ways, every record type DNS-SD uses, the mDNS bits,
 * and hostile packets (pointer loops, lengths past the end, too many
 * records), which must be refused or cut short without reading outside
 * the packet (the ASan build checks that). */
#include "../../src/discovery/mdns_wire.h"
#include "check.h"

#include <stdio.h>
#include <string.h>

static lm_dns_msg msg; /* large: not on the stack */

static void name(lm_dns_name *n, const char *label, const char *dotted)
{
    CHECK(lm_dns_name_make(n, label, dotted) == 0);
}

static void test_names(void)
{
    lm_dns_name a, b, svc;
    char text[300], label[64];
    name(&a, "Alice. Laptop", "_lanmsg._tcp.local");
    name(&b, "alice. laptop", "_LANMSG._tcp.LOCAL");
    CHECK(lm_dns_name_equal(&a, &b)); /* case-insensitive */
    lm_dns_name_text(&a, text, sizeof text);
    CHECK(strcmp(text, "Alice\\. Laptop._lanmsg._tcp.local.") == 0);
    name(&svc, NULL, "_lanmsg._tcp.local");
    CHECK(lm_dns_name_child_of(&a, &svc, label, sizeof label));
    CHECK(strcmp(label, "Alice. Laptop") == 0);
    CHECK(!lm_dns_name_child_of(&svc, &svc, NULL, 0));

    char big[80];
    memset(big, 'x', 64);
    big[64] = '\0';
    CHECK(lm_dns_name_make(&a, big, "local") == -1); /* label > 63 */
    CHECK(lm_dns_name_make(&a, NULL, "a..b") == -1); /* empty label */
    big[63] = '\0';
    CHECK(lm_dns_name_make(&a, big, "local") == 0);
    /* 255 octets at most: four 63-byte labels are 256 with the root. */
    char dotted[300];
    snprintf(dotted, sizeof dotted, "%s.%s.%s", big, big, big);
    CHECK(lm_dns_name_make(&a, big, dotted) == -1);
}

static void test_txt(void)
{
    const char *kv[] = {"txtvers=1", "TLS=1", "fp=AB:CD", "flag"};
    uint8_t rd[128];
    char v[32];
    int n = lm_dns_txt_build(rd, sizeof rd, kv, 4);
    CHECK(n == 10 + 6 + 9 + 5);
    CHECK(lm_dns_txt_get(rd, (size_t)n, "tls", v, sizeof v) == 1 && strcmp(v, "1") == 0);
    CHECK(lm_dns_txt_get(rd, (size_t)n, "fp", v, sizeof v) == 1 && strcmp(v, "AB:CD") == 0);
    CHECK(lm_dns_txt_get(rd, (size_t)n, "flag", v, sizeof v) == 1 && v[0] == '\0');
    CHECK(lm_dns_txt_get(rd, (size_t)n, "f", v, sizeof v) == 0); /* not a prefix match */
    CHECK(lm_dns_txt_get(rd, (size_t)n, "v", v, sizeof v) == 0);
    CHECK(lm_dns_txt_build(rd, sizeof rd, kv, 0) == 1 && rd[0] == 0); /* RFC 6763 §6.1 */
    CHECK(lm_dns_txt_build(rd, 8, kv, 4) == -1);
    /* A string claiming more bytes than there are ends the search. */
    uint8_t bad[] = {9, 't', 'l', 's', '=', '1'};
    CHECK(lm_dns_txt_get(bad, sizeof bad, "tls", v, sizeof v) == 0);
}

/* Build a response with every record type, parse it back, compare. */
static void test_round_trip(void)
{
    uint8_t buf[1460];
    lm_dns_builder b;
    lm_dns_name svc, inst, host;
    name(&svc, NULL, "_lanmsg._tcp.local");
    name(&inst, "alice", "_lanmsg._tcp.local");
    name(&host, "alice-pc", "local");
    const char *kv[] = {"txtvers=1", "tls=0"};
    uint8_t txt[64];
    int tl = lm_dns_txt_build(txt, sizeof txt, kv, 2);

    lm_dns_build_init(&b, buf, sizeof buf, 0x1234, LM_DNS_FLAG_RESPONSE | LM_DNS_FLAG_AA);
    lm_dns_question q = {.name = svc, .type = LM_DNS_PTR, .cls = LM_DNS_CLASS_IN, .unicast = 1};
    CHECK(lm_dns_build_question(&b, &q) == 0);
    lm_dns_rr r;
    memset(&r, 0, sizeof r);
    r.name = svc, r.type = LM_DNS_PTR, r.cls = LM_DNS_CLASS_IN, r.ttl = 4500, r.target = inst;
    CHECK(lm_dns_build_rr(&b, LM_DNS_AN, &r) == 0);
    memset(&r, 0, sizeof r);
    r.name = inst, r.type = LM_DNS_SRV, r.cls = LM_DNS_CLASS_IN, r.ttl = 120, r.cache_flush = 1;
    r.srv_port = 5000, r.srv_priority = 1, r.srv_weight = 2, r.target = host;
    CHECK(lm_dns_build_rr(&b, LM_DNS_AR, &r) == 0);
    memset(&r, 0, sizeof r);
    r.name = inst, r.type = LM_DNS_TXT, r.cls = LM_DNS_CLASS_IN, r.ttl = 4500, r.cache_flush = 1;
    r.rdata = txt, r.rdlen = (uint16_t)tl;
    CHECK(lm_dns_build_rr(&b, LM_DNS_AR, &r) == 0);
    memset(&r, 0, sizeof r);
    r.name = host, r.type = LM_DNS_A, r.cls = LM_DNS_CLASS_IN, r.ttl = 120;
    memcpy(r.addr, "\xc0\xa8\x01\x0a", 4);
    CHECK(lm_dns_build_rr(&b, LM_DNS_AR, &r) == 0);
    r.type = LM_DNS_AAAA;
    memcpy(r.addr, "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
    CHECK(lm_dns_build_rr(&b, LM_DNS_AR, &r) == 0);
    memset(&r, 0, sizeof r);
    r.name = host, r.type = LM_DNS_NSEC, r.cls = LM_DNS_CLASS_IN, r.ttl = 120, r.target = host;
    r.nsec_types[0] = 0x40; /* A */
    CHECK(lm_dns_build_rr(&b, LM_DNS_AR, &r) == 0);
    /* Sections go in order: an answer after additional records is refused,
     * and leaves the packet as it was. */
    size_t before = b.len;
    r.type = LM_DNS_A;
    CHECK(lm_dns_build_rr(&b, LM_DNS_AN, &r) == -1 && b.len == before);
    size_t len = lm_dns_build_finish(&b);
    /* Compression made it small: "alice" + pointers, not whole names. */
    CHECK(len < 220);

    CHECK(lm_dns_parse(buf, len, &msg) == 0);
    CHECK(msg.id == 0x1234 && (msg.flags & LM_DNS_FLAG_RESPONSE) && !msg.partial);
    CHECK(msg.nq == 1 && msg.q[0].unicast && msg.q[0].type == LM_DNS_PTR);
    CHECK(lm_dns_name_equal(&msg.q[0].name, &svc));
    CHECK(msg.nrr == 6);
    CHECK(msg.rr[0].section == LM_DNS_AN && lm_dns_name_equal(&msg.rr[0].target, &inst));
    CHECK(msg.rr[1].type == LM_DNS_SRV && msg.rr[1].cache_flush && msg.rr[1].srv_port == 5000);
    CHECK(msg.rr[1].srv_priority == 1 && msg.rr[1].srv_weight == 2);
    CHECK(lm_dns_name_equal(&msg.rr[1].target, &host) && msg.rr[1].section == LM_DNS_AR);
    CHECK(msg.rr[2].type == LM_DNS_TXT && msg.rr[2].rdlen == tl);
    CHECK(memcmp(msg.rr[2].rdata, txt, (size_t)tl) == 0);
    CHECK(msg.rr[3].type == LM_DNS_A && memcmp(msg.rr[3].addr, "\xc0\xa8\x01\x0a", 4) == 0);
    CHECK(msg.rr[4].type == LM_DNS_AAAA && msg.rr[4].addr[0] == 0xfe && msg.rr[4].addr[15] == 1);
    CHECK(msg.rr[5].type == LM_DNS_NSEC && msg.rr[5].nsec_types[0] == 0x40);
    CHECK(lm_dns_name_equal(&msg.rr[5].target, &host));
    /* A compressed record and its uncompressed original carry the same data. */
    memset(&r, 0, sizeof r);
    r.name = inst, r.type = LM_DNS_SRV, r.cls = LM_DNS_CLASS_IN, r.srv_port = 5000;
    r.srv_priority = 1, r.srv_weight = 2, r.target = host;
    CHECK(lm_dns_rr_same_data(&r, &msg.rr[1]));
    r.srv_port = 5001;
    CHECK(!lm_dns_rr_same_data(&r, &msg.rr[1]) && lm_dns_rr_compare(&r, &msg.rr[1]) > 0);

    /* Every shorter cut of the packet is malformed, never read past. */
    for (size_t cut = 0; cut < len; cut++)
        CHECK(lm_dns_parse(buf, cut, &msg) == -1);
}

/* A packet that does not fit is cut at a whole record. */
static void test_build_full(void)
{
    uint8_t buf[128];
    lm_dns_builder b;
    lm_dns_rr r;
    memset(&r, 0, sizeof r);
    name(&r.name, "a-rather-long-instance-name-for-the-test", "_lanmsg._tcp.local");
    r.type = LM_DNS_A, r.cls = LM_DNS_CLASS_IN;
    lm_dns_build_init(&b, buf, sizeof buf, 0, LM_DNS_FLAG_RESPONSE);
    int ok = 0;
    while (lm_dns_build_rr(&b, LM_DNS_AN, &r) == 0)
        ok++;
    CHECK(ok >= 2 && b.failed);
    size_t len = lm_dns_build_finish(&b);
    CHECK(lm_dns_parse(buf, len, &msg) == 0 && msg.nrr == ok);
}

static size_t header(uint8_t *p, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar)
{
    unsigned v[6] = {0, flags, qd, an, ns, ar};
    for (int i = 0; i < 6; i++) {
        p[2 * i] = (uint8_t)(v[i] >> 8);
        p[2 * i + 1] = (uint8_t)v[i];
    }
    return 12;
}

static void test_hostile(void)
{
    uint8_t p[4096] = {0};
    size_t n, o;

    /* Too short for a header. */
    CHECK(lm_dns_parse(p, 0, &msg) == -1);
    CHECK(lm_dns_parse(p, 11, &msg) == -1);

    /* A pointer to itself. */
    n = header(p, 0, 1, 0, 0, 0);
    memcpy(p + n, "\xc0\x0c\x00\x0c\x00\x01", 6);
    CHECK(lm_dns_parse(p, n + 6, &msg) == -1);
    /* A pointer forward (to a pointer back): forward is refused. */
    n = header(p, 0, 1, 0, 0, 0);
    memcpy(p + n, "\xc0\x0e\xc0\x0c\x00\x0c\x00\x01", 8);
    CHECK(lm_dns_parse(p, n + 8, &msg) == -1);
    /* A label, then a pointer back to that label: a loop "backwards". */
    n = header(p, 0, 1, 0, 0, 0);
    memcpy(p + n,
           "\x01"
           "a\xc0\x0c\x00\x0c\x00\x01",
           8);
    CHECK(lm_dns_parse(p, n + 8, &msg) == -1);
    /* Two names pointing at each other's middle. */
    n = header(p, 0, 2, 0, 0, 0);
    memcpy(p + n,
           "\x01"
           "a\xc0\x14\x00\x0c\x00\x01\x01"
           "b\xc0\x0c\x00\x0c\x00\x01",
           16);
    CHECK(lm_dns_parse(p, n + 16, &msg) == -1);
    /* A chain of pointers, each one back: record k's name points at
     * record k-1's, so reading it takes k jumps. Fine up to the jump limit
     * (32), refused beyond it. */
    for (int count = 30; count <= 40; count += 10) {
        n = header(p, LM_DNS_FLAG_RESPONSE, 0, (unsigned)count, 0, 0);
        size_t prev = n;
        o = n;
        for (int i = 0; i < count; i++) {
            if (i == 0) {
                p[o++] = 0;
            } else {
                p[o] = (uint8_t)(0xc0 | (prev >> 8));
                p[o + 1] = (uint8_t)prev;
                prev = o;
                o += 2;
            }
            memcpy(p + o, "\x00\x01\x00\x01\x00\x00\x00\x78\x00\x04\x7f\x00\x00\x01", 14);
            o += 14;
        }
        CHECK(lm_dns_parse(p, o, &msg) == (count == 30 ? 0 : -1));
    }
    /* A name longer than 255 octets is refused. */
    n = header(p, 0, 1, 0, 0, 0);
    o = n;
    for (int i = 0; i < 5; i++) {
        p[o++] = 63;
        memset(p + o, 'y', 63);
        o += 63;
    }
    p[o++] = 0;
    memcpy(p + o, "\x00\x0c\x00\x01", 4);
    CHECK(lm_dns_parse(p, o + 4, &msg) == -1);

    /* A label running past the end. */
    n = header(p, 0, 1, 0, 0, 0);
    p[n] = 63;
    memset(p + n + 1, 'x', 10);
    CHECK(lm_dns_parse(p, n + 11, &msg) == -1);
    /* Extended label types (0x40, 0x80). */
    n = header(p, 0, 1, 0, 0, 0);
    memcpy(p + n,
           "\x41"
           "abc\x00\x00\x0c\x00\x01",
           9);
    CHECK(lm_dns_parse(p, n + 9, &msg) == -1);

    /* rdlength past the end. */
    n = header(p, LM_DNS_FLAG_RESPONSE, 0, 1, 0, 0);
    memcpy(p + n, "\x00\x00\x0c\x00\x01\x00\x00\x00\x78\x0f\xa0\x00", 12);
    CHECK(lm_dns_parse(p, n + 12, &msg) == -1);
    /* A PTR whose name runs out of its rdata (but not of the packet). */
    n = header(p, LM_DNS_FLAG_RESPONSE, 0, 1, 0, 0);
    memcpy(p + n,
           "\x00\x00\x0c\x00\x01\x00\x00\x00\x78\x00\x02\x03"
           "abc\x00",
           16);
    CHECK(lm_dns_parse(p, n + 16, &msg) == -1);
    /* SRV too short, A of the wrong size, NSEC with a 33-byte bitmap. */
    n = header(p, LM_DNS_FLAG_RESPONSE, 0, 1, 0, 0);
    memcpy(p + n, "\x00\x00\x21\x00\x01\x00\x00\x00\x78\x00\x03\x00\x00\x00", 14);
    CHECK(lm_dns_parse(p, n + 14, &msg) == -1);
    n = header(p, LM_DNS_FLAG_RESPONSE, 0, 1, 0, 0);
    memcpy(p + n, "\x00\x00\x01\x00\x01\x00\x00\x00\x78\x00\x03\x01\x02\x03", 14);
    CHECK(lm_dns_parse(p, n + 14, &msg) == -1);
    n = header(p, LM_DNS_FLAG_RESPONSE, 0, 1, 0, 0);
    memcpy(p + n, "\x00\x00\x2f\x00\x01\x00\x00\x00\x78\x00\x24\x00\x00\x21", 14);
    memset(p + n + 14, 0xff, 33);
    CHECK(lm_dns_parse(p, n + 14 + 33, &msg) == -1);
    /* An empty NSEC block before the real one (python-zeroconf 0.47 sends
     * that) is accepted. */
    n = header(p, LM_DNS_FLAG_RESPONSE, 0, 1, 0, 0);
    memcpy(p + n,
           "\x00\x00\x2f\x80\x01\x00\x00\x00\x78\x00\x09\x00\x00\x00\x00\x04\x40\x00\x00\x08", 20);
    CHECK(lm_dns_parse(p, n + 20, &msg) == 0 && msg.rr[0].nsec_types[0] == 0x40);
    CHECK(msg.rr[0].cache_flush && msg.rr[0].nsec_types[3] == 0x08);

    /* Counts with no data behind them. */
    n = header(p, 0, 0xffff, 0xffff, 0xffff, 0xffff);
    CHECK(lm_dns_parse(p, n, &msg) == -1);
    /* Too many records: the first LM_DNS_MAX_RECORDS are read, the rest
     * left (partial), whatever the header claims. */
    n = header(p, LM_DNS_FLAG_RESPONSE, 0, 300, 0, 0);
    memcpy(p + n,
           "\x01"
           "h\x00\x00\x01\x00\x01\x00\x00\x00\x78\x00\x04\x7f\x00\x00\x01",
           17);
    o = n + 17;
    for (int i = 1; i < 300 && o + 16 <= sizeof p; i++) {
        memcpy(p + o, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x78\x00\x04\x7f\x00\x00\x01", 16);
        o += 16;
    }
    CHECK(lm_dns_parse(p, o, &msg) == 0 && msg.partial && msg.nrr == LM_DNS_MAX_RECORDS);
    /* Too many questions, likewise. */
    n = header(p, 0, 100, 0, 0, 0);
    o = n;
    for (int i = 0; i < 100; i++) {
        memcpy(p + o, "\x00\x00\x0c\x00\x01", 5);
        o += 5;
    }
    CHECK(lm_dns_parse(p, o, &msg) == 0 && msg.partial && msg.nq == LM_DNS_MAX_QUESTIONS);
}

int main(void)
{
    test_names();
    test_txt();
    test_round_trip();
    test_build_full();
    test_hostile();
    printf("mdns_wire: all tests passed\n");
    return 0;
}
