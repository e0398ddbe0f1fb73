/* lanmsg known_servers: the keys this client has decided to trust, one per
 * server, with the day it first saw each.
 *
 * The file ($XDG_CONFIG_HOME/lanmsg/known_servers, see platform/paths.h)
 * is plain text, documented in its own header comment and editable by hand:
 *
 *     # comments and blank lines are kept as they are
 *     HOST:PORT  FINGERPRINT  FIRST-SEEN
 *     192.168.1.10:5000 7B3KQ2M-9TD4XFA-...-Q2M4X7Z 2026-11-29
 *     [fe80::1]:5000    ...
 *
 * HOST:PORT is written in one canonical spelling (lm_known_key), so
 * "LANBOX.:5000" and "lanbox:5000" are the same server. A line that does not
 * parse makes the whole file refused, with its line number: a damaged file
 * must not silently forget a key. Changes (remember, forget) re-read the
 * file, change only their own line and replace the file atomically. */
#ifndef LANMSG_TRUST_KNOWN_SERVERS_H
#define LANMSG_TRUST_KNOWN_SERVERS_H

#include <stddef.h>

#include "trust/fingerprint.h"
#include "trust/textfile.h"

#define LM_KNOWN_KEY_MAX 272 /* "[" 253-character name "]:" 5 digits */
#define LM_DEFAULT_PORT  5000

typedef struct lm_known_entry {
    char key[LM_KNOWN_KEY_MAX];
    unsigned char fp[LM_FP_LEN];
    char date[LM_TF_DATE_LEN];
    size_t line; /* index in the file's lines; its number is line + 1 */
} lm_known_entry;

typedef struct lm_known lm_known;

/* The canonical "host:port": names lower-cased without a trailing dot, IP
 * addresses in their canonical text, IPv6 in brackets. 0, or -1 with err
 * for a host that is neither a name nor an address, or a bad port. */
int lm_known_key(const char *host, int port, char *out, size_t len, char *err, size_t errlen);
/* Parse "HOST", "HOST:PORT", "[V6]:PORT" or a bare IPv6 address (port
 * default_port; 0 makes the port required) into the canonical key. 0, or
 * -1 with err. */
int lm_known_key_parse(const char *text, int default_port, char *out, size_t len, char *err,
                       size_t errlen);

/* Parse a file's text; `name` is the path for messages. NULL with err
 * ("PATH line N: ...") for the first line that does not parse. */
lm_known *lm_known_parse(const char *text, size_t len, const char *name, char *err, size_t errlen);
/* Read and parse the file; a missing file is an empty list. */
lm_known *lm_known_load(const char *path, char *err, size_t errlen);
void lm_known_free(lm_known *k);

size_t lm_known_count(const lm_known *k);
const lm_known_entry *lm_known_at(const lm_known *k, size_t i);
const lm_known_entry *lm_known_find(const lm_known *k, const char *key);

/* In memory: add a server (refused when the key is already there: a key is
 * never replaced silently) or remove one (returns 1, or 0 if absent). */
int lm_known_add(lm_known *k, const char *key, const unsigned char fp[LM_FP_LEN], const char *date,
                 char *err, size_t errlen);
int lm_known_remove(lm_known *k, const char *key);
/* The file's new text: every other line as it was. malloc'd. */
char *lm_known_text(const lm_known *k, size_t *len);

/* Re-read the file, add one server, replace the file atomically (creating
 * it, with its explanatory header, and its folder, 0700, when missing). 0, or -1 with err; the
 * file is unchanged on failure. */
int lm_known_remember(const char *path, const char *key, const unsigned char fp[LM_FP_LEN],
                      const char *date, char *err, size_t errlen);
/* Re-read the file and drop the server's line. *removed says whether there
 * was one. 0, or -1 with err. */
int lm_known_forget(const char *path, const char *key, int *removed, char *err, size_t errlen);

#endif
