"""Interop matrix: our TLS server as seen by openssl s_client, gnutls-cli,
socat and ncat (TLS 1.2, and 1.3 when the build has it; with and without a
client certificate), and our client against openssl s_server, gnutls-serv
and socat OPENSSL-LISTEN. The refusals live in test_refusals.py."""
import re
import shlex
import subprocess

from peers import Peer, talk, tls13_available
from harness import (CLIENT, SERVER, ENV, Certs, Server, check, client, done, free_port,
                     wait_port)

certs = Certs()
versions = ["1.2"] + (["1.3"] if tls13_available(SERVER) else [])
print("# TLS versions under test: " + ", ".join(versions))
CA = certs.path("ca.crt")


def client_cmds(tool, ver, port, user):
    """The command line of one third-party client, pinned to one version."""
    crt = certs.path(user + ".crt") if user else None
    key = certs.path(user + ".key") if user else None
    if tool == "openssl":
        cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-CAfile", CA,
               "-verify_return_error", "-verify_ip", "127.0.0.1", "-quiet",
               "-tls1_2" if ver == "1.2" else "-tls1_3"]
        return cmd + (["-cert", crt, "-key", key] if user else [])
    if tool == "gnutls":
        cmd = ["gnutls-cli", "--x509cafile", CA, "-p", str(port),
               "--priority", "NORMAL:-VERS-ALL:+VERS-TLS" + ver, "127.0.0.1"]
        return cmd + (["--x509certfile", crt, "--x509keyfile", key] if user else [])
    if tool == "socat":
        v = "TLS" + ver
        addr = ("OPENSSL:127.0.0.1:%d,cafile=%s,openssl-min-proto-version=%s,"
                "openssl-max-proto-version=%s" % (port, CA, v, v))
        if user:
            addr += ",cert=%s,key=%s" % (crt, key)
        return ["socat", "-", addr]
    if tool == "ncat":
        # ncat has no option to pin a version: it takes what both sides like
        # best, which the server's log line then shows.
        # ncat checks DNS names only, so it connects to "localhost" over IPv4.
        cmd = ["ncat", "-4", "--ssl", "--ssl-verify", "--ssl-trustfile", CA, "localhost", str(port)]
        return cmd + (["--ssl-cert", crt, "--ssl-key", key] if user else [])
    raise ValueError(tool)


def server_saw(s, tag):
    """(peer, transport description, client certificate) for the connection
    that sent `tag`, from the server's own log."""
    m = s.wait_for(r"received from (\S+): %s$" % re.escape(tag), 10)
    if not m:
        return None, None, None
    peer = m.group(1)
    c = s.wait_for(r"connection from %s \((.*)\)$" % re.escape(peer), 5)
    d = s.wait_for(r"%s: TLS session \S+, client certificate (\S+)$" % re.escape(peer), 5)
    return peer, c.group(1) if c else None, d.group(1) if d else None


# -- our server, seen by other clients ------------------------------------
best = versions[-1]
for mutual in (False, True):
    extra = ["--require-client-cert"] if mutual else []
    with Server(*(certs.server_args() + extra + ["-v"])) as s:
        for tool in ("openssl", "gnutls", "socat", "ncat"):
            for ver in (versions if tool != "ncat" else [best]):
                user = "alice" if mutual else None
                tag = "hello from %s over TLS %s%s" % (tool, ver, " as alice" if mutual else "")
                ok, out, err, rc = talk(client_cmds(tool, ver, s.port, user), (tag + "\n").encode())
                what = "%s, TLS %s, %s: gets the reply" % (
                    tool, ver, "client certificate" if mutual else "no client certificate")
                check(ok, what, "stdout: %s\nstderr: %s" % (out[-800:], err[-800:]))
                peer, desc, cn = server_saw(s, tag)
                check(desc is not None and desc.startswith("TLS " + ver),
                      "%s, TLS %s: the server logs the message and TLS %s" % (tool, ver, ver),
                      "desc=%r\n%s" % (desc, s.output()[-1500:]))
                if desc:
                    check(re.search(r"ECDHE.*(GCM|CHACHA20)|TLS_(AES|CHACHA20)", desc) is not None,
                          "%s, TLS %s: an ECDHE + AEAD suite (%s)" % (tool, ver, desc))
                if mutual:
                    check(cn == "alice", "%s, TLS %s: the server names the client certificate alice"
                          % (tool, ver), "cn=%r" % cn)
        check(s.alive(), "server still up after the %s matrix" % ("mTLS" if mutual else "TLS"))


# -- our client against other servers ---------------------------------------
def our_client(port, *extra, message="abc"):
    return client("--port", port, "--host", "127.0.0.1", "--timeout", "10",
                  *(certs.client_args(*extra) + ["-m", message]))


for ver in versions:
    for mutual in (False, True):
        label = "TLS %s%s" % (ver, ", client certificate" if mutual else "")
        # openssl s_server -rev answers each line reversed.
        port = free_port()
        cmd = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert",
               certs.path("server.crt"), "-key", certs.path("server.key"), "-rev",
               "-tls1_2" if ver == "1.2" else "-tls1_3"]
        if mutual:
            cmd += ["-Verify", "1", "-CAfile", CA, "-verify_return_error"]
        with Peer(cmd, stdin=False) as p:
            check(wait_port(port), "openssl s_server listens (%s)" % label, p.errors())
            r = our_client(port, *(["alice"] if mutual else []), message="interop-check")
            check(r.returncode == 0 and "kcehc-poretni" in r.stdout,
                  "our client talks to openssl s_server (%s)" % label, r.stdout + r.stderr)
        # socat OPENSSL-LISTEN, answering through a shell.
        port = free_port()
        v = "TLS" + ver
        # fork: the readiness probe is one connection, our client the next.
        addr = ("OPENSSL-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork,cert=%s,key=%s,"
                "openssl-min-proto-version=%s,openssl-max-proto-version=%s"
                % (port, certs.path("server.crt"), certs.path("server.key"), v, v))
        addr += (",verify=1,cafile=%s" % CA) if mutual else ",verify=0"
        with Peer(["socat", addr, "SYSTEM:read l; echo \"socat got $l\""], stdin=False) as p:
            check(wait_port(port), "socat listens (%s)" % label, p.errors())
            r = our_client(port, *(["alice"] if mutual else []), message="hi")
            check(r.returncode == 0 and "socat got hi" in r.stdout,
                  "our client talks to socat OPENSSL-LISTEN (%s)" % label, r.stdout + r.stderr)
        # gnutls-serv binds every address: run it, and our client, in a
        # network namespace of their own where only loopback exists.
        port = free_port()
        gs = ["gnutls-serv", "--echo", "-p", str(port), "--x509certfile",
              certs.path("server.crt"), "--x509keyfile", certs.path("server.key"),
              "--priority", "NORMAL:-VERS-ALL:+VERS-TLS" + ver]
        if mutual:
            gs += ["--require-client-cert", "--verify-client-cert", "--x509cafile", CA]
        cl = [CLIENT, "--port", str(port), "--timeout", "10", "-m", "echo me"] + \
            certs.client_args(*(["alice"] if mutual else []))
        script = ("ip link set lo up || exit 97; %s >/dev/null 2>&1 & gs=$!; "
                  "for i in $(seq 100); do %s && break; sleep 0.1; done; "
                  "%s; rc=$?; kill $gs; exit $rc") % (
            " ".join(map(shlex.quote, gs)),
            "python3 -c 'import socket,sys; socket.create_connection((\"127.0.0.1\",%d),1)' "
            "2>/dev/null" % port,
            " ".join(map(shlex.quote, cl)))
        try:
            r = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True,
                               text=True, errors="replace", timeout=40, env=ENV)
            check(r.returncode == 0 and "reply: echo me" in r.stdout,
                  "our client talks to gnutls-serv (%s)" % label,
                  "rc=%d\n%s%s" % (r.returncode, r.stdout, r.stderr))
        except subprocess.TimeoutExpired:
            check(False, "our client talks to gnutls-serv (%s): timed out" % label)

certs.cleanup()
done()
