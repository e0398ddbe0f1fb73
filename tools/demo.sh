#!/usr/bin/env bash
# The README's first command: install what is missing, build, and show the
# tutorial's exchange over plain TCP, then over TLS with fresh certificates.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/setup.sh" --for demo "$root/build" >/dev/null
bin=$root/build/bin
demo=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$demo"' EXIT

# A free port, so the demo never collides with a server already on 5000.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

echo "== plain TCP, as in the tutorial =="
"$bin/lanmsg-server" --host 127.0.0.1 --port "$port" &
server=$!
sleep 0.5
"$bin/lanmsg-client" --port "$port" </dev/null
kill -TERM $server && wait $server || true

echo
echo "== TLS, with certificates made by tools/gen-certs.sh =="
LANMSG_CERTGEN=$bin/lanmsg-certgen "$root/tools/gen-certs.sh" --out "$demo" --client alice
# -v: the server also says whether each session was resumed and whose
# certificate the client showed.
"$bin/lanmsg-server" --host 127.0.0.1 --port "$port" --tls -v \
    --cert "$demo/server.crt" --key "$demo/server.key" --ca "$demo/ca.crt" &
server=$!
sleep 0.5
"$bin/lanmsg-client" --port "$port" --tls --ca "$demo/ca.crt" </dev/null
echo
echo "== mutual TLS: alice proves who she is with her certificate =="
"$bin/lanmsg-client" --port "$port" --tls --ca "$demo/ca.crt" \
    --cert "$demo/alice.crt" --key "$demo/alice.key" -m "Olá, sou a alice" </dev/null
kill -TERM $server && wait $server || true
echo
echo "Done. The programs are in build/bin; see README.md for more."
