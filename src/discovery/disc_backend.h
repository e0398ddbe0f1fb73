/* The system DNS-SD backends behind lanmsg/discovery.h: avahi-daemon
 * (mdns_avahi.c) and Windows (mdns_win32.c). Each is compiled only where it
 * exists; discovery.c falls back to the built-in responder when a backend
 * is missing or its service does not answer at run time.
 *
 * An announcing backend object follows the same watch/timer contract as
 * lm_disc. Its functions return -1 / NULL when the system service cannot be
 * reached, which is the caller's cue to fall back. */
#ifndef LANMSG_DISC_BACKEND_H
#define LANMSG_DISC_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "lanmsg/discovery.h"
#include "platform/os.h"

typedef struct lm_disc_sys lm_disc_sys;

/* What a backend announces: the instance label, the service type
 * ("_lanmsg._tcp"), the port and the TXT strings ("key=value"). */
typedef struct lm_disc_service {
    const char *name;
    const char *type;
    uint16_t port;
    const char *const *txt;
    int ntxt;
} lm_disc_service;

/* NULL when the system service is not there (err says why). */
lm_disc_sys *lm_disc_sys_announce(const lm_disc_service *s, char *err, size_t errlen);
int lm_disc_sys_watches(lm_disc_sys *d, lm_disc_watch *out, int max);
int lm_disc_sys_on_event(lm_disc_sys *d, lm_sock s, int events);
/* Absolute lm_now_ms() time of the next timer, UINT64_MAX for none. */
uint64_t lm_disc_sys_deadline(lm_disc_sys *d);
int lm_disc_sys_on_timer(lm_disc_sys *d, uint64_t now);
const char *lm_disc_sys_name(const lm_disc_sys *d);
int lm_disc_sys_announced(const lm_disc_sys *d);
void lm_disc_sys_stop(lm_disc_sys *d);
extern const char lm_disc_sys_label[]; /* "avahi", "windows" */

/* Browse (instance NULL) or look up one instance; fills out with what was
 * found within wait_ms and returns the count, or -1 when the system
 * service is not there. */
int lm_disc_sys_browse(const char *type, const char *instance, int wait_ms, lm_disc_result *out,
                       int max);

/* Fill a result's tls/fp/version from TXT "key=value" data (discovery.c). */
void lm_disc_result_txt(lm_disc_result *r, const uint8_t *txt, size_t len);

#endif
