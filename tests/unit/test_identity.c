/* Unit tests for lanmsg's own keys and certificates (src/transport/
 * tls_identity.c), with real mbedTLS and, where installed, openssl as the
 * independent judge:
 *  - the server identity is made once (key 0600) and reused; a lost or
 *    damaged certificate is made again from the same key, so the
 *    fingerprint stays; a key others can read is refused;
 *  - its certificate: SANs for localhost, 127.0.0.1 and ::1, serverAuth,
 *    and a fingerprint that equals openssl's SHA-256 of the public key;
 *  - the issuing CA, and signing: a request for another name, or one whose
 *    signature is not by its key, is refused;
 *  - the calendar arithmetic behind certificate dates and known_servers. */
#define _POSIX_C_SOURCE 200809L

#include "transport/tls_identity.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/text.h"
#include "platform/paths.h"
#include "scratch.h"
#include "trust/fingerprint.h"
#include "trust/textfile.h"

#if !defined(_WIN32)
#include <sys/stat.h>
#endif

static char dir[512];

static int have_openssl(void)
{
#if defined(_WIN32)
    return 0;
#else
    return system("openssl version >/dev/null 2>&1") == 0;
#endif
}

static void hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void test_dates(void)
{
    int f[6];
    lm_tf_utc(0, f);
    CHECK(f[0] == 1970 && f[1] == 1 && f[2] == 1 && f[3] == 0 && f[4] == 0 && f[5] == 0);
    lm_tf_utc(951782400, f); /* a leap day of a century divisible by 400 */
    CHECK(f[0] == 2000 && f[1] == 2 && f[2] == 29);
    lm_tf_utc(1767225599, f);
    CHECK(f[0] == 2025 && f[1] == 12 && f[2] == 31 && f[3] == 23 && f[4] == 59 && f[5] == 59);
    lm_tf_utc(4107542400LL, f); /* 2100 is not a leap year */
    CHECK(f[0] == 2100 && f[1] == 3 && f[2] == 1);
    char today[LM_TF_DATE_LEN];
    lm_tf_today(today);
    CHECK(lm_tf_date_ok(today));
}

static void test_server_identity(void)
{
    char crt[LM_PATH_MAX], key[LM_PATH_MAX], err[512], text[LM_FP_TEXT_MAX];
    unsigned char fp1[32], fp2[32], fp3[32];
    int created = 0;

    CHECK(lm_id_server(dir, "192.168.7.7", crt, sizeof crt, key, sizeof key, fp1, &created, err,
                       sizeof err) == 0);
    CHECK(created == 1);
#if !defined(_WIN32)
    CHECK(lm_file_mode(key, err, sizeof err) == 0600);
#endif
    /* the second start reuses it */
    CHECK(lm_id_server(dir, "192.168.7.7", crt, sizeof crt, key, sizeof key, fp2, &created, err,
                       sizeof err) == 0);
    CHECK(created == 0 && lm_fp_equal(fp1, fp2));
    CHECK(lm_id_cert_file_fp(crt, fp3, err, sizeof err) == 0 && lm_fp_equal(fp1, fp3));

    /* a lost certificate is made again from the key: same fingerprint */
    CHECK(remove(crt) == 0);
    CHECK(lm_id_server(dir, "192.168.7.7", crt, sizeof crt, key, sizeof key, fp2, &created, err,
                       sizeof err) == 0);
    CHECK(created == 0 && lm_fp_equal(fp1, fp2));
    /* so is a damaged one */
    write_text(crt, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
    CHECK(lm_id_server(dir, "192.168.7.7", crt, sizeof crt, key, sizeof key, fp2, &created, err,
                       sizeof err) == 0);
    CHECK(lm_fp_equal(fp1, fp2));

    lm_fp_format(fp1, text);
    printf("server fingerprint: %s\n", text);

    if (have_openssl()) {
        char cmd[3000], h[65];
        hex(fp1, 32, h);
        snprintf(cmd, sizeof cmd,
                 "openssl x509 -in '%s' -noout -pubkey | openssl pkey -pubin -outform der | "
                 "openssl dgst -sha256 | grep -q '%s'",
                 crt, h);
        CHECK(system(cmd) == 0);
        snprintf(cmd, sizeof cmd,
                 "openssl x509 -in '%s' -noout -ext subjectAltName,extendedKeyUsage > '%s/ext.txt'",
                 crt, dir);
        CHECK(system(cmd) == 0);
        char path[700];
        join(path, sizeof path, dir, "ext.txt");
        char *ext = read_text(path);
        CHECK(ext && strstr(ext, "DNS:localhost") && strstr(ext, "IP Address:127.0.0.1") &&
              strstr(ext, "IP Address:0:0:0:0:0:0:0:1") && strstr(ext, "IP Address:192.168.7.7") &&
              strstr(ext, "TLS Web Server Authentication"));
        free(ext);
        /* it verifies as its own trust anchor (what a client with --ca
         * server.crt would do) */
        snprintf(cmd, sizeof cmd, "openssl verify -CAfile '%s' '%s' >/dev/null", crt, crt);
        CHECK(system(cmd) == 0);
    }

#if !defined(_WIN32)
    /* a key others can read is refused, with the fix */
    CHECK(chmod(key, 0644) == 0);
    CHECK(lm_id_server(dir, "192.168.7.7", crt, sizeof crt, key, sizeof key, fp2, &created, err,
                       sizeof err) != 0);
    CHECK(strstr(err, "chmod 600") != NULL && strchr(err, '\n') == NULL);
    CHECK(chmod(key, 0600) == 0);
    /* a state folder others can read is refused before anything is read */
    CHECK(chmod(dir, 0755) == 0);
    CHECK(lm_id_server(dir, "192.168.7.7", crt, sizeof crt, key, sizeof key, fp2, &created, err,
                       sizeof err) != 0);
    CHECK(strstr(err, "chmod 700") != NULL);
    CHECK(chmod(dir, 0700) == 0);
#endif
    /* a key file that is not a key */
    char other[600];
    snprintf(other, sizeof other, "%s/broken", dir);
    CHECK(lm_make_dir(other, 0700) == 0);
    char bad_key[700];
    join(bad_key, sizeof bad_key, other, LM_ID_SERVER_KEY);
    CHECK(lm_file_write_atomic(bad_key, "garbage\n", 8, 0600, err, sizeof err) == 0);
    CHECK(lm_id_server(other, NULL, crt, sizeof crt, key, sizeof key, fp2, &created, err,
                       sizeof err) != 0);
    CHECK(strstr(err, "not a private key") != NULL);
}

static void test_issuing(void)
{
    char crt[LM_PATH_MAX], err[512];
    unsigned char fp1[32], fp2[32];
    int created = 0;
    lm_id_request req;
    lm_id_issued out;

    CHECK(lm_id_issuer(dir, crt, sizeof crt, fp1, &created, err, sizeof err) == 0 && created);
    CHECK(lm_id_issuer(dir, crt, sizeof crt, fp2, &created, err, sizeof err) == 0 && !created);
    CHECK(lm_fp_equal(fp1, fp2));

    CHECK(lm_id_request_new("bob", &req, err, sizeof err) == 0);
    CHECK(req.key_pem && strstr(req.key_pem, "PRIVATE KEY") && req.csr_len > 100);
    unsigned char rfp[32];
    CHECK(lm_id_request_fp(req.csr_der, req.csr_len, rfp, err, sizeof err) == 0);
    CHECK(lm_fp_equal(rfp, req.key_fp));

    /* another name than the request's */
    CHECK(lm_id_sign_request(dir, "alice", req.csr_der, req.csr_len, 30, &out, err, sizeof err) ==
          LM_ID_BAD_REQUEST);
    CHECK(strstr(err, "CN=alice") != NULL);
    /* a request whose signature is not by its key */
    unsigned char *bent = malloc(req.csr_len);
    memcpy(bent, req.csr_der, req.csr_len);
    bent[req.csr_len - 5] ^= 0x10;
    CHECK(lm_id_sign_request(dir, "bob", bent, req.csr_len, 30, &out, err, sizeof err) ==
          LM_ID_BAD_REQUEST);
    free(bent);
    /* garbage */
    CHECK(lm_id_sign_request(dir, "bob", (const unsigned char *)"xyz", 3, 30, &out, err,
                             sizeof err) == LM_ID_BAD_REQUEST);

    /* the real thing */
    CHECK(lm_id_sign_request(dir, "bob", req.csr_der, req.csr_len, 30, &out, err, sizeof err) == 0);
    CHECK(lm_fp_equal(out.key_fp, req.key_fp) && strlen(out.serial) == 32);
    char *pem = NULL;
    CHECK(lm_id_check_issued(&req, "bob", out.der, out.len, &pem, err, sizeof err) == 0);
    CHECK(pem && strstr(pem, "BEGIN CERTIFICATE"));
    free(pem);
    /* not for this name, or not for this key */
    CHECK(lm_id_check_issued(&req, "bobby", out.der, out.len, &pem, err, sizeof err) != 0);
    lm_id_request other;
    CHECK(lm_id_request_new("bob", &other, err, sizeof err) == 0);
    CHECK(lm_id_check_issued(&other, "bob", out.der, out.len, &pem, err, sizeof err) != 0);
    CHECK(strstr(err, "not a client certificate for our key") != NULL);
    lm_id_request_free(&other);

    if (have_openssl()) {
        char path[700], cmd[6000];
        join(path, sizeof path, dir, "bob.der");
        FILE *f = fopen(path, "wb");
        CHECK(f && fwrite(out.der, 1, out.len, f) == out.len && fclose(f) == 0);
        snprintf(cmd, sizeof cmd,
                 "openssl x509 -inform der -in '%s' -out '%s.pem' && "
                 "openssl verify -CAfile '%s' -purpose sslclient '%s.pem' >/dev/null && "
                 "! openssl verify -CAfile '%s' -purpose sslserver '%s.pem' >/dev/null 2>&1",
                 path, path, crt, path, crt, path);
        CHECK(system(cmd) == 0);
    }
    lm_id_issued_free(&out);
    lm_id_request_free(&req);
}

int main(void)
{
    lm_lang_init("en");
    scratch_dir(dir, sizeof dir, "identity");
    test_dates();
    test_server_identity();
    test_issuing();
    puts("identity: ok");
    return 0;
}
