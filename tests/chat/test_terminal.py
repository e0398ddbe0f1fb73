"""The chat client at a real terminal (tmux): with line editing (libedit),
arrow keys edit the line and Up recalls history; an incoming message is
printed above the line being typed, which stays intact with the cursor in
place; function keys and escape sequences never reach anyone as text;
non-ASCII input works; Ctrl-D leaves as /quit does (exit 0, the server sees
a /quit); /quit with a reason exits 0 and the others see the reason; in
Portuguese the welcome is shown once, in Portuguese.

Without libedit in the build (LANMSG_CHAT_LIBEDIT=0) the editing checks are
skipped and the rest runs on the terminal's own line editing. Without tmux
the test is skipped (exit 77)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from chatlib import Raw, harness
from harness import Server, check, done

if os.environ.get("LANMSG_EXE_PREFIX"):
    print("skip: a Windows client under wine has a console, not a POSIX terminal that tmux can drive")
    sys.exit(77)
TMUX = shutil.which("tmux")
if not TMUX:
    print("skip: tmux is not installed (apt-get install tmux); the terminal tests need it")
    sys.exit(77)
EDITING = os.environ.get("LANMSG_CHAT_LIBEDIT") == "1"
print("line editing (libedit) in this build: %s" % ("yes" if EDITING else "no"))


class Term:
    """lanmsg-client --chat on a terminal of its own: a private tmux server
    (its own socket, no configuration file), 100x30."""

    def __init__(self, port, *args, lang="C.UTF-8"):
        self.dir = tempfile.mkdtemp(prefix="lanmsg-tmux-")
        self.sock = os.path.join(self.dir, "sock")
        self.env = dict(harness.ENV)
        self.env.pop("TMUX", None)
        cmd = "env LANG=%s LC_ALL=%s %s --chat --port %d %s; echo EXIT=$?; sleep 300" % (
            lang, lang, harness.CLIENT, port, " ".join(args))
        self.tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30", cmd)

    def tmux(self, *args):
        return subprocess.run([TMUX, "-S", self.sock, "-f", "/dev/null"] + list(args),
                              capture_output=True, text=True, env=self.env, timeout=20)

    def keys(self, *keys):
        """Keys by tmux name (Left, Up, C-d, F5, Enter...)."""
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text):
        """Text, literally."""
        self.tmux("send-keys", "-t", "t", "-l", text)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "t").stdout.rstrip("\n")

    def lines(self):
        return [l.rstrip() for l in self.screen().splitlines() if l.strip()]

    def cursor(self):
        r = self.tmux("display-message", "-p", "-t", "t", "#{cursor_x} #{cursor_y}").stdout.split()
        return tuple(int(x) for x in r) if len(r) == 2 else None

    def wait(self, pattern, timeout=10):
        """Wait until the screen matches (re.M); returns the match or None."""
        end = time.time() + timeout
        while time.time() < end:
            m = re.search(pattern, self.screen(), re.M)
            if m:
                return m
            time.sleep(0.05)
        return None

    def wait_last(self, text, timeout=10):
        """Wait until the last non-empty line is exactly `text`."""
        end = time.time() + timeout
        while time.time() < end:
            ls = self.lines()
            if ls and ls[-1] == text:
                return True
            time.sleep(0.05)
        return False

    def close(self):
        self.tmux("kill-server")
        shutil.rmtree(self.dir, ignore_errors=True)


def clean(lines):
    return not any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f for l in lines for ch in l)


with Server("--service", "chat") as s:
    watcher = Raw(s.port)
    watcher.send("/nick watcher\n")
    check(watcher.wait_for(r"is now known as watcher$"), "a raw watcher is in the room")
    t = Term(s.port, "--nick", "ann")
    try:
        check(t.wait(r"^\* guest-\d+ is now known as ann$") is not None, "the client runs on a terminal",
              t.screen())
        check(t.wait_last(">"), "it shows a prompt", t.screen())

        if EDITING:
            # -- incoming lines above the line being typed ---------------------
            t.type("hello wor")
            check(t.wait_last("> hello wor"), "what is typed shows after the prompt", t.screen())
            watcher.send("incoming one\n")
            check(t.wait(r"^<watcher> incoming one\n> hello wor$") is not None,
                  "an incoming message is printed above the line being typed, which stays intact",
                  t.screen())
            cur = t.cursor()
            check(cur is not None and cur[0] == len("> hello wor"),
                  "the cursor is still at the end of what was typed (%s)" % (cur,), t.screen())

            # -- editing keys and history ----------------------------------------
            t.keys("Left", "Left")
            t.type("X")
            check(t.wait_last("> hello wXor"), "Left moves the cursor: the text goes in the middle",
                  t.screen())
            t.keys("Enter")
            check(watcher.wait_for(r"^<ann> hello wXor$"), "Enter sends the edited line",
                  "\n".join(watcher.lines[-3:]))
            t.keys("Up")
            check(t.wait_last("> hello wXor"), "Up recalls the last line", t.screen())
            t.type(" again")
            t.keys("Enter")
            check(watcher.wait_for(r"^<ann> hello wXor again$"), "a recalled line can be edited and sent",
                  "\n".join(watcher.lines[-3:]))
            t.type("abc")
            t.keys("Home")
            t.type("<")
            t.keys("End")
            t.type(">")
            t.keys("Enter")
            check(watcher.wait_for(r"^<ann> <abc>$"), "Home and End work", "\n".join(watcher.lines[-3:]))

            # -- keys that send escape sequences ---------------------------------------
            t.type("before")
            t.keys("F1", "F5", "F12", "S-Left", "C-Up", "PPage", "NPage", "IC")
            t.type(" after")
            t.keys("Enter")
            check(watcher.wait_for(r"^<ann> before after$"),
                  "function keys leave nothing in the line", "\n".join(watcher.lines[-3:]))
            t.type("quoted ")
            t.keys("C-v", "Escape")
            t.type("[31mred")
            t.keys("C-v", "C-g", "Enter")
            check(watcher.wait_for(r"^<ann> quoted red$"),
                  "an escape sequence typed into the line (Ctrl-V Esc) is not sent",
                  "\n".join(watcher.lines[-3:]))
        else:
            t.type("a")
            t.keys("Escape")
            t.type("[31mb")
            t.keys("C-g", "Enter")
            check(watcher.wait_for(r"^<ann> a(\[31m)?b$|^<ann> ab$"),
                  "an escape sequence typed into the line is not sent",
                  "\n".join(watcher.lines[-3:]))
            watcher.send("incoming one\n")
            check(t.wait(r"^<watcher> incoming one\n>$") is not None,
                  "an incoming message is printed, the prompt below it", t.screen())
        check(clean(watcher.lines), "nothing a terminal would obey reached the others",
              repr(watcher.lines))

        t.type("ol\u00e1, a\u00e7\u00e3o")
        t.keys("Enter")
        check(watcher.wait_for("^<ann> ol\u00e1, a\u00e7\u00e3o$"), "non-ASCII text is typed and sent",
              repr(watcher.lines[-3:]))

        # -- Ctrl-D leaves as /quit does --------------------------------------------
        t0 = time.time()
        t.keys("C-d")
        check(t.wait(r"^EXIT=0$") is not None, "Ctrl-D exits 0", t.screen())
        print("     (Ctrl-D to exit: %.2f s; it used to wait for the room to be quiet, 0.5-3 s)"
              % (time.time() - t0))
        check(watcher.wait_for(r"^\* ann left$"), "the others see ann leave")
        check(s.wait_for(r"\[chat\] ann \(127\.0\.0\.1:\d+\) left\n?") is not None and
              s.wait_for(r"disconnected \(quit\)") is not None,
              "the server got a /quit: it closed at once, without waiting for silence", s.output())
    finally:
        t.close()

    # -- /quit with a reason, and Portuguese ----------------------------------------
    t = Term(s.port, "--lang", "pt", "--nick", "rui")
    try:
        check(t.wait(r"^\* bem-vindo, o seu nome é guest-\d+ \(TCP simples\); está cá mais 1 pessoa")
              is not None, "in Portuguese, the welcome comes in Portuguese", t.screen())
        check(t.wait(r"^\* guest-\d+ passou a chamar-se rui$") is not None, "... and the notices",
              t.screen())
        check("welcome" not in t.screen(), "the English welcome is not shown", t.screen())
        t.type("/quit at\u00e9 logo")
        t.keys("Enter")
        check(t.wait(r"^\* adeus\n(.*\n)*EXIT=0$") is not None, "/quit with a reason says goodbye and exits 0",
              t.screen())
        check(watcher.wait_for("^\\* rui left \\(at\u00e9 logo\\)$"), "the others see the reason",
              repr(watcher.lines[-3:]))
    finally:
        t.close()
    watcher.close()
done()
