/* Private to src/platform: what the POSIX and Winsock builds name
 * differently, in one place, for the few files (poller_poll.c) that serve
 * both. Everything else of the platform layer is one file per system. */
#ifndef LANMSG_PLATFORM_SYS_H
#define LANMSG_PLATFORM_SYS_H

#ifdef _WIN32
#if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0600
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00 /* WSAPoll, inet_ntop, GetTickCount64 */
#endif
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

typedef WSAPOLLFD lm_sys_pollfd;
typedef SOCKET lm_sys_handle;
#define LM_SYS_HANDLE(s) ((SOCKET)(s))

/* WSAPoll refuses an empty set (WSAEINVAL) where poll() would just sleep;
 * the empty case happens while accepts pause. Returns the poll() result,
 * 0 when interrupted, or -1 with the system's code in *code. */
static inline int lm_sys_poll(lm_sys_pollfd *fds, size_t n, int timeout_ms, int *code)
{
    int rc;
    if (n == 0) {
        Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
        return 0;
    }
    rc = WSAPoll(fds, (ULONG)n, timeout_ms);
    if (rc != SOCKET_ERROR)
        return rc;
    *code = WSAGetLastError();
    return *code == WSAEINTR ? 0 : -1;
}

/* The system's own one-line text for a Winsock or Win32 error code
 * (net_win32.c). */
const char *lm_win_text(int code, char *buf, size_t len);
#define lm_sys_error_text lm_win_text

/* 1 when the handle is a console (not a file, pipe or NUL). os_win32.c. */
int lm_win_is_console(HANDLE h);
#else
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

typedef struct pollfd lm_sys_pollfd;
typedef int lm_sys_handle;
#define LM_SYS_HANDLE(s) ((int)(s))

static inline int lm_sys_poll(lm_sys_pollfd *fds, size_t n, int timeout_ms, int *code)
{
    int rc = poll(fds, (nfds_t)n, timeout_ms);
    if (rc >= 0)
        return rc;
    *code = errno;
    return errno == EINTR ? 0 : -1;
}

static inline const char *lm_sys_error_text(int code, char *buf, size_t len)
{
    snprintf(buf, len, "%s", strerror(code));
    return buf;
}
#endif

#endif
