/* lanmsg-server: the tutorial's server, grown up.
 *
 * Defaults are the tutorial's: 0.0.0.0:5000, plain TCP, reply "Mensagem
 * recebida". Unlike the tutorial it serves many clients at once, until
 * SIGINT or SIGTERM, and then closes every connection cleanly. Everything
 * that can be wrong with the configuration is found here, before listening. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/server.h"
#include "platform/os.h"
#include "util/text.h"
#include "announce.h"
#include "files.h"
#include "identity.h"
#include "platform/paths.h"
#include "service/pair.h"
#include "keypass.h"
#include "options.h"

typedef struct server_opts {
    lm_server_config cfg;
    lm_tls_options tls;
    int use_tls;
    const char *lang;
    const char *service;
    const char *framing;
    const char *tls_flag; /* the first TLS-only flag given, to refuse it without --tls */
    const char *key_pass_file;
    const char *name; /* --name: the instance name announced on the LAN */
    int no_announce;
    int udp, tcp; /* --udp: datagrams; --tcp with it: both */
    int log_time; /* -1: as lm_log_time_default says */
    int log_json;
    server_identity id; /* certificate, trust, pairing (identity.c) */
    int show_id, pair, list_clients;
    const char *revoke;
} server_opts;

static int parse_size(lm_args *a, const char *name, const char *v, long lo, long hi, size_t *out)
{
    long x;
    if (lm_arg_int(a, name, v, lo, hi, &x) != 0)
        return -1;
    *out = (size_t)x;
    return 0;
}

static void tls_only(server_opts *o, const char *flag)
{
    if (!o->tls_flag)
        o->tls_flag = flag;
}

/* Applied as soon as the flags are read, so that even an error about a
 * later flag comes in the chosen form. */
static void log_style(const server_opts *o)
{
    lm_log_set_style(o->log_time >= 0 ? o->log_time : lm_log_time_default(), o->log_json);
}

/* Returns -1 to continue, or an exit code. Options read from a
 * configuration file come first in argv; their errors name the file. */
static int parse(server_opts *o, const lm_config_args *cfg)
{
    lm_args a;
    int argc = cfg->argc;
    lm_args_init(&a, argc, cfg->argv, "lanmsg-server");
    a.origin = cfg->origin;
    for (; a.i < argc && !a.err[0]; a.i++) {
        const char *v;
        long n;
        if (lm_arg_flag(&a, "-h|--help")) {
            fputs(lm_tr(LM_M_SRV_USAGE), stdout);
            return LM_EXIT_OK;
        } else if (lm_arg_flag(&a, "-V|--version")) {
            printf("lanmsg-server %s (%s)\n", LANMSG_VERSION, lm_tls_library());
            return LM_EXIT_OK;
        } else if (lm_arg_common(&a, &o->lang, &o->cfg.verbose)) {
            if (o->lang)
                lm_lang_init(o->lang);
        } else if (lm_arg_value(&a, "--host", &v)) {
            o->cfg.host = v;
        } else if (lm_arg_value(&a, "-p|--port", &v)) {
            if (lm_arg_port(&a, "--port", v) == 0)
                o->cfg.port = v;
        } else if (lm_arg_flag(&a, "--tls")) {
            o->use_tls = 1;
        } else if (lm_arg_flag(&a, "--udp")) {
            o->udp = 1;
        } else if (lm_arg_flag(&a, "--tcp")) {
            o->tcp = 1;
        } else if (lm_arg_value(&a, "--cert", &v)) {
            o->tls.cert_file = v;
            tls_only(o, "--cert");
        } else if (lm_arg_value(&a, "--key", &v)) {
            o->tls.key_file = v;
            tls_only(o, "--key");
        } else if (lm_arg_value(&a, "--key-pass-file", &v)) {
            o->key_pass_file = v;
            tls_only(o, "--key-pass-file");
        } else if (lm_arg_value(&a, "--ca", &v)) {
            o->tls.ca_file = v;
            tls_only(o, "--ca");
        } else if (lm_arg_flag(&a, "--require-client-cert")) {
            o->tls.require_client_cert = 1;
            tls_only(o, "--require-client-cert");
        } else if (lm_arg_flag(&a, "--allow-plain")) {
            o->cfg.allow_plain = 1;
            tls_only(o, "--allow-plain");
        } else if (lm_arg_flag(&a, "--allow-insecure-key-perms")) {
            o->tls.allow_insecure_key_perms = 1;
            tls_only(o, "--allow-insecure-key-perms");
        } else if (lm_arg_value(&a, "--service", &v)) {
            o->service = v;
        } else if (lm_arg_value(&a, "--reply", &v)) {
            o->cfg.params.reply = v;
        } else if (lm_arg_value(&a, "--framing", &v)) {
            o->framing = v;
        } else if (lm_arg_value(&a, "--max-line", &v)) {
            parse_size(&a, "--max-line", v, 16, 64L * 1024 * 1024, &o->cfg.max_line);
        } else if (lm_arg_value(&a, "--max-output", &v)) {
            parse_size(&a, "--max-output", v, 1024, 1024L * 1024 * 1024, &o->cfg.max_output);
        } else if (lm_arg_value(&a, "--max-clients", &v)) {
            if (lm_arg_int(&a, "--max-clients", v, 1, 1000000, &n) == 0)
                o->cfg.max_clients = (int)n;
        } else if (lm_arg_value(&a, "--threads", &v)) {
            if (lm_arg_int(&a, "--threads", v, 1, 64, &n) == 0)
                o->cfg.threads = (int)n;
        } else if (lm_arg_value(&a, "--handshake-timeout", &v)) {
            lm_arg_seconds(&a, "--handshake-timeout", v, &o->cfg.handshake_timeout_ms);
        } else if (lm_arg_value(&a, "--idle-timeout", &v)) {
            lm_arg_seconds(&a, "--idle-timeout", v, &o->cfg.idle_timeout_ms);
        } else if (lm_arg_value(&a, "--line-timeout", &v)) {
            lm_arg_seconds(&a, "--line-timeout", v, &o->cfg.line_timeout_ms);
        } else if (lm_arg_flag(&a, "--chat-require-tls")) {
            o->cfg.params.chat_require_tls = 1;
        } else if (lm_arg_value(&a, "--tls-version", &v)) {
            if (lm_arg_int(&a, "--tls-version", v, 12, 13, &n) == 0)
                o->tls.tls_version = (int)n;
            tls_only(o, "--tls-version");
        } else if (lm_arg_value(&a, "--cipher", &v)) {
            o->tls.cipher = v;
            tls_only(o, "--cipher");
        } else if (lm_arg_value(&a, "--state-dir", &v)) {
            o->id.state_opt = v;
        } else if (lm_arg_flag(&a, "--show-id")) {
            o->show_id = 1;
        } else if (lm_arg_flag(&a, "--pair")) {
            o->pair = 1;
            tls_only(o, "--pair");
        } else if (lm_arg_flag(&a, "--list-clients")) {
            o->list_clients = 1;
        } else if (lm_arg_value(&a, "--revoke", &v)) {
            o->revoke = v;
        } else if (lm_arg_value(&a, "--name", &v)) {
            o->name = v;
        } else if (lm_arg_flag(&a, "--no-announce")) {
            o->no_announce = 1;
        } else if (lm_arg_flag(&a, "--log-time|--no-log-time")) {
            o->log_time = strcmp(a.argv[a.i], "--log-time") == 0;
            log_style(o);
        } else if (lm_arg_value(&a, "--log-format", &v)) {
            if (strcmp(v, "text") == 0 || strcmp(v, "json") == 0)
                o->log_json = strcmp(v, "json") == 0;
            else
                lm_format(a.err, sizeof a.err, LM_M_OPT_BAD_LOG_FORMAT, v);
            log_style(o);
        } else if (!a.err[0]) {
            lm_arg_unknown(&a);
        }
    }
    if (a.err[0]) {
        lm_args_report(&a);
        return LM_EXIT_USAGE;
    }
    return -1;
}

int main(int argc, char **argv)
{
    static volatile sig_atomic_t stop, reload;
    server_opts o;
    lm_server *srv;
    static server_announce announce;
    static lm_config_args args;
    char err[768], pass[256];
    int rc, code, status = LM_EXIT_OK, net_up = 0;
    lm_tls_config *tls_made = NULL;

    memset(&o, 0, sizeof o);
    lm_server_config_defaults(&o.cfg);
    o.tls.is_server = 1;
    o.log_time = -1;
    log_style(&o);
    lm_log_set_program("lanmsg-server");
    lm_lang_init(NULL);
    if (lm_config_load("lanmsg-server", argc, argv, &args, err, sizeof err) != 0) {
        lm_warn(LM_M_PASSTHROUGH, err);
        return LM_EXIT_USAGE;
    }
    rc = parse(&o, &args);
    if (rc >= 0) {
        status = rc;
        goto out;
    }
    lm_log_set_level(o.cfg.verbose);
    /* Actions that only read or change the state folder, then exit. */
    if (o.show_id) {
        status = server_identity_show(&o.id, &o.tls, o.cfg.host);
        goto out;
    }
    if (o.list_clients) {
        status = server_identity_list(&o.id);
        goto out;
    }
    if (o.revoke) {
        status = server_identity_revoke(&o.id, o.revoke);
        goto out;
    }

    /* The program picks the service; the engine has no default. */
    if (!(o.cfg.service = lm_service_find(o.service ? o.service : "ack"))) {
        lm_warn(LM_M_SRV_BAD_SERVICE, o.service, lm_service_names());
        status = LM_EXIT_USAGE;
        goto out;
    }
    if (o.framing && lm_framing_parse(o.framing, &o.cfg.framing) != 0) {
        lm_warn(LM_M_BAD_FRAMING, o.framing);
        status = LM_EXIT_USAGE;
        goto out;
    }
    /* TCP unless --udp alone. */
    o.cfg.udp = o.udp;
    o.cfg.tcp = !o.udp || o.tcp;
    /* --udp --tls is DTLS 1.2: the TLS configuration gets its datagram
     * side, from the same files. --allow-plain is about TCP clients. */
    o.tls.datagram = o.udp;
    if (o.udp && !o.cfg.tcp && o.cfg.allow_plain) {
        lm_warn(LM_M_SRV_ALLOW_PLAIN_UDP);
        status = LM_EXIT_USAGE;
        goto out;
    }
    if (o.pair && !o.cfg.tcp) {
        lm_warn(LM_M_SRV_PAIR_NEEDS_TCP);
        status = LM_EXIT_USAGE;
        goto out;
    }
    /* A TLS flag without --tls would be ignored, and the server would
     * speak plain text to someone who believes it is encrypted. */
    if (o.tls_flag && !o.use_tls) {
        lm_warn(LM_M_OPT_NEEDS_TLS, o.tls_flag, o.tls_flag);
        status = LM_EXIT_USAGE;
        goto out;
    }
    if (lm_net_init(err, sizeof err) != LM_OK) {
        lm_warn(LM_M_PASSTHROUGH, err);
        status = LM_EXIT_RUNTIME;
        goto out;
    }
    net_up = 1;
    if (o.use_tls) {
        /* A pairing client has no certificate yet: with --pair the TLS
         * layer asks for one without requiring it, and the engine requires
         * it of every connection that did not come to pair. */
        if (o.pair && o.tls.require_client_cert) {
            o.tls.require_client_cert = 0;
            o.cfg.require_verified = 1;
        }
        rc = server_identity_setup(&o.id, &o.tls, o.cfg.host, o.tls.ca_file != NULL, o.pair);
        if (rc >= 0) {
            status = rc;
            goto out;
        }
        if (o.id.pairing) {
            o.cfg.alpn_service = &lm_service_pair;
            o.cfg.alpn = LM_PAIR_ALPN;
            o.cfg.alpn_params.extra = &o.id.pair;
        }
        int got = lm_key_pass_get(o.tls.key_file, o.key_pass_file, o.tls.allow_insecure_key_perms,
                                  pass, sizeof pass, err, sizeof err);
        if (got < 0) {
            lm_warn(LM_M_PASSTHROUGH, err);
            status = LM_EXIT_USAGE;
            goto out;
        }
        o.tls.key_pass = got ? pass : NULL;
        o.cfg.tls = lm_tls_config_new(&o.tls, err, sizeof err, &code);
        lm_key_pass_wipe(pass, sizeof pass);
        tls_made = o.cfg.tls;
        if (!o.cfg.tls) {
            lm_warn(LM_M_PASSTHROUGH, err);
            status = code == LM_ERR_CONFIG ? LM_EXIT_USAGE : LM_EXIT_RUNTIME;
            goto out;
        }
    }
    if (o.use_tls || o.id.state_opt) {
        /* Services may keep what must outlive a run there: chat keeps its
         * names, so its folder is made (0700) now rather than failing at
         * the first save. */
        if ((!o.id.state[0] && lm_dir_path(LM_DIR_STATE, o.id.state_opt, o.id.state,
                                           sizeof o.id.state, err, sizeof err) != 0) ||
            (o.cfg.service == lm_service_find("chat") &&
             lm_dir_prepare(o.id.state, LM_DIR_STATE, err, sizeof err) != 0)) {
            lm_warn(LM_M_PASSTHROUGH, err);
            status = LM_EXIT_USAGE;
            goto out;
        }
        o.cfg.params.state_dir = o.id.state;
    }
    server_announce_init(&announce);
    o.cfg.hook = &announce.hook;
    srv = lm_server_new(&o.cfg, err, sizeof err, &code);
    if (!srv) {
        lm_warn(LM_M_PASSTHROUGH, err);
        status = code == LM_ERR_CONFIG ? LM_EXIT_USAGE : LM_EXIT_RUNTIME;
        goto out;
    }
    lm_signals_install(&stop, &reload);
    if (o.cfg.tcp && o.use_tls)
        lm_info(LM_M_SRV_LISTENING_TLS, lm_server_address(srv),
                o.cfg.allow_plain ? lm_tr(LM_M_WORD_TLS_AND_PLAIN) : lm_tr(LM_M_WORD_TLS),
                lm_tls_library());
    else if (o.cfg.tcp)
        lm_info(LM_M_SRV_LISTENING, lm_server_address(srv), lm_tr(LM_M_WORD_PLAIN));
    if (o.cfg.udp && o.use_tls)
        lm_info(LM_M_SRV_LISTENING_DTLS, lm_server_address(srv), lm_tr(LM_M_WORD_DTLS),
                lm_tls_library());
    else if (o.cfg.udp)
        lm_info(LM_M_SRV_LISTENING_UDP, lm_server_address(srv), lm_tr(LM_M_WORD_UDP));
    if (o.cfg.allow_plain)
        lm_warn(LM_M_SRV_PLAIN_ALLOWED);
    if (server_announce_wanted(o.cfg.host, o.no_announce)) {
        lm_disc_opts d = {.name = o.name,
                          .udp = !o.cfg.tcp, /* with both, TCP is the one announced */
                          .port = (uint16_t)lm_server_port(srv),
                          .tls = o.use_tls,
                          .fingerprint = o.use_tls ? o.id.fp_text : NULL};
        server_announce_start(&announce, &d);
    }
    rc = lm_server_run(srv, &stop, &reload, err, sizeof err);
    if (rc != LM_OK)
        lm_warn(LM_M_PASSTHROUGH, err);
    server_announce_stop(&announce);
    lm_info(LM_M_SRV_STOPPED);
    lm_server_free(srv);
    status = rc == LM_OK ? LM_EXIT_OK : LM_EXIT_RUNTIME;
out:
    /* Every exit after the arguments are read frees what it made, so a
     * leak checker sees the error paths as clean as the normal one. */
    lm_tls_config_free(tls_made);
    server_identity_free(&o.id);
    lm_config_free(&args);
    if (net_up)
        lm_net_cleanup();
    return status;
}
