/* lanmsg certificate writing: see x509_write.h. Every difference between
 * mbedTLS 2.28 and 3.x is behind mbedtls_compat.h's certificate section. */
#include "transport/x509_write.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509.h>

#define LM_CERTGEN 1 /* the compat header's certificate-writing section */
#include "transport/mbedtls_compat.h"

#define EXT_MAX 4096

/* SubjectAltName: SEQUENCE OF GeneralName, with dNSName as [2] IA5String
 * and iPAddress as [7] OCTET STRING (RFC 5280 4.2.1.6). asn1write fills the
 * buffer from its end, so entries go in last first. Returns the DER length
 * (ending at buf + size) or a negative mbedTLS code. */
static int der_san(unsigned char *buf, size_t size, const lm_x509_san *sans, size_t n)
{
    unsigned char *p = buf + size;
    size_t len = 0;
    int ret;

    for (size_t i = n; i-- > 0;) {
        const lm_x509_san *s = &sans[i];
        size_t one = 0;
        if (s->is_ip)
            MBEDTLS_ASN1_CHK_ADD(one, mbedtls_asn1_write_raw_buffer(&p, buf, s->ip, s->ip_len));
        else
            MBEDTLS_ASN1_CHK_ADD(one, mbedtls_asn1_write_raw_buffer(&p, buf,
                                                                    (const unsigned char *)s->text,
                                                                    strlen(s->text)));
        MBEDTLS_ASN1_CHK_ADD(one, mbedtls_asn1_write_len(&p, buf, one));
        MBEDTLS_ASN1_CHK_ADD(one,
                             mbedtls_asn1_write_tag(&p, buf,
                                                    MBEDTLS_ASN1_CONTEXT_SPECIFIC |
                                                        (s->is_ip ? MBEDTLS_X509_SAN_IP_ADDRESS
                                                                  : MBEDTLS_X509_SAN_DNS_NAME)));
        len += one;
    }
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, len));
    MBEDTLS_ASN1_CHK_ADD(
        len, mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
    return (int)len;
}

/* extendedKeyUsage: SEQUENCE OF one KeyPurposeId. */
static int der_eku(unsigned char *buf, size_t size, const char *oid, size_t oid_len)
{
    unsigned char *p = buf + size;
    size_t len = 0;
    int ret;

    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(&p, buf, oid, oid_len));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, len));
    MBEDTLS_ASN1_CHK_ADD(
        len, mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
    return (int)len;
}

/* x509_dn_gets separates attributes with ", " but string_to_names (2.28)
 * does not skip the space, so drop a space after each unescaped comma. */
static void dn_compact(char *dn)
{
    char *w = dn;
    for (const char *r = dn; *r; r++) {
        if (*r == '\\' && r[1]) {
            *w++ = *r++;
            *w++ = *r;
            continue;
        }
        *w++ = *r;
        if (*r == ',' && r[1] == ' ')
            r++;
    }
    *w = '\0';
}

int lm_x509_subject_text(const mbedtls_x509_crt *crt, char *out, size_t len)
{
    if (mbedtls_x509_dn_gets(out, len, &crt->subject) < 0)
        return -1;
    dn_compact(out);
    return 0;
}

int lm_x509_serial(int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
                   unsigned char out[LM_X509_SERIAL_LEN])
{
    int ret = f_rng(p_rng, out, LM_X509_SERIAL_LEN);
    if (ret != 0)
        return ret;
    out[0] &= 0x7f;
    if (out[0] == 0)
        out[0] = 0x01;
    return 0;
}

int lm_x509_write_crt(const lm_x509_spec *s, mbedtls_pk_context *subject_key,
                      mbedtls_pk_context *issuer_key, int (*f_rng)(void *, unsigned char *, size_t),
                      void *p_rng, unsigned char *pem, size_t pem_len, const char **step)
{
    mbedtls_x509write_cert crt;
    unsigned char ext[EXT_MAX];
    int ret, len;
    int is_ca = s->role == LM_X509_CA;

    *step = "x509write";
    mbedtls_x509write_crt_init(&crt);
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, subject_key);
    mbedtls_x509write_crt_set_issuer_key(&crt, issuer_key);

    *step = "serial";
    if ((ret = lm_cg_set_serial(&crt, s->serial, s->serial_len)) != 0)
        goto out;
    *step = "validity";
    if ((ret = mbedtls_x509write_crt_set_validity(&crt, s->not_before, s->not_after)) != 0)
        goto out;
    *step = "subject";
    if ((ret = mbedtls_x509write_crt_set_subject_name(&crt, s->subject)) != 0)
        goto out;
    *step = "issuer";
    if ((ret = mbedtls_x509write_crt_set_issuer_name(&crt, s->issuer ? s->issuer : s->subject)) !=
        0)
        goto out;
    *step = "basicConstraints";
    if ((ret = mbedtls_x509write_crt_set_basic_constraints(&crt, is_ca, is_ca ? 0 : -1)) != 0)
        goto out;
    *step = "subjectKeyIdentifier";
    if ((ret = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0)
        goto out;
    *step = "authorityKeyIdentifier";
    if ((ret = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) != 0)
        goto out;

    unsigned int ku = MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
    if (is_ca)
        ku = MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN;
    else if (s->role == LM_X509_SERVER && mbedtls_pk_get_type(subject_key) == MBEDTLS_PK_RSA)
        ku |= MBEDTLS_X509_KU_KEY_ENCIPHERMENT; /* RSA key exchange, for old clients */
    *step = "keyUsage";
    if ((ret = mbedtls_x509write_crt_set_key_usage(&crt, (unsigned char)ku)) != 0)
        goto out;

    if (!is_ca) {
        int server = s->role == LM_X509_SERVER;
        const char *oid = server ? MBEDTLS_OID_SERVER_AUTH : MBEDTLS_OID_CLIENT_AUTH;
        size_t oid_len = server ? MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)
                                : MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH);
        *step = "extendedKeyUsage";
        if ((len = der_eku(ext, sizeof(ext), oid, oid_len)) < 0) {
            ret = len;
            goto out;
        }
        ret = mbedtls_x509write_crt_set_extension(&crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
                                                  MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE),
                                                  0, ext + sizeof(ext) - len, (size_t)len);
        if (ret != 0)
            goto out;
    }
    if (s->nsans > 0) {
        *step = "subjectAltName";
        if ((len = der_san(ext, sizeof(ext), s->sans, s->nsans)) < 0) {
            ret = len;
            goto out;
        }
        /* Not critical: the subject is not empty (RFC 5280 4.2.1.6). */
        ret = mbedtls_x509write_crt_set_extension(&crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                                  MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                                                  ext + sizeof(ext) - len, (size_t)len);
        if (ret != 0)
            goto out;
    }
    *step = "sign";
    ret = mbedtls_x509write_crt_pem(&crt, pem, pem_len, f_rng, p_rng);
out:
    mbedtls_x509write_crt_free(&crt);
    return ret;
}
