"""Helpers for the interop and abuse tests: run a third-party peer that
stays open (openssl s_client, gnutls-cli, socat, ncat), feed it a line, and
wait for a line of its output, with a time limit. Imports the integration
harness so that every test starts the real binaries the same way."""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from harness import ENV, Peer, talk  # noqa: E402,F401  (Peer, talk: for the tests)


def tls13_available(server_bin):
    """Our build has TLS 1.3 when its library is mbed TLS 3.x."""
    r = subprocess.run([server_bin, "--version"], capture_output=True, text=True, env=ENV)
    return "mbed TLS 3." in r.stdout or "Mbed TLS 3." in r.stdout
