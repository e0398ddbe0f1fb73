/* lanmsg platform layer for Windows (Winsock 2.2, Windows 10 and later).
 *
 * The Winsock twin of net_posix.c: the same lanmsg/net.h over SOCKET
 * handles, WSAGetLastError, ioctlsocket and WSAPoll. What differs from POSIX,
 * and why it is handled here:
 *  - Winsock must be started (WSAStartup) before any socket call.
 *  - Errors live in WSAGetLastError, not errno; "would block" is
 *    WSAEWOULDBLOCK and a connect under way reports it too.
 *  - SO_REUSEADDR lets a second program steal a bound port, so listeners use
 *    SO_EXCLUSIVEADDRUSE instead (the POSIX meaning is Windows' default).
 *  - WSAPoll misses failed connects on older Windows, so connects wait with
 *    select() (one socket: FD_SETSIZE is never a concern).
 *  - There is no SIGPIPE; Ctrl-C arrives through SetConsoleCtrlHandler on
 *    another thread, and the loops see the flag at their next tick.
 *  - poll() cannot watch the console, so the chat client's stdin is fed
 *    through a pipe by a reader thread, and the pipe is what we watch. */
#if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0600
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00 /* WSAPoll, inet_ntop, GetTickCount64 */
#endif
#define WIN32_LEAN_AND_MEAN

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lanmsg/net.h"
#include "util/text.h"

#define SK(s) ((SOCKET)(s))
#define LS(k) ((lm_sock)(k))

/* ======================================================================
 * Errors and addresses
 * ==================================================================== */

/* The system's own one-line text for a Winsock or Win32 error code, in the
 * user's Windows language, without the trailing period and CR/LF that
 * FormatMessage adds. Falls back to the number when there is no text. */
static const char *win_text(int code, char *buf, size_t len)
{
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                             (DWORD)code, 0, buf, (DWORD)len, NULL);
    while (n > 0 &&
           (buf[n - 1] == '\r' || buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '.'))
        buf[--n] = '\0';
    if (n == 0)
        lm_format(buf, len, LM_M_WIN_ERROR_CODE, code);
    return buf;
}

static void set_err(char *err, size_t errlen, lm_msg_id id, int code)
{
    char os[160];
    if (err && errlen)
        lm_format(err, errlen, id, win_text(code, os, sizeof os));
}

const char *lm_os_strerror(int code)
{
    return strerror(code); /* callers pass C runtime errno values */
}

/* "1.2.3.4:80" or "[::1]:80"; IPv4-mapped IPv6 shown as plain IPv4, as on
 * POSIX, so logs read the same whichever family accepted the client. */
static void format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        unsigned port = ntohs(in6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], host, sizeof host);
            snprintf(buf, len, "%s:%u", host, port);
        } else {
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
            snprintf(buf, len, "[%s]:%u", host, port);
        }
    } else {
        snprintf(buf, len, "?");
    }
}

/* getaddrinfo's error text: gai_strerrorA is not thread-safe on Windows and
 * its codes are plain Winsock errors, so FormatMessage reads them. */
static const char *gai_text(int rc, char *buf, size_t len)
{
    return win_text(rc, buf, len);
}

/* ======================================================================
 * Set-up
 * ==================================================================== */

int lm_net_init(char *err, size_t errlen)
{
    WSADATA wsa;
    int rc = WSAStartup(MAKEWORD(2, 2), &wsa);
    if (rc != 0) {
        set_err(err, errlen, LM_M_WIN_STARTUP, rc);
        return LM_ERR;
    }
    /* The catalog is UTF-8 ("Olá servidor!"); make the console show it so. */
    SetConsoleOutputCP(CP_UTF8);
    return LM_OK;
}

void lm_net_cleanup(void)
{
    WSACleanup();
}

int lm_net_set_nonblocking(lm_sock s, int on)
{
    u_long mode = on ? 1 : 0;
    return ioctlsocket(SK(s), FIONBIO, &mode) == 0 ? LM_OK : LM_ERR;
}

void lm_net_set_nodelay(lm_sock s)
{
    BOOL one = TRUE;
    setsockopt(SK(s), IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
}

/* A socket that child processes do not inherit (the POSIX side uses
 * SOCK_CLOEXEC for the same reason). */
static SOCKET new_socket(int family, int type, int proto)
{
    SOCKET k = socket(family, type, proto);
    if (k != INVALID_SOCKET)
        SetHandleInformation((HANDLE)k, HANDLE_FLAG_INHERIT, 0);
    return k;
}

/* ======================================================================
 * Listening and accepting
 * ==================================================================== */

int lm_net_listen(const char *host, const char *port, int backlog, lm_sock *out, char *err,
                  size_t errlen)
{
    struct addrinfo hints, *res = NULL, *ai;
    SOCKET k = INVALID_SOCKET;
    int rc, saved = 0;
    char os[160];

    if (!host || !*host)
        host = "0.0.0.0";
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        lm_format(err, errlen, LM_M_NET_LISTEN_RESOLVE, host, port, gai_text(rc, os, sizeof os));
        return LM_ERR;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        BOOL on = TRUE, off = FALSE;
        k = new_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (k == INVALID_SOCKET) {
            saved = WSAGetLastError();
            continue;
        }
        /* Not SO_REUSEADDR: on Windows it would let two servers share the
         * port silently. Exclusive use is what "address in use" promises. */
        setsockopt(k, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on, sizeof on);
        if (ai->ai_family == AF_INET6)
            setsockopt(k, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&off, sizeof off);
        if (bind(k, ai->ai_addr, (int)ai->ai_addrlen) == 0 && listen(k, backlog) == 0)
            break;
        saved = WSAGetLastError();
        closesocket(k);
        k = INVALID_SOCKET;
    }
    freeaddrinfo(res);
    if (k == INVALID_SOCKET) {
        if (saved == WSAEADDRINUSE)
            lm_format(err, errlen, LM_M_NET_LISTEN_IN_USE, host, port);
        else if (saved == WSAEACCES)
            lm_format(err, errlen, LM_M_WIN_LISTEN_DENIED, host, port);
        else if (saved == WSAEADDRNOTAVAIL)
            lm_format(err, errlen, LM_M_NET_LISTEN_NO_ADDR, host, port);
        else
            lm_format(err, errlen, LM_M_NET_LISTEN_RESOLVE, host, port,
                      win_text(saved, os, sizeof os));
        return LM_ERR;
    }
    lm_net_set_nonblocking(LS(k), 1);
    *out = LS(k);
    return LM_OK;
}

int lm_net_accept(lm_sock ls, lm_sock *out, char *peer, size_t peerlen, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int sl, e;
    SOCKET k;

    for (;;) {
        sl = (int)sizeof ss;
        k = accept(SK(ls), (struct sockaddr *)&ss, &sl);
        if (k != INVALID_SOCKET)
            break;
        e = WSAGetLastError();
        if (e == WSAEINTR)
            continue;
        if (e == WSAEWOULDBLOCK)
            return LM_WANT_READ;
        if (e == WSAECONNRESET || e == WSAECONNABORTED)
            return LM_ERR_RESET;
        set_err(err, errlen, LM_M_WIN_ACCEPT, e);
        return LM_ERR;
    }
    SetHandleInformation((HANDLE)k, HANDLE_FLAG_INHERIT, 0);
    lm_net_set_nonblocking(LS(k), 1);
    lm_net_set_nodelay(LS(k));
    format_addr((struct sockaddr *)&ss, peer, peerlen);
    *out = LS(k);
    return LM_OK;
}

/* ======================================================================
 * Connecting
 * ==================================================================== */

/* Wait for a non-blocking connect to finish; returns 0 or a WSA error.
 * select() reports a refused connect in the except set, which WSAPoll
 * before Windows 10 2004 never did. */
static int finish_connect(SOCKET k, int timeout_ms)
{
    fd_set wr, ex;
    struct timeval tv, *tvp = NULL;
    int rc, soerr = 0, sl = (int)sizeof soerr;

    FD_ZERO(&wr);
    FD_ZERO(&ex);
    FD_SET(k, &wr);
    FD_SET(k, &ex);
    if (timeout_ms > 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        tvp = &tv;
    }
    rc = select(0, NULL, &wr, &ex, tvp);
    if (rc == 0)
        return WSAETIMEDOUT;
    if (rc == SOCKET_ERROR)
        return WSAGetLastError();
    if (getsockopt(k, SOL_SOCKET, SO_ERROR, (char *)&soerr, &sl) != 0)
        return WSAGetLastError();
    if (soerr == 0 && FD_ISSET(k, &ex))
        soerr = WSAECONNREFUSED;
    return soerr;
}

/* getaddrinfo without AI_ADDRCONFIG first, as on POSIX: hosts without a
 * global IPv6 address would otherwise not resolve "::1". */
static int resolve(const char *host, const char *port, struct addrinfo **res)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    return getaddrinfo(host, port, &hints, res);
}

int lm_net_connect(const char *host, const char *port, int timeout_ms, lm_sock *out, char *peer,
                   size_t peerlen, char *err, size_t errlen)
{
    struct addrinfo *res = NULL, *ai;
    SOCKET k = INVALID_SOCKET;
    int rc, saved = WSAECONNREFUSED;
    char os[160];

    rc = resolve(host, port, &res);
    if (rc != 0) {
        lm_format(err, errlen, LM_M_NET_RESOLVE, host, gai_text(rc, os, sizeof os));
        return LM_ERR;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        k = new_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (k == INVALID_SOCKET) {
            saved = WSAGetLastError();
            continue;
        }
        lm_net_set_nonblocking(LS(k), 1);
        rc = connect(k, ai->ai_addr, (int)ai->ai_addrlen);
        saved = rc == 0 ? 0 : WSAGetLastError();
        if (saved == WSAEWOULDBLOCK || saved == WSAEINPROGRESS)
            saved = finish_connect(k, timeout_ms);
        if (saved == 0) {
            format_addr(ai->ai_addr, peer, peerlen);
            break;
        }
        closesocket(k);
        k = INVALID_SOCKET;
    }
    freeaddrinfo(res);
    if (k == INVALID_SOCKET) {
        if (saved == WSAECONNREFUSED)
            lm_format(err, errlen, LM_M_NET_REFUSED, host, port);
        else if (saved == WSAETIMEDOUT)
            lm_format(err, errlen, LM_M_WIN_CONNECT_TIMEOUT, host, port);
        else
            lm_format(err, errlen, LM_M_NET_UNREACHABLE, host, port,
                      win_text(saved, os, sizeof os));
        return LM_ERR;
    }
    lm_net_set_nonblocking(LS(k), 0);
    lm_net_set_nodelay(LS(k));
    *out = LS(k);
    return LM_OK;
}

int lm_net_connect_start(const char *host, const char *port, lm_sock *out, char *err, size_t errlen)
{
    struct addrinfo *res = NULL;
    SOCKET k;
    int rc, e;
    char os[160];

    rc = resolve(host, port, &res);
    if (rc != 0) {
        lm_format(err, errlen, LM_M_NET_RESOLVE, host, gai_text(rc, os, sizeof os));
        return LM_ERR;
    }
    k = new_socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (k == INVALID_SOCKET) {
        set_err(err, errlen, LM_M_WIN_SOCKET, WSAGetLastError());
        freeaddrinfo(res);
        return LM_ERR;
    }
    lm_net_set_nonblocking(LS(k), 1);
    lm_net_set_nodelay(LS(k));
    rc = connect(k, res->ai_addr, (int)res->ai_addrlen);
    e = rc == 0 ? 0 : WSAGetLastError();
    if (rc != 0 && e != WSAEWOULDBLOCK && e != WSAEINPROGRESS) {
        lm_format(err, errlen, LM_M_NET_UNREACHABLE, host, port, win_text(e, os, sizeof os));
        freeaddrinfo(res);
        closesocket(k);
        return LM_ERR;
    }
    freeaddrinfo(res);
    *out = LS(k);
    return LM_OK;
}

int lm_net_connect_result(lm_sock s, char *err, size_t errlen)
{
    int soerr = 0, sl = (int)sizeof soerr;
    char os[160];
    if (getsockopt(SK(s), SOL_SOCKET, SO_ERROR, (char *)&soerr, &sl) != 0)
        soerr = WSAGetLastError();
    if (soerr) {
        lm_format(err, errlen, LM_M_NET_UNREACHABLE, "?", "?", win_text(soerr, os, sizeof os));
        return LM_ERR;
    }
    return LM_OK;
}

/* ======================================================================
 * Moving bytes
 * ==================================================================== */

/* Map one send/recv result onto the shared codes. A graceful close is 0;
 * resets, aborts and timeouts are "the peer vanished". */
static long io_result(int n, int want, char *err, size_t errlen, lm_msg_id what)
{
    int e;
    if (n != SOCKET_ERROR)
        return (long)n;
    e = WSAGetLastError();
    if (e == WSAEWOULDBLOCK)
        return want;
    set_err(err, errlen, what, e);
    if (e == WSAECONNRESET || e == WSAECONNABORTED || e == WSAETIMEDOUT || e == WSAENOTCONN ||
        e == WSAESHUTDOWN || e == WSAENETRESET)
        return LM_ERR_RESET;
    return LM_ERR;
}

/* Winsock takes int lengths; larger requests are simply cut (a short
 * transfer is always allowed by the contract). */
static int clamp_len(size_t len)
{
    return len > 0x7fffffff ? 0x7fffffff : (int)len;
}

long lm_net_recv(lm_sock s, void *buf, size_t len, char *err, size_t errlen)
{
    int n;
    do
        n = recv(SK(s), buf, clamp_len(len), 0);
    while (n == SOCKET_ERROR && WSAGetLastError() == WSAEINTR);
    return io_result(n, LM_WANT_READ, err, errlen, LM_M_WIN_RECV);
}

long lm_net_peek(lm_sock s, void *buf, size_t len, char *err, size_t errlen)
{
    int n;
    do
        n = recv(SK(s), buf, clamp_len(len), MSG_PEEK);
    while (n == SOCKET_ERROR && WSAGetLastError() == WSAEINTR);
    return io_result(n, LM_WANT_READ, err, errlen, LM_M_WIN_RECV);
}

long lm_net_send(lm_sock s, const void *buf, size_t len, char *err, size_t errlen)
{
    int n;
    do
        n = send(SK(s), buf, clamp_len(len), 0); /* no SIGPIPE on Windows */
    while (n == SOCKET_ERROR && WSAGetLastError() == WSAEINTR);
    return io_result(n, LM_WANT_WRITE, err, errlen, LM_M_WIN_SEND);
}

void lm_net_shutdown_write(lm_sock s)
{
    shutdown(SK(s), SD_SEND);
}

void lm_net_close(lm_sock s)
{
    if (s != LM_SOCK_INVALID)
        closesocket(SK(s));
}

int lm_net_local_addr(lm_sock s, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    int sl = (int)sizeof ss;
    if (getsockname(SK(s), (struct sockaddr *)&ss, &sl) != 0)
        return -1;
    format_addr((struct sockaddr *)&ss, buf, len);
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

int lm_net_wait(lm_sock s, int want_write, int timeout_ms)
{
    WSAPOLLFD p;
    int rc;
    p.fd = SK(s);
    p.events = want_write ? POLLOUT : POLLIN;
    p.revents = 0;
    rc = WSAPoll(&p, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (rc == SOCKET_ERROR)
        return LM_ERR;
    return rc > 0;
}

/* ======================================================================
 * Standard input beside a socket (the chat client)
 *
 * Neither WSAPoll nor select can watch a console or a pipe. On first use a
 * reader thread takes over the real stdin: it reads the console as UTF-16
 * (ReadConsoleW, so "Olá" survives any code page) or any other handle as
 * bytes, and writes UTF-8 into an anonymous pipe that replaces stdin for
 * the C runtime. fgets(stdin) and friends keep working; "stdin is ready"
 * is "the pipe holds bytes, or was closed". The wait slices its timeout so
 * that both are checked every few milliseconds.
 * ==================================================================== */

static HANDLE g_in_real = INVALID_HANDLE_VALUE; /* the console, file or pipe given to us */
static HANDLE g_in_pipe_r = INVALID_HANDLE_VALUE, g_in_pipe_w = INVALID_HANDLE_VALUE;

static int is_console(HANDLE h)
{
    DWORD mode;
    return GetFileType(h) == FILE_TYPE_CHAR && GetConsoleMode(h, &mode);
}

/* The reader thread: copy until end of input, then close the pipe so the
 * reader side sees end-of-file. */
static DWORD WINAPI stdin_pump(LPVOID arg)
{
    int console = is_console(g_in_real);
    (void)arg;
    for (;;) {
        char out[4096];
        DWORD got = 0, put;
        if (console) {
            WCHAR w[1024];
            DWORD nw = 0;
            int n;
            if (!ReadConsoleW(g_in_real, w, 1024, &nw, NULL) || nw == 0)
                break;
            /* Ctrl-Z at the start of a line is the console's end of input. */
            if (w[0] == 0x1a)
                break;
            n = WideCharToMultiByte(CP_UTF8, 0, w, (int)nw, out, (int)sizeof out, NULL, NULL);
            if (n <= 0)
                continue;
            got = (DWORD)n;
        } else if (!ReadFile(g_in_real, out, sizeof out, &got, NULL) || got == 0) {
            break;
        }
        if (!WriteFile(g_in_pipe_w, out, got, &put, NULL))
            break;
    }
    CloseHandle(g_in_pipe_w);
    g_in_pipe_w = INVALID_HANDLE_VALUE;
    return 0;
}

/* Swap the C runtime's stdin for the pipe and start the pump, once. */
static int stdin_pump_start(void)
{
    HANDLE t;
    int fd;
    if (g_in_pipe_r != INVALID_HANDLE_VALUE)
        return 0;
    /* Our own copy: replacing descriptor 0 below closes the original. */
    if (!DuplicateHandle(GetCurrentProcess(), GetStdHandle(STD_INPUT_HANDLE), GetCurrentProcess(),
                         &g_in_real, 0, FALSE, DUPLICATE_SAME_ACCESS))
        return -1;
    if (!CreatePipe(&g_in_pipe_r, &g_in_pipe_w, NULL, 1 << 16))
        return -1;
    fd = _open_osfhandle((intptr_t)g_in_pipe_r, _O_RDONLY | _O_BINARY);
    if (fd < 0 || _dup2(fd, 0) != 0) {
        if (fd >= 0)
            _close(fd); /* closes g_in_pipe_r too */
        else
            CloseHandle(g_in_pipe_r);
        CloseHandle(g_in_pipe_w);
        CloseHandle(g_in_real);
        g_in_pipe_r = g_in_pipe_w = INVALID_HANDLE_VALUE;
        return -1;
    }
    _close(fd); /* fd 0 keeps its own duplicate of the pipe handle */
    g_in_pipe_r = (HANDLE)_get_osfhandle(0);
    /* Unbuffered: stdio must never read ahead of what we report ready. */
    setvbuf(stdin, NULL, _IONBF, 0);
    clearerr(stdin);
    t = CreateThread(NULL, 0, stdin_pump, NULL, 0, NULL);
    if (!t)
        return -1;
    CloseHandle(t);
    return 0;
}

static int stdin_has_data(void)
{
    DWORD avail = 0;
    if (!PeekNamedPipe(g_in_pipe_r, NULL, 0, NULL, &avail, NULL))
        return 1; /* closed: the next read sees end-of-file */
    return avail > 0;
}

int lm_net_wait_with_stdin(lm_sock s, int want_write, int timeout_ms, int *sock_ready,
                           int *stdin_ready)
{
    ULONGLONG end = GetTickCount64() + (ULONGLONG)(timeout_ms < 0 ? 0 : timeout_ms);
    *sock_ready = *stdin_ready = 0;
    if (stdin_pump_start() != 0)
        return LM_ERR;
    for (;;) {
        int slice = 10, rc;
        ULONGLONG now = GetTickCount64();
        if (timeout_ms >= 0 && now + (ULONGLONG)slice > end)
            slice = now >= end ? 0 : (int)(end - now);
        *stdin_ready = *stdin_ready || stdin_has_data();
        rc = lm_net_wait(s, want_write, *stdin_ready ? 0 : slice);
        if (rc < 0)
            return LM_ERR;
        *sock_ready = rc;
        if (*sock_ready || *stdin_ready)
            return 1;
        if (timeout_ms >= 0 && GetTickCount64() >= end)
            return 0;
    }
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

/* ======================================================================
 * Poller: WSAPoll over a growable array
 * ==================================================================== */

struct lm_poller {
    WSAPOLLFD *fds;
    void **udata;
    size_t n, cap;
};

lm_poller *lm_poller_new(void)
{
    return calloc(1, sizeof(lm_poller));
}

void lm_poller_free(lm_poller *p)
{
    if (p) {
        free(p->fds);
        free(p->udata);
        free(p);
    }
}

static short to_poll(int events)
{
    return (short)((events & LM_EV_READ ? POLLIN : 0) | (events & LM_EV_WRITE ? POLLOUT : 0));
}

int lm_poller_add(lm_poller *p, lm_sock s, int events, void *udata)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        WSAPOLLFD *f = realloc(p->fds, cap * sizeof *f);
        void **u;
        if (!f)
            return LM_ERR;
        p->fds = f;
        u = realloc(p->udata, cap * sizeof *u);
        if (!u)
            return LM_ERR;
        p->udata = u;
        p->cap = cap;
    }
    p->fds[p->n].fd = SK(s);
    p->fds[p->n].events = to_poll(events);
    p->fds[p->n].revents = 0;
    p->udata[p->n++] = udata;
    return LM_OK;
}

int lm_poller_mod(lm_poller *p, lm_sock s, int events, void *udata)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        if (p->fds[i].fd == SK(s)) {
            p->fds[i].events = to_poll(events);
            p->udata[i] = udata;
            return LM_OK;
        }
    return LM_ERR;
}

void lm_poller_del(lm_poller *p, lm_sock s)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        if (p->fds[i].fd == SK(s)) {
            p->fds[i] = p->fds[p->n - 1];
            p->udata[i] = p->udata[p->n - 1];
            p->n--;
            return;
        }
}

/* WSAPoll refuses an empty set (WSAEINVAL) where poll() would just sleep,
 * and a socket whose events are all off would still report hang-ups; the
 * loop relies on neither, but the empty case happens while accepts pause. */
int lm_poller_wait(lm_poller *p, lm_event *evs, int max, int timeout_ms)
{
    int rc, k = 0;
    size_t i;
    if (p->n == 0) {
        Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
        return 0;
    }
    rc = WSAPoll(p->fds, (ULONG)p->n, timeout_ms);
    if (rc == SOCKET_ERROR)
        return WSAGetLastError() == WSAEINTR ? 0 : LM_ERR;
    for (i = 0; i < p->n && k < max; i++) {
        short r = p->fds[i].revents;
        if (!r)
            continue;
        evs[k].udata = p->udata[i];
        evs[k].events = (r & (POLLIN | POLLHUP) ? LM_EV_READ : 0) |
                        (r & POLLOUT ? LM_EV_WRITE : 0) |
                        (r & (POLLERR | POLLNVAL) ? LM_EV_ERROR : 0);
        k++;
    }
    return k;
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
    return is_console(GetStdHandle(STD_INPUT_HANDLE));
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
 * Names, addresses and files for tools
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

/* Tools call the address helpers without lm_net_init; Winsock counts
 * start-ups, so one more that is never undone costs nothing. */
static void wsa_once(void)
{
    static volatile LONG started;
    if (InterlockedCompareExchange(&started, 1, 0) == 0) {
        WSADATA wsa;
        WSAStartup(MAKEWORD(2, 2), &wsa);
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

int lm_ip_parse(const char *text, unsigned char ip[16])
{
    wsa_once();
    if (inet_pton(AF_INET, text, ip) == 1)
        return 4;
    if (inet_pton(AF_INET6, text, ip) == 1)
        return 16;
    return 0;
}

void lm_ip_format(const unsigned char *ip, size_t iplen, char *buf, size_t len)
{
    wsa_once();
    if (!inet_ntop(iplen == 4 ? AF_INET : AF_INET6, ip, buf, len) && len)
        buf[0] = '\0';
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
