/* lanmsg platform: where state and configuration live on POSIX systems
 * (the XDG Base Directory rules), who owns a folder, and durable renames. */
#define _POSIX_C_SOURCE 200809L

#include "platform/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    return '/';
}

int lm_paths_is_sep(char c)
{
    return c == '/';
}

/* $XDG_STATE_HOME or $XDG_CONFIG_HOME when set to an absolute path;
 * otherwise $HOME/.local/state or $HOME/.config, with the password
 * database's home folder when HOME is unset (a service account). */
int lm_paths_base(lm_dir_kind kind, char *out, size_t len, char *err, size_t errlen)
{
    const char *xdg = getenv(kind == LM_DIR_STATE ? "XDG_STATE_HOME" : "XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    const char *tail = kind == LM_DIR_STATE ? ".local/state" : ".config";
    int n;

    if (xdg && xdg[0] == '/') {
        n = snprintf(out, len, "%s", xdg);
    } else {
        if (!home || home[0] != '/') {
            struct passwd *pw = getpwuid(getuid());
            home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
        }
        if (!home) {
            set_err(err, errlen,
                    kind == LM_DIR_STATE ? LM_M_PATH_NO_HOME_STATE : LM_M_PATH_NO_HOME_CONFIG);
            return -1;
        }
        n = snprintf(out, len, "%s%s%s", home, home[strlen(home) - 1] == '/' ? "" : "/", tail);
    }
    if (n < 0 || (size_t)n >= len) {
        set_err(err, errlen, LM_M_PATH_TOO_LONG, xdg && xdg[0] == '/' ? xdg : home, tail);
        return -1;
    }
    return 0;
}

int lm_dir_system(char *out, size_t len)
{
    snprintf(out, len, "/etc/lanmsg");
    return 0;
}

int lm_dir_check(const char *path, lm_dir_kind kind, char *err, size_t errlen)
{
    struct stat st;
    unsigned mode;

    if (stat(path, &st) != 0) {
        set_err(err, errlen, LM_M_PATH_READ, path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_err(err, errlen, LM_M_PATH_NOT_DIR, path);
        return -1;
    }
    mode = (unsigned)(st.st_mode & 07777);
    /* Ours, or root's (who can read everything anyway): any other owner
     * could swap our keys and pins. */
    if (st.st_uid != geteuid() && st.st_uid != 0) {
        set_err(err, errlen, LM_M_PATH_DIR_OWNER, path, (unsigned)st.st_uid);
        return -1;
    }
    if (mode & 022) {
        set_err(err, errlen, LM_M_PATH_DIR_WRITABLE, path, mode, path);
        return -1;
    }
    if (kind == LM_DIR_STATE && (mode & 004)) {
        set_err(err, errlen, LM_M_PATH_DIR_READABLE, path, mode, path);
        return -1;
    }
    return 0;
}

/* rename() is atomic, but only durable once the folder's entry is on disk. */
void lm_paths_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

void lm_user_name(char *out, size_t len)
{
    const char *u = getenv("USER");
    struct passwd *pw;
    if (!u || !u[0]) {
        pw = getpwuid(geteuid());
        u = pw ? pw->pw_name : NULL;
    }
    snprintf(out, len, "%s", u ? u : "");
}

int lm_file_stamp(const char *path, unsigned long long stamp[3])
{
    struct stat st;
    if (stat(path, &st) != 0) {
        stamp[0] = stamp[1] = stamp[2] = 0;
        return -1;
    }
    stamp[0] = (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
               (unsigned long long)st.st_mtim.tv_nsec;
    stamp[1] = (unsigned long long)st.st_size;
    stamp[2] = (unsigned long long)st.st_ino;
    return 0;
}
