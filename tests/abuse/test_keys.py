"""Key files and reloads, through the real server binary: a private key
readable by group or others is refused with a message naming chmod 600
(--allow-insecure-key-perms overrides); SIGHUP re-reads the certificate
files without dropping open connections, so a renewed certificate is seen by
the next client; a broken file at reload keeps the old certificate."""
import os
import re
import shutil
import signal
import time

from abuse import SLOW, TLSClient, good_client
from harness import CERTGEN, SERVER, Certs, Server, check, done, one_line_error, run

certs = Certs()
key = certs.path("server.key")

# -- key permissions --------------------------------------------------------
for mode in (0o640, 0o604, 0o644):
    os.chmod(key, mode)
    r = run([SERVER, "--host", "127.0.0.1", "--port", "0"] + certs.server_args(), timeout=15)
    check(r.returncode == 2, "mode %04o: the server refuses to start (exit 2)" % mode,
          "rc=%d %s" % (r.returncode, r.stderr))
    check("chmod 600" in r.stderr and key in r.stderr and one_line_error(r.stderr),
          "mode %04o: one line naming the key and chmod 600" % mode, r.stderr)
    check("--allow-insecure-key-perms" in r.stderr, "mode %04o: the override is named" % mode)
os.chmod(key, 0o640)
with Server(*(certs.server_args() + ["--allow-insecure-key-perms"])) as s:
    good_client(s, certs, "--allow-insecure-key-perms with a 0640 key")
os.chmod(key, 0o600)
with Server(*certs.server_args()) as s:
    good_client(s, certs, "a 0600 key")


# -- SIGHUP reload -------------------------------------------------------------
def server_sans(port):
    """The SANs of the certificate a new connection is shown."""
    r = run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-showcerts",
             "-CAfile", certs.path("ca.crt")], input="", timeout=20)
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", r.stdout, re.S)
    if not m:
        return ""
    x = run(["openssl", "x509", "-noout", "-ext", "subjectAltName"], input=m.group(0))
    return x.stdout


with Server(*(certs.server_args() + ["-v"])) as s:
    before = server_sans(s.port)
    check("localhost" in before and "new.example" not in before,
          "before renewal the certificate has no new.example", before)
    old = TLSClient(s.port, certs.path("ca.crt"))
    old.send(b"before reload\n")
    check(b"Mensagem recebida" in old.recv_until(b"\n"), "a connection opened before SIGHUP works")

    r = run([CERTGEN, "--out", certs.dir, "--san", "new.example"])
    check(r.returncode == 0, "lanmsg-certgen --san new.example renews server.crt", r.stderr)
    s.proc.send_signal(signal.SIGHUP)
    check(s.wait_for(r"certificates reloaded", 10 * SLOW) is not None,
          "the server says it reloaded", s.output()[-500:] + s.errors())
    old.send(b"after reload\n")
    check(b"Mensagem recebida" in old.recv_until(b"\n"),
          "the connection opened before SIGHUP still works after it")
    after = server_sans(s.port)
    check("DNS:new.example" in after, "a new connection sees the renewed certificate (new.example)",
          after)
    good_client(s, certs, "a reload")

    # A broken certificate file at reload: keep the old one, keep serving.
    shutil.copy(certs.path("server.crt"), certs.path("server.crt.good"))
    with open(certs.path("server.crt"), "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    s.proc.send_signal(signal.SIGHUP)
    end = time.time() + 10 * SLOW
    while "reload failed" not in s.errors() and time.time() < end:
        time.sleep(0.05)
    check("reload failed" in s.errors() and "server.crt" in s.errors(),
          "a broken certificate at reload is reported, naming the file", s.errors())
    check(s.alive(), "the server keeps running after a failed reload")
    check("DNS:new.example" in server_sans(s.port), "and keeps serving the last good certificate")
    old.send(b"after failed reload\n")
    check(b"Mensagem recebida" in old.recv_until(b"\n"), "old connection unaffected")
    old.close_notify()
    old.sock.close()
    shutil.copy(certs.path("server.crt.good"), certs.path("server.crt"))
    good_client(s, certs, "a failed reload")
certs.cleanup()
done()
