/* lanmsg-certgen: one command gives a LAN what TLS and mutual TLS need.
 *
 * A local CA, a server certificate naming every way the server is reached,
 * and one client certificate per user. Re-runs add leaves and never touch the
 * CA without --force. This file holds the options, the plan (what to make,
 * what to keep, what to refuse) and what the user reads; certgen_x509.c does
 * the cryptography and the files; certgen_list.c shows a directory.
 *
 * Exit codes: 0 done, 2 usage or configuration (nothing written), 1 runtime
 * failure (complete pairs written before it stay; no half pair is left). */
#define _POSIX_C_SOURCE 200809L

#include "certgen.h"
#include "files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lanmsg/error.h"
#include "lanmsg/net.h"

#ifndef LANMSG_VERSION
#define LANMSG_VERSION "0.0.0"
#endif

#define CG_MAX_CLIENTS 64
#define CG_DAY         (24 * 3600)

struct options {
    const char *out;
    const char *lang;
    struct cg_san sans[CG_MAX_SANS];
    size_t nsans;
    const char *clients[CG_MAX_CLIENTS];
    size_t nclients;
    enum cg_key_type key_type;
    long days;
    const char *not_before, *not_after;
    int expired, not_yet_valid;
    int force, list;
};

/* What happened to one pair, for the summary. */
enum outcome { OUT_NONE, OUT_CREATED, OUT_RENEWED };

/* ---- output ---- */

/* Every line a person reads goes through the catalog: results with lm_info
 * (stdout), refusals with lm_warn (stderr, "lanmsg-certgen: " first). */

/* ---- options ---- */

/* A client name becomes a file name and the chat identity, so it is held to
 * a small, portable alphabet, and may not collide with the CA or server. */
static int valid_client_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 64 || name[0] == '.' || name[0] == '-')
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (!ok)
            return 0;
    }
    return strcasecmp(name, "ca") != 0 && strcasecmp(name, "server") != 0;
}

/* Add a SAN unless it is already there, so defaults and --san may overlap. */
static int add_san(struct cg_san *sans, size_t *n, const struct cg_san *s)
{
    for (size_t i = 0; i < *n; i++) {
        if (sans[i].is_ip == s->is_ip && strcmp(sans[i].text, s->text) == 0)
            return 0;
    }
    if (*n >= CG_MAX_SANS)
        return -1;
    sans[(*n)++] = *s;
    return 0;
}

/* The value of an option given as "--opt VALUE" or "--opt=VALUE"; NULL
 * (after saying so) when it is missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, const char *eq)
{
    if (eq != NULL)
        return eq + 1;
    if (*i + 1 >= argc) {
        lm_warn(LM_M_CERTGEN_ERR_NEEDS_VALUE, name);
        return NULL;
    }
    return argv[++*i];
}

/* Parse argv into o. Returns -1 after one line on stderr, 1 when --help or
 * --version was answered, 0 to go on. */
static int parse_options(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        char name[32];
        const char *v = NULL;

        if (nlen >= sizeof(name))
            nlen = sizeof(name) - 1;
        memcpy(name, arg, nlen);
        name[nlen] = '\0';

#define TAKES(opt)   (strcmp(name, opt) == 0 && (v = opt_value(argc, argv, &i, opt, eq)) != NULL)
#define MISSING(opt) (strcmp(name, opt) == 0 && v == NULL)
        if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
            lm_info(LM_M_CERTGEN_HELP, LANMSG_VERSION);
            return 1;
        } else if (strcmp(name, "--version") == 0) {
            printf("lanmsg-certgen %s\n", LANMSG_VERSION);
            return 1;
        } else if (strcmp(name, "--force") == 0) {
            o->force = 1;
        } else if (strcmp(name, "--list") == 0) {
            o->list = 1;
        } else if (strcmp(name, "--expired") == 0) {
            o->expired = 1;
        } else if (strcmp(name, "--not-yet-valid") == 0) {
            o->not_yet_valid = 1;
        } else if (TAKES("--out")) {
            o->out = v;
        } else if (TAKES("--lang")) {
            o->lang = v; /* already applied by main */
        } else if (TAKES("--san")) {
            struct cg_san s;
            if (cg_parse_san(v, &s) != 0) {
                lm_warn(LM_M_CERTGEN_ERR_BAD_SAN, v);
                return -1;
            }
            if (add_san(o->sans, &o->nsans, &s) != 0) {
                lm_warn(LM_M_CERTGEN_ERR_TOO_MANY, "--san", CG_MAX_SANS);
                return -1;
            }
        } else if (TAKES("--client")) {
            if (!valid_client_name(v)) {
                lm_warn(LM_M_CERTGEN_ERR_BAD_CLIENT, v);
                return -1;
            }
            int dup = 0;
            for (size_t k = 0; k < o->nclients; k++)
                dup |= strcmp(o->clients[k], v) == 0;
            if (!dup && o->nclients >= CG_MAX_CLIENTS) {
                lm_warn(LM_M_CERTGEN_ERR_TOO_MANY, "--client", CG_MAX_CLIENTS);
                return -1;
            }
            if (!dup)
                o->clients[o->nclients++] = v;
        } else if (TAKES("--key-type")) {
            if (strcmp(v, "ec") == 0 || strcmp(v, "ecdsa") == 0) {
                o->key_type = CG_KEY_EC;
            } else if (strcmp(v, "rsa") == 0) {
                o->key_type = CG_KEY_RSA;
            } else {
                lm_warn(LM_M_CERTGEN_ERR_BAD_KEY_TYPE, v);
                return -1;
            }
        } else if (TAKES("--days")) {
            char *end;
            errno = 0;
            o->days = strtol(v, &end, 10);
            if (errno != 0 || *end != '\0' || end == v || o->days < 1 || o->days > 36500) {
                lm_warn(LM_M_CERTGEN_ERR_BAD_DAYS, v);
                return -1;
            }
        } else if (TAKES("--not-before")) {
            o->not_before = v;
        } else if (TAKES("--not-after")) {
            o->not_after = v;
        } else if (MISSING("--out") || MISSING("--lang") || MISSING("--san") ||
                   MISSING("--client") || MISSING("--key-type") || MISSING("--days") ||
                   MISSING("--not-before") || MISSING("--not-after")) {
            return -1; /* opt_value said which */
        } else {
            lm_warn(LM_M_CERTGEN_ERR_UNKNOWN_OPTION, arg);
            return -1;
        }
#undef TAKES
#undef MISSING
    }
    if (o->expired && o->not_yet_valid) {
        lm_warn(LM_M_CERTGEN_ERR_EXCLUSIVE, "--expired", "--not-yet-valid");
        return -1;
    }
    return 0;
}

/* The validity of the leaves made in this run. Defaults start an hour ago
 * (LAN clocks drift); --expired and --not-yet-valid exist for the tests that
 * must see verification fail, and --not-before/--not-after override them. */
static int leaf_validity(const struct options *o, time_t now, char nb[CG_TIME_LEN],
                         char na[CG_TIME_LEN])
{
    time_t start = now - 3600, end = now + (time_t)o->days * CG_DAY;
    if (o->expired) {
        start = now - 30 * CG_DAY;
        end = now - CG_DAY;
    } else if (o->not_yet_valid) {
        start = now + 30 * CG_DAY;
        end = start + (time_t)o->days * CG_DAY;
    }
    cg_time_fmt(start, nb);
    cg_time_fmt(end, na);
    if (o->not_before != NULL && cg_time_parse(o->not_before, nb) != 0) {
        lm_warn(LM_M_CERTGEN_ERR_BAD_TIME, "--not-before", o->not_before);
        return -1;
    }
    if (o->not_after != NULL && cg_time_parse(o->not_after, na) != 0) {
        lm_warn(LM_M_CERTGEN_ERR_BAD_TIME, "--not-after", o->not_after);
        return -1;
    }
    /* Same fixed-width digits: string order is time order. */
    if (strcmp(nb, na) >= 0) {
        lm_warn(LM_M_CERTGEN_ERR_TIME_ORDER, nb, na);
        return -1;
    }
    return 0;
}

/* The server's names: the ones every LAN needs, the host's own name, then
 * what the user added; a renewal keeps what the old certificate had. */
static void server_sans(const struct options *o, const char *dir, int keep_old, struct cg_san *sans,
                        size_t *n)
{
    static const char *const defaults[] = {"localhost", "127.0.0.1", "::1"};
    struct cg_san s;
    char host[256] = "";

    *n = 0;
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (cg_parse_san(defaults[i], &s) == 0)
            add_san(sans, n, &s);
    }
    if (lm_host_name(host, sizeof(host)) == 0 && cg_parse_san(host, &s) == 0)
        add_san(sans, n, &s);
    if (keep_old) {
        char path[CG_MAX_PATH];
        struct cg_san old[CG_MAX_SANS];
        mbedtls_x509_crt crt;
        mbedtls_x509_crt_init(&crt);
        cg_path(path, sizeof(path), dir, "server.crt");
        if (mbedtls_x509_crt_parse_file(&crt, path) == 0) {
            size_t k = cg_crt_sans(&crt, old, CG_MAX_SANS);
            for (size_t i = 0; i < k; i++)
                add_san(sans, n, &old[i]);
        }
        mbedtls_x509_crt_free(&crt);
    }
    for (size_t i = 0; i < o->nsans; i++)
        add_san(sans, n, &o->sans[i]);
}

/* Make the output directory if it is missing (one level only: a typo in a
 * parent should be an error, not a new tree). */
static int prepare_dir(const char *dir)
{
    struct stat st;
    if (strlen(dir) > CG_MAX_PATH - 128) {
        lm_warn(LM_M_CERTGEN_ERR_DIR, dir, strerror(ENAMETOOLONG));
        return -1;
    }
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        lm_warn(LM_M_CERTGEN_ERR_DIR, dir, strerror(ENOTDIR));
        return -1;
    }
    if (lm_make_dir(dir, 0755) != 0) {
        lm_warn(LM_M_CERTGEN_ERR_DIR, dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Refuse to go on when a pair we were not asked to replace is in the way. */
static int check_free(const char *dir, const char *base, int may_replace)
{
    char name[128];
    const char *ext[2] = {".key", ".crt"};
    for (int i = 0; i < 2; i++) {
        snprintf(name, sizeof(name), "%s%s", base, ext[i]);
        if (!may_replace && cg_file_exists(dir, name)) {
            char path[CG_MAX_PATH];
            cg_path(path, sizeof(path), dir, name);
            lm_warn(LM_M_CERTGEN_ERR_EXISTS, path);
            return -1;
        }
    }
    return 0;
}

/* ---- the run ---- */

/* Print which file goes where: the point of the whole tool is that the
 * user copies the right file to the right machine and no other. */
static void summary(const char *dir, enum outcome ca, enum outcome server, const struct options *o,
                    const enum outcome *clients)
{
    static const lm_msg_id verb[] = {LM_M_CERTGEN_KEPT, LM_M_CERTGEN_CREATED, LM_M_CERTGEN_RENEWED};
    char v[64];

    lm_info(LM_M_CERTGEN_SUMMARY_HEAD, dir);
    lm_format(v, sizeof(v), verb[ca]);
    lm_info(LM_M_CERTGEN_SUMMARY_CA_CRT, "ca.crt", v);
    lm_info(LM_M_CERTGEN_SUMMARY_CA_KEY, "ca.key", v);
    lm_format(v, sizeof(v), verb[server]);
    lm_info(LM_M_CERTGEN_SUMMARY_SERVER, "server.crt", "server.key", v);
    for (size_t i = 0; i < o->nclients; i++) {
        char crt[80], key[80];
        snprintf(crt, sizeof(crt), "%s.crt", o->clients[i]);
        snprintf(key, sizeof(key), "%s.key", o->clients[i]);
        lm_format(v, sizeof(v), verb[clients[i]]);
        lm_info(LM_M_CERTGEN_SUMMARY_CLIENT, crt, key, v, o->clients[i]);
    }
    if (ca != OUT_NONE)
        lm_info(LM_M_CERTGEN_CA_NOTE);
}

/* Decide, check everything that can be checked, then write. Nothing is
 * written before the last check has passed. */
static int run(const struct options *o, time_t now)
{
    const char *dir = o->out;
    struct cg_ctx cg;
    struct cg_san sans[CG_MAX_SANS];
    size_t nsans = 0;
    enum outcome ca_out = OUT_NONE, srv_out = OUT_NONE, cl_out[CG_MAX_CLIENTS] = {0};
    struct cg_leaf leaf = {.role = CG_ROLE_SERVER};
    int rc = LM_EXIT_USAGE;

    if (leaf_validity(o, now, leaf.not_before, leaf.not_after) != 0)
        return LM_EXIT_USAGE;
    if (prepare_dir(dir) != 0)
        return LM_EXIT_USAGE;
    if (cg_ctx_init(&cg) != 0) {
        lm_warn(LM_M_PASSTHROUGH, cg.err);
        cg_ctx_free(&cg);
        return LM_EXIT_RUNTIME;
    }
    cg.key_type = o->key_type;

    int ca_crt = cg_file_exists(dir, "ca.crt"), ca_key = cg_file_exists(dir, "ca.key");
    int srv_crt = cg_file_exists(dir, "server.crt"), srv_key = cg_file_exists(dir, "server.key");
    int new_ca = o->force || (!ca_crt && !ca_key);
    char path[CG_MAX_PATH];

    if (!new_ca && ca_crt != ca_key) {
        cg_path(path, sizeof(path), dir, ca_crt ? "ca.key" : "ca.crt");
        lm_warn(LM_M_CERTGEN_ERR_CA_HALF, path);
        goto out;
    }
    if (!new_ca && cg_load_ca(&cg, dir) != 0) {
        lm_warn(LM_M_PASSTHROUGH, cg.err);
        goto out;
    }
    /* The server is remade when the CA is new (the old one no longer
     * verifies), when --san names it, or when it is missing. Implicitly
     * remaking a server pair that exists needs --force. */
    int make_server = new_ca || o->nsans > 0 || (!srv_crt && !srv_key);
    if (!make_server && srv_crt != srv_key) {
        cg_path(path, sizeof(path), dir, srv_crt ? "server.key" : "server.crt");
        lm_warn(LM_M_CERTGEN_ERR_SERVER_HALF, path);
        goto out;
    }
    if (new_ca && check_free(dir, "ca", o->force) != 0)
        goto out;
    if (make_server && check_free(dir, "server", o->force || o->nsans > 0) != 0)
        goto out;
    if (!make_server && o->nclients == 0) {
        cg_path(path, sizeof(path), dir, "ca.key");
        lm_warn(LM_M_CERTGEN_ERR_NOTHING, path);
        goto out;
    }

    /* From here on, failures are runtime ones: each pair is whole or absent. */
    rc = LM_EXIT_RUNTIME;
    if (new_ca) {
        if (ca_crt || ca_key)
            lm_info(LM_M_CERTGEN_CA_REPLACING);
        if (cg_make_ca(&cg, dir, now, ca_crt || ca_key) != 0) {
            lm_warn(LM_M_PASSTHROUGH, cg.err);
            goto out;
        }
        ca_out = (ca_crt || ca_key) ? OUT_RENEWED : OUT_CREATED;
    }
    if (make_server) {
        server_sans(o, dir, !new_ca && srv_crt, sans, &nsans);
        leaf.sans = sans;
        leaf.nsans = nsans;
        for (size_t i = 0; i < nsans && leaf.cn == NULL; i++) {
            if (!sans[i].is_ip)
                leaf.cn = sans[i].text;
        }
        if (cg_make_leaf(&cg, dir, "server", &leaf, srv_crt || srv_key) != 0) {
            lm_warn(LM_M_PASSTHROUGH, cg.err);
            goto out;
        }
        srv_out = (srv_crt || srv_key) ? OUT_RENEWED : OUT_CREATED;
    }
    for (size_t i = 0; i < o->nclients; i++) {
        char crt[80], key[80];
        snprintf(crt, sizeof(crt), "%s.crt", o->clients[i]);
        snprintf(key, sizeof(key), "%s.key", o->clients[i]);
        int exists = cg_file_exists(dir, crt) || cg_file_exists(dir, key);
        struct cg_leaf cl = leaf;
        cl.role = CG_ROLE_CLIENT;
        cl.cn = o->clients[i];
        cl.sans = NULL;
        cl.nsans = 0;
        if (cg_make_leaf(&cg, dir, o->clients[i], &cl, exists) != 0) {
            lm_warn(LM_M_PASSTHROUGH, cg.err);
            goto out;
        }
        cl_out[i] = exists ? OUT_RENEWED : OUT_CREATED;
    }
    summary(dir, ca_out, srv_out, o, cl_out);
    rc = LM_EXIT_OK;
out:
    cg_ctx_free(&cg);
    return rc;
}

/* --lang must apply before the first message, including errors about the
 * other options, so it is looked for first. */
static const char *find_lang(int argc, char **argv)
{
    const char *lang = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            lang = argv[i + 1];
        else if (strncmp(argv[i], "--lang=", 7) == 0)
            lang = argv[i] + 7;
    }
    return lang;
}

int main(int argc, char **argv)
{
    struct options o = {.out = NULL, .key_type = CG_KEY_EC, .days = 825};
    static char out_dir[LM_FILES_PATH_MAX];
    char err[512];
    const char *lang = find_lang(argc, argv);

    lm_log_set_program("lanmsg-certgen");
    if (lm_lang_init(lang) != 0) {
        lm_lang_init(NULL);
        lm_warn(LM_M_CERTGEN_ERR_BAD_LANG, lang);
        return LM_EXIT_USAGE;
    }
    int p = parse_options(argc, argv, &o);
    if (p != 0)
        return p > 0 ? LM_EXIT_OK : LM_EXIT_USAGE;
    if (!o.out) {
        /* Where the programs will look for them (src/app/common/files.h). */
        if (lm_files_out_dir(out_dir, sizeof out_dir, err, sizeof err) != 0) {
            lm_warn(LM_M_PASSTHROUGH, err);
            return LM_EXIT_USAGE;
        }
        o.out = out_dir;
    }
    if (o.list)
        return cg_list(o.out);
    return run(&o, time(NULL));
}
