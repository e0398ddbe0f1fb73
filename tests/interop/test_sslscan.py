"""sslscan against our TLS server: only TLS 1.2 and 1.3 are enabled, every
accepted suite has forward secrecy (ECDHE, or a TLS 1.3 suite) and AEAD
(GCM or ChaCha20-Poly1305), and TLS compression is off."""
import re
import xml.etree.ElementTree as ET

import peers  # noqa: F401  (puts tests/integration on the path)
from harness import Certs, Server, check, done, run

certs = Certs()
with Server(*certs.server_args()) as s:
    r = run(["sslscan", "--xml=-", "--no-colour", "127.0.0.1:%d" % s.port], timeout=50)
    check(r.returncode == 0, "sslscan runs", r.stderr)
    try:
        doc = ET.fromstring(r.stdout)
    except ET.ParseError as e:
        doc = None
        check(False, "sslscan prints XML", str(e) + r.stdout[:500])
    if doc is not None:
        test = doc.find("ssltest")
        enabled = sorted("%s%s" % (p.get("type"), p.get("version"))
                         for p in test.iter("protocol") if p.get("enabled") == "1")
        print("# enabled: %s" % enabled)
        check(enabled and set(enabled) <= {"tls1.2", "tls1.3"},
              "only TLS 1.2 / 1.3 enabled", str(enabled))
        check("tls1.2" in enabled, "TLS 1.2 enabled", str(enabled))
        suites = [(c.get("sslversion"), c.get("cipher")) for c in test.iter("cipher")
                  if c.get("status") in ("accepted", "preferred")]
        print("# suites: %s" % suites)
        check(len(suites) > 0, "some suites accepted")
        for ver, name in suites:
            tls13 = ver == "TLSv1.3"
            fs = tls13 or name.startswith("ECDHE-")
            aead = re.search(r"GCM|CHACHA20|CCM", name) is not None and "CCM8" not in name
            check(fs and aead, "%s %s has forward secrecy and AEAD" % (ver, name))
        comp = test.find("compression")
        if comp is not None:
            check(comp.get("supported") == "0", "no TLS compression (sslscan)", ET.tostring(comp))
        check(test.find("heartbleed[@vulnerable='1']") is None, "no heartbleed")
        reneg = test.find("renegotiation")
        if reneg is not None:
            check(reneg.get("supported") == "0" or reneg.get("secure") == "1",
                  "no insecure renegotiation", ET.tostring(reneg))
    # sslscan 2 reports compression only when it finds it: ask openssl too.
    r = run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % s.port, "-CAfile",
             certs.path("ca.crt"), "-tls1_2"], input="", timeout=20)
    check("Compression: NONE" in r.stdout, "no TLS compression (openssl s_client)",
          r.stdout[-800:])
    check(s.alive(), "server survives the scan")
certs.cleanup()
done()
