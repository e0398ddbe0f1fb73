/* lanmsg service "chat": one room, every line goes to everyone else.
 *
 * Wire format (one line each):
 *   <alice> hello                 a message from alice
 *   * alice waves                 /me
 *   * alice joined (TLS, certificate)   * alice left   * alice left (reason)
 *   * guest-3? is now known as dave?
 *   <alice> (private) psst        /msg, as the recipient sees it
 *   error: ...                    a refused command, to its sender only
 * Lines starting with "* " or "error: " are the server's notices. Each
 * session gets them in its language (/lang pt; English until then, so a raw
 * client such as nc reads English); what users write is never translated.
 *
 * Names: 1 to 32 characters from A-Z a-z 0-9 - _ . , compared without regard
 * to ASCII case everywhere (/nick, /msg, duplicates, reserved names), so
 * "Alice" cannot pass for "alice". A client gets "guest-<id>" until it picks
 * a name; "guest-" names cannot be picked.
 *
 * Identity: a client with a verified certificate is named after its CN and
 * cannot /nick. On a server that speaks TLS, every other user is unverified
 * and shown with a trailing "?" ("bob?") in every line and in /who: "?" is
 * never part of a picked name, so the mark cannot be faked; /msg bob? and
 * /msg bob both reach bob. A name seen on a verified certificate is
 * reserved: no unverified user can take it with /nick, even while its owner
 * is away, and an unverified user already using it is renamed when the
 * owner arrives. The reserved names are this run's, plus, when the server
 * has a state folder, those kept in STATE/chat-names (chat_names.h).
 * A plain-TCP-only server has no certificates and marks nobody.
 *
 * Sessions: the same certificate name may be connected more than once (a
 * laptop and a desktop): those sessions are one user, listed once in /who
 * with their count; what is sent to the user reaches every session, the
 * user's own lines also reach its other sessions, and joined/left are
 * announced for the first session and the last. A certificate whose CN
 * equals a connected certificate holder's name only without regard to case
 * ("Alice" while "alice" is here) is a different identity and is refused
 * with a line that says so.
 *
 * Text: every line is cleaned (lm_chat_clean) before it is parsed, so no
 * client can send terminal controls (escape sequences, C0/C1 controls,
 * bidirectional overrides) or malformed UTF-8 through the room.
 *
 * Transports: --chat-require-tls stops relaying plain clients' messages
 * (public, /me and /msg) to TLS clients; join and leave notices still go.
 *
 * The service sees connections only through lm_conn_*: queues are bounded by
 * the engine, so a client that stops reading is disconnected (logged) and
 * never slows the others. It runs on one event loop, because a broadcast
 * walks every connection of the server. Public messages are logged with -v
 * only; private ones never. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/error.h"
#include "lanmsg/service.h"
#include "platform/os.h"
#include "util/mem.h"
#include "util/text.h"
#include "chat_cmd.h"
#include "chat_names.h"

#define NAME_MAX_LEN  32
#define CERT_NAME_MAX 64
#define GUEST_PREFIX  "guest-"

typedef struct chat_user chat_user;

/* One connection. */
typedef struct chat_sess {
    lm_conn *c;
    chat_user *user;
    int pt;                 /* notices in Portuguese (/lang pt) */
    int spoke;              /* has sent a line */
    int gone;               /* has quit: gets nothing more */
    struct chat_sess *next; /* the user's other sessions */
} chat_sess;

/* One name in the room. Only a certificate holder has more than one
 * session; a user whose sessions have all quit is gone, and is freed with
 * its last connection. */
struct chat_user {
    char name[CERT_NAME_MAX + 1];
    int cert;       /* the name is a verified client certificate's CN */
    int unverified; /* no certificate on a server that speaks TLS: "name?" */
    int secure;     /* TLS */
    chat_sess *sessions;
    size_t live; /* sessions that have not quit */
    chat_user *prev, *next;
};

/* One formatted outgoing line per language, newline included. */
typedef struct chat_line {
    char *buf;
    size_t cap, len;
} chat_line;

typedef struct chat_state {
    int require_tls;
    int tls; /* the server speaks TLS: users without a certificate are marked */
    chat_user *head, *tail;
    lm_chat_names *reserved; /* names seen on verified certificates */
    chat_line out[2];        /* [0] English, [1] Portuguese */
    char *in;                /* the incoming line being cleaned */
    size_t incap;
} chat_state;

/* ======================================================================
 * Names
 * ==================================================================== */

static int name_valid(const char *s, size_t len)
{
    size_t i;
    if (len == 0 || len > NAME_MAX_LEN)
        return 0;
    for (i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return 0;
    }
    return 1;
}

static chat_user *find_user(chat_state *st, const char *name, const chat_user *except)
{
    chat_user *u;
    for (u = st->head; u; u = u->next)
        if (u != except && u->live && lm_chat_name_eq(u->name, name))
            return u;
    return NULL;
}

/* "guest-..." names are handed out by the server, never picked. */
static int is_guest_name(const char *name)
{
    char head[sizeof GUEST_PREFIX];
    if (strlen(name) < sizeof GUEST_PREFIX - 1)
        return 0;
    memcpy(head, name, sizeof GUEST_PREFIX - 1);
    head[sizeof GUEST_PREFIX - 1] = '\0';
    return lm_chat_name_eq(head, GUEST_PREFIX);
}

/* A certificate CN becomes a name as it is, except that bytes which could
 * break a line or steer a terminal become '?' or go (lm_chat_clean). */
static void name_from_cert(char *out, const char *cn)
{
    size_t i;
    for (i = 0; cn[i] && i < CERT_NAME_MAX; i++) {
        unsigned char ch = (unsigned char)cn[i];
        out[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    i = lm_chat_clean(out, i);
    if (i == 0)
        out[i++] = '?';
    out[i] = '\0';
}

/* The name as others see it: "bob?" for an unverified user. */
static const char *shown(const chat_user *u, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s", u->name, u->unverified ? "?" : "");
    return buf;
}

static lm_msg_id how_id(const chat_user *u)
{
    if (u->cert)
        return LM_M_CHATW_HOW_CERT;
    if (u->secure)
        return LM_M_CHATW_HOW_TLS;
    return u->unverified ? LM_M_CHATW_HOW_PLAIN_UNVERIFIED : LM_M_CHATW_HOW_PLAIN;
}

/* ======================================================================
 * Sending
 * ==================================================================== */

/* A catalog entry in one language (an untranslated one falls back). */
static const char *tr(lm_msg_id id, int pt)
{
    const char *s = lm_tr_lang(id, pt);
    return *s ? s : lm_tr_lang(id, 0);
}

/* Format one line, newline included, into out[pt], growing it for long
 * messages. Chat is a line protocol whatever --framing says: even a client
 * that has not spoken yet (auto framing has not picked a mode) must get
 * whole lines, so lines are queued raw with their own newline. */
static void vput(chat_state *st, int pt, const char *fmt, va_list ap)
{
    chat_line *l = &st->out[pt];
    for (;;) {
        va_list cp;
        int n;
        va_copy(cp, ap);
        n = vsnprintf(l->buf, l->cap, fmt, cp);
        va_end(cp);
        if (n < 0) {
            l->len = 0;
            return;
        }
        if ((size_t)n + 1 < l->cap) {
            l->buf[n] = '\n';
            l->len = (size_t)n + 1;
            return;
        }
        l->buf = lm_xrealloc(l->buf, (size_t)n + 2);
        l->cap = (size_t)n + 2;
    }
}

/* A notice in one language. */
static void put(chat_state *st, int pt, lm_msg_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    vput(st, pt, tr(id, pt), ap);
    va_end(ap);
}

/* A notice in both languages, same arguments. */
static void put2(chat_state *st, lm_msg_id id, ...)
{
    va_list ap;
    int pt;
    for (pt = 0; pt < 2; pt++) {
        va_start(ap, id);
        vput(st, pt, tr(id, pt), ap);
        va_end(ap);
    }
}

/* What users wrote: the same in every language, kept in out[0]. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
put_text(chat_state *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vput(st, 0, fmt, ap);
    va_end(ap);
}

/* Queue the formatted line to one session: its language's version, or
 * out[0] when the line is not per language. A full queue disconnects that
 * client only (logged by the engine, which frees it after the turn, so the
 * lists stay valid); everyone else still gets the line. */
static void send_sess(chat_state *st, chat_sess *s, int per_lang)
{
    const chat_line *l = &st->out[per_lang ? s->pt : 0];
    if (!s->gone && l->len)
        lm_conn_send_raw(s->c, l->buf, l->len);
}

static void send_user(chat_state *st, chat_user *u, const chat_sess *except, int per_lang)
{
    chat_sess *s;
    for (s = u->sessions; s; s = s->next)
        if (s != except)
            send_sess(st, s, per_lang);
}

/* To everyone but the session `except` (NULL: all) and the user
 * `except_user`. `from` is whose words these are: with --chat-require-tls a
 * plain user's words do not reach TLS users, notices (join, leave) do. */
static void send_all(chat_state *st, const chat_sess *except, const chat_user *except_user,
                     const chat_user *from, int per_lang)
{
    chat_user *u;
    for (u = st->head; u; u = u->next) {
        if (u == except_user || !u->live)
            continue;
        if (st->require_tls && from && !from->secure && u->secure)
            continue;
        send_user(st, u, except, per_lang);
    }
}

/* Console copies of names and text are escaped: they come from the net. */
static const char *esc(char *out, size_t len, const char *s, size_t n)
{
    lm_escape(out, len, s, n);
    return out;
}

/* ======================================================================
 * Joining and leaving
 * ==================================================================== */

static size_t others_here(const chat_state *st, const chat_user *me)
{
    const chat_user *o;
    size_t n = 0;
    for (o = st->head; o; o = o->next)
        if (o != me && o->live)
            n++;
    return n;
}

/* The welcome, one line, always the first line a session gets: a client
 * that asks for another language with /lang as its first line gets it
 * again in that language and can drop the first. */
static void welcome(chat_state *st, chat_sess *s)
{
    chat_user *u = s->user;
    char nm[CERT_NAME_MAX + 2], others[96], line[1024];
    size_t n = others_here(st, u), used;
    int pt = s->pt;

    if (n == 0)
        snprintf(others, sizeof others, "%s", tr(LM_M_CHATW_OTHERS_NONE, pt));
    else if (n == 1)
        snprintf(others, sizeof others, "%s", tr(LM_M_CHATW_OTHERS_ONE, pt));
    else
        snprintf(others, sizeof others, tr(LM_M_CHATW_OTHERS_MANY, pt), n);
    snprintf(line, sizeof line, tr(LM_M_CHATW_WELCOME, pt), shown(u, nm, sizeof nm),
             tr(how_id(u), pt), others);
    used = strlen(line);
    if (u->live > 1) {
        chat_sess *o = u->sessions;
        while (o && (o == s || o->gone))
            o = o->next;
        if (o && used + 2 < sizeof line) {
            memcpy(line + used, "; ", 2);
            used += 2;
            snprintf(line + used, sizeof line - used, tr(LM_M_CHATW_ALSO_FROM, pt),
                     lm_conn_peer(o->c), u->live);
            used = strlen(line);
        }
    }
    if (!u->secure && st->require_tls)
        snprintf(line + used, sizeof line - used, "; %s", tr(LM_M_CHATW_NOTE_REQUIRE_TLS, pt));
    put(st, pt, LM_M_PASSTHROUGH, line);
    send_sess(st, s, 1);
}

static void announce_join(chat_state *st, chat_user *u)
{
    char nm[CERT_NAME_MAX + 2];
    int pt;
    shown(u, nm, sizeof nm);
    for (pt = 0; pt < 2; pt++)
        put(st, pt, LM_M_CHATW_JOINED, nm, tr(how_id(u), pt));
    send_all(st, NULL, u, NULL, 1);
}

static void log_join(chat_sess *s)
{
    char e[200];
    chat_user *u = s->user;
    lm_info(LM_M_CHAT_JOINED, lm_conn_peer(s->c), esc(e, sizeof e, u->name, strlen(u->name)),
            lm_tr(how_id(u)));
}

/* A session leaves the room (it quit, or its connection went away): the
 * user leaves with its last session; its other sessions are told. */
static void leave(chat_state *st, chat_sess *s, const char *reason, size_t reason_len)
{
    chat_user *u = s->user;
    char nm[CERT_NAME_MAX + 2], e[200];

    if (s->gone)
        return;
    s->gone = 1;
    u->live--;
    lm_info(LM_M_CHAT_LEFT, esc(e, sizeof e, u->name, strlen(u->name)), lm_conn_peer(s->c));
    if (u->live) {
        put2(st, LM_M_CHATW_SESSION_LEFT, lm_conn_peer(s->c), u->live);
        send_user(st, u, NULL, 1);
        return;
    }
    shown(u, nm, sizeof nm);
    if (reason_len)
        put2(st, LM_M_CHATW_LEFT_REASON, nm, (int)reason_len, reason);
    else
        put2(st, LM_M_CHATW_LEFT, nm);
    send_all(st, NULL, u, NULL, 1);
}

static void link_user(chat_state *st, chat_user *u)
{
    u->prev = st->tail;
    if (st->tail)
        st->tail->next = u;
    else
        st->head = u;
    st->tail = u;
}

static void unlink_user(chat_state *st, chat_user *u)
{
    if (u->prev)
        u->prev->next = u->next;
    else
        st->head = u->next;
    if (u->next)
        u->next->prev = u->prev;
    else
        st->tail = u->prev;
}

static void add_session(chat_user *u, chat_sess *s)
{
    chat_sess **p = &u->sessions;
    while (*p)
        p = &(*p)->next;
    *p = s;
    s->user = u;
    u->live++;
}

static void rename_user(chat_state *st, chat_user *u, const char *name)
{
    char old[CERT_NAME_MAX + 2], nw[CERT_NAME_MAX + 2], e1[200], e2[200];
    shown(u, old, sizeof old);
    snprintf(u->name, sizeof u->name, "%s", name);
    shown(u, nw, sizeof nw);
    put2(st, LM_M_CHATW_RENAMED, old, nw);
    send_all(st, NULL, NULL, NULL, 1);
    lm_info(LM_M_CHAT_RENAMED, esc(e1, sizeof e1, old, strlen(old)),
            esc(e2, sizeof e2, nw, strlen(nw)));
}

/* A certificate holder connects: a second session of a user already here,
 * a new user, or a different certificate whose name clashes. Returns the
 * user, or NULL when the session was refused. */
static chat_user *cert_user(chat_state *st, chat_sess *s, const char *cn)
{
    char name[CERT_NAME_MAX + 1], e1[200], e2[200];
    chat_user *o, *u;

    name_from_cert(name, cn);
    o = find_user(st, name, NULL);
    if (o && o->cert && strcmp(o->name, name) != 0) {
        /* Same name without regard to case, not the same name: another
         * identity, which would be impossible to tell apart on screen. */
        put(st, 0, LM_M_CHATW_ERR_CERT_CLASH, name, o->name);
        send_sess(st, s, 1);
        lm_info(LM_M_CHAT_CERT_CLASH, lm_conn_peer(s->c), esc(e1, sizeof e1, name, strlen(name)),
                esc(e2, sizeof e2, o->name, strlen(o->name)));
        lm_conn_close(s->c, lm_tr(LM_M_CHAT_REASON_CLASH));
        return NULL;
    }
    lm_chat_names_seen(st->reserved, name);
    if (o && o->cert)
        return o; /* one more session of the same user */
    if (o) {
        /* Someone without a certificate borrowed the owner's name. */
        char guest[40], nm[CERT_NAME_MAX + 2];
        chat_sess *b = o->sessions;
        snprintf(guest, sizeof guest, GUEST_PREFIX "%llu", (unsigned long long)lm_conn_id(b->c));
        snprintf(nm, sizeof nm, "%s?", guest);
        put(st, b->pt, LM_M_CHATW_RENAMED_FOR_OWNER, o->name, o->unverified ? nm : guest);
        send_user(st, o, NULL, 1);
        rename_user(st, o, guest);
    }
    u = lm_xcalloc(1, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", name);
    u->cert = 1;
    u->secure = 1;
    return u;
}

static void chat_open(void *state, lm_conn *c)
{
    chat_state *st = state;
    chat_sess *s = lm_xcalloc(1, sizeof *s);
    const char *cn = lm_conn_cert_name(c);
    chat_user *u;

    s->c = c;
    if (cn && cn[0]) {
        u = cert_user(st, s, cn);
        if (!u) {
            free(s);
            return;
        }
    } else {
        u = lm_xcalloc(1, sizeof *u);
        snprintf(u->name, sizeof u->name, GUEST_PREFIX "%llu", (unsigned long long)lm_conn_id(c));
        u->secure = lm_conn_secure(c);
        u->unverified = st->tls;
    }
    lm_conn_set_data(c, s);
    add_session(u, s);
    if (u->live == 1) {
        link_user(st, u);
        announce_join(st, u);
    } else {
        put2(st, LM_M_CHATW_SESSION_JOINED, lm_conn_peer(c), u->live);
        send_user(st, u, s, 1);
    }
    welcome(st, s);
    log_join(s);
}

static void chat_close(void *state, lm_conn *c)
{
    chat_state *st = state;
    chat_sess *s = lm_conn_data(c), **p;
    chat_user *u;

    if (!s)
        return;
    u = s->user;
    leave(st, s, NULL, 0);
    for (p = &u->sessions; *p != s; p = &(*p)->next)
        ;
    *p = s->next;
    lm_conn_set_data(c, NULL);
    free(s);
    if (!u->sessions) {
        unlink_user(st, u);
        free(u);
    }
}

/* ======================================================================
 * Commands
 * ==================================================================== */

static void tell(chat_state *st, chat_sess *s, lm_msg_id id, ...)
{
    va_list ap;
    va_start(ap, id);
    vput(st, s->pt, tr(id, s->pt), ap);
    va_end(ap);
    send_sess(st, s, 1);
}

static void cmd_who(chat_state *st, chat_sess *s)
{
    chat_user *o;
    char nm[CERT_NAME_MAX + 2], line[256];
    int pt = s->pt;

    tell(st, s, LM_M_CHATW_WHO_COUNT, others_here(st, NULL));
    for (o = st->head; o; o = o->next) {
        if (!o->live)
            continue;
        shown(o, nm, sizeof nm);
        if (o->live > 1)
            snprintf(line, sizeof line, tr(LM_M_CHATW_WHO_SESSIONS, pt), nm, tr(how_id(o), pt),
                     o->live);
        else
            snprintf(line, sizeof line, tr(LM_M_CHATW_WHO_ENTRY, pt), nm, tr(how_id(o), pt));
        if (o == s->user)
            snprintf(line + strlen(line), sizeof line - strlen(line), "%s",
                     tr(LM_M_CHATW_WHO_YOU, pt));
        tell(st, s, LM_M_PASSTHROUGH, line);
    }
}

static void cmd_nick(chat_state *st, chat_sess *s, const char *arg, size_t len)
{
    chat_user *u = s->user;
    char name[NAME_MAX_LEN + 1];

    if (u->cert) {
        tell(st, s, LM_M_CHATW_ERR_NICK_CERT, u->name);
        return;
    }
    if (!name_valid(arg, len)) {
        tell(st, s, LM_M_CHATW_ERR_NICK_BAD);
        return;
    }
    memcpy(name, arg, len);
    name[len] = '\0';
    if (is_guest_name(name)) {
        tell(st, s, LM_M_CHATW_ERR_NICK_GUEST);
        return;
    }
    if (strcmp(name, u->name) == 0)
        return;
    if (lm_chat_names_has(st->reserved, name)) {
        tell(st, s, LM_M_CHATW_ERR_NICK_RESERVED, name);
        return;
    }
    if (find_user(st, name, u)) {
        tell(st, s, LM_M_CHATW_ERR_NICK_TAKEN, name);
        return;
    }
    rename_user(st, u, name);
}

static void cmd_msg(chat_state *st, chat_sess *s, const lm_chat_cmd *cmd)
{
    chat_user *u = s->user, *to = NULL;
    char name[CERT_NAME_MAX + 1], nm[CERT_NAME_MAX + 2];
    size_t n = cmd->name_len;

    /* "bob?" is how an unverified bob is shown, so it names him too. */
    if (n > 1 && cmd->name[n - 1] == '?')
        n--;
    if (n <= CERT_NAME_MAX) {
        memcpy(name, cmd->name, n);
        name[n] = '\0';
        to = find_user(st, name, NULL);
    }
    if (!to) {
        char e[CERT_NAME_MAX * 4 + 8];
        tell(st, s, LM_M_CHATW_ERR_NOBODY, esc(e, sizeof e, cmd->name, cmd->name_len));
        return;
    }
    if (st->require_tls && !u->secure && to->secure) {
        tell(st, s, LM_M_CHATW_ERR_REQUIRE_TLS, to->name);
        return;
    }
    put2(st, LM_M_CHATW_PRIVATE, shown(u, nm, sizeof nm), (int)cmd->text_len, cmd->text);
    send_user(st, to, NULL, 1);
    put2(st, LM_M_CHATW_PRIVATE_TO, shown(to, nm, sizeof nm), (int)cmd->text_len, cmd->text);
    send_user(st, u, NULL, 1);
}

/* /lang CODE: this session's notices from now on. Nothing is answered,
 * except that a /lang that is the session's first line gets the welcome
 * again, in the new language (see welcome()). */
static void cmd_lang(chat_state *st, chat_sess *s, const char *code, size_t len)
{
    int pt;
    if (len == 2 && memcmp(code, "en", 2) == 0)
        pt = 0;
    else if (len == 2 && memcmp(code, "pt", 2) == 0)
        pt = 1;
    else {
        tell(st, s, LM_M_CHATW_ERR_LANG);
        return;
    }
    s->pt = pt;
    if (!s->spoke)
        welcome(st, s);
}

/* Room for the cleaned copy of an incoming line. */
static char *in_copy(chat_state *st, const char *msg, size_t len)
{
    if (len + 1 > st->incap) {
        st->in = lm_xrealloc(st->in, len + 1);
        st->incap = len + 1;
    }
    memcpy(st->in, msg, len);
    return st->in;
}

/* One line from a user: a public message or a command (see chat_cmd.h for
 * the syntax), cleaned of terminal controls first. */
static void chat_message(void *state, lm_conn *c, const char *msg, size_t len)
{
    chat_state *st = state;
    chat_sess *s = lm_conn_data(c);
    chat_user *u;
    char nm[CERT_NAME_MAX + 2], e[48], *line;
    lm_chat_cmd cmd;

    if (!s || s->gone)
        return;
    u = s->user;
    line = in_copy(st, msg, len);
    len = lm_chat_clean(line, len);
    lm_chat_parse(line, len, &cmd);
    switch (cmd.kind) {
    case LM_CHAT_EMPTY:
        break;
    case LM_CHAT_SAY:
        put_text(st, "<%s> %.*s", shown(u, nm, sizeof nm), (int)cmd.text_len, cmd.text);
        send_all(st, s, NULL, u, 0);
        if (lm_log_level() >= LM_LOG_VERBOSE) {
            char e1[200], e2[1024];
            lm_debug(LM_M_CHAT_SAID, esc(e1, sizeof e1, u->name, strlen(u->name)),
                     esc(e2, sizeof e2, cmd.text, cmd.text_len));
        }
        break;
    case LM_CHAT_HELP:
        tell(st, s, LM_M_CHATW_HELP);
        break;
    case LM_CHAT_WHO:
        cmd_who(st, s);
        break;
    case LM_CHAT_NICK:
        cmd_nick(st, s, cmd.name, cmd.name_len);
        break;
    case LM_CHAT_MSG:
        cmd_msg(st, s, &cmd);
        break;
    case LM_CHAT_ME:
        put_text(st, "* %s %.*s", shown(u, nm, sizeof nm), (int)cmd.text_len, cmd.text);
        send_all(st, s, NULL, u, 0);
        break;
    case LM_CHAT_QUIT:
        tell(st, s, LM_M_CHATW_BYE);
        leave(st, s, cmd.text, cmd.text_len);
        lm_conn_close(c, lm_tr(LM_M_CHAT_REASON_QUIT));
        break;
    case LM_CHAT_LANG:
        cmd_lang(st, s, cmd.name, cmd.name_len);
        break;
    case LM_CHAT_USAGE:
        tell(st, s,
             cmd.name_len == 4 && memcmp(cmd.name, "/msg", 4) == 0 ? LM_M_CHATW_ERR_USAGE_MSG
                                                                   : LM_M_CHATW_ERR_USAGE_ME);
        break;
    case LM_CHAT_UNKNOWN:
        lm_escape(e, sizeof e, cmd.name, cmd.name_len);
        tell(st, s, LM_M_CHATW_ERR_UNKNOWN, e);
        break;
    }
    s->spoke = 1;
}

/* ======================================================================
 * Life cycle
 * ==================================================================== */

static void chat_fini(void *state)
{
    chat_state *st = state;
    if (!st)
        return;
    while (st->head) {
        chat_user *u = st->head;
        unlink_user(st, u);
        while (u->sessions) {
            chat_sess *s = u->sessions;
            u->sessions = s->next;
            free(s);
        }
        free(u);
    }
    lm_chat_names_free(st->reserved);
    free(st->out[0].buf);
    free(st->out[1].buf);
    free(st->in);
    free(st);
}

/* The room is one list of users, walked by broadcasts: every user must be
 * served by the same event loop, so chat refuses more than one. */
static int chat_init(const lm_service_params *p, void **state, char *err, size_t errlen)
{
    chat_state *st;
    int i;

    if (p->threads > 1) {
        lm_format(err, errlen, LM_M_CHAT_THREADS, p->threads);
        return LM_ERR;
    }
    if (p->datagram) {
        lm_format(err, errlen, LM_M_CHAT_UDP);
        return LM_ERR;
    }
    st = lm_xcalloc(1, sizeof *st);
    for (i = 0; i < 2; i++) {
        st->out[i].buf = lm_xmalloc(1024);
        st->out[i].cap = 1024;
    }
    st->require_tls = p->chat_require_tls;
    st->tls = p->tls;
    st->reserved = lm_chat_names_open(p->state_dir, err, errlen);
    if (!st->reserved) {
        chat_fini(st); /* the engine calls fini only after a successful init */
        return LM_ERR;
    }
    *state = st;
    return LM_OK;
}

const lm_service lm_service_chat = {
    .name = "chat",
    .init = chat_init,
    .on_open = chat_open,
    .on_message = chat_message,
    .on_close = chat_close,
    .fini = chat_fini,
};
