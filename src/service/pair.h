/* lanmsg service "pair": the server's side of pairing (src/pairing/), for
 * TLS connections that agreed on LM_PAIR_ALPN. The program gives it the
 * code on offer and where enrolment is kept, as lm_service_params.extra. */
#ifndef LANMSG_SERVICE_PAIR_H
#define LANMSG_SERVICE_PAIR_H

#include "lanmsg/service.h"
#include "pairing/pairing.h"

typedef struct lm_pair_service_settings {
    lm_pcode *code;        /* shared by every conversation: it counts the tries */
    lm_pair_issuer issuer; /* state folder and enrolled list */
} lm_pair_service_settings;

extern const lm_service lm_service_pair;

#endif
