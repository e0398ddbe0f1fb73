"""Chat identity over TLS without --require-client-cert: users without a
certificate are marked name? everywhere and /msg reaches them with or without
the mark; names compare without regard to case in /nick, /msg, duplicates
and reserved names; a different certificate whose name differs only in case
is refused with a line that says so; and one certificate connected twice is
one user with two sessions (listed once, both get what is sent to the user,
joined/left announced once)."""
import re
import time

from chatlib import Chat, Raw, harness
from harness import Certs, Server, check, done

certs = Certs("--client", "Alice")
try:
    with Server("--service", "chat", "--allow-plain", *certs.server_args()) as s:
        # -- unverified users are marked, everywhere --------------------------
        alice = Chat(s.port, *certs.client_args("alice"))
        check(alice.wait_for(r"^\* welcome, you are alice \(TLS, certificate\)") is not None,
              "alice joins with her certificate, unmarked", alice.output() + alice.errors())
        anon = Chat(s.port, *certs.client_args(), "--nick", "dave")
        check(anon.wait_for(r"^\* welcome, you are guest-\d+\? \(TLS, unverified\)") is not None,
              "a TLS client without a certificate is welcomed as unverified", anon.output())
        check(alice.wait_for(r"^\* guest-\d+\? joined \(TLS, unverified\)$") is not None,
              "its join is marked", alice.output())
        check(alice.wait_for(r"^\* guest-\d+\? is now known as dave\?$") is not None,
              "its new name is marked", alice.output())
        anon.say("hello from dave")
        check(alice.wait_for(r"^<dave\?> hello from dave$") is not None,
              "its messages are marked", alice.output())
        anon.say("/me waves")
        check(alice.wait_for(r"^\* dave\? waves$") is not None, "its actions are marked")
        alice.say("/who")
        check(alice.wait_for(r"^\*   dave\? \(TLS, unverified\)$") is not None,
              "/who marks it", alice.output())
        check(alice.wait_for(r"^\*   alice \(TLS, certificate\) - you$") is not None,
              "/who does not mark a certificate holder")

        alice.say("/msg dave? with the mark")
        check(anon.wait_for(r"^<alice> \(private\) with the mark$") is not None,
              "/msg dave? reaches dave", anon.output())
        alice.say("/msg dave without the mark")
        check(anon.wait_for(r"^<alice> \(private\) without the mark$") is not None,
              "/msg dave reaches dave too", anon.output())
        check(alice.wait_for(r"^\* \(private to dave\?\) without the mark$") is not None,
              "the confirmation shows the mark", alice.output())

        # -- one comparison rule: case-insensitive ------------------------------
        alice.say("/msg DAVE shouting")
        check(anon.wait_for(r"^<alice> \(private\) shouting$") is not None,
              "/msg finds a name whatever its case", anon.output())
        anon.say("/msg ALICE? hi")
        check(alice.wait_for(r"^<dave\?> \(private\) hi$") is not None,
              "/msg ALICE? reaches alice", alice.output())
        plain = Chat(s.port)
        check(plain.wait_for(r"^\* welcome, you are guest-\d+\? \(plain, unverified\)") is not None,
              "a plain client is marked unverified", plain.output() + plain.errors())
        plain.say("/nick DAVE")
        check(plain.wait_for(r"^error: the name DAVE is taken; pick another$") is not None,
              "a name in use is taken whatever the case", plain.output())
        plain.say("/nick aLiCe")
        check(plain.wait_for(r"^error: the name aLiCe belongs to a certificate holder") is not None,
              "a certificate holder's name is reserved whatever the case", plain.output())
        anon.say("/nick Dave")
        check(alice.wait_for(r"^\* dave\? is now known as Dave\?$") is not None,
              "a user may change the case of its own name", alice.output())
        plain.say("/nick dave?")
        check(plain.wait_for(r"^error: /nick needs a name of 1 to 32 characters") is not None,
              "the mark cannot be part of a name", plain.output())

        # -- a different certificate with the same name but for case ----------
        other = Chat(s.port, *certs.client_args("Alice"))
        check(other.wait_for(r"^error: your certificate's name Alice is the name alice, already in use "
                             r"by a different certificate \(names are compared without regard to "
                             r"case: ask for a certificate with another name\)$") is not None,
              "a different certificate claiming a name in use is told exactly that",
              other.output() + other.errors())
        check(other.wait(10) == 1, "... and is disconnected (exit 1)")
        check(s.wait_for(r"\[chat\] 127\.0\.0\.1:\d+ refused: certificate name Alice clashes with "
                         r"alice") is not None, "the server logs why", s.output())
        time.sleep(0.3)
        check(not anon.has(r"Alice joined"), "the other certificate never joined", anon.output())

        # -- the owner is away: the name stays reserved -----------------------
        alice.finish()
        check(anon.wait_for(r"^\* alice left$") is not None, "alice leaves")
        anon.say("/nick alice")
        check(anon.wait_for(r"^error: the name alice belongs to a certificate holder") is not None,
              "a certificate name stays reserved while its owner is away", anon.output())
        for cl in (anon, plain):
            check(cl.finish() == 0, "Ctrl-D exits 0", cl.errors())

    # -- one certificate, two sessions -------------------------------------------
    with Server("--service", "chat", "--require-client-cert", *certs.server_args()) as s:
        bob = Chat(s.port, *certs.client_args("bob"))
        bob.wait_for(r"^\* welcome")
        a1 = Chat(s.port, *certs.client_args("alice"))
        check(a1.wait_for(r"^\* welcome, you are alice \(TLS, certificate\); 1 other is here; "
                          r"/help lists commands$") is not None, "alice's first session joins",
              a1.output() + a1.errors())
        a2 = Chat(s.port, *certs.client_args("alice"))
        m = a2.wait_for(r"^\* welcome, you are alice \(TLS, certificate\); 1 other is here; /help lists "
                        r"commands; you are also connected from (127\.0\.0\.1:\d+) \(2 sessions\)$")
        check(m is not None, "a second session with the same certificate is welcomed as the same user, "
              "told where the other session is", a2.output() + a2.errors())
        check(a1.wait_for(r"^\* another session of yours joined from 127\.0\.0\.1:\d+ \(2 sessions\)$")
              is not None, "the first session is told another one joined", a1.output())
        bob.say("/who")
        check(bob.wait_for(r"^\* 2 connected:$") is not None, "/who counts the user once", bob.output())
        check(bob.wait_for(r"^\*   alice \(TLS, certificate; 2 sessions\)$") is not None,
              "/who lists alice once, with her sessions", bob.output())
        time.sleep(0.3)
        check(len([l for l in bob.output().splitlines() if re.match(r"^\* alice", l)]) == 1,
              "bob saw alice join once", bob.output())

        bob.say("/msg alice for both of you")
        for i, a in ((1, a1), (2, a2)):
            check(a.wait_for(r"^<bob> \(private\) for both of you$") is not None,
                  "a private message to alice reaches session %d" % i, a.output())
        bob.say("hello room")
        for i, a in ((1, a1), (2, a2)):
            check(a.wait_for(r"^<bob> hello room$") is not None,
                  "a public message reaches session %d" % i, a.output())
        a1.say("typed on the laptop")
        check(a2.wait_for(r"^<alice> typed on the laptop$") is not None,
              "alice's line from one session shows on her other one", a2.output())
        check(bob.wait_for(r"^<alice> typed on the laptop$") is not None, "... and reaches bob once")

        a1.finish()
        check(a2.wait_for(r"^\* your session from 127\.0\.0\.1:\d+ left \(1 left\)$") is not None,
              "the other session is told one left", a2.output())
        check(s.wait_for(r"\[chat\] alice \(127\.0\.0\.1:\d+\) left") is not None, "the server logs it")
        bob.say("/who")
        check(bob.wait_for(r"^\*   alice \(TLS, certificate\)$") is not None,
              "/who shows one session left", bob.output())
        check(not bob.has(r"^\* alice left"), "no leave notice while a session remains", bob.output())
        a2.say("/quit off to lunch")
        check(a2.wait(10) == 0, "/quit with a reason exits 0", a2.errors())
        check(bob.wait_for(r"^\* alice left \(off to lunch\)$") is not None,
              "the last session leaving is announced, with the reason", bob.output())
        check(bob.finish() == 0, "bob leaves")
finally:
    certs.cleanup()
done()
