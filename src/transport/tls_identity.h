/* lanmsg identity: the keys and certificates lanmsg makes for itself.
 *
 *  - The server's identity: an ECDSA P-256 key (server.key, 0600, created
 *    exclusively, never replaced) and a self-signed certificate for it
 *    (server.crt: serverAuth, SANs for the host name, localhost, 127.0.0.1
 *    and ::1). The key is the identity: a certificate that is missing, does
 *    not match or nears its end is made again from the same key, so the
 *    fingerprint people compared stays valid.
 *  - The server's issuing key for enrolled clients (issuer.key, 0600, and a
 *    self-signed CA certificate issuer.crt), made on first use the same way.
 *  - A client's request: a new key that never leaves the machine, and a
 *    certificate request (CSR, DER) for CN=name.
 *  - The server signing such a request into a client certificate
 *    (clientAuth, CN=name, a random 128-bit serial), after checking the
 *    request is signed by its own key.
 *  - Fingerprints (SHA-256 of the SubjectPublicKeyInfo) of certificates.
 *
 * No mbedTLS type in this header: the pairing protocol and the programs
 * call it. Errors are one line in err. Everything that writes a private
 * key writes it 0600. Not available in a build without TLS (tls_none). */
#ifndef LANMSG_TRANSPORT_TLS_IDENTITY_H
#define LANMSG_TRANSPORT_TLS_IDENTITY_H

#include <stddef.h>

#define LM_ID_FP_LEN     32
#define LM_ID_SERIAL_HEX 41 /* hex digits and NUL */

/* File names inside a state folder. */
#define LM_ID_SERVER_KEY "server.key"
#define LM_ID_SERVER_CRT "server.crt"
#define LM_ID_ISSUER_KEY "issuer.key"
#define LM_ID_ISSUER_CRT "issuer.crt"

/* Load the server identity in dir, creating what is missing (the folder
 * too, 0700; one that others can read is refused). `host` (may
 * be NULL) is one more SAN, e.g. the address the server listens on. Fills
 * the paths of the two files and the key's fingerprint; *created is 1 when
 * the key was made now. 0, or -1 with err. */
int lm_id_server(const char *dir, const char *host, char *crt_path, size_t crt_len, char *key_path,
                 size_t key_len, unsigned char fp[LM_ID_FP_LEN], int *created, char *err,
                 size_t errlen);

/* Load or create the issuing key and its CA certificate in dir; fp is the
 * issuing key's fingerprint (what a client certificate's issuer shows). */
int lm_id_issuer(const char *dir, char *crt_path, size_t crt_len, unsigned char fp[LM_ID_FP_LEN],
                 int *created, char *err, size_t errlen);

/* SHA-256 of a certificate's SubjectPublicKeyInfo, from a file (PEM or
 * DER; the first certificate) or from DER bytes. 0, or -1 with err. */
int lm_id_cert_file_fp(const char *path, unsigned char fp[LM_ID_FP_LEN], char *err, size_t errlen);
int lm_id_cert_der_fp(const unsigned char *der, size_t len, unsigned char fp[LM_ID_FP_LEN],
                      char *err, size_t errlen);

/* ---- enrolment ---- */

typedef struct lm_id_request {
    char *key_pem;          /* the new private key, PEM (wiped when freed) */
    unsigned char *csr_der; /* the request, DER */
    size_t csr_len;
    unsigned char key_fp[LM_ID_FP_LEN];
} lm_id_request;

/* Client: a new ECDSA P-256 key and a CSR for CN=name. */
int lm_id_request_new(const char *name, lm_id_request *out, char *err, size_t errlen);
void lm_id_request_free(lm_id_request *r);

typedef struct lm_id_issued {
    unsigned char *der; /* the client certificate, DER */
    size_t len;
    char serial[LM_ID_SERIAL_HEX];      /* lower-case hex */
    unsigned char key_fp[LM_ID_FP_LEN]; /* the client key's fingerprint */
} lm_id_issued;

enum { LM_ID_BAD_REQUEST = -2 }; /* the request itself is wrong (not our failure) */

/* Server: check a CSR (it parses, its signature is by its own key, the key
 * is an EC key of at least 256 bits or RSA of at least 2048, its subject is
 * exactly CN=name) and sign a client certificate valid for `days` days
 * with the issuing key in dir. 0; LM_ID_BAD_REQUEST or -1 with err. */
int lm_id_sign_request(const char *dir, const char *name, const unsigned char *csr, size_t csr_len,
                       unsigned days, lm_id_issued *out, char *err, size_t errlen);
void lm_id_issued_free(lm_id_issued *c);

/* The fingerprint of the key inside a CSR (what the enrolled list keys on,
 * known before signing). 0, or LM_ID_BAD_REQUEST with err. */
int lm_id_request_fp(const unsigned char *csr, size_t csr_len, unsigned char fp[LM_ID_FP_LEN],
                     char *err, size_t errlen);

/* Client: check what the server issued: a certificate for our key, named
 * `name`, for client authentication, signed by the key whose fingerprint
 * is issuer_fp (NULL: not checked). On success *pem is the certificate as
 * PEM (malloc'd). 0, or -1 with err. */
int lm_id_check_issued(const lm_id_request *req, const char *name, const unsigned char *der,
                       size_t len, char **pem, char *err, size_t errlen);

/* Client: write the key and its certificate as one PEM file (key first),
 * replaced atomically, mode 0600, in a folder made 0700 if missing: one file, so the two can never
 * be found out of step. It serves as both --cert and --key. 0, or -1 with err. */
int lm_id_save_pair(const char *path, const char *key_pem, const char *crt_pem, char *err,
                    size_t errlen);

#endif
