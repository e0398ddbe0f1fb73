/* lanmsg platform layer, multicast part, for POSIX systems: see mcast.h.
 *
 * Interfaces come from getifaddrs. The socket joins the mDNS group on each
 * up, multicast-capable interface, and a datagram for the group is sent
 * once per such interface (IP_MULTICAST_IF / IPV6_MULTICAST_IF), because
 * mDNS is link-local: a packet sent through the default route alone would
 * reach only one of the host's networks. Interfaces that appear later are
 * not joined; the responder re-reads them only for its address records. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define _GNU_SOURCE

#include "mcast.h"
#include "util/text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FD(s)    ((int)(s))
#define SOCK(fd) ((lm_sock)(unsigned)(fd))

static const uint8_t GROUP4[4] = {224, 0, 0, 251};
static const uint8_t GROUP6[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb};

/* Interfaces that can carry mDNS: up, multicast, and with an address of the
 * family. For IPv4 the key is the address, for IPv6 the interface index. */
typedef struct iface {
    struct in_addr a4;
    unsigned index;
} iface;

static int list_ifaces(int v6, iface *out, int max)
{
    struct ifaddrs *ifa = NULL;
    int n = 0;
    if (getifaddrs(&ifa) != 0)
        return 0;
    for (struct ifaddrs *i = ifa; i && n < max; i = i->ifa_next) {
        if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || !(i->ifa_flags & IFF_MULTICAST))
            continue;
        if (i->ifa_addr->sa_family != (v6 ? AF_INET6 : AF_INET))
            continue;
        iface f = {.index = if_nametoindex(i->ifa_name)};
        if (!v6)
            f.a4 = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
        int dup = 0;
        for (int k = 0; k < n; k++)
            dup |= v6 ? out[k].index == f.index : out[k].a4.s_addr == f.a4.s_addr;
        if (!dup)
            out[n++] = f;
    }
    freeifaddrs(ifa);
    return n;
}

static int join(int fd, int v6, const iface *f)
{
    if (v6) {
        struct ipv6_mreq m;
        memcpy(&m.ipv6mr_multiaddr, GROUP6, 16);
        m.ipv6mr_interface = f ? f->index : 0;
        return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m);
    }
    struct ip_mreq m;
    memcpy(&m.imr_multiaddr, GROUP4, 4);
    m.imr_interface.s_addr = f ? f->a4.s_addr : htonl(INADDR_ANY);
    return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m);
}

int lm_mcast_open(int v6, uint16_t port, lm_sock *out, char *err, size_t errlen)
{
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1, ttl = 255;
    const char *fam = v6 ? "IPv6" : "IPv4";
    if (fd < 0) {
        lm_format(err, errlen, LM_M_MCAST_SOCKET, fam, strerror(errno));
        return LM_ERR;
    }
    /* Share 5353 with avahi-daemon, mDNSResponder or another lanmsg: every
     * one of them gets each multicast datagram. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#ifdef SO_REUSEPORT
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
#endif
    int rc;
    if (v6) {
        struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl);
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one, sizeof one);
        rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    } else {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
        unsigned char t = 255, loop = 1;
        /* Linux takes an int here, the BSDs a u_char: try both. */
        if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0)
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &t, sizeof t);
        if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof one) != 0)
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
        rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    }
    if (rc != 0) {
        lm_format(err, errlen, LM_M_MCAST_BIND, fam, (unsigned)port, strerror(errno));
        close(fd);
        return LM_ERR;
    }
    if (port != 0) {
        iface ifs[32];
        int n = list_ifaces(v6, ifs, 32), joined = 0, saved = ENODEV;
        for (int i = 0; i < n; i++) {
            if (join(fd, v6, &ifs[i]) == 0 || errno == EADDRINUSE)
                joined++;
            else
                saved = errno;
        }
        /* No interface said it does multicast: let the routing table pick. */
        if (!joined && join(fd, v6, NULL) != 0) {
            lm_format(err, errlen, LM_M_MCAST_JOIN, fam, strerror(n ? saved : errno));
            close(fd);
            return LM_ERR;
        }
    }
    *out = SOCK(fd);
    return LM_OK;
}

long lm_mcast_recv(lm_sock s, void *buf, size_t len, lm_mcast_peer *from)
{
    struct sockaddr_storage ss;
    for (;;) {
        socklen_t sl = sizeof ss;
        ssize_t n = recvfrom(FD(s), buf, len, 0, (struct sockaddr *)&ss, &sl);
        if (n >= 0) {
            memset(from, 0, sizeof *from);
            if (ss.ss_family == AF_INET6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
                from->v6 = 1;
                memcpy(from->addr, &a->sin6_addr, 16);
                from->port = ntohs(a->sin6_port);
                from->scope = a->sin6_scope_id;
            } else {
                struct sockaddr_in *a = (struct sockaddr_in *)&ss;
                memcpy(from->addr, &a->sin_addr, 4);
                from->port = ntohs(a->sin_port);
            }
            return (long)n;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return LM_WANT_READ;
        return LM_ERR;
    }
}

static int send_to(int fd, const void *buf, size_t len, const lm_mcast_peer *to)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (to->v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        memcpy(&a->sin6_addr, to->addr, 16);
        a->sin6_port = htons(to->port);
        a->sin6_scope_id = to->scope;
        sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        memcpy(&a->sin_addr, to->addr, 4);
        a->sin_port = htons(to->port);
        sl = sizeof *a;
    }
    ssize_t n;
    do
        n = sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)len ? 0 : -1;
}

int lm_mcast_send(lm_sock s, const void *buf, size_t len, const lm_mcast_peer *to)
{
    if (to)
        return send_to(FD(s), buf, len, to) == 0 ? LM_OK : LM_ERR;

    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(FD(s), (struct sockaddr *)&ss, &sl) != 0)
        return LM_ERR;
    int v6 = ss.ss_family == AF_INET6, sent = 0;
    lm_mcast_peer group = {.v6 = v6, .port = LM_MDNS_PORT};
    memcpy(group.addr, v6 ? GROUP6 : GROUP4, v6 ? 16 : 4);
    iface ifs[32];
    int n = list_ifaces(v6, ifs, 32);
    for (int i = 0; i < n; i++) {
        int rc = v6 ? setsockopt(FD(s), IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifs[i].index,
                                 sizeof ifs[i].index)
                    : setsockopt(FD(s), IPPROTO_IP, IP_MULTICAST_IF, &ifs[i].a4, sizeof ifs[i].a4);
        if (rc == 0)
            sent += send_to(FD(s), buf, len, &group) == 0;
    }
    if (n == 0)
        sent += send_to(FD(s), buf, len, &group) == 0;
    return sent ? LM_OK : LM_ERR;
}

int lm_mcast_local_addrs(int v6, uint8_t (*out)[16], int max)
{
    struct ifaddrs *ifa = NULL;
    int n = 0, pass;
    if (getifaddrs(&ifa) != 0)
        return 0;
    /* Pass 0 skips loopback; pass 1, only reached when pass 0 found
     * nothing, takes it (a namespace with only lo, as in the tests). */
    for (pass = 0; pass < 2 && n == 0; pass++) {
        for (struct ifaddrs *i = ifa; i && n < max; i = i->ifa_next) {
            if (!i->ifa_addr || !(i->ifa_flags & IFF_UP))
                continue;
            if (((i->ifa_flags & IFF_LOOPBACK) != 0) != (pass == 1))
                continue;
            if (i->ifa_addr->sa_family != (v6 ? AF_INET6 : AF_INET))
                continue;
            uint8_t a[16] = {0};
            if (v6)
                memcpy(a, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
            else
                memcpy(a, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
            int dup = 0;
            for (int k = 0; k < n; k++)
                dup |= memcmp(out[k], a, 16) == 0;
            if (!dup)
                memcpy(out[n++], a, 16);
        }
    }
    freeifaddrs(ifa);
    return n;
}
