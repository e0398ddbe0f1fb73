"""Reserved chat names survive a restart: a name seen on a verified
certificate is written to STATE/chat-names, and the next server run with the
same state folder refuses it to users without a certificate, whatever the
case; without the folder it is free again. An unreadable list stops the
server at start, in one line.

Needs the server's --state-dir (it hands the folder to the service as
lm_service_params.state_dir); skipped (77) by a server without it."""
import os
import shutil
import tempfile

from chatlib import Chat, harness
from harness import Certs, Server, check, done, run

if "--state-dir" not in run([harness.SERVER, "--help"]).stdout:
    print("skip: this lanmsg-server has no --state-dir option (the chat service keeps reserved "
          "names only when the server gives it a state folder)")
    raise SystemExit(77)

certs = Certs()
state = tempfile.mkdtemp(prefix="lanmsg-state-")
try:
    names = os.path.join(state, "chat-names")
    args = ["--service", "chat", "--allow-plain"] + certs.server_args()
    with Server(*(args + ["--state-dir", state])) as s:
        alice = Chat(s.port, *certs.client_args("alice"))
        check(alice.wait_for(r"^\* welcome, you are alice \(TLS, certificate\)") is not None,
              "alice joins with her certificate", alice.output() + alice.errors())
        check(alice.finish() == 0, "alice leaves")
    check(os.path.exists(names), "the server kept the names in STATE/chat-names", str(os.listdir(state)))
    with open(names) as f:
        kept = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    check(kept == ["alice"], "one name per line: alice", repr(kept))
    check(not os.path.exists(names + ".tmp"), "no temporary file is left behind")

    with Server(*(args + ["--state-dir", state])) as s:
        guest = Chat(s.port, "--nick", "ALICE")
        check(guest.wait_for(r"^error: the name ALICE belongs to a certificate holder; pick another$")
              is not None, "after a restart, alice's name is still reserved, whatever the case",
              guest.output() + guest.errors())
        check(guest.finish() == 0, "the guest leaves")

    with Server(*(args + ["--state-dir", tempfile.mkdtemp(prefix="lanmsg-state-")])) as s:
        guest = Chat(s.port, "--nick", "alice")
        check(guest.wait_for(r"^\* guest-\d+\? is now known as alice\?$") is not None,
              "with another (empty) state folder, the name is free (it came from the folder)",
              guest.output() + guest.errors())
        guest.finish()

    os.remove(names)
    os.mkdir(names)  # a list that exists and cannot be read
    r = run([harness.SERVER, "--port", "0", "--state-dir", state] + args, timeout=10)
    check(r.returncode != 0 and "cannot read %s" % names in r.stderr and harness.one_line_error(r.stderr),
          "an unreadable list stops the server at start, in one line", r.stdout + r.stderr)
finally:
    certs.cleanup()
    shutil.rmtree(state, ignore_errors=True)
done()
