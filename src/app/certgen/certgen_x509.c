/* lanmsg-certgen: keys, certificates and the files that hold them.
 *
 * Everything here returns 0 or -1 and leaves one line for the user in
 * cg->err; only main decides how to exit. Every difference between mbedTLS
 * 2.28 and 3.x is behind src/transport/mbedtls_compat.h. */
#define _POSIX_C_SOURCE 200809L

#include "certgen.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/rsa.h>

#define LM_CERTGEN 1
#include "transport/mbedtls_compat.h"
#include "transport/x509_write.h"
#include "lanmsg/net.h"

#define CG_PEM_MAX  16384
#define CG_CA_YEARS 10
#define CG_RSA_BITS 3072
#define CG_BACKDATE 3600 /* start validity an hour early: LAN clocks drift */

void cg_errf(struct cg_ctx *cg, lm_msg_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    lm_vformat(cg->err, sizeof(cg->err), id, ap);
    va_end(ap);
}

/* mbedTLS error codes mean nothing to a user; keep the number for a bug
 * report but say it in the catalog's words around it. */
static void mbed_fail(struct cg_ctx *cg, const char *what, int ret)
{
    cg_errf(cg, LM_M_CERTGEN_ERR_MBEDTLS, what, (unsigned)-ret);
}

/* ---- context ---- */

/* Seed one DRBG from the OS for the whole run: keys, serials and the
 * temporary-file names all come from it. */
int cg_ctx_init(struct cg_ctx *cg)
{
    static const char pers[] = "lanmsg-certgen";
    int ret;

    mbedtls_entropy_init(&cg->entropy);
    mbedtls_ctr_drbg_init(&cg->drbg);
    mbedtls_pk_init(&cg->ca_key);
    mbedtls_x509_crt_init(&cg->ca_crt);
    cg->have_ca = 0;
    cg->err[0] = '\0';
    if (lm_cg_crypto_init() != 0) {
        mbed_fail(cg, "psa_crypto_init", 1);
        return -1;
    }
    ret = mbedtls_ctr_drbg_seed(&cg->drbg, mbedtls_entropy_func, &cg->entropy,
                                (const unsigned char *)pers, sizeof(pers) - 1);
    if (ret != 0) {
        mbed_fail(cg, "ctr_drbg_seed", ret);
        return -1;
    }
    return 0;
}

void cg_ctx_free(struct cg_ctx *cg)
{
    mbedtls_x509_crt_free(&cg->ca_crt);
    mbedtls_pk_free(&cg->ca_key);
    mbedtls_ctr_drbg_free(&cg->drbg);
    mbedtls_entropy_free(&cg->entropy);
}

/* ---- names, addresses, times ---- */

/* A host name as RFC 1123 allows it: dot-separated labels of letters, digits
 * and inner hyphens, each 1..63 long, 253 in all. Wildcards are refused on
 * purpose: a LAN names its hosts, and a wildcard would cover all of them. */
int cg_valid_dns_name(const char *name)
{
    size_t len = strlen(name), label = 0;
    int all_numeric = 1;

    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '.') {
            if (label == 0 || name[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-')
            return 0;
        if (c == '-' && label == 0)
            return 0;
        if (!(c >= '0' && c <= '9'))
            all_numeric = 0;
        if (++label > 63)
            return 0;
    }
    if (label == 0 || name[len - 1] == '-')
        return 0;
    /* "10.0.0.300" is a mistyped address, not a name. */
    return !all_numeric;
}

/* Sort one --san into an IP address or a DNS name by its form: anything
 * inet_pton accepts is an address, anything else must be a valid name. */
int cg_parse_san(const char *arg, struct cg_san *out)
{
    memset(out, 0, sizeof(*out));
    if (strlen(arg) >= sizeof(out->text))
        return -1;
    int iplen = lm_ip_parse(arg, out->ip);
    if (iplen != 0) {
        out->is_ip = 1;
        out->ip_len = (size_t)iplen;
    } else if (cg_valid_dns_name(arg)) {
        /* Names compare case-insensitively; store them lower-case so
         * duplicates are easy to spot and the certificate reads cleanly. */
        for (size_t i = 0; arg[i]; i++)
            out->text[i] = (char)((arg[i] >= 'A' && arg[i] <= 'Z') ? arg[i] + 32 : arg[i]);
        return 0;
    } else {
        return -1;
    }
    /* Keep the canonical spelling, so "::0001" prints as "::1". */
    lm_ip_format(out->ip, out->ip_len, out->text, sizeof(out->text));
    return 0;
}

void cg_time_fmt(time_t t, char out[CG_TIME_LEN])
{
    /* A single-threaded tool: gmtime's static buffer is fine, and it is the
     * one spelling that Windows shares. */
    struct tm *tm = gmtime(&t);
    if (tm == NULL || strftime(out, CG_TIME_LEN, "%Y%m%d%H%M%S", tm) != CG_TIME_LEN - 1)
        snprintf(out, CG_TIME_LEN, "20000101000000");
}

/* Check a YYYYMMDDhhmmss time, UTC, as x509write wants it. */
int cg_time_parse(const char *s, char out[CG_TIME_LEN])
{
    int f[6];
    static const int width[6] = {4, 2, 2, 2, 2, 2};
    static const int lo[6] = {1950, 1, 1, 0, 0, 0};
    static const int hi[6] = {9999, 12, 31, 23, 59, 59};
    const char *p = s;

    if (strlen(s) != CG_TIME_LEN - 1)
        return -1;
    for (int i = 0; i < 6; i++) {
        f[i] = 0;
        for (int j = 0; j < width[i]; j++, p++) {
            if (*p < '0' || *p > '9')
                return -1;
            f[i] = f[i] * 10 + (*p - '0');
        }
        if (f[i] < lo[i] || f[i] > hi[i])
            return -1;
    }
    memcpy(out, s, CG_TIME_LEN);
    return 0;
}

/* main refuses an --out long enough to truncate here; an empty path is the
 * belt to those braces (every use of it then fails cleanly). */
void cg_path(char *out, size_t len, const char *dir, const char *name)
{
    int n = snprintf(out, len, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= len)
        out[0] = '\0';
}

int cg_file_exists(const char *dir, const char *name)
{
    char path[CG_MAX_PATH];
    cg_path(path, sizeof(path), dir, name);
    return lm_path_exists(path);
}

/* Read the SANs back out of a parsed certificate, for --list and so that a
 * server renewed with one more --san keeps the ones it had. mbedTLS keeps
 * every entry raw, tagged with its GeneralName number. */
size_t cg_crt_sans(const mbedtls_x509_crt *crt, struct cg_san *out, size_t max)
{
    size_t n = 0;
    for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s != NULL && n < max;
         s = s->next) {
        int tag = s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK;
        struct cg_san *o = &out[n];
        if (s->buf.p == NULL || !(s->buf.tag & MBEDTLS_ASN1_CONTEXT_SPECIFIC))
            continue;
        memset(o, 0, sizeof(*o));
        if (tag == MBEDTLS_X509_SAN_DNS_NAME && s->buf.len < sizeof(o->text)) {
            memcpy(o->text, s->buf.p, s->buf.len);
            n++;
        } else if (tag == MBEDTLS_X509_SAN_IP_ADDRESS && (s->buf.len == 4 || s->buf.len == 16)) {
            o->is_ip = 1;
            o->ip_len = s->buf.len;
            memcpy(o->ip, s->buf.p, s->buf.len);
            lm_ip_format(o->ip, o->ip_len, o->text, sizeof(o->text));
            n++;
        }
    }
    return n;
}

/* ---- files ---- */

/* Read a whole small file, NUL-terminated (PEM parsers want the NUL counted). */
static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long size;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && size < 1024 * 1024 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) != NULL) {
        if (fread(buf, 1, (size_t)size, f) == (size_t)size) {
            buf[size] = '\0';
            *len = (size_t)size + 1;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

/* Write data to a fresh temporary file beside `final`, created exclusively
 * with an exact mode (lm_file_create), whatever the umask. The name ends
 * up in tmp; on failure nothing is left behind. */
static int write_temp(struct cg_ctx *cg, const char *final, const unsigned char *data, size_t len,
                      int mode, char *tmp, size_t tmplen)
{
    int rc = -1;
    errno = 0;
    for (int tries = 0; rc != 0 && tries < 8; tries++) {
        unsigned char r[4];
        mbedtls_ctr_drbg_random(&cg->drbg, r, sizeof(r));
        snprintf(tmp, tmplen, "%s.tmp-%02x%02x%02x%02x", final, r[0], r[1], r[2], r[3]);
        rc = lm_file_create(tmp, data, len, mode);
        if (rc != 0 && errno != EEXIST)
            break;
    }
    if (rc != 0) {
        cg_errf(cg, LM_M_CERTGEN_ERR_WRITE, final, strerror(errno));
        return -1;
    }
    return 0;
}

/* Put a new key and certificate in place as a pair. A brand-new pair is
 * linked in (link fails if the name appeared meanwhile: exclusive creation
 * to the end); a renewed pair is renamed over the old one, and the old key is
 * kept aside until the new certificate is in, so a failure half-way puts the
 * old pair back instead of leaving a key beside a certificate it does not
 * match. */
static int install_pair(struct cg_ctx *cg, const char *dir, const char *base, const char *key_pem,
                        const char *crt_pem, int replace)
{
    char key[CG_MAX_PATH], crt[CG_MAX_PATH], key_tmp[CG_MAX_PATH + 16], crt_tmp[CG_MAX_PATH + 16];
    char bak[CG_MAX_PATH + 16];
    char name[128];
    int have_bak = 0;

    snprintf(name, sizeof(name), "%s.key", base);
    cg_path(key, sizeof(key), dir, name);
    snprintf(name, sizeof(name), "%s.crt", base);
    cg_path(crt, sizeof(crt), dir, name);

    if (write_temp(cg, key, (const unsigned char *)key_pem, strlen(key_pem), 0600, key_tmp,
                   sizeof(key_tmp)) != 0)
        return -1;
    if (write_temp(cg, crt, (const unsigned char *)crt_pem, strlen(crt_pem), 0644, crt_tmp,
                   sizeof(crt_tmp)) != 0) {
        remove(key_tmp);
        return -1;
    }
    if (!replace) {
        if (lm_file_link(key_tmp, key) != 0) {
            cg_errf(cg, LM_M_CERTGEN_ERR_WRITE, key, strerror(errno));
            goto fail;
        }
        if (lm_file_link(crt_tmp, crt) != 0) {
            cg_errf(cg, LM_M_CERTGEN_ERR_WRITE, crt, strerror(errno));
            remove(key);
            goto fail;
        }
        remove(key_tmp);
        remove(crt_tmp);
        return 0;
    }
    snprintf(bak, sizeof(bak), "%s.tmp-old", key);
    remove(bak);
    have_bak = lm_file_link(key, bak) == 0;
    if (lm_file_replace(key_tmp, key) != 0) {
        cg_errf(cg, LM_M_CERTGEN_ERR_WRITE, key, strerror(errno));
        goto fail;
    }
    if (lm_file_replace(crt_tmp, crt) != 0) {
        cg_errf(cg, LM_M_CERTGEN_ERR_WRITE, crt, strerror(errno));
        if (have_bak)
            lm_file_replace(bak, key);
        else
            remove(key);
        have_bak = 0;
        goto fail;
    }
    if (have_bak)
        remove(bak);
    return 0;
fail:
    if (have_bak)
        remove(bak);
    remove(key_tmp);
    remove(crt_tmp);
    return -1;
}

/* ---- keys and certificates ---- */

static int gen_key(struct cg_ctx *cg, mbedtls_pk_context *pk)
{
    int ret;
    if (cg->key_type == CG_KEY_RSA) {
        ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
        if (ret == 0)
            ret = mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk), mbedtls_ctr_drbg_random, &cg->drbg,
                                      CG_RSA_BITS, 65537);
    } else {
        ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
        if (ret == 0)
            ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk),
                                      mbedtls_ctr_drbg_random, &cg->drbg);
    }
    if (ret != 0)
        mbed_fail(cg, "key generation", ret);
    return ret == 0 ? 0 : -1;
}

/* Build, sign and PEM-encode one certificate for `subject_key`, with the
 * encoder lanmsg's own identity shares (transport/x509_write.c). A CA role
 * means self-signed. */
static int write_crt(struct cg_ctx *cg, mbedtls_pk_context *subject_key, const char *subject,
                     const struct cg_leaf *leaf, unsigned char *pem, size_t pem_len)
{
    static const lm_x509_role roles[] = {[CG_ROLE_CA] = LM_X509_CA,
                                         [CG_ROLE_SERVER] = LM_X509_SERVER,
                                         [CG_ROLE_CLIENT] = LM_X509_CLIENT};
    lm_x509_san sans[CG_MAX_SANS];
    unsigned char serial[LM_X509_SERIAL_LEN];
    char issuer[512];
    const char *step = "issuer";
    int is_ca = leaf->role == CG_ROLE_CA;
    int ret;

    if (!is_ca && lm_x509_subject_text(&cg->ca_crt, issuer, sizeof(issuer)) != 0) {
        mbed_fail(cg, step, -1);
        return -1;
    }
    for (size_t i = 0; i < leaf->nsans && i < CG_MAX_SANS; i++) {
        sans[i].is_ip = leaf->sans[i].is_ip;
        sans[i].ip_len = leaf->sans[i].ip_len;
        memcpy(sans[i].ip, leaf->sans[i].ip, sizeof(sans[i].ip));
        snprintf(sans[i].text, sizeof(sans[i].text), "%s", leaf->sans[i].text);
    }
    lm_x509_serial(mbedtls_ctr_drbg_random, &cg->drbg, serial);
    lm_x509_spec spec = {.role = roles[leaf->role],
                         .subject = subject,
                         .issuer = is_ca ? NULL : issuer,
                         .sans = sans,
                         .nsans = leaf->nsans < CG_MAX_SANS ? leaf->nsans : CG_MAX_SANS,
                         .not_before = leaf->not_before,
                         .not_after = leaf->not_after,
                         .serial = serial,
                         .serial_len = sizeof(serial)};
    ret = lm_x509_write_crt(&spec, subject_key, is_ca ? subject_key : &cg->ca_key,
                            mbedtls_ctr_drbg_random, &cg->drbg, pem, pem_len, &step);
    if (ret != 0)
        mbed_fail(cg, step, ret);
    return ret == 0 ? 0 : -1;
}

/* Make a key, its certificate, and install both under dir/base.{key,crt}. */
static int make_pair(struct cg_ctx *cg, const char *dir, const char *base, const char *subject,
                     const struct cg_leaf *leaf, int replace, mbedtls_pk_context *key)
{
    unsigned char *key_pem = calloc(1, CG_PEM_MAX), *crt_pem = calloc(1, CG_PEM_MAX);
    int ret = -1;

    if (key_pem == NULL || crt_pem == NULL) {
        cg_errf(cg, LM_M_OUT_OF_MEMORY);
        goto out;
    }
    if (gen_key(cg, key) != 0 || write_crt(cg, key, subject, leaf, crt_pem, CG_PEM_MAX) != 0)
        goto out;
    if ((ret = mbedtls_pk_write_key_pem(key, key_pem, CG_PEM_MAX)) != 0) {
        mbed_fail(cg, "pk_write_key_pem", ret);
        ret = -1;
        goto out;
    }
    ret = install_pair(cg, dir, base, (const char *)key_pem, (const char *)crt_pem, replace);
out:
    /* The PEM buffer held a private key: wipe it before giving it back. */
    if (key_pem != NULL)
        memset(key_pem, 0, CG_PEM_MAX);
    free(key_pem);
    free(crt_pem);
    return ret;
}

/* Create the CA. Its key stays in cg so the leaves of this run can be
 * signed with it; its certificate is parsed back so they can name it. */
int cg_make_ca(struct cg_ctx *cg, const char *dir, time_t now, int replace)
{
    struct cg_leaf ca = {.role = CG_ROLE_CA};
    char subject[CG_MAX_NAME + 64], host[256] = "", path[CG_MAX_PATH];

    cg_time_fmt(now - CG_BACKDATE, ca.not_before);
    cg_time_fmt(now + (time_t)CG_CA_YEARS * 365 * 24 * 3600 + 3 * 24 * 3600, ca.not_after);
    /* The host name tells two LANs' CAs apart in a browser or a --list. */
    if (lm_host_name(host, sizeof(host)) == 0 && cg_valid_dns_name(host))
        snprintf(subject, sizeof(subject), "CN=lanmsg local CA %s,O=lanmsg", host);
    else
        snprintf(subject, sizeof(subject), "CN=lanmsg local CA,O=lanmsg");

    mbedtls_pk_free(&cg->ca_key);
    mbedtls_pk_init(&cg->ca_key);
    if (make_pair(cg, dir, "ca", subject, &ca, replace, &cg->ca_key) != 0)
        return -1;
    mbedtls_x509_crt_free(&cg->ca_crt);
    mbedtls_x509_crt_init(&cg->ca_crt);
    cg_path(path, sizeof(path), dir, "ca.crt");
    int ret = mbedtls_x509_crt_parse_file(&cg->ca_crt, path);
    if (ret != 0) {
        mbed_fail(cg, "x509_crt_parse_file", ret);
        return -1;
    }
    cg->have_ca = 1;
    return 0;
}

/* Load an existing CA and prove the key belongs to the certificate before
 * anything is signed with it: a leaf signed by the wrong key would be
 * written fine and fail only on another machine, much later. */
int cg_load_ca(struct cg_ctx *cg, const char *dir)
{
    char crt_path[CG_MAX_PATH], key_path[CG_MAX_PATH];
    unsigned char *buf;
    size_t len = 0;
    int ret;

    cg_path(crt_path, sizeof(crt_path), dir, "ca.crt");
    cg_path(key_path, sizeof(key_path), dir, "ca.key");
    if (mbedtls_x509_crt_parse_file(&cg->ca_crt, crt_path) != 0) {
        cg_errf(cg, LM_M_CERTGEN_ERR_CA_CRT_BAD, crt_path);
        return -1;
    }
    buf = read_file(key_path, &len);
    if (buf == NULL) {
        cg_errf(cg, LM_M_CERTGEN_ERR_READ, key_path, strerror(errno));
        return -1;
    }
    ret = lm_cg_pk_parse_key(&cg->ca_key, buf, len, mbedtls_ctr_drbg_random, &cg->drbg);
    memset(buf, 0, len);
    free(buf);
    if (ret != 0) {
        cg_errf(cg, LM_M_CERTGEN_ERR_CA_KEY_BAD, key_path);
        return -1;
    }
    if (lm_cg_pk_check_pair(&cg->ca_crt.pk, &cg->ca_key, mbedtls_ctr_drbg_random, &cg->drbg) != 0) {
        cg_errf(cg, LM_M_CERTGEN_ERR_CA_MISMATCH, key_path, crt_path);
        return -1;
    }
    cg->have_ca = 1;
    return 0;
}

/* Make one leaf (server or client) signed by the CA in cg. */
int cg_make_leaf(struct cg_ctx *cg, const char *dir, const char *base, const struct cg_leaf *leaf,
                 int replace)
{
    char subject[CG_MAX_NAME + 16];
    mbedtls_pk_context key;
    int ret;

    snprintf(subject, sizeof(subject), "CN=%s", leaf->cn);
    mbedtls_pk_init(&key);
    ret = make_pair(cg, dir, base, subject, leaf, replace, &key);
    mbedtls_pk_free(&key);
    return ret;
}
