/* Helpers for unit tests that touch files: a fresh folder per run under the
 * test's working directory (the build tree, never /tmp shared with others),
 * environment variables, and whole-file reads and writes. Header-only and
 * static, like check.h. */
#ifndef LANMSG_TEST_SCRATCH_H
#define LANMSG_TEST_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lanmsg/net.h"
#include "platform/os.h"

#if defined(_WIN32)
static inline void set_env(const char *name, const char *value)
{
    _putenv_s(name, value != NULL ? value : "");
}
#else
static inline void set_env(const char *name, const char *value)
{
    if (value != NULL)
        setenv(name, value, 1);
    else
        unsetenv(name);
}
#endif

/* "scratch-TAG-<microseconds>", made 0700 in the working directory; the
 * absolute path when the platform gives one (getcwd), for XDG variables. */
static inline void scratch_dir(char *out, size_t len, const char *tag)
{
    static unsigned n;
    snprintf(out, len, "scratch-%s-%llu-%u", tag, (unsigned long long)lm_now_us(), n++);
    CHECK(lm_make_dir(out, 0700) == 0);
}

static inline void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(text, 1, strlen(text), f) == strlen(text));
    CHECK(fclose(f) == 0);
}

/* The whole file, NUL-terminated, malloc'd; NULL when it cannot be read. */
static inline char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    if (!f)
        return NULL;
    buf = malloc(1 << 20);
    CHECK(buf != NULL);
    n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static inline void join(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

#endif
