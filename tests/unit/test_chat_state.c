/* Unit tests of the chat service's reserved names in its state folder
 * (src/service/chat.c, "Reserved names"): kept across runs, compared
 * without regard to case, rewritten whole without a temporary file left
 * behind, bounded (the least recently seen go first), bad lines skipped, an
 * unreadable list refused at start, an unwritable folder only warned about.
 *
 * The service runs on a stand-in for the engine: connections are structs
 * that collect what the service sends. The argument is a folder this test
 * may fill (CMake gives one in the build tree). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/error.h"
#include "lanmsg/service.h"
#include "platform/os.h"
#include "util/text.h"
#include "check.h"

extern const lm_service lm_service_chat;

/* ---- a stand-in for the engine ---- */

struct lm_conn {
    uint64_t id;
    char peer[32];
    const char *cn;
    void *data;
    char out[4096];
    size_t outlen;
    int closed;
};

int lm_conn_send_raw(lm_conn *c, const char *data, size_t len)
{
    if (c->outlen + len < sizeof c->out) {
        memcpy(c->out + c->outlen, data, len);
        c->outlen += len;
        c->out[c->outlen] = '\0';
    }
    return LM_OK;
}
void lm_conn_close(lm_conn *c, const char *reason)
{
    (void)reason;
    c->closed = 1;
}
const char *lm_conn_peer(const lm_conn *c)
{
    return c->peer;
}
int lm_conn_secure(const lm_conn *c)
{
    return c->cn != NULL;
}
const char *lm_conn_cert_name(const lm_conn *c)
{
    return c->cn ? c->cn : "";
}
uint64_t lm_conn_id(const lm_conn *c)
{
    return c->id;
}
void *lm_conn_data(const lm_conn *c)
{
    return c->data;
}
void lm_conn_set_data(lm_conn *c, void *data)
{
    c->data = data;
}

/* ---- helpers ---- */

static char base[512];
static uint64_t next_id = 1;

static void path(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

/* A fresh state folder under the test's folder. */
static const char *state_dir(const char *name)
{
    static char dir[8][600];
    static int n;
    char file[700];
    char *d = dir[n++ % 8];
    path(d, sizeof dir[0], base, name);
    lm_make_dir(d, 0700);
    path(file, sizeof file, d, "chat-names");
    remove(file);
    path(file, sizeof file, d, "chat-names.tmp");
    remove(file);
    return d;
}

static char *slurp(const char *dir, const char *name)
{
    char p[700];
    FILE *f;
    long n;
    char *s;
    path(p, sizeof p, dir, name);
    f = fopen(p, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = malloc((size_t)n + 1);
    CHECK(s && fread(s, 1, (size_t)n, f) == (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* The names in a list file, in order, comments left out, one per line. */
static char *names_of(const char *dir)
{
    char *s = slurp(dir, "chat-names"), *out, *o, *line;
    if (!s)
        return NULL;
    out = o = calloc(1, strlen(s) + 1);
    for (line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        o += sprintf(o, "%s\n", line);
    }
    free(s);
    return out;
}

static void *start(const char *dir)
{
    lm_service_params p;
    void *st = NULL;
    char err[512] = "";
    memset(&p, 0, sizeof p);
    p.threads = 1;
    p.tls = 1;
    p.state_dir = dir;
    if (lm_service_chat.init(&p, &st, err, sizeof err) != LM_OK) {
        fprintf(stderr, "init failed: %s\n", err);
        CHECK(!"init succeeds");
    }
    return st;
}

static lm_conn *join(void *st, const char *cn)
{
    lm_conn *c = calloc(1, sizeof *c);
    c->id = next_id++;
    snprintf(c->peer, sizeof c->peer, "127.0.0.1:%u", (unsigned)(40000 + c->id));
    c->cn = cn;
    lm_service_chat.on_open(st, c);
    return c;
}

static void say(void *st, lm_conn *c, const char *line)
{
    c->outlen = 0;
    c->out[0] = '\0';
    lm_service_chat.on_message(st, c, line, strlen(line));
}

static void part(void *st, lm_conn *c)
{
    lm_service_chat.on_close(st, c);
    free(c);
}

/* Whether someone without a certificate can take the name. */
static int can_take(void *st, const char *name)
{
    char line[100];
    lm_conn *c = join(st, NULL);
    int ok;
    snprintf(line, sizeof line, "/nick %s", name);
    say(st, c, line);
    ok = strstr(c->out, "belongs to a certificate holder") == NULL;
    part(st, c);
    return ok;
}

/* ---- the cases ---- */

static void test_kept_across_runs(void)
{
    const char *dir = state_dir("runs");
    void *st = start(dir);
    char *names;
    lm_conn *a;

    CHECK(can_take(st, "alice"));
    a = join(st, "alice");
    part(st, a);
    CHECK(!can_take(st, "alice")); /* this run */
    names = names_of(dir);
    CHECK(names && strcmp(names, "alice\n") == 0);
    free(names);
    CHECK(slurp(dir, "chat-names.tmp") == NULL); /* replaced, not left behind */
    lm_service_chat.fini(st);

    st = start(dir); /* a new run */
    CHECK(!can_take(st, "alice"));
    CHECK(!can_take(st, "ALICE")); /* whatever the case */
    CHECK(can_take(st, "bob"));
    part(st, join(st, "bob"));
    names = names_of(dir);
    CHECK(names && strcmp(names, "alice\nbob\n") == 0);
    free(names);
    /* Seeing alice again makes her the most recent: written with the
     * next new name. */
    part(st, join(st, "alice"));
    part(st, join(st, "carol"));
    names = names_of(dir);
    CHECK(names && strcmp(names, "bob\nalice\ncarol\n") == 0);
    free(names);
    lm_service_chat.fini(st);
}

static void test_bounded(void)
{
    const char *dir = state_dir("bounded");
    char p[700], *names, *first, *last;
    FILE *f;
    int i, n;
    void *st;

    path(p, sizeof p, dir, "chat-names");
    f = fopen(p, "wb");
    CHECK(f != NULL);
    fputs("# a comment\n\n", f);
    for (i = 0; i < 4196; i++)
        fprintf(f, "n%d\n", i);
    fputs("this name is far too long to be a certificate's common name, which has 64 bytes "
          "at most\n",
          f);
    fputs("ctl\x01name\nlast-without-newline", f);
    fclose(f);

    st = start(dir);
    /* 4197 names: the 101 oldest are forgotten, the rest kept. */
    CHECK(can_take(st, "n100"));
    CHECK(!can_take(st, "n101"));
    CHECK(!can_take(st, "last-without-newline")); /* a hand edit */
    CHECK(!can_take(st, "n4195"));
    CHECK(can_take(st, "ctl"));
    part(st, join(st, "newcomer"));
    names = names_of(dir);
    CHECK(names != NULL);
    for (n = 0, first = names; (first = strchr(first, '\n')) != NULL; first++)
        n++;
    CHECK(n == 4096);
    CHECK(strncmp(names, "n102\n", 5) == 0);
    last = names + strlen(names) - strlen("newcomer\n");
    CHECK(strcmp(last, "newcomer\n") == 0);
    CHECK(strstr(names, "far too long") == NULL && strstr(names, "ctl") == NULL);
    free(names);
    lm_service_chat.fini(st);
}

static void test_unreadable(void)
{
    const char *dir = state_dir("unreadable");
    lm_service_params prm;
    char p[700], err[512] = "";
    void *st = NULL;

    /* A folder where the list should be: it exists and cannot be read. */
    path(p, sizeof p, dir, "chat-names");
    CHECK(lm_make_dir(p, 0700) == 0);
    memset(&prm, 0, sizeof prm);
    prm.threads = 1;
    prm.tls = 1;
    prm.state_dir = dir;
    CHECK(lm_service_chat.init(&prm, &st, err, sizeof err) == LM_ERR);
    CHECK(strstr(err, "cannot read") && strstr(err, "chat-names"));
    CHECK(strchr(err, '\n') == NULL); /* one line */
}

static void test_unwritable(void)
{
    const char *dir = state_dir("unwritable");
    char p[700];
    FILE *f;
    void *st;

    /* A full folder where the temporary file goes: nothing can be saved. */
    path(p, sizeof p, dir, "chat-names.tmp");
    lm_make_dir(p, 0700);
    path(p, sizeof p, dir, "chat-names.tmp/keep");
    f = fopen(p, "wb");
    CHECK(f != NULL);
    fclose(f);
    st = start(dir);
    part(st, join(st, "dora")); /* warns once on stderr */
    part(st, join(st, "erin"));
    CHECK(!can_take(st, "dora")); /* still reserved for this run */
    CHECK(slurp(dir, "chat-names") == NULL);
    lm_service_chat.fini(st);
}

static void test_no_state(void)
{
    void *st = start(NULL);
    part(st, join(st, "frank"));
    CHECK(!can_take(st, "frank"));
    lm_service_chat.fini(st);
    st = start(NULL);
    CHECK(can_take(st, "frank")); /* nothing kept */
    lm_service_chat.fini(st);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    snprintf(base, sizeof base, "%s", argv[1]);
    lm_make_dir(base, 0700);
    lm_log_set_level(LM_LOG_QUIET);
    test_kept_across_runs();
    test_bounded();
    test_unreadable();
    test_unwritable();
    test_no_state();
    return 0;
}
