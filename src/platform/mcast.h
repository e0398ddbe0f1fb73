/* lanmsg platform layer, multicast part: the UDP sockets multicast DNS needs.
 *
 * One implementation per OS (mcast_posix.c, mcast_win32.c), beside the
 * platform's net_*.c, so the discovery code above it never sees a sockaddr.
 * Sockets are the same lm_sock handles as in lanmsg/net.h; close them with
 * lm_net_close. */
#ifndef LANMSG_PLATFORM_MCAST_H
#define LANMSG_PLATFORM_MCAST_H

#include <stddef.h>
#include <stdint.h>

#include "lanmsg/net.h"

#define LM_MDNS_PORT 5353

/* A datagram's source or destination: IPv4 (4 address bytes) or IPv6. */
typedef struct lm_mcast_peer {
    int v6;
    uint8_t addr[16];
    uint16_t port;
    uint32_t scope; /* IPv6 interface index (link-local addresses) */
} lm_mcast_peer;

/* Open a non-blocking UDP socket of one family for mDNS. port 5353 binds
 * the mDNS port with address (and, where it exists, port) reuse so that it
 * lives beside avahi-daemon or another responder, and joins 224.0.0.251 (or
 * ff02::fb) on every up, multicast-capable interface; port 0 binds an
 * ephemeral port and joins nothing (a one-shot querier, RFC 6762 §5.1).
 * Multicast TTL / hop limit 255, multicast loopback on (programs on the same
 * host see each other). LM_OK, or LM_ERR with one line in err. */
int lm_mcast_open(int v6, uint16_t port, lm_sock *out, char *err, size_t errlen);

/* Receive one datagram. Its length, LM_WANT_READ when none is waiting, or
 * LM_ERR. Datagrams longer than len are cut (and so fail to parse). */
long lm_mcast_recv(lm_sock s, void *buf, size_t len, lm_mcast_peer *from);

/* Send one datagram to `to`, or to the mDNS group when to is NULL: then it
 * goes out on every multicast interface (the same ones it joined). LM_OK
 * when it went out at least once, else LM_ERR. */
int lm_mcast_send(lm_sock s, const void *buf, size_t len, const lm_mcast_peer *to);

/* This host's addresses of one family on up interfaces, for A/AAAA records:
 * loopback addresses only when there is nothing else (a host or namespace
 * with no network), IPv6 link-local ones included. Returns the count. */
int lm_mcast_local_addrs(int v6, uint8_t (*out)[16], int max);

#endif
