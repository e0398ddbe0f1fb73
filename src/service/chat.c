/* lanmsg service "chat": one room, every line goes to everyone else.
 *
 * Wire format (English, never translated; one line each):
 *   <alice> hello                 a message from alice
 *   * alice waves                 /me
 *   * alice joined (TLS, certificate)   * alice left
 *   * guest-3 is now known as dave
 *   <alice> (private) psst        /msg, as the recipient sees it
 *   error: ...                    a refused command, to its sender only
 *
 * Names: 1 to 32 characters from A-Z a-z 0-9 - _ . , compared without regard
 * to case (so "Alice" cannot pass for "alice"). A client gets "guest-<id>"
 * until it picks a name; "guest-" names cannot be picked. Under mutual TLS the
 * name is the certificate's CN and /nick is refused. A CN is reserved from
 * the moment its holder first connects, for the life of the server, so
 * nobody can take it with /nick even while its owner is away; a plain or
 * anonymous client already using it is renamed when the owner arrives.
 *
 * Transports: when the server speaks TLS and also accepts plain clients
 * (--allow-plain), a plain client's name is shown with a trailing "?"
 * ("bob?") in every message and in /who: "?" is never part of a name, so it
 * cannot be faked. --chat-require-tls stops relaying plain clients' messages
 * (public, /me and /msg) to TLS clients; join and leave notices still go.
 * Both are off by default, as --allow-plain is.
 *
 * The service sees connections only through lm_conn_*: queues are bounded by
 * the engine, so a client that stops reading is disconnected (logged) and
 * never slows the others. It runs on one event loop, because a broadcast
 * walks every connection of the server. Public messages are logged with -v
 * only; private ones never. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanmsg/error.h"
#include "lanmsg/service.h"
#include "util/mem.h"
#include "util/text.h"
#include "chat_cmd.h"

#define NAME_MAX_LEN  32
#define CERT_NAME_MAX 64
#define GUEST_PREFIX  "guest-"

typedef struct chat_user {
    lm_conn *c;
    char name[CERT_NAME_MAX + 1];
    int plain;  /* plain TCP on a server that speaks TLS: unverified */
    int cert;   /* name comes from a verified client certificate */
    int secure; /* TLS */
    int gone;   /* leave already announced */
    struct chat_user *prev, *next;
} chat_user;

typedef struct chat_state {
    int require_tls;
    int mixed; /* the server speaks TLS: plain clients are marked */
    chat_user *head, *tail;
    char **reserved; /* certificate CNs seen since start */
    size_t nreserved, capreserved;
    char *buf; /* one outgoing line */
    size_t bufcap;
} chat_state;

/* ======================================================================
 * Names
 * ==================================================================== */

static int name_eq(const char *a, const char *b)
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
        if (u != except && !u->gone && name_eq(u->name, name))
            return u;
    return NULL;
}

static int is_reserved(const chat_state *st, const char *name)
{
    size_t i;
    for (i = 0; i < st->nreserved; i++)
        if (name_eq(st->reserved[i], name))
            return 1;
    return 0;
}

static void reserve(chat_state *st, const char *name)
{
    if (is_reserved(st, name))
        return;
    if (st->nreserved == st->capreserved) {
        size_t cap = st->capreserved ? st->capreserved * 2 : 16;
        st->reserved = lm_xrealloc(st->reserved, cap * sizeof *st->reserved);
        st->capreserved = cap;
    }
    st->reserved[st->nreserved++] = lm_xstrdup(name);
}

/* "guest-..." names are handed out by the server, never picked. */
static int is_guest_name(const char *name)
{
    char head[sizeof GUEST_PREFIX];
    if (strlen(name) < sizeof GUEST_PREFIX - 1)
        return 0;
    memcpy(head, name, sizeof GUEST_PREFIX - 1);
    head[sizeof GUEST_PREFIX - 1] = '\0';
    return name_eq(head, GUEST_PREFIX);
}

/* A certificate CN becomes a name as it is, except that bytes which could
 * break a line or a terminal become '?'. */
static void name_from_cert(char *out, const char *cn)
{
    size_t i;
    for (i = 0; cn[i] && i < CERT_NAME_MAX; i++) {
        unsigned char ch = (unsigned char)cn[i];
        out[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    out[i] = '\0';
}

/* The name as others see it: "bob?" for an unverified plain client. */
static const char *shown(const chat_user *u, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s", u->name, u->plain ? "?" : "");
    return buf;
}

static const char *transport_word(const chat_user *u)
{
    if (u->cert)
        return "TLS, certificate";
    if (u->secure)
        return "TLS";
    return u->plain ? "plain, unverified" : "plain";
}

/* ======================================================================
 * Sending
 * ==================================================================== */

/* Format one line, newline included, into the shared buffer, growing it
 * for long messages. Chat is a line protocol whatever --framing says: even
 * a client that has not spoken yet (auto framing has not picked a mode)
 * must get whole lines, so lines are queued raw with their own newline. */
static int vline(chat_state *st, const char *fmt, va_list ap)
{
    for (;;) {
        va_list cp;
        int n;
        va_copy(cp, ap);
        n = vsnprintf(st->buf, st->bufcap, fmt, cp);
        va_end(cp);
        if (n < 0)
            return -1;
        if ((size_t)n + 1 < st->bufcap) {
            st->buf[n] = '\n';
            return n + 1;
        }
        st->buf = lm_xrealloc(st->buf, (size_t)n + 2);
        st->bufcap = (size_t)n + 2;
    }
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
tell(chat_state *st, chat_user *u, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vline(st, fmt, ap);
    va_end(ap);
    if (n >= 0)
        lm_conn_send_raw(u->c, st->buf, (size_t)n);
}

typedef struct bcast {
    chat_state *st;
    const chat_user *from; /* not sent to; NULL = everyone */
    size_t len;
    int notice; /* join/leave: relayed even with --chat-require-tls */
} bcast;

static void bcast_one(chat_user *u, const bcast *b)
{
    if (u->gone || u == b->from)
        return;
    if (b->st->require_tls && !b->notice && b->from && b->from->plain && u->secure)
        return;
    /* A full queue disconnects that client only (logged by the engine,
     * which frees it after the turn, so this list stays valid); everyone
     * else still gets the line. */
    lm_conn_send_raw(u->c, b->st->buf, b->len);
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void
broadcast(chat_state *st, const chat_user *from, int notice, const char *fmt, ...)
{
    va_list ap;
    bcast b;
    int n;
    va_start(ap, fmt);
    n = vline(st, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    b.st = st;
    b.from = from;
    b.len = (size_t)n;
    b.notice = notice;
    for (chat_user *u = st->head; u; u = u->next)
        bcast_one(u, &b);
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

static void announce_leave(chat_state *st, chat_user *u)
{
    char nm[CERT_NAME_MAX + 2], e[200];
    if (u->gone)
        return;
    u->gone = 1;
    broadcast(st, u, 1, "* %s left", shown(u, nm, sizeof nm));
    lm_info(LM_M_CHAT_LEFT, esc(e, sizeof e, u->name, strlen(u->name)), lm_conn_peer(u->c));
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

static void rename_user(chat_state *st, chat_user *u, const char *name)
{
    char old[CERT_NAME_MAX + 2], nw[CERT_NAME_MAX + 2], e1[200], e2[200];
    shown(u, old, sizeof old);
    snprintf(u->name, sizeof u->name, "%s", name);
    shown(u, nw, sizeof nw);
    broadcast(st, NULL, 1, "* %s is now known as %s", old, nw);
    lm_info(LM_M_CHAT_RENAMED, esc(e1, sizeof e1, old, strlen(old)),
            esc(e2, sizeof e2, nw, strlen(nw)));
}

static void chat_open(void *state, lm_conn *c)
{
    chat_state *st = state;
    chat_user *u = lm_xcalloc(1, sizeof *u), *o;
    const char *cn = lm_conn_cert_name(c);
    char nm[CERT_NAME_MAX + 2], e[200];
    size_t others = 0;

    u->c = c;
    u->secure = lm_conn_secure(c);
    u->plain = !u->secure && st->mixed;
    if (cn && cn[0]) {
        u->cert = 1;
        name_from_cert(u->name, cn);
        o = find_user(st, u->name, NULL);
        if (o && o->cert) {
            /* Same certificate twice: one name, one connection. */
            static const char msg[] = "error: your certificate's name is already connected; close "
                                      "the other session first";
            lm_conn_send_raw(c, msg, sizeof msg - 1);
            lm_info(LM_M_CHAT_DUPLICATE_CERT, lm_conn_peer(c), esc(e, sizeof e, cn, strlen(cn)));
            lm_conn_close(c, lm_tr(LM_M_CHAT_REASON_DUPLICATE));
            free(u);
            return;
        }
        reserve(st, u->name);
        if (o) {
            /* Someone borrowed the owner's name before the owner came. */
            char guest[40];
            snprintf(guest, sizeof guest, GUEST_PREFIX "%llu",
                     (unsigned long long)lm_conn_id(o->c));
            tell(st, o, "* the name %s belongs to a certificate holder; you are now %s", o->name,
                 guest);
            rename_user(st, o, guest);
        }
    } else {
        snprintf(u->name, sizeof u->name, GUEST_PREFIX "%llu", (unsigned long long)lm_conn_id(c));
    }
    lm_conn_set_data(c, u);
    u->prev = st->tail;
    if (st->tail)
        st->tail->next = u;
    else
        st->head = u;
    st->tail = u;

    broadcast(st, u, 1, "* %s joined (%s)", shown(u, nm, sizeof nm), transport_word(u));
    for (o = st->head; o; o = o->next)
        if (o != u && !o->gone)
            others++;
    tell(st, u, "* welcome, you are %s (%s); %zu other%s here; /help lists commands", nm,
         transport_word(u), others, others == 1 ? " is" : "s are");
    if (u->plain && st->require_tls)
        tell(st, u,
             "* note: this server does not relay messages from plain TCP clients to TLS "
             "clients (--chat-require-tls)");
    lm_info(LM_M_CHAT_JOINED, lm_conn_peer(c), esc(e, sizeof e, u->name, strlen(u->name)),
            transport_word(u));
}

static void chat_close(void *state, lm_conn *c)
{
    chat_state *st = state;
    chat_user *u = lm_conn_data(c);
    if (!u)
        return;
    announce_leave(st, u);
    unlink_user(st, u);
    lm_conn_set_data(c, NULL);
    free(u);
}

/* ======================================================================
 * Commands
 * ==================================================================== */

static void cmd_help(chat_state *st, chat_user *u)
{
    tell(st, u,
         "* commands: /nick NAME (1-32 of A-Z a-z 0-9 - _ .), /who, /msg NAME text, "
         "/me action, /quit, /help; start a line with // to send one starting with /");
}

static void cmd_who(chat_state *st, chat_user *u)
{
    chat_user *o;
    size_t n = 0;
    char nm[CERT_NAME_MAX + 2];
    for (o = st->head; o; o = o->next)
        if (!o->gone)
            n++;
    tell(st, u, "* %zu connected:", n);
    for (o = st->head; o; o = o->next)
        if (!o->gone)
            tell(st, u, "*   %s (%s)%s", shown(o, nm, sizeof nm), transport_word(o),
                 o == u ? " - you" : "");
}

static void cmd_nick(chat_state *st, chat_user *u, const char *arg, size_t len)
{
    char name[NAME_MAX_LEN + 1];
    if (u->cert) {
        tell(st, u, "error: your name %s comes from your certificate and cannot be changed",
             u->name);
        return;
    }
    if (!name_valid(arg, len)) {
        tell(st, u,
             "error: /nick needs a name of 1 to 32 characters from A-Z a-z 0-9 - _ . "
             "(try /nick alice)");
        return;
    }
    memcpy(name, arg, len);
    name[len] = '\0';
    if (is_guest_name(name)) {
        tell(st, u, "error: names starting with guest- are given by the server; pick another");
        return;
    }
    if (strcmp(name, u->name) == 0)
        return;
    if (is_reserved(st, name)) {
        tell(st, u, "error: the name %s belongs to a certificate holder; pick another", name);
        return;
    }
    if (find_user(st, name, u)) {
        tell(st, u, "error: the name %s is taken; pick another", name);
        return;
    }
    rename_user(st, u, name);
}

static void cmd_msg(chat_state *st, chat_user *u, const lm_chat_cmd *cmd)
{
    char name[CERT_NAME_MAX + 1], nm[CERT_NAME_MAX + 2];
    chat_user *to = NULL;

    if (cmd->name_len <= CERT_NAME_MAX) {
        memcpy(name, cmd->name, cmd->name_len);
        name[cmd->name_len] = '\0';
        to = find_user(st, name, NULL);
    }
    if (!to) {
        char e[CERT_NAME_MAX * 4 + 8];
        tell(st, u, "error: nobody called %s is here (see /who)",
             esc(e, sizeof e, cmd->name, cmd->name_len));
        return;
    }
    if (st->require_tls && u->plain && to->secure) {
        tell(st, u,
             "error: %s uses TLS and this server does not relay plain TCP clients to TLS "
             "clients (--chat-require-tls)",
             to->name);
        return;
    }
    tell(st, to, "<%s> (private) %.*s", shown(u, nm, sizeof nm), (int)cmd->text_len, cmd->text);
    tell(st, u, "* (private to %s) %.*s", shown(to, nm, sizeof nm), (int)cmd->text_len, cmd->text);
}

/* One line from a user: a public message or a command (see chat_cmd.h for
 * the syntax). */
static void chat_message(void *state, lm_conn *c, const char *msg, size_t len)
{
    chat_state *st = state;
    chat_user *u = lm_conn_data(c);
    char nm[CERT_NAME_MAX + 2], e[48];
    lm_chat_cmd cmd;

    if (!u || u->gone)
        return;
    lm_chat_parse(msg, len, &cmd);
    switch (cmd.kind) {
    case LM_CHAT_EMPTY:
        break;
    case LM_CHAT_SAY:
        broadcast(st, u, 0, "<%s> %.*s", shown(u, nm, sizeof nm), (int)cmd.text_len, cmd.text);
        if (lm_log_level() >= LM_LOG_VERBOSE) {
            char e1[200], e2[1024];
            lm_debug(LM_M_CHAT_SAID, esc(e1, sizeof e1, u->name, strlen(u->name)),
                     esc(e2, sizeof e2, cmd.text, cmd.text_len));
        }
        break;
    case LM_CHAT_HELP:
        cmd_help(st, u);
        break;
    case LM_CHAT_WHO:
        cmd_who(st, u);
        break;
    case LM_CHAT_NICK:
        cmd_nick(st, u, cmd.name, cmd.name_len);
        break;
    case LM_CHAT_MSG:
        cmd_msg(st, u, &cmd);
        break;
    case LM_CHAT_ME:
        broadcast(st, u, 0, "* %s %.*s", shown(u, nm, sizeof nm), (int)cmd.text_len, cmd.text);
        break;
    case LM_CHAT_QUIT:
        tell(st, u, "* bye");
        announce_leave(st, u);
        lm_conn_close(u->c, lm_tr(LM_M_CHAT_REASON_QUIT));
        break;
    case LM_CHAT_USAGE:
        tell(st, u, "error: usage: %.*s %s", (int)cmd.name_len, cmd.name,
             cmd.name_len == 4 && memcmp(cmd.name, "/msg", 4) == 0 ? "NAME text" : "action");
        break;
    case LM_CHAT_UNKNOWN:
        lm_escape(e, sizeof e, cmd.name, cmd.name_len);
        tell(st, u, "error: unknown command %s (try /help)", e);
        break;
    }
}

/* ======================================================================
 * Life cycle
 * ==================================================================== */

/* The room is one list of users, walked by broadcasts: every user must be
 * served by the same event loop, so chat refuses more than one. */
static int chat_init(const lm_service_params *p, void **state, char *err, size_t errlen)
{
    chat_state *st;

    if (p->threads > 1) {
        lm_format(err, errlen, LM_M_CHAT_THREADS, p->threads);
        return LM_ERR;
    }
    st = lm_xcalloc(1, sizeof *st);
    st->buf = lm_xmalloc(1024);
    st->bufcap = 1024;
    st->require_tls = p->chat_require_tls;
    st->mixed = p->tls;
    *state = st;
    return LM_OK;
}

static void chat_fini(void *state)
{
    chat_state *st = state;
    size_t i;
    if (!st)
        return;
    while (st->head) {
        chat_user *u = st->head;
        unlink_user(st, u);
        free(u);
    }
    for (i = 0; i < st->nreserved; i++)
        free(st->reserved[i]);
    free(st->reserved);
    free(st->buf);
    free(st);
}

const lm_service lm_service_chat = {
    .name = "chat",
    .init = chat_init,
    .on_open = chat_open,
    .on_message = chat_message,
    .on_close = chat_close,
    .fini = chat_fini,
};
