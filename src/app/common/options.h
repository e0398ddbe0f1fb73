/* lanmsg programs: command-line helpers shared by every program.
 *
 * A long option is accepted as "--name value" or "--name=value". Errors are
 * one line naming the option, what is wrong and what to do. */
#ifndef LANMSG_OPTIONS_H
#define LANMSG_OPTIONS_H

#include <stddef.h>

typedef struct lm_args {
    int argc;
    char **argv;
    int i; /* index of the argument being looked at */
    const char *prog;
    char **origin; /* "FILE:LINE" per argument read from a configuration file, or NULL */
    char err[512]; /* set when an option is malformed */
} lm_args;

void lm_args_init(lm_args *a, int argc, char **argv, const char *prog);
/* 1 when argv[i] is exactly `name` (or one of `name`'s '|' spellings). */
int lm_arg_flag(lm_args *a, const char *names);
/* 1 when argv[i] is `name` with a value; *val points at it. Sets a->err and
 * returns 0 when the value is missing. */
int lm_arg_value(lm_args *a, const char *names, const char **val);
/* Print a->err, prefixed with the configuration file and line the
 * offending option came from, if it came from one. */
void lm_args_report(const lm_args *a);
/* For the last else-branch: sets a->err for an unknown option. */
void lm_arg_unknown(lm_args *a);

/* Number parsing with range checks; set a->err on failure. */
int lm_arg_int(lm_args *a, const char *name, const char *v, long lo, long hi, long *out);
/* Seconds (may be fractional, e.g. 0.5) to milliseconds. */
int lm_arg_seconds(lm_args *a, const char *name, const char *v, int *out_ms);
/* A TCP port 0..65535, kept as text for getaddrinfo. */
int lm_arg_port(lm_args *a, const char *name, const char *v);

/* Applies --lang / -v / -q handling common to every program: returns 1 when
 * argv[i] was one of them. */
int lm_arg_common(lm_args *a, const char **lang, int *verbose);

#endif
