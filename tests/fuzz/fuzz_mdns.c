/* Fuzz target: the mDNS packet parser, and the built-in responder and
 * browser handling one received packet (src/discovery/). The first input
 * byte picks how the packet arrives (from port 5353 or a legacy unicast
 * port, over IPv4 or IPv6); the rest is the datagram. The responder has
 * announced "fuzz" and browses "_lanmsg._tcp", so queries, probes,
 * responses and conflicts all reach real code. It sends nothing (no
 * sockets), but still builds every answer it would send. */
#include "../../src/discovery/mdns.h"
#include "../../src/discovery/mdns_wire.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lm_dns_msg msg;
    char err[256];
    if (size < 1)
        return 0;
    uint8_t how = data[0];
    data++, size--;

    (void)lm_dns_parse(data, size, &msg);

    lm_mdns *m = lm_mdns_new(1, err, sizeof err);
    if (!m)
        return 0;
    static const uint8_t txt[] = "\011txtvers=1\005tls=1";
    lm_mdns_config c = {"fuzz", "_lanmsg._tcp", "fuzzhost", 5000, txt, sizeof txt - 1};
    uint64_t now = 1000;
    if (lm_mdns_announce(m, &c, now, err, sizeof err) != 0) {
        lm_mdns_free(m);
        return 0;
    }
    /* Probe and announce: a bounded number of timer steps. */
    for (int i = 0; i < 20 && lm_mdns_state(m) != LM_MDNS_ANNOUNCED; i++) {
        uint64_t t = lm_mdns_next_deadline(m);
        now = t == UINT64_MAX ? now + 100 : t;
        lm_mdns_on_timer(m, now);
    }
    lm_mdns_browse(m, "_lanmsg._tcp", (how & 4) ? "fuzz" : NULL, now);
    uint8_t addr[16] = {192, 168, 7, 9};
    if (how & 2)
        memcpy(addr, "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x09", 16);
    lm_mdns_handle_packet(m, data, size, (how & 2) != 0, addr, (how & 1) ? 40000 : 5353, now);
    /* Whatever it left pending (delayed answers, probes after a conflict,
     * queries) runs too. */
    for (int i = 0; i < 10; i++) {
        uint64_t t = lm_mdns_next_deadline(m);
        if (t == UINT64_MAX)
            break;
        now = t > now ? t : now + 1;
        lm_mdns_on_timer(m, now);
    }
    lm_mdns_found found[4];
    (void)lm_mdns_results(m, found, 4);
    lm_mdns_stop(m);
    lm_mdns_free(m);
    return 0;
}
