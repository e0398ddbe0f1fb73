/* lanmsg known_servers: parse, look up, change one line, write back. */
#include "trust/known_servers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/net.h"
#include "platform/os.h"
#include "util/text.h"
#include "platform/paths.h"

#define KNOWN_FILE_MAX (4u << 20) /* a file this size is not ours */

static const char header[] =
    "# lanmsg known servers: the key each server had when this client first trusted it.\n"
    "# One server per line: HOST:PORT FINGERPRINT FIRST-SEEN (a date, YYYY-MM-DD).\n"
    "# The fingerprint is what `lanmsg-server --show-id` prints on the server.\n"
    "# lanmsg-client refuses a server whose key differs from its line here; if the\n"
    "# change is expected, delete the line (or run lanmsg-client --forget HOST:PORT).\n"
    "# Lines starting with # are comments; edit the file by hand if you like.\n";

struct lm_known {
    lm_tf tf;
    lm_known_entry *e;
    size_t n, cap;
};

static void set_err(char *err, size_t errlen, lm_msg_id id, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, id);
    lm_vformat(err, errlen, id, ap);
    va_end(ap);
}

/* ==== host:port ==== */

/* Letters, digits, '-', '_' and dots between labels of at most 63: a name
 * as LANs write them (NetBIOS-style underscores included). Digits and dots
 * alone are a mistyped address ("192.168.001.10"), not a name. */
static int name_ok(const char *s, size_t n)
{
    size_t label = 0;
    if (strspn(s, "0123456789.") == n)
        return 0;
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
        if (++label > 63)
            return 0;
    }
    return label > 0;
}

int lm_known_key(const char *host, int port, char *out, size_t len, char *err, size_t errlen)
{
    char h[256], shown[80];
    unsigned char ip[16];
    size_t n = strlen(host);
    int iplen, w;

    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    if (port < 1 || port > 65535) {
        set_err(err, errlen, LM_M_KNOWN_BAD_PORT, port);
        return -1;
    }
    if (n >= sizeof h) {
        lm_escape(shown, sizeof shown, host, n);
        set_err(err, errlen, LM_M_KNOWN_BAD_HOST, shown);
        return -1;
    }
    memcpy(h, host, n);
    h[n] = '\0';
    iplen = lm_ip_parse(h, ip);
    if (iplen == 4 || iplen == 16) {
        char text[64];
        lm_ip_format(ip, (size_t)iplen, text, sizeof text);
        w = iplen == 16 ? snprintf(out, len, "[%s]:%d", text, port)
                        : snprintf(out, len, "%s:%d", text, port);
    } else {
        if (n > 1 && h[n - 1] == '.')
            h[--n] = '\0';
        if (!name_ok(h, n)) {
            lm_escape(shown, sizeof shown, host, strlen(host));
            set_err(err, errlen, LM_M_KNOWN_BAD_HOST, shown);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (h[i] >= 'A' && h[i] <= 'Z')
                h[i] = (char)(h[i] - 'A' + 'a');
        w = snprintf(out, len, "%s:%d", h, port);
    }
    if (w < 0 || (size_t)w >= len) {
        set_err(err, errlen, LM_M_KNOWN_BAD_HOST, h);
        return -1;
    }
    return 0;
}

static int parse_port(const char *s, size_t n)
{
    int port = 0;
    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        port = port * 10 + (s[i] - '0');
    }
    return port;
}

int lm_known_key_parse(const char *text, int default_port, char *out, size_t len, char *err,
                       size_t errlen)
{
    char host[300], shown[80];
    const char *colon, *port_text = NULL;
    size_t hl;
    int port = default_port;

    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || (close[1] && close[1] != ':'))
            goto bad;
        hl = (size_t)(close - text - 1);
        if (hl >= sizeof host)
            goto bad;
        memcpy(host, text + 1, hl);
        host[hl] = '\0';
        if (close[1] == ':')
            port_text = close + 2;
    } else {
        colon = strchr(text, ':');
        /* One colon separates a port; more make a bare IPv6 address. */
        hl = (colon && !strchr(colon + 1, ':')) ? (size_t)(colon - text) : strlen(text);
        if (hl >= sizeof host)
            goto bad;
        memcpy(host, text, hl);
        host[hl] = '\0';
        if (text[hl] == ':')
            port_text = text + hl + 1;
    }
    if (!port_text && default_port == 0) {
        /* In the file the port is part of the key: a host alone names no
         * server. */
        set_err(err, errlen, LM_M_KNOWN_NO_PORT);
        return -1;
    }
    if (port_text) {
        port = parse_port(port_text, strlen(port_text));
        if (port < 1 || port > 65535) {
            lm_escape(shown, sizeof shown, port_text, strlen(port_text));
            set_err(err, errlen, LM_M_KNOWN_BAD_PORT_TEXT, shown);
            return -1;
        }
    }
    return lm_known_key(host, port, out, len, err, errlen);
bad:
    lm_escape(shown, sizeof shown, text, strlen(text));
    set_err(err, errlen, LM_M_KNOWN_BAD_HOST, shown);
    return -1;
}

/* ==== the list ==== */

static lm_known_entry *entry_new(lm_known *k)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 8;
        lm_known_entry *ne = realloc(k->e, cap * sizeof *ne);
        if (!ne)
            return NULL;
        k->e = ne;
        k->cap = cap;
    }
    memset(&k->e[k->n], 0, sizeof k->e[0]);
    return &k->e[k->n++];
}

void lm_known_free(lm_known *k)
{
    if (!k)
        return;
    lm_tf_free(&k->tf);
    free(k->e);
    free(k);
}

size_t lm_known_count(const lm_known *k)
{
    return k->n;
}

const lm_known_entry *lm_known_at(const lm_known *k, size_t i)
{
    return i < k->n ? &k->e[i] : NULL;
}

const lm_known_entry *lm_known_find(const lm_known *k, const char *key)
{
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->e[i].key, key) == 0)
            return &k->e[i];
    return NULL;
}

/* One line's error, as "PATH line N: what (fix)". */
static void line_err(char *err, size_t errlen, const char *name, size_t line, const char *what)
{
    set_err(err, errlen, LM_M_KNOWN_LINE, name, line + 1, what);
}

lm_known *lm_known_parse(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    lm_known *k = calloc(1, sizeof *k);
    char buf[LM_TF_LINE_MAX], why[300];
    char *f[3];

    if (!k || lm_tf_split(&k->tf, text, len) != 0) {
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
        lm_known_free(k);
        return NULL;
    }
    for (size_t i = 0; i < k->tf.n; i++) {
        int nf = lm_tf_fields(&k->tf, i, buf, f, 3);
        lm_known_entry *e;
        const lm_known_entry *dup;

        if (nf == 0)
            continue;
        if (nf != 3) {
            lm_format(why, sizeof why, nf < 0 ? LM_M_TF_UNREADABLE : LM_M_KNOWN_FIELDS);
            goto bad;
        }
        e = entry_new(k);
        if (!e) {
            set_err(err, errlen, LM_M_OUT_OF_MEMORY);
            lm_known_free(k);
            return NULL;
        }
        e->line = i;
        if (lm_known_key_parse(f[0], 0, e->key, sizeof e->key, why, sizeof why) != 0)
            goto bad;
        if (lm_fp_parse(f[1], e->fp, why, sizeof why) != 0)
            goto bad;
        if (!lm_tf_date_ok(f[2])) {
            lm_format(why, sizeof why, LM_M_TF_BAD_DATE, f[2]);
            goto bad;
        }
        memcpy(e->date, f[2], LM_TF_DATE_LEN);
        k->n--; /* look for a duplicate without finding ourselves */
        dup = lm_known_find(k, e->key);
        k->n++;
        if (dup) {
            lm_format(why, sizeof why, LM_M_KNOWN_DUPLICATE, e->key, dup->line + 1);
            goto bad;
        }
        continue;
    bad:
        line_err(err, errlen, name, i, why);
        lm_known_free(k);
        return NULL;
    }
    return k;
}

lm_known *lm_known_load(const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    lm_known *k;
    int rc = lm_file_read_all(path, KNOWN_FILE_MAX, &text, &len, err, errlen);
    if (rc < 0)
        return NULL;
    if (lm_file_check_mode(path, 0, err, errlen) != 0) {
        free(text);
        return NULL;
    }
    k = lm_known_parse(text ? text : "", len, path, err, errlen);
    free(text);
    return k;
}

int lm_known_add(lm_known *k, const char *key, const unsigned char fp[LM_FP_LEN], const char *date,
                 char *err, size_t errlen)
{
    char line[LM_KNOWN_KEY_MAX + LM_FP_TEXT_MAX + LM_TF_DATE_LEN + 4], text[LM_FP_TEXT_MAX];
    const lm_known_entry *old = lm_known_find(k, key);
    lm_known_entry *e;

    if (old) {
        char was[LM_FP_TEXT_MAX];
        lm_fp_format(old->fp, was);
        set_err(err, errlen, LM_M_KNOWN_EXISTS, key, was, key);
        return -1;
    }
    if (!lm_tf_date_ok(date)) {
        set_err(err, errlen, LM_M_TF_BAD_DATE, date);
        return -1;
    }
    lm_fp_format(fp, text);
    snprintf(line, sizeof line, "%s %s %s", key, text, date);
    if (k->tf.n == 0 && lm_tf_split(&k->tf, header, sizeof header - 1) != 0)
        goto oom;
    if (lm_tf_append(&k->tf, line) != 0 || (e = entry_new(k)) == NULL)
        goto oom;
    snprintf(e->key, sizeof e->key, "%s", key);
    memcpy(e->fp, fp, LM_FP_LEN);
    memcpy(e->date, date, LM_TF_DATE_LEN);
    e->line = k->tf.n - 1;
    return 0;
oom:
    set_err(err, errlen, LM_M_OUT_OF_MEMORY);
    return -1;
}

int lm_known_remove(lm_known *k, const char *key)
{
    for (size_t i = 0; i < k->n; i++) {
        if (strcmp(k->e[i].key, key) != 0)
            continue;
        k->tf.lines[k->e[i].line].removed = 1;
        memmove(&k->e[i], &k->e[i + 1], (k->n - i - 1) * sizeof k->e[0]);
        k->n--;
        return 1;
    }
    return 0;
}

char *lm_known_text(const lm_known *k, size_t *len)
{
    return lm_tf_join(&k->tf, len);
}

static int save(const lm_known *k, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = lm_known_text(k, &len);
    int rc;
    if (!text) {
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
        return -1;
    }
    rc = lm_file_write_atomic(path, text, len, 0644, err, errlen);
    free(text);
    return rc;
}

int lm_known_remember(const char *path, const char *key, const unsigned char fp[LM_FP_LEN],
                      const char *date, char *err, size_t errlen)
{
    char dir[LM_PATH_MAX];
    lm_known *k;
    int rc = -1;

    /* The first server ever trusted makes the folder (0700, checked). */
    lm_path_dir(path, dir, sizeof dir);
    if (lm_dir_prepare(dir, LM_DIR_CONFIG, err, errlen) != 0)
        return -1;
    k = lm_known_load(path, err, errlen);
    if (!k)
        return -1;
    if (lm_known_add(k, key, fp, date, err, errlen) == 0)
        rc = save(k, path, err, errlen);
    lm_known_free(k);
    return rc;
}

int lm_known_forget(const char *path, const char *key, int *removed, char *err, size_t errlen)
{
    lm_known *k = lm_known_load(path, err, errlen);
    int rc = 0;
    *removed = 0;
    if (!k)
        return -1;
    if (lm_known_remove(k, key)) {
        *removed = 1;
        rc = save(k, path, err, errlen);
    }
    lm_known_free(k);
    return rc;
}
