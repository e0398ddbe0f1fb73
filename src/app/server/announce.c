/* lanmsg-server: announcing itself on the LAN. See announce.h. */
#include "announce.h"

#include <stdio.h>
#include <string.h>

#include "util/text.h"

/* Say once that the name was taken and which one is used instead. */
static void tell_rename(server_announce *a)
{
    const char *now = lm_disc_name(a->disc);
    if (!a->told_rename && lm_disc_announced(a->disc) && strcmp(now, a->asked) != 0) {
        char e1[LM_DISC_NAME_MAX * 4], e2[LM_DISC_NAME_MAX * 4];
        lm_escape(e1, sizeof e1, a->asked, strlen(a->asked));
        lm_escape(e2, sizeof e2, now, strlen(now));
        lm_warn(LM_M_DISC_RENAMED, e1, e2);
        a->told_rename = 1;
    }
}

static int hook_watches(void *ctx, lm_watch *out, int max)
{
    server_announce *a = ctx;
    lm_disc_watch w[LM_DISC_MAX_WATCHES];
    int n;
    if (!a->disc)
        return 0;
    n = lm_disc_watches(a->disc, w, max < LM_DISC_MAX_WATCHES ? max : LM_DISC_MAX_WATCHES);
    for (int i = 0; i < n; i++) {
        out[i].sock = w[i].sock;
        out[i].events = w[i].events;
    }
    return n;
}

static int hook_event(void *ctx, lm_sock s, int events)
{
    server_announce *a = ctx;
    int changed = a->disc ? lm_disc_on_event(a->disc, s, events) : 0;
    if (a->disc)
        tell_rename(a);
    return changed;
}

static long hook_timeout(void *ctx)
{
    server_announce *a = ctx;
    return a->disc ? lm_disc_timeout_ms(a->disc) : -1;
}

static int hook_timer(void *ctx)
{
    server_announce *a = ctx;
    int changed = a->disc ? lm_disc_on_timer(a->disc) : 0;
    if (a->disc)
        tell_rename(a);
    return changed;
}

void server_announce_init(server_announce *a)
{
    memset(a, 0, sizeof *a);
    a->hook.ctx = a;
    a->hook.watches = hook_watches;
    a->hook.on_event = hook_event;
    a->hook.timeout_ms = hook_timeout;
    a->hook.on_timer = hook_timer;
}

int server_announce_wanted(const char *host, int no_announce)
{
    if (no_announce)
        return 0;
    return !(strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
             strcmp(host, "[::1]") == 0 || strcmp(host, "localhost") == 0);
}

void server_announce_start(server_announce *a, const lm_disc_opts *o)
{
    char err[512];
    a->disc = lm_disc_announce_start(o, err, sizeof err);
    if (!a->disc) {
        lm_warn(LM_M_SRV_ANNOUNCE_FAILED, err);
        return;
    }
    snprintf(a->asked, sizeof a->asked, "%s", lm_disc_name(a->disc));
    lm_info(LM_M_SRV_ANNOUNCING, a->asked, o->udp ? "_lanmsg._udp" : "_lanmsg._tcp",
            lm_disc_backend_name(a->disc));
}

void server_announce_stop(server_announce *a)
{
    if (a->disc)
        lm_disc_announce_stop(a->disc);
    a->disc = NULL;
}
