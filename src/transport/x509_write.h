/* lanmsg certificate writing, shared by lanmsg-certgen and the server's own
 * identity and client enrolment (tls_identity.c): one encoder for the
 * extensions mbedTLS 2.28 has no setter for (subjectAltName,
 * extendedKeyUsage), and one shape of certificate, whichever library and
 * whichever program made it.
 *
 * Internal to the TLS side (it names mbedTLS types): included by
 * src/transport/ and src/app/certgen/ only. */
#ifndef LANMSG_TRANSPORT_X509_WRITE_H
#define LANMSG_TRANSPORT_X509_WRITE_H

#include <stddef.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#define LM_X509_TIME_LEN   15 /* "YYYYMMDDhhmmss" and its NUL */
#define LM_X509_SERIAL_LEN 16 /* 128 random bits, positive */
#define LM_X509_NAME_MAX   254

/* One subjectAltName entry: a DNS name or a raw IPv4/IPv6 address. */
typedef struct lm_x509_san {
    int is_ip;
    unsigned char ip[16];
    size_t ip_len; /* 4 or 16 */
    char text[LM_X509_NAME_MAX];
} lm_x509_san;

typedef enum lm_x509_role { LM_X509_CA, LM_X509_SERVER, LM_X509_CLIENT } lm_x509_role;

/* What one certificate says. A CA gets basicConstraints CA:TRUE with path
 * length 0 and keyCertSign; a leaf gets digitalSignature and exactly one
 * extendedKeyUsage (serverAuth or clientAuth: a client certificate must not
 * serve as a server's). */
typedef struct lm_x509_spec {
    lm_x509_role role;
    const char *subject; /* "CN=alice" */
    const char *issuer;  /* the issuer's DN as text; NULL: self-signed */
    const lm_x509_san *sans;
    size_t nsans;
    const char *not_before, *not_after; /* YYYYMMDDhhmmss, UTC */
    const unsigned char *serial;        /* big-endian, positive */
    size_t serial_len;
} lm_x509_spec;

/* Build, sign (SHA-256) and PEM-encode a certificate for subject_key,
 * signed by issuer_key (the same key when self-signed). 0, or an mbedTLS
 * error code with *step naming the part that failed (for the message). */
int lm_x509_write_crt(const lm_x509_spec *s, mbedtls_pk_context *subject_key,
                      mbedtls_pk_context *issuer_key, int (*f_rng)(void *, unsigned char *, size_t),
                      void *p_rng, unsigned char *pem, size_t pem_len, const char **step);

/* A certificate's subject DN as text that mbedtls_x509write takes back as
 * an issuer name. 0, or -1. */
int lm_x509_subject_text(const mbedtls_x509_crt *crt, char *out, size_t len);

/* A fresh serial: LM_X509_SERIAL_LEN random bytes, top bit clear (DER
 * integers are signed), first byte non-zero (DER integers are minimal).
 * 0, or the RNG's error. */
int lm_x509_serial(int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
                   unsigned char out[LM_X509_SERIAL_LEN]);

#endif
