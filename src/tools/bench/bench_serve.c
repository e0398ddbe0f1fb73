/* lanmsg-bench: services that only the benchmark's own servers run.
 *
 * They are plain lm_service tables handed to the engine in the server's
 * child process (bench_server_start), like the echo service: the engine,
 * transports and framing are lanmsg's own, only what a message means is
 * the benchmark's. */
#include "bench.h"

#include "lanmsg/service.h"

/* sink: every byte read (and, with TLS, opened) is dropped. With raw
 * framing each read is one message, so nothing is scanned or copied. */
static void sink_message(void *state, lm_conn *c, const char *msg, size_t len)
{
    (void)state;
    (void)c;
    (void)msg;
    (void)len;
}

const lm_service bench_sink_service = {
    .name = "bench-sink",
    .on_message = sink_message,
};

/* once: "openssl s_time -www PAGE" sends "GET PAGE HTTP/1.0" and reads until
 * the server closes; that read is when a TLS 1.3 client takes its ticket.
 * The first line gets a reply of a few bytes (s_server -WWW sends its
 * headers and the one-byte page the same way), then the connection closes
 * as the engine always closes: flush, close_notify, FIN. */
static void once_message(void *state, lm_conn *c, const char *msg, size_t len)
{
    static const char reply[] = "HTTP/1.0 200 ok\r\nContent-type: text/plain\r\n\r\nx";
    (void)state;
    (void)msg;
    (void)len;
    if (lm_conn_data(c))
        return; /* the rest of the request */
    lm_conn_set_data(c, c);
    lm_conn_send_raw(c, reply, sizeof reply - 1);
    lm_conn_close(c, "answered");
}

const lm_service bench_once_service = {
    .name = "bench-once",
    .on_message = once_message,
};
