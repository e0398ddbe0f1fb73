"""Abuse before the handshake ends: 200 connections stalled mid-ClientHello,
garbage instead of a ClientHello, a ClientHello cut off mid-record, and
peers that reset mid-handshake. The server stays up, keeps serving a good
client in time, drops the stalled ones at --handshake-timeout, and its
memory comes back."""
import os
import socket
import time

from abuse import SLOW, Memory, client_hello, good_client, reset
from harness import Certs, Server, check, done

certs = Certs()
hello = client_hello()
check(hello[:1] == b"\x16" and len(hello) > 100, "a real ClientHello to cut (%d bytes)" % len(hello))
TIMEOUT = 4 * SLOW

def stall_round(s, label):
    """200 connections that send part of a ClientHello and hold; the good
    client is served meanwhile; the server drops them at the timeout."""
    stalled = []
    for i in range(200):
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        c.sendall(hello[:60])  # the record header says more is coming
        stalled.append(c)
    time.sleep(0.5)
    good_client(s, certs, "200 stalled handshakes (%s, held)" % label)
    t0 = time.time()
    dropped = 0
    for c in stalled:
        c.settimeout(max(1.0, TIMEOUT + 6 - (time.time() - t0)))
        try:
            if c.recv(1024) == b"":
                dropped += 1
        except ConnectionResetError:
            dropped += 1
        except socket.timeout:
            pass
        c.close()
    check(dropped == 200, "%s: all 200 stalled handshakes dropped at --handshake-timeout (%d)"
          % (label, dropped))
    check(s.alive(), "server up after 200 stalled handshakes (%s)" % label)


with Server(*(certs.server_args() + ["--handshake-timeout", str(TIMEOUT)])) as s:
    good_client(s, certs, "start")
    # The first round is also the warm-up: the allocator keeps some of what
    # it got back (a session-cache entry made later pins the heap top), so
    # "back where it was" is measured from here: later rounds must not grow.
    stall_round(s, "round 1")
    time.sleep(1)
    mem = Memory(s)
    stall_round(s, "round 2")
    mem.settled("200 stalled handshakes, round 2")

    # -- garbage instead of a ClientHello --
    for i, junk in enumerate([b"\x16\x03\x01\x00\x05" + os.urandom(5),
                              b"\x16\x03\x03\xff\xff" + os.urandom(2000),
                              b"\x16" + os.urandom(4000),
                              b"\x16\x03\x01\x00\x00",
                              os.urandom(3000),
                              b"\x16\x03\x01\x40\x00" + b"\x01" + os.urandom(16383)]):
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        try:
            c.sendall(junk)
            c.shutdown(socket.SHUT_WR)
            while c.recv(4096):
                pass
        except OSError:
            pass
        c.close()
    check(s.alive(), "server up after garbage ClientHellos")
    good_client(s, certs, "garbage ClientHellos")

    # -- a ClientHello cut off mid-record, then EOF; and then silence --
    c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    c.sendall(hello[: len(hello) // 2])
    c.shutdown(socket.SHUT_WR)
    try:
        c.settimeout(10)
        ended = c.recv(1024) == b"" or True
    except socket.timeout:
        ended = False
    except OSError:
        ended = True
    c.close()
    check(ended, "a ClientHello cut mid-record then EOF is closed at once")
    c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    c.sendall(hello[: len(hello) - 7])
    good_client(s, certs, "a ClientHello cut off mid-record (held)")
    c.close()

    # -- resets mid-handshake --
    for cut in (len(hello), 5, 60):
        for _ in range(20):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
            c.sendall(hello[:cut])
            if cut == len(hello):
                try:
                    c.settimeout(5)
                    c.recv(100)  # the ServerHello has started to come back
                except OSError:
                    pass
            reset(c)
    check(s.alive(), "server up after 60 resets mid-handshake")
    good_client(s, certs, "resets mid-handshake")
    mem.settled("all handshake abuse")
certs.cleanup()
done()
