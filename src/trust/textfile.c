/* lanmsg trust files: raw lines in, the same raw lines out. */
#include "trust/textfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int grow(lm_tf *tf)
{
    if (tf->n < tf->cap)
        return 0;
    size_t cap = tf->cap ? tf->cap * 2 : 16;
    lm_tf_line *nl = realloc(tf->lines, cap * sizeof *nl);
    if (!nl)
        return -1;
    tf->lines = nl;
    tf->cap = cap;
    return 0;
}

static int push(lm_tf *tf, const char *p, size_t len)
{
    char *raw;
    if (grow(tf) != 0 || (raw = malloc(len + 1)) == NULL)
        return -1;
    memcpy(raw, p, len);
    raw[len] = '\0';
    tf->lines[tf->n].raw = raw;
    tf->lines[tf->n].len = len;
    tf->lines[tf->n].removed = 0;
    tf->n++;
    return 0;
}

int lm_tf_split(lm_tf *tf, const char *text, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            if (push(tf, text + start, i + 1 - start) != 0)
                return -1;
            start = i + 1;
        }
    }
    if (start < len && push(tf, text + start, len - start) != 0)
        return -1;
    return 0;
}

int lm_tf_append(lm_tf *tf, const char *line)
{
    size_t n = strlen(line);
    char *buf;
    int rc;

    /* The last kept line may lack its newline: give it one first. */
    for (size_t i = tf->n; i-- > 0;) {
        lm_tf_line *l = &tf->lines[i];
        if (l->removed)
            continue;
        if (l->len > 0 && l->raw[l->len - 1] != '\n') {
            char *nr = realloc(l->raw, l->len + 2);
            if (!nr)
                return -1;
            nr[l->len++] = '\n';
            nr[l->len] = '\0';
            l->raw = nr;
        }
        break;
    }
    buf = malloc(n + 2);
    if (!buf)
        return -1;
    memcpy(buf, line, n);
    buf[n] = '\n';
    buf[n + 1] = '\0';
    rc = push(tf, buf, n + 1);
    free(buf);
    return rc;
}

int lm_tf_replace(lm_tf *tf, size_t i, const char *line)
{
    lm_tf_line *l = &tf->lines[i];
    const char *term = "";
    size_t n = strlen(line);
    char *raw;

    if (l->len >= 2 && l->raw[l->len - 2] == '\r' && l->raw[l->len - 1] == '\n')
        term = "\r\n";
    else if (l->len >= 1 && l->raw[l->len - 1] == '\n')
        term = "\n";
    raw = malloc(n + strlen(term) + 1);
    if (!raw)
        return -1;
    memcpy(raw, line, n);
    memcpy(raw + n, term, strlen(term) + 1);
    free(l->raw);
    l->raw = raw;
    l->len = n + strlen(term);
    return 0;
}

char *lm_tf_join(const lm_tf *tf, size_t *len)
{
    size_t total = 0, o = 0;
    char *out;
    for (size_t i = 0; i < tf->n; i++)
        if (!tf->lines[i].removed)
            total += tf->lines[i].len;
    out = malloc(total + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < tf->n; i++) {
        if (tf->lines[i].removed)
            continue;
        memcpy(out + o, tf->lines[i].raw, tf->lines[i].len);
        o += tf->lines[i].len;
    }
    out[o] = '\0';
    *len = o;
    return out;
}

void lm_tf_free(lm_tf *tf)
{
    for (size_t i = 0; i < tf->n; i++)
        free(tf->lines[i].raw);
    free(tf->lines);
    memset(tf, 0, sizeof *tf);
}

int lm_tf_fields(const lm_tf *tf, size_t i, char *buf, char **fields, int max)
{
    const lm_tf_line *l = &tf->lines[i];
    size_t n = l->len;
    int count = 0;

    /* The terminator is LF or CRLF (a file edited on Windows). */
    if (n > 0 && l->raw[n - 1] == '\n')
        n--;
    if (n > 0 && l->raw[n - 1] == '\r')
        n--;
    if (n >= LM_TF_LINE_MAX)
        return -1;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)l->raw[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return -1;
    }
    memcpy(buf, l->raw, n);
    buf[n] = '\0';
    char *p = buf;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '#')
        return 0;
    while (*p) {
        char *start = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
        if (count < max)
            fields[count] = start;
        count++;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    return count;
}

int lm_tf_date_ok(const char *s)
{
    static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return 0;
    if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return 0;
    return 1;
}

/* Days since 1970-01-01 to a civil date, in the proleptic Gregorian
 * calendar: count in 400-year eras (146097 days), then years of the era
 * from a March-based year so that the leap day falls last. */
void lm_tf_utc(long long t, int out[6])
{
    long long days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    days += 719468; /* 0000-03-01 to 1970-01-01 */
    long long era = (days >= 0 ? days : days - 146096) / 146097;
    long long doe = days - era * 146097;                                   /* 0..146096 */
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
    long long mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    out[2] = (int)(doy - (153 * mp + 2) / 5 + 1);
    out[1] = (int)(mp < 10 ? mp + 3 : mp - 9);
    out[0] = (int)(yoe + era * 400 + (out[1] <= 2));
    out[3] = (int)(secs / 3600);
    out[4] = (int)(secs / 60 % 60);
    out[5] = (int)(secs % 60);
}

void lm_tf_today(char out[LM_TF_DATE_LEN])
{
    int f[6];
    char buf[40];
    lm_tf_utc((long long)time(NULL), f);
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", f[0] % 10000, f[1], f[2]);
    snprintf(out, LM_TF_DATE_LEN, "%.10s", buf);
}
