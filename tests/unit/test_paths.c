/* Unit tests for the state and configuration folders (src/platform/paths*.c):
 * the XDG rules (absolute variables win, relative ones are ignored, HOME is
 * the fallback, --state-dir overrides), folders made 0700 with their
 * parents, folders others can write (or, for state, read) refused with the
 * chmod that fixes them, and files replaced atomically with an exact mode. */
#define _POSIX_C_SOURCE 200809L

#include "platform/paths.h"

#include <errno.h>
#include <string.h>

#include "check.h"
#include "lanmsg/net.h"
#include "util/text.h"
#include "scratch.h"

#if !defined(_WIN32)
#include <sys/resource.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>
#endif

static char root[512];

static void test_where(void)
{
    char out[LM_PATH_MAX], err[512];
#if defined(_WIN32)
    set_env("LOCALAPPDATA", "C:\\Users\\a\\AppData\\Local");
    set_env("APPDATA", "C:\\Users\\a\\AppData\\Roaming");
    CHECK(lm_dir_path(LM_DIR_STATE, NULL, out, sizeof out, err, sizeof err) == 0);
    CHECK(strcmp(out, "C:\\Users\\a\\AppData\\Local\\lanmsg") == 0);
    CHECK(lm_dir_path(LM_DIR_CONFIG, NULL, out, sizeof out, err, sizeof err) == 0);
    CHECK(strcmp(out, "C:\\Users\\a\\AppData\\Roaming\\lanmsg") == 0);
    set_env("LOCALAPPDATA", NULL);
    CHECK(lm_dir_path(LM_DIR_STATE, NULL, out, sizeof out, err, sizeof err) != 0);
    CHECK(strstr(err, "%LOCALAPPDATA%") && strstr(err, "--state-dir"));
#else
    set_env("HOME", "/home/alice");
    set_env("XDG_STATE_HOME", NULL);
    set_env("XDG_CONFIG_HOME", NULL);
    CHECK(lm_dir_path(LM_DIR_STATE, NULL, out, sizeof out, err, sizeof err) == 0);
    CHECK(strcmp(out, "/home/alice/.local/state/lanmsg") == 0);
    CHECK(lm_dir_path(LM_DIR_CONFIG, NULL, out, sizeof out, err, sizeof err) == 0);
    CHECK(strcmp(out, "/home/alice/.config/lanmsg") == 0);
    set_env("XDG_STATE_HOME", "/srv/state");
    set_env("XDG_CONFIG_HOME", "/etc/xdg-alice/");
    CHECK(lm_dir_path(LM_DIR_STATE, NULL, out, sizeof out, err, sizeof err) == 0);
    CHECK(strcmp(out, "/srv/state/lanmsg") == 0);
    CHECK(lm_dir_path(LM_DIR_CONFIG, NULL, out, sizeof out, err, sizeof err) == 0);
    CHECK(strcmp(out, "/etc/xdg-alice/lanmsg") == 0);
    /* relative XDG values are invalid and ignored */
    set_env("XDG_STATE_HOME", "relative/state");
    CHECK(lm_dir_path(LM_DIR_STATE, NULL, out, sizeof out, err, sizeof err) == 0);
    CHECK(strcmp(out, "/home/alice/.local/state/lanmsg") == 0);
    set_env("XDG_STATE_HOME", "");
    CHECK(lm_dir_path(LM_DIR_STATE, NULL, out, sizeof out, err, sizeof err) == 0);
    CHECK(strcmp(out, "/home/alice/.local/state/lanmsg") == 0);
#endif
    CHECK(lm_dir_path(LM_DIR_STATE, "my-state", out, sizeof out, err, sizeof err) == 0);
    CHECK(strcmp(out, "my-state") == 0);
}

static void test_prepare(void)
{
    char dir[LM_PATH_MAX], err[512];
    snprintf(dir, sizeof dir, "%s/a/b/lanmsg", root);
    CHECK(lm_dir_prepare(dir, LM_DIR_STATE, err, sizeof err) == 0);
    CHECK(lm_path_exists(dir));
    CHECK(lm_dir_prepare(dir, LM_DIR_STATE, err, sizeof err) == 0); /* again: fine */
#if !defined(_WIN32)
    char parent[LM_PATH_MAX];
    snprintf(parent, sizeof parent, "%s/a/b", root);
    CHECK(lm_file_mode(dir, err, sizeof err) == 0700);
    CHECK(lm_file_mode(parent, err, sizeof err) == 0700);

    CHECK(chmod(dir, 0777) == 0);
    CHECK(lm_dir_check(dir, LM_DIR_CONFIG, err, sizeof err) != 0);
    CHECK(strstr(err, "written by other users") && strstr(err, "chmod 700"));
    CHECK(chmod(dir, 0755) == 0);
    CHECK(lm_dir_check(dir, LM_DIR_CONFIG, err, sizeof err) == 0);
    CHECK(lm_dir_check(dir, LM_DIR_STATE, err, sizeof err) != 0);
    CHECK(strstr(err, "private keys") && strstr(err, "chmod 700"));
    CHECK(strchr(err, '\n') == NULL);
    CHECK(chmod(dir, 0700) == 0);
#endif
    /* a file where the folder should be */
    char file[LM_PATH_MAX];
    snprintf(file, sizeof file, "%s/plainfile", root);
    write_text(file, "x");
    CHECK(lm_dir_prepare(file, LM_DIR_STATE, err, sizeof err) != 0);
    CHECK(strstr(err, "not a folder") != NULL);
}

static int count_entries_with(const char *dir, const char *part);

static void test_atomic(void)
{
    char path[LM_PATH_MAX], err[512];
    char *text;
    snprintf(path, sizeof path, "%s/data", root);
    CHECK(lm_file_write_atomic(path, "one\n", 4, 0600, err, sizeof err) == 0);
    CHECK((text = read_text(path)) && strcmp(text, "one\n") == 0);
    free(text);
    CHECK(lm_file_write_atomic(path, "two\n", 4, 0644, err, sizeof err) == 0);
    CHECK((text = read_text(path)) && strcmp(text, "two\n") == 0);
    free(text);
#if !defined(_WIN32)
    mode_t old = umask(0);
    CHECK(lm_file_write_atomic(path, "three\n", 6, 0600, err, sizeof err) == 0);
    umask(old);
    CHECK(lm_file_mode(path, err, sizeof err) == 0600);
    CHECK(lm_file_check_mode(path, 1, err, sizeof err) == 0);
    CHECK(chmod(path, 0640) == 0);
    CHECK(lm_file_check_mode(path, 1, err, sizeof err) != 0);
    CHECK(strstr(err, "chmod 600") != NULL);
    CHECK(lm_file_check_mode(path, 0, err, sizeof err) == 0);
    CHECK(chmod(path, 0666) == 0);
    CHECK(lm_file_check_mode(path, 0, err, sizeof err) != 0);
    CHECK(strstr(err, "go-w") != NULL);
    CHECK(chmod(path, 0600) == 0);

    /* A write that fails half-way (the file-size limit, which binds root
     * too): the old file stays whole and no temporary file is left. */
    struct rlimit saved, small = {3, 3};
    char big[4096];
    memset(big, 'x', sizeof big);
    signal(SIGXFSZ, SIG_IGN);
    CHECK(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    small.rlim_max = saved.rlim_max;
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    int rc = lm_file_write_atomic(path, big, sizeof big, 0600, err, sizeof err);
    CHECK(setrlimit(RLIMIT_FSIZE, &saved) == 0);
    CHECK(rc != 0);
    CHECK(strstr(err, "nothing was changed") != NULL);
    CHECK((text = read_text(path)) && strcmp(text, "three\n") == 0);
    free(text);
    CHECK(count_entries_with(root, ".tmp-") == 0);
#endif
    /* The target is a folder: the rename fails, the temporary goes. */
    char sub[LM_PATH_MAX], inner[LM_PATH_MAX + 16];
    snprintf(sub, sizeof sub, "%s/adir", root);
    CHECK(lm_make_dir(sub, 0700) == 0);
    snprintf(inner, sizeof inner, "%s/keep", sub);
    write_text(inner, "k");
    CHECK(lm_file_write_atomic(sub, "z", 1, 0600, err, sizeof err) != 0);
    CHECK(count_entries_with(root, ".tmp-") == 0);

    /* read_all: missing is 1, too big is an error */
    char *buf;
    size_t len;
    snprintf(path, sizeof path, "%s/missing", root);
    CHECK(lm_file_read_all(path, 100, &buf, &len, err, sizeof err) == 1 && buf == NULL);
    snprintf(path, sizeof path, "%s/data", root);
    CHECK(lm_file_read_all(path, 100, &buf, &len, err, sizeof err) == 0 && len == strlen(buf));
    CHECK(strcmp(buf, "three\n") == 0 || strcmp(buf, "two\n") == 0);
    free(buf);
    CHECK(lm_file_read_all(path, 3, &buf, &len, err, sizeof err) == -1);
    CHECK(strstr(err, "larger than 3 bytes") != NULL);
}

#if defined(_WIN32)
#include <windows.h>
static int count_entries_with(const char *dir, const char *part)
{
    char pattern[LM_PATH_MAX];
    WIN32_FIND_DATAA d;
    HANDLE h;
    int n = 0;
    snprintf(pattern, sizeof pattern, "%s\\*", dir);
    h = FindFirstFileA(pattern, &d);
    if (h == INVALID_HANDLE_VALUE)
        return 0;
    do
        n += strstr(d.cFileName, part) != NULL;
    while (FindNextFileA(h, &d));
    FindClose(h);
    return n;
}
#else
#include <dirent.h>
static int count_entries_with(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    CHECK(d != NULL);
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, part) != NULL;
    closedir(d);
    return n;
}
#endif

int main(void)
{
    lm_lang_init("en");
    scratch_dir(root, sizeof root, "paths");
    test_where();
    test_prepare();
    test_atomic();
    puts("paths: ok");
    return 0;
}
