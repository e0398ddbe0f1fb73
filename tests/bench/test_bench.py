"""lanmsg-bench tests, run as `test_bench.py quick|wiretap|keylog`.

quick    lanmsg-bench --quick writes JSON, CSV and SVG; every figure is
         present and positive, and each file parses.
wiretap  through the capturing relay, the plain capture holds the message
         and the TLS capture does not; the TLS bytes are well-formed records
         with application data (type 23).
keylog   the real lanmsg-server and lanmsg-client, with SSLKEYLOGFILE set,
         write NSS key-log lines and warn on stderr.
"""
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
from harness import check, done  # noqa: E402

BENCH = os.path.join(harness.BIN, "lanmsg-bench")


def bench(*args, timeout=150):
    return subprocess.run([BENCH] + list(args), capture_output=True, text=True,
                          errors="replace", timeout=timeout, env=harness.ENV)


def positive(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0


def test_quick(tmp):
    js, cs, sv = (os.path.join(tmp, "b." + e) for e in ("json", "csv", "svg"))
    r = bench("--quick", "--json", js, "--csv", cs, "--svg", sv)
    check(r.returncode == 0, "lanmsg-bench --quick exits 0", r.stderr[-2000:])
    check("TLS costs" in r.stdout, "the table has a 'TLS costs' column", r.stdout[:2000])
    check("[bench]" in r.stderr, "progress is shown on stderr")
    try:
        with open(js, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        check(False, "the JSON file parses", str(e))
        return
    check(True, "the JSON file parses")
    cols = data.get("columns", [])
    check("plain" in cols and "tls12" in cols, "JSON has plain and TLS 1.2 columns", str(cols))
    rows = data.get("rows", [])
    check(len(rows) >= 20, "JSON has every measure (%d rows)" % len(rows))
    bad = []
    for row in rows:
        for c in cols:
            v = row.get(c)
            # Plain TCP sends no bytes to set a connection up: that one is null.
            if row["key"] == "wire_setup_bytes" and c == "plain":
                if v is not None:
                    bad.append("%s/%s=%r (expected null)" % (row["key"], c, v))
            elif not positive(v):
                bad.append("%s/%s=%r" % (row["key"], c, v))
    check(not bad, "every figure is present and positive", "\n".join(bad))
    keys = {row["key"] for row in rows}
    for k in ("connect_p50_us", "resumed_p50_us", "rtt_64_p50_us", "rtt_16k_p99_us",
              "tput_nconn_msgs", "cpu_server_ms_per_mb", "cpu_client_ms_per_conn",
              "wire_bytes_per_msg", "memory_per_conn_bytes"):
        check(k in keys, "JSON has " + k)
    wire = next((r for r in rows if r["key"] == "wire_bytes_per_msg"), None)
    if wire:
        check(wire["plain"] == 128, "plain echo of a 64-byte line (newline included) is 128 "
              "bytes on the wire, 64 each way", str(wire["plain"]))
        check(wire["tls12"] > wire["plain"], "TLS adds record overhead on the wire")
    base = data.get("baselines", [])
    bkeys = {b["key"] for b in base}
    want = ["plain_round_trips", "memory_plain"]
    for c in ("tls12", "tls13"):
        if c not in cols:
            continue
        want += [k + "_" + c for k in (
            "full_handshake_cpu_x25519", "full_handshake_cpu_p256", "resumed_handshake_cpu",
            "public_key_share", "handshake_scaling", "handshake_scaling_ceiling",
            "tls_oneway_server_cpu", "tls_echo_server_cpu", "resumed_vs_full", "memory_tls")]
        if shutil.which("openssl"):
            want += ["vs_openssl_full_" + c, "vs_openssl_resumed_" + c]
    for k in want:
        check(k in bkeys, "baseline " + k + " is reported")
    badb = ["%s: %r" % (b["key"], b) for b in base
            if not (positive(b["baseline"]) and positive(b["measured"]) and positive(b["ratio"]))]
    check(not badb, "every baseline has positive figures and a ratio", "\n".join(badb))
    badr = ["%s: %r" % (b["key"], b) for b in base if b.get("ratio_min") is not None
            and not (b["ratio_min"] <= b["ratio"] <= b["ratio_max"])]
    check(not badr, "a baseline's ratio lies within its rounds' range", "\n".join(badr))
    badc = ["%s: %r" % (b["key"], b.get("column")) for b in base
            if b.get("column") not in cols]
    check(not badc, "every baseline names its column", "\n".join(badc))
    # Units agree: a ratio of costs in the same unit is measured / baseline
    # (lower is better) or baseline / measured (efficiency, rates).
    for b in base:
        if b["key"].startswith(("full_handshake_cpu", "resumed_handshake_cpu")):
            lo, hi = b.get("ratio_min") or b["ratio"], b.get("ratio_max") or b["ratio"]
            r = b["measured"] / b["baseline"]
            check(lo * 0.5 <= r <= hi * 2, b["key"] + ": ratio agrees with ms / ms", str(b))
        if b["key"].startswith("tls_oneway_server_cpu"):
            check(abs(b["baseline"] / b["measured"] - b["ratio"]) < 1e-3 * b["ratio"] + 1e-6,
                  b["key"] + ": efficiency = raw ms/MB / lanmsg ms/MB", str(b))
    one = {r["key"]: r for r in rows}
    for c in cols:
        if c == "plain":
            continue
        ow, cpu = one.get("oneway_16k_mb"), one.get("cpu_server_ms_per_mb_oneway")
        if ow and cpu and positive(ow.get(c)) and positive(cpu.get(c)):
            busy = ow[c] * cpu[c] / 1000  # MB/s x ms/MB = server seconds per second
            check(busy <= 1.3, "one way, %s: the server's one thread is busy %.2f s per s "
                  "(MB/s and ms/MB agree)" % (c, busy))
    hs = data.get("handshakes", [])
    hcols = data.get("handshake_columns", [])
    check("lanmsg_tls12" in hcols, "the handshake table has a lanmsg TLS 1.2 column", str(hcols))
    if shutil.which("openssl"):
        check("s_server_tls12" in hcols, "openssl s_server is a peer column", str(hcols))
    badh = []
    for row in hs:
        for c in hcols:
            v = row.get(c)
            # s_server is measured with one client and one process only.
            if c.startswith("s_server") and v is None:
                continue
            if not positive(v):
                badh.append("%s/%s=%r" % (row["key"], c, v))
    check(len(hs) >= 10 and not badh, "every handshake figure is present and positive",
          "\n".join(badh))
    dg = data.get("datagrams", [])
    dcols = data.get("datagram_columns", [])
    check("udp" in dcols and "tcp" in dcols, "the datagram table has UDP beside TCP", str(dcols))
    dk = {r["key"]: r for r in dg}
    for k in ("rtt_64_p50_us", "rtt_64_p99_us", "rtt_1k_p50_us", "rtt_1k_p99_us"):
        row = dk.get(k, {})
        check(all(positive(row.get(c)) for c in dcols), "datagram table: %s measured for %s"
              % (k, ", ".join(dcols)), str(row))
        if positive(row.get("udp")) and k.endswith("p50_us"):
            check(row["udp"] <= dk.get(k.replace("p50", "p99"), {}).get("udp", 0),
                  "datagram table: UDP %s is at most its p99" % k)
    w = dk.get("wire_bytes_per_msg", {})
    check(w.get("udp") == 128, "a 64-byte UDP echo is 128 payload bytes on the wire",
          str(w.get("udp")))
    check(dk.get("setup_p50_us", {}).get("udp", 0) is None
          and dk.get("wire_setup_bytes", {}).get("udp", 0) is None,
          "UDP has nothing to set up: its set-up figures are null")
    if "dtls12" in dcols:
        for k in ("setup_p50_us", "wire_setup_bytes", "wire_bytes_per_msg"):
            check(positive(dk.get(k, {}).get("dtls12")), "datagram table: DTLS " + k)
        check(dk["wire_bytes_per_msg"]["dtls12"] > 128, "DTLS adds record overhead on the wire")
    hk = {r["key"]: r for r in hs}
    for c in hcols:
        for th, n in ((1, "1client_1thread"), (1, "2clients_1thread"), (2, "1client_2threads"),
                      (2, "2clients_2threads")):
            rate, ms = hk.get("hs_full_" + n, {}).get(c), hk.get(
                "cpu_server_ms_full_" + n, {}).get(c)
            if positive(rate) and positive(ms):
                busy = rate * ms / 1000  # hs/s x ms/hs = server CPU seconds per second
                check(busy <= (os.cpu_count() or 2) * 1.3,
                      "%s, %s: server busy %.2f CPU s per s (hs/s and ms agree)" % (c, n, busy))
    check(data.get("cipher") in ("aes128", "chacha20"), "the chosen AEAD is named",
          str(data.get("cipher")))
    try:
        with open(cs, newline="", encoding="utf-8") as f:
            lines = list(csv.reader(f))
        check(sum(1 for l in lines if l and l[0] == "measure") == len(rows),
              "the CSV has one line per measure")
        check(sum(1 for l in lines if l and l[0] == "handshake") == len(hs),
              "the CSV has one line per handshake measure")
        check(sum(1 for l in lines if l and l[0] == "datagram") == len(dg),
              "the CSV has one line per datagram measure")
        check(sum(1 for l in lines if l and l[0] == "baseline") == len(base),
              "the CSV has one line per baseline")
    except (OSError, csv.Error) as e:
        check(False, "the CSV file parses", str(e))
    try:
        root = ET.parse(sv).getroot()
        check(root.tag.endswith("svg"), "the SVG file parses as SVG")
        rects = [e for e in root.iter() if e.tag.endswith("rect")]
        check(len(rects) >= 2 * len(rows), "the chart has a bar per transport and measure",
              "%d rects" % len(rects))
    except (OSError, ET.ParseError) as e:
        check(False, "the SVG file parses", str(e))


def parse_records(data):
    """Split a TLS byte stream into (type, version, body); None if malformed."""
    out, i = [], 0
    while i < len(data):
        if len(data) - i < 5:
            return None
        t, v, n = data[i], data[i + 1:i + 3], int.from_bytes(data[i + 3:i + 5], "big")
        if t not in (20, 21, 22, 23) or v[0] != 3 or len(data) - i - 5 < n:
            return None
        out.append((t, v, data[i + 5:i + 5 + n]))
        i += 5 + n
    return out


def test_dump_errors(tmp):
    """--dump is checked before anything is measured: a folder that cannot
    be written is one line with the program's prefix, and exit 2."""
    missing = os.path.join(tmp, "no", "such", "folder")
    r = bench("--wiretap", "--dump", missing, timeout=30)
    check(r.returncode == 2 and r.stderr.startswith("lanmsg-bench: --dump ")
          and "create the folder" in r.stderr and r.stderr.count("\n") == 1,
          "--dump into a missing folder: exit 2, one prefixed line", r.stdout + r.stderr)
    r = bench("--dump", tmp, timeout=30)
    check(r.returncode == 2 and "--wiretap" in r.stderr, "--dump without --wiretap: exit 2",
          r.stderr)


def test_wiretap(tmp):
    msg = "wiretap canary 7Q"
    r = bench("--wiretap", "--message", msg, "--dump", tmp, timeout=60)
    check(r.returncode == 0, "lanmsg-bench --wiretap exits 0", r.stderr[-2000:])
    cap = {}
    for name in ("plain.c2s", "plain.s2c", "tls.c2s", "tls.s2c", "udp.c2s", "udp.s2c"):
        try:
            with open(os.path.join(tmp, name), "rb") as f:
                cap[name] = f.read()
        except OSError:
            cap[name] = b""
    m = msg.encode()
    check(m in cap["plain.c2s"] and m in cap["plain.s2c"],
          "the plain capture holds the message, both ways")
    check(len(cap["tls.c2s"]) > 0 and len(cap["tls.s2c"]) > 0, "the TLS capture is not empty")
    check(m not in cap["tls.c2s"] + cap["tls.s2c"], "the TLS capture does not hold the message")
    check(m.hex().encode() not in (cap["tls.c2s"] + cap["tls.s2c"]).hex().encode(),
          "not even as hex")
    for d in ("tls.c2s", "tls.s2c"):
        recs = parse_records(cap[d])
        check(recs is not None, d + " is a sequence of well-formed TLS records")
        check(recs is not None and any(t == 23 for t, _, _ in recs),
              d + " has application data records (type 23)")
    plain_part, _, rest = r.stdout.partition("==== TLS ====")
    tls_part, _, udp_part = rest.partition("==== UDP")
    check(msg in plain_part, "the printed plain view shows the message")
    check(msg not in tls_part, "the printed TLS view does not")
    check("application_data (23)" in tls_part, "the printed TLS view names application_data (23)")
    # UDP: one datagram each way, the message in clear, as the wire has it.
    check(cap["udp.c2s"] == m and cap["udp.s2c"] == m,
          "the UDP capture is the message itself, one datagram each way",
          repr(cap["udp.c2s"][:80]) + " / " + repr(cap["udp.s2c"][:80]))
    udp_part, _, dtls_part = udp_part.partition("==== DTLS")
    check(msg in udp_part and udp_part.count("datagram client -> server, %d bytes" % len(m)) == 1,
          "the printed UDP view shows one datagram of the message's size, in clear")
    dtls = {}
    for name in ("dtls.c2s", "dtls.s2c"):
        try:
            with open(os.path.join(tmp, name), "rb") as f:
                dtls[name] = f.read()
        except OSError:
            pass
    if dtls or dtls_part:  # where the build has DTLS
        both = dtls.get("dtls.c2s", b"") + dtls.get("dtls.s2c", b"")
        check(len(dtls.get("dtls.c2s", b"")) > 0 and len(dtls.get("dtls.s2c", b"")) > 0,
              "the DTLS capture is not empty")
        check(m not in both and m.hex().encode() not in both.hex().encode(),
              "the DTLS capture does not hold the message, not even as hex")
        check(both[:3] == bytes([22, 0xfe, 0xfd]),
              "the DTLS capture starts with a DTLS 1.2 handshake record", both[:16].hex())
        check(msg not in dtls_part and "version fefd" in dtls_part
              and "epoch 1" in dtls_part, "the printed DTLS view shows records, not the message")


def test_keylog(tmp):
    certs = harness.Certs("--san", "127.0.0.1")
    try:
        srv_log, cli_log = os.path.join(tmp, "server.keys"), os.path.join(tmp, "client.keys")
        env_s = dict(harness.ENV, SSLKEYLOGFILE=srv_log)
        env_c = dict(harness.ENV, SSLKEYLOGFILE=cli_log)
        with harness.Server(*(certs.server_args() + ["--tls-version", "12"]), env=env_s) as s:
            c = harness.client("--port", s.port, "--tls-version", "12", "-m", "hello keys",
                               *certs.client_args(), env=env_c)
            check(c.returncode == 0, "TLS client exits 0 with SSLKEYLOGFILE set", c.stderr)
            check("SSLKEYLOGFILE" in c.stderr, "the client warns on stderr about the key log")
            s.stop()
            check("SSLKEYLOGFILE" in s.errors(), "the server warns on stderr about the key log")
        pat = re.compile(r"^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$")
        for who, path in (("server", srv_log), ("client", cli_log)):
            try:
                with open(path, encoding="ascii") as f:
                    lines = f.read().splitlines()
            except OSError as e:
                check(False, who + " key log written", str(e))
                continue
            check(len(lines) >= 1 and all(pat.match(l) for l in lines),
                  who + " key log lines are 'CLIENT_RANDOM <64 hex> <96 hex>'", "\n".join(lines))
            check((os.stat(path).st_mode & 0o077) == 0, who + " key log is private (0600)")
        with open(srv_log) as f1, open(cli_log) as f2:
            check(f1.read() == f2.read(), "client and server logged the same secret")
    finally:
        certs.cleanup()


def test_own_client(tmp):
    """Without openssl (or with --hs-client own) the handshake load comes from
    the bench's own mbedTLS clients, and there is no s_server column."""
    r = bench("--hs-client", "foo", timeout=30)
    check(r.returncode == 2 and r.stderr.startswith("lanmsg-bench: --hs-client foo")
          and r.stderr.count("\n") == 1, "--hs-client foo: exit 2, one prefixed line",
          r.stderr)
    js = os.path.join(tmp, "own.json")
    r = bench("--quick", "--hs-client", "own", "--json", js)
    check(r.returncode == 0, "lanmsg-bench --quick --hs-client own exits 0", r.stderr[-2000:])
    try:
        with open(js, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        check(False, "the JSON file parses", str(e))
        return
    check("own" in data.get("handshake_clients", "") or "threads" in data.get(
        "handshake_clients", ""), "the report says the load clients are the bench's own",
        data.get("handshake_clients", ""))
    hcols = data.get("handshake_columns", [])
    check(hcols and all(c.startswith("lanmsg") for c in hcols),
          "no openssl s_server column with our own clients", str(hcols))
    bad = ["%s/%s=%r" % (row["key"], c, row.get(c)) for row in data.get("handshakes", [])
           for c in hcols if not positive(row.get(c))]
    check(data.get("handshakes") and not bad, "every handshake figure is present and positive",
          "\n".join(bad))
    bkeys = {b["key"] for b in data.get("baselines", [])}
    check("handshake_scaling_tls12" in bkeys and "vs_openssl_full_tls12" not in bkeys,
          "the scaling line is there, the openssl lines are not")


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "quick"
    tmp = tempfile.mkdtemp(prefix="lanmsg-bench-test-")
    try:
        if what == "wiretap":
            test_dump_errors(tmp)
        {"quick": test_quick, "wiretap": test_wiretap, "keylog": test_keylog,
         "own_client": test_own_client}[what](tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    done()


if __name__ == "__main__":
    main()
