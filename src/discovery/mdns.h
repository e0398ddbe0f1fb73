/* lanmsg's own multicast DNS responder and browser (RFC 6762, DNS-SD RFC
 * 6763), for hosts with neither avahi-daemon nor an OS DNS-SD service.
 *
 * It owns no loop and no thread: the caller watches lm_mdns_socks() for
 * reading, calls lm_mdns_on_readable() when one is readable, and calls
 * lm_mdns_on_timer() once lm_mdns_next_deadline() has passed. Times are
 * monotonic milliseconds (lm_now_ms()). Every call does bounded work.
 *
 * One object can announce one service instance, browse one service type, or
 * both. Not thread-safe: it belongs to the loop that drives it. */
#ifndef LANMSG_MDNS_H
#define LANMSG_MDNS_H

#include <stddef.h>
#include <stdint.h>

#include "lanmsg/net.h"
#include "platform/os.h"

#define LM_MDNS_TXT_MAX   400 /* bytes of TXT data we announce or keep */
#define LM_MDNS_MAX_FOUND 32  /* instances a browser keeps */
#define LM_MDNS_MAX_ADDRS 4   /* addresses kept per found instance */

typedef struct lm_mdns lm_mdns;

typedef struct lm_mdns_config {
    const char *instance; /* one label, raw UTF-8, 1..63 bytes */
    const char *service;  /* "_lanmsg._tcp" */
    const char *host;     /* host label (".local" is added); NULL: this host's name */
    uint16_t port;
    const uint8_t *txt; /* TXT rdata (lm_dns_txt_build); NULL for an empty one */
    size_t txtlen;
} lm_mdns_config;

typedef struct lm_mdns_found {
    char instance[64]; /* raw label: escape before printing */
    char host[256];    /* dotted SRV target, e.g. "alice-laptop.local." */
    uint16_t port;
    int naddr;
    struct {
        int v6;
        uint8_t b[16];
    } addr[LM_MDNS_MAX_ADDRS];
    uint8_t txt[LM_MDNS_TXT_MAX];
    uint16_t txtlen;
} lm_mdns_found;

enum lm_mdns_state {
    LM_MDNS_IDLE,       /* not announcing */
    LM_MDNS_PROBING,    /* RFC 6762 §8.1: is the name free? */
    LM_MDNS_ANNOUNCING, /* §8.3 */
    LM_MDNS_ANNOUNCED,
    LM_MDNS_STOPPED, /* goodbyes sent */
};

/* Open the mDNS sockets: IPv4 is required, IPv6 is added where it works.
 * no_sockets = 1 makes an object that sends nothing (for the fuzz target).
 * NULL with one line in err on failure. */
lm_mdns *lm_mdns_new(int no_sockets, char *err, size_t errlen);
void lm_mdns_free(lm_mdns *m);

/* Start probing for the instance name, then announce it. -1 with err set
 * when the configuration cannot be announced (a name too long...). */
int lm_mdns_announce(lm_mdns *m, const lm_mdns_config *c, uint64_t now, char *err, size_t errlen);
/* Browse a service type ("_lanmsg._tcp"); with instance set, look up that
 * one instance only (its SRV/TXT directly, as well as the PTR query). */
int lm_mdns_browse(lm_mdns *m, const char *service, const char *instance, uint64_t now);

/* The sockets to watch for reading; returns how many (1 or 2). */
int lm_mdns_socks(const lm_mdns *m, lm_sock out[2]);
void lm_mdns_on_readable(lm_mdns *m, lm_sock s, uint64_t now);
/* Absolute time of the next timer, or UINT64_MAX when none is due. */
uint64_t lm_mdns_next_deadline(const lm_mdns *m);
void lm_mdns_on_timer(lm_mdns *m, uint64_t now);

/* Handle one received datagram as on_readable does (the fuzz target's way
 * in). from_port 5353 makes it a normal mDNS peer. */
void lm_mdns_handle_packet(lm_mdns *m, const uint8_t *pkt, size_t len, int v6,
                           const uint8_t addr[16], uint16_t from_port, uint64_t now);

/* Send goodbyes (TTL 0) for what was announced; stop probing/browsing. */
void lm_mdns_stop(lm_mdns *m);

int lm_mdns_state(const lm_mdns *m);
/* The instance name in use: the one given, or "name (2)"... after a conflict. */
const char *lm_mdns_instance(const lm_mdns *m);
/* The name to try after a conflict: "alice" -> "alice (2)", "alice (2)" ->
 * "alice (3)", kept within 63 bytes without splitting a UTF-8 character. */
void lm_mdns_next_name(char *name, size_t len);
/* Instances found so far that have an SRV record; returns the count. */
int lm_mdns_results(const lm_mdns *m, lm_mdns_found *out, int max);

#endif
