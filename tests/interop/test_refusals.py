"""Interop refusals: peers that offer only weak suites or old protocol
versions, clients without a certificate under --require-client-cert, and
certificates from another CA are refused, both by our server (as seen by
openssl s_client and our client) and by our client (against openssl
s_server)."""
import subprocess

from peers import Peer
from harness import Certs, Server, check, client, done, free_port, run, wait_port

certs = Certs()
other = Certs()  # a second, unrelated CA with its own server and clients
CA = certs.path("ca.crt")


def s_client(port, *extra, cert_dir=None, user=None):
    cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-CAfile", CA] + list(extra)
    if user:
        d = cert_dir or certs
        cmd += ["-cert", d.path(user + ".crt"), "-key", d.path(user + ".key")]
    # A message goes with the handshake so that a server which only fails
    # the client later (TLS 1.3 client-cert checks) is still caught.
    return run(cmd, input="should not arrive\n", timeout=20)


def opened(s):
    return s.output().count("connection from")


def refused_by_server(s, what, *extra, late=False, **kw):
    """`late`: under TLS 1.3 a missing or foreign client certificate is
    refused after the client's side of the handshake is done, so s_client
    may exit 0 before it reads the alert; what counts then is that nothing
    was served."""
    before = opened(s)
    r = s_client(s.port, *extra, **kw)
    handshake_ok = "Cipher is (NONE)" not in r.stdout and r.returncode == 0
    if late and "TLSv1.3" in r.stdout:
        handshake_ok = "Mensagem recebida" in r.stdout
    check(not handshake_ok, "server refuses " + what + " (openssl s_client)",
          "rc=%d\n%s" % (r.returncode, (r.stdout + r.stderr)[-1500:]))
    check(opened(s) == before and s.wait_for("received from .*should not arrive", 0.5) is None,
          "server never opens the connection of " + what, s.output()[-1000:])


# -- our server refuses weak peers --------------------------------------------
with Server(*(certs.server_args() + ["-v"])) as s:
    for suite in ("AES128-SHA256", "AES128-GCM-SHA256", "AES256-SHA", "ECDHE-ECDSA-AES128-SHA",
                  "ECDHE-ECDSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA",
                  "ECDHE-ECDSA-AES256-SHA384"):
        refused_by_server(s, "a client offering only " + suite, "-tls1_2", "-cipher",
                          suite + ":@SECLEVEL=0")
    for flag in ("-tls1_1", "-tls1"):
        refused_by_server(s, "a client offering only " + flag, flag, "-cipher",
                          "DEFAULT:@SECLEVEL=0")
    # A well-behaved client still gets in afterwards.
    r = client("--port", s.port, *certs.client_args())
    check(r.returncode == 0 and "Mensagem recebida" in r.stdout,
          "a good client is served after the refusals", r.stdout + r.stderr)

# -- client certificates ------------------------------------------------------
with Server(*(certs.server_args() + ["--require-client-cert", "-v"])) as s:
    refused_by_server(s, "a client without a certificate (--require-client-cert)", late=True)
    refused_by_server(s, "a client certificate from another CA", cert_dir=other, user="alice",
                      late=True)
    r = client("--port", s.port, *certs.client_args())
    check(r.returncode != 0 and "Mensagem recebida" not in r.stdout,
          "our client without a certificate is refused", r.stdout + r.stderr)
    r = client("--port", s.port, "--tls", "--ca", CA, "--cert", other.path("alice.crt"),
               "--key", other.path("alice.key"))
    check(r.returncode != 0 and "Mensagem recebida" not in r.stdout,
          "our client with another CA's certificate is refused", r.stdout + r.stderr)
    r = client("--port", s.port, *certs.client_args("bob"))
    check(r.returncode == 0 and "Mensagem recebida" in r.stdout,
          "a client with a certificate from our CA gets in", r.stdout + r.stderr)
    check(s.wait_for(r"client certificate bob$") is not None, "the server names it (bob)")

# -- a server certificate from another CA --------------------------------------
with Server(*(other.server_args())) as s:
    r = client("--port", s.port, *certs.client_args())
    check(r.returncode == 3, "our client refuses a server certificate from another CA (exit 3)",
          "rc=%d %s" % (r.returncode, r.stdout + r.stderr))
    check("Mensagem recebida" not in r.stdout, "and sends nothing it could answer")
    r = s_client(s.port, "-verify_return_error")
    check(r.returncode != 0, "openssl s_client refuses it too (same CA files)", r.stdout[-500:])


# -- our client refuses weak servers -------------------------------------------
def refused_by_client(what, *server_flags):
    port = free_port()
    cmd = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert",
           certs.path("server.crt"), "-key", certs.path("server.key"), "-rev"] + list(server_flags)
    with Peer(cmd, stdin=False) as p:
        if not check(wait_port(port), "openssl s_server starts (%s)" % what, p.errors()):
            return
        r = client("--port", port, "--timeout", "10", "-m", "abc", *certs.client_args())
        check(r.returncode == 3 and "cba" not in r.stdout,
              "our client refuses a server offering only %s (exit 3)" % what,
              "rc=%d %s" % (r.returncode, r.stdout + r.stderr))


refused_by_client("TLS 1.1", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
refused_by_client("TLS 1.0", "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0")
refused_by_client("CBC suites", "-tls1_2", "-cipher",
                  "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384")
# The control: the same s_server with its defaults is accepted.
port = free_port()
with Peer(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert",
           certs.path("server.crt"), "-key", certs.path("server.key"), "-rev"], stdin=False):
    wait_port(port)
    r = client("--port", port, "-m", "abc", *certs.client_args())
    check(r.returncode == 0 and "cba" in r.stdout, "control: s_server with defaults is accepted",
          r.stdout + r.stderr)

certs.cleanup()
other.cleanup()
done()
