"""A plain-only build (-DLANMSG_WITH_TLS=OFF): the tutorial's exchange works,
and --tls says how to get a TLS build instead of failing obscurely."""
from harness import SERVER, Server, check, client, done, run

with Server() as s:
    r = client("--port", s.port)
    check(r.returncode == 0 and "reply: Mensagem recebida" in r.stdout, "plain exchange works",
          r.stdout + r.stderr)
r = run([SERVER, "--port", "0", "--tls"])
check(r.returncode == 2 and "libmbedtls-dev" in r.stderr and "LANMSG_WITH_TLS=ON" in r.stderr,
      "server --tls explains how to get a TLS build", r.stderr)
r = client("--tls")
check(r.returncode == 2 and "LANMSG_WITH_TLS=ON" in r.stderr, "client --tls explains it too", r.stderr)
done()
