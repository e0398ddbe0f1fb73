"""lanmsg-load --quick: the load program runs end to end with small counts
and prints every figure, each positive. No figure is compared with a target
here: performance is reported by the program, never asserted by tests."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import ENV, check, done  # noqa: E402

load = sys.argv[1]
v = subprocess.run([load, "--version"], capture_output=True, text=True, timeout=20, env=ENV)
check(v.returncode == 0 and v.stdout.startswith("lanmsg-load "), "lanmsg-load --version works",
      v.stdout + v.stderr)
r = subprocess.run([load, "--quick", "--bin", os.path.dirname(load)], capture_output=True, text=True,
                   errors="replace", timeout=240, env=ENV)
print(r.stdout + r.stderr)
check(r.returncode == 0, "lanmsg-load --quick exits 0", r.stderr)
out = r.stdout


def figure(pattern, what):
    m = re.search(pattern, out, re.M)
    ok = m is not None and all(float(g) > 0 for g in m.groups())
    check(ok, what + " is printed and positive", m.group(0) if m else "missing")
    return m


m = figure(r"^held at once, plain TCP: (\d+) of (\d+) clients connected and answered in ([\d.]+) s \(0 failed\)$",
           "plain clients held at once")
check(m is not None and m.group(1) == m.group(2), "every plain client was answered")
m = figure(r"^held at once, mutual TLS: (\d+) of (\d+) clients connected and answered in ([\d.]+) s \(0 failed\)$",
           "mutual-TLS clients held at once")
check(m is not None and m.group(1) == m.group(2), "every TLS client was answered")
figure(r"^memory per idle connection, plain TCP: (\d+) bytes", "plain memory per idle connection")
figure(r"^memory per idle connection, mutual TLS: (\d+) bytes", "TLS memory per idle connection")
figure(r"^mbedTLS per-session footprint, measured .*: (\d+) bytes .* ratio ([\d.]+)", "mbedTLS baseline and ratio")
figure(r"^broadcast fan-out, plain TCP: (\d+) chat clients in one room, (\d+) messages delivered/s$",
       "plain fan-out rate")
figure(r"^broadcast fan-out, TLS: (\d+) chat clients in one room, (\d+) messages delivered/s$",
       "TLS fan-out rate")
done()
