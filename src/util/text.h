/* lanmsg text: every line a person reads goes through here.
 *
 * Messages are kept in one catalog (src/util/catalog/), keyed by id, in
 * English and European Portuguese, so a translation costs one table and not a
 * hunt through printf calls. The wire protocol never changes with the
 * language: only console output and errors are translated. */
#ifndef LANMSG_TEXT_H
#define LANMSG_TEXT_H

#include <stdarg.h>
#include <stddef.h>

#define LM_MSG_ID(id, en, pt) LM_M_##id,
typedef enum lm_msg_id {
#include "util/catalog/catalog.def"
    LM_M__COUNT
} lm_msg_id;
#undef LM_MSG_ID

#if defined(__GNUC__)
#define LM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LM_PRINTF(a, b)
#endif

/* Pick the language: `lang` ("en", "pt") wins when not NULL; otherwise
 * LC_ALL, LC_MESSAGES, LANG, the first one set, starting with "pt".
 * Returns 0, or -1 for an unknown `lang`. */
int lm_lang_init(const char *lang);
int lm_lang_is_pt(void);
/* The format string of a message in the current language. */
const char *lm_tr(lm_msg_id id);
/* Same, for a given language (0 en, 1 pt); for the catalog test. */
const char *lm_tr_lang(lm_msg_id id, int pt);
const char *lm_msg_name(lm_msg_id id);

/* Make untrusted text safe for a terminal: control characters, DEL and
 * invalid UTF-8 become \xNN escapes (\n, \r, \t as such); valid UTF-8 passes.
 * Always NUL-terminates; truncates with "..." when out is too small. */
size_t lm_escape(char *out, size_t outlen, const char *in, size_t len);

/* ---- console logging ---- */
enum { LM_LOG_QUIET = -1, LM_LOG_NORMAL = 0, LM_LOG_VERBOSE = 1 };
void lm_log_set_level(int level);
int lm_log_level(void);
/* Informational line on stdout (hidden by -q). */
void lm_info(lm_msg_id id, ...);
/* Extra detail on stdout, only with -v. */
void lm_debug(lm_msg_id id, ...);
/* A warning or error line on stderr, always shown. */
void lm_warn(lm_msg_id id, ...);
/* Program name prefix for errors ("lanmsg-client: "). */
void lm_log_set_program(const char *name);
/* How lines look: with a UTC timestamp first ("2026-11-28T02:25:09.123Z
 * ..."), and/or as one JSON object per line ({"time":..., "level":"info",
 * "program":..., "msg":...}). Lines still go to stdout (info) or stderr
 * (warnings and errors). */
void lm_log_set_style(int with_time, int json);
/* Whether timestamps are wanted when the user did not say: yes when stderr
 * is not a terminal (a file, a pipe, a service manager's log), except under
 * journald (JOURNAL_STREAM set), which stamps lines itself. */
int lm_log_time_default(void);
/* Format a catalog message into buf. */
int lm_format(char *buf, size_t len, lm_msg_id id, ...);
int lm_vformat(char *buf, size_t len, lm_msg_id id, va_list ap);

#endif
