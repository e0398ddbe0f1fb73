/* lanmsg text: the message catalog, terminal-safe escaping and console
 * logging.
 *
 * The catalog tables are generated from catalog/catalog.def with the same X-macro
 * that builds the id enum in text.h, so an id, its English and its
 * Portuguese text can never drift apart by position.
 *
 * Language, log level and program name are set once at start-up by main,
 * before any thread exists, and only read afterwards; they need no lock. */
#include "util/text.h"
#include "platform/os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- catalog ---- */

#define LM_MSG_ID(id, en, pt) en,
static const char *const msg_en[] = {
#include "util/catalog/catalog.def"
};
#undef LM_MSG_ID

#define LM_MSG_ID(id, en, pt) pt,
static const char *const msg_pt[] = {
#include "util/catalog/catalog.def"
};
#undef LM_MSG_ID

#define LM_MSG_ID(id, en, pt) #id,
static const char *const msg_names[] = {
#include "util/catalog/catalog.def"
};
#undef LM_MSG_ID

_Static_assert(sizeof msg_en / sizeof msg_en[0] == LM_M__COUNT, "catalog and enum disagree");

static int lang_pt;
static int log_level = LM_LOG_NORMAL;
static char program[64];
static int log_time, log_json;

/* A locale value such as "pt_PT.UTF-8" or "pt_BR" selects Portuguese; the
 * catalog has one Portuguese, and European is closer than English. */
static int locale_is_pt(const char *v)
{
    return v[0] == 'p' && v[1] == 't';
}

/* An explicit choice wins. Otherwise the locale variables are read in the
 * precedence order POSIX gives them, skipping ones that are set but empty
 * (an empty LC_ALL does not override LANG). */
int lm_lang_init(const char *lang)
{
    if (lang != NULL) {
        if (strcmp(lang, "en") == 0)
            lang_pt = 0;
        else if (strcmp(lang, "pt") == 0)
            lang_pt = 1;
        else
            return -1;
        return 0;
    }
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    lang_pt = 0;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v != NULL && v[0] != '\0') {
            lang_pt = locale_is_pt(v);
            break;
        }
    }
    return 0;
}

int lm_lang_is_pt(void)
{
    return lang_pt;
}

/* The raw catalog entry, without fallback: the catalog test needs to see
 * an empty translation as empty. */
const char *lm_tr_lang(lm_msg_id id, int pt)
{
    if ((unsigned)id >= (unsigned)LM_M__COUNT)
        return "";
    return pt ? msg_pt[id] : msg_en[id];
}

/* An untranslated (empty) Portuguese entry falls back to English so that a
 * person never sees an empty line. */
const char *lm_tr(lm_msg_id id)
{
    const char *s = lm_tr_lang(id, lang_pt);
    if (s[0] == '\0')
        s = lm_tr_lang(id, 0);
    return s;
}

const char *lm_msg_name(lm_msg_id id)
{
    if ((unsigned)id >= (unsigned)LM_M__COUNT)
        return "?";
    return msg_names[id];
}

/* ---- escaping ---- */

/* Length (1..4) of the well-formed UTF-8 sequence at s, storing its code
 * point, or 0 when the first byte does not start one. Overlong forms,
 * surrogates and values past U+10FFFF are not well-formed: a terminal or a
 * later decoder could read them differently from us. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned long v, min;
    size_t need;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] < 0xc2) /* stray continuation byte, or overlong C0/C1 lead */
        return 0;
    if (s[0] < 0xe0) {
        need = 1, min = 0x80, v = s[0] & 0x1fu;
    } else if (s[0] < 0xf0) {
        need = 2, min = 0x800, v = s[0] & 0x0fu;
    } else if (s[0] < 0xf5) {
        need = 3, min = 0x10000, v = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (n < need + 1)
        return 0;
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xc0u) != 0x80u)
            return 0;
        v = (v << 6) | (s[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return need + 1;
}

/* Write the escaped form of the character at s into unit (at most 16 bytes)
 * and return its length; *used gets the input bytes consumed. */
static size_t escape_unit(char *unit, const unsigned char *s, size_t n, size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    unsigned long cp = 0;
    size_t seq = utf8_seq(s, n, &cp);
    size_t bytes = seq != 0 ? seq : 1;
    int escape;

    *used = bytes;
    if (seq == 1) {
        const char *named = NULL;
        switch (cp) {
        case '\n':
            named = "\\n";
            break;
        case '\r':
            named = "\\r";
            break;
        case '\t':
            named = "\\t";
            break;
        case '\\':
            /* Doubled, so that a literal "\x1b" in the input cannot pass
             * for an escape we made. */
            named = "\\\\";
            break;
        }
        if (named != NULL) {
            memcpy(unit, named, 2);
            return 2;
        }
        escape = cp < 0x20 || cp == 0x7f;
    } else {
        /* Invalid bytes, and C1 controls, which some terminals obey
         * (U+009B is a one-byte CSI). */
        escape = seq == 0 || (cp >= 0x80 && cp <= 0x9f);
    }
    if (!escape) {
        memcpy(unit, s, bytes);
        return bytes;
    }
    for (size_t i = 0; i < bytes; i++) {
        unit[4 * i] = '\\';
        unit[4 * i + 1] = 'x';
        unit[4 * i + 2] = hex[s[i] >> 4];
        unit[4 * i + 3] = hex[s[i] & 0xf];
    }
    return 4 * bytes;
}

/* Escape character by character. When the output runs out, it is cut back to
 * the last character boundary that still leaves room for "...", so an escape
 * or a UTF-8 sequence is never split. Returns the length written, without the
 * NUL. */
size_t lm_escape(char *out, size_t outlen, const char *in, size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t pos = 0, mark = 0, room;

    if (outlen == 0)
        return 0;
    room = outlen - 1;
    while (len > 0) {
        char unit[16];
        size_t used;
        size_t ulen = escape_unit(unit, s, len, &used);

        if (ulen > room - pos) {
            size_t dots = room - mark < 3 ? room - mark : 3;
            memcpy(out + mark, "...", dots);
            pos = mark + dots;
            break;
        }
        memcpy(out + pos, unit, ulen);
        pos += ulen;
        if (pos + 3 <= room)
            mark = pos;
        s += used;
        len -= used;
    }
    out[pos] = '\0';
    return pos;
}

/* ---- formatting and logging ---- */

void lm_log_set_level(int level)
{
    log_level = level;
}

int lm_log_level(void)
{
    return log_level;
}

/* Keep only the last path component, so that "./build/bin/lanmsg-client"
 * prints as "lanmsg-client: ". */
void lm_log_set_program(const char *name)
{
    const char *base = name != NULL ? name : "";
    for (const char *p = base; *p != '\0'; p++) {
        if (*p == '/' || *p == '\\')
            base = p + 1;
    }
    snprintf(program, sizeof program, "%s", base);
}

/* The format strings come from the catalog, not from literals, so the
 * compiler cannot check them here; the catalog test checks that both
 * languages take the same conversions instead. */
int lm_vformat(char *buf, size_t len, lm_msg_id id, va_list ap)
{
    int n;
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
    n = vsnprintf(buf, len, lm_tr(id), ap);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
    return n;
}

int lm_format(char *buf, size_t len, lm_msg_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    int n = lm_vformat(buf, len, id, ap);
    va_end(ap);
    return n;
}

void lm_log_set_style(int with_time, int json)
{
    log_time = with_time;
    log_json = json;
}

int lm_log_time_default(void)
{
    const char *j = getenv("JOURNAL_STREAM");
    return !lm_stderr_is_tty() && !(j && *j);
}

/* Append `s` as the inside of a JSON string: quotes, backslashes and control
 * characters escaped; UTF-8 passes as it is. Returns the new length. */
static size_t json_string(char *out, size_t cap, size_t o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o + 7 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    return o;
}

/* Build the whole line (timestamp, prefix, message, newline; or the JSON
 * object) first and hand it to stdio in one fwrite: stdio locks the stream
 * per call, so lines written by several threads never interleave
 * mid-line. Long messages are cut at LINE_MAX bytes rather than lost. */
#define LOG_LINE_MAX 8192
static void emit(FILE *fp, const char *level, const char *prefix, lm_msg_id id, va_list ap)
{
    char msg[LOG_LINE_MAX], line[LOG_LINE_MAX * 2 + 256], when[32] = "";
    size_t o = 0;
    int n = lm_vformat(msg, sizeof msg, id, ap);

    if (n < 0) /* a broken format: say which message rather than print nothing */
        n = snprintf(msg, sizeof msg, "[%s]", lm_msg_name(id));
    if ((size_t)n >= sizeof msg)
        n = (int)sizeof msg - 1;
    if (log_time || log_json)
        lm_wall_clock(when, sizeof when);
    if (log_json) {
        o = (size_t)snprintf(line, sizeof line, "{\"time\":\"%s\",\"level\":\"%s\",", when, level);
        if (program[0]) {
            o += (size_t)snprintf(line + o, sizeof line - o, "\"program\":\"");
            o = json_string(line, sizeof line, o, program, strlen(program));
            o += (size_t)snprintf(line + o, sizeof line - o, "\",");
        }
        o += (size_t)snprintf(line + o, sizeof line - o, "\"msg\":\"");
        o = json_string(line, sizeof line, o, msg, (size_t)n);
        o += (size_t)snprintf(line + o, sizeof line - o, "\"}\n");
    } else {
        o = (size_t)snprintf(line, sizeof line, "%s%s%s%s\n", when, when[0] ? " " : "", prefix,
                             msg);
    }
    if (o >= sizeof line) {
        o = sizeof line - 1;
        line[o - 1] = '\n';
    }
    fwrite(line, 1, o, fp);
    fflush(fp);
}

void lm_info(lm_msg_id id, ...)
{
    if (log_level <= LM_LOG_QUIET)
        return;
    va_list ap;
    va_start(ap, id);
    emit(stdout, "info", "", id, ap);
    va_end(ap);
}

void lm_debug(lm_msg_id id, ...)
{
    if (log_level < LM_LOG_VERBOSE)
        return;
    va_list ap;
    va_start(ap, id);
    emit(stdout, "debug", "", id, ap);
    va_end(ap);
}

void lm_warn(lm_msg_id id, ...)
{
    char prefix[sizeof program + 2];
    va_list ap;

    prefix[0] = '\0';
    if (program[0] != '\0')
        snprintf(prefix, sizeof prefix, "%s: ", program);
    va_start(ap, id);
    emit(stderr, "error", prefix, id, ap);
    va_end(ap);
}
