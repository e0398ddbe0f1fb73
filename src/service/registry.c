/* lanmsg services: the list of what a server can do with messages. */
#include <string.h>

#include "lanmsg/service.h"

extern const lm_service lm_service_ack;
extern const lm_service lm_service_echo;
extern const lm_service lm_service_chat;

static const lm_service *const services[] = {
    &lm_service_ack,
    &lm_service_echo,
    &lm_service_chat,
};

const lm_service *lm_service_find(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof services / sizeof services[0]; i++)
        if (strcmp(services[i]->name, name) == 0)
            return services[i];
    return NULL;
}

const char *lm_service_names(void)
{
    return "ack, echo, chat";
}
