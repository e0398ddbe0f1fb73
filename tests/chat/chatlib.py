"""Helpers for the chat tests: a running `lanmsg-client --chat` driven
through its stdin (not a terminal, so no prompt), with its stdout collected
in the background, and a raw line socket for exact counting."""
import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402  (shared Server, Certs, check, ...)


class Chat(harness.Lines):
    """One lanmsg-client --chat process."""

    def __init__(self, port, *args):
        cmd = [harness.CLIENT, "--chat", "--port", str(port)] + [str(a) for a in args]
        super().__init__(cmd, stdin=subprocess.PIPE)

    def say(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def has(self, pattern):
        with self._lock:
            return any(re.search(pattern, l) for l in self.lines)

    def finish(self, timeout=10):
        """End of input (Ctrl-D); returns the exit code."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        return self.wait(timeout)

    def wait(self, timeout=10):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for t in self._t:
            t.join(2)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Raw:
    """A plain socket speaking lines, reading in the background."""

    def __init__(self, port, rcvbuf=None, read=True):
        self.s = socket.socket()
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(10)
        self.s.connect(("127.0.0.1", port))
        self.lines = []
        self.closed = threading.Event()
        self._lock = threading.Lock()
        if read:
            threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        buf = b""
        self.s.settimeout(None)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    break
                buf += d
                *done, buf = buf.split(b"\n")
                with self._lock:
                    self.lines.extend(x.decode("utf-8", "replace") for x in done)
        except OSError:
            pass
        self.closed.set()

    def send(self, data):
        self.s.sendall(data.encode() if isinstance(data, str) else data)

    def count(self, pattern):
        with self._lock:
            return sum(1 for l in self.lines if re.search(pattern, l))

    def wait_for(self, pattern, timeout=10, count=1):
        end = time.time() + timeout
        while time.time() < end:
            if self.count(pattern) >= count:
                return True
            time.sleep(0.02)
        return False

    def close(self):
        # shutdown first: a close() alone does not send FIN while the reader
        # thread is still blocked in recv() on the same socket.
        try:
            self.s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.s.close()
        except OSError:
            pass
