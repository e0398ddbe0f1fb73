"""TLS 1.3 with mbedTLS 3.x: the default where available, TLS 1.2
still accepted, resumption through tickets (also for a client certificate's
identity), TLS 1.3 secrets in SSLKEYLOGFILE, and interoperability with
openssl s_client and gnutls-cli pinned to TLS 1.3."""
import os
import shutil
import stat
import subprocess
import time
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../integration"))
from harness import SERVER, ENV, Certs, Server, check, client, done, run, talk  # noqa: E402

r = run([SERVER, "--version"])
if "TLS 1.3" not in r.stdout:
    print("skipped: this build has no TLS 1.3 (%s)" % r.stdout.strip())
    sys.exit(77)

certs = Certs()
tmp = tempfile.mkdtemp(prefix="lanmsg-tls13-")
try:
    with Server(*certs.server_args(), "-v") as s:
        # TLS 1.3 is the default, and a ticket resumes the second connection.
        r = client("--port", s.port, *certs.client_args(), "--repeat", "2", "-v")
        lines = r.stdout.splitlines()
        conn = [l for l in lines if l.startswith("[client] connected to")]
        sess = [l for l in lines if "TLS session" in l]
        check(r.returncode == 0 and len(conn) == 2 and all("(TLS 1.3 TLS_" in l for l in conn),
              "lanmsg-client and lanmsg-server agree on TLS 1.3 by default", r.stdout + r.stderr)
        check(len(sess) == 2 and "TLS session new" in sess[0] and "TLS session resumed" in sess[1],
              "--repeat 2 -v: the second connection says 'TLS session resumed'", r.stdout)
        check(s.wait_for(r"TLS session resumed") is not None,
              "the server saw the resumption too", s.output())

        # TLS 1.2 is still accepted.
        r = client("--port", s.port, *certs.client_args(), "--tls-version", "12")
        check(r.returncode == 0 and "(TLS 1.2 " in r.stdout and "Mensagem recebida" in r.stdout,
              "a TLS 1.2 client is still accepted", r.stdout + r.stderr)

        # SSLKEYLOGFILE carries the TLS 1.3 secrets.
        kl = os.path.join(tmp, "keys.log")
        r = client("--port", s.port, *certs.client_args(), env=dict(ENV, SSLKEYLOGFILE=kl))
        labels = set()
        if os.path.exists(kl):
            with open(kl) as f:
                labels = {l.split()[0] for l in f if l.strip() and not l.startswith("#")}
        want = {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"}
        check(r.returncode == 0 and want <= labels,
              "SSLKEYLOGFILE gets the four TLS 1.3 traffic secrets", "labels: %s" % sorted(labels))
        # A Windows build protects the file with the folder's ACLs; the mode
        # wine shows for it is the Linux umask's, so there is nothing to check.
        if not os.environ.get("LANMSG_EXE_PREFIX"):
            check(os.path.exists(kl) and stat.S_IMODE(os.stat(kl).st_mode) & 0o077 == 0,
                  "the key log is private to its owner (0600)")

        # openssl s_client, TLS 1.3 only, and TLS 1.2 only.
        for ver, flag in (("1.3", "-tls1_3"), ("1.2", "-tls1_2")):
            ok, out, err, _ = talk(["openssl", "s_client", "-connect", "127.0.0.1:%d" % s.port, flag,
                                    "-CAfile", certs.path("ca.crt"), "-verify_return_error",
                                    "-verify_hostname", "localhost", "-brief"], b"from openssl\n")
            out += err
            check(ok and ("TLSv" + ver) in out,
                  "openssl s_client %s gets the reply over TLS %s" % (flag, ver), out)

        # gnutls-cli, TLS 1.3 only.
        if shutil.which("gnutls-cli"):
            ok, out, err, _ = talk(["gnutls-cli", "--x509cafile", certs.path("ca.crt"), "--port",
                                    str(s.port), "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3",
                                    "localhost"], b"from gnutls\n")
            out += err
            check(ok and "TLS1.3" in out,
                  "gnutls-cli pinned to TLS 1.3 gets the reply", out)
        else:
            print("note: gnutls-cli not installed, its check is left out")

    # Mutual TLS: a resumed TLS 1.3 session keeps the client's identity.
    with Server(*certs.server_args(), "--require-client-cert", "-v") as s:
        r = client("--port", s.port, *certs.client_args("alice"), "--repeat", "2", "-v")
        check(r.returncode == 0 and "TLS session resumed" in r.stdout,
              "mutual TLS 1.3: the client resumes", r.stdout + r.stderr)
        check(s.wait_for(r"TLS session resumed, client certificate alice") is not None,
              "mutual TLS 1.3: the resumed session still names the client (alice)", s.output())
        r = client("--port", s.port, *certs.client_args())
        check(r.returncode != 0, "mutual TLS 1.3: a client without a certificate is refused",
              r.stdout + r.stderr)

    # A known limitation of mbedTLS 3.6 (README: Known TLS limitations): no
    # TLS 1.3 KeyUpdate. The peer that sends one is closed with a line that
    # says so, and everyone else is still served.
    with Server(*certs.server_args(), "--service", "echo") as s:
        p = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % s.port,
                              "-CAfile", certs.path("ca.crt"), "-tls1_3"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        try:
            p.stdin.write(b"before\n")
            p.stdin.flush()
            time.sleep(0.5)
            p.stdin.write(b"k\n")  # s_client's command: send a KeyUpdate
            p.stdin.flush()
            time.sleep(0.5)
        finally:
            p.kill()
            p.wait()
        check(s.wait_for(r"most likely a KeyUpdate: connection closed", 5) is not None,
              "a TLS 1.3 KeyUpdate: the server closes that peer with a clear line", s.output())
        r = client("--port", s.port, *certs.client_args(), "-m", "after")
        check(r.returncode == 0, "and serves the next client", r.stderr)
finally:
    certs.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)

done()
