/* Fuzz target: certificate and key parsing, through lm_tls_config_new on
 * files holding the fuzzer's bytes (PEM or DER, whatever comes).
 *
 * Byte 0 picks which file is fuzzed, the others being real ones from
 * lanmsg-certgen: the server certificate, the server key, the CA file of a
 * client, or a client's own certificate. A failure must leave one line of
 * text in err and a configuration code; success must be freeable. */
#define _XOPEN_SOURCE 700 /* a POSIX test harness: sockets, mkdtemp, readlink */

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_certs.h"
#include "lanmsg/error.h"
#include "lanmsg/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lm_tls_options o;
    char err[512];
    int code = 0;

    if (size < 1)
        return 0;
    memset(&o, 0, sizeof o);
    const char *fuzzed = fz_write("fuzzed", data + 1, size - 1);
    switch (data[0] % 4) {
    case 0: /* server certificate */
        o.is_server = 1;
        o.cert_file = fuzzed;
        o.key_file = fz_cert("server.key");
        break;
    case 1: /* server key */
        o.is_server = 1;
        o.cert_file = fz_cert("server.crt");
        o.key_file = fuzzed;
        o.ca_file = fz_cert("ca.crt");
        break;
    case 2: /* a client's trust anchor */
        o.ca_file = fuzzed;
        break;
    default: /* a client's own certificate for mutual TLS */
        o.ca_file = fz_cert("ca.crt");
        o.cert_file = fuzzed;
        o.key_file = fz_cert("alice.key");
        break;
    }
    err[0] = '\0';
    lm_tls_config *cfg = lm_tls_config_new(&o, err, sizeof err, &code);
    if (cfg) {
        lm_tls_config_free(cfg);
    } else {
        /* One line, terminated, with a code the programs can map. */
        if (!memchr(err, '\0', sizeof err) || !err[0] || strchr(err, '\n'))
            abort();
        if (code != LM_ERR_CONFIG && code != LM_ERR)
            abort();
    }
    return 0;
}
