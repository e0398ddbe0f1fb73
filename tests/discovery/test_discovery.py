#!/usr/bin/python3
"""Discovery against real, independent mDNS peers, in a private network namespace.

    test_discovery.py zeroconf   lanmsg's built-in responder and browser vs python3-zeroconf
    test_discovery.py avahi      the avahi-daemon backend, and the built-in one beside the daemon,
                                 vs avahi-browse / avahi-publish (and zeroconf)
    test_discovery.py programs   the real lanmsg-server announces itself (--name, --no-announce,
                                 not when bound to loopback), zeroconf sees it, and the real
                                 lanmsg-client lists it (--discover) and reaches it by name

The script re-executes itself under `unshare -n -m`: a new network namespace
(only `lo`, with multicast switched on) and a mount namespace (a private
/run/avahi-daemon and D-Bus socket), so no packet leaves the machine and no
daemon of the host is touched. Exit 77 (CTest SKIP) when namespaces are not
permitted or a peer is not installed. Every wait is bounded; the bounds are
generous, and what they separate is "happens" from "never happens" (a
goodbye vs a 75-minute TTL), not fast from slow.

Run by /usr/bin/python3: Debian's python3-zeroconf is installed for it, not
for a pyenv python3 that may come first on PATH."""
import atexit
import os
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import re
import time

SKIP = 77
TOOL = os.environ.get("MDNS_TOOL", "")
SVC = "_lanmsg._tcp.local."
NS_FLAG = "LANMSG_IN_NETNS"
CHILDREN = []  # every process started here, ended at exit whatever happened


@atexit.register
def end_children():
    for p in reversed(CHILDREN):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg, flush=True)


# ---------------------------------------------------------------------------
# Namespace set-up
# ---------------------------------------------------------------------------

def enter_namespace():
    if os.environ.get(NS_FLAG):
        return
    if not TOOL or not os.path.exists(TOOL):
        fail("MDNS_TOOL is not set to the built mdns_tool")
    if not shutil.which("unshare") or not shutil.which("ip"):
        print("SKIP: unshare or ip (util-linux, iproute2) not installed")
        sys.exit(SKIP)
    probe = subprocess.run(["unshare", "-n", "-m", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("SKIP: cannot make a network namespace here (unshare -n -m: %s)"
              % probe.stderr.strip())
        sys.exit(SKIP)
    env = dict(os.environ, **{NS_FLAG: "1"})
    rc = subprocess.run(["unshare", "-n", "-m", "--propagation", "private",
                         sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env=env)
    sys.exit(rc.returncode)


def setup_lo():
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "link", "set", "lo", "multicast", "on"],
                ["ip", "route", "add", "224.0.0.0/4", "dev", "lo"]):
        subprocess.run(cmd, check=True)
    # Nothing but lo: a packet here cannot reach any other machine.
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    check(links.count("\n") == 1 and ": lo:" in links, "the namespace has only lo")


# ---------------------------------------------------------------------------
# Our tool
# ---------------------------------------------------------------------------

class Announcer:
    """mdns_tool announce ...: a responder driven like the server's loop."""

    def __init__(self, name, port, *extra, env=None):
        self.p = subprocess.Popen([TOOL, "announce", name, str(port)] + list(extra),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env)
        CHILDREN.append(self.p)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.p.stdout, selectors.EVENT_READ)

    def line(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.sel.select(timeout=max(0.0, end - time.monotonic())):
                text = self.p.stdout.readline()
                if not text:
                    return None
                return text.strip()
        return None

    def announced(self, timeout=15):
        text = self.line(timeout)
        if not text or not text.startswith("announced "):
            err = self.p.stderr.read() if self.p.poll() is not None else ""
            fail("no 'announced' line from mdns_tool (got %r) %s" % (text, err))
        return text

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            out, err = self.p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            fail("mdns_tool did not stop on SIGTERM")
        return self.p.returncode, out, err

    def alive(self):
        return self.p.poll() is None


def tool(*args, env=None):
    r = subprocess.run([TOOL] + list(args), capture_output=True, text=True, timeout=60, env=env)
    return r.returncode, r.stdout, r.stderr


# ---------------------------------------------------------------------------
# The zeroconf test
# ---------------------------------------------------------------------------

def zc_new():
    from zeroconf import IPVersion, Zeroconf
    return Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)


def zc_info(name, timeout_ms=4000):
    zc = zc_new()
    try:
        return zc.get_service_info(SVC, name + "." + SVC, timeout=timeout_ms)
    finally:
        zc.close()


def hostile_packets():
    """Malformed mDNS messages, each aimed at one check of the parser."""
    hdr = lambda qd, an, ns, ar, flags=0: struct.pack("!HHHHHH", 0, flags, qd, an, ns, ar)
    loop_self = hdr(1, 0, 0, 0) + b"\xc0\x0c" + b"\x00\x0c\x00\x01"          # points at itself
    loop_fwd = hdr(1, 0, 0, 0) + b"\xc0\x0e\xc0\x0c" + b"\x00\x0c\x00\x01"    # forward, then back
    loop_two = hdr(1, 0, 0, 0) + b"\x01a\xc0\x0c" + b"\x00\x0c\x00\x01"       # a -> itself
    past_end = hdr(1, 0, 0, 0) + b"\x3f" + b"x" * 10                          # label past the end
    rdlen = (hdr(0, 1, 0, 0, 0x8400) + b"\x07_lanmsg\x04_tcp\x05local\x00"
             + struct.pack("!HHIH", 12, 1, 120, 4000) + b"\x00")               # rdata past end
    counts = hdr(0xffff, 0xffff, 0xffff, 0xffff)                              # counts, no data
    many = hdr(0, 200, 0, 0, 0x8400) + (b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 1, 4)
                                       + b"\x7f\0\0\1") * 1                   # 1 of 200
    long_name = hdr(1, 0, 0, 0) + (b"\x3f" + b"y" * 63) * 5 + b"\x00\x00\x0c\x00\x01"
    bad_label = hdr(1, 0, 0, 0) + b"\x80abc\x00\x00\x0c\x00\x01"
    srv_short = (hdr(0, 1, 0, 0, 0x8400) + b"\x07_lanmsg\x04_tcp\x05local\x00"
                 + struct.pack("!HHIH", 33, 1, 120, 3) + b"\x00\x00\x00")
    # A real-looking probe with a pointer loop inside its authority record.
    probe_loop = (hdr(1, 0, 1, 0) + b"\x07_lanmsg\x04_tcp\x05local\x00\x00\xff\x00\x01"
                  + b"\xc0\x31\xc0\x2f" + struct.pack("!HHIH", 33, 1, 120, 8) + b"\0" * 8)
    return [b"", b"\x00", b"\x00" * 11, loop_self, loop_fwd, loop_two, past_end, rdlen, counts,
            many, long_name, bad_label, srv_short, probe_loop, os.urandom(1500),
            hdr(1, 0, 0, 0) + os.urandom(300)]


def legacy_query(name):
    """A plain DNS question for name's PTR, sent from an ephemeral port to the
    group: an mDNS responder answers such a querier by unicast, echoing the ID
    (RFC 6762 §6.7). Returns the reply, or None."""
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".")) + b"\0"
    msg = struct.pack("!HHHHHH", 0x4242, 0, 1, 0, 0, 0) + qname + struct.pack("!HH", 12, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    s.settimeout(0.5)
    s.bind(("127.0.0.1", 0))
    try:
        for _ in range(6):
            s.sendto(msg, ("224.0.0.251", 5353))
            try:
                data, src = s.recvfrom(9000)
                if data[:2] == b"\x42\x42" and data[2] & 0x80:
                    return data
            except socket.timeout:
                pass
        return None
    finally:
        s.close()


def test_zeroconf():
    try:
        from zeroconf import ServiceBrowser, ServiceInfo, ZeroconfServiceTypes  # noqa: F401
    except ImportError:
        print("SKIP: python3-zeroconf is not installed (apt-get install python3-zeroconf)")
        sys.exit(SKIP)
    from zeroconf import ServiceBrowser, ServiceInfo, ZeroconfServiceTypes
    setup_lo()
    # Only the built-in implementation here: never a daemon of the host.
    env = dict(os.environ, LANMSG_DISCOVERY="builtin",
               DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent")

    # (a) zeroconf sees our instance: port, address, TXT; and the type in the
    # DNS-SD service enumeration.
    a = Announcer("lanmsg test", 5000, "--tls", "--fp", "SHA256:AB-CD", "--backend", "builtin",
                  env=env)
    check(a.announced() == "announced lanmsg test via built-in", "our responder claims its name")
    info = zc_info("lanmsg test")
    check(info is not None, "zeroconf resolves our instance")
    check(info.port == 5000, "zeroconf sees port 5000")
    from zeroconf import IPVersion
    check(info.parsed_addresses(IPVersion.V4Only) == ["127.0.0.1"],
          "zeroconf sees address 127.0.0.1 (all: %r)" % info.parsed_addresses())
    props = {k.decode(): (v.decode() if v is not None else None)
             for k, v in info.properties.items()}
    check(props.get("tls") == "1" and props.get("fp") == "SHA256:AB-CD"
          and props.get("txtvers") == "1" and props.get("v"), "zeroconf sees the TXT keys %r"
          % props)
    zc = zc_new()
    types = ZeroconfServiceTypes.find(zc=zc, timeout=3)
    zc.close()
    check(SVC in types, "the type is in _services._dns-sd._udp enumeration")

    # Legacy unicast (a plain DNS client): answered to its own port, ID echoed.
    reply = legacy_query(SVC)
    check(reply is not None and b"lanmsg test" in reply, "a one-shot query from an ephemeral "
          "port gets a unicast answer")

    # (b) our browser finds a service python-zeroconf registers.
    zc = zc_new()
    peer = ServiceInfo(SVC, "zc peer." + SVC, addresses=[socket.inet_aton("127.0.0.1")],
                       port=4242, properties={"tls": "0", "fp": "ZZ-99", "v": "9"},
                       server="zchost.local.")
    zc.register_service(peer)
    rc, out, err = tool("browse", "3000", env=env)
    check(rc == 0 and "zc peer  127.0.0.1:4242  plain  fp=ZZ-99" in out.splitlines(),
          "our browser lists zeroconf's service: %r" % out)
    check("lanmsg test  127.0.0.1:5000  TLS  fp=SHA256:AB-CD" in out.splitlines(),
          "our browser lists our own responder too")
    rc, out, err = tool("resolve", "zc peer", "3000", env=env)
    check(rc == 0 and out.strip() == "found zc peer  127.0.0.1:4242  plain  fp=ZZ-99",
          "our resolver finds 'zc peer' by name: %r %r" % (out, err))
    rc, out, err = tool("resolve", "nobody here", "1500", env=env)
    check(rc == 1 and "no lanmsg server named \"nobody here\"" in err,
          "an unknown name is one clear line: %r" % err)

    # (c) a second responder with the same name renames itself.
    b = Announcer("lanmsg test", 5001, "--backend", "builtin", env=env)
    check(b.announced() == "announced lanmsg test (2) via built-in",
          "the second 'lanmsg test' renames itself to 'lanmsg test (2)'")
    info2 = zc_info("lanmsg test (2)")
    check(info2 is not None and info2.port == 5001, "zeroconf sees 'lanmsg test (2)' on 5001")

    # (d) goodbye: zeroconf drops the service as soon as we stop.
    removed = []

    class Listener:
        def add_service(self, zc, type_, name):
            pass

        def update_service(self, zc, type_, name):
            pass

        def remove_service(self, zc, type_, name):
            removed.append(name)

    browser = ServiceBrowser(zc, SVC, Listener())
    time.sleep(1.5)  # let the browser learn the instances first
    rc, out, err = a.stop()
    check(rc == 0 and "stopped" in out, "our responder stops on SIGTERM")
    end = time.monotonic() + 5
    while time.monotonic() < end and "lanmsg test." + SVC not in removed:
        time.sleep(0.1)
    check("lanmsg test." + SVC in removed, "zeroconf sees the goodbye (service removed)")
    browser.cancel()

    # (e) malformed packets do not kill the responder, and it still answers.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    s.bind(("127.0.0.1", 5353))  # as an mDNS peer: responses from 5353 are believed
    for _ in range(20):
        for pkt in hostile_packets():
            s.sendto(pkt, ("224.0.0.251", 5353))
    s.close()
    time.sleep(0.5)
    check(b.alive(), "the responder survives malformed packets")
    info2 = zc_info("lanmsg test (2)")
    check(info2 is not None and info2.port == 5001, "and still answers afterwards")
    rc, out, err = b.stop()
    check(rc == 0, "second responder stops cleanly")
    zc.unregister_service(peer)
    zc.close()


# ---------------------------------------------------------------------------
# The Avahi test
# ---------------------------------------------------------------------------

DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"""

AVAHI_CONF = """[server]
host-name=avahins
use-ipv4=yes
use-ipv6=no
allow-interfaces=lo
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
[reflector]
[rlimits]
"""


def avahi_browse(env):
    r = subprocess.run(["avahi-browse", "-r", "-t", "-p", "_lanmsg._tcp"], capture_output=True,
                       text=True, timeout=30, env=env)
    rows = [l.split(";") for l in r.stdout.splitlines() if l.startswith("=;")]
    return {row[3].replace("\\032", " "): row for row in rows}


def wait_for(fn, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.3)
    return fn()


def test_avahi():
    for b in ("dbus-daemon", "avahi-daemon", "avahi-browse", "avahi-publish"):
        if not shutil.which(b):
            print("SKIP: %s is not installed (apt-get install dbus avahi-daemon avahi-utils)" % b)
            sys.exit(SKIP)
    rc, out, err = tool("announce", "x", "1", "--backend", "avahi",
                        env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent"))
    if "built without libavahi-client" in err:
        print("SKIP: lanmsg was built without libavahi-client (apt-get install "
              "libavahi-client-dev)")
        sys.exit(SKIP)
    check(rc == 1 and "avahi" in err, "--backend avahi without a daemon fails with one line: %r"
          % err.strip())
    setup_lo()
    tmp = tempfile.mkdtemp(prefix="lanmsg-avahi-")
    atexit.register(shutil.rmtree, tmp, True)  # runs after end_children
    # A private /run/avahi-daemon: its pid file and socket, in our mount
    # namespace only, so a daemon of the host (or of a parallel test) is
    # neither seen nor disturbed.
    os.makedirs("/run/avahi-daemon", exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/avahi-daemon"], check=True)
    bus = os.path.join(tmp, "bus")
    with open(os.path.join(tmp, "dbus.conf"), "w") as f:
        f.write(DBUS_CONF % bus)
    with open(os.path.join(tmp, "avahi.conf"), "w") as f:
        f.write(AVAHI_CONF)
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + bus)
    env.pop("LANMSG_DISCOVERY", None)
    procs = CHILDREN
    dbus = subprocess.Popen(["dbus-daemon", "--nofork", "--config-file",
                             os.path.join(tmp, "dbus.conf")], env=env)
    procs.append(dbus)
    check(wait_for(lambda: os.path.exists(bus), 10), "private system bus is up")
    log = open(os.path.join(tmp, "avahi.log"), "w")
    avahi = subprocess.Popen(["avahi-daemon", "--no-drop-root", "--no-chroot",
                              "--no-rlimits", "--no-proc-title", "-f",
                              os.path.join(tmp, "avahi.conf")], env=env, stdout=log,
                             stderr=subprocess.STDOUT)
    procs.append(avahi)
    up = wait_for(lambda: "Server startup complete" in open(log.name).read(), 15)
    if not up:
        print(open(log.name).read())
    check(up, "avahi-daemon runs on lo in the namespace")

    # (f1) announcing through the daemon: avahi-browse and zeroconf see it.
    a = Announcer("via avahi", 6000, "--tls", "--fp", "FP-1", env=env)
    check(a.announced() == "announced via avahi via avahi", "auto picks avahi-daemon")
    rows = wait_for(lambda: avahi_browse(env).get("via avahi"), 10)
    check(rows is not None and rows[8] == "6000" and '"tls=1"' in rows[9]
          and '"fp=FP-1"' in rows[9], "avahi-browse -r sees it with port and TXT: %r" % rows)
    try:
        import zeroconf  # noqa: F401
        info = zc_info("via avahi")
        check(info is not None and info.port == 6000, "zeroconf sees it too (on the wire)")
    except ImportError:
        print("note: python3-zeroconf missing, wire check skipped")

    # (f2) a name the daemon already holds: ours becomes "name (2)".
    pub = subprocess.Popen(["avahi-publish", "-s", "pub peer", "_lanmsg._tcp", "4243",
                            "tls=0", "fp=PP"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    procs.append(pub)
    check(wait_for(lambda: avahi_browse(env).get("pub peer"), 10) is not None,
          "avahi-publish registered 'pub peer'")
    c = Announcer("pub peer", 6001, env=env)
    check(c.announced() == "announced pub peer (2) via avahi",
          "a taken name is renamed 'pub peer (2)' through Avahi too")

    # (f3) browsing through the daemon finds avahi-publish's service...
    rc, out, err = tool("browse", "3000", env=env)
    check("pub peer  127.0.0.1:4243  plain  fp=PP" in out.splitlines(),
          "our browser (through Avahi) lists avahi-publish's service: %r" % out)
    rc, out, err = tool("resolve", "via avahi", "3000", env=env)
    check(out.strip() == "found via avahi  127.0.0.1:6000  TLS  fp=FP-1",
          "resolve through Avahi: %r %r" % (out, err))
    # ...and so does the built-in browser, sharing port 5353 with the daemon.
    benv = dict(env, LANMSG_DISCOVERY="builtin")
    rc, out, err = tool("browse", "3000", env=benv)
    check("pub peer  127.0.0.1:4243  plain  fp=PP" in out.splitlines(),
          "the built-in browser beside avahi-daemon lists it too: %r %r" % (out, err))

    # (f4) the built-in responder beside the daemon: avahi-browse sees it.
    d = Announcer("builtin beside", 6002, "--backend", "builtin", env=env)
    check(d.announced() == "announced builtin beside via built-in",
          "the built-in responder runs beside avahi-daemon")
    rows = wait_for(lambda: avahi_browse(env).get("builtin beside"), 10)
    check(rows is not None and rows[8] == "6002", "avahi-browse sees the built-in responder")
    rc, out, err = d.stop()
    gone = wait_for(lambda: "builtin beside" not in avahi_browse(env), 10)
    check(gone, "avahi drops the built-in responder's service after its goodbye")

    # (f5) stopping the Avahi-backed announcer withdraws the service.
    rc, out, err = a.stop()
    check(rc == 0, "the avahi-backed announcer stops on SIGTERM")
    gone = wait_for(lambda: "via avahi" not in avahi_browse(env), 10)
    check(gone, "avahi-browse no longer lists it")
    c.stop()


def start_server(*args):
    """The real lanmsg-server, its lines collected by a reader thread (a
    select() on a buffered text pipe can miss a line already read ahead);
    returns (process lines, port) once it listens."""
    from harness import Lines
    binary = os.path.join(os.environ["LANMSG_BIN"], "lanmsg-server")
    p = Lines([binary, "--port", "0", "--no-log-time"] + list(args),
              env=dict(os.environ, LANMSG_DISCOVERY="builtin", LANG="C"))
    CHILDREN.append(p.proc)
    m = p.wait_for(r"listening on \S*:(\d+) ", timeout=10)
    return p, int(m.group(1)) if m else None


def client(*args, **env):
    binary = os.path.join(os.environ["LANMSG_BIN"], "lanmsg-client")
    return subprocess.run([binary] + list(args), capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, LANMSG_DISCOVERY="builtin", LANG="C", **env))


def test_fingerprints():
    """A TLS server's fingerprint heard on the LAN, compared with what the
    client trusts: known_servers and --pin; a match is shown, a difference
    flagged, and a connection still checks the key itself."""
    version = subprocess.run([os.path.join(os.environ["LANMSG_BIN"], "lanmsg-server"),
                              "--version"], capture_output=True, text=True, timeout=30).stdout
    if "Mbed TLS" not in version:
        print("skip: fingerprints need a TLS build (%s)" % version.strip())
        return
    top = tempfile.mkdtemp(prefix="lanmsg-disc-")
    show = subprocess.run([os.path.join(os.environ["LANMSG_BIN"], "lanmsg-server"), "--show-id",
                           "--state-dir", os.path.join(top, "other")],
                          capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, LANMSG_CERT_DIR=os.path.join(top, "none")))
    other = show.stdout.strip()
    srv, port = start_server("--host", "0.0.0.0", "--name", "tls office", "--tls",
                             "--state-dir", os.path.join(top, "srv"))
    m = srv.wait_for(r"identity (\S+),? ", timeout=10)
    check(port is not None and m is not None and other and other != m.group(1),
          "a TLS server with its own identity starts: %r %r" % (srv.output(), show.stderr))
    fp = m.group(1).rstrip(",")
    conf = os.path.join(top, "config")
    os.makedirs(os.path.join(conf, "lanmsg"))
    known = os.path.join(conf, "lanmsg", "known_servers")

    def listed(*args):
        r = client("--discover", *args, XDG_CONFIG_HOME=conf)
        rows = [l for l in r.stdout.splitlines() if l.startswith("tls office")]
        return r, (rows[0] if rows else "")

    r, row = listed()
    check(r.returncode == 0 and ("fp=" + fp) in row and "known_servers" not in row
          and "pin" not in row, "--discover shows the fingerprint, unmarked when unknown: %r" % row)
    with open(known, "w") as f:
        f.write("127.0.0.1:%d %s 2026-11-01\n" % (port, fp))
    r, row = listed()
    check(row.endswith("key matches known_servers (127.0.0.1:%d)" % port),
          "a fingerprint that matches known_servers is shown as such: %r" % row)
    with open(known, "w") as f:
        # Under the address, and under the host name a connection by
        # instance name records.
        f.write("127.0.0.1:%d %s 2026-11-01\n%s:%d %s 2026-11-01\n"
                % (port, other, socket.gethostname().lower(), port, other))
    r, row = listed()
    check(re.search(r"KEY DIFFERS from known_servers \(\S+:%d has %s\): not trusted$"
                    % (port, other), row) is not None,
          "a fingerprint that differs from known_servers is flagged: %r" % row)
    r = client("--tls", "--host", "tls office", "--port", str(port), XDG_CONFIG_HOME=conf)
    check(r.returncode == 3 and "Mensagem recebida" not in r.stdout and other in r.stderr
          and fp in r.stderr,
          "and a connection to it by name is refused, both keys shown (exit 3): %r %r"
          % (r.stdout, r.stderr))
    r, row = listed("--pin", fp)
    check(row.endswith("key matches --pin"), "--discover --pin: a match is shown: %r" % row)
    r, row = listed("--pin", other)
    check(row.endswith("KEY DIFFERS from --pin: not trusted"),
          "--discover --pin: a difference is flagged: %r" % row)
    r, row = listed("--pin", "not-a-fingerprint")
    check(r.returncode == 2 and r.stderr.count("\n") == 1,
          "--discover with a malformed --pin: one line, exit 2: %r" % r.stderr)
    srv.proc.terminate()
    srv.proc.wait(10)


def test_programs():
    setup_lo()
    srv, port = start_server("--host", "0.0.0.0", "--name", "test office")
    check(port is not None, "lanmsg-server starts listening on 0.0.0.0")
    check(srv.wait_for(r'announcing "test office" on the LAN \(_lanmsg\._tcp', timeout=10)
          is not None, "the server says it announces itself, and as what: %r" % srv.output())
    info = zc_info("test office")
    check(info is not None and info.port == port,
          "python3-zeroconf sees the server's instance with its port")
    txt = {k.decode(): (v.decode() if v else "") for k, v in info.properties.items()}
    check(txt.get("tls") == "0" and txt.get("v"), "TXT says plain, and the version: %r" % txt)
    r = client("--discover")
    check(r.returncode == 0 and any(l.startswith("test office") and (":%d" % port) in l
                                    and "plain" in l for l in r.stdout.splitlines()),
          "lanmsg-client --discover lists it: %r %r" % (r.stdout, r.stderr))
    r = client("--host", "test office", "-m", "by name")
    check(r.returncode == 0 and "found on the LAN" in r.stdout and "Mensagem recebida" in r.stdout,
          "lanmsg-client --host 'test office' finds and reaches it: %r %r" % (r.stdout, r.stderr))
    r = client("--host", "nobody-here")
    check(r.returncode == 1 and "announces it on the LAN" in r.stderr
          and r.stderr.count("\n") == 1, "an unknown name: one line, exit 1: %r" % r.stderr)
    srv.proc.terminate()
    srv.proc.wait(10)
    check(zc_info("test office", 1500) is None, "after SIGTERM the server is gone (goodbye)")
    # Not announced: --no-announce, and a server bound to loopback only.
    for args, what in ((["--host", "0.0.0.0", "--name", "quiet", "--no-announce"], "--no-announce"),
                       (["--host", "127.0.0.1", "--name", "quiet"], "bound to 127.0.0.1")):
        srv, port = start_server(*args)
        check(port is not None and zc_info("quiet", 2500) is None, "not announced: %s" % what)
        srv.proc.terminate()
        srv.proc.wait(10)
    test_fingerprints()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("zeroconf", "avahi", "programs"):
        print("usage: test_discovery.py zeroconf|avahi|programs", file=sys.stderr)
        sys.exit(2)
    enter_namespace()
    if sys.argv[1] == "zeroconf":
        test_zeroconf()
    elif sys.argv[1] == "programs":
        test_programs()
    else:
        test_avahi()
    print("discovery.%s: all checks passed" % sys.argv[1])


if __name__ == "__main__":
    main()
