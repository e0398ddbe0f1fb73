"""Portuguese output: the tutorial's exchange in European
Portuguese, chosen by the locale or by --lang pt, with the real server and
client over loopback; --help and a usage error in Portuguese; and the bytes
on the wire the same whatever the language."""
import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../integration"))
from harness import CLIENT, SERVER, ENV, check, done, run  # noqa: E402

PT_ENV = dict(ENV, LANG="pt_PT.UTF-8", LC_ALL="", LC_MESSAGES="")
EN_ENV = dict(ENV)


class PtServer:
    """lanmsg-server on port 0 whose listening line may be in either language."""

    def __init__(self, args, env):
        self.proc = subprocess.Popen([SERVER, "--host", "127.0.0.1", "--port", "0", "--no-log-time"] + args,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                     text=True, errors="replace")
        self.lines = []
        self.port = None
        ready = threading.Event()

        def pump():
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                m = re.search(r"(?:A escutar em|listening on) 127\.0\.0\.1:(\d+)", line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        self.t = threading.Thread(target=pump, daemon=True)
        self.t.start()
        ready.wait(15)
        if self.port is None:
            self.stop()
            raise RuntimeError("server did not start: " + self.proc.stderr.read())

    def wait_for(self, prefix, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            for line in list(self.lines):
                if line.startswith(prefix):
                    return line
            time.sleep(0.02)
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.t.join(2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def tutorial_exchange(how, server_args, client_args, env):
    """The tutorial's run in Portuguese: server lines and client lines."""
    with PtServer(server_args, env) as s:
        check(s.wait_for("[Servidor] A escutar em 127.0.0.1:%d" % s.port) is not None,
              how + ": server says '[Servidor] A escutar em 127.0.0.1:<port>'", "\n".join(s.lines))
        r = subprocess.run([CLIENT, "--port", str(s.port)] + client_args, input="",
                           capture_output=True, text=True, errors="replace", env=env, timeout=20)
        check(r.returncode == 0, how + ": client exits 0", r.stdout + r.stderr)
        out = r.stdout.splitlines()
        check(any(l.startswith("[Cliente] Ligado a 127.0.0.1:%d" % s.port) for l in out),
              how + ": client says '[Cliente] Ligado a 127.0.0.1:<port>'", r.stdout)
        check("[Cliente] Resposta: Mensagem recebida" in out,
              how + ": client says '[Cliente] Resposta: Mensagem recebida'", r.stdout)
        check(s.wait_for("[Servidor] Ligação recebida de 127.0.0.1:") is not None,
              how + ": server says '[Servidor] Ligação recebida de 127.0.0.1:<port>'",
              "\n".join(s.lines))
        check(s.wait_for("[Servidor] Recebido: Olá servidor!") is not None,
              how + ": server says '[Servidor] Recebido: Olá servidor!'", "\n".join(s.lines))
        check(s.wait_for("[Servidor] 127.0.0.1:") is not None
              and any(l.endswith("desligou-se (fechada pelo cliente)") for l in s.lines)
              and any(l.endswith("(TCP simples)") for l in out),
              how + ": details are Portuguese too (transport, disconnect reason)",
              r.stdout + "\n".join(s.lines))
        check(not any("received" in l or "listening" in l for l in s.lines),
              how + ": no English on the server's console", "\n".join(s.lines))


# ---- the tutorial's exchange, by locale and by --lang ----
tutorial_exchange("LANG=pt_PT.UTF-8", [], [], PT_ENV)
tutorial_exchange("--lang pt", ["--lang", "pt"], ["--lang", "pt"], EN_ENV)
tutorial_exchange("LC_MESSAGES=pt_PT", [], [], dict(ENV, LANG="C", LC_ALL="", LC_MESSAGES="pt_PT"))

# ---- --help and a usage error in Portuguese ----
for prog, cmd in (("server", SERVER), ("client", CLIENT)):
    r = run([cmd, "--help"], env=PT_ENV)
    check(r.returncode == 0 and r.stdout.startswith("utilização: lanmsg-")
          and "por omissão" in r.stdout and "--port" in r.stdout and "usage" not in r.stdout
          and "default" not in r.stdout,
          prog + " --help is in Portuguese (option names kept)", r.stdout)
    r = run([cmd, "--lang", "pt", "--no-such-option"], env=EN_ENV)
    check(r.returncode == 2 and "opção desconhecida --no-such-option" in r.stderr
          and len(r.stderr.strip().splitlines()) == 1,
          prog + ": a usage error is one Portuguese line, exit 2", r.stderr)
    r = run([cmd, "--port", "99999"], env=PT_ENV)
    check(r.returncode == 2 and "não é uma porta TCP" in r.stderr,
          prog + ": a bad --port is explained in Portuguese", r.stderr)
# a runtime error (nothing listening) is Portuguese too, and one line
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
closed_port = probe.getsockname()[1]
probe.close()
r = run([CLIENT, "--port", str(closed_port)], env=PT_ENV)
check(r.returncode == 1 and "ligação recusada" in r.stderr and "--port" in r.stderr
      and len(r.stderr.strip().splitlines()) == 1,
      "client: 'connection refused' is one Portuguese line, exit 1", r.stderr)
# a TLS configuration error (TLS builds only)
if "built without TLS" not in run([SERVER, "--version"]).stdout:
    r = run([CLIENT, "--tls", "--ca", "/nonexistent/ca.crt"], env=PT_ENV)
    check(r.returncode == 2 and "não é possível ler o certificado da CA /nonexistent/ca.crt"
          in r.stderr and len(r.stderr.strip().splitlines()) == 1,
          "client: a missing --ca file is one Portuguese line, exit 2", r.stderr)
r = run([CLIENT, "--help"], env=EN_ENV)
check(r.stdout.startswith("usage: lanmsg-client"), "English stays the default", r.stdout)


# ---- the wire does not change with the language ----
def server_bytes(env, args):
    """What a tutorial-style raw socket gets back for 'Olá servidor!'."""
    with PtServer(args, env) as s:
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        c.sendall("Olá servidor!".encode())
        data = b""
        end = time.time() + 10
        while time.time() < end and b"Mensagem recebida" not in data:
            chunk = c.recv(256)
            if not chunk:
                break
            data += chunk
        c.close()
        return data


def client_bytes(env, args):
    """What lanmsg-client sends to a listening socket, and how it takes a reply."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(15)
    port = ls.getsockname()[1]
    p = subprocess.Popen([CLIENT, "--port", str(port)] + args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    conn, _ = ls.accept()
    conn.settimeout(10)
    data = b""
    while b"\n" not in data and "Olá servidor!".encode() not in data:
        chunk = conn.recv(256)
        if not chunk:
            break
        data += chunk
    time.sleep(0.2)  # anything more the client would send
    conn.setblocking(False)
    try:
        data += conn.recv(256)
    except OSError:
        pass
    conn.sendall(b"Mensagem recebida\n")
    p.wait(15)
    conn.close()
    ls.close()
    return data


en_reply = server_bytes(EN_ENV, [])
pt_reply = server_bytes(PT_ENV, [])
check(en_reply.startswith(b"Mensagem recebida"), "the reply is 'Mensagem recebida'", repr(en_reply))
check(pt_reply == en_reply, "a raw socket gets the same bytes in pt and en",
      "%r vs %r" % (pt_reply, en_reply))
check(server_bytes(EN_ENV, ["--lang", "pt"]) == en_reply,
      "--lang pt does not change the server's bytes either")
en_sent = client_bytes(EN_ENV, [])
pt_sent = client_bytes(PT_ENV, ["--lang", "pt"])
check(en_sent.startswith("Olá servidor!".encode()), "the client sends 'Olá servidor!'", repr(en_sent))
check(pt_sent == en_sent, "the client sends the same bytes in pt and en",
      "%r vs %r" % (pt_sent, en_sent))

done()
