/* lanmsg identity: keys, self-signed certificates, requests and enrolment
 * certificates, over mbedTLS. See tls_identity.h for what and why; every
 * difference between mbedTLS versions is in mbedtls_compat.h. */
#include "transport/tls_identity.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#define LM_CERTGEN 1 /* the compat header's certificate section */
#include "lanmsg/net.h"
#include "platform/os.h"
#include "util/text.h"
#include "platform/paths.h"
#include "transport/mbedtls_compat.h"
#include "transport/x509_write.h"
#include "trust/textfile.h"

#define PEM_MAX          8192
#define DER_MAX          4096
#define SERVER_DAYS      (10 * 366)
#define ISSUER_DAYS      (20 * 366)
#define RENEW_BEFORE     (30 * 86400) /* re-make a certificate this close to its end */
#define BACKDATE         3600         /* LAN clocks drift */
#define KEY_FILE_MAX     16384
#define REQUEST_MAX      4096
#define SERVER_SAN_COUNT 5

/* ==== small helpers ==== */

static void set_err(char *err, size_t errlen, lm_msg_id id, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, id);
    lm_vformat(err, errlen, id, ap);
    va_end(ap);
}

/* An mbedTLS failure: the step in words, the code for a bug report. */
static void mbed_err(char *err, size_t errlen, const char *what, int ret)
{
    set_err(err, errlen, LM_M_ID_MBEDTLS, what, (unsigned)(ret < 0 ? -ret : ret));
}

/* One DRBG per call: identity work is rare (start-up, a pairing), and a
 * private generator needs no lock. */
typedef struct id_rng {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
} id_rng;

static int rng_init(id_rng *r, char *err, size_t errlen)
{
    static const char pers[] = "lanmsg-identity";
    int ret;
    mbedtls_entropy_init(&r->entropy);
    mbedtls_ctr_drbg_init(&r->drbg);
    if (lm_cg_crypto_init() != 0) {
        mbed_err(err, errlen, "psa_crypto_init", 1);
        return -1;
    }
    ret = mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy,
                                (const unsigned char *)pers, sizeof pers - 1);
    if (ret != 0) {
        mbed_err(err, errlen, "ctr_drbg_seed", ret);
        return -1;
    }
    return 0;
}

static void rng_free(id_rng *r)
{
    mbedtls_ctr_drbg_free(&r->drbg);
    mbedtls_entropy_free(&r->entropy);
}

static int sha256(const unsigned char *in, size_t len, unsigned char out[32])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    return md ? mbedtls_md(md, in, len, out) : -1;
}

/* SubjectPublicKeyInfo DER of a key, hashed. pk_write_pubkey_der writes
 * at the end of the buffer. */
static int key_fp(mbedtls_pk_context *pk, unsigned char fp[32])
{
    unsigned char buf[1024];
    int len = mbedtls_pk_write_pubkey_der(pk, buf, sizeof buf);
    if (len <= 0)
        return -1;
    return sha256(buf + sizeof buf - len, (size_t)len, fp);
}

/* A certificate's fingerprint hashes its SubjectPublicKeyInfo exactly as
 * the certificate carries it (what openssl's -pubkey prints). */
static int crt_fp(const mbedtls_x509_crt *crt, unsigned char fp[32])
{
    return sha256(crt->pk_raw.p, crt->pk_raw.len, fp);
}

static void time_text(time_t t, char out[LM_X509_TIME_LEN])
{
    int f[6];
    char buf[80];
    lm_tf_utc((long long)t, f);
    snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d", f[0] % 10000, f[1], f[2], f[3], f[4],
             f[5]);
    snprintf(out, LM_X509_TIME_LEN, "%.14s", buf);
}

/* ==== keys on disk ==== */

/* A new ECDSA P-256 key. */
static int gen_key(mbedtls_pk_context *pk, id_rng *r, char *err, size_t errlen)
{
    int ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (ret == 0)
        ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk),
                                  mbedtls_ctr_drbg_random, &r->drbg);
    if (ret != 0)
        mbed_err(err, errlen, "ecp_gen_key", ret);
    return ret == 0 ? 0 : -1;
}

/* Read a private key, refusing one others can read. */
static int load_key(const char *path, mbedtls_pk_context *pk, id_rng *r, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int ret;

    if (lm_file_check_mode(path, 1, err, errlen) != 0)
        return -1;
    ret = lm_file_read_all(path, KEY_FILE_MAX, &text, &len, err, errlen);
    if (ret != 0) {
        if (ret == 1)
            set_err(err, errlen, LM_M_PATH_READ, path, strerror(ENOENT));
        return -1;
    }
    /* PEM parsing wants the terminating NUL counted. */
    ret = lm_cg_pk_parse_key(pk, (const unsigned char *)text, len + 1, mbedtls_ctr_drbg_random,
                             &r->drbg);
    memset(text, 0, len);
    free(text);
    if (ret != 0) {
        set_err(err, errlen, LM_M_ID_BAD_KEY, path);
        return -1;
    }
    return 0;
}

/* Make a key and write it exclusively, 0600. If another process made the
 * file first (EEXIST), load theirs instead: one identity, whoever won. */
static int create_key(const char *path, mbedtls_pk_context *pk, id_rng *r, int *created, char *err,
                      size_t errlen)
{
    unsigned char pem[PEM_MAX];
    int ret;

    if (gen_key(pk, r, err, errlen) != 0)
        return -1;
    ret = mbedtls_pk_write_key_pem(pk, pem, sizeof pem);
    if (ret != 0) {
        mbed_err(err, errlen, "pk_write_key_pem", ret);
        return -1;
    }
    ret = lm_file_create(path, pem, strlen((char *)pem), 0600);
    memset(pem, 0, sizeof pem);
    if (ret != 0 && errno == EEXIST) {
        mbedtls_pk_free(pk);
        mbedtls_pk_init(pk);
        return load_key(path, pk, r, err, errlen);
    }
    if (ret != 0) {
        set_err(err, errlen, LM_M_PATH_WRITE, path, strerror(errno));
        return -1;
    }
    *created = 1;
    return 0;
}

/* ==== self-signed certificates for our own keys ==== */

/* Is crt_path a certificate for `key`, good for at least RENEW_BEFORE? */
static int crt_still_good(const char *crt_path, mbedtls_pk_context *key, id_rng *r)
{
    mbedtls_x509_crt crt;
    char limit[LM_X509_TIME_LEN];
    int good = 0;

    mbedtls_x509_crt_init(&crt);
    if (lm_path_exists(crt_path) && mbedtls_x509_crt_parse_file(&crt, crt_path) == 0 &&
        lm_cg_pk_check_pair(&crt.pk, key, mbedtls_ctr_drbg_random, &r->drbg) == 0) {
        const mbedtls_x509_time *to = &crt.valid_to;
        char until[80];
        snprintf(until, sizeof until, "%04d%02d%02d%02d%02d%02d", to->year % 10000, to->mon,
                 to->day, to->hour, to->min, to->sec);
        time_text(time(NULL) + RENEW_BEFORE, limit);
        good = strcmp(until, limit) > 0;
    }
    mbedtls_x509_crt_free(&crt);
    return good;
}

/* Write a self-signed certificate for key to crt_path, replacing any. */
static int write_self_signed(const char *crt_path, mbedtls_pk_context *key, lm_x509_role role,
                             const char *subject, const lm_x509_san *sans, size_t nsans,
                             unsigned days, id_rng *r, char *err, size_t errlen)
{
    unsigned char pem[PEM_MAX], serial[LM_X509_SERIAL_LEN];
    char from[LM_X509_TIME_LEN], to[LM_X509_TIME_LEN];
    const char *step = "serial";
    time_t now = time(NULL);
    int ret;

    time_text(now - BACKDATE, from);
    time_text(now + (time_t)days * 86400, to);
    ret = lm_x509_serial(mbedtls_ctr_drbg_random, &r->drbg, serial);
    if (ret == 0) {
        lm_x509_spec spec = {.role = role,
                             .subject = subject,
                             .sans = sans,
                             .nsans = nsans,
                             .not_before = from,
                             .not_after = to,
                             .serial = serial,
                             .serial_len = sizeof serial};
        ret = lm_x509_write_crt(&spec, key, key, mbedtls_ctr_drbg_random, &r->drbg, pem, sizeof pem,
                                &step);
    }
    if (ret != 0) {
        mbed_err(err, errlen, step, ret);
        return -1;
    }
    return lm_file_write_atomic(crt_path, pem, strlen((char *)pem), 0644, err, errlen);
}

/* This machine's name, when it is one a certificate can carry. */
static void host_name(char *out, size_t len)
{
    if (lm_host_name(out, len) != 0)
        out[0] = '\0';
    for (char *p = out; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.')) {
            out[0] = '\0';
            break;
        }
}

static void san_name(lm_x509_san *s, const char *name)
{
    memset(s, 0, sizeof *s);
    snprintf(s->text, sizeof s->text, "%.253s", name);
}

static int san_ip(lm_x509_san *s, const char *text)
{
    memset(s, 0, sizeof *s);
    int n = lm_ip_parse(text, s->ip);
    if (n == 0)
        return -1;
    s->is_ip = 1;
    s->ip_len = (size_t)n;
    lm_ip_format(s->ip, s->ip_len, s->text, sizeof s->text);
    return 0;
}

/* The key and certificate of one of our identities: load the key or make
 * it, then make the certificate again unless it is still good for it. */
static int own_identity(const char *dir, const char *key_name, const char *crt_name,
                        lm_x509_role role, const char *subject, const lm_x509_san *sans,
                        size_t nsans, unsigned days, char *crt_path, size_t crt_len, char *key_path,
                        size_t key_len, unsigned char fp[32], int *created, char *err,
                        size_t errlen)
{
    mbedtls_pk_context key;
    mbedtls_x509_crt crt;
    id_rng r;
    int rc = -1;

    *created = 0;
    /* Made 0700 if missing; refused if others could read our keys. */
    if (lm_dir_prepare(dir, LM_DIR_STATE, err, errlen) != 0)
        return -1;
    if (lm_path_join(key_path, key_len, dir, key_name, err, errlen) != 0 ||
        lm_path_join(crt_path, crt_len, dir, crt_name, err, errlen) != 0)
        return -1;
    mbedtls_pk_init(&key);
    mbedtls_x509_crt_init(&crt);
    if (rng_init(&r, err, errlen) != 0)
        goto out;
    if (lm_path_exists(key_path)) {
        if (load_key(key_path, &key, &r, err, errlen) != 0)
            goto out;
    } else if (create_key(key_path, &key, &r, created, err, errlen) != 0) {
        goto out;
    }
    if (!crt_still_good(crt_path, &key, &r) &&
        write_self_signed(crt_path, &key, role, subject, sans, nsans, days, &r, err, errlen) != 0)
        goto out;
    if (mbedtls_x509_crt_parse_file(&crt, crt_path) != 0 || crt_fp(&crt, fp) != 0) {
        set_err(err, errlen, LM_M_ID_BAD_CERT, crt_path);
        goto out;
    }
    rc = 0;
out:
    mbedtls_x509_crt_free(&crt);
    mbedtls_pk_free(&key);
    rng_free(&r);
    return rc;
}

int lm_id_server(const char *dir, const char *host, char *crt_path, size_t crt_len, char *key_path,
                 size_t key_len, unsigned char fp[LM_ID_FP_LEN], int *created, char *err,
                 size_t errlen)
{
    lm_x509_san sans[SERVER_SAN_COUNT];
    char name[256], subject[320];
    size_t n = 0;

    host_name(name, sizeof name);
    if (name[0])
        san_name(&sans[n++], name);
    san_name(&sans[n++], "localhost");
    san_ip(&sans[n++], "127.0.0.1");
    san_ip(&sans[n++], "::1");
    /* The listening address, when it is one address and not "any". */
    if (host && host[0] && strcmp(host, "0.0.0.0") != 0 && strcmp(host, "::") != 0 &&
        strcmp(host, "127.0.0.1") != 0 && strcmp(host, "::1") != 0 &&
        strcmp(host, "localhost") != 0 && strcmp(host, name) != 0 && strlen(host) < 254) {
        if (san_ip(&sans[n], host) == 0)
            n++;
        else if (strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
                 strlen(host))
            san_name(&sans[n++], host);
    }
    snprintf(subject, sizeof subject, "CN=lanmsg server%s%s,O=lanmsg", name[0] ? " " : "", name);
    return own_identity(dir, LM_ID_SERVER_KEY, LM_ID_SERVER_CRT, LM_X509_SERVER, subject, sans, n,
                        SERVER_DAYS, crt_path, crt_len, key_path, key_len, fp, created, err,
                        errlen);
}

int lm_id_issuer(const char *dir, char *crt_path, size_t crt_len, unsigned char fp[LM_ID_FP_LEN],
                 int *created, char *err, size_t errlen)
{
    char name[256], subject[320], key_path[LM_PATH_MAX];
    host_name(name, sizeof name);
    snprintf(subject, sizeof subject, "CN=lanmsg pairing CA%s%s,O=lanmsg", name[0] ? " " : "",
             name);
    return own_identity(dir, LM_ID_ISSUER_KEY, LM_ID_ISSUER_CRT, LM_X509_CA, subject, NULL, 0,
                        ISSUER_DAYS, crt_path, crt_len, key_path, sizeof key_path, fp, created, err,
                        errlen);
}

/* ==== fingerprints ==== */

int lm_id_cert_file_fp(const char *path, unsigned char fp[LM_ID_FP_LEN], char *err, size_t errlen)
{
    mbedtls_x509_crt crt;
    int rc = -1;
    mbedtls_x509_crt_init(&crt);
    if (lm_cg_crypto_init() == 0 && mbedtls_x509_crt_parse_file(&crt, path) == 0 &&
        crt_fp(&crt, fp) == 0)
        rc = 0;
    else
        set_err(err, errlen, LM_M_ID_BAD_CERT, path);
    mbedtls_x509_crt_free(&crt);
    return rc;
}

int lm_id_cert_der_fp(const unsigned char *der, size_t len, unsigned char fp[LM_ID_FP_LEN],
                      char *err, size_t errlen)
{
    mbedtls_x509_crt crt;
    int rc = -1;
    mbedtls_x509_crt_init(&crt);
    if (lm_cg_crypto_init() == 0 && mbedtls_x509_crt_parse_der(&crt, der, len) == 0 &&
        crt_fp(&crt, fp) == 0)
        rc = 0;
    else
        set_err(err, errlen, LM_M_ID_BAD_DER);
    mbedtls_x509_crt_free(&crt);
    return rc;
}

/* ==== enrolment: the client's request ==== */

void lm_id_request_free(lm_id_request *r)
{
    if (r->key_pem) {
        memset(r->key_pem, 0, strlen(r->key_pem));
        free(r->key_pem);
    }
    free(r->csr_der);
    memset(r, 0, sizeof *r);
}

int lm_id_request_new(const char *name, lm_id_request *out, char *err, size_t errlen)
{
    mbedtls_pk_context key;
    mbedtls_x509write_csr csr;
    unsigned char pem[PEM_MAX], der[DER_MAX];
    char subject[64];
    id_rng r;
    int ret, rc = -1;

    memset(out, 0, sizeof *out);
    mbedtls_pk_init(&key);
    mbedtls_x509write_csr_init(&csr);
    if (rng_init(&r, err, errlen) != 0 || gen_key(&key, &r, err, errlen) != 0)
        goto out;
    snprintf(subject, sizeof subject, "CN=%s", name);
    mbedtls_x509write_csr_set_key(&csr, &key);
    mbedtls_x509write_csr_set_md_alg(&csr, MBEDTLS_MD_SHA256);
    if ((ret = mbedtls_x509write_csr_set_subject_name(&csr, subject)) != 0) {
        mbed_err(err, errlen, "csr subject", ret);
        goto out;
    }
    ret = mbedtls_x509write_csr_der(&csr, der, sizeof der, mbedtls_ctr_drbg_random, &r.drbg);
    if (ret <= 0) {
        mbed_err(err, errlen, "csr_der", ret);
        goto out;
    }
    out->csr_len = (size_t)ret;
    if ((ret = mbedtls_pk_write_key_pem(&key, pem, sizeof pem)) != 0) {
        mbed_err(err, errlen, "pk_write_key_pem", ret);
        goto out;
    }
    out->csr_der = malloc(out->csr_len);
    out->key_pem = malloc(strlen((char *)pem) + 1);
    if (!out->csr_der || !out->key_pem) {
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
        goto out;
    }
    memcpy(out->csr_der, der + sizeof der - out->csr_len, out->csr_len);
    memcpy(out->key_pem, pem, strlen((char *)pem) + 1);
    if (key_fp(&key, out->key_fp) != 0) {
        mbed_err(err, errlen, "pk_write_pubkey_der", -1);
        goto out;
    }
    rc = 0;
out:
    memset(pem, 0, sizeof pem);
    if (rc != 0)
        lm_id_request_free(out);
    mbedtls_x509write_csr_free(&csr);
    mbedtls_pk_free(&key);
    rng_free(&r);
    return rc;
}

/* ==== enrolment: the server signs ==== */

/* Parse a request and hold it to our rules. LM_ID_BAD_REQUEST with err
 * when it breaks one; the name is checked only when not NULL. */
static int check_request(mbedtls_x509_csr *csr, const unsigned char *der, size_t len,
                         const char *name, char *err, size_t errlen)
{
    unsigned char hash[64];
    char subject[128], want[64];
    const mbedtls_md_info_t *md;
    mbedtls_pk_type_t type;

    if (len == 0 || len > REQUEST_MAX || mbedtls_x509_csr_parse_der(csr, der, len) != 0) {
        set_err(err, errlen, LM_M_ID_BAD_REQUEST);
        return LM_ID_BAD_REQUEST;
    }
    /* Proof of possession: the request is signed by the key it carries. */
    md = mbedtls_md_info_from_type(LM_CG_CSR_SIG_MD(csr));
    if (!md || mbedtls_md(md, csr->cri.p, csr->cri.len, hash) != 0 ||
        mbedtls_pk_verify(&csr->pk, LM_CG_CSR_SIG_MD(csr), hash, mbedtls_md_get_size(md),
                          LM_CG_CSR_SIG(csr)->p, LM_CG_CSR_SIG(csr)->len) != 0) {
        set_err(err, errlen, LM_M_ID_REQUEST_SIGNATURE);
        return LM_ID_BAD_REQUEST;
    }
    type = mbedtls_pk_get_type(&csr->pk);
    if (!(type == MBEDTLS_PK_ECKEY && mbedtls_pk_get_bitlen(&csr->pk) >= 256) &&
        !(type == MBEDTLS_PK_RSA && mbedtls_pk_get_bitlen(&csr->pk) >= 2048)) {
        set_err(err, errlen, LM_M_ID_REQUEST_KEY);
        return LM_ID_BAD_REQUEST;
    }
    if (name) {
        snprintf(want, sizeof want, "CN=%s", name);
        if (mbedtls_x509_dn_gets(subject, sizeof subject, &csr->subject) < 0 ||
            strcmp(subject, want) != 0) {
            set_err(err, errlen, LM_M_ID_REQUEST_NAME, name);
            return LM_ID_BAD_REQUEST;
        }
    }
    return 0;
}

int lm_id_request_fp(const unsigned char *csr, size_t csr_len, unsigned char fp[LM_ID_FP_LEN],
                     char *err, size_t errlen)
{
    mbedtls_x509_csr req;
    int rc;
    mbedtls_x509_csr_init(&req);
    rc = lm_cg_crypto_init() == 0 ? check_request(&req, csr, csr_len, NULL, err, errlen) : -1;
    if (rc == 0 && key_fp(&req.pk, fp) != 0) {
        set_err(err, errlen, LM_M_ID_BAD_REQUEST);
        rc = LM_ID_BAD_REQUEST;
    }
    mbedtls_x509_csr_free(&req);
    return rc;
}

void lm_id_issued_free(lm_id_issued *c)
{
    free(c->der);
    memset(c, 0, sizeof *c);
}

int lm_id_sign_request(const char *dir, const char *name, const unsigned char *csr, size_t csr_len,
                       unsigned days, lm_id_issued *out, char *err, size_t errlen)
{
    char key_path[LM_PATH_MAX], crt_path[LM_PATH_MAX], issuer[512], subject[64];
    char from[LM_X509_TIME_LEN], to[LM_X509_TIME_LEN];
    unsigned char pem[PEM_MAX], serial[LM_X509_SERIAL_LEN];
    mbedtls_x509_csr req;
    mbedtls_x509_crt ca, issued;
    mbedtls_pk_context ca_key;
    const char *step = "serial";
    time_t now = time(NULL);
    id_rng r;
    int rc = -1, ret;

    memset(out, 0, sizeof *out);
    mbedtls_x509_csr_init(&req);
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_crt_init(&issued);
    mbedtls_pk_init(&ca_key);
    if (rng_init(&r, err, errlen) != 0)
        goto out;
    if ((rc = check_request(&req, csr, csr_len, name, err, errlen)) != 0)
        goto out;
    rc = -1;
    if (lm_path_join(key_path, sizeof key_path, dir, LM_ID_ISSUER_KEY, err, errlen) != 0 ||
        lm_path_join(crt_path, sizeof crt_path, dir, LM_ID_ISSUER_CRT, err, errlen) != 0 ||
        load_key(key_path, &ca_key, &r, err, errlen) != 0)
        goto out;
    if (mbedtls_x509_crt_parse_file(&ca, crt_path) != 0 ||
        lm_cg_pk_check_pair(&ca.pk, &ca_key, mbedtls_ctr_drbg_random, &r.drbg) != 0 ||
        lm_x509_subject_text(&ca, issuer, sizeof issuer) != 0) {
        set_err(err, errlen, LM_M_ID_BAD_CERT, crt_path);
        goto out;
    }
    time_text(now - BACKDATE, from);
    time_text(now + (time_t)days * 86400, to);
    snprintf(subject, sizeof subject, "CN=%s", name);
    ret = lm_x509_serial(mbedtls_ctr_drbg_random, &r.drbg, serial);
    if (ret == 0) {
        lm_x509_spec spec = {.role = LM_X509_CLIENT,
                             .subject = subject,
                             .issuer = issuer,
                             .not_before = from,
                             .not_after = to,
                             .serial = serial,
                             .serial_len = sizeof serial};
        ret = lm_x509_write_crt(&spec, &req.pk, &ca_key, mbedtls_ctr_drbg_random, &r.drbg, pem,
                                sizeof pem, &step);
    }
    if (ret == 0) {
        step = "x509_crt_parse";
        ret = mbedtls_x509_crt_parse(&issued, pem, strlen((char *)pem) + 1);
    }
    if (ret != 0) {
        mbed_err(err, errlen, step, ret);
        goto out;
    }
    out->der = malloc(issued.raw.len);
    if (!out->der) {
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
        goto out;
    }
    memcpy(out->der, issued.raw.p, issued.raw.len);
    out->len = issued.raw.len;
    for (size_t i = 0; i < sizeof serial; i++)
        snprintf(out->serial + 2 * i, 3, "%02x", serial[i]);
    if (crt_fp(&issued, out->key_fp) != 0) {
        mbed_err(err, errlen, "sha256", -1);
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        lm_id_issued_free(out);
    mbedtls_pk_free(&ca_key);
    mbedtls_x509_crt_free(&issued);
    mbedtls_x509_crt_free(&ca);
    mbedtls_x509_csr_free(&req);
    rng_free(&r);
    return rc;
}

/* ==== enrolment: the client checks and keeps what it got ==== */

int lm_id_check_issued(const lm_id_request *req, const char *name, const unsigned char *der,
                       size_t len, char **pem, char *err, size_t errlen)
{
    mbedtls_x509_crt crt;
    unsigned char fp[32], buf[PEM_MAX];
    char subject[128], want[64];
    size_t olen = 0;
    int rc = -1;

    *pem = NULL;
    mbedtls_x509_crt_init(&crt);
    snprintf(want, sizeof want, "CN=%s", name);
    if (lm_cg_crypto_init() != 0 || mbedtls_x509_crt_parse_der(&crt, der, len) != 0 ||
        crt_fp(&crt, fp) != 0) {
        set_err(err, errlen, LM_M_ID_BAD_DER);
        goto out;
    }
    if (memcmp(fp, req->key_fp, sizeof fp) != 0 ||
        mbedtls_x509_dn_gets(subject, sizeof subject, &crt.subject) < 0 ||
        strcmp(subject, want) != 0 ||
        mbedtls_x509_crt_check_extended_key_usage(&crt, MBEDTLS_OID_CLIENT_AUTH,
                                                  MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)) != 0) {
        set_err(err, errlen, LM_M_ID_ISSUED_WRONG, name);
        goto out;
    }
    if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
                                 der, len, buf, sizeof buf, &olen) != 0 ||
        (*pem = malloc(olen + 1)) == NULL) {
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
        goto out;
    }
    memcpy(*pem, buf, olen);
    (*pem)[olen] = '\0';
    rc = 0;
out:
    mbedtls_x509_crt_free(&crt);
    return rc;
}

int lm_id_save_pair(const char *path, const char *key_pem, const char *crt_pem, char *err,
                    size_t errlen)
{
    size_t kl = strlen(key_pem), cl = strlen(crt_pem);
    char dir[LM_PATH_MAX], *both;
    int rc;

    lm_path_dir(path, dir, sizeof dir);
    if (lm_dir_prepare(dir, LM_DIR_STATE, err, errlen) != 0)
        return -1;
    both = malloc(kl + cl + 1);
    if (!both) {
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
        return -1;
    }
    memcpy(both, key_pem, kl);
    memcpy(both + kl, crt_pem, cl + 1);
    rc = lm_file_write_atomic(path, both, kl + cl, 0600, err, errlen);
    memset(both, 0, kl + cl);
    free(both);
    return rc;
}
