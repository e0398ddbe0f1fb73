"""Shared helpers for lanmsg's integration tests.

Tests start the real lanmsg-server on an ephemeral port (--port 0), read the
port from its "listening on" line, and run the real lanmsg-client, third-party
peers (openssl, socat, nc) or small Python sockets against it. Everything is
on loopback and every wait has a time limit.
"""
import atexit
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.environ.get("LANMSG_BIN", os.path.join(os.path.dirname(__file__), "../../build/bin"))
SERVER = os.path.join(BIN, "lanmsg-server")
CLIENT = os.path.join(BIN, "lanmsg-client")
CERTGEN = os.path.join(BIN, "lanmsg-certgen")


def _exe_wrappers(prefix):
    """LANMSG_EXE_PREFIX runs a Windows build (e.g. "wine", .ci/windows.sh):
    each BIN/*.exe gets a script named like the POSIX program that execs the
    prefix with it, so every call site keeps passing one path and signals
    reach the program itself."""
    wrapdir = tempfile.mkdtemp(prefix="lanmsg-exe-")
    atexit.register(shutil.rmtree, wrapdir, True)
    for name in os.listdir(BIN):
        if name.endswith(".exe"):
            script = os.path.join(wrapdir, name[:-4])
            with open(script, "w") as f:
                f.write('#!/bin/sh\nexec %s %s "$@"\n'
                        % (prefix, shlex.quote(os.path.abspath(os.path.join(BIN, name)))))
            os.chmod(script, 0o755)
    return wrapdir


if os.environ.get("LANMSG_EXE_PREFIX"):
    _WRAPDIR = _exe_wrappers(os.environ["LANMSG_EXE_PREFIX"])
    SERVER, CLIENT, CERTGEN = (os.path.join(_WRAPDIR, n)
                               for n in ("lanmsg-server", "lanmsg-client", "lanmsg-certgen"))
# The programs keep files in the user's folders (known_servers, a server's
# identity, chat names): every test gets its own, so no test reads what
# another left, and none touches the real ones.
_FOLDERS = tempfile.mkdtemp(prefix="lanmsg-test-home-")
ENV = dict(os.environ, LANG="C", LC_ALL="C", LC_MESSAGES="C",
           XDG_CONFIG_HOME=os.path.join(_FOLDERS, "config"),
           XDG_STATE_HOME=os.path.join(_FOLDERS, "state"))
ENV.pop("SSLKEYLOGFILE", None)


atexit.register(shutil.rmtree, _FOLDERS, True)


def user_folder(kind, env=None):
    """The lanmsg folder the programs use for "config" (known_servers) or
    "state" (pairing files) with this environment. Under wine that is the
    prefix's %APPDATA% or %LOCALAPPDATA%, which wine sets whatever the
    environment says (tests that write there hold the CTest resource lock
    "user-folders")."""
    env = env or ENV
    if os.environ.get("LANMSG_EXE_PREFIX"):
        var = "APPDATA" if kind == "config" else "LOCALAPPDATA"
        win = subprocess.run(["wine", "cmd", "/c", "echo %" + var + "%"], capture_output=True,
                             text=True, env=env, timeout=60).stdout.strip()
        unix = subprocess.run(["winepath", "-u", win], capture_output=True, text=True, env=env,
                              timeout=60).stdout.strip()
        return os.path.join(unix, "lanmsg")
    return os.path.join(env["XDG_CONFIG_HOME" if kind == "config" else "XDG_STATE_HOME"], "lanmsg")

_failures = []


def check(cond, what, detail=""):
    """Record one expectation; the test fails at the end if any failed."""
    if cond:
        print("ok   - " + what)
    else:
        print("FAIL - " + what + ("\n       " + detail.replace("\n", "\n       ") if detail else ""))
        _failures.append(what)
    return cond


def done():
    if _failures:
        print("%d check(s) failed" % len(_failures))
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


class Lines:
    """A process whose stdout and stderr lines are collected in the
    background, for tests to wait on. Subclasses may watch each stdout line
    as it arrives (on_line)."""

    def __init__(self, cmd, stdin=None, cwd=None, env=None):
        self.proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd, env=env or ENV, text=True,
                                     errors="replace", bufsize=1)
        self.lines = []
        self.err_lines = []
        self._lock = threading.Lock()
        self._t = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines, True),
                                    daemon=True),
                   threading.Thread(target=self._pump, args=(self.proc.stderr, self.err_lines, False),
                                    daemon=True)]
        for t in self._t:
            t.start()

    def _pump(self, stream, sink, is_out):
        for line in stream:
            with self._lock:
                sink.append(line.rstrip("\n"))
            if is_out:
                self.on_line(line)
        if is_out:
            self.on_eof()

    def on_line(self, line):
        pass

    def on_eof(self):
        pass

    def output(self):
        with self._lock:
            return "\n".join(self.lines)

    def errors(self):
        with self._lock:
            return "\n".join(self.err_lines)

    def wait_for(self, pattern, timeout=10, count=1):
        """Wait until `count` stdout lines match the regex; return the last
        of those matches, or None."""
        end = time.time() + timeout
        while time.time() < end:
            with self._lock:
                ms = [m for m in (re.search(pattern, l) for l in self.lines) if m]
            if len(ms) >= count:
                return ms[count - 1]
            time.sleep(0.02)
        return None

    def alive(self):
        return self.proc.poll() is None

    def join(self):
        for t in self._t:
            t.join(2)


class Server(Lines):
    """A running lanmsg-server on an ephemeral port (self.port)."""

    def __init__(self, *args, host="127.0.0.1", cwd=None, env=None, expect_start=True):
        # Lines without timestamps, to compare them exactly (test_logs.py covers
        # the timestamped and JSON forms).
        cmd = [SERVER, "--host", host, "--port", "0", "--no-log-time"] + list(args)
        # A state folder of its own (under wine, %LOCALAPPDATA% is the
        # prefix's, whatever the environment says, and shared by every test).
        if "--state-dir" not in args:
            cmd += ["--state-dir", tempfile.mkdtemp(prefix="state-", dir=_FOLDERS)]
        # LANMSG_WRAP runs the server under a tool, e.g. valgrind (.ci/hardening.sh).
        cmd = shlex.split(os.environ.get("LANMSG_WRAP", "")) + cmd
        self.port = None
        self._started = threading.Event()
        super().__init__(cmd, cwd=cwd, env=env)
        self._started.wait(15)
        if expect_start and self.port is None:
            self.stop()
            raise RuntimeError("server did not start: %s" % "\n".join(self.err_lines + self.lines))

    def on_line(self, line):
        if self.port is None:
            m = re.search(r"listening on .*:(\d+) ", line)
            if m:
                self.port = int(m.group(1))
                self._started.set()

    def on_eof(self):
        self._started.set()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            if sig == signal.SIGTERM and os.environ.get("LANMSG_EXE_PREFIX"):
                # Windows has no SIGTERM (wine lets it kill outright); its
                # polite stop is Ctrl-C, which wine delivers from SIGINT.
                sig = signal.SIGINT
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.join()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Peer:
    """A long-running third-party peer (openssl s_client, gnutls-cli, socat,
    ncat) whose raw stdout/stderr bytes are collected."""

    def __init__(self, cmd, env=None, stdin=True):
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env or ENV)
        self.out = bytearray()
        self.err = bytearray()
        self._lock = threading.Lock()
        self._t = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True),
                   threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True)]
        for t in self._t:
            t.start()

    def _pump(self, stream, sink):
        while True:
            b = stream.read1(65536) if hasattr(stream, "read1") else stream.read(1)
            if not b:
                return
            with self._lock:
                sink.extend(b)

    def send(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def text(self):
        with self._lock:
            return self.out.decode("utf-8", "replace")

    def errors(self):
        with self._lock:
            return self.err.decode("utf-8", "replace")

    def wait_out(self, needle, timeout=15):
        """Wait until `needle` appears in stdout (or the process exits)."""
        end = time.time() + timeout
        while time.time() < end:
            if needle in self.text():
                return True
            if self.proc.poll() is not None:
                time.sleep(0.1)
                return needle in self.text()
            time.sleep(0.02)
        return False

    def wait_exit(self, timeout=15):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for t in self._t:
            t.join(2)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def talk(cmd, line=b"hello interop\n", expect="Mensagem recebida", timeout=15):
    """Start a peer that does not exit on its own, send one line, and report
    whether `expect` came back. Returns (ok, stdout, stderr, exit code or None)."""
    with Peer(cmd) as p:
        p.send(line)
        ok = p.wait_out(expect, timeout)
        rc = p.proc.poll()
        p.stop()
        return ok, p.text(), p.errors(), rc


def client(*args, input=None, timeout=20, cwd=None, env=None):
    """Run lanmsg-client to completion."""
    if input is None:
        input = ""  # an empty, non-terminal stdin, as under CI
    return subprocess.run([CLIENT] + [str(a) for a in args], input=input, capture_output=True,
                          text=True, errors="replace", timeout=timeout, cwd=cwd, env=env or ENV)


def run(cmd, input=None, timeout=20, **kw):
    return subprocess.run(cmd, input=input, capture_output=True, text=True, errors="replace",
                          timeout=timeout, env=kw.pop("env", ENV), **kw)


def free_port():
    """A port that was free a moment ago (for third-party servers that
    cannot report an ephemeral one)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, host="127.0.0.1", timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Certs:
    """A fresh directory of certificates made with lanmsg-certgen."""

    def __init__(self, *extra):
        self.dir = tempfile.mkdtemp(prefix="lanmsg-certs-")
        r = run([CERTGEN, "--out", self.dir, "--client", "alice", "--client", "bob",
                 "--client", "carol"] + list(extra))
        if r.returncode != 0:
            raise RuntimeError("lanmsg-certgen failed: " + r.stderr + r.stdout)

    def path(self, name):
        return os.path.join(self.dir, name)

    def server_args(self):
        return ["--tls", "--cert", self.path("server.crt"), "--key", self.path("server.key"),
                "--ca", self.path("ca.crt")]

    def client_args(self, user=None):
        a = ["--tls", "--ca", self.path("ca.crt")]
        if user:
            a += ["--cert", self.path(user + ".crt"), "--key", self.path(user + ".key")]
        return a

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def one_line_error(stderr):
    """Errors must be one line (warnings such as --insecure may precede)."""
    lines = [l for l in stderr.strip().splitlines() if l.strip()]
    return len(lines) == 1
