"""Chat in Portuguese: a chat client running in Portuguese tells the server
with /lang pt, and the server's notices to it (welcome, /help, errors, bye,
joined/left as it sees them) come in Portuguese, with no English welcome
shown; English users and raw clients (nc) still read English; /lang is
answered with nothing visible, except the welcome again when it is a
session's first line."""
import time

from chatlib import Chat, Raw, harness
from harness import Server, check, done

with Server("--service", "chat") as s:
    en = Chat(s.port, "--nick", "ann")
    check(en.wait_for(r"^\* guest-\d+ is now known as ann$") is not None, "an English user is here",
          en.output() + en.errors())

    # -- the chat client in Portuguese ------------------------------------------
    pt = Chat(s.port, "--lang", "pt", "--nick", "joao")
    check(pt.wait_for(r"^\* bem-vindo, o seu nome é guest-\d+ \(TCP simples\); está cá mais 1 pessoa; "
                      r"/help mostra os comandos$") is not None,
          "the welcome comes in Portuguese", pt.output() + pt.errors())
    check(pt.wait_for(r"^\* guest-\d+ passou a chamar-se joao$") is not None,
          "its own rename notice is in Portuguese", pt.output())
    check(not pt.has(r"welcome"), "the English welcome is not shown", pt.output())
    check(en.wait_for(r"^\* guest-\d+ is now known as joao$") is not None,
          "the English user reads the same event in English", en.output())
    check(not en.has(r"passou|bem-vindo"), "... and nothing in Portuguese", en.output())

    pt.say("/help")
    check(pt.wait_for(r"^\* comandos: /nick NOME .*/lang en\|pt") is not None, "/help in Portuguese",
          pt.output())
    pt.say("/nick bad!name")
    check(pt.wait_for(r"^erro: /nick precisa de um nome de 1 a 32 caracteres") is not None,
          "errors in Portuguese", pt.output())
    pt.say("/msg nobody hi")
    check(pt.wait_for(r"^erro: não está cá ninguém chamado nobody \(veja /who\)$") is not None,
          "... every one of them", pt.output())
    pt.say("/who")
    check(pt.wait_for(r"^\* 2 ligados:$") is not None and
          pt.wait_for(r"^\*   joao \(TCP simples\) - você$") is not None, "/who in Portuguese",
          pt.output())
    en.say("/msg joao olá")
    check(pt.wait_for(r"^<ann> \(privado\) olá$") is not None, "a private message, as it sees it",
          pt.output())
    check(en.wait_for(r"^\* \(private to joao\) olá$") is not None, "... and as its sender does")
    en.say("what users write is not translated")
    check(pt.wait_for(r"^<ann> what users write is not translated$") is not None,
          "messages pass unchanged", pt.output())

    other = Chat(s.port, "--nick", "bea")
    check(pt.wait_for(r"^\* guest-\d+ entrou \(TCP simples\)$") is not None, "joins in Portuguese",
          pt.output())
    check(en.wait_for(r"^\* guest-\d+ joined \(plain\)$") is not None, "... and in English for ann")
    other.say("/quit see you")
    check(other.wait(10) == 0, "/quit with a reason exits 0", other.errors())
    check(pt.wait_for(r"^\* bea saiu \(see you\)$") is not None,
          "leaves in Portuguese; the reason as written", pt.output())
    check(en.wait_for(r"^\* bea left \(see you\)$") is not None, "... and in English for ann")

    # -- a raw client (nc) reads English; /lang by hand --------------------------
    r = Raw(s.port)
    check(r.wait_for(r"^\* welcome, you are guest-\d+ \(plain\); 2 others are here"),
          "a raw client gets the English welcome", "\n".join(r.lines))
    r.send("/lang pt\n")
    check(r.wait_for(r"^\* bem-vindo, o seu nome é guest-\d+ \(TCP simples\); estão cá mais 2 pessoas"),
          "/lang pt as the first line brings the welcome again, in Portuguese", "\n".join(r.lines))
    r.send("/lang xx\n")
    check(r.wait_for(r"^erro: /lang aceita en ou pt \(experimente /lang pt\)$"),
          "an unknown language is refused, in the current one")
    n = len(r.lines)
    r.send("/lang en\n/help\n")
    check(r.wait_for(r"^\* commands: /nick NAME"), "/lang en switches back", "\n".join(r.lines))
    check(len(r.lines) == n + 1, "/lang is answered with nothing visible after the first line",
          "\n".join(r.lines[n:]))
    r.close()

    r = Raw(s.port)
    r.wait_for(r"^\* welcome")
    r.send("/who\n/lang pt\n/help\n")
    check(r.wait_for(r"^\* comandos:"), "/lang later on switches the notices", "\n".join(r.lines))
    check(sum(1 for l in r.lines if "bem-vindo" in l or "welcome" in l) == 1,
          "... without a second welcome", "\n".join(r.lines))
    r.close()

    pt.say("/quit")
    check(pt.wait_for(r"^\* adeus$") is not None, "goodbye in Portuguese", pt.output())
    check(pt.wait(10) == 0, "the Portuguese client exits 0", pt.errors())
    check(en.finish() == 0, "ann leaves")
done()
