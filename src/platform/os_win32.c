/* lanmsg platform layer for Windows: clocks, the console, files, names and
 * threads (platform/os.h). Sockets are in net_win32.c.
 *
 * Threads are Win32 threads and SRW locks: no C11 <threads.h> and no
 * pthreads are needed, so MSVC and mingw build the same file. */
#include "platform/sys.h"

#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "platform/os.h"
#include "util/text.h"

const char *lm_os_strerror(int code)
{
    return strerror(code); /* callers pass C runtime errno values */
}

int lm_win_is_console(HANDLE h)
{
    DWORD mode;
    return GetFileType(h) == FILE_TYPE_CHAR && GetConsoleMode(h, &mode);
}

/* ======================================================================
 * Clocks
 * ==================================================================== */

uint64_t lm_now_us(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER c;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&c);
    /* Split to avoid overflowing 64 bits on a long uptime. */
    return (uint64_t)(c.QuadPart / freq.QuadPart) * 1000000u +
           (uint64_t)(c.QuadPart % freq.QuadPart) * 1000000u / (uint64_t)freq.QuadPart;
}

uint64_t lm_now_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER c;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&c);
    return (uint64_t)(c.QuadPart / freq.QuadPart) * 1000000000u +
           (uint64_t)(c.QuadPart % freq.QuadPart) * 1000000000u / (uint64_t)freq.QuadPart;
}

uint64_t lm_now_ms(void)
{
    return (uint64_t)GetTickCount64();
}

void lm_wall_clock(char *buf, size_t len)
{
    SYSTEMTIME t;
    GetSystemTime(&t);
    snprintf(buf, len, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", t.wYear, t.wMonth, t.wDay, t.wHour,
             t.wMinute, t.wSecond, t.wMilliseconds);
}

/* ======================================================================
 * Process-level bits
 * ==================================================================== */

static volatile sig_atomic_t *g_stop;

/* Runs on a thread the system creates for the event. Returning TRUE keeps
 * the process alive so the loops can drain; for a closing console window
 * Windows ends the process a few seconds later whatever we return. */
static BOOL WINAPI on_console_event(DWORD ev)
{
    if (ev == CTRL_C_EVENT || ev == CTRL_BREAK_EVENT || ev == CTRL_CLOSE_EVENT ||
        ev == CTRL_SHUTDOWN_EVENT) {
        if (g_stop)
            *g_stop = 1;
        return TRUE;
    }
    return FALSE;
}

void lm_signals_install(volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
    (void)reload; /* no SIGHUP on Windows: restart the server to reload */
    g_stop = stop;
    if (stop)
        SetConsoleCtrlHandler(on_console_event, TRUE);
}

long lm_raise_fd_limit(long want)
{
    /* Sockets are not C runtime descriptors: no limit to raise. */
    return want;
}

int lm_stdin_is_tty(void)
{
    /* _isatty says yes for NUL too; a console has a console mode. */
    return lm_win_is_console(GetStdHandle(STD_INPUT_HANDLE));
}

/* From the console itself (CONIN$), with echo off while the line is typed. */
int lm_read_secret(const char *prompt, char *buf, size_t len)
{
    HANDLE in = CreateFileA("CONIN$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL,
                            OPEN_EXISTING, 0, NULL);
    DWORD mode, got = 0;
    WCHAR w[512];
    int ok, n;
    if (in == INVALID_HANDLE_VALUE || len == 0)
        return -1;
    GetConsoleMode(in, &mode);
    SetConsoleMode(in, mode & ~(DWORD)ENABLE_ECHO_INPUT); /* before the prompt shows */
    fputs(prompt, stderr);
    fflush(stderr);
    ok = ReadConsoleW(in, w, 511, &got, NULL) && got > 0;
    SetConsoleMode(in, mode);
    CloseHandle(in);
    fputc('\n', stderr);
    if (!ok)
        return -1;
    while (got && (w[got - 1] == L'\n' || w[got - 1] == L'\r'))
        got--;
    n = WideCharToMultiByte(CP_UTF8, 0, w, (int)got, buf, (int)len - 1, NULL, NULL);
    SecureZeroMemory(w, sizeof w);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

int lm_read_tty_line(const char *prompt, char *buf, size_t len)
{
    HANDLE in = CreateFileA("CONIN$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL,
                            OPEN_EXISTING, 0, NULL);
    DWORD got = 0;
    WCHAR w[256];
    int ok, n;
    if (in == INVALID_HANDLE_VALUE || len == 0)
        return -1;
    fputs(prompt, stderr);
    fflush(stderr);
    ok = ReadConsoleW(in, w, 255, &got, NULL) && got > 0;
    CloseHandle(in);
    if (!ok)
        return -1;
    while (got && (w[got - 1] == L'\n' || w[got - 1] == L'\r'))
        got--;
    n = WideCharToMultiByte(CP_UTF8, 0, w, (int)got, buf, (int)len - 1, NULL, NULL);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

int lm_stderr_is_tty(void)
{
    return lm_win_is_console(GetStdHandle(STD_ERROR_HANDLE));
}

/* Windows has ACLs, not mode bits: _stat reports the owner's bits copied to
 * group and other. Report the owner's only, so a key file is never called
 * "readable by other users" for a reason Windows does not have. */
int lm_file_mode(const char *path, char *err, size_t errlen)
{
    struct _stat st;
    if (_stat(path, &st) != 0) {
        if (err && errlen)
            lm_format(err, errlen, LM_M_WIN_FILE, path, strerror(errno));
        return -1;
    }
    return (int)(st.st_mode & 0700);
}

/* ======================================================================
 * Names and files for tools
 * ==================================================================== */

/* Win32 error codes as C runtime errno values, so tools print them with
 * strerror like everything else about files. */
static int errno_of(DWORD e)
{
    switch (e) {
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS:
        return EEXIST;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
        return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
        return EACCES;
    case ERROR_DISK_FULL:
        return ENOSPC;
    case ERROR_FILENAME_EXCED_RANGE:
        return ENAMETOOLONG;
    default:
        return EIO;
    }
}

int lm_host_name(char *buf, size_t len)
{
    DWORD n = (DWORD)len;
    if (len == 0 || !GetComputerNameExA(ComputerNameDnsHostname, buf, &n)) {
        errno = EIO;
        return -1;
    }
    return 0;
}

int lm_path_exists(const char *path)
{
    return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES;
}

int lm_make_dir(const char *path, int mode)
{
    (void)mode; /* the new directory inherits its parent's ACL */
    return _mkdir(path);
}

/* Windows has no mode bits: the file inherits the folder's ACL (a user's
 * profile is private by default). _commit is fsync. */
int lm_file_create(const char *path, const void *data, size_t len, int mode)
{
    const char *p = data;
    int fd, ok = 1, saved = 0;
    (void)mode;
    fd = _open(path, _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY | _O_NOINHERIT,
               _S_IREAD | _S_IWRITE);
    if (fd < 0)
        return -1;
    while (ok && len > 0) {
        unsigned chunk = len > 1u << 30 ? 1u << 30 : (unsigned)len;
        int w = _write(fd, p, chunk);
        ok = w > 0;
        if (ok) {
            p += w;
            len -= (size_t)w;
        }
    }
    ok = ok && _commit(fd) == 0;
    if (!ok)
        saved = errno;
    if (_close(fd) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (!ok) {
        _unlink(path);
        errno = saved ? saved : EIO;
        return -1;
    }
    return 0;
}

/* A hard link where the volume has them (NTFS); elsewhere (FAT, some
 * network shares) an exclusive copy keeps the same "fails if it exists". */
int lm_file_link(const char *from, const char *to)
{
    DWORD e;
    if (CreateHardLinkA(to, from, NULL))
        return 0;
    e = GetLastError();
    if (e != ERROR_ALREADY_EXISTS && e != ERROR_FILE_EXISTS && e != ERROR_FILE_NOT_FOUND &&
        e != ERROR_PATH_NOT_FOUND && CopyFileA(from, to, TRUE))
        return 0;
    errno = errno_of(e);
    return -1;
}

int lm_file_replace(const char *from, const char *to)
{
    if (MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
        return 0;
    errno = errno_of(GetLastError());
    return -1;
}

FILE *lm_file_append_private(const char *path)
{
    FILE *f;
    int fd = _open(path, _O_WRONLY | _O_CREAT | _O_APPEND | _O_BINARY | _O_NOINHERIT,
                   _S_IREAD | _S_IWRITE);
    if (fd < 0)
        return NULL;
    f = _fdopen(fd, "ab");
    if (!f)
        _close(fd);
    return f;
}

/* ======================================================================
 * Threads
 * ==================================================================== */

struct lm_thread {
    HANDLE h;
    void (*fn)(void *);
    void *arg;
};

struct lm_mutex {
    SRWLOCK lock;
};

static DWORD WINAPI thread_main(LPVOID p)
{
    lm_thread *t = p;
    t->fn(t->arg);
    return 0;
}

int lm_thread_start(lm_thread **out, void (*fn)(void *arg), void *arg)
{
    lm_thread *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->fn = fn;
    t->arg = arg;
    t->h = CreateThread(NULL, 0, thread_main, t, 0, NULL);
    if (!t->h) {
        free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void lm_thread_join(lm_thread *t)
{
    if (!t)
        return;
    WaitForSingleObject(t->h, INFINITE);
    CloseHandle(t->h);
    free(t);
}

lm_mutex *lm_mutex_new(void)
{
    lm_mutex *m = calloc(1, sizeof *m);
    if (m)
        InitializeSRWLock(&m->lock);
    return m;
}

void lm_mutex_free(lm_mutex *m)
{
    free(m); /* an SRW lock needs no destruction */
}

void lm_mutex_lock(lm_mutex *m)
{
    AcquireSRWLockExclusive(&m->lock);
}

void lm_mutex_unlock(lm_mutex *m)
{
    ReleaseSRWLockExclusive(&m->lock);
}
