/* Unit tests for the enrolled-clients list (src/trust/enrolled.c): names
 * compare without case; a name is active with one key at a time; a revoked
 * key is never enrolled again; revocation rewrites one line; malformed
 * lines are refused with their number; the file is written 0600. */
#define _POSIX_C_SOURCE 200809L

#include "trust/enrolled.h"

#include <string.h>

#include "check.h"
#include "util/text.h"
#include "scratch.h"

#if !defined(_WIN32)
#include <sys/stat.h>
#endif

static unsigned char k1[32], k2[32], k3[32];

static void test_names(void)
{
    CHECK(lm_enrolled_name_ok("alice"));
    CHECK(lm_enrolled_name_ok("Bob_2.x-y"));
    CHECK(lm_enrolled_name_ok("abcdefghijabcdefghijabcdefghij12"));
    CHECK(!lm_enrolled_name_ok("abcdefghijabcdefghijabcdefghij123"));
    CHECK(!lm_enrolled_name_ok(""));
    CHECK(!lm_enrolled_name_ok("a b"));
    CHECK(!lm_enrolled_name_ok("al/ice"));
    CHECK(!lm_enrolled_name_ok("ali\xc3\xa7"));
    CHECK(lm_enrolled_name_eq("Alice", "aLICE"));
    CHECK(!lm_enrolled_name_eq("alice", "alice2"));
}

static void test_rules(void)
{
    char err[512];
    size_t len;
    lm_enrolled *e = lm_enrolled_parse("", 0, "clients", err, sizeof err);
    CHECK(e && lm_enrolled_count(e) == 0);

    CHECK(lm_enrolled_check(e, "alice", k1, err, sizeof err) == 0);
    CHECK(lm_enrolled_add(e, "alice", k1, "0a1b", "2026-11-29", err, sizeof err) == 0);
    /* the same name, any case, with another key: refused, names the fix */
    CHECK(lm_enrolled_check(e, "ALICE", k2, err, sizeof err) == LM_ENROL_NAME_TAKEN);
    CHECK(strstr(err, "--revoke alice") != NULL);
    CHECK(lm_enrolled_add(e, "Alice", k2, "0a1c", "2026-11-29", err, sizeof err) != 0);
    /* the same key under another name: refused */
    CHECK(lm_enrolled_check(e, "bob", k1, err, sizeof err) == LM_ENROL_KEY_TAKEN);
    CHECK(lm_enrolled_check(e, "bad name", k3, err, sizeof err) == LM_ENROL_BAD_NAME);
    /* the same name and key again: one line, the newest serial */
    CHECK(lm_enrolled_add(e, "alice", k1, "ff", "2026-11-30", err, sizeof err) == 0);
    CHECK(lm_enrolled_count(e) == 1);
    CHECK(strcmp(lm_enrolled_find_name(e, "ALICE")->serial, "ff") == 0);

    CHECK(lm_enrolled_add(e, "bob", k2, "02", "2026-11-29", err, sizeof err) == 0);
    CHECK(lm_enrolled_revoke(e, "Alice", "2026-12-01", err, sizeof err) == 0);
    CHECK(lm_enrolled_revoke(e, "alice", "2026-12-01", err, sizeof err) != 0);
    CHECK(strstr(err, "no active client named alice") != NULL);
    CHECK(lm_enrolled_find_name(e, "alice") == NULL);
    const lm_enrolled_entry *x = lm_enrolled_find_key(e, k1);
    CHECK(x && x->revoked && strcmp(x->revoked_on, "2026-12-01") == 0);
    /* a revoked key never comes back; the name is free for a new key */
    CHECK(lm_enrolled_check(e, "alice", k1, err, sizeof err) == LM_ENROL_KEY_REVOKED);
    CHECK(lm_enrolled_check(e, "alice", k3, err, sizeof err) == 0);
    CHECK(lm_enrolled_add(e, "alice", k3, "03", "2026-12-02", err, sizeof err) == 0);
    CHECK(lm_enrolled_find_name(e, "alice") == lm_enrolled_find_key(e, k3));

    /* text round trip: what was written parses to the same list */
    char *text = lm_enrolled_text(e, &len);
    lm_enrolled *again = lm_enrolled_parse(text, len, "clients", err, sizeof err);
    CHECK(again && lm_enrolled_count(again) == 3);
    CHECK(lm_enrolled_find_key(again, k1)->revoked);
    CHECK(!lm_enrolled_find_key(again, k3)->revoked);
    CHECK(strstr(text, "revoked:2026-12-01") && strstr(text, "# lanmsg enrolled clients"));
    free(text);
    lm_enrolled_free(again);
    lm_enrolled_free(e);
}

static void bad(const char *text, const char *what)
{
    char err[512];
    lm_enrolled *e = lm_enrolled_parse(text, strlen(text), "st/clients", err, sizeof err);
    if (e || !strstr(err, what))
        fprintf(stderr, "[%s]: %s\n", text, e ? "parsed" : err);
    CHECK(e == NULL && strstr(err, what) && strstr(err, "st/clients line 2:"));
}

static void test_malformed(void)
{
    char fp1[LM_FP_TEXT_MAX], fp2[LM_FP_TEXT_MAX], t[1024];
    lm_fp_format(k1, fp1);
    lm_fp_format(k2, fp2);
    snprintf(t, sizeof t, "# c\nalice %s 01 2026-01-01\n", fp1);
    bad(t, "NAME FINGERPRINT SERIAL ISSUED STATUS");
    snprintf(t, sizeof t, "# c\nal/ice %s 01 2026-01-01 active\n", fp1);
    bad(t, "not a client name");
    snprintf(t, sizeof t, "# c\nalice %s 0x1 2026-01-01 active\n", fp1);
    bad(t, "hex digits");
    snprintf(t, sizeof t, "# c\nalice %s 01 2026-01-01 revoked\n", fp1);
    bad(t, "revoked:YYYY-MM-DD");
    snprintf(t, sizeof t, "alice %s 01 2026-01-01 active\nALICE %s 02 2026-01-01 active\n", fp1,
             fp2);
    bad(t, "already on line 1");
    snprintf(t, sizeof t,
             "alice %s 01 2026-01-01 revoked:2026-01-02\nbob %s 02 2026-01-01 active\n", fp1, fp1);
    bad(t, "already on line 1");
    /* a revoked alice beside an active one is fine */
    snprintf(t, sizeof t,
             "alice %s 01 2026-01-01 revoked:2026-01-02\nalice %s 02 2026-01-03 active\n", fp1,
             fp2);
    char err[256];
    lm_enrolled *e = lm_enrolled_parse(t, strlen(t), "x", err, sizeof err);
    CHECK(e && lm_enrolled_count(e) == 2);
    lm_enrolled_free(e);
}

static void test_file(void)
{
    char dir[512], path[600], err[512];
    scratch_dir(dir, sizeof dir, "enrolled");
    join(path, sizeof path, dir, "clients");
    lm_enrolled *e = lm_enrolled_load(path, err, sizeof err);
    CHECK(e && lm_enrolled_count(e) == 0);
    CHECK(lm_enrolled_add(e, "alice", k1, "01", "2026-01-01", err, sizeof err) == 0);
    CHECK(lm_enrolled_save(e, path, err, sizeof err) == 0);
    lm_enrolled_free(e);
#if !defined(_WIN32)
    CHECK(lm_file_mode(path, err, sizeof err) == 0600);
#endif
    e = lm_enrolled_load(path, err, sizeof err);
    CHECK(e && lm_enrolled_find_name(e, "alice"));
    lm_enrolled_free(e);
}

int main(void)
{
    lm_lang_init("en");
    for (int i = 0; i < 32; i++) {
        k1[i] = (unsigned char)(i + 1);
        k2[i] = (unsigned char)(i + 2);
        k3[i] = (unsigned char)(i + 3);
    }
    test_names();
    test_rules();
    test_malformed();
    test_file();
    puts("enrolled: ok");
    return 0;
}
