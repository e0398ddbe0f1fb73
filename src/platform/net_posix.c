/* lanmsg platform layer for POSIX systems (Linux, the BSDs, macOS):
 * sockets.
 *
 * The only file that knows sockets are ints and errors live in errno. The
 * Winsock twin (net_win32.c) implements the same lanmsg/net.h. Every system
 * call that can be interrupted is retried here, in one idiom, so no caller
 * ever sees EINTR. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define _GNU_SOURCE /* accept4 */

#include "lanmsg/net.h"
#include "util/text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FD(s)    ((int)(s))
#define SOCK(fd) ((lm_sock)(unsigned)(fd))

/* ======================================================================
 * Errors and addresses
 * ==================================================================== */

static void set_err(char *err, size_t errlen, const char *what, int code)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", what, strerror(code));
}

/* "1.2.3.4:80" or "[::1]:80"; IPv4-mapped IPv6 shown as plain IPv4 so logs
 * read the same whichever socket family accepted the client. */
static void format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(buf, len, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        port = ntohs(in6->sin6_port);
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

/* ======================================================================
 * Set-up
 * ==================================================================== */

int lm_net_init(char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    return LM_OK;
}

void lm_net_cleanup(void)
{
}

int lm_net_set_nonblocking(lm_sock s, int on)
{
    int flags = fcntl(FD(s), F_GETFL, 0);
    if (flags < 0)
        return LM_ERR;
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return fcntl(FD(s), F_SETFL, flags) < 0 ? LM_ERR : LM_OK;
}

void lm_net_set_nodelay(lm_sock s)
{
    int one = 1;
    setsockopt(FD(s), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int new_socket(int family, int type, int proto)
{
#ifdef SOCK_CLOEXEC
    return socket(family, type | SOCK_CLOEXEC, proto);
#else
    int fd = socket(family, type, proto);
    if (fd >= 0)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
#endif
}

/* ======================================================================
 * Listening and accepting
 * ==================================================================== */

/* Resolve host:port and bind the first address that takes it: a listening
 * TCP socket (SOCK_STREAM, with backlog) or a UDP one (SOCK_DGRAM). Errors
 * say what to do about a port in use, a privileged port or a foreign
 * address. */
static int bind_first(const char *host, const char *port, int type, int backlog, lm_sock *out,
                      char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc, fd = -1, saved = 0;
    char what[160];

    if (!host || !*host)
        host = "0.0.0.0";
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = type;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        lm_format(err, errlen, LM_M_NET_LISTEN_RESOLVE, host, port, gai_strerror(rc));
        return LM_ERR;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        int one = 1;
        fd = new_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (type == SOCK_STREAM)
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6) {
            /* "::" serves IPv4 clients too, as people expect on a LAN. */
            int zero = 0;
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        }
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            (type != SOCK_STREAM || listen(fd, backlog) == 0))
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (saved == EADDRINUSE)
            lm_format(err, errlen, LM_M_NET_LISTEN_IN_USE, host, port);
        else if (saved == EACCES)
            lm_format(err, errlen, LM_M_NET_LISTEN_DENIED, host, port);
        else if (saved == EADDRNOTAVAIL)
            lm_format(err, errlen, LM_M_NET_LISTEN_NO_ADDR, host, port);
        else {
            lm_format(what, sizeof what, LM_M_NET_CANNOT_LISTEN, host, port);
            set_err(err, errlen, what, saved);
        }
        return LM_ERR;
    }
    lm_net_set_nonblocking(SOCK(fd), 1);
    *out = SOCK(fd);
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

/* A UDP socket whose one peer is host:port (connect() on a datagram
 * socket only sets the destination, and filters what it receives). */
int lm_net_udp_connect(const char *host, const char *port, lm_sock *out, char *peer, size_t peerlen,
                       char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc, fd = -1, saved = ECONNREFUSED;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        lm_format(err, errlen, LM_M_NET_RESOLVE, host, gai_strerror(rc));
        return LM_ERR_NO_HOST;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = new_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            format_addr(ai->ai_addr, peer, peerlen);
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        set_err(err, errlen, lm_tr(LM_M_NET_CONNECT_FAILED), saved);
        return LM_ERR;
    }
    lm_net_set_nonblocking(SOCK(fd), 1);
    *out = SOCK(fd);
    return LM_OK;
}

long lm_net_recvfrom(lm_sock s, void *buf, size_t len, lm_addr *from, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    ssize_t n;
    do {
        sl = sizeof ss;
        n = recvfrom(FD(s), buf, len, MSG_TRUNC, (struct sockaddr *)&ss, &sl);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return LM_WANT_READ;
        /* A datagram socket reports an earlier send's ICMP error here;
         * it concerns one peer, never the socket: try the next. */
        if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH)
            return LM_ERR_RESET;
        set_err(err, errlen, lm_tr(LM_M_NET_RECV_FAILED), errno);
        return LM_ERR;
    }
    from->len = sl < sizeof from->bytes ? (unsigned)sl : (unsigned)sizeof from->bytes;
    memcpy(from->bytes, &ss, from->len);
    return (long)n; /* with MSG_TRUNC: the datagram's whole size, even past len */
}

long lm_net_sendto(lm_sock s, const void *buf, size_t len, const lm_addr *to, char *err,
                   size_t errlen)
{
    ssize_t n;
    do
        n = sendto(FD(s), buf, len, 0, (const struct sockaddr *)to->bytes, (socklen_t)to->len);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
            return LM_WANT_WRITE;
        set_err(err, errlen, lm_tr(LM_M_NET_SEND_FAILED), errno);
        return LM_ERR;
    }
    return (long)n;
}

void lm_addr_format(const lm_addr *a, char *buf, size_t len)
{
    format_addr((const struct sockaddr *)a->bytes, buf, len);
}

int lm_net_accept(lm_sock ls, lm_sock *out, char *peer, size_t peerlen, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd;

    for (;;) {
        sl = sizeof ss;
#if defined(__linux__)
        fd = accept4(FD(ls), (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
        fd = accept(FD(ls), (struct sockaddr *)&ss, &sl);
#endif
        if (fd >= 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return LM_WANT_READ;
        if (errno == ECONNABORTED || errno == EPROTO)
            return LM_ERR_RESET;
        set_err(err, errlen, lm_tr(LM_M_NET_CANNOT_ACCEPT), errno);
        return LM_ERR;
    }
#if !defined(__linux__)
    lm_net_set_nonblocking(SOCK(fd), 1);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
    lm_net_set_nodelay(SOCK(fd));
    format_addr((struct sockaddr *)&ss, peer, peerlen);
    *out = SOCK(fd);
    return LM_OK;
}

/* ======================================================================
 * Connecting
 * ==================================================================== */

/* Wait for a non-blocking connect to finish; returns 0 or an errno value. */
static int finish_connect(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int rc, soerr = 0;
    socklen_t sl = sizeof soerr;

    do
        rc = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
    while (rc < 0 && errno == EINTR);
    if (rc == 0)
        return ETIMEDOUT;
    if (rc < 0)
        return errno;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        return errno;
    return soerr;
}

int lm_net_connect(const char *host, const char *port, int timeout_ms, lm_sock *out, char *peer,
                   size_t peerlen, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc, fd = -1, saved = ECONNREFUSED;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc == EAI_NONAME || rc == EAI_FAIL || rc == EAI_AGAIN
#ifdef EAI_NODATA
        || rc == EAI_NODATA
#endif
    ) {
        /* AI_ADDRCONFIG hides ::1 on hosts without a global IPv6 address. */
        hints.ai_flags = 0;
        if (res)
            freeaddrinfo(res);
        res = NULL;
        rc = getaddrinfo(host, port, &hints, &res);
    }
    if (rc != 0) {
        lm_format(err, errlen, LM_M_NET_RESOLVE, host, gai_strerror(rc));
        return LM_ERR_NO_HOST;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = new_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
        rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        saved = rc == 0 ? 0 : errno;
        if (rc < 0 && (errno == EINPROGRESS || errno == EINTR))
            saved = finish_connect(fd, timeout_ms);
        if (saved == 0) {
            format_addr(ai->ai_addr, peer, peerlen);
            break;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (saved == ECONNREFUSED)
            lm_format(err, errlen, LM_M_NET_REFUSED, host, port);
        else if (saved == ETIMEDOUT)
            lm_format(err, errlen, LM_M_NET_TIMED_OUT, host, port);
        else if (saved == ENETUNREACH || saved == EHOSTUNREACH)
            lm_format(err, errlen, LM_M_NET_UNREACHABLE, host, port, strerror(saved));
        else {
            char what[160];
            lm_format(what, sizeof what, LM_M_NET_CANNOT_CONNECT, host, port);
            set_err(err, errlen, what, saved);
        }
        return LM_ERR;
    }
    lm_net_set_nonblocking(SOCK(fd), 0);
    lm_net_set_nodelay(SOCK(fd));
    *out = SOCK(fd);
    return LM_OK;
}

int lm_net_connect_start(const char *host, const char *port, lm_sock *out, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    int rc, fd;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        lm_format(err, errlen, LM_M_NET_RESOLVE, host, gai_strerror(rc));
        return LM_ERR;
    }
    fd = new_socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd < 0) {
        set_err(err, errlen, lm_tr(LM_M_NET_CANNOT_SOCKET), errno);
        freeaddrinfo(res);
        return LM_ERR;
    }
    lm_net_set_nonblocking(SOCK(fd), 1);
    lm_net_set_nodelay(SOCK(fd));
    rc = connect(fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc < 0 && errno != EINPROGRESS && errno != EINTR) {
        set_err(err, errlen, lm_tr(LM_M_NET_CONNECT_FAILED), errno);
        close(fd);
        return LM_ERR;
    }
    *out = SOCK(fd);
    return LM_OK;
}

int lm_net_connect_result(lm_sock s, char *err, size_t errlen)
{
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(FD(s), SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        soerr = errno;
    if (soerr) {
        set_err(err, errlen, lm_tr(LM_M_NET_CONNECT_FAILED), soerr);
        return LM_ERR;
    }
    return LM_OK;
}

/* ======================================================================
 * Moving bytes
 * ==================================================================== */

static long io_result(ssize_t n, int want, char *err, size_t errlen, const char *what)
{
    if (n >= 0)
        return (long)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return want;
    if (errno == ECONNRESET || errno == EPIPE || errno == ETIMEDOUT || errno == ENOTCONN ||
        errno == ECONNREFUSED /* a connected UDP socket: port unreachable */) {
        set_err(err, errlen, what, errno);
        return LM_ERR_RESET;
    }
    set_err(err, errlen, what, errno);
    return LM_ERR;
}

long lm_net_recv(lm_sock s, void *buf, size_t len, char *err, size_t errlen)
{
    ssize_t n;
    do
        n = recv(FD(s), buf, len, 0);
    while (n < 0 && errno == EINTR);
    return io_result(n, LM_WANT_READ, err, errlen, lm_tr(LM_M_NET_RECV_FAILED));
}

long lm_net_peek(lm_sock s, void *buf, size_t len, char *err, size_t errlen)
{
    ssize_t n;
    do
        n = recv(FD(s), buf, len, MSG_PEEK);
    while (n < 0 && errno == EINTR);
    return io_result(n, LM_WANT_READ, err, errlen, lm_tr(LM_M_NET_RECV_FAILED));
}

long lm_net_send(lm_sock s, const void *buf, size_t len, char *err, size_t errlen)
{
    ssize_t n;
#ifdef MSG_NOSIGNAL
    const int flags = MSG_NOSIGNAL;
#else
    const int flags = 0; /* SIGPIPE is ignored by lm_signals_install */
#endif
    do
        n = send(FD(s), buf, len, flags);
    while (n < 0 && errno == EINTR);
    return io_result(n, LM_WANT_WRITE, err, errlen, lm_tr(LM_M_NET_SEND_FAILED));
}

void lm_net_shutdown_write(lm_sock s)
{
    shutdown(FD(s), SHUT_WR);
}

void lm_net_close(lm_sock s)
{
    if (s != LM_SOCK_INVALID)
        close(FD(s));
}

int lm_net_local_addr(lm_sock s, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(FD(s), (struct sockaddr *)&ss, &sl) < 0)
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
    struct pollfd p = {.fd = FD(s), .events = want_write ? POLLOUT : POLLIN};
    int rc;
    do
        rc = poll(&p, 1, timeout_ms);
    while (rc < 0 && errno == EINTR);
    if (rc < 0)
        return LM_ERR;
    return rc > 0;
}

int lm_net_wait_with_stdin(lm_sock s, int want_write, int timeout_ms, int *sock_ready,
                           int *stdin_ready)
{
    struct pollfd p[2] = {{.fd = FD(s), .events = want_write ? POLLOUT : POLLIN},
                          {.fd = STDIN_FILENO, .events = POLLIN}};
    int rc = poll(p, 2, timeout_ms);
    *sock_ready = *stdin_ready = 0;
    if (rc < 0)
        return errno == EINTR ? 0 : LM_ERR;
    *sock_ready = p[0].revents != 0;
    *stdin_ready = p[1].revents != 0;
    return rc > 0;
}

int lm_ip_parse(const char *text, unsigned char ip[16])
{
    if (inet_pton(AF_INET, text, ip) == 1)
        return 4;
    if (inet_pton(AF_INET6, text, ip) == 1)
        return 16;
    return 0;
}

void lm_ip_format(const unsigned char *ip, size_t iplen, char *buf, size_t len)
{
    if (!inet_ntop(iplen == 4 ? AF_INET : AF_INET6, ip, buf, (socklen_t)len) && len)
        buf[0] = '\0';
}
