"""Server robustness over TLS: a client that connects and sends nothing is
dropped at --handshake-timeout while the others are served; a second
connection resumes the TLS session (client and server say so with -v)."""
import socket
import threading
import time

from chatlib import Chat, harness
from harness import Certs, Server, check, client, done

certs = Certs()
try:
    with Server("--service", "chat", "--handshake-timeout", "1", "-v", *certs.server_args()) as s:
        silent = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        t0 = time.time()
        dropped = {}

        def watch():
            try:
                dropped["data"] = silent.recv(100)
            except OSError:
                dropped["data"] = b""
            dropped["at"] = time.time()

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        a = Chat(s.port, *certs.client_args("alice"))
        check(a.wait_for(r"^\* welcome, you are alice") is not None, "alice connects meanwhile",
              a.output() + a.errors())
        b = Chat(s.port, *certs.client_args("bob"))
        check(a.wait_for(r"^\* bob joined") is not None, "so does bob", a.output() + b.errors())
        b.say("served while a silent client waits")
        check(a.wait_for(r"^<bob> served while a silent client waits$") is not None, "and they are served")
        watcher.join(10)
        data = dropped.get("data")
        took = dropped.get("at", time.time()) - t0
        check(data == b"", "the silent client is closed by the server")
        check(0.7 <= took <= 6, "... at the handshake timeout (1 s; took %.1f s)" % took)
        check(s.wait_for(r"refused TLS client 127\.0\.0\.1:\d+: no TLS handshake within "
                         r"--handshake-timeout") is not None, "the server logs why", s.output())
        silent.close()
        a.say("still fine")
        check(b.wait_for(r"^<alice> still fine$") is not None, "the others go on")
        a.finish()
        b.finish()

    # resumption, one-way TLS and mutual TLS
    for who, extra in (("server-only TLS", []), ("mutual TLS", ["--require-client-cert"])):
        with Server("-v", *(certs.server_args() + extra)) as s:
            user = "alice" if extra else None
            r = client("--port", s.port, *certs.client_args(user), "--repeat", "2", "-v", "-m", "hi")
            check(r.returncode == 0, who + ": two connections succeed", r.stdout + r.stderr)
            sessions = [l for l in r.stdout.splitlines() if "TLS session" in l]
            check(len(sessions) == 2 and "TLS session new" in sessions[0] and
                  "TLS session resumed" in sessions[1],
                  who + ": the client says the second connection resumed its session", r.stdout)
            check(s.wait_for(r"TLS session resumed, client certificate %s" % (user or "-")) is not None,
                  who + ": the server's -v log shows the resumption", s.output())
finally:
    certs.cleanup()
done()
