#!/bin/sh
# TLS backend test: make throw-away certificates with openssl, run the C
# checks, then check interoperability with openssl s_client and s_server.
# Usage: run_tls_test.sh TEST_BINARY
set -eu
BIN=$1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lanmsg-tls.XXXXXX")
SPID=
cleanup() {
    if [ -n "$SPID" ]; then kill "$SPID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
cd "$WORK"
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- certificates (EC P-256, like tools/gen-certs.sh) ----
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }
ca() { # name subject
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -subj "$2" -days 30 -sha256 -out "$1.crt" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() { # name subject ca extensions
    key "$1.key"
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    printf '%s\n' "$4" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -days 30 \
        -sha256 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
SRV_EXT='subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth'
ca ca "/CN=lanmsg test CA"
ca other-ca "/CN=some other CA"
leaf server "/CN=localhost" ca "$SRV_EXT"
leaf server-v4 "/CN=localhost" ca 'subjectAltName=DNS:localhost,IP:127.0.0.1'
leaf other "/CN=localhost" other-ca "$SRV_EXT"
leaf client "/CN=alice" ca 'extendedKeyUsage=clientAuth'

# An expired certificate needs explicit dates, which only `openssl ca` takes.
key expired.key
openssl req -new -key expired.key -subj "/CN=localhost" -out expired.csr
mkdir -p ca-db && : > ca-db/index.txt && echo 1000 > ca-db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = ext
[any]
commonName = supplied
[ext]
$SRV_EXT
CNF
openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr -out expired.crt \
    -startdate 20200101000000Z -enddate 20210101000000Z 2>/dev/null
cp server.key open.key
echo "this is not a certificate" > garbage.crt

# ---- the C checks ----
timeout 60 "$BIN" "$WORK" || fail "C checks"

# ---- openssl s_client against our server ----
timeout 20 "$BIN" "$WORK" serve port.txt > serve.out 2>&1 &
SPID=$!
i=0
while [ ! -s port.txt ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat port.txt)
timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile ca.crt -verify_return_error \
    -verify_hostname localhost -brief < /dev/null > s_client.out 2>&1 || true
wait "$SPID" || { cat serve.out s_client.out; fail "our server against openssl s_client"; }
SPID=
cat s_client.out
grep -q "Verification: OK" s_client.out || fail "s_client did not verify our server"
grep -Eq "Protocol version: TLSv1\.[23]" s_client.out || fail "s_client: no TLS 1.2/1.3"
grep -Eq "Ciphersuite: (ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)|TLS_(AES_(128_GCM_SHA256|256_GCM_SHA384)|CHACHA20_POLY1305_SHA256))" \
    s_client.out || fail "s_client: not an ECDHE AEAD suite"

# ---- our client against openssl s_server, on a port that turns out free ----
s_server() { # cert key: start one that answers once; sets PORT and SPID
    ok=
    for try in 1 2 3 4 5; do
        PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
        # -www: answer by itself, without reading stdin; -naccept 1: then exit.
        timeout 15 openssl s_server -accept "127.0.0.1:$PORT" -cert "$1" -key "$2" \
            -www -naccept 1 < /dev/null > s_server.out 2>&1 &
        SPID=$!
        i=0
        while ! grep -q ACCEPT s_server.out 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        if grep -q ACCEPT s_server.out; then ok=1; break; fi
        kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; SPID=
    done
    [ -n "$ok" ] || fail "could not start openssl s_server"
}
s_server_stop() {
    kill "$SPID" 2>/dev/null || true
    wait "$SPID" 2>/dev/null || true
    SPID=
}
s_server server.crt server.key
timeout 10 "$BIN" "$WORK" connect "$PORT" > connect.out 2>&1 || { cat connect.out; fail "our client against openssl s_server"; }
cat connect.out
grep -Eq "^connected: TLS 1\.[23] (ECDHE-|TLS_).* verified=1$" connect.out || fail "client description"
s_server_stop

# An expired server certificate (our own server will not even start with one).
s_server expired.crt expired.key
if timeout 10 "$BIN" "$WORK" connect "$PORT" > connect.out 2>&1; then
    cat connect.out; fail "our client accepted an expired certificate"
fi
cat connect.out
grep -q "has expired (renew it with tools/gen-certs.sh)" connect.out || fail "expired: no clear message"
s_server_stop
echo "TLS test passed"
