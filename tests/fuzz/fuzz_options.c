/* Fuzz target: the command-line helpers of src/app/common/options.c, driven the
 * way lanmsg-server's parser drives them. The input is split at NUL bytes
 * into argv (at most 32 arguments). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define MAX_ARGS 32

/* One pass over argv, like a program's option loop. */
static void parse(int argc, char **argv)
{
    lm_args a;
    const char *lang = NULL, *v;
    int verbose = 0, ms;
    long n;

    lm_args_init(&a, argc, argv, "fuzz");
    for (; a.i < argc && !a.err[0]; a.i++) {
        if (lm_arg_flag(&a, "-h|--help|--tls")) {
            continue;
        } else if (lm_arg_common(&a, &lang, &verbose)) {
            continue;
        } else if (lm_arg_value(&a, "-p|--port", &v)) {
            lm_arg_port(&a, "--port", v);
        } else if (lm_arg_value(&a, "--max-line|--threads", &v)) {
            lm_arg_int(&a, "--max-line", v, 16, 64L * 1024 * 1024, &n);
        } else if (lm_arg_value(&a, "--idle-timeout|--line-timeout", &v)) {
            lm_arg_seconds(&a, "--idle-timeout", v, &ms);
        } else if (lm_arg_value(&a, "--host|--cert|--key|-m", &v)) {
            if (strlen(v) > 1u << 20)
                abort();
        } else if (!a.err[0]) {
            lm_arg_unknown(&a);
        }
    }
    if (memchr(a.err, '\0', sizeof a.err) == NULL)
        abort(); /* the error line must stay terminated */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    char *argv[MAX_ARGS + 2];
    int argc = 1;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    argv[0] = "lanmsg-server";
    for (size_t i = 0; i <= size && argc <= MAX_ARGS;) {
        argv[argc++] = copy + i;
        i += strlen(copy + i) + 1;
    }
    argv[argc] = NULL;
    parse(argc, argv);
    free(copy);
    return 0;
}
