"""Broken peers and bad payloads against the real TLS server: resets
mid-message, half-close after a message (the reply still arrives), 1 MiB
lines, NUL bytes and invalid UTF-8 (shown escaped, never as raw control
characters), SIGPIPE from vanished peers, and a client killed with SIGKILL.
After each, a good client is served in time with every message delivered,
and memory comes back."""
import signal
import socket
import subprocess
import time

from abuse import Memory, TLSClient, good_client, reset
from harness import CLIENT, ENV, Certs, Server, check, done

certs = Certs()
CA = certs.path("ca.crt")

with Server(*(certs.server_args() + ["-v"])) as s:
    good_client(s, certs, "start")
    for _ in range(20):  # warm-up of the paths below, before the baseline
        t = TLSClient(s.port, CA)
        t.send(b"warm\n")
        t.recv_until(b"\n")
        t.reset()
    time.sleep(0.5)
    mem = Memory(s)

    # -- resets mid-message: a partial line, then RST --
    for i in range(30):
        t = TLSClient(s.port, CA)
        t.send(b"complete %d\npartial line that never ends" % i)
        t.recv_until(b"\n", 5)
        t.reset()
    # a reset in the middle of a TLS record (the record header promises more)
    t = TLSClient(s.port, CA)
    t.sock.sendall(b"\x17\x03\x03\x01\x00" + b"\x00" * 40)
    t.reset()
    check(s.alive(), "server up after resets mid-message")
    good_client(s, certs, "resets mid-message")

    # -- half-close after a message: close_notify + FIN, the reply arrives --
    t = TLSClient(s.port, CA)
    t.send(b"half-close over TLS\n")
    t.close_notify()
    t.sock.shutdown(socket.SHUT_WR)
    got = t.recv_until(b"Mensagem recebida\n", 10)
    check(b"Mensagem recebida" in got, "TLS half-close (close_notify, SHUT_WR): the reply arrives",
          repr(got))
    t.sock.close()
    # the same without close_notify: only FIN after the message
    t = TLSClient(s.port, CA)
    t.send(b"half-close without close_notify\n")
    t.sock.shutdown(socket.SHUT_WR)
    got = t.recv_until(b"Mensagem recebida\n", 10)
    check(b"Mensagem recebida" in got, "TLS FIN without close_notify: the reply arrives", repr(got))
    t.sock.close()
    check(s.wait_for(r"received from .*: half-close without close_notify$") is not None,
          "the server shows the half-closed client's message")

    # -- lines of 1 MiB --
    t = TLSClient(s.port, CA)
    t.send(b"y" * (1 << 20) + b"\nafter the big one\n")
    got = t.recv_until(b"Mensagem recebida\n", 20)
    check(b"message too long" in got and b"Mensagem recebida" in got,
          "a 1 MiB line is refused with an error; the next line is answered", repr(got[:300]))
    t.close_notify()
    t.sock.close()
    mem.sample()
    good_client(s, certs, "a 1 MiB line")

    # -- NUL bytes, invalid UTF-8 and terminal escapes: escaped on the console --
    t = TLSClient(s.port, CA)
    t.send(b"nul\x00byte bad\xff\xfe utf8 \x1b[31mred\x1b[0m bell\x07 csi\xc2\x9b end\n")
    got = t.recv_until(b"\n", 10)
    check(b"Mensagem recebida" in got, "a line with NUL and invalid UTF-8 is answered", repr(got))
    t.close_notify()
    t.sock.close()
    m = s.wait_for(r"received from .*: nul.*end$", 10)
    check(m is not None, "the server shows that line", s.output()[-500:])
    if m:
        shown = m.group(0)
        check("\\x00" in shown and "\\xff\\xfe" in shown and "\\x1b[31m" in shown
              and "\\x07" in shown and "\\xc2\\x9b" in shown,
              "NUL, invalid bytes, ESC, BEL and C1 controls are shown escaped", shown)
    raw = s.output()
    bad = [c for c in raw if (ord(c) < 0x20 and c != "\n") or ord(c) == 0x7f
           or 0x80 <= ord(c) <= 0x9f or c == "\ufffd"]
    check(not bad, "no raw control character or invalid UTF-8 in the server's stdout", repr(bad[:10]))

    # -- SIGPIPE: a peer that floods and vanishes without reading replies --
    for _ in range(10):
        t = TLSClient(s.port, CA)
        try:
            t.send(b"flood\n" * 20000)
        except OSError:
            pass
        t.reset()
    time.sleep(0.5)
    check(s.alive(), "server up after peers vanished with replies unsent (no SIGPIPE death)",
          s.errors()[-500:])
    good_client(s, certs, "vanished peers (SIGPIPE)")

    # -- a client killed with SIGKILL mid-conversation --
    p = subprocess.Popen([CLIENT, "--port", str(s.port)] + certs.client_args(),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=ENV)
    p.stdin.write(b"before the kill\n")
    p.stdin.flush()
    check(s.wait_for(r"received from .*: before the kill$", 10) is not None,
          "the killed client's first message arrived")
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    check(s.wait_for(r"received from (\S+): before the kill$") is not None and
          s.wait_for(r"disconnected", 10) is not None, "the server notices the killed client")
    good_client(s, certs, "a client killed with SIGKILL")

    mem.settled("broken peers and bad payloads")
certs.cleanup()
done()
