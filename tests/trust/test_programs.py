"""Trust without copying files, with the real programs: the server's own
identity and --show-id; a client that meets it with no CA (refused with the
fingerprint, unless --pin or --trust-on-first-use; asked on a terminal); a
changed key refused loudly until --forget; pairing with a one-time code,
after which chat under mutual TLS needs no flag; wrong codes burn it;
--list-clients and --revoke. Every file lives in the test's own folders
(XDG_CONFIG_HOME, XDG_STATE_HOME)."""
import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import time

import harness
from harness import CLIENT, SERVER, Server, check, done, one_line_error, run

if "TLS 1.3" not in run([SERVER, "--version"]).stdout:
    print("skip: pairing and these checks need a TLS 1.3 build (mbedTLS 3.6)")
    raise SystemExit(77)

top = tempfile.mkdtemp(prefix="lanmsg-trust-")
srv_state = os.path.join(top, "server-state")
ENV = dict(harness.ENV, XDG_CONFIG_HOME=os.path.join(top, "config"),
           XDG_STATE_HOME=os.path.join(top, "state"))
ENV.pop("LANMSG_CERT_DIR", None)
FP = r"[0-9A-Z]{7}(?:-[0-9A-Z]{7}){7}"
known = os.path.join(top, "config", "lanmsg", "known_servers")
cli_state = os.path.join(top, "state", "lanmsg")
# Under wine the programs use the prefix's %APPDATA% and %LOCALAPPDATA%
# (wine sets them whatever the environment says), POSIX modes mean nothing,
# and its console cannot be driven through a pseudo-terminal.
WINE = bool(os.environ.get("LANMSG_EXE_PREFIX"))
if WINE:
    known = os.path.join(harness.user_folder("config", ENV), "known_servers")
    cli_state = harness.user_folder("state", ENV)
    for old in [known] + ([os.path.join(cli_state, f) for f in os.listdir(cli_state)
                           if f.startswith("client-")] if os.path.isdir(cli_state) else []):
        if os.path.exists(old):
            os.remove(old)


def client(*args, stdin=""):
    return run([CLIENT] + [str(a) for a in args], input=stdin, timeout=30, env=ENV)


def serve(*args, state=srv_state):
    return Server("--tls", "--state-dir", state, *args, env=ENV)


def on_terminal(args, answer):
    """Run the client on a pseudo-terminal and answer its question."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(CLIENT, [CLIENT] + args, ENV)
    out, answered, end = b"", False, time.time() + 20
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
        if not answered and b"[y/N]" in out:
            os.write(fd, answer + b"\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


try:
    # -- the server's own identity ----------------------------------------------------
    with serve() as s:
        m = s.wait_for(r"identity (%s), made now" % FP)
        check(m is not None, "first start: the server makes its identity and shows it", s.output())
        fp = m.group(1) if m else ""
        key = os.path.join(srv_state, "server.key")
        check(os.path.exists(key) and (WINE or os.stat(key).st_mode & 0o777 == 0o600),
              "its key is in the state folder" + ("" if WINE else ", mode 0600"))
        r = run([SERVER, "--show-id", "--state-dir", srv_state], env=ENV)
        check(r.returncode == 0 and r.stdout.strip() == fp, "--show-id prints the same fingerprint",
              r.stdout + r.stderr)

        # -- a client that has never met it --------------------------------------------
        r = client("--tls", "--port", s.port)
        check(r.returncode == 3 and one_line_error(r.stderr) and fp in r.stderr
              and "--pin" in r.stderr and "--trust-on-first-use" in r.stderr,
              "no CA, no pin, no terminal: refused (exit 3) with the fingerprint and the ways in",
              r.stderr)
        check(not os.path.exists(known), "and nothing was recorded")
        r = client("--tls", "--port", s.port, "--pin", fp)
        check(r.returncode == 0 and "Mensagem recebida" in r.stdout, "--pin with its fingerprint",
              r.stdout + r.stderr)
        r = client("--tls", "--port", s.port, "--pin", fp.lower().replace("-", " "))
        check(r.returncode == 0, "--pin forgives case and spacing", r.stderr)
        wrong = ("B" if fp[0] != "B" else "C") + fp[1:]
        r = client("--tls", "--port", s.port, "--pin", wrong)
        check(r.returncode in (2, 3) and one_line_error(r.stderr),
              "a pin that is not this key (or mistyped) is refused, one line", r.stderr)
        if WINE:
            r = client("--tls", "--port", s.port, "--trust-on-first-use")
            check(r.returncode == 0 and "Mensagem recebida" in r.stdout,
                  "--trust-on-first-use connects and records it", r.stdout + r.stderr)
        else:
            code, out = on_terminal(["--tls", "--port", str(s.port)], b"n")
            check(code == 3 and fp in out and "Trust this server?" in out,
                  "on a terminal: the fingerprint is shown and the person is asked; 'no' refuses",
                  out)
            code, out = on_terminal(["--tls", "--port", str(s.port)], b"y")
            check(code == 0 and "Mensagem recebida" in out, "'yes' connects and records it", out)
        text = open(known).read() if os.path.exists(known) else ""
        check(re.search(r"^127\.0\.0\.1:%d %s \d{4}-\d\d-\d\d$" % (s.port, fp), text, re.M),
              "known_servers: one line, host:port, fingerprint, date first seen", text)
        r = client("--tls", "--port", s.port)
        check(r.returncode == 0, "then it is trusted with no flag", r.stderr)
        r = client("--tls", "--port", s.port, "--repeat", "2", "-v")
        check(r.returncode == 0 and "TLS session resumed" in r.stdout,
              "--repeat resumes over a known_servers trust", r.stdout + r.stderr)
        port = s.port

    # -- a changed key on the same host:port ------------------------------------------------
    with serve("--port", str(port), state=os.path.join(top, "impostor")) as s:
        r = client("--tls", "--port", port)
        check(r.returncode == 3 and one_line_error(r.stderr) and "CHANGED" in r.stderr
              and fp in r.stderr and "--forget 127.0.0.1:%d" % port in r.stderr,
              "a changed key: exit 3, loud, both fingerprints, how to forget the old one", r.stderr)
        r = client("--tls", "--port", port, "--trust-on-first-use")
        check(r.returncode == 3, "never re-pinned silently, not even with --trust-on-first-use",
              r.stderr)
        r = client("--forget", "127.0.0.1:%d" % port)
        check(r.returncode == 0 and "forgot" in r.stdout, "--forget HOST:PORT", r.stdout + r.stderr)
        r = client("--forget", "127.0.0.1:%d" % port)
        check(r.returncode == 1 and "nothing to forget" in r.stderr, "forgetting twice says so",
              r.stderr)
        r = client("--tls", "--port", port, "--trust-on-first-use")
        check(r.returncode == 0, "then the new key is met as new", r.stderr)
    with open(known, "a") as f:
        f.write("this line does not parse\n")
    r = client("--tls", "--port", port)
    check(r.returncode == 2 and "known_servers line" in r.stderr and one_line_error(r.stderr),
          "a known_servers line that does not parse: one line with its number", r.stderr)
    os.remove(known)

    # -- pairing, then chat under mutual TLS with no flag ------------------------------------
    with serve("--pair", "--require-client-cert", "--service", "chat") as s:
        m = s.wait_for(r"pairing code: (\d{3}-\d{3}-\d{4})")
        check(m is not None, "--pair prints a one-time code", s.output())
        code_text = m.group(1) if m else "000-000-0000"
        r = client("--pair", code_text, "--name", "alice", "--port", s.port)
        check(r.returncode == 0 and "paired with 127.0.0.1:%d as alice" % s.port in r.stdout,
              "lanmsg-client --pair CODE --name alice", r.stdout + r.stderr)
        check(s.wait_for(r"paired, enrolled as alice") is not None, "the server enrols alice",
              s.output())
        pems = [f for f in os.listdir(cli_state)
                if f.startswith("client-")] if os.path.isdir(cli_state) else []
        check(len(pems) == 1, "the client keeps one key+certificate file", repr(pems))
        if pems:
            path = os.path.join(cli_state, pems[0])
            if not WINE:
                check(os.stat(path).st_mode & 0o777 == 0o600, "that file is 0600")
            crt = os.path.join(top, "alice.crt")
            run(["openssl", "x509", "-in", path, "-out", crt])
            v = run(["openssl", "verify", "-CAfile", os.path.join(srv_state, "issuer.crt"),
                     "-purpose", "sslclient", crt])
            check(v.returncode == 0 and "OK" in v.stdout,
                  "openssl verify accepts what enrolment issued", v.stdout + v.stderr)
        chat = subprocess.run([CLIENT, "--tls", "--chat", "--port", str(s.port)], input="/quit\n",
                              capture_output=True, text=True, timeout=20, env=ENV)
        check(chat.returncode == 0 and "you are alice (TLS, certificate)" in chat.stdout,
              "then --tls --chat needs no other flag: pinned server, enrolled name",
              chat.stdout + chat.stderr)
        r = client("--pair", code_text, "--name", "bob", "--port", s.port)
        check(r.returncode != 0 and one_line_error(r.stderr), "a used code does not work twice",
              r.stderr)
        pair_port = s.port

    with serve("--pair") as s:
        m = s.wait_for(r"pairing code: (\d{3}-\d{3}-\d{4})")
        good = m.group(1) if m else "000-000-0000"
        digits = good.replace("-", "")
        # Wrong codes with a valid check digit (so the client does not catch them).
        from itertools import count
        wrongs = []
        for base in count(100000000):
            d = str(base)
            total = 0
            for i, ch in enumerate(reversed(d)):
                n = int(ch) * (2 if i % 2 == 0 else 1)
                total += n - 9 if n > 9 else n
            cand = d + str((10 - total % 10) % 10)
            if cand != digits:
                wrongs.append("%s-%s-%s" % (cand[:3], cand[3:6], cand[6:]))
            if len(wrongs) == 3:
                break
        r = client("--pair", wrongs[0], "--name", "mallory", "--port", s.port)
        check(r.returncode == 1 and "refused the pairing code" in r.stderr, "a wrong code",
              r.stderr)
        for w in wrongs[1:]:
            r = client("--pair", w, "--name", "mallory", "--port", s.port)
        r = client("--pair", good, "--name", "carol", "--port", s.port)
        check(r.returncode == 1 and "burned" in r.stderr,
              "after three wrong tries the code is burned, even for the right one", r.stderr)
        r = client("--pair", "123-456-7890", "--port", s.port)
        check(r.returncode == 2 and "typing error" in r.stderr,
              "a mistyped code is caught on the client, costing no try", r.stderr)
        check(s.alive(), "the server keeps serving through all this")

    # -- list and revoke ---------------------------------------------------------------------
    r = run([SERVER, "--list-clients", "--state-dir", srv_state], env=ENV)
    check(r.returncode == 0 and re.search(r"^alice\s+%s\s+since .* active" % FP, r.stdout, re.M),
          "--list-clients shows alice", r.stdout + r.stderr)
    r = run([SERVER, "--revoke", "alice", "--state-dir", srv_state], env=ENV)
    check(r.returncode == 0 and "alice revoked" in r.stdout, "--revoke alice", r.stdout + r.stderr)
    # (known_servers and the pairing file are both kept per host:port)
    with serve("--require-client-cert", "--port", str(pair_port)) as s:
        r = client("--tls", "--port", s.port)
        check(r.returncode == 3, "a revoked client is refused at the handshake", r.stderr)
        check(s.wait_for(r"refused TLS client .*revoked") is not None,
              "and the server's log says it was revoked", s.output())
    r = run([SERVER, "--revoke", "nobody", "--state-dir", srv_state], env=ENV)
    check(r.returncode == 2 and one_line_error(r.stderr), "revoking an unknown name: one line",
          r.stderr)

    # -- a state folder others can read ------------------------------------------------------
    if not WINE:
        os.chmod(srv_state, 0o755)
        r = run([SERVER, "--port", "0", "--tls", "--state-dir", srv_state, "--host", "127.0.0.1"],
                env=ENV, timeout=10)
        check(r.returncode == 2 and one_line_error(r.stderr) and "chmod 700" in r.stderr,
              "a state folder with loose permissions: refused, with the fix", r.stderr)
        os.chmod(srv_state, 0o700)
finally:
    shutil.rmtree(top, ignore_errors=True)
done()
