/* lanmsg platform: where state and configuration live on Windows.
 *
 * State goes to %LOCALAPPDATA%\lanmsg (machine-local: private keys should
 * not roam), configuration to %APPDATA%\lanmsg. Folders under the user's
 * profile inherit an ACL that admits only the user, SYSTEM and the
 * administrators, so there are no mode bits to check: a folder is accepted
 * when it exists and is a folder. MoveFileEx with WRITE_THROUGH (net.h's
 * lm_file_replace) is already durable. */
#define WIN32_LEAN_AND_MEAN

#include <windows.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "platform/paths.h"
#include "util/text.h"

static void set_err(char *err, size_t errlen, lm_msg_id id, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, id);
    lm_vformat(err, errlen, id, ap);
    va_end(ap);
}

char lm_paths_sep(void)
{
    return '\\';
}

int lm_paths_is_sep(char c)
{
    return c == '\\' || c == '/';
}

int lm_paths_base(lm_dir_kind kind, char *out, size_t len, char *err, size_t errlen)
{
    const char *var = kind == LM_DIR_STATE ? "LOCALAPPDATA" : "APPDATA";
    const char *v = getenv(var);
    int n;
    if (!v || !v[0]) {
        set_err(err, errlen, LM_M_PATH_NO_APPDATA, var);
        return -1;
    }
    n = snprintf(out, len, "%s", v);
    if (n < 0 || (size_t)n >= len) {
        set_err(err, errlen, LM_M_PATH_TOO_LONG, v, "");
        return -1;
    }
    return 0;
}

int lm_dir_system(char *out, size_t len)
{
    const char *v = getenv("PROGRAMDATA");
    if (!v || !v[0]) {
        if (len)
            out[0] = '\0';
        return -1;
    }
    snprintf(out, len, "%s\\lanmsg", v);
    return 0;
}

int lm_dir_check(const char *path, lm_dir_kind kind, char *err, size_t errlen)
{
    DWORD a = GetFileAttributesA(path);
    (void)kind;
    if (a == INVALID_FILE_ATTRIBUTES) {
        set_err(err, errlen, LM_M_PATH_READ, path, strerror(ENOENT));
        return -1;
    }
    if (!(a & FILE_ATTRIBUTE_DIRECTORY)) {
        set_err(err, errlen, LM_M_PATH_NOT_DIR, path);
        return -1;
    }
    return 0;
}

void lm_paths_sync_dir(const char *dir)
{
    (void)dir;
}

void lm_user_name(char *out, size_t len)
{
    const char *u = getenv("USERNAME");
    snprintf(out, len, "%s", u ? u : "");
}

/* Windows keeps no inode; the modification time has 100 ns steps there. */
int lm_file_stamp(const char *path, unsigned long long stamp[3])
{
    WIN32_FILE_ATTRIBUTE_DATA d;
    if (!GetFileAttributesExA(path, GetFileExInfoStandard, &d)) {
        stamp[0] = stamp[1] = stamp[2] = 0;
        return -1;
    }
    stamp[0] = ((unsigned long long)d.ftLastWriteTime.dwHighDateTime << 32) |
               d.ftLastWriteTime.dwLowDateTime;
    stamp[1] = ((unsigned long long)d.nFileSizeHigh << 32) | d.nFileSizeLow;
    stamp[2] = ((unsigned long long)d.ftCreationTime.dwHighDateTime << 32) |
               d.ftCreationTime.dwLowDateTime;
    return 0;
}
