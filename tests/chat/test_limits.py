"""Server robustness under the chat service (plain TCP): a slow consumer
is disconnected while nothing is lost for the others; --max-clients;
--idle-timeout and --line-timeout drop the right clients."""
import re
import time

from chatlib import Chat, Raw, harness
from harness import Server, check, done

# -- a slow consumer -------------------------------------------------------------
with Server("--service", "chat", "--max-output", "65536") as s:
    reader = Raw(s.port)
    check(reader.wait_for(r"^\* welcome, you are (guest-\d+)"), "reader joined")
    slow = Raw(s.port, rcvbuf=4096, read=False)  # never reads
    sender = Raw(s.port)
    check(sender.wait_for(r"^\* welcome, you are guest-\d+"), "sender joined")
    sender_name = re.search(r"you are (guest-\d+)", sender.lines[0]).group(1)
    pad = "x" * 2000
    sent = 0
    dropped = None
    # Talk until the engine gives up on the slow client (its kernel buffers
    # fill first, then its 64 KiB queue), but never more than 20 MB.
    while sent < 10000 and dropped is None:
        batch = "".join("msg %d %s\n" % (sent + i, pad) for i in range(100))
        sender.send(batch)
        sent += 100
        dropped = s.wait_for(r"disconnected \(output queue full \(\d+ bytes\): the client is not reading\)",
                             timeout=0.01)
    if dropped is None:
        dropped = s.wait_for(r"disconnected \(output queue full", timeout=10)
    check(dropped is not None, "the slow consumer is disconnected with a logged reason (after %d messages)" % sent,
          s.output()[-1000:])
    check(reader.wait_for(r"^\* guest-\d+ left$"), "the others are told it left")
    for i in range(100):
        sender.send("after %d\n" % i)
    ok = reader.wait_for(r"^<%s> after 99$" % sender_name, timeout=30)
    check(ok, "the others keep chatting after the slow consumer is gone")
    got = [l for l in reader.lines if l.startswith("<%s> " % sender_name)]
    want = ["<%s> msg %d %s" % (sender_name, i, pad) for i in range(sent)] + \
           ["<%s> after %d" % (sender_name, i) for i in range(100)]
    check(len(got) == len(want), "nothing sent to the others is lost: %d of %d messages" % (len(got), len(want)))
    check(got == want, "... and they arrive in order")
    check(s.alive(), "the server is still running")
    for r in (reader, slow, sender):
        r.close()

# -- --max-clients -------------------------------------------------------------------
with Server("--service", "chat", "--max-clients", "2") as s:
    a = Chat(s.port, "--nick", "one")
    a.wait_for(r"^\* welcome")
    b = Chat(s.port, "--nick", "two")
    b.wait_for(r"^\* welcome")
    c = Chat(s.port, "--nick", "three")
    check(c.wait(10) == 1, "a client over --max-clients exits 1", c.output() + c.errors())
    check("error: server is full (2 clients); try again later" in c.output(),
          "... after the one line saying the server is full", c.output())
    check(s.wait_for(r"refused: server full \(--max-clients 2\)") is not None, "the server logs why",
          s.output())
    time.sleep(0.3)
    check(not a.has("three") and not b.has("three"), "the refused client never joined the room")
    a.say("/quit")
    a.wait(10)
    check(b.wait_for(r"^\* one left$") is not None, "a client leaves")
    d = Chat(s.port, "--nick", "four")
    check(b.wait_for(r"is now known as four$") is not None, "then a new client fits again")
    for cl in (b, d):
        cl.finish()

# -- --idle-timeout --------------------------------------------------------------
with Server("--service", "chat", "--idle-timeout", "1") as s:
    idle = Raw(s.port)
    busy = Raw(s.port)
    t0 = time.time()
    while time.time() - t0 < 3:
        busy.send("still talking\n")
        time.sleep(0.25)
    check(idle.closed.wait(5), "a silent client is dropped at --idle-timeout")
    check(not busy.closed.is_set(), "a talking client is kept")
    check(s.wait_for(r"dropped: idle timeout") is not None, "the server logs the idle timeout", s.output())
    check(busy.wait_for(r"^\* guest-\d+ left$"), "the others are told")
    idle.close()
    busy.close()

# -- --line-timeout (slowloris) --------------------------------------------------------
with Server("--service", "chat", "--framing", "line", "--line-timeout", "1") as s:
    slowloris = Raw(s.port)
    good = Raw(s.port)
    slowloris.send("this line never e")
    t0 = time.time()
    while time.time() - t0 < 3:
        good.send("whole line\n")
        try:
            slowloris.send("n")  # keeps it active, never finishes the line
        except OSError:
            pass
        time.sleep(0.25)
    check(slowloris.closed.wait(5), "a client that never finishes its line is dropped at --line-timeout")
    check(not good.closed.is_set(), "a client sending whole lines is kept")
    check(s.wait_for(r"dropped: line not finished in time") is not None, "the server logs why", s.output())
    check(slowloris.count(r"whole line") > 0, "meanwhile messages flowed")
    slowloris.close()
    good.close()
done()
