#!/usr/bin/env bash
# Re-runs: the CA never changes without --force; --client and --san add or
# renew only the leaves they name, signed by the same CA.
source "$(dirname "$0")/lib.sh" "$@"

gen --out c --san box.lan --client alice
check "first run exits 0" test "$RC" -eq 0
ca0=$(sum c/ca.crt c/ca.key)
srv0=$(sum c/server.crt c/server.key)
alice0=$(sum c/alice.crt c/alice.key)

gen --out c
check "plain re-run exits 2 (nothing to do)" test "$RC" -eq 2
check "plain re-run says why in one line" test "$(lines err)" -eq 1
check "that line names ca.key and --force" bash -c 'grep -q "ca.key" err && grep -q -- "--force" err'
check "plain re-run leaves every byte of the CA" test "$(sum c/ca.crt c/ca.key)" = "$ca0"
check "plain re-run leaves the server pair" test "$(sum c/server.crt c/server.key)" = "$srv0"

gen --out c --client bob
check "--client bob exits 0" test "$RC" -eq 0
check "--client bob keeps the CA" test "$(sum c/ca.crt c/ca.key)" = "$ca0"
check "--client bob keeps the server" test "$(sum c/server.crt c/server.key)" = "$srv0"
check "--client bob keeps alice" test "$(sum c/alice.crt c/alice.key)" = "$alice0"
check "bob is signed by the same CA" openssl verify -CAfile c/ca.crt c/bob.crt
check "bob.key is 0600" test "$(mode c/bob.key)" = 600
check "summary: CA kept" grep -q "ca.crt.*kept" out

bob0=$(sum c/bob.crt c/bob.key)
gen --out c --client bob
check "--client bob again renews bob" bash -c '[ "$1" -eq 0 ] && [ "$2" != "$3" ]' _ "$RC" "$bob0" "$(sum c/bob.crt c/bob.key)"
check "summary says renewed" grep -q "bob.crt + bob.key (renewed)" out
check "renewed bob still verifies" openssl verify -CAfile c/ca.crt c/bob.crt

gen --out c --san 10.1.2.3
check "--san renews the server" bash -c '[ "$1" -eq 0 ] && [ "$2" != "$3" ]' _ "$RC" "$srv0" "$(sum c/server.crt c/server.key)"
srv=$(text c/server.crt)
check "renewed server has the new SAN" has "$srv" "IP Address:10.1.2.3"
check "renewed server keeps the old SAN" has "$srv" "DNS:box.lan"
check "renewed server verifies" openssl verify -CAfile c/ca.crt c/server.crt
check "--san keeps the CA" test "$(sum c/ca.crt c/ca.key)" = "$ca0"
check "no temporary files left" no_tmp c

gen --out c --force
check "--force exits 0" test "$RC" -eq 0
check "--force makes a new CA" test "$(sum c/ca.crt c/ca.key)" != "$ca0"
check "--force explains that old certificates stop working" grep -qi "stops working" out
check "new server verifies against the new CA" openssl verify -CAfile c/ca.crt c/server.crt
v=$(openssl verify -CAfile c/ca.crt c/alice.crt 2>&1)
check "old alice fails against the new CA (different CA)" has "$v" "unable to get local issuer certificate"
gen --out c --list
check "--list marks old alice as not signed by this CA" grep -A5 "^alice.crt" out
check "--list says NO for alice" bash -c 'grep -A5 "^alice.crt" out | grep -q "verifies: NO, not signed by this ca.crt"'
finish
