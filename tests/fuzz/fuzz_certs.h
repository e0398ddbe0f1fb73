/* Shared by the TLS fuzz targets: a directory of real certificates, made
 * once per process by the lanmsg-certgen that sits next to the fuzzer in
 * build/bin, and removed at exit. A test harness, so plain POSIX calls. */
#ifndef LANMSG_FUZZ_CERTS_H
#define LANMSG_FUZZ_CERTS_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lanmsg/tls.h"

static char fz_dir[PATH_MAX];

static inline void fz_cleanup(void)
{
    char cmd[PATH_MAX + 16];
    if (fz_dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fz_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "fuzz: could not remove %s\n", fz_dir);
    }
}

/* Path of a file in the certificate directory, making it on first use. */
static inline const char *fz_cert(const char *name)
{
    static char path[4][PATH_MAX + 32];
    static int slot;
    if (!fz_dir[0]) {
        char exe[PATH_MAX], cmd[3 * PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            abort();
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        snprintf(fz_dir, sizeof fz_dir, "/tmp/lanmsg-fuzz-XXXXXX");
        if (!mkdtemp(fz_dir))
            abort();
        atexit(fz_cleanup);
        snprintf(cmd, sizeof cmd, "'%s/lanmsg-certgen' --out '%s/c' --client alice >/dev/null", exe,
                 fz_dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "fuzz: %s failed (build lanmsg-certgen first)\n", cmd);
            abort();
        }
    }
    slot = (slot + 1) % 4;
    snprintf(path[slot], sizeof path[slot], "%s/c/%s", fz_dir, name);
    return path[slot];
}

/* Write the fuzzer's bytes to a private file in the same directory. */
static inline const char *fz_write(const char *name, const void *data, size_t len)
{
    const char *p = fz_cert(name);
    FILE *f = fopen(p, "wb");
    if (!f)
        abort();
    if (len && fwrite(data, 1, len, f) != len)
        abort();
    fclose(f);
    if (chmod(p, 0600) != 0)
        abort();
    return p;
}

/* A server TLS configuration (DTLS with datagram) from those certificates,
 * made once per process; a failure ends the run. */
static inline lm_tls_config *fz_server_config(int datagram)
{
    static lm_tls_config *cfg[2];
    if (!cfg[!!datagram]) {
        lm_tls_options o;
        char err[512];
        int code;
        memset(&o, 0, sizeof o);
        o.is_server = 1;
        o.datagram = datagram;
        o.cert_file = fz_cert("server.crt");
        o.key_file = fz_cert("server.key");
        o.ca_file = fz_cert("ca.crt");
        cfg[!!datagram] = lm_tls_config_new(&o, err, sizeof err, &code);
        if (!cfg[!!datagram]) {
            fprintf(stderr, "fuzz: %s\n", err);
            abort();
        }
    }
    return cfg[!!datagram];
}

#endif
