/* lanmsg chat: the names seen on verified certificates (see chat_names.h). */
#include "chat_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/os.h"
#include "util/mem.h"
#include "util/text.h"
#include "chat_cmd.h"

#define NAME_MAX_LEN 64 /* a certificate name as the chat service keeps it */

struct lm_chat_names {
    char **name; /* least recently seen first */
    size_t n, cap;
    char *dir;  /* the state folder, or NULL */
    char *path; /* STATE/chat-names, or NULL */
    int warned; /* a failed save was reported */
};

static long find(const lm_chat_names *ns, const char *name)
{
    size_t i;
    for (i = 0; i < ns->n; i++)
        if (lm_chat_name_eq(ns->name[i], name))
            return (long)i;
    return -1;
}

int lm_chat_names_has(const lm_chat_names *ns, const char *name)
{
    return find(ns, name) >= 0;
}

/* Make the name the most recently seen, forgetting the oldest when full.
 * Returns 1 when the name is new. */
static int add(lm_chat_names *ns, const char *name)
{
    long at = find(ns, name);
    char *keep;
    if (at >= 0) {
        keep = ns->name[at];
        memmove(ns->name + at, ns->name + at + 1, (ns->n - (size_t)at - 1) * sizeof *ns->name);
        ns->name[ns->n - 1] = keep;
        return 0;
    }
    if (ns->n == LM_CHAT_NAMES_MAX) {
        free(ns->name[0]);
        memmove(ns->name, ns->name + 1, (ns->n - 1) * sizeof *ns->name);
        ns->n--;
    }
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? ns->cap * 2 : 16;
        ns->name = lm_xrealloc(ns->name, ns->cap * sizeof *ns->name);
    }
    ns->name[ns->n++] = lm_xstrdup(name);
    return 1;
}

/* Lines that are not names (too long, control characters) are skipped: the
 * file is ours, but a person may have edited it. */
static int load(lm_chat_names *ns, char *err, size_t errlen)
{
    char line[256];
    FILE *f = fopen(ns->path, "rb");
    int skip = 0;

    if (!f) {
        if (errno == ENOENT)
            return 0;
        lm_format(err, errlen, LM_M_CHAT_NAMES_READ, ns->path, lm_os_strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line), i;
        int whole = len && line[len - 1] == '\n', was_skipping = skip;
        skip = !whole; /* the rest of an over-long line is not a name */
        if (was_skipping || (!whole && !feof(f)))
            continue;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || len > NAME_MAX_LEN || line[0] == '#')
            continue;
        for (i = 0; i < len && (unsigned char)line[i] >= 0x20 && line[i] != 0x7f; i++)
            ;
        if (i == len)
            add(ns, line);
    }
    if (ferror(f)) {
        lm_format(err, errlen, LM_M_CHAT_NAMES_READ, ns->path, lm_os_strerror(errno));
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

static const char header[] =
    "# lanmsg chat: names seen on verified client certificates, least recently seen first.\n"
    "# A client without a certificate cannot take them. Rewritten by the server.\n";

static void save(lm_chat_names *ns)
{
    size_t cap = sizeof header, len = sizeof header - 1, plen = strlen(ns->path), i;
    char *data, *tmp = lm_xmalloc(plen + 5);
    const char *failed;
    int rc, e;

    for (i = 0; i < ns->n; i++)
        cap += strlen(ns->name[i]) + 1;
    data = lm_xmalloc(cap);
    memcpy(data, header, len);
    for (i = 0; i < ns->n; i++) {
        size_t n = strlen(ns->name[i]);
        memcpy(data + len, ns->name[i], n);
        len += n;
        data[len++] = '\n';
    }
    memcpy(tmp, ns->path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    remove(tmp); /* left by a crash; ours is created exclusively */
    rc = lm_file_create(tmp, data, len, 0600);
    if (rc != 0 && errno == ENOENT && lm_make_dir(ns->dir, 0700) == 0)
        rc = lm_file_create(tmp, data, len, 0600);
    failed = tmp;
    if (rc == 0 && lm_file_replace(tmp, ns->path) != 0) {
        e = errno;
        remove(tmp);
        errno = e;
        rc = -1;
        failed = ns->path;
    }
    if (rc != 0 && !ns->warned) {
        ns->warned = 1; /* once: the next failure would say the same */
        lm_warn(LM_M_CHAT_NAMES_WRITE, failed, lm_os_strerror(errno));
    }
    free(data);
    free(tmp);
}

void lm_chat_names_seen(lm_chat_names *ns, const char *name)
{
    if (add(ns, name) && ns->path)
        save(ns);
}

lm_chat_names *lm_chat_names_open(const char *state_dir, char *err, size_t errlen)
{
    lm_chat_names *ns = lm_xcalloc(1, sizeof *ns);
    if (state_dir && state_dir[0]) {
        size_t n = strlen(state_dir);
        ns->dir = lm_xstrdup(state_dir);
        ns->path = lm_xmalloc(n + sizeof "/" LM_CHAT_NAMES_FILE);
        memcpy(ns->path, state_dir, n);
        memcpy(ns->path + n, "/" LM_CHAT_NAMES_FILE, sizeof "/" LM_CHAT_NAMES_FILE);
        if (load(ns, err, errlen) != 0) {
            lm_chat_names_free(ns);
            return NULL;
        }
    }
    return ns;
}

void lm_chat_names_free(lm_chat_names *ns)
{
    size_t i;
    if (!ns)
        return;
    for (i = 0; i < ns->n; i++)
        free(ns->name[i]);
    free(ns->name);
    free(ns->dir);
    free(ns->path);
    free(ns);
}
