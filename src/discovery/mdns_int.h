/* Inside lanmsg's built-in mDNS responder and browser: the state they
 * share. mdns.c holds the responder and the loop's entry points,
 * mdns_browse.c the browser; nothing outside those two includes this. */
#ifndef LANMSG_MDNS_INT_H
#define LANMSG_MDNS_INT_H

#include "mdns.h"
#include "mdns_wire.h"
#include "../platform/mcast.h"

#define TTL_HOST       120  /* SRV, A, AAAA: §10 */
#define TTL_OTHER      4500 /* PTR, TXT */
#define MAX_ADDRS      8    /* per family, announced */
#define MAX_REC        (4 + 2 * MAX_ADDRS)
#define MAX_HOSTS      32   /* address records a browser keeps */
#define MAX_QUERIES    8    /* browse queries per lm_mdns_browse */
#define RX_MAX         9000 /* the largest mDNS message (§17) */
#define TX_MAX         1460 /* fits one Ethernet frame over IPv4 or IPv6 */
#define READS_PER_CALL 16

enum { R_PTR = 0, R_ENUM = 1, R_SRV = 2, R_TXT = 3, R_ADDR = 4 };

typedef struct found {
    lm_mdns_found pub;
    lm_dns_name name; /* instance.service.local */
    lm_dns_name host;
    int have_srv, have_txt;
    uint32_t ptr_ttl;
    uint64_t ptr_seen;
} found;

typedef struct hostaddr {
    lm_dns_name name;
    int v6;
    uint8_t a[16];
} hostaddr;

struct lm_mdns {
    lm_sock sock[2]; /* IPv4, IPv6 (LM_SOCK_INVALID when absent) */
    int no_sockets;
    uint32_t rng;

    /* ---- responder ---- */
    int state;
    int step; /* probes or announcements sent in this state */
    uint64_t next_step;
    char base[64], instance[64];
    int conflicts;
    uint64_t conflict_window;
    uint16_t port;
    uint8_t txt[LM_MDNS_TXT_MAX];
    size_t txtlen;
    lm_dns_name n_service, n_enum, n_instance, n_host;
    lm_dns_rr rec[MAX_REC];
    int nrec;
    uint64_t last_mcast[MAX_REC];
    uint32_t pending, pending_add; /* a delayed multicast answer (§6) */
    int pending_nsec_an, pending_nsec_ar;
    uint64_t pending_at;

    /* ---- browser ---- */
    int browsing;
    lm_dns_name b_service, b_instance; /* b_instance.len 0: every instance */
    int queries;
    uint64_t next_query, query_gap;
    found found[LM_MDNS_MAX_FOUND];
    int nfound;
    hostaddr hosts[MAX_HOSTS];
    int nhosts;

    lm_dns_msg msg;
    uint8_t rx[RX_MAX];
    uint8_t tx[TX_MAX];
};

/* Shared between the two files (the lm_mdns__ prefix: module-private). */
uint32_t lm_mdns__rnd(lm_mdns *m, uint32_t below);
void lm_mdns__send(lm_mdns *m, size_t len, const lm_mcast_peer *to);
void lm_mdns__gather(lm_mdns *m, const lm_dns_msg *r, uint64_t now);
void lm_mdns__send_query(lm_mdns *m, uint64_t now);

#endif
