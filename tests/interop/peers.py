"""Helpers for the interop and abuse tests: run a third-party peer that
stays open (openssl s_client, gnutls-cli, socat, ncat), feed it a line, and
wait for a line of its output, with a time limit. Imports the integration
harness so that every test starts the real binaries the same way."""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from harness import ENV  # noqa: E402


class Peer:
    """A long-running peer process whose stdout/stderr are collected."""

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
    """Start a client peer, send one line, and report whether `expect` came
    back. Returns (ok, stdout, stderr, exit code or None)."""
    with Peer(cmd) as p:
        p.send(line)
        ok = p.wait_out(expect, timeout)
        rc = p.proc.poll()
        p.stop()
        return ok, p.text(), p.errors(), rc


def tls13_available(server_bin):
    """Our build has TLS 1.3 when its library is mbed TLS 3.x."""
    r = subprocess.run([server_bin, "--version"], capture_output=True, text=True, env=ENV)
    return "mbed TLS 3." in r.stdout or "Mbed TLS 3." in r.stdout
