"""Resource limits: the server started with only 64 file descriptors
(prlimit --nofile=64) refuses or pauses new clients while they are used up,
stays up, and serves again once they are free; and a slowloris that
trickles an endless overlong line is cut by --line-timeout."""
import os
import socket
import time

from abuse import SLOW, WRAPPED, good_client
from harness import Server, check, done

# -- file descriptors exhausted ----------------------------------------------
def fd_exhaustion():
    """Under valgrind this cannot be tested: valgrind keeps the top
    descriptors for itself and, when accept returns one of them, closes it
    and reports EMFILE, so the kernel resets a connection the server never
    saw."""
    old_wrap = os.environ.get("LANMSG_WRAP", "")
    os.environ["LANMSG_WRAP"] = "prlimit --nofile=64:64 " + old_wrap
    try:
        s = Server()
    finally:
        os.environ["LANMSG_WRAP"] = old_wrap
    with s:
        fd_exhaustion_cases(s)


def fd_exhaustion_cases(s):
    good_client(s, None, "start under 64 descriptors")
    hogs = []
    for i in range(100):
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        hogs.append(c)
    # Lines from every hog: the ones the server could take are answered.
    for i, c in enumerate(hogs):
        c.sendall(b"hog %d\n" % i)
    answered = 0
    for c in hogs:
        c.settimeout(0.3 * SLOW)
        try:
            if c.recv(100).startswith(b"Mensagem"):
                answered += 1
        except OSError:
            pass
    print("# %d of 100 connections served while descriptors ran out" % answered)
    check(0 < answered < 100, "some connections served, the rest wait (%d of 100)" % answered)
    check(s.alive(), "server up with its descriptors used up")
    time.sleep(1)
    check("cannot accept new clients" in s.errors(), "the server says why it stops accepting",
          s.errors()[-500:])
    # A new client now is not served while nothing is free ...
    late = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    late.sendall(b"late client\n")
    late.settimeout(1.0)
    try:
        early = late.recv(100)
    except OSError:
        early = b""
    check(not early.startswith(b"Mensagem"), "a new client waits while no descriptor is free",
          repr(early))
    # ... and is served once descriptors free up, as is a new good client.
    for c in hogs:
        c.close()
    late.settimeout(10 * SLOW)
    try:
        got = late.recv(100) if not early else early
    except OSError:
        got = b""
    check(got.startswith(b"Mensagem"), "the waiting client is served once descriptors free up",
          "%r\n%s\n%s" % (got, s.output()[-1500:], s.errors()[-1500:]))
    late.close()
    good_client(s, None, "descriptors exhausted and freed")
    check(s.alive(), "server up after descriptor exhaustion")


if WRAPPED:
    print("# descriptor exhaustion skipped under LANMSG_WRAP (valgrind owns the top descriptors)")
else:
    fd_exhaustion()

# -- a slowloris trickling an endless overlong line ---------------------------
for partial in (50, 300):
    with Server("--max-line", "100", "--line-timeout", "2") as s:
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        c.sendall(b"z\n")  # a line connection
        c.recv(100)
        c.sendall(b"z" * partial)  # 300 bytes: past --max-line, being discarded
        t0 = time.time()
        closed = False
        while time.time() - t0 < 12 * SLOW:
            try:
                c.sendall(b"z")
            except OSError:
                closed = True
                break
            c.settimeout(0.2)
            try:
                data = c.recv(1000)
                if data == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
            except OSError:
                closed = True
                break
        took = time.time() - t0
        what = "an overlong line" if partial > 100 else "a short unfinished line"
        check(closed and took < 8 * SLOW,
              "a slowloris trickling %s is cut by --line-timeout 2 (%.1f s)" % (what, took),
              s.output()[-500:])
        c.close()
        good_client(s, None, "a slowloris (%s)" % what)
done()
