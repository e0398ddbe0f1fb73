"""The installed layout: `cmake --install` into a temporary prefix gives the
programs, lanmsg-gen-certs, the man pages and the systemd unit; run from
folders that have no certs/, the installed helper writes the certificates
where the installed server and client look for them (the user's config
folder), and a configuration file there is read. HOME and the XDG folders
are the test's own."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile

if os.environ.get("LANMSG_EXE_PREFIX"):
    print("skip: the installed layout is checked on the native build")
    raise SystemExit(77)
build = sys.argv[1]
top = tempfile.mkdtemp(prefix="lanmsg-install-")
prefix = os.path.join(top, "prefix")
inst = subprocess.run(["cmake", "--install", build, "--prefix", prefix],
                      capture_output=True, text=True, timeout=120)
os.environ["LANMSG_BIN"] = os.path.join(prefix, "bin")
import harness  # noqa: E402 (after LANMSG_BIN: the harness runs the installed programs)
from harness import Server, check, done, run  # noqa: E402

check(inst.returncode == 0, "cmake --install into a temporary prefix succeeds",
      inst.stdout + inst.stderr)
bindir = os.path.join(prefix, "bin")
tls = os.path.exists(os.path.join(bindir, "lanmsg-certgen"))
programs = ["lanmsg-server", "lanmsg-client"] + (
    ["lanmsg-certgen", "lanmsg-gen-certs", "lanmsg-bench"] if tls else [])
for p in programs:
    path = os.path.join(bindir, p)
    check(os.access(path, os.X_OK), "installed and executable: bin/" + p)
mandir = os.path.join(prefix, "share", "man", "man1")
for page in ("lanmsg-server", "lanmsg-client", "lanmsg-certgen", "lanmsg-gen-certs",
             "lanmsg-bench"):
    path = os.path.join(mandir, page + ".1")
    check(os.path.exists(path), "man page installed: " + page + "(1)")
    if os.path.exists(path) and shutil.which("groff"):
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", path],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0 and not r.stderr.strip(),
              page + "(1) renders without groff warnings", r.stderr)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        check(".SH EXIT STATUS" in text, page + "(1) lists its exit codes")
unit = os.path.join(prefix, "lib", "systemd", "system", "lanmsg-server.service")
if sys.platform.startswith("linux"):
    check(os.path.exists(unit), "the example systemd unit is installed")
    if os.path.exists(unit):
        with open(unit) as f:
            text = f.read()
        check("ExecStart=" + os.path.join(bindir, "lanmsg-server") in text,
              "the unit starts the installed server")
        for opt in ("DynamicUser=yes", "StateDirectory=lanmsg", "ProtectSystem=strict"):
            check(opt in text, "the unit sandboxes the server: " + opt)

# Every help names its exit codes.
for p in ["lanmsg-server", "lanmsg-client"] + (["lanmsg-certgen"] if tls else []):
    r = run([os.path.join(bindir, p), "--help"])
    check(r.returncode == 0 and "Exit codes" in r.stdout, p + " --help lists its exit codes")

if tls:
    env = dict(harness.ENV, HOME=os.path.join(top, "home"),
               XDG_CONFIG_HOME=os.path.join(top, "config"),
               XDG_STATE_HOME=os.path.join(top, "state"))
    env.pop("LANMSG_CERT_DIR", None)
    env.pop("LANMSG_CERTGEN", None)
    os.makedirs(env["HOME"])
    conf = os.path.join(top, "config", "lanmsg")
    here = {n: os.path.join(top, "cwd-" + n) for n in ("helper", "server", "client")}
    for d in here.values():
        os.makedirs(d)

    r = subprocess.run([os.path.join(bindir, "lanmsg-gen-certs")], cwd=here["helper"], env=env,
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "installed lanmsg-gen-certs runs from a folder with no certs/",
          r.stdout + r.stderr)
    for name in ("ca.crt", "server.crt", "server.key"):
        check(os.path.exists(os.path.join(conf, name)),
              "lanmsg-gen-certs wrote %s into the user's config folder" % name)
    check(not os.path.exists(os.path.join(here["helper"], "certs")),
          "and nothing into the current folder")
    key = os.path.join(conf, "server.key")
    if os.path.exists(key):
        check(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "server.key is mode 0600")

    with Server("--tls", "--no-announce", cwd=here["server"], env=env) as srv:
        check(srv.port is not None, "the installed server starts with --tls from another folder")
        line = "\n".join(srv.lines + srv.err_lines)
        check("server.crt" in line and conf in line,
              "and says it uses the certificate from the config folder", line)
        r = run([os.path.join(bindir, "lanmsg-client"), "--tls", "--port", str(srv.port)],
                cwd=here["client"], env=env, timeout=30)
        check(r.returncode == 0 and "Mensagem recebida" in r.stdout,
              "the installed client verifies it with ca.crt from the config folder",
              r.stdout + r.stderr)
        check(not os.path.exists(os.path.join(conf, "known_servers")),
              "verified by the CA: nothing recorded on first use")
        with open(os.path.join(conf, "lanmsg-client.conf"), "w") as f:
            f.write("# written by the install test\nport = %d\ntls\nmessage hello from the config\n"
                    % srv.port)
        r = run([os.path.join(bindir, "lanmsg-client")], cwd=here["client"], env=env, timeout=30)
        check(r.returncode == 0 and "Mensagem recebida" in r.stdout,
              "lanmsg-client.conf in the config folder is read (port, tls)", r.stdout + r.stderr)
        srv.wait_for("hello from the config", timeout=10)
        check(any("hello from the config" in ln for ln in srv.lines),
              "the message from the config file reached the server")
    shutil.rmtree(top, ignore_errors=True)
done()
