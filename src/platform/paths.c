/* lanmsg platform: the portable half of paths.h. The per-platform halves
 * (paths_posix.c, paths_win32.c) say where the base folders are, who owns a
 * folder and how to make a rename durable; this file builds on those and on
 * net.h's exclusive file creation and one-step rename. */
#include "platform/paths.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/net.h"
#include "platform/os.h"
#include "util/text.h"

#define TMP_TRIES 16

static void set_err(char *err, size_t errlen, lm_msg_id id, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, id);
    lm_vformat(err, errlen, id, ap);
    va_end(ap);
}

int lm_path_join(char *out, size_t len, const char *dir, const char *name, char *err, size_t errlen)
{
    size_t n = strlen(dir);
    char sep[2] = {lm_paths_sep(), '\0'};
    int w =
        snprintf(out, len, "%s%s%s", dir, (n > 0 && lm_paths_is_sep(dir[n - 1])) ? "" : sep, name);
    if (w < 0 || (size_t)w >= len) {
        set_err(err, errlen, LM_M_PATH_TOO_LONG, dir, name);
        if (len)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

int lm_dir_path(lm_dir_kind kind, const char *override, char *out, size_t len, char *err,
                size_t errlen)
{
    char base[LM_PATH_MAX];
    if (override && override[0]) {
        if (strlen(override) >= len) {
            set_err(err, errlen, LM_M_PATH_TOO_LONG, override, "");
            return -1;
        }
        memcpy(out, override, strlen(override) + 1);
        return 0;
    }
    if (lm_paths_base(kind, base, sizeof base, err, errlen) != 0)
        return -1;
    return lm_path_join(out, len, base, "lanmsg", err, errlen);
}

/* mkdir -p, each new folder 0700: the XDG specification asks for 0700 on
 * folders it makes, and the parents (~/.local/state) hold other programs'
 * private state too. */
int lm_dir_prepare(const char *path, lm_dir_kind kind, char *err, size_t errlen)
{
    char buf[LM_PATH_MAX];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof buf) {
        set_err(err, errlen, LM_M_PATH_TOO_LONG, path, "");
        return -1;
    }
    memcpy(buf, path, n + 1);
    /* Every prefix that ends before a separator, then the whole path. The
     * first character is skipped so "/" and "C:\" are never made. */
    for (size_t i = 1; i <= n; i++) {
        if (i < n && !lm_paths_is_sep(buf[i]))
            continue;
        if (i < n && lm_paths_is_sep(buf[i - 1]))
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (!lm_path_exists(buf) && lm_make_dir(buf, 0700) != 0 && errno != EEXIST) {
            set_err(err, errlen, LM_M_PATH_MKDIR, buf, strerror(errno));
            return -1;
        }
        buf[i] = saved;
    }
    return lm_dir_check(path, kind, err, errlen);
}

void lm_path_dir(const char *path, char *out, size_t len)
{
    size_t n = strlen(path);
    while (n > 0 && !lm_paths_is_sep(path[n - 1]))
        n--;
    while (n > 1 && lm_paths_is_sep(path[n - 1]))
        n--;
    if (n == 0 || n >= len) {
        snprintf(out, len, ".");
        return;
    }
    memcpy(out, path, n);
    out[n] = '\0';
}

int lm_file_write_atomic(const char *path, const void *data, size_t len, int mode, char *err,
                         size_t errlen)
{
    static atomic_uint counter; /* names only; collisions are retried */
    char tmp[LM_PATH_MAX + 32], dir[LM_PATH_MAX];
    int rc = -1, saved = 0;

    if (strlen(path) >= LM_PATH_MAX) {
        set_err(err, errlen, LM_M_PATH_TOO_LONG, path, "");
        return -1;
    }
    /* A fresh name from the clock and a counter; lm_file_create is
     * exclusive, so a name another writer took is EEXIST and we retry. */
    for (int i = 0; i < TMP_TRIES && rc != 0; i++) {
        snprintf(tmp, sizeof tmp, "%s.tmp-%08lx%04x", path,
                 (unsigned long)(lm_now_us() & 0xffffffffu),
                 (atomic_fetch_add(&counter, 1) + (unsigned)i) & 0xffffu);
        errno = 0;
        rc = lm_file_create(tmp, data, len, mode);
        saved = errno;
        if (rc != 0 && saved != EEXIST)
            break;
    }
    if (rc != 0) {
        set_err(err, errlen, LM_M_PATH_WRITE, path, strerror(saved ? saved : EIO));
        return -1;
    }
    if (lm_file_replace(tmp, path) != 0) {
        saved = errno;
        remove(tmp);
        set_err(err, errlen, LM_M_PATH_WRITE, path, strerror(saved));
        return -1;
    }
    lm_path_dir(path, dir, sizeof dir);
    lm_paths_sync_dir(dir);
    return 0;
}

int lm_file_read_all(const char *path, size_t max, char **out, size_t *len, char *err,
                     size_t errlen)
{
    FILE *f;
    char *buf;
    size_t n = 0, cap = 4096;

    *out = NULL;
    *len = 0;
    f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 1;
        set_err(err, errlen, LM_M_PATH_READ, path, strerror(errno));
        return -1;
    }
    buf = malloc(cap + 1);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n > max) {
            fclose(f);
            free(buf);
            set_err(err, errlen, LM_M_PATH_TOO_BIG, path, max);
            return -1;
        }
        if (r == 0)
            break;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (!buf) {
        fclose(f);
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
        return -1;
    }
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        free(buf);
        set_err(err, errlen, LM_M_PATH_READ, path, strerror(e ? e : EIO));
        return -1;
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int lm_file_check_mode(const char *path, int secret, char *err, size_t errlen)
{
    char why[256];
    int mode;

    if (!lm_path_exists(path))
        return 0;
    mode = lm_file_mode(path, why, sizeof why);
    if (mode < 0) {
        set_err(err, errlen, LM_M_PATH_READ, path, why);
        return -1;
    }
    if (mode & 022) {
        set_err(err, errlen, LM_M_PATH_FILE_WRITABLE, path, (unsigned)mode, path);
        return -1;
    }
    if (secret && (mode & 077)) {
        set_err(err, errlen, LM_M_PATH_FILE_READABLE, path, (unsigned)mode, path);
        return -1;
    }
    return 0;
}
