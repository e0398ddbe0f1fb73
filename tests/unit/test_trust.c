/* Unit tests for the trust decision (src/trust/trust.c), one table row per
 * rule of trust.h: pins, CA chains, known_servers (match, change, first
 * use with and without a terminal or --trust-on-first-use), and on the
 * server: no certificate, revoked, enrolled (right and wrong name, not
 * enrolled), CA chain, unknown. Then the live object: a first-use key
 * remembered for the next connection, and a revocation written by another
 * process seen at the next handshake. */
#define _POSIX_C_SOURCE 200809L

#include "trust/trust.h"

#include <string.h>

#include "check.h"
#include "util/text.h"
#include "scratch.h"

static unsigned char K_SRV[32], K_OTHER[32], K_ISSUER[32], K_ALICE[32], K_BOB[32], K_EVE[32];

enum { PIN_NONE, PIN_SRV, PIN_OTHER };
enum { CA_NONE, CA_DEFAULT, CA_EXPLICIT };

typedef struct row {
    const char *what;
    /* policy */
    int server, pin, ca, tofu, tty, require;
    /* peer */
    int has_cert;
    const unsigned char *key;
    const unsigned char *issuer; /* NULL: no certificate above the leaf */
    unsigned chain;
    const char *cn;
    const char *hostport;
    /* expected */
    lm_trust_verdict verdict;
    lm_trust_reason reason;
    const char *name;
    const char *msg1, *msg2; /* substrings of the message, or NULL */
} row;

#define HP "lanbox:5000"

static const row rows[] = {
    /* ---- client ---- */
    {"pin matches, no CA, chain says untrusted", 0, PIN_SRV, CA_NONE, 0, 0, 0, 1, K_SRV, NULL,
     LM_CHAIN_UNTRUSTED | LM_CHAIN_EXPIRED, "", HP, LM_TRUST_VERIFIED, LM_TRUST_R_PIN, HP, NULL,
     NULL},
    {"pin matches even when a CA is configured and fails", 0, PIN_SRV, CA_EXPLICIT, 0, 0, 0, 1,
     K_SRV, NULL, LM_CHAIN_UNTRUSTED, "", HP, LM_TRUST_VERIFIED, LM_TRUST_R_PIN, HP, NULL, NULL},
    {"pin differs, even with a good CA chain", 0, PIN_OTHER, CA_EXPLICIT, 0, 0, 0, 1, K_SRV, NULL,
     LM_CHAIN_OK, "", HP, LM_TRUST_REFUSE, LM_TRUST_R_PIN_WRONG, "", "not the pinned", "--show-id"},
    {"CA chain ok", 0, PIN_NONE, CA_EXPLICIT, 0, 0, 0, 1, K_OTHER, NULL, LM_CHAIN_OK, "", HP,
     LM_TRUST_VERIFIED, LM_TRUST_R_CA, HP, NULL, NULL},
    {"CA chain ok though known_servers has another key", 0, PIN_NONE, CA_DEFAULT, 0, 0, 0, 1,
     K_OTHER, NULL, LM_CHAIN_OK, "", HP, LM_TRUST_VERIFIED, LM_TRUST_R_CA, HP, NULL, NULL},
    {"explicit CA fails: the backend words it", 0, PIN_NONE, CA_EXPLICIT, 1, 1, 0, 1, K_SRV, NULL,
     LM_CHAIN_NAME, "", HP, LM_TRUST_REFUSE, LM_TRUST_R_CHAIN, "", NULL, NULL},
    {"default CA fails, known key matches", 0, PIN_NONE, CA_DEFAULT, 0, 0, 0, 1, K_SRV, NULL,
     LM_CHAIN_UNTRUSTED, "", HP, LM_TRUST_VERIFIED, LM_TRUST_R_KNOWN, HP, NULL, NULL},
    {"no CA, known key matches", 0, PIN_NONE, CA_NONE, 0, 0, 0, 1, K_SRV, NULL, LM_CHAIN_UNTRUSTED,
     "", HP, LM_TRUST_VERIFIED, LM_TRUST_R_KNOWN, HP, NULL, NULL},
    {"known key changed: refused loudly, even with TOFU and a terminal", 0, PIN_NONE, CA_NONE, 1, 1,
     0, 1, K_OTHER, NULL, LM_CHAIN_UNTRUSTED, "", HP, LM_TRUST_REFUSE, LM_TRUST_R_CHANGED, "",
     "CHANGED", "lanmsg-client --forget lanbox:5000"},
    {"unknown server, no terminal, no TOFU: refused with its fingerprint", 0, PIN_NONE, CA_NONE, 0,
     0, 0, 1, K_OTHER, NULL, LM_CHAIN_UNTRUSTED, "", "newbox:5000", LM_TRUST_REFUSE,
     LM_TRUST_R_UNKNOWN, "", "not a known server", "--trust-on-first-use"},
    {"unknown server, terminal: ask", 0, PIN_NONE, CA_NONE, 0, 1, 0, 1, K_OTHER, NULL,
     LM_CHAIN_UNTRUSTED, "", "newbox:5000", LM_TRUST_FIRST_USE, LM_TRUST_R_NEW, "newbox:5000",
     "first connection", NULL},
    {"unknown server, TOFU: record without asking", 0, PIN_NONE, CA_NONE, 1, 0, 0, 1, K_OTHER, NULL,
     LM_CHAIN_UNTRUSTED, "", "newbox:5000", LM_TRUST_FIRST_USE, LM_TRUST_R_NEW, "newbox:5000", NULL,
     NULL},
    {"same key on another port is another server", 0, PIN_NONE, CA_NONE, 0, 0, 0, 1, K_SRV, NULL,
     LM_CHAIN_UNTRUSTED, "", "lanbox:5001", LM_TRUST_REFUSE, LM_TRUST_R_UNKNOWN, "", NULL, NULL},
    {"no certificate from a server", 0, PIN_SRV, CA_NONE, 1, 1, 0, 0, K_SRV, NULL,
     LM_CHAIN_UNTRUSTED, "", HP, LM_TRUST_REFUSE, LM_TRUST_R_CHAIN, "", NULL, NULL},
    /* ---- server ---- */
    {"no client certificate, not required", 1, 0, 0, 0, 0, 0, 0, K_ALICE, NULL, 0, "", NULL,
     LM_TRUST_UNVERIFIED, LM_TRUST_R_ANONYMOUS, "", NULL, NULL},
    {"no client certificate, required", 1, 0, 0, 0, 0, 1, 0, K_ALICE, NULL, 0, "", NULL,
     LM_TRUST_REFUSE, LM_TRUST_R_MISSING, "", NULL, NULL},
    {"enrolled alice", 1, 0, 0, 0, 0, 1, 1, K_ALICE, K_ISSUER, LM_CHAIN_OK, "alice", NULL,
     LM_TRUST_VERIFIED, LM_TRUST_R_ENROLLED, "alice", NULL, NULL},
    {"enrolled alice, CN in other case: the enrolled spelling", 1, 0, 0, 0, 0, 1, 1, K_ALICE,
     K_ISSUER, LM_CHAIN_OK, "ALICE", NULL, LM_TRUST_VERIFIED, LM_TRUST_R_ENROLLED, "alice", NULL,
     NULL},
    {"alice's key with bob's name", 1, 0, 0, 0, 0, 1, 1, K_ALICE, K_ISSUER, LM_CHAIN_OK, "bob",
     NULL, LM_TRUST_REFUSE, LM_TRUST_R_WRONG_NAME, "", "'bob'", "enrolled as alice"},
    {"revoked bob", 1, 0, 0, 0, 0, 0, 1, K_BOB, K_ISSUER, LM_CHAIN_OK, "bob", NULL, LM_TRUST_REFUSE,
     LM_TRUST_R_REVOKED, "", "revoked on 2026-11-30", NULL},
    {"revoked bob, even through another CA", 1, 0, 0, 0, 0, 0, 1, K_BOB, K_OTHER, LM_CHAIN_OK,
     "bob", NULL, LM_TRUST_REFUSE, LM_TRUST_R_REVOKED, "", NULL, NULL},
    {"signed by our issuer but not enrolled", 1, 0, 0, 0, 0, 0, 1, K_EVE, K_ISSUER, LM_CHAIN_OK,
     "eve", NULL, LM_TRUST_REFUSE, LM_TRUST_R_NOT_ENROLLED, "", "not in its enrolled list", NULL},
    {"certgen CA client (chain ok)", 1, 0, 0, 0, 0, 1, 1, K_EVE, K_OTHER, LM_CHAIN_OK, "carol",
     NULL, LM_TRUST_VERIFIED, LM_TRUST_R_CA, "carol", NULL, NULL},
    {"unknown CA, required", 1, 0, 0, 0, 0, 1, 1, K_EVE, NULL, LM_CHAIN_UNTRUSTED, "mallory", NULL,
     LM_TRUST_REFUSE, LM_TRUST_R_CHAIN, "", NULL, NULL},
    {"unknown CA, optional", 1, 0, 0, 0, 0, 0, 1, K_EVE, NULL, LM_CHAIN_UNTRUSTED, "mallory", NULL,
     LM_TRUST_UNVERIFIED, LM_TRUST_R_ANONYMOUS, "", NULL, NULL},
    {"our issuer, expired certificate, required", 1, 0, 0, 0, 0, 1, 1, K_ALICE, K_ISSUER,
     LM_CHAIN_EXPIRED, "alice", NULL, LM_TRUST_REFUSE, LM_TRUST_R_CHAIN, "", NULL, NULL},
};

static lm_known *known;
static lm_enrolled *enrolled;

static void run_row(const row *r)
{
    lm_trust_policy pol = {0};
    lm_trust_peer peer = {0};
    lm_trust_result res;

    pol.is_server = r->server;
    if (!r->server) {
        pol.has_pin = r->pin != PIN_NONE;
        memcpy(pol.pin, r->pin == PIN_SRV ? K_SRV : K_OTHER, 32);
        pol.has_ca = r->ca != CA_NONE;
        pol.ca_explicit = r->ca == CA_EXPLICIT;
        pol.known = known;
        pol.tofu = r->tofu;
        pol.interactive = r->tty;
    } else {
        pol.require_client_cert = r->require;
        pol.enrolled = enrolled;
        pol.has_issuer = 1;
        memcpy(pol.issuer_fp, K_ISSUER, 32);
    }
    peer.who = r->server ? "client 10.0.0.7:51000" : "server lanbox:5000";
    peer.hostport = r->hostport;
    peer.has_cert = r->has_cert;
    memcpy(peer.fp, r->key, 32);
    if (r->issuer) {
        peer.has_issuer = 1;
        memcpy(peer.issuer_fp, r->issuer, 32);
    }
    peer.chain = r->chain;
    peer.cn = r->cn;

    lm_trust_decide(&pol, &peer, &res);
    int ok = res.verdict == r->verdict && res.reason == r->reason &&
             strcmp(res.name, r->name ? r->name : "") == 0 &&
             (!r->msg1 || strstr(res.msg, r->msg1)) && (!r->msg2 || strstr(res.msg, r->msg2)) &&
             strchr(res.msg, '\n') == NULL;
    if (!ok)
        fprintf(stderr, "row \"%s\": verdict %d reason %d name \"%s\" msg \"%s\"\n", r->what,
                res.verdict, res.reason, res.name, res.msg);
    CHECK(ok);
    if (res.verdict == LM_TRUST_FIRST_USE)
        CHECK(res.ask == !r->tofu);
    if (res.reason == LM_TRUST_R_CHANGED) {
        char a[LM_FP_TEXT_MAX], b[LM_FP_TEXT_MAX];
        lm_fp_format(K_SRV, a);
        lm_fp_format(K_OTHER, b);
        CHECK(res.has_old && lm_fp_equal(res.old_fp, K_SRV));
        CHECK(strstr(res.msg, a) && strstr(res.msg, b) && strstr(res.msg, "2026-11-29"));
    }
    if (res.reason == LM_TRUST_R_UNKNOWN || res.reason == LM_TRUST_R_NEW) {
        char a[LM_FP_TEXT_MAX];
        lm_fp_format(r->key, a);
        CHECK(strstr(res.msg, a) != NULL);
    }
}

static void test_live(void)
{
    char dir[512], kpath[600], epath[600], err[512], fp[LM_FP_TEXT_MAX];
    lm_trust_peer peer = {0};
    lm_trust_result res;

    scratch_dir(dir, sizeof dir, "trust");
    join(kpath, sizeof kpath, dir, "known_servers");
    join(epath, sizeof epath, dir, "clients");

    /* client: TOFU, remember, then the next connection is verified */
    lm_trust_options co = {.known_path = kpath, .tofu = 1};
    lm_trust *t = lm_trust_new(&co, err, sizeof err);
    CHECK(t != NULL);
    peer.who = "server lanbox:5000";
    peer.hostport = HP;
    peer.has_cert = 1;
    memcpy(peer.fp, K_SRV, 32);
    peer.chain = LM_CHAIN_UNTRUSTED;
    lm_trust_check(t, &peer, &res);
    CHECK(res.verdict == LM_TRUST_FIRST_USE && !res.ask);
    CHECK(lm_trust_remember(t, HP, K_SRV, err, sizeof err) == 0);
    lm_trust_check(t, &peer, &res);
    CHECK(res.verdict == LM_TRUST_VERIFIED && res.reason == LM_TRUST_R_KNOWN);
    memcpy(peer.fp, K_OTHER, 32);
    lm_trust_check(t, &peer, &res);
    CHECK(res.verdict == LM_TRUST_REFUSE && res.reason == LM_TRUST_R_CHANGED);
    lm_trust_free(t);
    char *text = read_text(kpath);
    lm_fp_format(K_SRV, fp);
    CHECK(text && strstr(text, HP) && strstr(text, fp));
    free(text);

    /* a bad --pin is a configuration error */
    lm_trust_options bad = {.pin = "1234"};
    CHECK(lm_trust_new(&bad, err, sizeof err) == NULL && strstr(err, "--pin: not a fingerprint"));

    /* server: a revocation written by another process is seen */
    CHECK(lm_enrolled_save(enrolled, epath, err, sizeof err) == 0);
    lm_trust_options so = {
        .is_server = 1, .require_client_cert = 1, .enrolled_path = epath, .issuer_fp = K_ISSUER};
    t = lm_trust_new(&so, err, sizeof err);
    CHECK(t != NULL);
    memset(&peer, 0, sizeof peer);
    peer.who = "client 10.0.0.7:51000";
    peer.has_cert = 1;
    memcpy(peer.fp, K_ALICE, 32);
    peer.has_issuer = 1;
    memcpy(peer.issuer_fp, K_ISSUER, 32);
    peer.cn = "alice";
    lm_trust_check(t, &peer, &res);
    CHECK(res.verdict == LM_TRUST_VERIFIED && strcmp(res.name, "alice") == 0);

    lm_enrolled *other = lm_enrolled_load(epath, err, sizeof err);
    CHECK(other && lm_enrolled_revoke(other, "alice", "2026-12-24", err, sizeof err) == 0);
    CHECK(lm_enrolled_save(other, epath, err, sizeof err) == 0);
    lm_enrolled_free(other);
    lm_trust_check(t, &peer, &res);
    CHECK(res.verdict == LM_TRUST_REFUSE && res.reason == LM_TRUST_R_REVOKED);
    CHECK(strstr(res.msg, "2026-12-24") != NULL);

    /* a damaged file keeps the list read before */
    write_text(epath, "garbage\n");
    lm_trust_check(t, &peer, &res);
    CHECK(res.reason == LM_TRUST_R_REVOKED);
    lm_trust_free(t);
}

int main(void)
{
    char err[256];
    lm_lang_init("en");
    for (int i = 0; i < 32; i++) {
        K_SRV[i] = (unsigned char)i;
        K_OTHER[i] = (unsigned char)(i + 100);
        K_ISSUER[i] = (unsigned char)(i * 3);
        K_ALICE[i] = (unsigned char)(i * 5 + 1);
        K_BOB[i] = (unsigned char)(i * 7 + 2);
        K_EVE[i] = (unsigned char)(i * 11 + 3);
    }
    known = lm_known_parse("", 0, "ks", err, sizeof err);
    CHECK(known && lm_known_add(known, HP, K_SRV, "2026-11-29", err, sizeof err) == 0);
    enrolled = lm_enrolled_parse("", 0, "clients", err, sizeof err);
    CHECK(enrolled);
    CHECK(lm_enrolled_add(enrolled, "alice", K_ALICE, "01", "2026-11-29", err, sizeof err) == 0);
    CHECK(lm_enrolled_add(enrolled, "bob", K_BOB, "02", "2026-11-29", err, sizeof err) == 0);
    CHECK(lm_enrolled_revoke(enrolled, "bob", "2026-11-30", err, sizeof err) == 0);

    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        run_row(&rows[i]);
    test_live();
    lm_known_free(known);
    lm_enrolled_free(enrolled);
    printf("trust: ok (%zu rows)\n", sizeof rows / sizeof rows[0]);
    return 0;
}
