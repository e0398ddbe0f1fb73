/* lanmsg programs: where certificate and configuration files are found.
 * See files.h for the order and why. */
#include "files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/os.h"
#include "platform/paths.h"
#include "util/mem.h"
#include "util/text.h"

int lm_files_dirs(char dirs[LM_FILES_MAX_DIRS][LM_FILES_PATH_MAX])
{
    const char *env = getenv("LANMSG_CERT_DIR");
    char err[256];
    int n = 0;

    if (env && *env)
        snprintf(dirs[n++], LM_FILES_PATH_MAX, "%s", env);
    if (lm_path_exists("certs"))
        snprintf(dirs[n++], LM_FILES_PATH_MAX, "certs");
    if (lm_dir_path(LM_DIR_CONFIG, NULL, dirs[n], LM_FILES_PATH_MAX, err, sizeof err) == 0)
        n++;
    if (lm_dir_system(dirs[n], LM_FILES_PATH_MAX) == 0)
        n++;
    return n;
}

int lm_files_find(const char *name, char *out, size_t len, char *dir, size_t dirlen)
{
    char dirs[LM_FILES_MAX_DIRS][LM_FILES_PATH_MAX], err[256];
    int n = lm_files_dirs(dirs);

    for (int i = 0; i < n; i++) {
        if (lm_path_join(out, len, dirs[i], name, err, sizeof err) == 0 && lm_path_exists(out)) {
            if (dir)
                snprintf(dir, dirlen, "%s", dirs[i]);
            return 1;
        }
    }
    return 0;
}

void lm_files_where(char *out, size_t len)
{
    char dirs[LM_FILES_MAX_DIRS][LM_FILES_PATH_MAX];
    int n = lm_files_dirs(dirs);
    size_t o = 0;

    out[0] = '\0';
    for (int i = 0; i < n && o < len; i++) {
        int w = snprintf(out + o, len - o, "%s%s", i ? ", " : "", dirs[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

int lm_files_out_dir(char *out, size_t len, char *err, size_t errlen)
{
    const char *env = getenv("LANMSG_CERT_DIR");
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return 0;
    }
    if (lm_path_exists("certs")) {
        snprintf(out, len, "certs");
        return 0;
    }
    if (lm_dir_path(LM_DIR_CONFIG, NULL, out, len, err, errlen) != 0)
        return -1;
    return lm_dir_prepare(out, LM_DIR_CONFIG, err, errlen);
}

/* ---- configuration files ---- */

#define CONFIG_MAX_BYTES (64 * 1024)

static void push(lm_config_args *a, size_t *cap, char *arg, char *origin)
{
    if ((size_t)a->argc + 1 >= *cap) {
        *cap = *cap ? *cap * 2 : 16;
        a->argv = lm_xrealloc(a->argv, *cap * sizeof *a->argv);
        a->origin = lm_xrealloc(a->origin, *cap * sizeof *a->origin);
    }
    a->argv[a->argc] = arg;
    a->origin[a->argc] = origin;
    a->argc++;
    a->argv[a->argc] = NULL;
    a->origin[a->argc] = NULL;
}

/* One line: "name", "name value" or "name = value". */
static int parse_line(lm_config_args *a, size_t *cap, char *line, const char *file, size_t lineno,
                      char *err, size_t errlen)
{
    char where[LM_FILES_PATH_MAX + 32], *name, *value, *end;

    line[strcspn(line, "#")] = '\0';
    name = line + strspn(line, " \t");
    end = name + strlen(name);
    while (end > name && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    if (!*name)
        return 0;
    value = name + strcspn(name, " \t=");
    if (*value) {
        *value++ = '\0';
        value += strspn(value, " \t=");
    }
    if (name[0] == '-' || !*name) {
        lm_format(err, errlen, LM_M_CONFIG_BAD_LINE, file, lineno, name);
        return -1;
    }
    snprintf(where, sizeof where, "%s:%zu", file, lineno);
    {
        size_t n = strlen(name) + 3;
        char *opt = lm_xmalloc(n);
        snprintf(opt, n, "--%s", name);
        push(a, cap, opt, lm_xstrdup(where));
    }
    if (*value)
        push(a, cap, lm_xstrdup(value), lm_xstrdup(where));
    return 0;
}

int lm_config_load(const char *prog, int argc, char **argv, lm_config_args *out, char *err,
                   size_t errlen)
{
    char path[LM_FILES_PATH_MAX], name[128], *text = NULL;
    const char *file = NULL;
    size_t cap = 0, len = 0, lineno = 0;
    int i, rc;

    memset(out, 0, sizeof *out);
    /* --config FILE (or --config=FILE) anywhere on the command line. */
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    snprintf(name, sizeof name, "%s.conf", prog);
    if (!file && lm_files_find(name, path, sizeof path, NULL, 0))
        file = path;
    push(out, &cap, argv[0], NULL);
    if (file) {
        rc = lm_file_read_all(file, CONFIG_MAX_BYTES, &text, &len, err, errlen);
        if (rc != 0) {
            if (rc == 1) /* only an explicit --config can be missing */
                lm_format(err, errlen, LM_M_CONFIG_MISSING, file);
            lm_config_free(out);
            return -1;
        }
        out->file = lm_xstrdup(file);
        for (char *line = text, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            if (parse_line(out, &cap, line, file, ++lineno, err, errlen) != 0) {
                free(text);
                lm_config_free(out);
                return -1;
            }
        }
        free(text);
    }
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            i++; /* already read */
            continue;
        }
        if (strncmp(argv[i], "--config=", 9) == 0)
            continue;
        push(out, &cap, argv[i], NULL);
    }
    return 0;
}

void lm_config_free(lm_config_args *a)
{
    for (int i = 0; i < a->argc; i++) {
        if (a->origin && a->origin[i]) {
            free(a->argv[i]);
            free(a->origin[i]);
        }
    }
    free(a->argv);
    free(a->origin);
    free(a->file);
    memset(a, 0, sizeof *a);
}
