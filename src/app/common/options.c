/* lanmsg programs: command-line helpers. */
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

void lm_args_init(lm_args *a, int argc, char **argv, const char *prog)
{
    a->argc = argc;
    a->argv = argv;
    a->i = 1;
    a->prog = prog;
    a->origin = NULL;
    a->err[0] = '\0';
}

/* The loop that reads the options stops one past the argument in error
 * (or on it, when an option ran out of arguments). */
void lm_args_report(const lm_args *a)
{
    int at = a->i > 1 ? a->i - 1 : 1;
    if (at >= a->argc)
        at = a->argc - 1;
    if (a->origin && at > 0 && a->origin[at])
        lm_warn(LM_M_OPT_FROM_FILE, a->origin[at], a->err);
    else
        lm_warn(LM_M_PASSTHROUGH, a->err);
}

/* Does `arg` (up to an '=' when allow_eq) equal one of the '|'-separated
 * spellings in `names`? */
static int matches(const char *names, const char *arg, size_t arglen)
{
    while (*names) {
        const char *bar = strchr(names, '|');
        size_t n = bar ? (size_t)(bar - names) : strlen(names);
        if (n == arglen && strncmp(names, arg, n) == 0)
            return 1;
        if (!bar)
            break;
        names = bar + 1;
    }
    return 0;
}

int lm_arg_flag(lm_args *a, const char *names)
{
    const char *arg = a->argv[a->i];
    return matches(names, arg, strlen(arg));
}

int lm_arg_value(lm_args *a, const char *names, const char **val)
{
    const char *arg = a->argv[a->i];
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    size_t n = eq ? (size_t)(eq - arg) : strlen(arg);

    if (!matches(names, arg, n))
        return 0;
    if (eq) {
        *val = eq + 1;
        return 1;
    }
    if (a->i + 1 >= a->argc) {
        lm_format(a->err, sizeof a->err, LM_M_OPT_NEEDS_VALUE, arg, a->prog);
        return 0;
    }
    *val = a->argv[++a->i];
    return 1;
}

void lm_arg_unknown(lm_args *a)
{
    if (!a->err[0])
        lm_format(a->err, sizeof a->err, LM_M_OPT_UNKNOWN, a->argv[a->i], a->prog);
}

int lm_arg_int(lm_args *a, const char *name, const char *v, long lo, long hi, long *out)
{
    char *end;
    long x;
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        lm_format(a->err, sizeof a->err, LM_M_OPT_NOT_INT, name, v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

int lm_arg_seconds(lm_args *a, const char *name, const char *v, int *out_ms)
{
    char *end;
    double x;
    errno = 0;
    x = strtod(v, &end);
    if (errno || end == v || *end || x < 0 || x > 86400.0 * 30) {
        lm_format(a->err, sizeof a->err, LM_M_OPT_NOT_SECONDS, name, v);
        return -1;
    }
    *out_ms = (int)(x * 1000.0 + 0.5);
    return 0;
}

int lm_arg_port(lm_args *a, const char *name, const char *v)
{
    long p;
    if (lm_arg_int(a, name, v, 0, 65535, &p) != 0) {
        lm_format(a->err, sizeof a->err, LM_M_OPT_NOT_PORT, name, v);
        return -1;
    }
    return 0;
}

int lm_arg_common(lm_args *a, const char **lang, int *verbose)
{
    if (lm_arg_flag(a, "-v|--verbose")) {
        *verbose = 1;
        return 1;
    }
    if (lm_arg_flag(a, "-q|--quiet")) {
        *verbose = -1;
        return 1;
    }
    if (lm_arg_value(a, "--lang", lang)) {
        if (strcmp(*lang, "en") != 0 && strcmp(*lang, "pt") != 0)
            lm_format(a->err, sizeof a->err, LM_M_OPT_BAD_LANG, *lang);
        return 1;
    }
    return 0;
}
