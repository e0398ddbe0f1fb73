/* lanmsg platform layer for Windows (Winsock 2.2, Windows 10 and later):
 * sockets. Clocks, files and threads are in os_win32.c; the poller is the
 * shared poller_poll.c over WSAPoll.
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
#include "platform/sys.h"

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
const char *lm_win_text(int code, char *buf, size_t len)
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
        lm_format(err, errlen, id, lm_win_text(code, os, sizeof os));
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
    return lm_win_text(rc, buf, len);
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

static int clamp_len(size_t len);

/* Resolve host:port and bind the first address that takes it: a listening
 * TCP socket (SOCK_STREAM, with backlog) or a UDP one (SOCK_DGRAM). */
static int bind_first(const char *host, const char *port, int type, int backlog, lm_sock *out,
                      char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL, *ai;
    SOCKET k = INVALID_SOCKET;
    int rc, saved = 0;
    char os[160];

    if (!host || !*host)
        host = "0.0.0.0";
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = type;
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
        if (bind(k, ai->ai_addr, (int)ai->ai_addrlen) == 0 &&
            (type != SOCK_STREAM || listen(k, backlog) == 0))
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
                      lm_win_text(saved, os, sizeof os));
        return LM_ERR;
    }
    if (type == SOCK_DGRAM) {
        /* Without this, an ICMP "port unreachable" for one peer makes the
         * next recvfrom on the shared socket fail with WSAECONNRESET. */
        BOOL no = FALSE;
        DWORD got = 0;
        WSAIoctl(k, _WSAIOW(IOC_VENDOR, 12) /* SIO_UDP_CONNRESET */, &no, sizeof no, NULL, 0, &got,
                 NULL, NULL);
    }
    lm_net_set_nonblocking(LS(k), 1);
    *out = LS(k);
    return LM_OK;
}

int lm_net_listen(const char *host, const char *port, int backlog, lm_sock *out, char *err,
                  size_t errlen)
{
    return bind_first(host, port, SOCK_STREAM, backlog, out, err, errlen);
}

/* ======================================================================
 * Datagrams
 * ==================================================================== */

int lm_net_udp_bind(const char *host, const char *port, lm_sock *out, char *err, size_t errlen)
{
    return bind_first(host, port, SOCK_DGRAM, 0, out, err, errlen);
}

int lm_net_udp_connect(const char *host, const char *port, lm_sock *out, char *peer, size_t peerlen,
                       char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL, *ai;
    SOCKET k = INVALID_SOCKET;
    int rc, saved = WSAECONNREFUSED;
    char os[160];

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        lm_format(err, errlen, LM_M_NET_RESOLVE, host, gai_text(rc, os, sizeof os));
        return LM_ERR_NO_HOST;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        k = new_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (k == INVALID_SOCKET) {
            saved = WSAGetLastError();
            continue;
        }
        if (connect(k, ai->ai_addr, (int)ai->ai_addrlen) == 0) {
            format_addr(ai->ai_addr, peer, peerlen);
            break;
        }
        saved = WSAGetLastError();
        closesocket(k);
        k = INVALID_SOCKET;
    }
    freeaddrinfo(res);
    if (k == INVALID_SOCKET) {
        lm_format(err, errlen, LM_M_NET_UNREACHABLE, host, port, lm_win_text(saved, os, sizeof os));
        return LM_ERR;
    }
    lm_net_set_nonblocking(LS(k), 1);
    *out = LS(k);
    return LM_OK;
}

long lm_net_recvfrom(lm_sock s, void *buf, size_t len, lm_addr *from, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    int n = recvfrom(SK(s), buf, clamp_len(len), 0, (struct sockaddr *)&ss, &sl);
    if (n == SOCKET_ERROR) {
        int e = WSAGetLastError();
        if (e == WSAEWOULDBLOCK)
            return LM_WANT_READ;
        if (e == WSAEMSGSIZE) {
            /* Cut to len; Windows does not say how long it was. */
            n = clamp_len(len) + 1;
        } else if (e == WSAECONNRESET || e == WSAENETRESET) {
            return LM_ERR_RESET;
        } else {
            set_err(err, errlen, LM_M_WIN_RECV, e);
            return LM_ERR;
        }
    }
    from->len = (unsigned)sl < sizeof from->bytes ? (unsigned)sl : (unsigned)sizeof from->bytes;
    memcpy(from->bytes, &ss, from->len);
    return n;
}

long lm_net_sendto(lm_sock s, const void *buf, size_t len, const lm_addr *to, char *err,
                   size_t errlen)
{
    int n = sendto(SK(s), buf, clamp_len(len), 0, (const struct sockaddr *)to->bytes, (int)to->len);
    if (n == SOCKET_ERROR) {
        int e = WSAGetLastError();
        if (e == WSAEWOULDBLOCK || e == WSAENOBUFS)
            return LM_WANT_WRITE;
        set_err(err, errlen, LM_M_WIN_SEND, e);
        return LM_ERR;
    }
    return n;
}

void lm_addr_format(const lm_addr *a, char *buf, size_t len)
{
    format_addr((const struct sockaddr *)a->bytes, buf, len);
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
        return LM_ERR_NO_HOST;
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
                      lm_win_text(saved, os, sizeof os));
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
        lm_format(err, errlen, LM_M_NET_UNREACHABLE, host, port, lm_win_text(e, os, sizeof os));
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
        lm_format(err, errlen, LM_M_NET_UNREACHABLE, "?", "?", lm_win_text(soerr, os, sizeof os));
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

/* The reader thread: copy until end of input, then close the pipe so the
 * reader side sees end-of-file. */
static DWORD WINAPI stdin_pump(LPVOID arg)
{
    int console = lm_win_is_console(g_in_real);
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
 * Addresses as text
 * ==================================================================== */

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
