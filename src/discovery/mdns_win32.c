/* Discovery through Windows' own DNS-SD API (windns.h: DnsServiceRegister,
 * DnsServiceBrowse, DnsServiceResolve; Windows 10 1809 and later): see
 * disc_backend.h.
 *
 * Windows runs its own mDNS responder on 5353; registering with it is what
 * Windows users get from every other program, and it works through the
 * firewall rules the system already has. The functions are looked up in
 * dnsapi.dll at run time rather than linked: on an older Windows (and
 * under wine, which lacks them) the .exe still starts, and the built-in
 * responder takes over.
 *
 * The API calls back on its own threads. Registration needs nothing from
 * the caller's loop (no watches, no timers): a flag and the name, under a
 * lock, are all the callbacks touch. This file is Windows-only code in
 * src/discovery/ because it is a DNS-SD backend, like mdns_avahi.c; it
 * opens no socket itself. */
#if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0A00
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
#define WIN32_LEAN_AND_MEAN

#include <winsock2.h>
#include <windows.h>
#include <windns.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disc_backend.h"
#include "mdns.h"
#include "mdns_wire.h"

#include "util/text.h"
#include "platform/os.h"

#ifndef DNS_REQUEST_PENDING
#define DNS_REQUEST_PENDING 9506L
#endif

const char lm_disc_sys_label[] = "windows";

/* ======================================================================
 * dnsapi.dll, looked up once
 * ==================================================================== */

typedef PDNS_SERVICE_INSTANCE(WINAPI *construct_fn)(PCWSTR, PCWSTR, PIP4_ADDRESS, PIP6_ADDRESS,
                                                    WORD, WORD, WORD, DWORD, PCWSTR *, PCWSTR *);
typedef VOID(WINAPI *free_instance_fn)(PDNS_SERVICE_INSTANCE);
typedef DWORD(WINAPI *register_fn)(PDNS_SERVICE_REGISTER_REQUEST, PDNS_SERVICE_CANCEL);
typedef DNS_STATUS(WINAPI *browse_fn)(PDNS_SERVICE_BROWSE_REQUEST, PDNS_SERVICE_CANCEL);
typedef DNS_STATUS(WINAPI *cancel_fn)(PDNS_SERVICE_CANCEL);
typedef DNS_STATUS(WINAPI *resolve_fn)(PDNS_SERVICE_RESOLVE_REQUEST, PDNS_SERVICE_CANCEL);
typedef VOID(WINAPI *dnsfree_fn)(PVOID, DNS_FREE_TYPE);

static struct {
    int tried, ok;
    construct_fn construct;
    free_instance_fn free_instance;
    register_fn reg, dereg;
    browse_fn browse;
    cancel_fn browse_cancel, resolve_cancel;
    resolve_fn resolve;
    dnsfree_fn dnsfree;
} api;

/* GetProcAddress returns FARPROC; going through void * keeps GCC's
 * -Wcast-function-type quiet about the conversion it cannot check. */
static void *sym(HMODULE h, const char *name)
{
    FARPROC f = GetProcAddress(h, name);
    void *p;
    memcpy(&p, &f, sizeof p);
    return p;
}

static int load_api(void)
{
    if (api.tried)
        return api.ok;
    api.tried = 1;
    HMODULE h = LoadLibraryW(L"dnsapi.dll");
    if (!h)
        return 0;
    void *p[9] = {sym(h, "DnsServiceConstructInstance"),
                  sym(h, "DnsServiceFreeInstance"),
                  sym(h, "DnsServiceRegister"),
                  sym(h, "DnsServiceDeRegister"),
                  sym(h, "DnsServiceBrowse"),
                  sym(h, "DnsServiceBrowseCancel"),
                  sym(h, "DnsServiceResolve"),
                  sym(h, "DnsServiceResolveCancel"),
                  sym(h, "DnsFree")};
    for (int i = 0; i < 9; i++)
        if (!p[i])
            return 0;
    memcpy(&api.construct, &p[0], sizeof p[0]);
    memcpy(&api.free_instance, &p[1], sizeof p[1]);
    memcpy(&api.reg, &p[2], sizeof p[2]);
    memcpy(&api.dereg, &p[3], sizeof p[3]);
    memcpy(&api.browse, &p[4], sizeof p[4]);
    memcpy(&api.browse_cancel, &p[5], sizeof p[5]);
    memcpy(&api.resolve, &p[6], sizeof p[6]);
    memcpy(&api.resolve_cancel, &p[7], sizeof p[7]);
    memcpy(&api.dnsfree, &p[8], sizeof p[8]);
    api.ok = 1;
    return 1;
}

static WCHAR *wide(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
    WCHAR *w = n > 0 ? calloc((size_t)n, sizeof *w) : NULL;
    if (w)
        MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
    return w;
}

static void narrow(const WCHAR *w, char *out, size_t len)
{
    out[0] = '\0';
    if (w && len)
        WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)len, NULL, NULL);
    out[len - 1] = '\0';
}

/* "alice._lanmsg._tcp.local" -> "alice" (an instance label may hold dots,
 * so the known suffix is cut from the end). */
static void instance_label(const char *full, const char *type, char *out, size_t len)
{
    char suffix[128];
    snprintf(suffix, sizeof suffix, ".%s.local", type);
    size_t fl = strlen(full), sl = strlen(suffix);
    if (fl > 0 && full[fl - 1] == '.')
        fl--;
    if (fl > sl && _strnicmp(full + fl - sl, suffix, sl) == 0)
        fl -= sl;
    snprintf(out, len, "%.*s", (int)fl, full);
}

/* ======================================================================
 * Registering
 * ==================================================================== */

struct lm_disc_sys {
    CRITICAL_SECTION lock;
    HANDLE done; /* signalled when DeRegister completes */
    volatile LONG announced;
    char name[64];
    char type[64];
    PDNS_SERVICE_INSTANCE inst;
    DNS_SERVICE_REGISTER_REQUEST req;
};

static VOID WINAPI register_done(DWORD status, PVOID ctx, PDNS_SERVICE_INSTANCE inst)
{
    lm_disc_sys *d = ctx;
    EnterCriticalSection(&d->lock);
    if (status == ERROR_SUCCESS && inst && inst->pszInstanceName) {
        /* Windows may have renamed it after a conflict. */
        char full[256];
        narrow(inst->pszInstanceName, full, sizeof full);
        instance_label(full, d->type, d->name, sizeof d->name);
    }
    LeaveCriticalSection(&d->lock);
    InterlockedExchange(&d->announced, status == ERROR_SUCCESS);
    if (inst)
        api.free_instance(inst);
}

static VOID WINAPI deregister_done(DWORD status, PVOID ctx, PDNS_SERVICE_INSTANCE inst)
{
    lm_disc_sys *d = ctx;
    (void)status;
    if (inst)
        api.free_instance(inst);
    SetEvent(d->done);
}

lm_disc_sys *lm_disc_sys_announce(const lm_disc_service *s, char *err, size_t errlen)
{
    if (!load_api()) {
        lm_format(err, errlen, LM_M_DISC_WIN, (unsigned long)ERROR_PROC_NOT_FOUND);
        return NULL;
    }
    lm_disc_sys *d = calloc(1, sizeof *d);
    if (!d) {
        lm_format(err, errlen, LM_M_DISC_WIN, (unsigned long)ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    InitializeCriticalSection(&d->lock);
    d->done = CreateEventW(NULL, TRUE, FALSE, NULL);
    snprintf(d->name, sizeof d->name, "%s", s->name);
    snprintf(d->type, sizeof d->type, "%s", s->type);

    char full[256], host[128];
    snprintf(full, sizeof full, "%s.%s.local", s->name, s->type);
    if (lm_host_name(host, sizeof host - 6) != 0 || !host[0])
        snprintf(host, sizeof host, "lanmsg");
    host[strcspn(host, ".")] = '\0';
    strcat(host, ".local");
    WCHAR *wfull = wide(full), *whost = wide(host);
    PCWSTR keys[8], values[8];
    WCHAR *owned[16] = {0};
    int nkv = 0;
    for (int i = 0; i < s->ntxt && nkv < 8; i++) {
        char k[256];
        const char *eq = strchr(s->txt[i], '=');
        snprintf(k, sizeof k, "%.*s", eq ? (int)(eq - s->txt[i]) : (int)strlen(s->txt[i]),
                 s->txt[i]);
        owned[2 * nkv] = wide(k);
        owned[2 * nkv + 1] = wide(eq ? eq + 1 : "");
        keys[nkv] = owned[2 * nkv];
        values[nkv] = owned[2 * nkv + 1];
        nkv++;
    }
    d->inst = wfull && whost
                  ? api.construct(wfull, whost, NULL, NULL, s->port, 0, 0, (DWORD)nkv, keys, values)
                  : NULL;
    free(wfull);
    free(whost);
    for (int i = 0; i < 2 * nkv; i++)
        free(owned[i]);
    DWORD rc = ERROR_NOT_ENOUGH_MEMORY;
    if (d->inst) {
        d->req.Version = DNS_QUERY_REQUEST_VERSION1;
        d->req.InterfaceIndex = 0; /* every interface */
        d->req.pServiceInstance = d->inst;
        d->req.pRegisterCompletionCallback = register_done;
        d->req.pQueryContext = d;
        d->req.unicastEnabled = FALSE;
        rc = api.reg(&d->req, NULL);
    }
    if (rc != (DWORD)DNS_REQUEST_PENDING) {
        lm_format(err, errlen, LM_M_DISC_WIN, (unsigned long)rc);
        if (d->inst)
            api.free_instance(d->inst);
        CloseHandle(d->done);
        DeleteCriticalSection(&d->lock);
        free(d);
        return NULL;
    }
    return d;
}

int lm_disc_sys_watches(lm_disc_sys *d, lm_disc_watch *out, int max)
{
    (void)d, (void)out, (void)max;
    return 0;
}

int lm_disc_sys_on_event(lm_disc_sys *d, lm_sock s, int events)
{
    (void)d, (void)s, (void)events;
    return 0;
}

uint64_t lm_disc_sys_deadline(lm_disc_sys *d)
{
    (void)d;
    return UINT64_MAX;
}

int lm_disc_sys_on_timer(lm_disc_sys *d, uint64_t now)
{
    (void)d, (void)now;
    return 0;
}

const char *lm_disc_sys_name(const lm_disc_sys *d)
{
    /* Written under the lock by the callback; callers copy it at once. */
    return d->name;
}

int lm_disc_sys_announced(const lm_disc_sys *d)
{
    return InterlockedCompareExchange((volatile LONG *)&d->announced, 0, 0) != 0;
}

void lm_disc_sys_stop(lm_disc_sys *d)
{
    d->req.pRegisterCompletionCallback = deregister_done;
    if (api.dereg(&d->req, NULL) == (DWORD)DNS_REQUEST_PENDING &&
        WaitForSingleObject(d->done, 2000) != WAIT_OBJECT_0) {
        /* The callback may still come: leave its context alive (a few
         * hundred bytes, once, at exit) rather than free it under it. */
        return;
    }
    api.free_instance(d->inst);
    CloseHandle(d->done);
    DeleteCriticalSection(&d->lock);
    free(d);
}

/* ======================================================================
 * Browsing
 * ==================================================================== */

#define MAX_NAMES 32

typedef struct browse_ctx {
    CRITICAL_SECTION lock;
    volatile LONG outstanding; /* callbacks still to come */
    char type[64];
    const char *want;
    WCHAR *names[MAX_NAMES]; /* instance names seen, full */
    int nnames;
    int resolving[MAX_NAMES];
    DNS_SERVICE_CANCEL cancels[MAX_NAMES];
    lm_disc_result res[MAX_NAMES];
    int have[MAX_NAMES];
} browse_ctx;

static VOID WINAPI browse_cb(DWORD status, PVOID ctx, PDNS_RECORD rec)
{
    browse_ctx *b = ctx;
    if (status == ERROR_SUCCESS) {
        EnterCriticalSection(&b->lock);
        for (const DNS_RECORDW *r = (const DNS_RECORDW *)rec; r; r = r->pNext) {
            if (r->wType != DNS_TYPE_PTR || !r->Data.PTR.pNameHost || r->dwTtl == 0)
                continue;
            int known = 0;
            for (int i = 0; i < b->nnames; i++)
                known |= _wcsicmp(b->names[i], r->Data.PTR.pNameHost) == 0;
            if (!known && b->nnames < MAX_NAMES)
                b->names[b->nnames++] = _wcsdup(r->Data.PTR.pNameHost);
        }
        LeaveCriticalSection(&b->lock);
    }
    if (rec)
        api.dnsfree(rec, DnsFreeRecordList);
}

typedef struct resolve_arg {
    browse_ctx *b;
    int slot;
} resolve_arg;

static VOID WINAPI resolve_cb(DWORD status, PVOID ctx, PDNS_SERVICE_INSTANCE inst)
{
    resolve_arg *a = ctx;
    browse_ctx *b = a->b;
    if (status == ERROR_SUCCESS && inst) {
        lm_disc_result *r = &b->res[a->slot];
        char full[256], kv[512];
        EnterCriticalSection(&b->lock);
        memset(r, 0, sizeof *r);
        narrow(inst->pszInstanceName, full, sizeof full);
        instance_label(full, b->type, r->name, sizeof r->name);
        narrow(inst->pszHostName, r->host, sizeof r->host);
        r->port = inst->wPort;
        if (inst->ip4Address) {
            IP4_ADDRESS ip = *inst->ip4Address; /* network byte order */
            lm_ip_format((const unsigned char *)&ip, 4, r->addr[r->naddr++], sizeof r->addr[0]);
        }
        if (inst->ip6Address)
            lm_ip_format((const unsigned char *)inst->ip6Address, 16, r->addr[r->naddr++],
                         sizeof r->addr[0]);
        uint8_t txt[LM_MDNS_TXT_MAX];
        size_t len = 0;
        for (DWORD i = 0; i < inst->dwPropertyCount; i++) {
            char k[128], v[384];
            narrow(inst->keys[i], k, sizeof k);
            narrow(inst->values[i], v, sizeof v);
            int l = snprintf(kv, sizeof kv, "%s=%s", k, v);
            if (l < 0 || l > 255 || len + 1 + (size_t)l > sizeof txt)
                break;
            txt[len] = (uint8_t)l;
            memcpy(txt + len + 1, kv, (size_t)l);
            len += 1 + (size_t)l;
        }
        lm_disc_result_txt(r, txt, len);
        b->have[a->slot] = 1;
        LeaveCriticalSection(&b->lock);
    }
    if (inst)
        api.free_instance(inst);
    InterlockedDecrement(&b->outstanding);
    free(a);
}

static void start_resolve(browse_ctx *b, int slot)
{
    resolve_arg *a = malloc(sizeof *a);
    if (!a)
        return;
    a->b = b;
    a->slot = slot;
    DNS_SERVICE_RESOLVE_REQUEST rq;
    memset(&rq, 0, sizeof rq);
    rq.Version = DNS_QUERY_REQUEST_VERSION1;
    rq.QueryName = b->names[slot];
    rq.pResolveCompletionCallback = resolve_cb;
    rq.pQueryContext = a;
    InterlockedIncrement(&b->outstanding);
    if (api.resolve(&rq, &b->cancels[slot]) != DNS_REQUEST_PENDING) {
        InterlockedDecrement(&b->outstanding);
        free(a);
        return;
    }
    b->resolving[slot] = 1;
}

int lm_disc_sys_browse(const char *type, const char *instance, int wait_ms, lm_disc_result *out,
                       int max)
{
    if (!load_api())
        return -1;
    browse_ctx *b = calloc(1, sizeof *b);
    if (!b)
        return -1;
    InitializeCriticalSection(&b->lock);
    snprintf(b->type, sizeof b->type, "%s", type);
    b->want = instance;
    DNS_SERVICE_CANCEL bcancel;
    int browsing = 0;
    char q[160];
    if (instance) {
        /* One name: resolve it directly. */
        snprintf(q, sizeof q, "%s.%s.local", instance, type);
        b->names[b->nnames++] = wide(q);
        start_resolve(b, 0);
    } else {
        snprintf(q, sizeof q, "%s.local", type);
        WCHAR *wq = wide(q);
        DNS_SERVICE_BROWSE_REQUEST rq;
        memset(&rq, 0, sizeof rq);
        rq.Version = DNS_QUERY_REQUEST_VERSION1;
        rq.QueryName = wq;
        rq.pBrowseCallback = browse_cb;
        rq.pQueryContext = b;
        browsing = wq && api.browse(&rq, &bcancel) == DNS_REQUEST_PENDING;
        free(wq);
        if (!browsing) {
            DeleteCriticalSection(&b->lock);
            free(b);
            return -1; /* the built-in browser takes over */
        }
    }
    uint64_t end = lm_now_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
    while (lm_now_ms() < end) {
        Sleep(50);
        EnterCriticalSection(&b->lock);
        int n = b->nnames, done = instance && b->have[0];
        LeaveCriticalSection(&b->lock);
        for (int i = 0; i < n; i++)
            if (!b->resolving[i])
                start_resolve(b, i);
        if (done)
            break;
    }
    if (browsing)
        api.browse_cancel(&bcancel);
    for (int i = 0; i < b->nnames; i++)
        if (b->resolving[i] && !b->have[i])
            api.resolve_cancel(&b->cancels[i]);
    /* Cancelled requests still call back once: wait for them, briefly. */
    for (int i = 0; i < 40 && InterlockedCompareExchange(&b->outstanding, 0, 0) > 0; i++)
        Sleep(50);
    int k = 0;
    EnterCriticalSection(&b->lock);
    for (int i = 0; i < b->nnames && k < max; i++)
        if (b->have[i])
            out[k++] = b->res[i];
    LeaveCriticalSection(&b->lock);
    if (InterlockedCompareExchange(&b->outstanding, 0, 0) > 0)
        return k; /* a callback is late: leave b to it */
    for (int i = 0; i < b->nnames; i++)
        free(b->names[i]);
    DeleteCriticalSection(&b->lock);
    free(b);
    return k;
}
