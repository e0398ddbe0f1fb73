/* lanmsg memory: see mem.h for why these abort. */
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t n)
{
    /* No catalog, no formatting that allocates: stderr is unbuffered. */
    fprintf(stderr, "lanmsg: out of memory (could not allocate %zu bytes); stopping\n", n);
    abort();
}

void *lm_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *lm_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *lm_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *lm_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(lm_xmalloc(n), s, n);
}
