/* lanmsg-certgen --list: what is in a certificate directory, and whether
 * each certificate would be accepted by a peer that trusts ca.crt. */
#define _POSIX_C_SOURCE 200809L

#include "certgen.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/error.h"

#define CG_LIST_MAX 256

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The reason a certificate fails, in the user's words: the three a LAN
 * meets (expired, not yet valid, another CA) by name, the rest by number. */
static void verify_text(char *out, size_t len, uint32_t flags)
{
    if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
        lm_format(out, len, LM_M_CERTGEN_LIST_VERIFY_EXPIRED);
    else if (flags & MBEDTLS_X509_BADCERT_FUTURE)
        lm_format(out, len, LM_M_CERTGEN_LIST_VERIFY_FUTURE);
    else if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        lm_format(out, len, LM_M_CERTGEN_LIST_VERIFY_UNTRUSTED);
    else
        lm_format(out, len, LM_M_CERTGEN_LIST_VERIFY_OTHER, (unsigned)flags);
}

/* Show one certificate file. Text from the certificate is escaped: a file
 * dropped in the directory by someone else must not drive the terminal. */
static void show(const char *dir, const char *name, mbedtls_x509_crt *ca, int have_ca)
{
    char path[CG_MAX_PATH], dn[512], esc[1024], when[128], state[64] = "", sans_text[1024] = "";
    struct cg_san sans[CG_MAX_SANS];
    mbedtls_x509_crt crt;
    uint32_t flags = 0;

    cg_path(path, sizeof(path), dir, name);
    mbedtls_x509_crt_init(&crt);
    lm_info(LM_M_CERTGEN_LIST_FILE, name);
    if (mbedtls_x509_crt_parse_file(&crt, path) != 0) {
        lm_info(LM_M_CERTGEN_LIST_UNREADABLE);
        mbedtls_x509_crt_free(&crt);
        return;
    }
    mbedtls_x509_dn_gets(dn, sizeof(dn), &crt.subject);
    lm_escape(esc, sizeof(esc), dn, strlen(dn));
    lm_info(LM_M_CERTGEN_LIST_SUBJECT, esc);

    size_t n = cg_crt_sans(&crt, sans, CG_MAX_SANS);
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(sans_text);
        snprintf(sans_text + used, sizeof(sans_text) - used, "%s%s", i ? ", " : "", sans[i].text);
    }
    if (n > 0) {
        lm_escape(esc, sizeof(esc), sans_text, strlen(sans_text));
        lm_info(LM_M_CERTGEN_LIST_SANS, esc);
    }
    mbedtls_x509_dn_gets(dn, sizeof(dn), &crt.issuer);
    lm_escape(esc, sizeof(esc), dn, strlen(dn));
    lm_info(LM_M_CERTGEN_LIST_ISSUER, esc);

    snprintf(when, sizeof(when), "%04d-%02d-%02d %02d:%02d:%02d UTC", crt.valid_to.year,
             crt.valid_to.mon, crt.valid_to.day, crt.valid_to.hour, crt.valid_to.min,
             crt.valid_to.sec);
    if (mbedtls_x509_time_is_past(&crt.valid_to))
        lm_format(state, sizeof(state), LM_M_CERTGEN_LIST_EXPIRED);
    else if (mbedtls_x509_time_is_future(&crt.valid_from))
        lm_format(state, sizeof(state), LM_M_CERTGEN_LIST_NOT_YET);
    if (state[0] != '\0') {
        size_t used = strlen(when);
        snprintf(when + used, sizeof(when) - used, " %s", state);
    }
    lm_info(LM_M_CERTGEN_LIST_EXPIRES, when);

    if (!have_ca) {
        lm_info(LM_M_CERTGEN_LIST_NO_CA);
    } else if (mbedtls_x509_crt_verify(&crt, ca, NULL, NULL, &flags, NULL, NULL) == 0) {
        lm_info(LM_M_CERTGEN_LIST_VERIFY_OK);
    } else {
        char why[256];
        verify_text(why, sizeof(why), flags);
        lm_info(LM_M_CERTGEN_LIST_VERIFY_BAD, why);
    }
    mbedtls_x509_crt_free(&crt);
}

/* List every *.crt in dir, sorted, ca.crt first. Returns an exit code. */
int cg_list(const char *dir)
{
    DIR *d = opendir(dir);
    char *names[CG_LIST_MAX], path[CG_MAX_PATH];
    size_t n = 0;
    struct dirent *e;
    mbedtls_x509_crt ca;
    int have_ca;

    if (d == NULL) {
        char buf[CG_ERR_LEN];
        lm_format(buf, sizeof(buf), LM_M_CERTGEN_ERR_LIST_DIR, dir, strerror(errno));
        fprintf(stderr, "lanmsg-certgen: %s\n", buf);
        return LM_EXIT_USAGE;
    }
    while ((e = readdir(d)) != NULL && n < CG_LIST_MAX) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".crt") == 0 && e->d_name[0] != '.') {
            names[n] = malloc(len + 1);
            if (names[n] == NULL)
                break;
            memcpy(names[n++], e->d_name, len + 1);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), by_name);

    mbedtls_x509_crt_init(&ca);
    cg_path(path, sizeof(path), dir, "ca.crt");
    have_ca = mbedtls_x509_crt_parse_file(&ca, path) == 0;
    if (n == 0)
        lm_info(LM_M_CERTGEN_LIST_EMPTY, dir);
    if (have_ca)
        show(dir, "ca.crt", &ca, have_ca);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "ca.crt") != 0 || !have_ca)
            show(dir, names[i], &ca, have_ca);
        free(names[i]);
    }
    mbedtls_x509_crt_free(&ca);
    return LM_EXIT_OK;
}
