/* Every difference between mbedTLS 2.28 and 3.6 lives in this header.
 * Only the TLS backend (src/transport/tls.c) and lanmsg-certgen include it. */
#ifndef LANMSG_MBEDTLS_COMPAT_H
#define LANMSG_MBEDTLS_COMPAT_H

#include <mbedtls/version.h>

#if MBEDTLS_VERSION_MAJOR >= 3
#define LM_MBEDTLS_3 1
#else
#define LM_MBEDTLS_3 0
#endif

/* ==== section: TLS backend ==== */

/* ==== section: certificate generation ==== */

#endif
