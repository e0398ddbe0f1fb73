"""Helpers for the fault and abuse tests: a TLS client with full control of
the socket underneath (Python ssl over memory BIOs), the well-behaved client
every case checks afterwards, and the server's resident memory."""
import os
import re
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from harness import SERVER, check, client  # noqa: E402

WRAPPED = bool(os.environ.get("LANMSG_WRAP"))  # e.g. valgrind: timing and memory differ

def _sanitized():
    try:
        with open(SERVER, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


SANITIZED = _sanitized()  # an ASan build of the server
SLOW = 4 if WRAPPED or SANITIZED else 1


class TLSClient:
    """TLS over a plain socket we keep, so a test can reset it, half-close
    it or cut a record in the middle."""

    def __init__(self, port, ca, cert=None, key=None, timeout=10):
        ctx = ssl.create_default_context(cafile=ca)
        if cert:
            ctx.load_cert_chain(cert, key)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_hostname="localhost")
        self._pump(self.obj.do_handshake)

    def _flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def _pump(self, op, *args):
        while True:
            try:
                r = op(*args)
                self._flush()
                return r
            except ssl.SSLWantReadError:
                self._flush()
                data = self.sock.recv(65536)
                if not data:
                    self.inc.write_eof()
                else:
                    self.inc.write(data)

    def send(self, data):
        self._pump(self.obj.write, data)

    def recv_until(self, needle, timeout=10):
        """Plaintext received until `needle` shows up (or EOF / timeout)."""
        got = b""
        end = time.time() + timeout
        self.sock.settimeout(timeout)
        while needle not in got and time.time() < end:
            try:
                chunk = self._pump(self.obj.read, 65536)
            except (ssl.SSLEOFError, ssl.SSLZeroReturnError, OSError):
                break
            if not chunk:
                break
            got += chunk
        return got

    def close_notify(self):
        """Send our close_notify without waiting for the server's."""
        try:
            self.obj.unwrap()
        except ssl.SSLWantReadError:
            pass
        self._flush()

    def reset(self):
        reset(self.sock)


def reset(sock):
    """Close with SO_LINGER 0: the kernel sends RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def client_hello():
    """A real ClientHello, as Python's OpenSSL would send it."""
    ctx = ssl.create_default_context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def good_client(s, certs, what, lines=3, limit=10.0):
    """The well-behaved client: every line answered, in time, and every line
    shown by the server."""
    tag = "good-%d-%s" % (int(time.time() * 1000) % 100000, what.replace(" ", "-"))
    msgs = ["%s-%d" % (tag, i) for i in range(lines)]
    t0 = time.time()
    args = certs.client_args() if certs else []
    r = client("--port", s.port, "--timeout", "20", *args, input="\n".join(msgs) + "\n",
               timeout=60)
    took = time.time() - t0
    ok = r.returncode == 0 and r.stdout.count("reply:") == lines
    check(ok, "after %s: the good client gets %d replies" % (what, lines), r.stdout + r.stderr)
    check(took < limit * SLOW, "after %s: in time (%.2f s)" % (what, took))
    seen = all(s.wait_for(r"received from .*: %s$" % re.escape(m), 10) for m in msgs)
    check(seen, "after %s: the server shows all its messages" % what, s.output()[-800:])
    return ok and seen


class Memory:
    """The server's VmRSS: a baseline, and a check that it comes back."""

    def __init__(self, s):
        self.pid = s.proc.pid
        self.base = rss_kib(self.pid)
        self.peak = self.base

    def sample(self):
        self.peak = max(self.peak, rss_kib(self.pid))

    def settled(self, what, slack_kib=3072, wait=10):
        """RSS back within slack of the baseline (allocators keep a little).
        Not measured under valgrind or AddressSanitizer, whose quarantine
        keeps freed memory on purpose (they check leaks themselves)."""
        if WRAPPED or SANITIZED:
            print("# memory after %s: not measured (valgrind / ASan build)" % what)
            return True
        end = time.time() + wait
        now = rss_kib(self.pid)
        while now > self.base + slack_kib and time.time() < end:
            time.sleep(0.2)
            now = rss_kib(self.pid)
        print("# memory after %s: base %d KiB, peak %d KiB, now %d KiB" %
              (what, self.base, self.peak, now))
        return check(now <= self.base + slack_kib, "after %s: memory back near its start" % what,
                     "base %d KiB, now %d KiB" % (self.base, now))
