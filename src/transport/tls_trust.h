/* lanmsg TLS backend, the parts trust and pairing need from a live
 * connection. Implemented in tls_trust.c (with the backend's internal
 * state), and declared apart from lanmsg/tls.h because they name trust
 * types.
 *
 * A configuration made with lm_tls_options.trust asks that trust object
 * from its certificate-verify callback (see trust/trust.h): the library's
 * chain verdict becomes one input among others, and the answer decides.
 * lm_tls_options.alpn offers (client) or accepts (server) application
 * protocols; a pairing client offers LM_PAIR_ALPN, and a server started
 * with --pair accepts it and routes such connections to pairing. */
#ifndef LANMSG_TRANSPORT_TLS_TRUST_H
#define LANMSG_TRANSPORT_TLS_TRUST_H

#include <stddef.h>

#include "lanmsg/transport.h"
#include "trust/trust.h"

/* The protocol ALPN settled on, or NULL (none offered, or none agreed). */
const char *lm_tls_alpn(lm_transport *t);

/* SHA-256 of the SubjectPublicKeyInfo of the peer's certificate, or of our
 * own. 0, or -1 when there is none (a client without a certificate, a
 * resumed session that carried none). */
int lm_tls_peer_fp(lm_transport *t, unsigned char out[32]);
int lm_tls_own_fp(lm_transport *t, unsigned char out[32]);

/* The TLS exporter (RFC 5705; RFC 8446 section 7.5), no context, after the
 * handshake. 0, or -1 where the library has none (mbedTLS 2.28). */
int lm_tls_export(lm_transport *t, const char *label, unsigned char *out, size_t len);

/* What the trust object answered for this connection's handshake, or NULL
 * when it was not asked (no trust configured, or no certificate). A
 * client seeing LM_TRUST_FIRST_USE asks the person when `ask` is set, and
 * records the key with lm_trust_remember before sending anything. A
 * resumed connection carries the answer of the handshake it resumes. */
const lm_trust_result *lm_tls_trust_result(lm_transport *t);

#endif
