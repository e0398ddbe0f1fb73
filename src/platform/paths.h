/* lanmsg platform: the folders that hold state and configuration, and how
 * files in them are written.
 *
 * Two folders per user, found by the platform's own rules:
 *   state   keys, the server's identity, enrolled clients, a client's own
 *           certificates. POSIX: $XDG_STATE_HOME/lanmsg, else
 *           ~/.local/state/lanmsg. Windows: %LOCALAPPDATA%\lanmsg.
 *   config  what a person may read and edit (known_servers). POSIX:
 *           $XDG_CONFIG_HOME/lanmsg, else ~/.config/lanmsg. Windows:
 *           %APPDATA%\lanmsg.
 * Only paths_posix.c and paths_win32.c know which; everything above asks
 * here. Files are replaced atomically (a new file beside the old one,
 * flushed, then renamed over it), so a crash or a full disk leaves the old
 * file whole, never half a file.
 *
 * Errors are one line (thing, cause, fix) in a caller's buffer. */
#ifndef LANMSG_PLATFORM_PATHS_H
#define LANMSG_PLATFORM_PATHS_H

#include <stddef.h>

typedef enum lm_dir_kind {
    LM_DIR_STATE = 0, /* holds private keys: nobody else may read it */
    LM_DIR_CONFIG = 1 /* nobody else may write it */
} lm_dir_kind;

/* Longest path we build; longer ones are refused, never truncated. */
#define LM_PATH_MAX 1024

/* The folder's path (not created). `override` (e.g. --state-dir), when not
 * NULL or empty, wins. XDG variables that are not absolute paths are ignored,
 * as the XDG specification says. 0, or -1 with err (no home folder). */
int lm_dir_path(lm_dir_kind kind, const char *override, char *out, size_t len, char *err,
                size_t errlen);

/* The machine-wide folder a system service reads its files from:
 * /etc/lanmsg (POSIX), %PROGRAMDATA%\lanmsg (Windows). 0, or -1 when the
 * system does not say (out is then ""). */
int lm_dir_system(char *out, size_t len);

/* Create the folder (and missing parents) with mode 0700 where it is
 * missing, then lm_dir_check it. 0, or -1 with err. */
int lm_dir_prepare(const char *path, lm_dir_kind kind, char *err, size_t errlen);

/* Refuse a folder that is not ours to trust: not a folder, owned by another
 * user, writable by group or others, or (state) readable by others. The
 * error names the chmod that fixes it. Windows folders carry ACLs, not mode
 * bits: there the profile folders are private by default and only the
 * folder's existence is checked. 0, or -1 with err. */
int lm_dir_check(const char *path, lm_dir_kind kind, char *err, size_t errlen);

/* The folder part of a path ("." when it has none). */
void lm_path_dir(const char *path, char *out, size_t len);

/* dir + separator + name into out. 0, or -1 with err when it does not fit. */
int lm_path_join(char *out, size_t len, const char *dir, const char *name, char *err,
                 size_t errlen);

/* Replace `path` with `data` atomically, the new file with exactly `mode`
 * (0600 for keys and trust files) whatever the umask. On failure the old
 * file is untouched and no temporary file remains. 0, or -1 with err. */
int lm_file_write_atomic(const char *path, const void *data, size_t len, int mode, char *err,
                         size_t errlen);

/* Read a whole file of at most `max` bytes into a malloc'd buffer with a NUL
 * after the data (not counted in *len). 0; 1 when the file does not exist
 * (*out NULL); -1 with err. The caller frees *out. */
int lm_file_read_all(const char *path, size_t max, char **out, size_t *len, char *err,
                     size_t errlen);

/* Refuse a file that group or others may write, or, when `secret`, read.
 * A missing file is no error here (0). 0, or -1 with err naming the chmod. */
int lm_file_check_mode(const char *path, int secret, char *err, size_t errlen);

/* Something that changes whenever the file does (modification time, size,
 * file identity), to notice another process's rewrite. 0, or -1 when the
 * file cannot be examined (stamp zeroed). */
int lm_file_stamp(const char *path, unsigned long long stamp[3]);

/* The login name of whoever runs us, for a default pairing name; "" when
 * the system does not say. */
void lm_user_name(char *out, size_t len);

/* ---- per-platform pieces, used by paths.c; not for other callers ---- */
/* The base folder for a kind ("/home/a/.local/state"), before "lanmsg". */
int lm_paths_base(lm_dir_kind kind, char *out, size_t len, char *err, size_t errlen);
/* 1 for a path separator of this platform; the one it writes. */
int lm_paths_is_sep(char c);
char lm_paths_sep(void);
/* Make the rename of a file in `dir` durable (POSIX: fsync the folder). */
void lm_paths_sync_dir(const char *dir);

#endif
