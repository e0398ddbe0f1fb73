/* lanmsg server life cycle: configuration defaults, listening, the event
 * loop threads, and shutdown.
 *
 * Shared state under threads (each a decision, see STYLE.md):
 *  - the listener: every loop polls it; accept() is safe to race on, the
 *    loser just gets "would block";
 *  - client counts and connection ids: atomics;
 *  - the TLS configuration: the backend locks what it shares (lm_tls_*),
 *    and refuses to be shared when the library has no locking
 *    (lm_tls_thread_safe);
 *  - the service: told how many loops run (lm_service_params.threads); chat
 *    refuses more than one;
 *  - everything else (connections, queues, timers) belongs to one loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "util/mem.h"
#include "util/text.h"

void lm_server_config_defaults(lm_server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->host = "0.0.0.0";
    cfg->port = "5000";
    cfg->tcp = 1;
    cfg->framing = LM_FRAMING_AUTO;
    cfg->max_line = LM_DEFAULT_MAX_LINE;
    cfg->params.reply = "Mensagem recebida";
    cfg->handshake_timeout_ms = 10000;
    cfg->line_timeout_ms = 30000;
    cfg->max_clients = 1024;
    cfg->max_output = 1024 * 1024;
    cfg->threads = 1;
}

const lm_server_config *lm_server_get_config(const lm_server *srv)
{
    return &srv->cfg;
}
int lm_server_port(const lm_server *srv)
{
    return srv->port;
}
const char *lm_server_address(const lm_server *srv)
{
    return srv->address;
}

lm_server *lm_server_new(const lm_server_config *cfg, char *err, size_t errlen, int *code)
{
    lm_server *srv;
    int i, dummy;

    if (!code)
        code = &dummy;
    *code = LM_ERR_CONFIG;
    if (!cfg->service) {
        lm_format(err, errlen, LM_M_SRV_NO_SERVICE);
        return NULL;
    }
    if (cfg->threads > 1 && cfg->tls && !lm_tls_thread_safe()) {
        lm_format(err, errlen, LM_M_SRV_THREADS_NO_LOCKS, cfg->threads, lm_tls_library());
        return NULL;
    }
    srv = lm_xcalloc(1, sizeof *srv);
    srv->cfg = *cfg;
    if (srv->cfg.threads < 1)
        srv->cfg.threads = 1;
    srv->cfg.params.threads = srv->cfg.threads;
    srv->cfg.params.tls = srv->cfg.tls != NULL;
    srv->cfg.params.datagram = srv->cfg.udp;
    srv->listener = LM_SOCK_INVALID;
    srv->udp = LM_SOCK_INVALID;
    if (srv->cfg.service->init &&
        srv->cfg.service->init(&srv->cfg.params, &srv->svc_state, err, errlen) != LM_OK) {
        free(srv); /* the service refused this configuration: LM_ERR_CONFIG */
        return NULL;
    }
    srv->cfg.alpn_params.threads = srv->cfg.threads;
    srv->cfg.alpn_params.tls = 1;
    if (srv->cfg.alpn_service && srv->cfg.alpn_service->init &&
        srv->cfg.alpn_service->init(&srv->cfg.alpn_params, &srv->alpn_svc_state, err, errlen) !=
            LM_OK) {
        if (srv->cfg.service->fini)
            srv->cfg.service->fini(srv->svc_state);
        free(srv);
        return NULL;
    }
    *code = LM_ERR;
    if (srv->cfg.tcp) {
        if (lm_net_listen(srv->cfg.host, srv->cfg.port, 1024, &srv->listener, err, errlen) !=
            LM_OK) {
            lm_server_free(srv);
            return NULL;
        }
        srv->port = lm_net_local_addr(srv->listener, srv->address, sizeof srv->address);
    }
    if (srv->cfg.udp) {
        /* The same port number as TCP (with port 0, the one TCP was given). */
        char port[16];
        snprintf(port, sizeof port, "%d", srv->cfg.tcp ? srv->port : atoi(srv->cfg.port));
        if (lm_net_udp_bind(srv->cfg.host, port, &srv->udp, err, errlen) != LM_OK) {
            lm_server_free(srv);
            return NULL;
        }
        srv->port = lm_net_local_addr(srv->udp, srv->address, sizeof srv->address);
        /* TLS over UDP is DTLS: hellos from unknown addresses meet the
         * gate first (the configuration must have been made for it). */
        if (srv->cfg.tls && !(srv->gate = lm_dtls_gate_new(srv->cfg.tls, srv->udp, err, errlen))) {
            *code = LM_ERR_CONFIG;
            lm_server_free(srv);
            return NULL;
        }
    }
    srv->nloops = srv->cfg.threads;
    srv->loops = lm_xcalloc((size_t)srv->nloops, sizeof *srv->loops);
    for (i = 0; i < srv->nloops; i++) {
        srv->loops[i] = lm_loop_new(srv, err, errlen);
        if (!srv->loops[i]) {
            lm_server_free(srv);
            return NULL;
        }
    }
    return srv;
}

static void loop_thread(void *arg)
{
    lm_loop_run(arg);
}

int lm_server_run(lm_server *srv, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                  char *err, size_t errlen)
{
    static volatile sig_atomic_t never;
    int i, started = 1, rc = LM_OK;

    srv->stop = stop ? stop : &never;
    srv->reload = reload;
    for (i = 1; i < srv->nloops; i++) {
        if (lm_thread_start(&srv->loops[i]->thread, loop_thread, srv->loops[i]) != 0) {
            /* Serving with fewer loops than asked would hide the problem:
             * stop the ones already running and say so. */
            lm_format(err, errlen, LM_M_SRV_THREAD_FAILED, i + 1, srv->nloops);
            atomic_store(&srv->stopping, 1);
            rc = LM_ERR;
            break;
        }
        started++;
    }
    if (rc == LM_OK)
        lm_loop_run(srv->loops[0]);
    for (i = 1; i < started; i++)
        lm_thread_join(srv->loops[i]->thread);
    for (i = 0; rc == LM_OK && i < srv->nloops; i++) {
        if (srv->loops[i]->failed) {
            lm_format(err, errlen, LM_M_SRV_LOOP_FAILED, srv->loops[i]->err);
            rc = LM_ERR;
        }
    }
    return rc;
}

void lm_server_free(lm_server *srv)
{
    int i;
    if (!srv)
        return;
    for (i = 0; srv->loops && i < srv->nloops; i++)
        lm_loop_free(srv->loops[i]);
    free(srv->loops);
    lm_dtls_gate_free(srv->gate);
    if (srv->listener != LM_SOCK_INVALID)
        lm_net_close(srv->listener);
    if (srv->udp != LM_SOCK_INVALID)
        lm_net_close(srv->udp);
    if (srv->cfg.service->fini)
        srv->cfg.service->fini(srv->svc_state);
    if (srv->cfg.alpn_service && srv->cfg.alpn_service->fini)
        srv->cfg.alpn_service->fini(srv->alpn_svc_state);
    free(srv);
}
