/* lanmsg-client: the tutorial's client, grown up.
 *
 * Defaults are the tutorial's: connect to 127.0.0.1:5000 over plain TCP,
 * send "Olá servidor!", print the reply. With --tls it verifies the server's
 * certificate chain and name by default; --insecure is loud about skipping
 * that, and --fallback-plain is loud about falling back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_client.h"
#include "client.h"
#include "lanmsg/discovery.h"
#include "lanmsg/framing.h"
#include "platform/os.h"
#include "platform/paths.h"
#include "trust/fingerprint.h"
#include "trust/known_servers.h"
#include "util/mem.h"
#include "util/text.h"
#include "files.h"
#include "keypass.h"
#include "options.h"

#define DEFAULT_MESSAGE "Olá servidor!"

/* --discover: list the servers announced on the LAN, and exit. */
static int discover;
/* --forget HOST[:PORT], --pair CODE (with --name): actions of their own. */
static const char *forget, *pair_code, *pair_name;

/* --chat and --nick: the interactive chat client (chat_client.c). */
static int chat_mode;
static const char *chat_nick;
/* The first TLS-only flag given: without --tls it is refused, not ignored. */
static const char *tls_flag;
static const char *key_pass_file;
static char key_pass[256];

static void tls_only(const char *flag)
{
    if (!tls_flag)
        tls_flag = flag;
}

/* ======================================================================
 * Options
 * ==================================================================== */

static int parse(lm_client_opts *o, const lm_config_args *cfg)
{
    lm_args a;
    int argc = cfg->argc;
    char **argv = cfg->argv;
    lm_args_init(&a, argc, argv, "lanmsg-client");
    a.origin = cfg->origin;
    for (; a.i < argc && !a.err[0]; a.i++) {
        const char *v;
        if (lm_arg_flag(&a, "-h|--help")) {
            fputs(lm_tr(LM_M_CLI_USAGE), stdout);
            return LM_EXIT_OK;
        } else if (lm_arg_flag(&a, "-V|--version")) {
            printf("lanmsg-client %s (%s)\n", LANMSG_VERSION, lm_tls_library());
            return LM_EXIT_OK;
        } else if (lm_arg_common(&a, &o->lang, &o->verbose)) {
            if (o->lang)
                lm_lang_init(o->lang);
        } else if (lm_arg_value(&a, "--host", &v)) {
            o->host = v;
        } else if (lm_arg_value(&a, "-p|--port", &v)) {
            if (lm_arg_port(&a, "--port", v) == 0) {
                o->port = v;
                o->port_given = 1;
            }
        } else if (lm_arg_flag(&a, "--tls")) {
            o->use_tls = 1;
        } else if (lm_arg_value(&a, "--ca", &v)) {
            o->tls.ca_file = v;
            tls_only("--ca");
        } else if (lm_arg_value(&a, "--cert", &v)) {
            o->tls.cert_file = v;
            tls_only("--cert");
        } else if (lm_arg_value(&a, "--key", &v)) {
            o->tls.key_file = v;
            tls_only("--key");
        } else if (lm_arg_value(&a, "--key-pass-file", &v)) {
            key_pass_file = v;
            tls_only("--key-pass-file");
        } else if (lm_arg_value(&a, "--servername", &v)) {
            o->servername = v;
            tls_only("--servername");
        } else if (lm_arg_flag(&a, "--insecure")) {
            o->tls.insecure = 1;
            tls_only("--insecure");
        } else if (lm_arg_flag(&a, "--fallback-plain")) {
            o->fallback_plain = 1;
            tls_only("--fallback-plain");
        } else if (lm_arg_flag(&a, "--allow-insecure-key-perms")) {
            o->tls.allow_insecure_key_perms = 1;
            tls_only("--allow-insecure-key-perms");
        } else if (lm_arg_value(&a, "--tls-version", &v)) {
            long n;
            if (lm_arg_int(&a, "--tls-version", v, 12, 13, &n) == 0)
                o->tls.tls_version = (int)n;
            tls_only("--tls-version");
        } else if (lm_arg_value(&a, "--cipher", &v)) {
            o->tls.cipher = v;
            tls_only("--cipher");
        } else if (lm_arg_value(&a, "--framing", &v)) {
            if (lm_framing_parse(v, &o->framing) != 0)
                snprintf(a.err, sizeof a.err, "--framing %s: unknown mode (use line or raw)", v);
        } else if (lm_arg_value(&a, "--max-line", &v)) {
            long n;
            if (lm_arg_int(&a, "--max-line", v, 16, 64L * 1024 * 1024, &n) == 0)
                o->max_line = (size_t)n;
        } else if (lm_arg_value(&a, "--timeout", &v)) {
            lm_arg_seconds(&a, "--timeout", v, &o->timeout_ms);
        } else if (lm_arg_value(&a, "--repeat", &v)) {
            long n;
            if (lm_arg_int(&a, "--repeat", v, 1, 1000000, &n) == 0)
                o->repeat = (int)n;
        } else if (lm_arg_flag(&a, "--udp")) {
            o->udp = 1;
        } else if (lm_arg_value(&a, "--retries", &v)) {
            long n;
            if (lm_arg_int(&a, "--retries", v, 0, 100, &n) == 0)
                o->retries = (int)n;
        } else if (lm_arg_value(&a, "--pin", &v)) {
            o->pin = v;
            tls_only("--pin");
        } else if (lm_arg_flag(&a, "--trust-on-first-use")) {
            o->tofu = 1;
            tls_only("--trust-on-first-use");
        } else if (lm_arg_value(&a, "--forget", &v)) {
            forget = v;
        } else if (lm_arg_value(&a, "--pair", &v)) {
            pair_code = v;
        } else if (lm_arg_value(&a, "--name", &v)) {
            pair_name = v;
        } else if (lm_arg_value(&a, "--state-dir", &v)) {
            o->state_opt = v;
        } else if (lm_arg_flag(&a, "--discover")) {
            discover = 1;
        } else if (lm_arg_flag(&a, "--chat")) {
            chat_mode = 1;
        } else if (lm_arg_value(&a, "--nick", &v)) {
            chat_nick = v;
        } else if (lm_arg_value(&a, "-m|--message", &v)) {
            o->message = v;
        } else if (a.argv[a.i][0] == '-' && a.argv[a.i][1] != '\0') {
            lm_arg_unknown(&a);
        } else if (!a.err[0]) {
            /* Words after the options form the message, as with echo(1). */
            o->words = argv + a.i;
            o->nwords = argc - a.i;
            break;
        }
    }
    if (a.err[0]) {
        lm_args_report(&a);
        return LM_EXIT_USAGE;
    }
    if (tls_flag && !o->use_tls && !pair_code && !(discover && !strcmp(tls_flag, "--pin"))) {
        lm_warn(LM_M_OPT_NEEDS_TLS, tls_flag, tls_flag);
        return LM_EXIT_USAGE;
    }
    return -1;
}

/* ======================================================================
 * --discover
 * ==================================================================== */

/* How a heard fingerprint compares with what this client already trusts
 * for that server: --pin, else the known_servers lines under any of its
 * names (instance name, host name, addresses, at its port). The TXT
 * record is only a hint: a match is shown, a difference is flagged, and
 * neither changes what a connection will check. */
static void mark_server(const lm_disc_result *r, const lm_known *known, const unsigned char *pin,
                        char *out, size_t len)
{
    unsigned char heard[LM_FP_LEN];
    char key[LM_KNOWN_KEY_MAX], text[LM_FP_TEXT_MAX], err[256];
    char bare[sizeof r->host];
    const char *names[3 + 4];
    int n = 0;

    out[0] = '\0';
    if (!r->fp[0] || lm_fp_parse(r->fp, heard, err, sizeof err) != 0)
        return;
    if (pin) {
        lm_format(out, len,
                  lm_fp_equal(heard, pin) ? LM_M_DISC_MARK_PIN : LM_M_DISC_MARK_PIN_DIFFERS);
        return;
    }
    if (!known)
        return;
    /* A connection by instance name records the host without ".local". */
    snprintf(bare, sizeof bare, "%s", r->host);
    if (strlen(bare) > 6 && strcmp(bare + strlen(bare) - 6, ".local") == 0)
        bare[strlen(bare) - 6] = '\0';
    names[n++] = r->name;
    names[n++] = r->host;
    names[n++] = bare;
    for (int i = 0; i < r->naddr && i < 4; i++)
        names[n++] = r->addr[i];
    for (int i = 0; i < n; i++) {
        const lm_known_entry *e;
        if (!names[i][0] || lm_known_key(names[i], r->port, key, sizeof key, err, sizeof err) != 0)
            continue; /* e.g. an instance name with spaces is no host name */
        if (!(e = lm_known_find(known, key)))
            continue;
        if (lm_fp_equal(heard, e->fp)) {
            lm_format(out, len, LM_M_DISC_MARK_KNOWN, key);
        } else {
            lm_fp_format(e->fp, text);
            lm_format(out, len, LM_M_DISC_MARK_DIFFERS, key, text);
            return; /* a difference under any name wins over a match */
        }
    }
}

/* One line per server heard within the wait, as lm_disc_format writes it:
 * name, address:port, TLS or plain, fingerprint; then how that fingerprint
 * compares with a pin or known_servers. */
static int list_servers(const char *pin)
{
    static lm_disc_result r[32];
    char err[512], line[512], mark[256], path[1024];
    unsigned char want[LM_FP_LEN];
    lm_known *known = NULL;
    int n;

    if (pin && lm_fp_parse(pin, want, err, sizeof err) != 0) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_USAGE;
    }
    n = lm_disc_browse(NULL, LM_CLIENT_DISCOVER_MS, r, 32, err, sizeof err);
    if (n < 0) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_RUNTIME;
    }
    if (n == 0) {
        lm_warn(LM_M_CLI_NONE_FOUND, LM_CLIENT_DISCOVER_MS / 1000);
        return LM_EXIT_RUNTIME;
    }
    if (!pin && lm_client_known_path(path, sizeof path, err, sizeof err) == 0 &&
        lm_path_exists(path) && !(known = lm_known_load(path, err, sizeof err)))
        lm_warn(LM_M_PASSTHROUGH, err); /* listed anyway, without the comparison */
    for (int i = 0; i < n; i++) {
        lm_disc_format(&r[i], line, sizeof line);
        mark_server(&r[i], known, pin ? want : NULL, mark, sizeof mark);
        printf("%s%s\n", line, mark);
    }
    lm_known_free(known);
    return LM_EXIT_OK;
}

/* ======================================================================
 * One message, one reply
 * ==================================================================== */

typedef struct reply_ctx {
    int got;
    int refused; /* exit code when the server answered "error: ..." */
    const lm_client_opts *o;
    const char *peer;
} reply_ctx;

/* Print one reply. A reply starting with "error: " is the server refusing
 * something (TLS required, message too long, server full): it goes to
 * stderr and makes the exit status non-zero. */
static int on_reply(void *ctx, lm_frame_kind kind, const char *msg, size_t len)
{
    reply_ctx *r = ctx;
    char shown[4096];
    (void)kind;
    lm_escape(shown, sizeof shown, msg, len);
    r->got = 1;
    if (len >= 7 && memcmp(msg, "error: ", 7) == 0) {
        r->refused = strstr(shown, "requires TLS") ? LM_EXIT_TLS : LM_EXIT_RUNTIME;
        lm_warn(LM_M_CLI_SERVER_ERROR, r->peer, shown);
    } else if (r->o->verbose >= 0) {
        lm_info(LM_M_CLI_REPLY, shown);
    } else {
        printf("%s\n", shown); /* -q: just the reply, for scripts */
    }
    return 1; /* one reply per message */
}

/* Wait for one reply. Replies are read with the server's auto rule: a line,
 * or, from a peer that sends no newline (the tutorial's server), whatever
 * arrived once nothing more is immediately readable. */
static int read_reply(lm_client *cl, lm_framer *f, int *refused)
{
    reply_ctx r = {0, 0, cl->o, cl->peer};
    char buf[16384];

    if (lm_framer_partial(f)) {
        /* Replies left over from an earlier read come first. */
        lm_framer_push(f, "", 0, on_reply, &r);
        if (!r.got && !lm_client_more_ready(cl))
            lm_framer_idle(f, on_reply, &r);
    }
    while (!r.got) {
        long n = lm_client_read(cl, buf, sizeof buf);
        if (n == 0) {
            lm_framer_eof(f, on_reply, &r);
            if (r.got)
                break;
            lm_warn(LM_M_CLI_CLOSED_EARLY, cl->peer);
            return LM_EXIT_RUNTIME;
        }
        if (n < 0)
            return lm_client_fail(cl, (int)n);
        lm_framer_push(f, buf, (size_t)n, on_reply, &r);
        if (!r.got && !lm_client_more_ready(cl))
            lm_framer_idle(f, on_reply, &r);
    }
    *refused = r.refused != 0;
    return r.refused ? r.refused : LM_EXIT_OK;
}

/* Send one message and wait for its reply. The newline goes out in the same
 * write as the text: a server using the auto rule would otherwise see the
 * text alone first and take it for a tutorial-style raw message. */
static int exchange(lm_client *cl, lm_framer *f, const char *msg, size_t len, int *refused)
{
    int line = cl->o->framing != LM_FRAMING_RAW, rc;
    char *buf = lm_xmalloc(len + 1);

    *refused = 0;
    memcpy(buf, msg, len);
    buf[len] = '\n';
    rc = lm_client_write_all(cl, buf, len + (line ? 1u : 0u));
    free(buf);
    if (rc != LM_OK)
        return lm_client_fail(cl, rc);
    return read_reply(cl, f, refused);
}

/* The message from -m or the words after the options; NULL when stdin
 * lines are the messages (scripted use); the tutorial's otherwise. */
static const char *message_of(const lm_client_opts *o, char *joined, size_t cap)
{
    size_t used = 0;
    if (o->message)
        return o->message;
    if (!o->nwords)
        return lm_stdin_is_tty() ? DEFAULT_MESSAGE : NULL;
    joined[0] = '\0';
    for (int i = 0; i < o->nwords; i++) {
        int w = snprintf(joined + used, cap - used, "%s%s", i ? " " : "", o->words[i]);
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
    return joined;
}

/* Send the message given on the command line, or each line of a non-tty
 * stdin, and print each reply. */
static int run_messages(lm_client *cl)
{
    const lm_client_opts *o = cl->o;
    lm_framer f;
    int rc = LM_EXIT_OK;

    /* Replies: auto rule in line mode, one read per reply in raw mode. */
    lm_framer_init(&f, o->framing == LM_FRAMING_RAW ? LM_FRAMING_RAW : LM_FRAMING_AUTO,
                   LM_DEFAULT_MAX_LINE);
    if (!o->message && !o->nwords && !lm_stdin_is_tty()) {
        /* Scripted use: each stdin line is a message. An empty stdin (as
         * under a service manager or CI) falls back to the default. */
        char *line = NULL;
        size_t cap = 0;
        long n = lm_read_line(&line, &cap, stdin), lineno = 1;
        int any = n >= 0, failed = LM_EXIT_OK, refused = 0;
        while (rc == LM_EXIT_OK && n >= 0) {
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            if ((size_t)n > o->max_line) {
                /* The server would refuse it too: skip it, say so, go on,
                 * and fail at the end. */
                lm_warn(LM_M_CLI_LINE_TOO_LONG, lineno, (size_t)n, o->max_line);
                failed = LM_EXIT_RUNTIME;
            } else {
                rc = exchange(cl, &f, line, (size_t)n, &refused);
                if (refused && cl->tp) {
                    /* Refused (and already shown) but still connected:
                     * the next line may be fine. */
                    failed = rc;
                    rc = LM_EXIT_OK;
                }
            }
            if (rc == LM_EXIT_OK) {
                n = lm_read_line(&line, &cap, stdin);
                lineno++;
            }
        }
        free(line);
        if (any) {
            lm_framer_free(&f);
            return rc != LM_EXIT_OK ? rc : failed;
        }
    }
    {
        char joined[LM_DEFAULT_MAX_LINE];
        const char *msg = message_of(o, joined, sizeof joined);
        int refused;
        if (!msg)
            msg = DEFAULT_MESSAGE;
        rc = exchange(cl, &f, msg, strlen(msg), &refused);
    }
    lm_framer_free(&f);
    return rc;
}

int main(int argc, char **argv)
{
    lm_client_opts o;
    lm_client cl, cl0;
    static lm_config_args args; /* lives as long as the program: the options point into it */
    char err[768];
    int rc, i;

    memset(&o, 0, sizeof o);
    memset(&cl0, 0, sizeof cl0);
    o.host = "127.0.0.1";
    o.port = "5000";
    o.max_line = LM_DEFAULT_MAX_LINE;
    o.retries = 2;
    o.framing = LM_FRAMING_LINE;
    o.timeout_ms = 10000;
    o.repeat = 1;
    lm_log_set_program("lanmsg-client");
    lm_lang_init(NULL);
    if (lm_config_load("lanmsg-client", argc, argv, &args, err, sizeof err) != 0) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_USAGE;
    }
    rc = parse(&o, &args);
    if (rc >= 0)
        return rc;
    lm_log_set_level(o.verbose);
    if (forget)
        return lm_client_forget(forget);
    if (o.framing == LM_FRAMING_AUTO)
        o.framing = LM_FRAMING_LINE;
    if (o.use_tls) {
        int got = lm_key_pass_get(o.tls.key_file, key_pass_file, o.tls.allow_insecure_key_perms,
                                  key_pass, sizeof key_pass, err, sizeof err);
        if (got < 0) {
            lm_warn(LM_M_PASSTHROUGH, err);
            return LM_EXIT_USAGE;
        }
        /* Kept until the TLS configuration copies it (at the first connect). */
        o.tls.key_pass = got ? key_pass : NULL;
    }
    if (lm_net_init(err, sizeof err) != LM_OK) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_RUNTIME;
    }
    if (discover) {
        rc = list_servers(o.pin);
        lm_net_cleanup();
        return rc;
    }
    if (pair_code) {
        rc = lm_client_pair(&o, pair_code, pair_name);
        lm_net_cleanup();
        return rc;
    }
    if (o.udp) {
        char joined[LM_DEFAULT_MAX_LINE];
        const char *msg = message_of(&o, joined, sizeof joined);
        lm_signals_install(NULL, NULL);
        rc = o.use_tls ? lm_dtls_client_run(&o, msg) : lm_udp_client_run(&o, msg);
        lm_key_pass_wipe(key_pass, sizeof key_pass); /* the TLS configuration had its copy */
        lm_net_cleanup();
        return rc;
    }
    if (chat_mode) {
        /* Chat: Ctrl-C leaves cleanly (close_notify, exit 0). */
        static volatile sig_atomic_t stop;
        lm_signals_install(&stop, NULL);
        rc = lm_client_connect(&cl0, &o);
        lm_key_pass_wipe(key_pass, sizeof key_pass); /* the TLS configuration has its copy */
        if (rc == LM_EXIT_OK)
            rc = lm_chat_run(&cl0, chat_nick, &stop);
        lm_client_free(&cl0);
        lm_net_cleanup();
        return rc;
    }
    lm_signals_install(NULL, NULL); /* SIGPIPE only: Ctrl-C just ends us */
    memset(&cl, 0, sizeof cl);
    rc = LM_EXIT_OK;
    /* --repeat reconnects, resuming the TLS session (see -v). */
    for (i = 0; i < o.repeat && rc == LM_EXIT_OK; i++) {
        rc = lm_client_connect(&cl, &o);
        lm_key_pass_wipe(key_pass, sizeof key_pass); /* the TLS configuration has its copy */
        if (rc == LM_EXIT_OK)
            rc = run_messages(&cl);
        lm_client_close(&cl);
    }
    lm_client_free(&cl);
    lm_net_cleanup();
    return rc;
}
