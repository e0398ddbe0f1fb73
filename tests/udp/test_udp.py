"""UDP: the tutorial's SOCK_DGRAM exchange both ways with the obvious Python
versions of its scripts, one datagram per message (echo keeps boundaries),
an oversize datagram reported and not cut, garbage, a port in use, TCP and
UDP on one port number, Portuguese, bounded peers and their expiry, and a
client that gives up after a bounded number of tries."""
import os
import re
import socket
import subprocess
import sys
import time

from harness import CLIENT, ENV, SERVER, Lines, Server, check, client, done, one_line_error, run

HERE = os.path.dirname(os.path.abspath(__file__))


def udp(port, payload, timeout=3.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(payload, ("127.0.0.1", port))
    try:
        return s.recvfrom(70000)[0]
    except socket.timeout:
        return None
    finally:
        s.close()


# -- our server, the tutorial's UDP client --------------------------------------
with Server("--udp") as s:
    r = run([sys.executable, os.path.join(HERE, "tutorial_udp_client.py"), str(s.port)])
    check(r.returncode == 0 and "Resposta do servidor: Mensagem recebida" in r.stdout,
          "the tutorial's UDP client gets 'Mensagem recebida'", r.stdout + r.stderr)
    check(s.wait_for(r"received from 127\.0\.0\.1:\d+: Olá servidor!$") is not None,
          "the server prints the datagram with its sender", s.output())
    check("listening on 127.0.0.1:%d (UDP)" % s.port in s.output(), "it says it listens on UDP")

    # our client too, and its scripted form
    r = client("--udp", "--port", s.port)
    check(r.returncode == 0 and "[client] reply: Mensagem recebida" in r.stdout,
          "lanmsg-client --udp: the tutorial's exchange", r.stdout + r.stderr)
    r = client("--udp", "--port", s.port, "-q", input="um\ndois\ntrês\n")
    check(r.returncode == 0 and r.stdout.splitlines() == ["Mensagem recebida"] * 3,
          "each stdin line is one datagram, each answered", r.stdout + r.stderr)

    # the largest datagram UDP carries passes whole (the default limit is 64 KiB)
    reply = udp(s.port, b"z" * 65507)
    check(reply == b"Mensagem recebida", "a 65507-byte datagram is taken whole")
    # oversize: reported to the sender and the log, never passed on cut
    s2 = Server("--udp", "--max-line", "100")
    try:
        reply = udp(s2.port, b"z" * 500)
        check(reply is not None and reply.startswith(b"error: datagram too long (500 bytes"),
              "an oversize datagram (> --max-line) gets an error reply naming its size", repr(reply))
        check(s2.wait_for(r"sent a datagram of 500 bytes, more than --max-line 100") is not None,
              "and is logged", s2.output())
        check("zzzz" not in s2.output(), "no cut part of it reaches the service", s2.output())
        check(udp(s2.port, b"fine") == b"Mensagem recebida", "the next datagram is served")
    finally:
        s2.stop()

    # garbage: shown escaped, answered, server alive
    reply = udp(s.port, bytes(range(256)))
    check(reply == b"Mensagem recebida", "a datagram of every byte value is answered")
    check(s.alive() and udp(s.port, b"still here") == b"Mensagem recebida",
          "the server keeps serving after garbage")

# -- echo keeps boundaries ---------------------------------------------------------
with Server("--udp", "--service", "echo") as s:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(3)
    for i in range(5):
        sock.sendto(b"msg %d\n" % i, ("127.0.0.1", s.port))
    got = []
    try:
        for i in range(5):
            got.append(sock.recvfrom(1024)[0])
    except socket.timeout:
        pass
    sock.close()
    check(got == [b"msg %d\n" % i for i in range(5)],
          "echo: five datagrams back as five datagrams, unchanged", repr(got))

# -- our client, the tutorial's UDP server --------------------------------------------
ref = Lines([sys.executable, os.path.join(HERE, "tutorial_udp_server.py"), "0", "local"])
try:
    m = ref.wait_for(r"^port (\d+)$")
    check(m is not None, "the tutorial's UDP server runs", ref.errors())
    port = int(m.group(1))
    r = client("--udp", "--port", port)
    check(r.returncode == 0 and "[client] reply: Mensagem recebida" in r.stdout,
          "lanmsg-client --udp against the tutorial's UDP server", r.stdout + r.stderr)
    check(ref.wait_for(r"Recebido de .*: Olá servidor!$") is not None,
          "it receives the tutorial's message, as one datagram without a newline", ref.output())
    r = client("--udp", "--port", port, "--lang", "pt")
    check(r.returncode == 0 and "[Cliente] Resposta: Mensagem recebida" in r.stdout
          and "por UDP" in r.stdout, "in Portuguese too", r.stdout)
finally:
    ref.proc.kill()
    ref.proc.wait()

# -- no reply: bounded tries, clear error ------------------------------------------------
silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent.bind(("127.0.0.1", 0))
t0 = time.time()
r = client("--udp", "--port", silent.getsockname()[1], "--retries", "1")
took = time.time() - t0
check(r.returncode == 1 and one_line_error(r.stderr) and "no reply" in r.stderr
      and "2 tries" in r.stderr and "--udp" in r.stderr,
      "a silent peer: exit 1 after the bounded tries, one line", r.stderr)
check(took < 6, "and within the bound (%.1f s)" % took)
data = []
silent.settimeout(0.2)
try:
    while True:
        data.append(silent.recv(100))
except socket.timeout:
    pass
silent.close()
check(len(data) == 2, "it sent the datagram once and retried once", repr(data))

# nothing there at all: the ICMP refusal is reported at once
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
free = s.getsockname()[1]
s.close()
r = client("--udp", "--port", free)
# (wine does not pass the ICMP refusal on, as Windows does with WSAECONNRESET:
# there, the bounded tries run out instead.)
said = ("nothing listens on that UDP port",) + (
    ("no reply from",) if os.environ.get("LANMSG_EXE_PREFIX") else ())
check(r.returncode == 1 and one_line_error(r.stderr) and any(x in r.stderr for x in said),
      "no server: 'nothing listens on that UDP port', exit 1", r.stderr)

# -- a UDP port in use ----------------------------------------------------------------
busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
busy.bind(("127.0.0.1", 0))
r = run([SERVER, "--udp", "--host", "127.0.0.1", "--port", str(busy.getsockname()[1])], timeout=10)
check(r.returncode == 1 and one_line_error(r.stderr) and "already in use" in r.stderr
      and "--port" in r.stderr, "a UDP port in use: one line, exit 1", r.stderr)
busy.close()

# -- TCP and UDP together, on one port number -------------------------------------------
with Server("--udp", "--tcp") as s:
    check(udp(s.port, b"over udp") == b"Mensagem recebida", "--udp --tcp: UDP served")
    r = client("--port", s.port, "-m", "over tcp")
    check(r.returncode == 0 and "Mensagem recebida" in r.stdout, "--udp --tcp: TCP served too",
          r.stderr)

# -- chat needs connections ---------------------------------------------------------------
r = run([SERVER, "--udp", "--service", "chat", "--host", "127.0.0.1", "--port", "0"], timeout=10)
check(r.returncode == 2 and one_line_error(r.stderr) and "--udp" in r.stderr,
      "chat over --udp is refused at start (exit 2)", r.stderr)

# -- peers are bounded and expire -----------------------------------------------------------
with Server("--udp", "--max-clients", "5", "--idle-timeout", "1") as s:
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(8)]
    answered = 0
    for k in socks:
        k.settimeout(1)
        k.sendto(b"hi", ("127.0.0.1", s.port))
    for k in socks:
        try:
            answered += k.recv(100) == b"Mensagem recebida"
        except socket.timeout:
            pass
    check(answered == 5, "at most --max-clients peers are kept (%d of 8 answered)" % answered)
    check(s.wait_for(r"disconnected \(idle", timeout=5, count=5) is not None,
          "idle peers are forgotten (--idle-timeout)", s.output())
    k = socks[-1]
    k.sendto(b"later", ("127.0.0.1", s.port))
    try:
        later = k.recv(100)
    except socket.timeout:
        later = None
    check(later == b"Mensagem recebida", "then a new peer is served", repr(later))
    for k in socks:
        k.close()
done()
