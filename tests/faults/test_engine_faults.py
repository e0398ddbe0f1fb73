"""Engine defects that only a failing system call shows, each provoked by
the LD_PRELOAD library in inject.c (one chosen call fails; sockets are real):

- a poller that cannot wait used to spin the loop without a word: now the
  server says why and exits 1;
- a thread that would not start used to leave the server running with fewer
  loops than asked: now it says so and exits 1;
- a poller registration change the system refuses used to be recorded as if
  it had happened: now that client is dropped with a reason, and every
  other client is still served.
"""
import os
import socket
import subprocess
import sys
import time

from harness import ENV, SERVER, Server, check, done

LIB = os.environ.get("LANMSG_INJECT")
if not LIB or not os.path.exists(LIB):
    print("skipped: the fault-injection library was not built")
    sys.exit(77)


def env(**faults):
    e = dict(ENV, LD_PRELOAD=LIB)
    e.update({k: str(v) for k, v in faults.items()})
    return e


def run_server(extra, faults, timeout=10):
    """Start the server with one fault; return (exit code or None, stderr)."""
    p = subprocess.Popen([SERVER, "--host", "127.0.0.1", "--port", "0", "--no-log-time"] + extra,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env(**faults))
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, err
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, err


# 1. The first epoll_wait fails.
rc, err = run_server([], {"LANMSG_FAIL_EPOLL_WAIT": 1})
check(rc == 1, "a failing poller wait stops the server with exit 1",
      "exit %r (None: still running after 10 s)\n%s" % (rc, err))
check("waiting for events failed" in err and "Bad file descriptor" in err,
      "and says why, in one line", err)

# 2. The second loop's thread cannot start (--threads 3: threads 2 and 3).
rc, err = run_server(["--threads", "3"], {"LANMSG_FAIL_THREAD": 1})
check(rc == 1, "a thread that does not start stops the server with exit 1",
      "exit %r\n%s" % (rc, err))
check("cannot start event loop 2 of 3" in err, "and names the loop and the fix", err)

# 3. The first EPOLL_CTL_MOD fails. A client that does not read a large
#    echo makes the server wait for the socket to become writable: that is
#    the first registration change, and the one that fails.
srv = Server("--service", "echo", "--framing", "line", "--max-line", "16000000", "--max-output", "32000000",
             env=env(LANMSG_FAIL_EPOLL_MOD=1))
try:
    victim = socket.socket()
    victim.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    victim.connect(("127.0.0.1", srv.port))
    try:
        victim.sendall(b"x" * 12000000 + b"\n")  # more than a loopback send buffer takes
    except OSError:
        pass  # dropped while still sending: what counts is the server's side
    check(srv.wait_for(r"disconnected \(cannot watch the socket\)", 10) is not None,
          "a refused registration change drops that client, with the reason logged",
          srv.output())
    c = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    c.sendall(b"after\n")
    check(c.recv(100) == b"after\n", "and the server goes on serving others")
    c.close()
    victim.close()
    check(srv.alive(), "the server is still running")
finally:
    srv.stop()

done()
