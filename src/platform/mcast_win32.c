/* lanmsg platform layer, multicast part, for Windows (Winsock 2.2): see
 * mcast.h.
 *
 * Only the fallback uses this: Windows 10 1809 and later announce and
 * browse through the system's own DNS-SD service (src/discovery/
 * mdns_win32.c). So it is kept simple: the group is joined and sent to on
 * the default multicast interface only, and this host's addresses come
 * from resolving its own name. */
#if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0600
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
#define WIN32_LEAN_AND_MEAN

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "mcast.h"
#include "util/text.h"

#define SK(s) ((SOCKET)(s))

static const uint8_t GROUP4[4] = {224, 0, 0, 251};
static const uint8_t GROUP6[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb};

static const char *wsa_text(int code, char *buf, size_t len)
{
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                             (DWORD)code, 0, buf, (DWORD)len, NULL);
    while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == '\n' || buf[n - 1] == '.'))
        buf[--n] = '\0';
    if (n == 0)
        snprintf(buf, len, "Winsock error %d", code);
    return buf;
}

int lm_mcast_open(int v6, uint16_t port, lm_sock *out, char *err, size_t errlen)
{
    char why[200];
    const char *fam = v6 ? "IPv6" : "IPv4";
    SOCKET s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (s == INVALID_SOCKET) {
        lm_format(err, errlen, LM_M_MCAST_SOCKET, fam,
                  wsa_text(WSAGetLastError(), why, sizeof why));
        return LM_ERR;
    }
    /* Here SO_REUSEADDR is what lets several responders share 5353. */
    BOOL one = TRUE;
    DWORD ttl = 255;
    u_long nb = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (const char *)&one, sizeof one);
    int rc;
    if (v6) {
        struct sockaddr_in6 sa;
        memset(&sa, 0, sizeof sa);
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(port);
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&one, sizeof one);
        setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, (const char *)&ttl, sizeof ttl);
        setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, (const char *)&one, sizeof one);
        rc = bind(s, (struct sockaddr *)&sa, sizeof sa);
    } else {
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, (const char *)&ttl, sizeof ttl);
        setsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, (const char *)&one, sizeof one);
        rc = bind(s, (struct sockaddr *)&sa, sizeof sa);
    }
    if (rc != 0) {
        lm_format(err, errlen, LM_M_MCAST_BIND, fam, (unsigned)port,
                  wsa_text(WSAGetLastError(), why, sizeof why));
        closesocket(s);
        return LM_ERR;
    }
    if (port != 0) {
        if (v6) {
            struct ipv6_mreq m;
            memset(&m, 0, sizeof m);
            memcpy(&m.ipv6mr_multiaddr, GROUP6, 16);
            rc = setsockopt(s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, (const char *)&m, sizeof m);
        } else {
            struct ip_mreq m;
            memcpy(&m.imr_multiaddr, GROUP4, 4);
            m.imr_interface.s_addr = htonl(INADDR_ANY);
            rc = setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, (const char *)&m, sizeof m);
        }
        if (rc != 0) {
            lm_format(err, errlen, LM_M_MCAST_JOIN, fam,
                      wsa_text(WSAGetLastError(), why, sizeof why));
            closesocket(s);
            return LM_ERR;
        }
    }
    ioctlsocket(s, FIONBIO, &nb);
    *out = (lm_sock)s;
    return LM_OK;
}

long lm_mcast_recv(lm_sock s, void *buf, size_t len, lm_mcast_peer *from)
{
    struct sockaddr_storage ss;
    for (int tries = 0; tries < 16; tries++) {
        int sl = sizeof ss;
        int n = recvfrom(SK(s), buf, (int)len, 0, (struct sockaddr *)&ss, &sl);
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
            return n;
        }
        int e = WSAGetLastError();
        /* A UDP socket reports an earlier send's ICMP "port unreachable"
         * as a reset on the next receive, and a datagram too long for the
         * buffer as WSAEMSGSIZE: neither is a reason to stop reading. */
        if (e == WSAECONNRESET || e == WSAEMSGSIZE)
            continue;
        if (e == WSAEWOULDBLOCK)
            return LM_WANT_READ;
        return LM_ERR;
    }
    return LM_WANT_READ;
}

int lm_mcast_send(lm_sock s, const void *buf, size_t len, const lm_mcast_peer *to)
{
    struct sockaddr_storage ss;
    int sl;
    lm_mcast_peer group;
    if (!to) {
        int gl = sizeof ss;
        if (getsockname(SK(s), (struct sockaddr *)&ss, &gl) != 0)
            return LM_ERR;
        memset(&group, 0, sizeof group);
        group.v6 = ss.ss_family == AF_INET6;
        group.port = LM_MDNS_PORT;
        memcpy(group.addr, group.v6 ? GROUP6 : GROUP4, group.v6 ? 16 : 4);
        to = &group;
    }
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
    int n = sendto(SK(s), buf, (int)len, 0, (struct sockaddr *)&ss, sl);
    return n == (int)len ? LM_OK : LM_ERR;
}

int lm_mcast_local_addrs(int v6, uint8_t (*out)[16], int max)
{
    char host[256];
    struct addrinfo hints, *res = NULL;
    int n = 0;
    if (gethostname(host, sizeof host) != 0)
        return 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = v6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return 0;
    for (struct addrinfo *ai = res; ai && n < max; ai = ai->ai_next) {
        uint8_t a[16] = {0};
        if (v6)
            memcpy(a, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
        else
            memcpy(a, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
        int dup = 0;
        for (int k = 0; k < n; k++)
            dup |= memcmp(out[k], a, 16) == 0;
        if (!dup)
            memcpy(out[n++], a, 16);
    }
    freeaddrinfo(res);
    return n;
}
