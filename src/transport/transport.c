/* lanmsg transport: what every backend shares. */
#include "lanmsg/transport.h"

#include <stdarg.h>
#include <stdio.h>

void lm_tp_set_error(lm_transport *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->err, sizeof t->err, fmt, ap);
    va_end(ap);
}
