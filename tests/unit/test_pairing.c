/* Unit tests for pairing (src/pairing/), the two state machines talking to
 * each other in memory with real EC-JPAKE, real keys and a real issuing CA
 * in a scratch state folder:
 *  - the right code: both ends done, the client's certificate issued for
 *    its own key and name, recorded in the enrolled list, accepted by
 *    `openssl verify` against issuer.crt, and usable by the TLS backend;
 *  - a wrong code: both ends fail, tries counted, the code burned after
 *    three; expiry; a second client while one pairs; a used code;
 *  - a man in the middle (each end sees another channel: another server
 *    key, another exporter value): both ends say so, the code is burned,
 *    nothing is enrolled;
 *  - tampered, truncated and garbage messages; names taken and invalid.
 * With an mbedTLS that cannot pair (2.28), it checks that pairing says so. */
#define _POSIX_C_SOURCE 200809L

#include "pairing/pairing.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/text.h"
#include "lanmsg/tls.h"
#include "scratch.h"
#include "transport/tls_identity.h"
#include "transport/tls_pake.h"
#include "trust/enrolled.h"

static char state[512], enrolled_path[600];
static lm_pair_issuer iss;
static lm_pair_binding direct;

/* Luhn mod 10, written again from its definition. */
static void make_code(const char *nine, char out[11])
{
    int sum = 0;
    for (int i = 0; i < 9; i++) {
        int x = nine[8 - i] - '0';
        if (i % 2 == 0)
            x = x * 2 > 9 ? x * 2 - 9 : x * 2;
        sum += x;
    }
    memcpy(out, nine, 9);
    out[9] = (char)('0' + (10 - sum % 10) % 10);
    out[10] = '\0';
}

typedef void (*tamper_fn)(int msgno, unsigned char *buf, size_t len);

typedef struct outcome {
    lm_pair_status c, s;
} outcome;

/* Client and server talk until one stops, then the connection closes. Message numbers for
 * tampering: 0 HELLO, 1 SERVER_KX, 2 CLIENT_KX, 3 RESULT. */
static outcome talk(lm_pair_client *c, lm_pair_server *s, uint64_t now, tamper_fn tamper)
{
    unsigned char a[LM_PMSG_FRAME_MAX], b[LM_PMSG_FRAME_MAX];
    size_t alen = 0, blen = 0, used = 0;
    outcome o = {LM_PAIR_CONTINUE, LM_PAIR_CONTINUE};
    int msgno = 0;

    o.c = lm_pair_client_start(c, a, sizeof a, &alen);
    CHECK(o.c == LM_PAIR_CONTINUE && alen > 0);
    for (int turn = 0; turn < 4 && alen > 0; turn++) {
        if (tamper)
            tamper(msgno, a, alen);
        msgno++;
        o.s = lm_pair_server_input(s, a, alen, &used, now, b, sizeof b, &blen);
        CHECK(used == alen || o.s == LM_PAIR_FAILED);
        if (blen == 0)
            break;
        if (tamper)
            tamper(msgno, b, blen);
        msgno++;
        o.c = lm_pair_client_input(c, b, blen, &used, a, sizeof a, &alen);
        if (o.c != LM_PAIR_CONTINUE)
            break;
    }
    /* Whoever still waits sees the connection close. */
    if (o.c == LM_PAIR_CONTINUE)
        o.c = lm_pair_client_eof(c);
    if (o.s == LM_PAIR_CONTINUE)
        o.s = lm_pair_server_eof(s);
    return o;
}

static size_t enrolled_count(void)
{
    char err[512];
    lm_enrolled *e = lm_enrolled_load(enrolled_path, err, sizeof err);
    CHECK(e != NULL);
    size_t n = lm_enrolled_count(e);
    lm_enrolled_free(e);
    return n;
}

static void binding(lm_pair_binding *b, unsigned char seed)
{
    for (int i = 0; i < 32; i++) {
        b->server_fp[i] = (unsigned char)(seed + i);
        b->exporter[i] = (unsigned char)(seed * 7 + i);
    }
}

static int sh(const char *cmd)
{
#if defined(_WIN32)
    (void)cmd;
    return -1;
#else
    int rc = system(cmd);
    return rc;
#endif
}

static void test_unavailable(void)
{
    char why[256], err[256];
    CHECK(lm_pake_available(why, sizeof why) == 0);
    CHECK(strstr(why, "needs mbedTLS 3.6") != NULL);
    CHECK(lm_pair_client_new("123-456-7897", "alice", &direct, err, sizeof err) == NULL);
    CHECK(strstr(err, "needs mbedTLS 3.6") != NULL);
}

static void test_codes(void)
{
    char err[256], text[LM_PCODE_TEXT_MAX], secret[11], parsed[11], typo[16];
    lm_pcode *c = lm_pcode_new(0, 0, 0, err, sizeof err);
    CHECK(c != NULL);
    lm_pcode_text(c, text);
    CHECK(strlen(text) == 12 && text[3] == '-' && text[7] == '-');
    lm_pcode_secret(c, secret);
    CHECK(lm_pcode_parse(text, parsed, err, sizeof err) == 0 && strcmp(parsed, secret) == 0);
    /* every single-digit typo is caught before it costs an attempt */
    for (int i = 0; i < 12; i++) {
        if (text[i] == '-')
            continue;
        memcpy(typo, text, sizeof text);
        typo[i] = (char)('0' + (typo[i] - '0' + 3) % 10);
        CHECK(lm_pcode_parse(typo, parsed, err, sizeof err) != 0);
        CHECK(strstr(err, "typing error") != NULL);
    }
    CHECK(lm_pcode_parse("12345", parsed, err, sizeof err) != 0 && strstr(err, "ten digits"));
    CHECK(lm_pcode_parse("123-456-78a0", parsed, err, sizeof err) != 0);
    CHECK(lm_pcode_parse("1 2 3 4 5 6 7 8 9 7", parsed, err, sizeof err) == 0);
    /* codes differ from one another */
    lm_pcode *d = lm_pcode_new(0, 0, 0, err, sizeof err);
    char other[11];
    lm_pcode_secret(d, other);
    CHECK(strcmp(other, secret) != 0);
    lm_pcode_free(c);
    lm_pcode_free(d);
}

static lm_pair_client *client(const char *code, const char *name, const lm_pair_binding *b)
{
    char err[512];
    lm_pair_client *c = lm_pair_client_new(code, name, b, err, sizeof err);
    if (!c)
        fprintf(stderr, "client: %s\n", err);
    CHECK(c != NULL);
    return c;
}

static void write_file(const char *path, const char *text)
{
    write_text(path, text);
}

static void test_success(void)
{
    char code[11], err[512], path[700], cmd[2048], issuer[700];
    make_code("123456789", code);
    lm_pcode *pc = lm_pcode_from(code, 0, 0, 0);
    lm_pair_client *c = client(code, "alice", &direct);
    lm_pair_server *s = lm_pair_server_new(pc, &iss, &direct);
    outcome o = talk(c, s, 1000, NULL);
    if (o.c != LM_PAIR_DONE || o.s != LM_PAIR_DONE)
        fprintf(stderr, "client: %s\nserver: %s\n", lm_pair_client_error(c),
                lm_pair_server_error(s));
    CHECK(o.c == LM_PAIR_DONE && o.s == LM_PAIR_DONE);
    CHECK(strcmp(lm_pair_server_name(s), "alice") == 0);
    CHECK(lm_pcode_state_now(pc, 1000) == LM_PCODE_USED);

    /* the enrolled list names alice with the key the client holds */
    const char *crt = lm_pair_client_cert_pem(c), *key = lm_pair_client_key_pem(c);
    CHECK(crt && key && strstr(crt, "BEGIN CERTIFICATE") && strstr(key, "PRIVATE KEY"));
    lm_enrolled *e = lm_enrolled_load(enrolled_path, err, sizeof err);
    CHECK(e != NULL);
    const lm_enrolled_entry *x = lm_enrolled_find_name(e, "alice");
    CHECK(x && lm_fp_equal(x->fp, lm_pair_server_client_fp(s)));
    join(path, sizeof path, state, "alice.crt");
    write_file(path, crt);
    unsigned char fp[32];
    CHECK(lm_id_cert_file_fp(path, fp, err, sizeof err) == 0 && lm_fp_equal(fp, x->fp));
    char serial[64];
    snprintf(serial, sizeof serial, "%s", x->serial);
    lm_enrolled_free(e);

    /* openssl agrees: chain, name, purpose, serial, key fingerprint */
    join(issuer, sizeof issuer, state, "issuer.crt");
    if (sh("openssl version >/dev/null 2>&1") == 0) {
        snprintf(cmd, sizeof cmd, "openssl verify -CAfile '%s' -purpose sslclient '%s'", issuer,
                 path);
        CHECK(sh(cmd) == 0);
        snprintf(cmd, sizeof cmd,
                 "openssl x509 -in '%s' -noout -subject -serial -ext extendedKeyUsage | "
                 "tr -d ' ' | grep -qi 'CN=alice' && openssl x509 -in '%s' -noout -serial | "
                 "grep -qi 'serial=%s'",
                 path, path, serial);
        CHECK(sh(cmd) == 0);
        char hex[65];
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", fp[i]);
        snprintf(cmd, sizeof cmd,
                 "openssl x509 -in '%s' -noout -pubkey | openssl pkey -pubin -outform der | "
                 "openssl dgst -sha256 | grep -q '%s'",
                 path, hex);
        CHECK(sh(cmd) == 0);
    } else {
        puts("openssl not found: skipping the openssl checks");
    }

    /* the saved pair is one 0600 file the TLS backend takes as cert and key */
    join(path, sizeof path, state, "client-lanbox_5000.pem");
    CHECK(lm_id_save_pair(path, key, crt, err, sizeof err) == 0);
#if !defined(_WIN32)
    CHECK(lm_file_mode(path, err, sizeof err) == 0600);
#endif
    lm_tls_options to = {.cert_file = path, .key_file = path, .ca_file = issuer};
    int code_rc = 0;
    lm_tls_config *cfg = lm_tls_config_new(&to, err, sizeof err, &code_rc);
    if (!cfg)
        fprintf(stderr, "tls config: %s\n", err);
    CHECK(cfg != NULL);
    lm_tls_config_free(cfg);

    /* the code is used: a second client is refused, nothing more enrolled */
    lm_pair_client *c2 = client(code, "bob", &direct);
    lm_pair_server *s2 = lm_pair_server_new(pc, &iss, &direct);
    o = talk(c2, s2, 2000, NULL);
    CHECK(o.c == LM_PAIR_FAILED && lm_pair_client_reason(c2) == LM_PAIR_E_NO_CODE);
    CHECK(strstr(lm_pair_client_error(c2), "no pairing code on offer") != NULL);
    CHECK(enrolled_count() == 1);
    lm_pair_client_free(c2);
    lm_pair_server_free(s2);
    lm_pair_client_free(c);
    lm_pair_server_free(s);
    lm_pcode_free(pc);
}

static void test_wrong_code(void)
{
    char good[11], bad[11];
    size_t before = enrolled_count();
    make_code("555444333", good);
    make_code("555444334", bad);
    lm_pcode *pc = lm_pcode_from(good, 0, 0, 3);

    for (int attempt = 1; attempt <= 3; attempt++) {
        lm_pair_client *c = client(bad, "mallory", &direct);
        lm_pair_server *s = lm_pair_server_new(pc, &iss, &direct);
        outcome o = talk(c, s, 100, NULL);
        CHECK(o.c == LM_PAIR_FAILED && o.s == LM_PAIR_FAILED);
        CHECK(lm_pair_server_reason(s) == LM_PAIR_E_WRONG_CODE);
        if (attempt < 3) {
            char want[64];
            snprintf(want, sizeof want, "%d tries left", 3 - attempt);
            CHECK(lm_pair_client_reason(c) == LM_PAIR_E_WRONG_CODE);
            CHECK(strstr(lm_pair_client_error(c), want) != NULL);
            CHECK(strstr(lm_pair_server_error(s), want) != NULL);
        } else {
            CHECK(strstr(lm_pair_client_error(c), "burned") != NULL);
            CHECK(strstr(lm_pair_server_error(s), "burned") != NULL);
        }
        lm_pair_client_free(c);
        lm_pair_server_free(s);
    }
    CHECK(lm_pcode_state_now(pc, 100) == LM_PCODE_BURNED);
    /* burned: even the right code is refused now */
    lm_pair_client *c = client(good, "mallory", &direct);
    lm_pair_server *s = lm_pair_server_new(pc, &iss, &direct);
    outcome o = talk(c, s, 100, NULL);
    CHECK(o.c == LM_PAIR_FAILED && lm_pair_client_reason(c) == LM_PAIR_E_NO_CODE);
    CHECK(strstr(lm_pair_client_error(c), "burned") != NULL);
    CHECK(enrolled_count() == before);
    lm_pair_client_free(c);
    lm_pair_server_free(s);
    lm_pcode_free(pc);
}

static void test_expiry_and_busy(void)
{
    char code[11];
    unsigned char a[LM_PMSG_FRAME_MAX], b[LM_PMSG_FRAME_MAX], a2[LM_PMSG_FRAME_MAX];
    size_t alen, blen, used, a2len;
    make_code("111222333", code);

    /* expired before anyone came */
    lm_pcode *pc = lm_pcode_from(code, 0, 1000, 0);
    lm_pair_client *c = client(code, "carol", &direct);
    lm_pair_server *s = lm_pair_server_new(pc, &iss, &direct);
    outcome o = talk(c, s, 1000, NULL);
    CHECK(o.c == LM_PAIR_FAILED && lm_pair_client_reason(c) == LM_PAIR_E_NO_CODE);
    CHECK(lm_pair_server_reason(s) == LM_PAIR_E_NO_CODE);
    CHECK(strstr(lm_pair_server_error(s), "expired") != NULL);
    lm_pair_client_free(c);
    lm_pair_server_free(s);
    lm_pcode_free(pc);

    /* expired between HELLO and CLIENT_KX */
    pc = lm_pcode_from(code, 0, 1000, 0);
    c = client(code, "carol", &direct);
    s = lm_pair_server_new(pc, &iss, &direct);
    CHECK(lm_pair_client_start(c, a, sizeof a, &alen) == LM_PAIR_CONTINUE);
    CHECK(lm_pair_server_input(s, a, alen, &used, 500, b, sizeof b, &blen) == LM_PAIR_CONTINUE);
    CHECK(lm_pair_client_input(c, b, blen, &used, a, sizeof a, &alen) == LM_PAIR_CONTINUE);
    CHECK(lm_pair_server_input(s, a, alen, &used, 1000, b, sizeof b, &blen) == LM_PAIR_FAILED);
    CHECK(lm_pair_client_input(c, b, blen, &used, a, sizeof a, &alen) == LM_PAIR_FAILED);
    CHECK(lm_pair_client_reason(c) == LM_PAIR_E_NO_CODE);
    lm_pair_client_free(c);
    lm_pair_server_free(s);
    lm_pcode_free(pc);

    /* two clients at once: the second is told to wait; a stalled first
     * loses its turn after LM_PCODE_SESSION_S */
    pc = lm_pcode_from(code, 0, 600000, 0);
    c = client(code, "carol", &direct);
    s = lm_pair_server_new(pc, &iss, &direct);
    lm_pair_client *c2 = client(code, "dave", &direct);
    lm_pair_server *s2 = lm_pair_server_new(pc, &iss, &direct);
    CHECK(lm_pair_client_start(c, a, sizeof a, &alen) == LM_PAIR_CONTINUE);
    CHECK(lm_pair_server_input(s, a, alen, &used, 100, b, sizeof b, &blen) == LM_PAIR_CONTINUE);
    CHECK(lm_pair_client_input(c, b, blen, &used, a, sizeof a, &alen) == LM_PAIR_CONTINUE);
    o = talk(c2, s2, 200, NULL);
    CHECK(o.c == LM_PAIR_FAILED && lm_pair_client_reason(c2) == LM_PAIR_E_BUSY);
    CHECK(strstr(lm_pair_client_error(c2), "another client is pairing") != NULL);
    lm_pair_client_free(c2);
    lm_pair_server_free(s2);
    c2 = client(code, "dave", &direct);
    s2 = lm_pair_server_new(pc, &iss, &direct);
    CHECK(lm_pair_client_start(c2, a2, sizeof a2, &a2len) == LM_PAIR_CONTINUE);
    CHECK(lm_pair_server_input(s2, a2, a2len, &used, 100 + LM_PCODE_SESSION_S * 1000ull, b,
                               sizeof b, &blen) == LM_PAIR_CONTINUE);
    /* the stalled one comes back: its turn is gone */
    CHECK(lm_pair_server_input(s, a, alen, &used, 100 + LM_PCODE_SESSION_S * 1000ull + 1, b,
                               sizeof b, &blen) == LM_PAIR_FAILED);
    CHECK(lm_pair_server_reason(s) == LM_PAIR_E_BUSY);
    CHECK(lm_pcode_state_now(pc, 0) == LM_PCODE_READY); /* no try was spent */
    lm_pair_client_free(c);
    lm_pair_server_free(s);
    lm_pair_client_free(c2);
    lm_pair_server_free(s2);
    lm_pcode_free(pc);
}

static void mitm_case(const lm_pair_binding *client_view, const lm_pair_binding *server_view)
{
    char code[11];
    size_t before = enrolled_count();
    make_code("987654321", code);
    lm_pcode *pc = lm_pcode_from(code, 0, 0, 0);
    lm_pair_client *c = client(code, "erin", client_view);
    lm_pair_server *s = lm_pair_server_new(pc, &iss, server_view);
    outcome o = talk(c, s, 10, NULL);
    CHECK(o.c == LM_PAIR_FAILED && o.s == LM_PAIR_FAILED);
    CHECK(lm_pair_client_reason(c) == LM_PAIR_E_MITM && lm_pair_server_reason(s) == LM_PAIR_E_MITM);
    CHECK(strstr(lm_pair_client_error(c), "MAN IN THE MIDDLE") != NULL);
    CHECK(strstr(lm_pair_server_error(s), "MAN IN THE MIDDLE") != NULL);
    CHECK(lm_pair_client_cert_pem(c) == NULL && lm_pair_client_key_pem(c) == NULL);
    CHECK(lm_pcode_state_now(pc, 10) == LM_PCODE_BURNED);
    CHECK(enrolled_count() == before);
    lm_pair_client_free(c);
    lm_pair_server_free(s);
    lm_pcode_free(pc);
}

static void test_mitm(void)
{
    lm_pair_binding relay_seen_by_client, other_exporter, other_key;
    binding(&relay_seen_by_client, 90); /* the relay's own key and session */
    mitm_case(&relay_seen_by_client, &direct);
    other_exporter = direct;
    other_exporter.exporter[5] ^= 1; /* same server key, another TLS session */
    mitm_case(&other_exporter, &direct);
    other_key = direct;
    other_key.server_fp[31] ^= 0x80; /* another key, same exporter */
    mitm_case(&direct, &other_key);
}

static int tamper_msg, tamper_off;
static void tamper(int msgno, unsigned char *buf, size_t len)
{
    if (msgno == tamper_msg) {
        size_t at = tamper_off < 0 ? len + (size_t)tamper_off : (size_t)tamper_off;
        CHECK(at < len);
        buf[at] ^= 0x01;
    }
}

static void tampered(int msg, int off, lm_pair_error want_client, lm_pair_error want_server)
{
    static int n;
    char code[11], name[32];
    size_t before = enrolled_count();
    make_code("246813579", code);
    lm_pcode *pc = lm_pcode_from(code, 0, 0, 0);
    /* A tampered RESULT reaches the client after the server enrolled it,
     * so each case pairs under its own name. */
    snprintf(name, sizeof name, "frank%d", n++);
    lm_pair_client *c = client(code, name, &direct);
    lm_pair_server *s = lm_pair_server_new(pc, &iss, &direct);
    tamper_msg = msg;
    tamper_off = off;
    outcome o = talk(c, s, 10, tamper);
    if (o.c == LM_PAIR_DONE || (o.s == LM_PAIR_DONE && msg != 3) ||
        (want_client && lm_pair_client_reason(c) != want_client) ||
        (want_server && lm_pair_server_reason(s) != want_server))
        fprintf(stderr, "tamper %d@%d: client %d %s / server %d %s\n", msg, off,
                lm_pair_client_reason(c), lm_pair_client_error(c), lm_pair_server_reason(s),
                lm_pair_server_error(s));
    CHECK(o.c == LM_PAIR_FAILED);
    CHECK(o.s != LM_PAIR_DONE || msg == 3); /* RESULT is tampered after the server finished */
    if (want_client)
        CHECK(lm_pair_client_reason(c) == want_client);
    if (want_server)
        CHECK(lm_pair_server_reason(s) == want_server);
    CHECK(lm_pair_client_cert_pem(c) == NULL);
    if (msg != 3)
        CHECK(enrolled_count() == before);
    lm_pair_client_free(c);
    lm_pair_server_free(s);
    lm_pcode_free(pc);
}

static void test_tampering(void)
{
    /* a flipped bit in the client's round 1 (last byte: inside a proof) */
    tampered(0, -1, LM_PAIR_E_PROTOCOL, LM_PAIR_E_PROTOCOL);
    /* in the server's rounds */
    tampered(1, -1, LM_PAIR_E_PROTOCOL, 0);
    tampered(1, 40, LM_PAIR_E_PROTOCOL, 0);
    /* in the CSR, or in either MAC of CLIENT_KX: the server's checks fail */
    tampered(2, -70, 0, LM_PAIR_E_WRONG_CODE);
    tampered(2, -1, LM_PAIR_E_MITM, LM_PAIR_E_MITM);
    tampered(2, -40, LM_PAIR_E_WRONG_CODE, LM_PAIR_E_WRONG_CODE);
    /* in the certificate or a MAC of RESULT: the client refuses it */
    tampered(3, -5, LM_PAIR_E_WRONG_CODE, 0);
    tampered(3, 10, LM_PAIR_E_WRONG_CODE, 0);
    tampered(3, 50, LM_PAIR_E_MITM, 0);
    /* frame header: type or length */
    tampered(0, 0, 0, LM_PAIR_E_PROTOCOL);
    tampered(1, 2, LM_PAIR_E_PROTOCOL, 0);
}

static void test_garbage_and_cuts(void)
{
    char code[11];
    unsigned char a[LM_PMSG_FRAME_MAX], b[LM_PMSG_FRAME_MAX];
    size_t alen, blen, used;
    make_code("135792468", code);
    lm_pcode *pc = lm_pcode_from(code, 0, 0, 0);

    /* garbage instead of the protocol: an ERROR back, one line, no try spent */
    lm_pair_server *s = lm_pair_server_new(pc, &iss, &direct);
    const char *junk = "GET / HTTP/1.1\r\n\r\n";
    CHECK(lm_pair_server_input(s, (const unsigned char *)junk, strlen(junk), &used, 1, b, sizeof b,
                               &blen) == LM_PAIR_FAILED);
    CHECK(blen > 0 && b[0] == LM_PMSG_ERROR);
    CHECK(strstr(lm_pair_server_error(s), "not the pairing protocol") != NULL);
    lm_pair_server_free(s);

    /* a message cut mid-way: nothing consumed, then the end */
    lm_pair_client *c = client(code, "gina", &direct);
    s = lm_pair_server_new(pc, &iss, &direct);
    CHECK(lm_pair_client_start(c, a, sizeof a, &alen) == LM_PAIR_CONTINUE);
    CHECK(lm_pair_server_input(s, a, alen / 2, &used, 1, b, sizeof b, &blen) == LM_PAIR_CONTINUE);
    CHECK(used == 0 && blen == 0);
    CHECK(lm_pair_server_eof(s) == LM_PAIR_FAILED);
    CHECK(strstr(lm_pair_server_error(s), "left in the middle") != NULL);
    lm_pair_server_free(s);
    /* the client side of a cut */
    s = lm_pair_server_new(pc, &iss, &direct);
    CHECK(lm_pair_server_input(s, a, alen, &used, 1, b, sizeof b, &blen) == LM_PAIR_CONTINUE);
    CHECK(lm_pair_client_input(c, b, blen - 3, &used, a, sizeof a, &alen) == LM_PAIR_CONTINUE);
    CHECK(used == 0);
    CHECK(lm_pair_client_eof(c) == LM_PAIR_FAILED);
    CHECK(strstr(lm_pair_client_error(c), "closed in the middle") != NULL);
    lm_pair_client_free(c);
    lm_pair_server_free(s);
    /* a new conversation may start at once: the cut one gave its turn back */
    CHECK(lm_pcode_state_now(pc, 1) == LM_PCODE_READY);
    c = client(code, "gina", &direct);
    s = lm_pair_server_new(pc, &iss, &direct);
    outcome o = talk(c, s, 2, NULL);
    CHECK(o.c == LM_PAIR_DONE && o.s == LM_PAIR_DONE);
    lm_pair_client_free(c);
    lm_pair_server_free(s);
    lm_pcode_free(pc);
}

static void test_names(void)
{
    char code[11], err[512];
    make_code("192837465", code);
    lm_pcode *pc = lm_pcode_from(code, 0, 0, 0);

    /* alice is enrolled: "ALICE" from another key is refused at once,
     * without spending a try */
    lm_pair_client *c = client(code, "ALICE", &direct);
    lm_pair_server *s = lm_pair_server_new(pc, &iss, &direct);
    outcome o = talk(c, s, 1, NULL);
    CHECK(o.c == LM_PAIR_FAILED && lm_pair_client_reason(c) == LM_PAIR_E_NAME);
    CHECK(strstr(lm_pair_client_error(c), "--revoke ALICE") != NULL);
    CHECK(lm_pcode_state_now(pc, 1) == LM_PCODE_READY);
    lm_pair_client_free(c);
    lm_pair_server_free(s);

    /* an invalid name is refused by the client before it connects */
    CHECK(lm_pair_client_new(code, "al ice", &direct, err, sizeof err) == NULL);
    CHECK(strstr(err, "not a client name") != NULL);

    /* revoke alice: the name is free again, for a new key */
    lm_enrolled *e = lm_enrolled_load(enrolled_path, err, sizeof err);
    CHECK(e && lm_enrolled_revoke(e, "alice", "2026-12-01", err, sizeof err) == 0);
    CHECK(lm_enrolled_save(e, enrolled_path, err, sizeof err) == 0);
    lm_enrolled_free(e);
    c = client(code, "Alice", &direct);
    s = lm_pair_server_new(pc, &iss, &direct);
    o = talk(c, s, 1, NULL);
    CHECK(o.c == LM_PAIR_DONE && o.s == LM_PAIR_DONE);
    e = lm_enrolled_load(enrolled_path, err, sizeof err);
    CHECK(e && lm_enrolled_find_name(e, "alice") &&
          lm_fp_equal(lm_enrolled_find_name(e, "alice")->fp, lm_pair_server_client_fp(s)));
    lm_enrolled_free(e);
    lm_pair_client_free(c);
    lm_pair_server_free(s);
    lm_pcode_free(pc);
}

static void test_client_file(void)
{
    char out[600], err[256];
    /* the separator is the platform's: compare what follows it */
    CHECK(lm_pair_client_file("st", "lanbox:5000", out, sizeof out, err, sizeof err) == 0);
    CHECK(strncmp(out, "st", 2) == 0 && strcmp(out + 3, "client-lanbox_5000.pem") == 0);
    CHECK(lm_pair_client_file("st", "[fe80::1]:7000", out, sizeof out, err, sizeof err) == 0);
    CHECK(strcmp(out + 3, "client-fe80__1_7000.pem") == 0);
    CHECK(lm_pair_client_file("st/", "10.0.0.2:5000", out, sizeof out, err, sizeof err) == 0);
    CHECK(strcmp(out, "st/client-10.0.0.2_5000.pem") == 0);
}

int main(void)
{
    char why[256];
    lm_lang_init("en");
    binding(&direct, 1);
    test_codes();
    test_client_file();
    if (!lm_pake_available(why, sizeof why)) {
        test_unavailable();
        printf("pairing: ok (%s)\n", why);
        return 0;
    }
    scratch_dir(state, sizeof state, "pairing");
    join(enrolled_path, sizeof enrolled_path, state, "clients");
    iss.state_dir = state;
    iss.enrolled_path = enrolled_path;
    test_success();
    test_wrong_code();
    test_expiry_and_busy();
    test_mitm();
    test_tampering();
    test_garbage_and_cuts();
    test_names();
    puts("pairing: ok");
    return 0;
}
