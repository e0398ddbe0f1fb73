/* lanmsg enrolled clients: parse, look up, enrol, revoke, write back. */
#include "trust/enrolled.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "platform/paths.h"

#define ENROLLED_FILE_MAX (4u << 20)
#define ACTIVE            "active"
#define REVOKED           "revoked:"

static const char header[] =
    "# lanmsg enrolled clients: certificates this server issued through pairing.\n"
    "# NAME KEY-FINGERPRINT SERIAL ISSUED STATUS (active, or revoked:DATE)\n"
    "# Revoke with lanmsg-server --revoke NAME; a revoked key is refused at the handshake.\n";

struct lm_enrolled {
    lm_tf tf;
    lm_enrolled_entry *e;
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

int lm_enrolled_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > LM_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

int lm_enrolled_name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static int serial_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > LM_SERIAL_HEX_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    return 1;
}

static lm_enrolled_entry *entry_new(lm_enrolled *e)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        lm_enrolled_entry *ne = realloc(e->e, cap * sizeof *ne);
        if (!ne)
            return NULL;
        e->e = ne;
        e->cap = cap;
    }
    memset(&e->e[e->n], 0, sizeof e->e[0]);
    return &e->e[e->n++];
}

void lm_enrolled_free(lm_enrolled *e)
{
    if (!e)
        return;
    lm_tf_free(&e->tf);
    free(e->e);
    free(e);
}

size_t lm_enrolled_count(const lm_enrolled *e)
{
    return e->n;
}

const lm_enrolled_entry *lm_enrolled_at(const lm_enrolled *e, size_t i)
{
    return i < e->n ? &e->e[i] : NULL;
}

const lm_enrolled_entry *lm_enrolled_find_key(const lm_enrolled *e,
                                              const unsigned char fp[LM_FP_LEN])
{
    for (size_t i = 0; i < e->n; i++)
        if (lm_fp_equal(e->e[i].fp, fp))
            return &e->e[i];
    return NULL;
}

const lm_enrolled_entry *lm_enrolled_find_name(const lm_enrolled *e, const char *name)
{
    for (size_t i = 0; i < e->n; i++)
        if (!e->e[i].revoked && lm_enrolled_name_eq(e->e[i].name, name))
            return &e->e[i];
    return NULL;
}

/* A status field: "active" or "revoked:DATE". */
static int parse_status(const char *s, lm_enrolled_entry *out)
{
    if (strcmp(s, ACTIVE) == 0)
        return 0;
    if (strncmp(s, REVOKED, strlen(REVOKED)) == 0 && lm_tf_date_ok(s + strlen(REVOKED))) {
        out->revoked = 1;
        memcpy(out->revoked_on, s + strlen(REVOKED), LM_TF_DATE_LEN);
        return 0;
    }
    return -1;
}

lm_enrolled *lm_enrolled_parse(const char *text, size_t len, const char *name, char *err,
                               size_t errlen)
{
    lm_enrolled *e = calloc(1, sizeof *e);
    char buf[LM_TF_LINE_MAX], why[300];
    char *f[5];

    if (!e || lm_tf_split(&e->tf, text, len) != 0) {
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
        lm_enrolled_free(e);
        return NULL;
    }
    for (size_t i = 0; i < e->tf.n; i++) {
        int nf = lm_tf_fields(&e->tf, i, buf, f, 5);
        lm_enrolled_entry *x;
        const lm_enrolled_entry *dup;

        if (nf == 0)
            continue;
        if (nf != 5) {
            lm_format(why, sizeof why, nf < 0 ? LM_M_TF_UNREADABLE : LM_M_ENROL_FIELDS);
            goto bad;
        }
        if (!(x = entry_new(e))) {
            set_err(err, errlen, LM_M_OUT_OF_MEMORY);
            lm_enrolled_free(e);
            return NULL;
        }
        x->line = i;
        if (!lm_enrolled_name_ok(f[0])) {
            char shown[80];
            lm_escape(shown, sizeof shown, f[0], strlen(f[0]));
            lm_format(why, sizeof why, LM_M_ENROL_BAD_NAME, shown);
            goto bad;
        }
        snprintf(x->name, sizeof x->name, "%s", f[0]);
        if (lm_fp_parse(f[1], x->fp, why, sizeof why) != 0)
            goto bad;
        if (!serial_ok(f[2])) {
            lm_format(why, sizeof why, LM_M_ENROL_BAD_SERIAL);
            goto bad;
        }
        snprintf(x->serial, sizeof x->serial, "%s", f[2]);
        if (!lm_tf_date_ok(f[3])) {
            lm_format(why, sizeof why, LM_M_TF_BAD_DATE, f[3]);
            goto bad;
        }
        memcpy(x->issued, f[3], LM_TF_DATE_LEN);
        if (parse_status(f[4], x) != 0) {
            lm_format(why, sizeof why, LM_M_ENROL_BAD_STATUS);
            goto bad;
        }
        /* A key appears once; a name is active once. */
        e->n--;
        dup = lm_enrolled_find_key(e, x->fp);
        if (!dup && !x->revoked)
            dup = lm_enrolled_find_name(e, x->name);
        e->n++;
        if (dup) {
            lm_format(why, sizeof why, LM_M_ENROL_DUPLICATE, dup->line + 1);
            goto bad;
        }
        continue;
    bad:
        set_err(err, errlen, LM_M_ENROL_LINE, name, i + 1, why);
        lm_enrolled_free(e);
        return NULL;
    }
    return e;
}

lm_enrolled *lm_enrolled_load(const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    lm_enrolled *e;
    if (lm_file_read_all(path, ENROLLED_FILE_MAX, &text, &len, err, errlen) < 0)
        return NULL;
    if (lm_file_check_mode(path, 0, err, errlen) != 0) {
        free(text);
        return NULL;
    }
    e = lm_enrolled_parse(text ? text : "", len, path, err, errlen);
    free(text);
    return e;
}

int lm_enrolled_check(const lm_enrolled *e, const char *name, const unsigned char fp[LM_FP_LEN],
                      char *err, size_t errlen)
{
    const lm_enrolled_entry *by_key, *by_name;
    char shown[80];

    if (!lm_enrolled_name_ok(name)) {
        lm_escape(shown, sizeof shown, name, strlen(name));
        set_err(err, errlen, LM_M_ENROL_BAD_NAME, shown);
        return LM_ENROL_BAD_NAME;
    }
    by_key = lm_enrolled_find_key(e, fp);
    if (by_key && by_key->revoked) {
        set_err(err, errlen, LM_M_ENROL_KEY_REVOKED, by_key->name);
        return LM_ENROL_KEY_REVOKED;
    }
    if (by_key && !lm_enrolled_name_eq(by_key->name, name)) {
        set_err(err, errlen, LM_M_ENROL_KEY_TAKEN, by_key->name);
        return LM_ENROL_KEY_TAKEN;
    }
    by_name = lm_enrolled_find_name(e, name);
    if (by_name && !lm_fp_equal(by_name->fp, fp)) {
        set_err(err, errlen, LM_M_ENROL_NAME_TAKEN, by_name->name, by_name->issued, by_name->name);
        return LM_ENROL_NAME_TAKEN;
    }
    return 0;
}

static void entry_line(const lm_enrolled_entry *x, char *out, size_t len)
{
    char fp[LM_FP_TEXT_MAX], status[32];
    lm_fp_format(x->fp, fp);
    if (x->revoked)
        snprintf(status, sizeof status, REVOKED "%s", x->revoked_on);
    else
        snprintf(status, sizeof status, ACTIVE);
    snprintf(out, len, "%s %s %s %s %s", x->name, fp, x->serial, x->issued, status);
}

int lm_enrolled_add(lm_enrolled *e, const char *name, const unsigned char fp[LM_FP_LEN],
                    const char *serial_hex, const char *date, char *err, size_t errlen)
{
    char line[LM_TF_LINE_MAX];
    lm_enrolled_entry *x = (lm_enrolled_entry *)lm_enrolled_find_key(e, fp);
    int rc;

    if (lm_enrolled_check(e, name, fp, err, errlen) != 0)
        return -1;
    if (!serial_ok(serial_hex) || !lm_tf_date_ok(date)) {
        set_err(err, errlen, LM_M_ENROL_BAD_SERIAL);
        return -1;
    }
    if (x) {
        /* The same name and key again (a client that paired twice): one
         * line, the newest certificate's. */
        snprintf(x->serial, sizeof x->serial, "%s", serial_hex);
        memcpy(x->issued, date, LM_TF_DATE_LEN);
        entry_line(x, line, sizeof line);
        rc = lm_tf_replace(&e->tf, x->line, line);
    } else {
        if (e->tf.n == 0 && lm_tf_split(&e->tf, header, sizeof header - 1) != 0)
            goto oom;
        if (!(x = entry_new(e)))
            goto oom;
        snprintf(x->name, sizeof x->name, "%s", name);
        memcpy(x->fp, fp, LM_FP_LEN);
        snprintf(x->serial, sizeof x->serial, "%s", serial_hex);
        memcpy(x->issued, date, LM_TF_DATE_LEN);
        entry_line(x, line, sizeof line);
        rc = lm_tf_append(&e->tf, line);
        x->line = e->tf.n - 1;
        if (rc != 0)
            e->n--;
    }
    if (rc == 0)
        return 0;
oom:
    set_err(err, errlen, LM_M_OUT_OF_MEMORY);
    return -1;
}

int lm_enrolled_revoke(lm_enrolled *e, const char *name, const char *date, char *err, size_t errlen)
{
    char line[LM_TF_LINE_MAX];
    lm_enrolled_entry *x = (lm_enrolled_entry *)lm_enrolled_find_name(e, name);

    if (!x) {
        char shown[80];
        lm_escape(shown, sizeof shown, name, strlen(name));
        set_err(err, errlen, LM_M_ENROL_NO_SUCH, shown);
        return -1;
    }
    if (!lm_tf_date_ok(date)) {
        set_err(err, errlen, LM_M_TF_BAD_DATE, date);
        return -1;
    }
    x->revoked = 1;
    memcpy(x->revoked_on, date, LM_TF_DATE_LEN);
    entry_line(x, line, sizeof line);
    if (lm_tf_replace(&e->tf, x->line, line) != 0) {
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
        return -1;
    }
    return 0;
}

char *lm_enrolled_text(const lm_enrolled *e, size_t *len)
{
    return lm_tf_join(&e->tf, len);
}

int lm_enrolled_save(const lm_enrolled *e, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = lm_enrolled_text(e, &len);
    int rc;
    if (!text) {
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
        return -1;
    }
    rc = lm_file_write_atomic(path, text, len, 0600, err, errlen);
    free(text);
    return rc;
}
