/* lanmsg-bench: the random generator of its raw mbedTLS baselines
 * (bench_crypto.c, bench_tlspair.c). Seen only by those two files. */
#ifndef LANMSG_BENCH_RNG_H
#define LANMSG_BENCH_RNG_H

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

typedef struct bc_rng {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
} bc_rng;

/* Seeded from the system's entropy (PSA started too on 3.x, which an SSL
 * context needs); 0 or an mbedTLS error. bc_rng_free in either case. */
int bc_rng_init(bc_rng *r);
void bc_rng_free(bc_rng *r);

#endif
