/* lanmsg-bench without TLS: the raw mbedTLS baselines do not exist, so each
 * reports "not measured" (NAN). lanmsg-bench then measures plain TCP only. */
#include "bench.h"

#include <math.h>

const char *bc_library(void)
{
    return lm_tls_library();
}

double bc_aead_mb_per_s(const char *which, double seconds)
{
    (void)which;
    (void)seconds;
    return NAN;
}

double bc_ecdhe_us(int x25519, double seconds)
{
    (void)x25519;
    (void)seconds;
    return NAN;
}

double bc_ecdsa_sign_us(double seconds)
{
    (void)seconds;
    return NAN;
}

double bc_ssl_context_bytes(int n)
{
    (void)n;
    return NAN;
}
