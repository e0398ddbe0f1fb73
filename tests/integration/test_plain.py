"""Plain TCP: the tutorial's exchange, framing, tutorial-style peers, nc,
IPv6, many clients, bad input and clean shutdown."""
import socket
import subprocess
import threading
import time

from harness import Server, check, client, done, one_line_error, run, wait_port, free_port, SERVER

# -- the tutorial's exchange -------------------------------------------------
with Server() as s:
    r = client("--port", s.port)
    check(r.returncode == 0, "client exits 0", r.stderr)
    check("[client] connected to 127.0.0.1:%d (plain TCP)" % s.port in r.stdout,
          "client prints its connected line", r.stdout)
    check("[client] reply: Mensagem recebida" in r.stdout, "client prints the reply", r.stdout)
    check(s.wait_for(r"\[server\] received from 127\.0\.0\.1:\d+: Olá servidor!$") is not None,
          "server prints the message with its sender", s.output())
    check(s.wait_for(r"\[server\] connection from 127\.0\.0\.1:\d+ \(plain TCP\)") is not None,
          "server logs the connection", s.output())
    check(s.wait_for(r"\[server\] 127\.0\.0\.1:\d+ disconnected") is not None,
          "server logs the disconnect", s.output())

    # message from arguments and from -m
    r = client("--port", s.port, "hello", "there")
    check(s.wait_for(r"received from .*: hello there$") is not None, "words form the message")

    # stdin not a terminal: one reply per line
    r = client("--port", s.port, input="one\ntwo\r\nthree\n")
    check(r.stdout.count("[client] reply: Mensagem recebida") == 3, "one reply per stdin line",
          r.stdout + r.stderr)
    for word in ("one", "two", "three"):
        check(s.wait_for(r"received from .*: %s$" % word) is not None, "server got line " + word)

    # --reply is used
with Server("--reply", "Got it") as s:
    r = client("--port", s.port, "-q")
    check(r.stdout.strip() == "Got it", "--reply changes the reply; -q prints only it", r.stdout)

# -- tutorial-style Python client: sendall without newline, recv(1024) -----
with Server() as s:
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    c.sendall("Olá servidor!".encode())
    data = c.recv(1024)
    c.close()
    check(data == b"Mensagem recebida", "tutorial client gets exactly 'Mensagem recebida' (no newline)",
          repr(data))
    check(s.wait_for(r"received from .*: Olá servidor!$") is not None,
          "server shows the tutorial client's message")

    # the same connection can go on in raw mode
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    c.sendall(b"first")
    a = c.recv(1024)
    c.sendall(b"second")
    b = c.recv(1024)
    c.close()
    check(a == b"Mensagem recebida" and b == b"Mensagem recebida", "raw mode: one reply per chunk",
          repr((a, b)))

    # nc: line based
    r = run(["nc", "-q", "1", "127.0.0.1", str(s.port)], input="hi from nc\n", timeout=10)
    check("Mensagem recebida" in r.stdout, "nc gets the reply", r.stdout + r.stderr)
    check(s.wait_for(r"received from .*: hi from nc$") is not None, "server shows nc's line")

    # socat: line based
    r = run(["socat", "-t", "2", "-", "TCP:127.0.0.1:%d" % s.port], input="hi from socat\n", timeout=10)
    check(r.stdout == "Mensagem recebida\n", "socat gets the reply with a newline in line mode",
          repr(r.stdout))

# -- our client against a tutorial-style Python server ---------------------
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
port = ls.getsockname()[1]
got = []


def tutorial_server():
    conn, _ = ls.accept()
    conn.settimeout(5)
    data = conn.recv(1024)
    got.append(data)
    conn.sendall("Mensagem recebida".encode())
    try:
        conn.recv(1024)
    except OSError:
        pass
    conn.close()


t = threading.Thread(target=tutorial_server, daemon=True)
t.start()
r = client("--port", port, "--framing", "raw")
t.join(5)
ls.close()
check(r.returncode == 0 and "[client] reply: Mensagem recebida" in r.stdout,
      "client works with a tutorial-style server (reply without newline)", r.stdout + r.stderr)
check(got and got[0] == "Olá servidor!".encode(), "raw framing sends exactly the tutorial's bytes",
      repr(got))

# same, in the default line framing: the reply has no newline and still counts
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
port = ls.getsockname()[1]
got = []
t = threading.Thread(target=tutorial_server, daemon=True)
t.start()
r = client("--port", port)
t.join(5)
ls.close()
check(r.returncode == 0 and "reply: Mensagem recebida" in r.stdout,
      "default framing accepts a reply without newline", r.stdout + r.stderr)

# -- overlong lines: error reply, discarded, connection stays up ------------
with Server("--max-line", "100") as s:
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    c.sendall(b"x" * 300 + b"\nshort\n")
    f = c.makefile("rb")
    first = f.readline()
    second = f.readline()
    c.close()
    check(first.startswith(b"error: message too long (more than 100 bytes)"),
          "overlong line gets a clear error reply", repr(first))
    check(second == b"Mensagem recebida\n", "the next line on the same connection is served",
          repr(second))
    check(s.wait_for(r"longer than 100 bytes") is not None, "server logs the overlong line")

# -- IPv6 ---------------------------------------------------------------------
with Server(host="::1") as s:
    r = client("--host", "::1", "--port", s.port)
    check(r.returncode == 0 and "connected to [::1]:%d" % s.port in r.stdout
          and "reply: Mensagem recebida" in r.stdout, "IPv6 loopback works", r.stdout + r.stderr)

# -- many clients at once -----------------------------------------------------
with Server() as s:
    procs = [subprocess.Popen([SERVER.replace("server", "client"), "--port", str(s.port), "-q",
                               "-m", "client %d" % i], stdout=subprocess.PIPE, text=True)
             for i in range(30)]
    outs = [p.communicate(timeout=20)[0] for p in procs]
    check(all(p.returncode == 0 for p in procs) and all(o.strip() == "Mensagem recebida" for o in outs),
          "30 concurrent clients all answered")

# -- a peer vanishing mid-message; the server keeps serving -------------------
with Server() as s:
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    c.sendall(b"half a line with no end")
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    c.close()  # RST
    time.sleep(0.2)
    r = client("--port", s.port)
    check(r.returncode == 0 and s.alive(), "server survives a peer resetting mid-message")

    # half-close after a message: the reply still arrives
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    c.sendall(b"bye\n")
    c.shutdown(socket.SHUT_WR)
    data = c.makefile("rb").read()
    c.close()
    check(data == b"Mensagem recebida\n", "half-closed client still gets its reply", repr(data))

    # garbage with control characters is escaped on the console
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    c.sendall(b"evil \x1b[31mred\x00 \xff\n")
    c.makefile("rb").readline()
    c.close()
    m = s.wait_for(r"received from .*: evil ")
    check(m is not None and "\x1b" not in s.output() and "\\x1b[31mred\\x00 \\xff" in s.output(),
          "control bytes and invalid UTF-8 are shown escaped", s.output()[-300:])

# -- SIGTERM: clean exit 0 with clients connected -----------------------------
s = Server()
c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
c.sendall(b"hello\n")
c.makefile("rb").readline()
rc = s.stop()
rest = c.recv(100)
c.close()
check(rc == 0, "SIGTERM: server exits 0", str(rc))
check(rest == b"", "SIGTERM: open connection is closed in order (EOF)", repr(rest))
check("[server] stopped" in s.output(), "SIGTERM: server says it stopped", s.output())

# -- scripted use: an over-long input line is reported and skipped, the rest
#    still sent, and the exit status says something was skipped ---------------
with Server("--max-line", "100") as s:
    r = client("--port", s.port, input="one\n" + "x" * 500 + "\nthree\n")
    check(r.returncode == 1 and r.stdout.count("reply: Mensagem recebida") == 2
          and "message too long" in r.stderr,
          "a line the server refuses is reported; the next lines are still sent; exit 1",
          r.stdout + r.stderr)
    r = client("--port", s.port, "--max-line", "200", input="one\n" + "x" * 500 + "\nthree\n")
    check(r.returncode == 1 and r.stdout.count("reply: Mensagem recebida") == 2
          and "line 2 of the input is 500 bytes" in r.stderr and "skipped" in r.stderr,
          "a line over the client's --max-line is skipped before sending; exit 1",
          r.stdout + r.stderr)
    check(s.output().count("received from") == 4, "the server got exactly the four short lines",
          s.output())

# -- bad input: one line, names the cause and the fix, non-zero exit -----------
r = run([SERVER, "--bogus"])
check(r.returncode == 2 and one_line_error(r.stderr) and "--bogus" in r.stderr and "--help" in r.stderr,
      "server: unknown flag", r.stderr)
r = client("--bogus")
check(r.returncode == 2 and one_line_error(r.stderr) and "--bogus" in r.stderr,
      "client: unknown flag", r.stderr)
r = client("--port")
check(r.returncode == 2 and "needs a value" in r.stderr, "client: missing value", r.stderr)
r = client("--port", "99999")
check(r.returncode == 2 and "not a TCP port" in r.stderr, "client: bad port", r.stderr)
# TLS-only flags without --tls used to be ignored: the user believed the
# connection was encrypted. Now each is a usage error naming the flag and --tls.
for flag in (["--cert", "x.crt"], ["--key", "x.key"], ["--ca", "ca.crt"],
             ["--require-client-cert"], ["--allow-plain"], ["--tls-version", "13"],
             ["--cipher", "aes128"]):
    r = run([SERVER, "--port", "0"] + flag, timeout=10)
    check(r.returncode == 2 and one_line_error(r.stderr) and flag[0] in r.stderr
          and "--tls" in r.stderr and "[server] listening" not in r.stdout,
          "server: %s without --tls is refused (exit 2, names both)" % flag[0], r.stdout + r.stderr)
for flag in (["--cert", "x.crt"], ["--key", "x.key"], ["--ca", "ca.crt"], ["--insecure"],
             ["--servername", "localhost"], ["--tls-version", "12"], ["--cipher", "chacha20"],
             ["--fallback-plain"]):
    r = client(*flag)
    check(r.returncode == 2 and one_line_error(r.stderr) and flag[0] in r.stderr
          and "--tls" in r.stderr and "connected" not in r.stdout,
          "client: %s without --tls is refused (exit 2, names both)" % flag[0], r.stdout + r.stderr)
r = run([SERVER, "--service", "nope"])
check(r.returncode == 2 and "unknown service" in r.stderr, "server: unknown service", r.stderr)
with Server() as s:
    r = run([SERVER, "--host", "127.0.0.1", "--port", str(s.port)], timeout=10)
    check(r.returncode == 1 and one_line_error(r.stderr) and "already in use" in r.stderr
          and "--port" in r.stderr, "server: port in use", r.stderr)
port = free_port()
r = client("--port", port)
check(r.returncode == 1 and one_line_error(r.stderr) and "connection refused" in r.stderr
      and "lanmsg-server" in r.stderr, "client: refused connection", r.stderr)
r = client("--host", "no-such-host.invalid", "--port", port)
check(r.returncode == 1 and one_line_error(r.stderr) and "cannot resolve" in r.stderr,
      "client: unknown host", r.stderr)

# a server that accepts and closes without replying
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
port = ls.getsockname()[1]


def closer():
    conn, _ = ls.accept()
    conn.recv(100)
    conn.close()


t = threading.Thread(target=closer, daemon=True)
t.start()
r = client("--port", port)
t.join(5)
ls.close()
check(r.returncode == 1 and one_line_error(r.stderr) and "closed the connection before replying" in r.stderr,
      "client: server vanishes before replying", r.stderr)

done()
