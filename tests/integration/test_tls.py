"""TLS: the tutorial's exchange over TLS (IPv4 and IPv6, mutual TLS), every
documented failure with its message and exit code 3, explicit fallback,
--allow-plain, openssl interop, a stalled handshake among many clients, and
a clean close_notify on SIGTERM."""
import os
import re
import socket
import ssl
import subprocess
import time

from harness import (CLIENT, SERVER, Peer, Certs, Server, check, client, done, free_port, one_line_error, run,
                     talk, wait_port)

certs = Certs()
other = Certs()  # a different CA
expired = Certs("--expired")
C = certs.path

try:
    with Server(*certs.server_args()) as s:
        r = client("--port", s.port, *certs.client_args())
        check(r.returncode == 0, "TLS client exits 0", r.stderr)
        m = re.search(r"\[client\] connected to 127\.0\.0\.1:%d \((TLS 1\.[23] [A-Z0-9_-]+)\)" % s.port,
                      r.stdout)
        check(m is not None, "connected line names the TLS version and suite", r.stdout)
        if m:
            check("ECDHE" in m.group(1) or "TLS 1.3" in m.group(1), "suite is ECDHE (or TLS 1.3)",
                  m.group(1))
            check("GCM" in m.group(1) or "CHACHA20" in m.group(1), "suite is AEAD", m.group(1))
        check("[client] reply: Mensagem recebida" in r.stdout, "TLS reply", r.stdout)
        check(s.wait_for(r"received from 127\.0\.0\.1:\d+: Olá servidor!$") is not None,
              "server prints the message received over TLS")
        check(s.wait_for(r"connection from 127\.0\.0\.1:\d+ \(TLS 1\.[23] ") is not None,
              "server logs the TLS connection", s.output())

        # stdin lines over TLS
        r = client("--port", s.port, *certs.client_args(), input="a\nb\nc\n")
        check(r.stdout.count("reply: Mensagem recebida") == 3, "three lines, three replies over TLS",
              r.stdout + r.stderr)

        # mutual TLS: the client's certificate is accepted and named
        r = client("--port", s.port, *certs.client_args("alice"), "-v", "-m", "hi from alice")
        check(r.returncode == 0, "mutual TLS client exits 0", r.stderr)

        # --servername overrides the expected name
        r = client("--port", s.port, *certs.client_args(), "--servername", "localhost")
        check(r.returncode == 0, "--servername localhost verifies", r.stderr)

        # A name the TLS library cannot take (over 255 bytes) used to leave the
        # client silent with exit 1; it is a usage error with its cause.
        r = client("--port", s.port, *certs.client_args(), "--servername", "a" * 300)
        check(r.returncode == 2 and one_line_error(r.stderr) and "cannot set up TLS" in r.stderr
              and "--servername" in r.stderr,
              "a server name TLS cannot take: exit 2, one line naming the cause", r.stderr)

        # resumption
        r = client("--port", s.port, *certs.client_args(), "--repeat", "2", "-v")
        check(r.stdout.count("TLS session resumed") == 1 and r.stdout.count("TLS session new") == 1,
              "second connection resumes the session (-v)", r.stdout)

        # --- failures, each exit 3 with its message ---
        r = client("--port", s.port, "--tls", "--ca", other.path("ca.crt"))
        check(r.returncode == 3 and one_line_error(r.stderr) and "not trusted" in r.stderr
              and "--ca" in r.stderr, "wrong CA: exit 3, says not trusted and names --ca", r.stderr)
        r = client("--port", s.port, *certs.client_args(), "--servername", "wrong.example")
        check(r.returncode == 3 and one_line_error(r.stderr) and "does not match" in r.stderr
              and "--servername" in r.stderr, "wrong host name: exit 3, says it does not match",
              r.stderr)
        r = client("--host", "localhost", "--port", s.port, *certs.client_args())
        check(r.returncode == 0, "host name 'localhost' matches the certificate's DNS SAN", r.stderr)

        # --insecure skips verification, loudly
        r = client("--port", s.port, "--tls", "--insecure", "--ca", other.path("ca.crt"))
        check(r.returncode == 0 and "WARNING: --insecure" in r.stderr,
              "--insecure connects and warns", r.stderr)

        # plain client to a TLS-only server: told, and the server logs it
        r = client("--port", s.port)
        check(r.returncode == 3 and "requires TLS" in r.stderr, "plain client is told TLS is required",
              r.stdout + r.stderr)
        check(s.wait_for(r"spoke plain TCP to a TLS-only server") is not None,
              "server logs the plain client")
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        c.sendall("Olá servidor!".encode())
        data = c.recv(200)
        c.close()
        check(data.startswith(b"error: this server requires TLS"),
              "tutorial client gets a readable line saying TLS is required", repr(data))

        # openssl s_client against our server
        ok, out, err, _ = talk(["openssl", "s_client", "-connect", "127.0.0.1:%d" % s.port, "-CAfile",
                                C("ca.crt"), "-verify_return_error", "-verify_hostname", "localhost",
                                "-quiet"], b"from openssl\n")
        check(ok, "openssl s_client gets the reply", out + err)

        check(s.alive(), "server is still up after all of that")

    # expired server certificate
    # Our server refuses to start with an expired certificate (peers would
    # refuse it anyway); the client's side is checked against openssl.
    r = run([SERVER, "--port", "0", "--tls", "--cert", expired.path("server.crt"), "--key",
             expired.path("server.key")], timeout=10)
    check(r.returncode == 2 and one_line_error(r.stderr) and "expired on" in r.stderr
          and "--cert" in r.stderr, "server: an expired certificate is refused at start (exit 2)",
          r.stderr)
    r = run([SERVER, "--port", "0", "--tls", "--cert", certs.path("alice.crt"), "--key",
             certs.path("alice.key")], timeout=10)
    check(r.returncode == 2 and one_line_error(r.stderr) and "serverAuth" in r.stderr,
          "server: a client-only certificate is refused at start (exit 2)", r.stderr)
    port = free_port()
    with Peer(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert",
               expired.path("server.crt"), "-key", expired.path("server.key"), "-rev"],
              stdin=False):
        wait_port(port)
        r = client("--port", port, "--tls", "--ca", expired.path("ca.crt"))
        check(r.returncode == 3 and one_line_error(r.stderr) and "expired" in r.stderr,
              "client: an expired server certificate: exit 3, says expired", r.stderr)

    # a plain server answering a TLS client
    with Server() as s:
        r = client("--port", s.port, *certs.client_args())
        check(r.returncode == 3 and one_line_error(r.stderr)
              and "answered in plain text, not TLS" in r.stderr and "--tls" in r.stderr,
              "plain server: exit 3, 'answered in plain text, not TLS'", r.stderr)
        r = client("--port", s.port, *certs.client_args(), "--fallback-plain")
        check(r.returncode == 0 and "WARNING" in r.stderr and "WITHOUT encryption" in r.stderr
              and "NOT encrypted" in r.stdout and "reply: Mensagem recebida" in r.stdout,
              "--fallback-plain reconnects in plain, loudly", r.stdout + r.stderr)
        # The ClientHello is not taken for a message: no "received", no reply
        # to it; the server says what happened and how to fix it.
        check(s.wait_for(r"disconnected \(it began a TLS handshake, but this server speaks plain "
                         r"TCP \(start the server with --tls") is not None,
              "plain server: a TLS client is logged as such, with the fix", s.output())
        check(s.output().count("received from") == 1,
              "plain server: only the fallback's real message is printed", s.output())

    # never a fallback after a certificate error
    with Server(*certs.server_args()) as s:
        r = client("--port", s.port, "--tls", "--ca", other.path("ca.crt"), "--fallback-plain")
        check(r.returncode == 3 and "WITHOUT encryption" not in r.stderr,
              "--fallback-plain does not fall back after a certificate error", r.stderr)

    # --allow-plain: both kinds served, each logged
    with Server(*certs.server_args(), "--allow-plain") as s:
        r1 = client("--port", s.port, "-m", "plain one")
        r2 = client("--port", s.port, *certs.client_args(), "-m", "tls one")
        check(r1.returncode == 0 and r2.returncode == 0, "--allow-plain serves plain and TLS clients",
              r1.stderr + r2.stderr)
        check(s.wait_for(r"connection from .* \(plain TCP\)") is not None
              and s.wait_for(r"connection from .* \(TLS 1\.") is not None,
              "--allow-plain logs which transport each client used", s.output())
        check("--allow-plain" in s.errors(), "--allow-plain warns at start", s.errors())
        # a plain client that waits before speaking (a chat client that has
        # not typed yet) is not mistaken for a stalled TLS handshake
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        time.sleep(1.5)
        c.sendall(b"late\n")
        data = c.makefile("rb").readline()
        c.close()
        check(data == b"Mensagem recebida\n", "--allow-plain serves a plain client that speaks late",
              repr(data))

    # mutual TLS required
    with Server(*certs.server_args(), "--require-client-cert", "-v") as s:
        r = client("--port", s.port, *certs.client_args("bob"))
        check(r.returncode == 0, "client with a certificate is accepted", r.stderr)
        check(s.wait_for(r"client certificate bob") is not None, "server sees the CN (bob)", s.output())
        r = client("--port", s.port, *certs.client_args())
        check(r.returncode != 0, "client without a certificate is refused", r.stdout + r.stderr)
        r = client("--port", s.port, "--tls", "--ca", C("ca.crt"), "--cert", other.path("alice.crt"),
                   "--key", other.path("alice.key"))
        check(r.returncode != 0, "client certificate from another CA is refused", r.stderr)

    # IPv6 over TLS (::1 is in the certificate's SANs)
    with Server(*certs.server_args(), host="::1") as s:
        r = client("--host", "::1", "--port", s.port, *certs.client_args())
        check(r.returncode == 0 and "reply: Mensagem recebida" in r.stdout, "TLS over IPv6 verifies ::1",
              r.stdout + r.stderr)

    # our client against openssl s_server
    port = free_port()
    srv = subprocess.Popen(["openssl", "s_server", "-accept", str(port), "-cert", C("server.crt"),
                            "-key", C("server.key"), "-rev", "-quiet"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_port(port)
        r = client("--port", port, *certs.client_args(), "-m", "hello")
        check(r.returncode == 0 and "reply: olleh" in r.stdout,
              "our client talks to openssl s_server (-rev)", r.stdout + r.stderr)
    finally:
        srv.kill()
        srv.wait()

    # many clients while one stalls mid-handshake
    with Server(*certs.server_args(), "--handshake-timeout", "30") as s:
        stalled = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        stalled.sendall(bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]))  # half a ClientHello
        procs = [subprocess.Popen([CLIENT, "--port", str(s.port), *certs.client_args(), "-q",
                                   "-m", "client %d" % i], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
                 for i in range(20)]
        outs = [p.communicate(timeout=60) for p in procs]
        check(all(p.returncode == 0 for p in procs)
              and all(o[0].strip() == "Mensagem recebida" for o in outs),
              "20 TLS clients served while one is stalled mid-handshake",
              "\n".join(o[1] for o in outs if o[1]))
        stalled.close()

    # SIGTERM: open TLS connections get close_notify (a clean TLS EOF)
    s = Server(*certs.server_args())
    ctx = ssl.create_default_context(cafile=C("ca.crt"))
    raw = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    tls = ctx.wrap_socket(raw, server_hostname="localhost")
    tls.sendall(b"before shutdown\n")
    first = tls.recv(100)
    rc = s.stop()
    try:
        rest = tls.recv(100)
        clean = rest == b""
    except ssl.SSLError as e:  # unexpected EOF without close_notify
        clean = False
        rest = repr(e)
    tls.close()
    check(first == b"Mensagem recebida\n", "Python ssl client served", repr(first))
    check(rc == 0, "SIGTERM: exit 0 with a TLS client connected", str(rc))
    check(clean, "SIGTERM: the TLS client receives close_notify", repr(rest))

    # configuration errors: one line, names the file and the fix, exit 2
    r = run([os.path.join(os.path.dirname(CLIENT), "lanmsg-server"), "--port", "0", "--tls",
             "--cert", "/nonexistent/server.crt", "--key", "/nonexistent/server.key"])
    check(r.returncode == 2 and one_line_error(r.stderr) and "/nonexistent/server.crt" in r.stderr
          and "gen-certs.sh" in r.stderr, "missing certificate names the file and gen-certs.sh",
          r.stderr)
    r = run([os.path.join(os.path.dirname(CLIENT), "lanmsg-server"), "--port", "0", "--tls",
             "--cert", C("server.crt"), "--key", C("alice.key")])
    check(r.returncode == 2 and one_line_error(r.stderr) and "does not match" in r.stderr,
          "mismatched key and certificate are refused at start", r.stderr)
    r = client("--tls", "--ca", "/nonexistent/ca.crt", "--port", free_port())
    check(r.returncode == 2 and one_line_error(r.stderr) and "/nonexistent/ca.crt" in r.stderr,
          "client: missing CA file names it", r.stderr)
finally:
    certs.cleanup()
    other.cleanup()
    expired.cleanup()

done()
