/* lanmsg programs: where certificate files and configuration files are
 * found, one order for every program and the certificate helper.
 *
 *   1. the flag (--cert, --key, --ca, --config): that file, nothing else;
 *   2. $LANMSG_CERT_DIR;
 *   3. ./certs, when it exists (a checkout of lanmsg: where the tutorial's
 *      users start);
 *   4. the per-user configuration folder: $XDG_CONFIG_HOME/lanmsg, else
 *      ~/.config/lanmsg (%APPDATA%\lanmsg on Windows);
 *   5. /etc/lanmsg, for the system service (%PROGRAMDATA%\lanmsg).
 *
 * A file is taken from the first folder that has it; a server certificate
 * and its key always come from the same folder. lanmsg-certgen (and so
 * lanmsg-gen-certs) writes, unless told --out, to the first of 2-4 that
 * exists or can be made: where the programs will look. */
#ifndef LANMSG_FILES_H
#define LANMSG_FILES_H

#include <stddef.h>

#define LM_FILES_MAX_DIRS 4
#define LM_FILES_PATH_MAX 1024

/* The folders of the order above, in order, that apply here (2-5); returns
 * how many. */
int lm_files_dirs(char dirs[LM_FILES_MAX_DIRS][LM_FILES_PATH_MAX]);
/* The first folder that holds `name`: its path in out (the folder in dir,
 * when dir is not NULL); 1 when found, 0 when no folder has it. */
int lm_files_find(const char *name, char *out, size_t len, char *dir, size_t dirlen);
/* "$LANMSG_CERT_DIR, ./certs, /home/a/.config/lanmsg, /etc/lanmsg" for
 * messages that say where a file was looked for. */
void lm_files_where(char *out, size_t len);
/* Where a certificate helper writes by default (see above). 0, or -1 with
 * err when no folder can be had. */
int lm_files_out_dir(char *out, size_t len, char *err, size_t errlen);

/* ---- configuration files ----
 * PROGRAM.conf (e.g. lanmsg-server.conf) in the same folders, or the file
 * given with --config FILE: one long option a line, without its dashes,
 * and its value after a space or '=' ("port 6000", "tls", "cert =
 * /etc/lanmsg/server.crt"); '#' starts a comment. The options read there
 * come first and the command line after them, so a flag on the command
 * line wins. */
typedef struct lm_config_args {
    int argc;
    char **argv;   /* argv[0], then the file's options, then the command line's */
    char **origin; /* "FILE:LINE" of each, or NULL for the command line's */
    char *file;    /* the file read, or NULL */
} lm_config_args;

/* Build the arguments for `prog`. 0 (nothing read is fine), or -1 with
 * err naming the file and the line. */
int lm_config_load(const char *prog, int argc, char **argv, lm_config_args *out, char *err,
                   size_t errlen);
void lm_config_free(lm_config_args *a);

#endif
