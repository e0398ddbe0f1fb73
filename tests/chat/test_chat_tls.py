"""Chat over mutual TLS: three real clients with certificates from
lanmsg-certgen see each other's messages under their certificate names;
/who and /msg work; nobody can take a certificate holder's name; a client
killed mid-conversation is announced as gone; Ctrl-C leaves cleanly; a
server going away is reported."""
import signal
import time

from chatlib import Chat, harness
from harness import Certs, Server, check, done

certs = Certs()
try:
    # -- three clients over mutual TLS -------------------------------------
    with Server("--service", "chat", "--require-client-cert", *certs.server_args()) as s:
        users = {}
        for name in ("alice", "bob", "carol"):
            users[name] = Chat(s.port, *certs.client_args(name))
            check(users[name].wait_for(r"^\* welcome, you are %s \(TLS, certificate\)" % name),
                  "%s is named after its certificate" % name, users[name].output() + users[name].errors())
        a, b, c = users["alice"], users["bob"], users["carol"]
        check(a.wait_for(r"^\* carol joined \(TLS, certificate\)$") is not None,
              "alice sees carol join", a.output())
        for name, cl in users.items():
            cl.say("hello from %s" % name)
        for name, cl in users.items():
            for other in users:
                if other == name:
                    continue
                check(cl.wait_for(r"^<%s> hello from %s$" % (other, other)) is not None,
                      "%s sees %s's message with the right name" % (name, other), cl.output())
            check(not cl.has(r"^<%s> hello from %s$" % (name, name)),
                  "%s does not get its own message back" % name)

        a.say("/who")
        check(a.wait_for(r"^\* 3 connected:$") is not None, "/who counts three", a.output())
        for name in ("alice", "bob", "carol"):
            check(a.wait_for(r"^\*   %s \(TLS, certificate\)" % name) is not None,
                  "/who lists %s with its transport" % name, a.output())
        check(a.has(r"^\*   alice \(TLS, certificate\) - you$"), "/who marks the asker")

        a.say("/msg bob psst bob")
        check(b.wait_for(r"^<alice> \(private\) psst bob$") is not None, "/msg reaches bob", b.output())
        check(a.wait_for(r"^\* \(private to bob\) psst bob$") is not None, "/msg is confirmed to alice")
        c.say("/me waves")
        check(a.wait_for(r"^\* carol waves$") is not None and b.wait_for(r"^\* carol waves$") is not None,
              "/me is shown as an action")
        time.sleep(0.5)
        check(not c.has("psst"), "carol does not see the private message", c.output())

        a.say("/nick mallory")
        check(a.wait_for(r"^error: your name alice comes from your certificate") is not None,
              "/nick is refused under mutual TLS", a.output())
        b.say("/foo")
        check(b.wait_for(r"^error: unknown command /foo \(try /help\)$") is not None,
              "an unknown command gets one error line", b.output())
        b.say("/msg nobody hi")
        check(b.wait_for(r"^error: nobody called nobody is here") is not None, "/msg to nobody is refused")
        time.sleep(0.5)
        check(not a.has("unknown command") and not c.has("unknown command"),
              "errors go only to the client that caused them")
        b.say("/help")
        check(b.wait_for(r"^\* commands: /nick NAME") is not None, "/help lists the commands")

        # SIGKILL mid-conversation: the others see carol leave and go on
        c.kill()
        check(a.wait_for(r"^\* carol left$") is not None and b.wait_for(r"^\* carol left$") is not None,
              "a client killed with SIGKILL is announced as gone", a.output())
        a.say("still here")
        check(b.wait_for(r"^<alice> still here$") is not None, "the others keep chatting after a kill")

        # Ctrl-C leaves cleanly (close_notify), exit 0
        b.proc.send_signal(signal.SIGINT)
        check(b.wait(10) == 0, "Ctrl-C leaves with exit 0", b.errors())
        check(a.wait_for(r"^\* bob left$") is not None, "alice sees bob leave after Ctrl-C")
        check(s.wait_for(r"disconnected \(closed by peer\)") is not None,
              "the server saw an orderly close (close_notify)", s.output())

        # /quit leaves with exit 0
        a.say("/quit")
        check(a.wait_for(r"^\* bye$") is not None, "/quit is answered")
        check(a.wait(10) == 0, "/quit exits 0", a.errors())

    # -- names: certificate CNs are reserved, plain clients are marked -------
    with Server("--service", "chat", "--allow-plain", *certs.server_args()) as s:
        alice = Chat(s.port, *certs.client_args("alice"))
        check(alice.wait_for(r"^\* welcome, you are alice \(TLS, certificate\)") is not None,
              "alice joins with her certificate", alice.output() + alice.errors())
        anon = Chat(s.port, *certs.client_args())
        check(anon.wait_for(r"^\* welcome, you are guest-\d+\? \(TLS, unverified\)") is not None,
              "a TLS client without certificate gets a guest name, marked unverified",
              anon.output() + anon.errors())
        anon.say("/nick alice")
        check(anon.wait_for(r"^error: the name alice belongs to a certificate holder") is not None,
              "nobody can take a certificate holder's name", anon.output())
        anon.say("/nick ALICE")
        check(anon.wait_for(r"^error: the name ALICE belongs", timeout=5) is not None,
              "... whatever the case")
        anon.say("/nick guest-1")
        check(anon.wait_for(r"^error: names starting with guest- are given by the server") is not None,
              "guest- names cannot be picked")
        anon.say("/nick bad!name")
        check(anon.wait_for(r"^error: /nick needs a name of 1 to 32 characters") is not None,
              "a bad name is refused with the rule")
        anon.say("/nick dave")
        check(alice.wait_for(r"^\* guest-\d+\? is now known as dave\?$") is not None,
              "/nick renames; the name stays marked unverified", alice.output())

        plain = Chat(s.port, "--nick", "bob")
        check(plain.wait_for(r"^\* welcome, you are guest-\d+\? \(plain, unverified\)") is not None,
              "a plain client is marked unverified", plain.output() + plain.errors())
        check(alice.wait_for(r"^\* guest-\d+\? is now known as bob\?$") is not None,
              "its name is shown with a '?'", alice.output())
        plain.say("/nick dave")
        check(plain.wait_for(r"^error: the name dave is taken") is not None, "a taken name is refused")
        plain.say("hi, I am bob")
        check(alice.wait_for(r"^<bob\?> hi, I am bob$") is not None,
              "TLS clients see the plain client's messages marked", alice.output())
        alice.say("/who")
        check(alice.wait_for(r"^\*   bob\? \(plain, unverified\)$") is not None,
              "/who marks the plain client unverified", alice.output())
        check(alice.wait_for(r"^\*   dave\? \(TLS, unverified\)$") is not None,
              "/who shows TLS without certificate as unverified", alice.output())
        # alice leaves; her name stays reserved
        alice.finish()
        check(anon.wait_for(r"^\* alice left$") is not None, "alice leaves")
        plain.say("/nick alice")
        check(plain.wait_for(r"^error: the name alice belongs to a certificate holder") is not None,
              "a certificate name stays reserved while its owner is away")

        # the server going away is reported, exit 1
        s.stop()
        check(plain.wait(10) == 1, "the server going away exits 1")
        check("server 127.0.0.1:%d closed the connection" % s.port in plain.errors(),
              "... with a clear message", plain.errors())
        anon.wait(10)
        for cl in (anon,):
            check("closed the connection" in cl.errors(), "TLS client reports it too", cl.errors())

    # -- --chat-require-tls ------------------------------------------------
    with Server("--service", "chat", "--allow-plain", "--chat-require-tls", *certs.server_args()) as s:
        alice = Chat(s.port, *certs.client_args("alice"))
        alice.wait_for(r"^\* welcome")
        plain = Chat(s.port, "--nick", "eve")
        check(plain.wait_for(r"^\* welcome, .*; note: this server does not relay messages from plain TCP")
              is not None,
              "a plain client is told its messages do not reach TLS clients",
              plain.output() + "\n" + plain.errors())
        plain2 = Chat(s.port, "--nick", "pete")
        plain2.wait_for(r"^\* welcome")
        plain.say("can anyone hear me")
        check(plain2.wait_for(r"^<eve\?> can anyone hear me$") is not None,
              "plain clients still hear each other", plain2.output())
        plain.say("/msg alice psst")
        check(plain.wait_for(r"^error: alice uses TLS and this server does not relay") is not None,
              "/msg from plain to TLS is refused")
        alice.say("hello plain world")
        check(plain.wait_for(r"^<alice> hello plain world$") is not None, "TLS messages reach plain clients")
        time.sleep(0.7)
        check(not alice.has("can anyone hear me") and not alice.has("psst"),
              "--chat-require-tls: plain clients' messages do not reach TLS clients", alice.output())
        for cl in (alice, plain, plain2):
            check(cl.finish() == 0, "Ctrl-D leaves with exit 0", cl.errors())
finally:
    certs.cleanup()
done()
