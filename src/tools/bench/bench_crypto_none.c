/* lanmsg-bench without TLS: the raw mbedTLS baselines and the minimal
 * mbedTLS pair do not exist, so each reports "not measured" (NAN) or
 * fails. lanmsg-bench then measures plain TCP only. */
#include "bench.h"

#include <math.h>
#include <stdio.h>

const char *bc_library(void)
{
    return lm_tls_library();
}

double bc_aead_mb_per_s(const char *which, int open, double seconds)
{
    (void)which;
    (void)open;
    (void)seconds;
    return NAN;
}

void bc_cert_key(const char *path, char *out, size_t len)
{
    (void)path;
    if (len)
        out[0] = '\0';
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

bc_server *bc_server_start(const bc_pair_opts *o, char *err, size_t errlen)
{
    (void)o;
    snprintf(err, errlen, "%s", lm_tr(LM_M_BENCH_NO_TLS));
    return NULL;
}

const char *bc_server_port(const bc_server *s)
{
    (void)s;
    return "";
}

void bc_server_stats(bc_server *s, long *conns, double *cpu_s)
{
    (void)s;
    *conns = 0;
    *cpu_s = 0;
}

void bc_server_stop(bc_server *s)
{
    (void)s;
}

bc_client *bc_client_new(const bc_pair_opts *o, int version, const char *group, char *err,
                         size_t errlen)
{
    (void)o;
    (void)version;
    (void)group;
    snprintf(err, errlen, "%s", lm_tr(LM_M_BENCH_NO_TLS));
    return NULL;
}

int bc_client_connect(bc_client *c, const char *host, const char *port, int resume, int *resumed,
                      char *err, size_t errlen)
{
    (void)c;
    (void)host;
    (void)port;
    (void)resume;
    *resumed = 0;
    snprintf(err, errlen, "%s", lm_tr(LM_M_BENCH_NO_TLS));
    return LM_ERR;
}

void bc_client_free(bc_client *c)
{
    (void)c;
}
