"""testssl.sh -p -U (protocols and known vulnerabilities) against our TLS
server, trusting our CA: no finding of severity HIGH or CRITICAL. Takes
about a minute, so its CTest label is "slow"."""
import json
import os
import shutil
import tempfile

import peers  # noqa: F401  (puts tests/integration on the path)
from harness import Certs, Server, check, done, run

exe = shutil.which("testssl") or shutil.which("testssl.sh")
if not exe:
    print("testssl.sh is not installed (apt-get install testssl.sh)")
    raise SystemExit(1)
certs = Certs()
tmp = tempfile.mkdtemp(prefix="lanmsg-testssl-")
out = os.path.join(tmp, "testssl.json")
with Server(*certs.server_args()) as s:
    r = run([exe, "-p", "-U", "--add-ca", certs.path("ca.crt"), "--quiet", "--color", "0",
             "--warnings", "batch", "--jsonfile", out, "127.0.0.1:%d" % s.port], timeout=280)
    check(os.path.exists(out), "testssl.sh writes its JSON report",
          "rc=%d\n%s%s" % (r.returncode, r.stdout[-1500:], r.stderr[-800:]))
    findings = []
    if os.path.exists(out):
        with open(out) as f:
            findings = json.load(f)
    print("# %d findings" % len(findings))
    check(len(findings) > 10, "testssl.sh reported its checks", str(findings)[:500])
    bad = [f for f in findings if f.get("severity") in ("HIGH", "CRITICAL")]
    for f in findings:
        if f.get("severity") not in ("OK", "INFO"):
            print("#   %s %s: %s" % (f.get("severity"), f.get("id"), f.get("finding")))
    check(not bad, "no HIGH or CRITICAL finding",
          "\n".join("%s %s: %s" % (f["severity"], f["id"], f["finding"]) for f in bad))
    check(any(f.get("id") == "TLS1_2" and "offered" in f.get("finding", "") for f in findings),
          "testssl.sh sees TLS 1.2 offered")
    check(s.alive(), "server survives testssl.sh")
shutil.rmtree(tmp, ignore_errors=True)
certs.cleanup()
done()
