"""DTLS 1.2 (--udp --tls): our client and server over DTLS (the tutorial's
exchange, Portuguese, scripted lines, a session that moves to a new source
port by connection ID); the same trust as TLS (CA, --pin, known_servers,
first use, the server's own identity, mutual TLS); the cookie exchange seen
from a raw socket (a ClientHello without a cookie gets a small
HelloVerifyRequest and leaves nothing behind); a replayed record dropped;
floods of hellos and of half-made handshakes bounded; idle sessions expired;
a client with no server; garbage; and interop both ways with openssl and
gnutls. Loopback and ephemeral ports only, every wait bounded."""
import os
import random
import re
import select
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import harness
from harness import (CLIENT, ENV, SERVER, Certs, Peer, Server, check, client, done, free_port,
                     one_line_error, run)

DTLS_PEER = os.environ.get("DTLS_PEER")
SKIP = 77

r = run([SERVER, "--version"])
if "TLS" not in r.stdout and "TLS" not in r.stderr:
    print("skip: this build has no TLS")
    sys.exit(SKIP)

# The client's files (known_servers, pairing) and the server's state go to a
# folder of this test's own, never the user's.
home = tempfile.mkdtemp(prefix="lanmsg-dtls-")
CENV = dict(ENV, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"),
            XDG_STATE_HOME=os.path.join(home, "state"))
CENV.pop("LANMSG_CERT_DIR", None)
certs = Certs()
CA = certs.path("ca.crt")
SRV = ["--udp", "-v"] + certs.server_args()


def dclient(port, *args, **kw):
    kw.setdefault("env", CENV)
    return client("--udp", "--tls", "--port", port, *args, **kw)


def udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def recv_all(s, wait=1.0, quiet=0.3):
    """Datagrams that arrive within `wait`, stopping after `quiet` of silence."""
    got, end = [], time.time() + wait
    while time.time() < end:
        r, _, _ = select.select([s], [], [], min(quiet, max(0.0, end - time.time())))
        if not r:
            if got:
                break
            continue
        got.append(s.recv(70000))
    return got


# -- a DTLS 1.2 ClientHello, written out by hand ----------------------------------
def client_hello(cookie=b"", seq=0):
    ext = b""
    # supported_groups: secp256r1, x25519; ec_point_formats: uncompressed
    ext += b"\x00\x0a\x00\x06\x00\x04\x00\x17\x00\x1d"
    ext += b"\x00\x0b\x00\x02\x01\x00"
    # signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256
    ext += b"\x00\x0d\x00\x08\x00\x06\x04\x03\x08\x04\x04\x01"
    # extended_master_secret
    ext += b"\x00\x17\x00\x00"
    suites = b"\xc0\x2b\xc0\x2c\xc0\x2f\xc0\x30\xcc\xa9\xcc\xa8"
    body = (b"\xfe\xfd" + os.urandom(32) + b"\x00" + bytes([len(cookie)]) + cookie +
            len(suites).to_bytes(2, "big") + suites + b"\x01\x00" +
            len(ext).to_bytes(2, "big") + ext)
    n = len(body).to_bytes(3, "big")
    hs = b"\x01" + n + seq.to_bytes(2, "big") + b"\x00\x00\x00" + n + body
    return b"\x16\xfe\xfd" + b"\x00\x00" + seq.to_bytes(6, "big") + len(hs).to_bytes(2, "big") + hs


def hvr_cookie(d):
    """The cookie of a HelloVerifyRequest datagram, or None."""
    if len(d) < 13 + 12 + 3 or d[0] != 22 or d[1:3] != b"\xfe\xff" and d[1:3] != b"\xfe\xfd":
        return None
    if d[13] != 3:  # hello_verify_request
        return None
    n = d[13 + 12 + 2]
    return d[13 + 12 + 3:13 + 12 + 3 + n]


def server_hello_in(datagrams):
    """True when a server_hello handshake message opens one of these."""
    return any(len(d) > 13 and d[0] == 22 and d[13] == 2 for d in datagrams)


# -- our client, our server: the tutorial's exchange --------------------------------
with Server(*SRV) as s:
    check("listening on 127.0.0.1:%d (DTLS 1.2;" % s.port in s.output(),
          "the server says it listens on DTLS 1.2", s.output())
    r = dclient(s.port, "--ca", CA)
    check(r.returncode == 0 and "[client] reply: Mensagem recebida" in r.stdout
          and "(DTLS 1.2 " in r.stdout, "lanmsg-client --udp --tls: the tutorial's exchange",
          r.stdout + r.stderr)
    check(s.wait_for(r"received from 127\.0\.0\.1:\d+: Olá servidor!$") is not None,
          "the server prints the message with its sender", s.output())
    check(s.wait_for(r"HelloVerifyRequest sent, nothing kept") is not None,
          "the client's first hello met the cookie gate", s.output())
    r = dclient(s.port, "--ca", CA, "--lang", "pt")
    check(r.returncode == 0 and "[Cliente] Resposta: Mensagem recebida" in r.stdout,
          "in Portuguese too", r.stdout + r.stderr)
    r = dclient(s.port, "--ca", CA, "-q", input="um\ndois\ntrês\n")
    check(r.returncode == 0 and r.stdout.splitlines() == ["Mensagem recebida"] * 3,
          "each stdin line is one record, each answered", r.stdout + r.stderr)

    # Connection ID: the session survives a new source port.
    # (a cross build for Windows does not build the API client)
    if DTLS_PEER and os.path.exists(DTLS_PEER):
        r = run([DTLS_PEER, str(s.port), CA, "--move"], timeout=40)
        check("connected (DTLS 1.2" in r.stdout, "the API client (dtls_peer) connects",
              r.stdout + r.stderr)
        if "connection IDs: yes" in r.stdout:
            check(r.returncode == 0 and r.stdout.count("reply: Mensagem recebida") == 2,
                  "connection ID: a peer that moves to a new port keeps its session",
                  r.stdout + r.stderr)
            check(s.wait_for(r"moved to 127\.0\.0\.1:\d+ \(DTLS connection ID\)") is not None,
                  "the server logs the move", s.output())
        else:
            print("# this library has no DTLS connection IDs: the move is not tested")

    # -- cookies: a raw hello without one ------------------------------------------
    before = s.output().count("connection from")
    k = udp_socket()
    hello = client_hello()
    k.sendto(hello, ("127.0.0.1", s.port))
    got = recv_all(k, 3)
    check(len(got) == 1 and hvr_cookie(got[0]) is not None,
          "a ClientHello without a cookie gets one HelloVerifyRequest", repr(got))
    check(got and len(got[0]) <= len(hello),
          "no larger than the hello (no amplification: %d <= %d bytes)"
          % (len(got[0]) if got else -1, len(hello)))
    # the cookie works: the same address with it gets the server's first flight
    cookie = hvr_cookie(got[0]) if got else b""
    k.sendto(client_hello(cookie, 1), ("127.0.0.1", s.port))
    check(server_hello_in(recv_all(k, 3)), "the hello again with the cookie gets a ServerHello")
    # a wrong cookie is another HelloVerifyRequest, not a handshake
    k2 = udp_socket()
    k2.sendto(client_hello(b"\x00" * 32, 1), ("127.0.0.1", s.port))
    got = recv_all(k2, 3)
    check(len(got) == 1 and hvr_cookie(got[0]) is not None and not server_hello_in(got),
          "a hello with a forged cookie gets a HelloVerifyRequest only", repr(got))
    k.close()
    k2.close()
    check(s.output().count("connection from") == before,
          "neither became a connection (the first only began a handshake)")

    # -- garbage ------------------------------------------------------------------
    g = udp_socket()
    rng = random.Random(13)  # the same junk every run

    def noise(n):
        return bytes(rng.getrandbits(8) for _ in range(n))

    junk = [b"", b"\x00", noise(12), bytes(range(256)), noise(1400),
            b"\x16\xfe\xfd" + b"\x00" * 8 + b"\x03\xe8" + b"short",   # truncated record
            b"\x17\xfe\xfd\x00\x01" + b"\x00" * 6 + b"\x00\x10" + noise(16),  # keyed, no peer
            b"\x19\xfe\xfd\x00\x01" + b"\x00" * 6 + noise(8) + b"\x00\x10" + noise(16),
            client_hello()[:40],                                     # a hello cut short
            b"\x16\xfe\xfd" + b"\x00" * 8 + b"\x00\x10" + b"\x02" + noise(15),  # not a hello
            b"z" * 65507]
    for j in junk:
        g.sendto(j, ("127.0.0.1", s.port))
    stray = recv_all(g, 1.5)
    g.close()
    check(all(hvr_cookie(d) is not None for d in stray),
          "garbage gets no answer (a hello-shaped one at most a HelloVerifyRequest)", repr(stray))
    check(s.wait_for(r"dropped: (not a DTLS record|a truncated DTLS record|shorter than)")
          is not None, "garbage is named at -v", s.output()[-2000:])
    r = dclient(s.port, "--ca", CA, "-m", "after garbage")
    check(s.alive() and r.returncode == 0 and "Mensagem recebida" in r.stdout,
          "after the garbage the server still serves a client", r.stdout + r.stderr)

# -- oversize: reported, never cut ----------------------------------------------------------
with Server(*(SRV + ["--max-line", "100"])) as s:
    r = dclient(s.port, "--ca", CA, "-m", "z" * 500)
    check(r.returncode == 1 and one_line_error(r.stderr) and "message too long" in r.stderr,
          "a message over --max-line: the server says so, the client exits 1", r.stderr)
    check("zzzz" not in s.output(), "no cut part of it reaches the service", s.output()[-800:])
    r = dclient(s.port, "--ca", CA, "-m", "z" * 20000)
    check(r.returncode == 1 and one_line_error(r.stderr) and "does not fit one DTLS record"
          in r.stderr, "a message larger than a record: the client says so, sends nothing",
          r.stderr)

# -- trust: the same as TLS ------------------------------------------------------------
r = dclient(free_port(), "--ca", "/nonexistent/ca.crt")
check(r.returncode == 2 and one_line_error(r.stderr) and "/nonexistent/ca.crt" in r.stderr,
      "--ca names a missing file in one line, exit 2", r.stderr)
state = os.path.join(home, "server-state")
with Server("--udp", "--tls", "--state-dir", state, "-v", env=CENV) as s:
    # no --cert and no certs/: the server's own identity from its state folder
    fp = run([SERVER, "--show-id", "--state-dir", state], env=CENV).stdout.split()[-1]
    check(re.match(r"^[0-9A-Z]{7}(-[0-9A-Z]{7}){7}$", fp) is not None,
          "the server made its own identity (no --cert)", fp)
    r = dclient(s.port)
    check(r.returncode == 3 and fp in r.stderr and "--pin" in r.stderr,
          "a server no one vouches for is refused, its fingerprint shown", r.stdout + r.stderr)
    r = dclient(s.port, "--pin", fp)
    check(r.returncode == 0 and "reply: Mensagem recebida" in r.stdout,
          "--pin with its fingerprint: served", r.stdout + r.stderr)
    other = run([SERVER, "--show-id", "--state-dir", os.path.join(home, "other")],
                env=CENV).stdout.split()[-1]
    r = dclient(s.port, "--pin", other)
    check(r.returncode == 3 and "not the pinned" in r.stderr and "reply" not in r.stdout,
          "--pin with another key: refused", r.stdout + r.stderr)
    r = dclient(s.port, "--trust-on-first-use")
    check(r.returncode == 0 and "known server" in r.stdout and "reply: Mensagem recebida"
          in r.stdout, "--trust-on-first-use records it", r.stdout + r.stderr)
    r = dclient(s.port)
    check(r.returncode == 0 and "reply: Mensagem recebida" in r.stdout,
          "then known_servers alone is enough", r.stdout + r.stderr)
    known = os.path.join(harness.user_folder("config", CENV), "known_servers")
    with open(known) as f:
        text = f.read()
    with open(known, "w") as f:
        f.write(text.replace(fp, other))
    r = dclient(s.port)
    check(r.returncode == 3 and "CHANGED" in r.stderr and "reply" not in r.stdout,
          "a key that differs from known_servers is refused loudly", r.stdout + r.stderr)
    r = dclient(s.port, "--insecure")
    check(r.returncode == 0 and "NOT verified" in r.stderr and "reply: Mensagem recebida"
          in r.stdout, "--insecure connects, and says so", r.stdout + r.stderr)

with Server(*(SRV + ["--require-client-cert"])) as s:
    # told by an alert, not left to its retransmissions ("no DTLS answer")
    r = dclient(s.port, "--ca", CA)
    check(r.returncode == 3 and one_line_error(r.stderr) and "requires a client certificate"
          in r.stderr, "mutual TLS: no certificate is refused, and the client is told",
          r.stdout + r.stderr)
    r = dclient(s.port, *certs.client_args("alice")[1:])
    check(r.returncode == 0 and "reply: Mensagem recebida" in r.stdout,
          "mutual TLS: alice's certificate is accepted", r.stdout + r.stderr)
    check(s.wait_for(r"connection from .*DTLS 1\.2.*client certificate alice") is not None,
          "the server names the client by its certificate", s.output())
    r = dclient(s.port, "--ca", certs.path("server.crt"))
    check(r.returncode == 3 and "not trusted" in r.stderr,
          "a server whose CA the client does not have is refused", r.stdout + r.stderr)


with Server(*(SRV + ["--require-client-cert", "--cipher", "aes256"])) as s:
    # the same alert before the server's certificate means something else
    r = dclient(s.port, "--ca", CA, "--cipher", "chacha20")
    check(r.returncode == 3 and "no TLS settings in common" in r.stderr,
          "no common cipher is not mistaken for a missing certificate", r.stdout + r.stderr)

# -- pairing over TCP, then mutual TLS over DTLS with the enrolled identity ------------
r = run([SERVER, "--udp", "--tls", "--pair", "--host", "127.0.0.1", "--port", "0"], env=CENV)
check(r.returncode == 2 and one_line_error(r.stderr) and "--tcp" in r.stderr,
      "--pair with --udp alone is refused at start (pairing runs over TCP)", r.stderr)
if "Mbed TLS 3." in run([SERVER, "--version"]).stdout:
    pstate = os.path.join(home, "pair-server")
    with Server("--udp", "--tcp", "--tls", "--pair", "--require-client-cert", "--state-dir",
                pstate, "-v", env=CENV) as s:
        fp = run([SERVER, "--show-id", "--state-dir", pstate], env=CENV).stdout.split()[-1]
        # told, not left to its tries ("no reply ... after 3 tries")
        r = dclient(s.port, "--pin", fp)
        check(r.returncode == 1 and "closed the connection before replying" in r.stderr
              and "reply" not in r.stdout,
              "no certificate: refused after the handshake, and the client is told",
              r.stdout + r.stderr)
        m = s.wait_for(r"pairing code: (\d{3}-\d{3}-\d{4})")
        r = client("--pair", m.group(1) if m else "000-000-0000", "--name", "dora", "--port",
                   s.port, env=CENV)
        check(r.returncode == 0 and "as dora" in r.stdout, "pairing over TCP", r.stdout + r.stderr)
        r = dclient(s.port)
        check(r.returncode == 0 and "reply: Mensagem recebida" in r.stdout,
              "then DTLS with no flag: the paired key and certificate are used",
              r.stdout + r.stderr)
        check(s.wait_for(r"connection from .*DTLS 1\.2.*client certificate dora") is not None,
              "and the server knows the client as the enrolled dora", s.output()[-1500:])
else:
    print("# pairing needs TLS 1.3 (mbedTLS 3.6): not tested with this build")


# -- anti-replay, through a proxy that keeps what the client sends ----------------------
class Proxy:
    """Relays datagrams between one client and the server, keeping a copy of
    each datagram the client sent; replays go out from its server-side
    socket, the address the server knows the client by."""

    def __init__(self, port):
        self.front = udp_socket()
        self.back = udp_socket()
        self.back.connect(("127.0.0.1", port))
        self.port = self.front.getsockname()[1]
        self.sent, self.client, self.stop_ = [], None, False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop_:
            r, _, _ = select.select([self.front, self.back], [], [], 0.1)
            if self.front in r:
                d, self.client = self.front.recvfrom(70000)
                self.sent.append(d)
                self.back.send(d)
            if self.back in r:
                try:
                    d = self.back.recv(70000)
                except OSError:
                    continue
                if self.client:
                    self.front.sendto(d, self.client)

    def close(self):
        self.stop_ = True
        self.t.join(2)
        self.front.close()
        self.back.close()


with Server(*(SRV + ["--idle-timeout", "6"])) as s:
    px = Proxy(s.port)
    cmd = [CLIENT, "--udp", "--tls", "--ca", CA, "--port", str(px.port), "-q"]
    with Peer(cmd, env=CENV) as p:
        p.send(b"one\n")
        check(p.wait_out("Mensagem recebida", 15), "a session through the proxy", p.errors())
        keyed = [d for d in px.sent if d and d[0] in (23, 25)]
        check(keyed, "the proxy saw the client's record", repr([d[:1] for d in px.sent]))
        if keyed:
            record = keyed[-1]
            for _ in range(3):
                px.back.send(record)
            tampered = bytearray(record)
            tampered[-1] ^= 1
            px.back.send(bytes(tampered))
            time.sleep(1)
        p.send(b"two\n")
        check(p.wait_out("Mensagem recebida\nMensagem recebida", 15),
              "the session goes on after the replays", p.text() + p.errors())
        out = s.output()
        check(len(re.findall(r"received from 127\.0\.0\.1:\d+: one$", out, re.M)) == 1,
              "a replayed record is dropped: 'one' reached the service once", out[-2000:])
        check(len(re.findall(r"received from 127\.0\.0\.1:\d+: two$", out, re.M)) == 1,
              "and 'two' once", out[-2000:])
        # idle: the session is forgotten after --idle-timeout
        check(s.wait_for(r"disconnected \(idle", timeout=10) is not None,
              "an idle DTLS session expires (--idle-timeout)", s.output()[-1500:])
        p.proc.stdin.close()
        p.wait_exit(10)
    px.close()

# -- floods: state stays bounded, the server keeps serving -------------------------------
with Server(*(SRV + ["--max-clients", "3", "--handshake-timeout", "8"])) as s:
    # 300 cookie-less hellos from 60 source ports: answers, and no state
    socks = [udp_socket() for _ in range(60)]
    for _ in range(5):
        for k in socks:
            k.sendto(client_hello(), ("127.0.0.1", s.port))
    time.sleep(1)
    for k in socks:
        k.close()
    check(s.wait_for(r"HelloVerifyRequest sent", count=60, timeout=20) is not None
          and "connection from" not in s.output(),
          "a flood of 300 hellos from 60 ports: answered, no session", s.output()[-500:])
    r = dclient(s.port, "--ca", CA, "-m", "during the flood")
    check(r.returncode == 0 and "Mensagem recebida" in r.stdout,
          "nothing was kept for them: with --max-clients 3 a real client is served",
          r.stdout + r.stderr)

    # 30 peers that prove their address, then vanish mid-handshake
    socks = [udp_socket() for _ in range(30)]
    for k in socks:
        k.sendto(client_hello(), ("127.0.0.1", s.port))
    cookies = [hvr_cookie((recv_all(k, 2) or [b""])[0]) for k in socks]
    for k, c in zip(socks, cookies):
        if c:
            k.sendto(client_hello(c, 1), ("127.0.0.1", s.port))
    began = sum(1 for k in socks if server_hello_in(recv_all(k, 2)))
    for k in socks:
        k.close()
    # 3 peers, and 16 more kept to be told the server is full (as over
    # TCP); past those the library does no work for a hello at all
    check(3 <= began <= 3 + 16,
          "half-made handshakes are bounded (%d of 30 got a ServerHello; limit 3 + 16)" % began)
    check(s.wait_for(r"refused: server full \(--max-clients 3\)", count=30 - began) is not None,
          "the other %d are refused as 'server full'" % (30 - began), s.output()[-1500:])
    check(s.wait_for(r"no TLS handshake within --handshake-timeout", count=3, timeout=20)
          is not None, "the vanished peers time out (--handshake-timeout)", s.output()[-1500:])
    ok = False
    for _ in range(10):
        r = dclient(s.port, "--ca", CA, "-m", "after", "--timeout", "5")
        if r.returncode == 0 and "Mensagem recebida" in r.stdout:
            ok = True
            break
        time.sleep(1)
    check(ok and s.alive(), "then a real client is served again", r.stdout + r.stderr)

# -- a client with no server ---------------------------------------------------------------
silent = udp_socket()
t0 = time.time()
r = dclient(silent.getsockname()[1], "--ca", CA, "--timeout", "2")
took = time.time() - t0
check(r.returncode == 1 and one_line_error(r.stderr) and "no DTLS answer" in r.stderr,
      "a silent peer: 'no DTLS answer', exit 1, one line", r.stderr)
check(took < 30, "within the bound (%.1f s)" % took)
silent.close()
s = udp_socket()
free = s.getsockname()[1]
s.close()
r = dclient(free, "--ca", CA, "--timeout", "3")
# (wine does not pass the ICMP refusal on: there, the bounded wait runs out)
said = ("nothing listens on that UDP port",) + (
    ("no DTLS answer",) if os.environ.get("LANMSG_EXE_PREFIX") else ())
check(r.returncode == 1 and one_line_error(r.stderr) and any(x in r.stderr for x in said),
      "nothing on the port: said at once, exit 1", r.stderr)
with Server("--udp") as s:
    r = dclient(s.port, "--ca", CA, "--timeout", "3")
    check(r.returncode != 0 and one_line_error(r.stderr) and "--udp --tls" in r.stderr,
          "a plain UDP server: the DTLS client says what it met", r.stdout + r.stderr)


# -- interop: openssl -------------------------------------------------------------------------
def have(tool):
    return shutil.which(tool) is not None


skipped = []
if have("openssl"):
    with Server(*SRV) as s:
        cmd = ["openssl", "s_client", "-dtls1_2", "-connect", "127.0.0.1:%d" % s.port,
               "-CAfile", CA, "-verify_return_error", "-verify_ip", "127.0.0.1", "-quiet"]
        with Peer(cmd) as p:
            p.send(b"hello interop\n")
            got = p.wait_out("Mensagem recebida", 15)
            check(got, "openssl s_client -dtls1_2 talks to our server", p.errors()[-1500:])
        check(s.wait_for(r"received from 127\.0\.0\.1:\d+: hello interop") is not None,
              "our server got its message", s.output()[-1500:])
    with Server(*(SRV + ["--require-client-cert"])) as s:
        cmd = ["openssl", "s_client", "-dtls1_2", "-connect", "127.0.0.1:%d" % s.port,
               "-CAfile", CA, "-verify_return_error", "-quiet", "-cert",
               certs.path("bob.crt"), "-key", certs.path("bob.key")]
        with Peer(cmd) as p:
            p.send(b"with a certificate\n")
            check(p.wait_out("Mensagem recebida", 15),
                  "openssl s_client -dtls1_2 with a client certificate", p.errors()[-1500:])
        check(s.wait_for(r"client certificate bob") is not None, "named bob", s.output())
    port = None
    for attempt in range(3):
        port = free_port()
        srv = ["openssl", "s_server", "-dtls1_2", "-accept", "127.0.0.1:%d" % port,
               "-cert", certs.path("server.crt"), "-key", certs.path("server.key")]
        with Peer(srv) as p:
            time.sleep(0.5)
            if p.proc.poll() is not None:
                continue  # the port was taken meanwhile
            c = subprocess.Popen([CLIENT, "--udp", "--tls", "--ca", CA, "--port", str(port),
                                  "-m", "from lanmsg", "--retries", "8"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=CENV)
            heard = p.wait_out("from lanmsg", 15)
            p.send(b"openssl answers\n")
            try:
                out, err = c.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                c.kill()
                out, err = c.communicate()
            check(heard and c.returncode == 0 and "reply: openssl answers" in out,
                  "our client talks to openssl s_server -dtls1_2", out + err + p.errors())
            break
else:
    skipped.append("openssl")

# -- interop: gnutls --------------------------------------------------------------------------
def run_in_namespace(script):
    """Our client against gnutls-serv, both in a network namespace."""
    try:
        r = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True,
                           text=True, errors="replace", timeout=60, env=CENV)
        if r.returncode == 97 or "unshare" in r.stderr and "Operation not permitted" in r.stderr:
            skipped.append("gnutls-serv (no network namespace)")
        else:
            check(r.returncode == 0 and "reply: echo me" in r.stdout,
                  "our client talks to gnutls-serv --udp",
                  "rc=%d\n%s%s" % (r.returncode, r.stdout, r.stderr[-1500:]))
    except subprocess.TimeoutExpired:
        check(False, "our client talks to gnutls-serv --udp: timed out")


if have("gnutls-cli") and have("gnutls-serv"):
    with Server(*SRV) as s:
        cmd = ["gnutls-cli", "--udp", "--x509cafile", CA, "-p", str(s.port), "127.0.0.1"]
        with Peer(cmd) as p:
            time.sleep(1)  # gnutls-cli reads stdin only once connected
            p.send(b"hello gnutls\n")
            got = p.wait_out("Mensagem recebida", 15)
            check(got, "gnutls-cli --udp talks to our server", p.text()[-800:] + p.errors()[-800:])
        check(s.wait_for(r"received from 127\.0\.0\.1:\d+: hello gnutls") is not None,
              "our server got its message", s.output()[-1500:])
    # gnutls-serv binds every address: it and our client run in a network
    # namespace of their own, where only loopback exists.
    port = free_port()
    gs = ["gnutls-serv", "--udp", "--echo", "-p", str(port), "--x509certfile",
          certs.path("server.crt"), "--x509keyfile", certs.path("server.key")]
    cl = [CLIENT, "--udp", "--tls", "--ca", CA, "--port", str(port), "--timeout", "5",
          "-m", "echo me"]
    script = ("ip link set lo up || exit 97; %s >/dev/null 2>&1 & gs=$!; sleep 0.5; "
              "for i in $(seq 20); do %s && break; sleep 0.3; done; rc=$?; kill $gs; exit $rc"
              % (" ".join(map(shlex.quote, gs)), " ".join(map(shlex.quote, cl))))
    if os.environ.get("LANMSG_EXE_PREFIX"):
        # wine makes its sockets in the wineserver, outside the namespace.
        print("# our client against gnutls-serv: not under wine")
    else:
        run_in_namespace(script)
else:
    skipped.append("gnutls")

certs.cleanup()
shutil.rmtree(home, ignore_errors=True)
if skipped:
    # Everything else ran; a missing peer makes the test "skipped", not
    # "passed" (CI installs them all), unless something failed.
    print("# not tested here: " + ", ".join(skipped))
    if not harness._failures:
        print("all other checks passed; skipped for the missing peer(s)")
        sys.exit(SKIP)
done()
