"""Passphrase-protected keys: --key-pass-file (a file as private as a key),
or a prompt on the terminal; without either, one line that says how to give
one; a wrong passphrase says so. Server and client alike."""
import os
import pty
import re
import select
import subprocess
import time

from harness import CLIENT, ENV, SERVER, Certs, Server, check, done, one_line_error, run

certs = Certs()
d = certs.dir
enc = os.path.join(d, "server-enc.key")
aenc = os.path.join(d, "alice-enc.key")
for src, dst in ((certs.path("server.key"), enc), (certs.path("alice.key"), aenc)):
    # The traditional PEM encryption (DEK-Info AES-256-CBC), which mbedTLS 2.28
    # and 3.6 both read; 2.28 lacks AES in PKCS#8 (PBES2).
    r = run(["openssl", "pkey", "-traditional", "-in", src, "-aes256", "-passout", "pass:hunter2 is long",
             "-out", dst])
    check(r.returncode == 0, "openssl encrypts a key", r.stderr)
    os.chmod(dst, 0o600)
passfile = os.path.join(d, "pass.txt")
with open(passfile, "w") as f:
    f.write("hunter2 is long\n")
os.chmod(passfile, 0o600)
wrong = os.path.join(d, "wrong.txt")
with open(wrong, "w") as f:
    f.write("not it\n")
os.chmod(wrong, 0o600)
base = ["--tls", "--cert", certs.path("server.crt"), "--key", enc, "--ca", certs.path("ca.crt")]

with Server(*base, "--key-pass-file", passfile) as s:
    r = run([CLIENT, "--port", str(s.port), *certs.client_args()], timeout=20)
    check(r.returncode == 0 and "Mensagem recebida" in r.stdout,
          "server: an encrypted key with --key-pass-file serves TLS", r.stdout + r.stderr)
    r = run([CLIENT, "--port", str(s.port), "--tls", "--ca", certs.path("ca.crt"), "--cert",
             certs.path("alice.crt"), "--key", aenc, "--key-pass-file", passfile], timeout=20)
    check(r.returncode == 0, "client: an encrypted key with --key-pass-file works", r.stderr)
    r = run([CLIENT, "--port", str(s.port), "--tls", "--ca", certs.path("ca.crt"), "--cert",
             certs.path("alice.crt"), "--key", aenc], input="hi\n", timeout=20)
    check(r.returncode == 2 and one_line_error(r.stderr) and "--key-pass-file" in r.stderr,
          "client: no passphrase and no terminal: exit 2, says how to give one", r.stderr)

r = run([SERVER, "--port", "0", *base], timeout=10)
check(r.returncode == 2 and one_line_error(r.stderr) and "protected by a passphrase" in r.stderr
      and "--key-pass-file" in r.stderr, "server: no passphrase: exit 2 and the fix", r.stderr)
r = run([SERVER, "--port", "0", *base, "--key-pass-file", wrong], timeout=10)
check(r.returncode == 2 and one_line_error(r.stderr) and "is wrong" in r.stderr,
      "server: a wrong passphrase: exit 2, says it is wrong", r.stderr)
if not os.environ.get("LANMSG_EXE_PREFIX"):  # POSIX modes; Windows has ACLs
    os.chmod(passfile, 0o644)
    r = run([SERVER, "--port", "0", *base, "--key-pass-file", passfile], timeout=10)
    check(r.returncode == 2 and "chmod 600 " + passfile in r.stderr,
          "server: a passphrase file others can read is refused, naming that file", r.stderr)
    os.chmod(passfile, 0o600)
r = run([SERVER, "--port", "0", *base, "--key-pass-file", os.path.join(d, "nope")], timeout=10)
check(r.returncode == 2 and one_line_error(r.stderr) and "--key-pass-file" in r.stderr,
      "server: a missing passphrase file names it", r.stderr)

# On a terminal the server asks, without echo, and starts. (Not under wine:
# it draws a Windows console onto the pseudo-terminal, which cannot be
# driven from here.)
if os.environ.get("LANMSG_EXE_PREFIX"):
    print("skip - the terminal prompt under wine")
else:
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(SERVER, [SERVER, "--host", "127.0.0.1", "--port", "0", "--no-log-time"] + base, ENV)
    out = b""
    sent = False
    end = time.time() + 15
    while time.time() < end and b"listening on" not in out:
        r_, _, _ = select.select([fd], [], [], 0.2)
        if r_:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
        if not sent and b"Passphrase for" in out:
            os.write(fd, b"hunter2 is long\n")
            sent = True
    check(sent, "on a terminal the server asks for the passphrase", out.decode(errors="replace"))
    check(b"listening on" in out and b"hunter2" not in out,
          "and starts with it, without echoing it", out.decode(errors="replace"))
    os.kill(pid, 15)
    os.waitpid(pid, 0)
done()
