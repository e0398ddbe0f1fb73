#!/usr/bin/env bash
# --key-type rsa: RSA 3072 everywhere, keyEncipherment on the server.
source "$(dirname "$0")/lib.sh" "$@"

gen --out c --key-type rsa --client carol
check "rsa run exits 0" test "$RC" -eq 0
for f in ca server carol; do
    check "$f is RSA 3072" has "$(text c/$f.crt)" "Public-Key: (3072 bit)"
done
check "server keyUsage has keyEncipherment" has "$(text c/server.crt)" "Digital Signature, Key Encipherment"
check "openssl verifies the RSA server" openssl verify -CAfile c/ca.crt c/server.crt
check "openssl verifies the RSA client" openssl verify -CAfile c/ca.crt c/carol.crt
check "rsa keys are 0600" test "$(mode c/carol.key)" = 600
gen --out c --client dave
check "an EC leaf under an RSA CA" bash -c '[ "$1" -eq 0 ] && openssl verify -CAfile c/ca.crt c/dave.crt' _ "$RC"
finish
