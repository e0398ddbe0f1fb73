/* lanmsg trust: the decision (a pure function) and the live object that
 * holds its files for the TLS backend. See trust.h for the order of the
 * rules and why each is where it is. */
#include "trust/trust.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "platform/os.h"
#include "platform/paths.h"

static void result_msg(lm_trust_result *r, lm_msg_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    lm_vformat(r->msg, sizeof r->msg, id, ap);
    va_end(ap);
}

static void set_err(char *err, size_t errlen, lm_msg_id id, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, id);
    lm_vformat(err, errlen, id, ap);
    va_end(ap);
}

static void verdict(lm_trust_result *r, lm_trust_verdict v, lm_trust_reason why, const char *name)
{
    r->verdict = v;
    r->reason = why;
    snprintf(r->name, sizeof r->name, "%s", name ? name : "");
}

/* ==== the decision ==== */

static void decide_client(const lm_trust_policy *pol, const lm_trust_peer *p, lm_trust_result *r)
{
    char now[LM_FP_TEXT_MAX], was[LM_FP_TEXT_MAX];
    const lm_known_entry *k;
    const char *hp = p->hostport ? p->hostport : "";

    if (!p->has_cert) {
        verdict(r, LM_TRUST_REFUSE, LM_TRUST_R_CHAIN, NULL);
        return;
    }
    lm_fp_format(p->fp, now);
    if (pol->has_pin) {
        if (lm_fp_equal(p->fp, pol->pin)) {
            verdict(r, LM_TRUST_VERIFIED, LM_TRUST_R_PIN, hp);
        } else {
            lm_fp_format(pol->pin, was);
            verdict(r, LM_TRUST_REFUSE, LM_TRUST_R_PIN_WRONG, NULL);
            result_msg(r, LM_M_TRUST_PIN_WRONG, p->who, now, was);
        }
        return;
    }
    if (pol->has_ca && p->chain == LM_CHAIN_OK) {
        verdict(r, LM_TRUST_VERIFIED, LM_TRUST_R_CA, hp);
        return;
    }
    if (pol->has_ca && pol->ca_explicit) {
        verdict(r, LM_TRUST_REFUSE, LM_TRUST_R_CHAIN, NULL);
        return;
    }
    k = pol->known ? lm_known_find(pol->known, hp) : NULL;
    if (k && lm_fp_equal(k->fp, p->fp)) {
        verdict(r, LM_TRUST_VERIFIED, LM_TRUST_R_KNOWN, hp);
        return;
    }
    if (k) {
        lm_fp_format(k->fp, was);
        verdict(r, LM_TRUST_REFUSE, LM_TRUST_R_CHANGED, NULL);
        r->has_old = 1;
        memcpy(r->old_fp, k->fp, LM_FP_LEN);
        memcpy(r->old_date, k->date, LM_TF_DATE_LEN);
        result_msg(r, LM_M_TRUST_CHANGED, p->who, was, k->date, now, hp);
        return;
    }
    if (pol->tofu || pol->interactive) {
        verdict(r, LM_TRUST_FIRST_USE, LM_TRUST_R_NEW, hp);
        r->ask = !pol->tofu;
        result_msg(r, LM_M_TRUST_FIRST_USE, p->who, now);
        return;
    }
    verdict(r, LM_TRUST_REFUSE, LM_TRUST_R_UNKNOWN, NULL);
    result_msg(r, LM_M_TRUST_UNKNOWN, p->who, now, now);
}

static void decide_server(const lm_trust_policy *pol, const lm_trust_peer *p, lm_trust_result *r)
{
    const lm_enrolled_entry *e = NULL;

    if (!p->has_cert) {
        if (pol->require_client_cert)
            verdict(r, LM_TRUST_REFUSE, LM_TRUST_R_MISSING, NULL);
        else
            verdict(r, LM_TRUST_UNVERIFIED, LM_TRUST_R_ANONYMOUS, NULL);
        return;
    }
    if (pol->enrolled)
        e = lm_enrolled_find_key(pol->enrolled, p->fp);
    /* A revoked key is refused whoever signed it. */
    if (e && e->revoked) {
        verdict(r, LM_TRUST_REFUSE, LM_TRUST_R_REVOKED, NULL);
        result_msg(r, LM_M_TRUST_REVOKED, p->who, e->name, e->revoked_on, e->name);
        return;
    }
    if (pol->has_issuer && p->has_issuer && p->chain == LM_CHAIN_OK &&
        lm_fp_equal(p->issuer_fp, pol->issuer_fp)) {
        /* Ours: the enrolled list, not the certificate, is the authority. */
        if (!e) {
            verdict(r, LM_TRUST_REFUSE, LM_TRUST_R_NOT_ENROLLED, NULL);
            result_msg(r, LM_M_TRUST_NOT_ENROLLED, p->who);
            return;
        }
        if (!p->cn || !lm_enrolled_name_eq(p->cn, e->name)) {
            char cn[80];
            lm_escape(cn, sizeof cn, p->cn ? p->cn : "", p->cn ? strlen(p->cn) : 0);
            verdict(r, LM_TRUST_REFUSE, LM_TRUST_R_WRONG_NAME, NULL);
            result_msg(r, LM_M_TRUST_WRONG_NAME, p->who, cn, e->name);
            return;
        }
        verdict(r, LM_TRUST_VERIFIED, LM_TRUST_R_ENROLLED, e->name);
        return;
    }
    if (p->chain == LM_CHAIN_OK) {
        verdict(r, LM_TRUST_VERIFIED, LM_TRUST_R_CA, p->cn);
        return;
    }
    if (pol->require_client_cert)
        verdict(r, LM_TRUST_REFUSE, LM_TRUST_R_CHAIN, NULL);
    else
        verdict(r, LM_TRUST_UNVERIFIED, LM_TRUST_R_ANONYMOUS, NULL);
}

void lm_trust_decide(const lm_trust_policy *pol, const lm_trust_peer *peer, lm_trust_result *out)
{
    memset(out, 0, sizeof *out);
    if (pol->is_server)
        decide_server(pol, peer, out);
    else
        decide_client(pol, peer, out);
}

/* ==== the live object ==== */

/* The lock guards the policy's lists: loop threads decide while a pairing
 * session or a --repeat connection changes them. */
struct lm_trust {
    lm_mutex *lock;
    lm_trust_policy pol;
    lm_known *known;
    lm_enrolled *enrolled;
    char *known_path, *enrolled_path;
    unsigned long long enrolled_stamp[3];
};

static char *dupstr(const char *s)
{
    char *d = s ? malloc(strlen(s) + 1) : NULL;
    if (d)
        memcpy(d, s, strlen(s) + 1);
    return d;
}

lm_trust *lm_trust_new(const lm_trust_options *o, char *err, size_t errlen)
{
    lm_trust *t = calloc(1, sizeof *t);
    if (!t) {
        set_err(err, errlen, LM_M_OUT_OF_MEMORY);
        return NULL;
    }
    t->lock = lm_mutex_new();
    if (!t->lock)
        goto oom;
    t->pol.is_server = o->is_server;
    t->pol.has_ca = o->has_ca;
    t->pol.ca_explicit = o->ca_explicit;
    t->pol.tofu = o->tofu;
    t->pol.interactive = o->interactive;
    t->pol.require_client_cert = o->require_client_cert;
    if (o->pin) {
        char why[256];
        if (lm_fp_parse(o->pin, t->pol.pin, why, sizeof why) != 0) {
            set_err(err, errlen, LM_M_TRUST_BAD_PIN, why);
            goto fail;
        }
        t->pol.has_pin = 1;
    }
    if (o->issuer_fp) {
        t->pol.has_issuer = 1;
        memcpy(t->pol.issuer_fp, o->issuer_fp, LM_FP_LEN);
    }
    if (o->known_path) {
        if (!(t->known_path = dupstr(o->known_path)))
            goto oom;
        if (!(t->known = lm_known_load(o->known_path, err, errlen)))
            goto fail;
        t->pol.known = t->known;
    }
    if (o->enrolled_path) {
        if (!(t->enrolled_path = dupstr(o->enrolled_path)))
            goto oom;
        lm_file_stamp(o->enrolled_path, t->enrolled_stamp);
        if (!(t->enrolled = lm_enrolled_load(o->enrolled_path, err, errlen)))
            goto fail;
        t->pol.enrolled = t->enrolled;
    }
    return t;
oom:
    set_err(err, errlen, LM_M_OUT_OF_MEMORY);
fail:
    lm_trust_free(t);
    return NULL;
}

void lm_trust_free(lm_trust *t)
{
    if (!t)
        return;
    lm_known_free(t->known);
    lm_enrolled_free(t->enrolled);
    free(t->known_path);
    free(t->enrolled_path);
    if (t->lock)
        lm_mutex_free(t->lock);
    free(t);
}

/* Another process (lanmsg-server --revoke) or our own pairing rewrote the
 * enrolled list: read it again. A file that no longer parses keeps the
 * list we had (and says so once): refusing every client would be worse. */
static void refresh_enrolled(lm_trust *t)
{
    unsigned long long now[3];
    char err[512];
    lm_enrolled *fresh;

    lm_file_stamp(t->enrolled_path, now);
    if (memcmp(now, t->enrolled_stamp, sizeof now) == 0)
        return;
    memcpy(t->enrolled_stamp, now, sizeof now);
    fresh = lm_enrolled_load(t->enrolled_path, err, sizeof err);
    if (!fresh) {
        lm_warn(LM_M_TRUST_RELOAD_FAILED, err);
        return;
    }
    lm_enrolled_free(t->enrolled);
    t->enrolled = fresh;
    t->pol.enrolled = fresh;
}

void lm_trust_check(lm_trust *t, const lm_trust_peer *peer, lm_trust_result *out)
{
    lm_mutex_lock(t->lock);
    if (t->enrolled_path && peer->has_cert)
        refresh_enrolled(t);
    lm_trust_decide(&t->pol, peer, out);
    lm_mutex_unlock(t->lock);
}

int lm_trust_remember(lm_trust *t, const char *hostport, const unsigned char fp[LM_FP_LEN],
                      char *err, size_t errlen)
{
    char today[LM_TF_DATE_LEN];
    int rc;

    lm_tf_today(today);
    lm_mutex_lock(t->lock);
    if (!t->known_path) {
        set_err(err, errlen, LM_M_TRUST_NO_KNOWN_FILE);
        rc = -1;
    } else {
        rc = lm_known_remember(t->known_path, hostport, fp, today, err, errlen);
        if (rc == 0 && lm_known_add(t->known, hostport, fp, today, err, errlen) != 0)
            rc = -1;
    }
    lm_mutex_unlock(t->lock);
    return rc;
}
