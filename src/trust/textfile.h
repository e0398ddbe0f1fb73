/* lanmsg trust files: the line-oriented text files that hold trust
 * (known_servers, the enrolled clients list), kept so that a rewrite changes
 * only the lines it means to: every other line, comments and blank lines
 * included, goes back byte for byte.
 *
 * A file is a list of raw lines (terminator included). Parsers look at the
 * fields of each line; writers drop or append whole lines and join them
 * back. Only the last line may lack a newline; appending after it gives it
 * one. */
#ifndef LANMSG_TRUST_TEXTFILE_H
#define LANMSG_TRUST_TEXTFILE_H

#include <stddef.h>

#define LM_TF_LINE_MAX   1024 /* longer lines are refused as malformed */
#define LM_TF_FIELDS_MAX 8
#define LM_TF_DATE_LEN   11 /* "YYYY-MM-DD" and its NUL */

typedef struct lm_tf_line {
    char *raw; /* the bytes as read, terminator included */
    size_t len;
    int removed; /* dropped by the next join */
} lm_tf_line;

typedef struct lm_tf {
    lm_tf_line *lines;
    size_t n, cap;
} lm_tf;

/* Split text into lines. 0, or -1 when out of memory. */
int lm_tf_split(lm_tf *tf, const char *text, size_t len);
/* Append one line (given without its newline). 0, or -1 out of memory. */
int lm_tf_append(lm_tf *tf, const char *line);
/* Replace line i with `line` (given without its newline; the old line's
 * terminator, LF or CRLF, is kept). 0, or -1 out of memory. */
int lm_tf_replace(lm_tf *tf, size_t i, const char *line);
/* The lines not removed, joined; malloc'd, NUL after the data. */
char *lm_tf_join(const lm_tf *tf, size_t *len);
void lm_tf_free(lm_tf *tf);

/* The whitespace-separated fields of line i, as NUL-terminated copies in
 * buf (LM_TF_LINE_MAX bytes). Returns the count (0 for a blank or comment
 * line, i.e. one whose first non-blank is '#'), or -1 when the line is too
 * long or holds a NUL or another control character. At most max fields
 * are stored; the count says how many there were. */
int lm_tf_fields(const lm_tf *tf, size_t i, char *buf, char **fields, int max);

/* 1 when s is a real date written YYYY-MM-DD. */
int lm_tf_date_ok(const char *s);
/* Today's date (UTC), YYYY-MM-DD. */
void lm_tf_today(char out[LM_TF_DATE_LEN]);
/* Seconds since 1970 (UTC) as year, month, day, hour, minute, second;
 * computed, not through gmtime, so any thread may call it. */
void lm_tf_utc(long long t, int out[6]);

#endif
