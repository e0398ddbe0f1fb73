#!/usr/bin/env bash
# The certificates work for real TLS: openssl s_server with server.crt, and
# s_client trusting only ca.crt, checking the host name or the IP address,
# with and without a client certificate. Loopback only; every step bounded.
source "$(dirname "$0")/lib.sh" "$@"

gen --out c --client alice
check "certificates made" test "$RC" -eq 0
gen --out other
mkdir -p x && cp c/ca.crt c/ca.key x/ && gen --out x --san expired.lan --expired

# serve DIR [extra s_server args...]: start a one-connection s_server on a
# free loopback port, leaving its port in $PORT and its pid in $SPID. -www
# makes it answer without reading stdin (stdin at EOF would end a session).
serve() {
    local dir=$1
    shift
    for attempt in 1 2 3 4 5; do
        PORT=$((20000 + RANDOM % 40000))
        timeout 30 openssl s_server -accept "127.0.0.1:$PORT" -naccept 1 -www \
            -cert "$dir/server.crt" -key "$dir/server.key" "$@" </dev/null >"$WORK/srv.out" 2>&1 &
        SPID=$!
        for _ in $(seq 50); do
            grep -q ACCEPT "$WORK/srv.out" 2>/dev/null && return 0
            kill -0 "$SPID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$SPID" 2>/dev/null
        wait "$SPID" 2>/dev/null
    done
    return 1
}
# connect ARGS...: s_client to $PORT; output in $WORK/cli.out, rc in $RC
connect() {
    RC=0
    echo | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -verify_return_error \
        -CAfile c/ca.crt "$@" >"$WORK/cli.out" 2>&1 || RC=$?
    kill "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
}
# The verdict is what s_client printed about verification and the cipher,
# not its exit status: with -www the server may close before s_client's own
# goodbye, which makes the exit status depend on timing (seen under load).
handshake_ok() {
    grep -q "Verify return code: 0 (ok)" "$WORK/cli.out" &&
        grep -q "Cipher is [A-Z]" "$WORK/cli.out" && ! grep -q "Cipher is (NONE)" "$WORK/cli.out"
}

serve c && connect -verify_hostname localhost
check "s_client verifies the server for host localhost" handshake_ok
serve c && connect -verify_ip 127.0.0.1
check "s_client verifies the server for IP 127.0.0.1" handshake_ok
if grep -qE '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$' <<<"$(hostname)"; then
    serve c && connect -verify_hostname "$(hostname)"
    check "s_client verifies the server for this host's name" handshake_ok
fi
serve c -Verify 1 -verify_return_error -CAfile c/ca.crt && connect -verify_hostname localhost -cert c/alice.crt -key c/alice.key
check "mutual TLS with alice's certificate" handshake_ok

serve c && connect -verify_hostname wrong.example
check_not "wrong host name is refused" handshake_ok
check "... because of the host name" grep -q "hostname mismatch" "$WORK/cli.out"
serve other && connect -verify_hostname localhost
check_not "a server from another CA is refused" handshake_ok
check "... because the issuer is unknown" grep -q "unable to get local issuer certificate" "$WORK/cli.out"
serve x && connect -verify_hostname localhost
check_not "an expired server certificate is refused" handshake_ok
check "... because it expired" grep -q "certificate has expired" "$WORK/cli.out"
finish
