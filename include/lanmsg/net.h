/* lanmsg platform layer, sockets: the part of it that the public transport
 * interface needs (lm_sock).
 *
 * One implementation per OS (src/platform/net_posix.c, net_win32.c) hides
 * int file descriptors versus Winsock SOCKETs and errno versus
 * WSAGetLastError. Callers hold an opaque lm_sock and read errors as text.
 * The rest of the platform layer is internal: src/platform/poller.h
 * (readiness) and src/platform/os.h (clocks, signals, files, threads).
 *
 * Every function that can fail takes a caller-owned buffer `err` of `errlen`
 * bytes and writes one human-readable line into it. */
#ifndef LANMSG_NET_H
#define LANMSG_NET_H

#include <stddef.h>
#include <stdint.h>

#include "lanmsg/error.h"

typedef uintptr_t lm_sock;
#define LM_SOCK_INVALID ((lm_sock) ~(uintptr_t)0)

/* Longest "host:port" text we produce, "[v6]:port" included. */
#define LM_ADDR_MAX 64

int lm_net_init(char *err, size_t errlen);
void lm_net_cleanup(void);

/* Resolve host (NULL or "" means every IPv4 address, "::" every IPv6 one)
 * and listen, non-blocking, with SO_REUSEADDR. Returns LM_OK or LM_ERR. */
int lm_net_listen(const char *host, const char *port, int backlog, lm_sock *out, char *err,
                  size_t errlen);

/* Accept one client, non-blocking. LM_OK, LM_WANT_READ when none is waiting,
 * LM_ERR_RESET for a client that left before accept (try again), or LM_ERR
 * (e.g. out of file descriptors). `peer` gets "addr:port". */
int lm_net_accept(lm_sock ls, lm_sock *out, char *peer, size_t peerlen, char *err, size_t errlen);

/* Resolve with getaddrinfo and connect to the first address that answers
 * (IPv4 or IPv6), waiting at most timeout_ms per address (<= 0: no limit).
 * The returned socket is blocking with TCP_NODELAY set. LM_OK, LM_ERR_NO_HOST
 * when the name does not resolve, or LM_ERR. */
int lm_net_connect(const char *host, const char *port, int timeout_ms, lm_sock *out, char *peer,
                   size_t peerlen, char *err, size_t errlen);

/* Start a non-blocking connect (for load generators). LM_OK when the connect
 * is under way or done; finish with lm_net_connect_result once writable. */
int lm_net_connect_start(const char *host, const char *port, lm_sock *out, char *err,
                         size_t errlen);
int lm_net_connect_result(lm_sock s, char *err, size_t errlen);

/* >0 bytes moved, 0 = orderly EOF (recv only), LM_WANT_READ/LM_WANT_WRITE,
 * LM_ERR_RESET when the peer reset the connection, LM_ERR otherwise.
 * Interrupted calls are retried inside. send never raises SIGPIPE. */
long lm_net_recv(lm_sock s, void *buf, size_t len, char *err, size_t errlen);
long lm_net_send(lm_sock s, const void *buf, size_t len, char *err, size_t errlen);
/* Look at pending bytes without consuming them. */
long lm_net_peek(lm_sock s, void *buf, size_t len, char *err, size_t errlen);

int lm_net_set_nonblocking(lm_sock s, int on);
void lm_net_set_nodelay(lm_sock s);
void lm_net_shutdown_write(lm_sock s);
void lm_net_close(lm_sock s);

/* Local address of a socket as "addr:port"; returns the port, or -1. */
int lm_net_local_addr(lm_sock s, char *buf, size_t len);

/* Block until s is readable (want_write = 0) or writable. 1 ready, 0 timed
 * out, LM_ERR on failure. timeout_ms < 0 waits forever. */
int lm_net_wait(lm_sock s, int want_write, int timeout_ms);

/* Like lm_net_wait, but also watches standard input (for the chat client).
 * Sets *sock_ready / *stdin_ready. 1 when either is ready, 0 on timeout. */
int lm_net_wait_with_stdin(lm_sock s, int want_write, int timeout_ms, int *sock_ready,
                           int *stdin_ready);

/* ---- datagrams (UDP) ---- */
/* A peer's address, opaque (a sockaddr), comparable byte for byte. */
typedef struct lm_addr {
    unsigned char bytes[128];
    unsigned len;
} lm_addr;
/* A non-blocking UDP socket bound to host:port (like lm_net_listen). */
int lm_net_udp_bind(const char *host, const char *port, lm_sock *out, char *err, size_t errlen);
/* A non-blocking UDP socket sending to, and receiving only from, host:port.
 * LM_OK, LM_ERR_NO_HOST when the name does not resolve, or LM_ERR. */
int lm_net_udp_connect(const char *host, const char *port, lm_sock *out, char *peer, size_t peerlen,
                       char *err, size_t errlen);
/* One datagram: returns its whole size (which may be more than len: the
 * rest was cut off), LM_WANT_READ when none is waiting, LM_ERR_RESET for an
 * error that concerns one peer (an ICMP unreachable), or LM_ERR. */
long lm_net_recvfrom(lm_sock s, void *buf, size_t len, lm_addr *from, char *err, size_t errlen);
/* One datagram to `to`: bytes sent, LM_WANT_WRITE when the socket's buffer
 * is full, or LM_ERR. */
long lm_net_sendto(lm_sock s, const void *buf, size_t len, const lm_addr *to, char *err,
                   size_t errlen);
/* "1.2.3.4:5000" or "[::1]:5000". */
void lm_addr_format(const lm_addr *a, char *buf, size_t len);

/* A numeric IPv4 or IPv6 address as bytes: returns 4 or 16, 0 if not one. */
int lm_ip_parse(const char *text, unsigned char ip[16]);
/* 4 or 16 address bytes as canonical text ("::1", not "::0001"). */
void lm_ip_format(const unsigned char *ip, size_t iplen, char *buf, size_t len);

#endif
