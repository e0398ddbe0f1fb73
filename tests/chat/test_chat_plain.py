"""Chat over plain TCP: names, order per sender, commands, and the service
refusing a configuration it cannot serve."""
import time

from chatlib import Chat, Raw, harness
from harness import Server, check, done, run

# -- --threads > 1 is refused at start, in one line ----------------------------
r = run([harness.SERVER, "--service", "chat", "--threads", "2", "--port", "0"], timeout=10)
check(r.returncode == 2, "chat with --threads 2 does not start (exit 2, a configuration error)",
      r.stdout + r.stderr)
check("--threads 2 is not supported (use --threads 1)" in r.stderr and harness.one_line_error(r.stderr),
      "... and says why in one line", r.stderr)

with Server("--service", "chat") as s:
    a = Chat(s.port, "--nick", "ann")
    a.wait_for(r"^\* welcome")
    b = Chat(s.port, "--nick", "ben")
    check(a.wait_for(r"^\* guest-\d+ is now known as ben$") is not None, "ann sees ben pick his name",
          a.output() + a.errors())
    check(b.wait_for(r"^\* welcome, you are guest-\d+ \(plain\); 1 other is here") is not None,
          "a plain-only server does not mark plain clients", b.output())

    # per-sender order over many lines
    n = 300
    for i in range(n):
        a.say("line %d" % i)
    check(b.wait_for(r"^<ann> line %d$" % (n - 1), timeout=20) is not None, "ben gets all of ann's lines",
          b.output()[-500:])
    got = [l for l in b.output().splitlines() if l.startswith("<ann> line ")]
    check(got == ["<ann> line %d" % i for i in range(n)], "per sender, lines arrive in order and once")

    a.say("//etc/passwd is a path")
    check(b.wait_for(r"^<ann> /etc/passwd is a path$") is not None, "// sends a line starting with /")
    a.say("/me")
    check(a.wait_for(r"^error: usage: /me action$") is not None, "a missing argument is an error")
    a.say("/msg ben")
    check(a.wait_for(r"^error: usage: /msg NAME text$") is not None, "/msg without text is an error")

    # a raw client (nc-style) gets whole lines even before it speaks
    r = Raw(s.port)
    check(r.wait_for(r"^\* welcome, you are guest-\d+ \(plain\); 2 others are here"),
          "a silent raw client gets the welcome as a line")
    r.send("/nick ben\n")
    check(r.wait_for(r"^error: the name ben is taken; pick another$"), "a taken name is refused")
    r.send("/nick Ben\n")
    check(r.wait_for(r"^error: the name Ben is taken"), "names are unique whatever the case")
    r.send("x" * 70000 + "\n")
    check(r.wait_for(r"^error: message too long"), "an over-long line is refused by the engine")
    # terminal controls: removed by the server, whoever sends them
    watcher = Raw(s.port)
    check(watcher.wait_for(r"^\* welcome"), "a raw watcher joins")
    r.send("\x1b[31mred\x1b[0m \x07text\n")
    check(b.wait_for(r"^<guest-\d+> red text$") is not None,
          "terminal controls from a raw client never reach the others", b.output()[-300:])
    r.send(b"\x1b]0;owned\x07title\x1b[2J\tcleared \xc2\x9b31mc1 \xe2\x80\xaebidi \xffbad\r\n")
    check(watcher.wait_for(r"^<guest-\d+> title cleared c1 bidi \?bad$"),
          "the server relays no control character, escape sequence or bad UTF-8 (raw receiver)",
          repr(watcher.lines[-3:]))
    check(not any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f for l in watcher.lines for ch in l),
          "... nothing a terminal would obey, in anything it received", repr(watcher.lines))
    watcher.close()
    r.close()
    check(a.wait_for(r"^\* guest-\d+ left$") is not None, "a raw client's leave is announced")
    check(s.wait_for(r"\[chat\] guest-\d+ \(127\.0\.0\.1:\d+\) left") is not None, "the server logs the leave")
    _f = harness._failures
    check(a.finish() == 0 and b.finish() == 0, "Ctrl-D exits 0")
    check(s.wait_for(r"disconnected \(quit\)", count=2) is not None,
          "Ctrl-D leaves as /quit does: the server closes at once (no wait for silence)", s.output())
    if _f:
        print(s.output()[-2000:])
done()
