/* Unit tests for known_servers (src/trust/known_servers.c): host:port in one
 * spelling; a file with comments, blank lines and CRLF parsed, and written
 * back with every other line byte for byte; malformed lines refused with
 * their line number; a known key never replaced; remember/forget through
 * the file, atomically, nothing lost when a write fails. */
#define _POSIX_C_SOURCE 200809L

#include "trust/known_servers.h"

#include <string.h>

#include "check.h"
#include "util/text.h"
#include "scratch.h"

#if !defined(_WIN32)
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#endif

static unsigned char fp_a[32], fp_b[32];
static char text_a[LM_FP_TEXT_MAX], text_b[LM_FP_TEXT_MAX];

static void key_is(const char *in, int def, const char *want)
{
    char out[LM_KNOWN_KEY_MAX], err[256];
    int rc = lm_known_key_parse(in, def, out, sizeof out, err, sizeof err);
    if (!want) {
        if (rc == 0)
            fprintf(stderr, "key %s -> %s, want an error\n", in, out);
        CHECK(rc != 0);
        CHECK(strchr(err, '\n') == NULL && err[0]);
        return;
    }
    if (rc != 0 || strcmp(out, want) != 0)
        fprintf(stderr, "key %s -> %s (want %s) %s\n", in, rc ? "error" : out, want, err);
    CHECK(rc == 0 && strcmp(out, want) == 0);
}

static void test_keys(void)
{
    key_is("LanBox.:5000", 0, "lanbox:5000");
    key_is("lanbox", 5000, "lanbox:5000");
    key_is("lanbox", 0, NULL);           /* the file wants a port */
    key_is("192.168.001.10:7", 0, NULL); /* not an address, not a name either */
    key_is("192.168.1.10:7", 0, "192.168.1.10:7");
    key_is("::1", 5000, "[::1]:5000");
    key_is("[::0001]:7000", 0, "[::1]:7000");
    key_is("[FE80::1]", 5000, "[fe80::1]:5000");
    key_is("my_pc:5000", 0, "my_pc:5000");
    key_is("a b:5000", 0, NULL);
    key_is("host:0", 0, NULL);
    key_is("host:65536", 0, NULL);
    key_is("host:50x", 0, NULL);
    key_is("[::1", 0, NULL);
    key_is("[::1]x", 0, NULL);
    key_is("", 5000, NULL);
    key_is("bad..name:1", 0, NULL);
}

static char *file_text(const char *extra)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "# my servers\n"
             "\n"
             "lanbox:5000 %s 2026-11-29\r\n"
             "   # indented comment, kept\n"
             "[fe80::1]:5000\t%s\t2026-01-02\n"
             "%s",
             text_a, text_b, extra);
    return buf;
}

static void test_parse(void)
{
    char err[512];
    const char *t = file_text("");
    lm_known *k = lm_known_parse(t, strlen(t), "ks", err, sizeof err);
    CHECK(k != NULL);
    CHECK(lm_known_count(k) == 2);
    const lm_known_entry *e = lm_known_find(k, "lanbox:5000");
    CHECK(e && lm_fp_equal(e->fp, fp_a) && strcmp(e->date, "2026-11-29") == 0 && e->line == 2);
    e = lm_known_find(k, "[fe80::1]:5000");
    CHECK(e && lm_fp_equal(e->fp, fp_b));
    CHECK(lm_known_find(k, "lanbox:5001") == NULL);

    /* written back untouched */
    size_t len;
    char *out = lm_known_text(k, &len);
    CHECK(len == strlen(t) && memcmp(out, t, len) == 0);
    free(out);

    /* remove one: exactly that line goes */
    CHECK(lm_known_remove(k, "lanbox:5000") == 1);
    CHECK(lm_known_remove(k, "lanbox:5000") == 0);
    out = lm_known_text(k, &len);
    char want[4096];
    const char *cut = strstr(t, "lanbox:5000");
    const char *after = strchr(cut, '\n') + 1;
    snprintf(want, sizeof want, "%.*s%s", (int)(cut - t), t, after);
    CHECK(strcmp(out, want) == 0);
    free(out);

    /* add one: appended, the rest as it was; a known key is never replaced */
    CHECK(lm_known_add(k, "[fe80::1]:5000", fp_a, "2026-12-01", err, sizeof err) != 0);
    CHECK(strstr(err, "never replaced") && strstr(err, "--forget [fe80::1]:5000"));
    CHECK(lm_known_add(k, "lanbox:5000", fp_b, "2026-12-01", err, sizeof err) == 0);
    out = lm_known_text(k, &len);
    char line[256];
    snprintf(line, sizeof line, "lanbox:5000 %s 2026-12-01\n", text_b);
    CHECK(strncmp(out, want, strlen(want)) == 0 && strcmp(out + strlen(want), line) == 0);
    free(out);
    lm_known_free(k);

    /* a last line without its newline gets one before an append */
    char tail[512];
    snprintf(tail, sizeof tail, "# last, no newline");
    k = lm_known_parse(tail, strlen(tail), "ks", err, sizeof err);
    CHECK(k && lm_known_add(k, "h:1", fp_a, "2026-01-01", err, sizeof err) == 0);
    out = lm_known_text(k, &len);
    CHECK(strncmp(out, "# last, no newline\nh:1 ", 23) == 0);
    free(out);
    lm_known_free(k);
}

static void bad_line(const char *extra, const char *line_no, const char *what)
{
    char err[512];
    const char *t = file_text(extra);
    lm_known *k = lm_known_parse(t, strlen(t), "/x/known_servers", err, sizeof err);
    if (k || !strstr(err, line_no) || !strstr(err, what))
        fprintf(stderr, "for [%s]: %s\n", extra, k ? "parsed" : err);
    CHECK(k == NULL);
    CHECK(strstr(err, "/x/known_servers") && strstr(err, line_no) && strstr(err, what));
    CHECK(strchr(err, '\n') == NULL);
}

static void test_malformed(void)
{
    char extra[512];
    bad_line("just-one-field\n", "line 6:", "HOST:PORT FINGERPRINT DATE");
    snprintf(extra, sizeof extra, "lanbox %s 2026-01-01\n", text_a);
    bad_line(extra, "line 6:", "no port");
    snprintf(extra, sizeof extra, "other:1 %s 2026-02-30\n", text_a);
    bad_line(extra, "line 6:", "2026-02-30");
    snprintf(extra, sizeof extra, "other:1 %.20s 2026-01-01\n", text_a);
    bad_line(extra, "line 6:", "not a fingerprint");
    char typo[LM_FP_TEXT_MAX];
    memcpy(typo, text_a, sizeof typo);
    typo[40] = typo[40] == 'A' ? 'B' : 'A';
    snprintf(extra, sizeof extra, "other:1 %s 2026-01-01\n", typo);
    bad_line(extra, "line 6:", "typing error");
    snprintf(extra, sizeof extra, "LANBOX:5000 %s 2026-01-01\n", text_b);
    bad_line(extra, "line 6:", "already on line 3");
    bad_line("other:1 x\x01y 2026-01-01\n", "line 6:", "control characters");
    snprintf(extra, sizeof extra, "other:1 %s 2026-01-01 extra\n", text_a);
    bad_line(extra, "line 6:", "HOST:PORT FINGERPRINT DATE");
}

static void test_files(void)
{
    char dir[512], path[600], err[512];
    int removed = 0;
    char *t;

    scratch_dir(dir, sizeof dir, "known");
    /* the folder is made by the first remember, 0700 */
    char sub[560];
    join(sub, sizeof sub, dir, "config/lanmsg");
    join(path, sizeof path, sub, "known_servers");
    /* a missing file is an empty list */
    lm_known *k = lm_known_load(path, err, sizeof err);
    CHECK(k && lm_known_count(k) == 0);
    lm_known_free(k);

    CHECK(lm_known_remember(path, "lanbox:5000", fp_a, "2026-11-29", err, sizeof err) == 0);
#if !defined(_WIN32)
    CHECK(lm_file_mode(sub, err, sizeof err) == 0700);
#endif
    t = read_text(path);
    CHECK(t && strncmp(t, "# lanmsg known servers", 22) == 0 && strstr(t, text_a));
    free(t);
    CHECK(lm_known_remember(path, "lanbox:5000", fp_b, "2026-11-30", err, sizeof err) != 0);
    CHECK(lm_known_remember(path, "[::1]:5000", fp_b, "2026-11-30", err, sizeof err) == 0);

    /* a hand edit survives a later change */
    t = read_text(path);
    char edited[4096];
    snprintf(edited, sizeof edited, "%s# added by hand\n", t);
    free(t);
    write_text(path, edited);
    CHECK(lm_known_forget(path, "lanbox:5000", &removed, err, sizeof err) == 0 && removed);
    CHECK(lm_known_forget(path, "lanbox:5000", &removed, err, sizeof err) == 0 && !removed);
    t = read_text(path);
    CHECK(t && strstr(t, "# added by hand\n") && !strstr(t, text_a) && strstr(t, text_b));
    free(t);

    /* a damaged file is refused, and left as it is */
    snprintf(edited, sizeof edited, "garbage line\n");
    write_text(path, edited);
    CHECK(lm_known_remember(path, "h:1", fp_a, "2026-01-01", err, sizeof err) != 0);
    CHECK(strstr(err, "line 1:") != NULL);
    t = read_text(path);
    CHECK(t && strcmp(t, edited) == 0);
    free(t);

#if !defined(_WIN32)
    /* a write that fails half-way leaves the old file whole */
    snprintf(edited, sizeof edited, "# keep me\nlanbox:5000 %s 2026-11-29\n", text_a);
    write_text(path, edited);
    struct rlimit saved, small;
    signal(SIGXFSZ, SIG_IGN);
    CHECK(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    small.rlim_cur = 16;
    small.rlim_max = saved.rlim_max;
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    int rc = lm_known_remember(path, "h:1", fp_b, "2026-01-01", err, sizeof err);
    CHECK(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    CHECK(rc != 0 && strstr(err, "nothing was changed"));
    t = read_text(path);
    CHECK(t && strcmp(t, edited) == 0);
    free(t);
    /* and a file others may write is not trusted */
    CHECK(chmod(path, 0666) == 0);
    CHECK(lm_known_load(path, err, sizeof err) == NULL && strstr(err, "chmod go-w"));
#endif
}

int main(void)
{
    lm_lang_init("en");
    for (int i = 0; i < 32; i++) {
        fp_a[i] = (unsigned char)i;
        fp_b[i] = (unsigned char)(255 - i);
    }
    lm_fp_format(fp_a, text_a);
    lm_fp_format(fp_b, text_b);
    test_keys();
    test_parse();
    test_malformed();
    test_files();
    puts("known_servers: ok");
    return 0;
}
