"""The documentation lists every flag: each option that lanmsg-server,
lanmsg-client, lanmsg-certgen and lanmsg-bench --help print appears in README.md's text
and in the program's man page, and each program's --help and man page name
its exit codes. A flag added to a program without its documentation fails
here."""
import os
import re

from harness import BIN, CERTGEN, CLIENT, SERVER, check, done, run

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
    readme = f.read()


def man_text(name):
    with open(os.path.join(root, "docs", "man", name + ".1"), encoding="utf-8") as f:
        # groff escapes the dashes of options: \-\-port
        return f.read().replace("\\-", "-")


def flags_of(help_text):
    return sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])\b", help_text)))


BENCH = os.path.join(BIN, "lanmsg-bench")
for prog, in_readme in ((SERVER, True), (CLIENT, True), (CERTGEN, False), (BENCH, False)):
    name = os.path.basename(prog)
    if not os.path.exists(prog):
        continue  # lanmsg-certgen: TLS builds only; lanmsg-bench: not built for Windows
    r = run([prog, "--help"])
    check(r.returncode == 0 and "Exit codes" in r.stdout, name + " --help lists its exit codes")
    flags = flags_of(r.stdout)
    check(len(flags) >= 10, name + " --help lists its flags (%d found)" % len(flags))
    man = man_text(name)
    check(".SH EXIT STATUS" in man, name + "(1) lists its exit codes")
    missing_man = [f for f in flags if not re.search(re.escape(f) + r"(?![a-z0-9-])", man)]
    check(not missing_man, name + "(1) documents every flag of --help", " ".join(missing_man))
    if in_readme:
        missing = [f for f in flags if not re.search("`[^`\n]*" + re.escape(f) + r"(?![a-z0-9-])",
                                                     readme)]
        check(not missing, "README.md documents every flag of %s --help" % name, " ".join(missing))
done()
