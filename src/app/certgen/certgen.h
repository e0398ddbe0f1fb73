/* lanmsg-certgen internals, shared by certgen.c (options, plan, output) and
 * certgen_x509.c (keys, certificates, files). Not a public header: only the
 * certgen program includes it, which is why it may name mbedTLS types. */
#ifndef LANMSG_APP_CERTGEN_H
#define LANMSG_APP_CERTGEN_H

#include <stddef.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "platform/os.h"
#include "util/text.h"

#define CG_MAX_SANS 32
#define CG_MAX_NAME 254 /* a DNS name is at most 253 characters */
#define CG_MAX_PATH 1024
#define CG_TIME_LEN 15 /* "YYYYMMDDhhmmss" and its NUL */
#define CG_ERR_LEN  1024

enum cg_key_type { CG_KEY_EC = 0, CG_KEY_RSA = 1 };
enum cg_role { CG_ROLE_CA, CG_ROLE_SERVER, CG_ROLE_CLIENT };

/* One subjectAltName entry: a DNS name or a raw IPv4/IPv6 address. */
struct cg_san {
    int is_ip;
    unsigned char ip[16];
    size_t ip_len; /* 4 or 16 */
    char text[CG_MAX_NAME];
};

/* What one certificate should say. */
struct cg_leaf {
    enum cg_role role;
    const char *cn;
    const struct cg_san *sans;
    size_t nsans;
    char not_before[CG_TIME_LEN];
    char not_after[CG_TIME_LEN];
};

/* The shared crypto state: one DRBG seeded once from the OS. */
struct cg_ctx {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    enum cg_key_type key_type;
    mbedtls_pk_context ca_key;
    mbedtls_x509_crt ca_crt;
    int have_ca;
    char err[CG_ERR_LEN]; /* the one line for the user when a call fails */
};

/* certgen_x509.c */
int cg_ctx_init(struct cg_ctx *cg);
void cg_ctx_free(struct cg_ctx *cg);
int cg_parse_san(const char *arg, struct cg_san *out);
int cg_valid_dns_name(const char *name);
void cg_time_fmt(time_t t, char out[CG_TIME_LEN]);
int cg_time_parse(const char *s, char out[CG_TIME_LEN]);
int cg_load_ca(struct cg_ctx *cg, const char *dir);
int cg_make_ca(struct cg_ctx *cg, const char *dir, time_t now, int replace);
int cg_make_leaf(struct cg_ctx *cg, const char *dir, const char *base, const struct cg_leaf *leaf,
                 int replace);
size_t cg_crt_sans(const mbedtls_x509_crt *crt, struct cg_san *out, size_t max);
int cg_file_exists(const char *dir, const char *name);
void cg_path(char *out, size_t len, const char *dir, const char *name);

/* certgen_list.c */
int cg_list(const char *dir);

/* Format a catalog message into cg->err (for errors carried up to main). */
void cg_errf(struct cg_ctx *cg, lm_msg_id id, ...);

#endif
