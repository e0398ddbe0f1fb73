#!/usr/bin/env bash
# A first run makes a CA, a server and a client that openssl accepts, with
# the names, usages and constraints asked for, and the right file modes.
source "$(dirname "$0")/lib.sh" "$@"

umask 000 # keys must still come out 0600
gen --out c --san 192.168.7.7 --san Box.LAN --san fe80::1 --client alice
check "first run exits 0" test "$RC" -eq 0
check "first run writes nothing on stderr" test ! -s err
umask 022

for f in ca server alice; do
    check "$f.key is 0600 under umask 000" test "$(mode c/$f.key)" = 600
    check "$f.crt is 0644 under umask 000" test "$(mode c/$f.crt)" = 644
done
check "no temporary files left" no_tmp c

check "openssl verifies server.crt" openssl verify -CAfile c/ca.crt c/server.crt
check "openssl verifies alice.crt" openssl verify -CAfile c/ca.crt c/alice.crt
check "server.crt is fit for sslserver" openssl verify -purpose sslserver -CAfile c/ca.crt c/server.crt
check "alice.crt is fit for sslclient" openssl verify -purpose sslclient -CAfile c/ca.crt c/alice.crt
check_not "alice.crt is not fit for sslserver" openssl verify -purpose sslserver -CAfile c/ca.crt c/alice.crt
check_not "server.crt is not fit for sslclient" openssl verify -purpose sslclient -CAfile c/ca.crt c/server.crt

ca=$(text c/ca.crt)
check "CA: basicConstraints critical" grep -qA1 "Basic Constraints: critical" <<<"$ca"
check "CA: CA:TRUE, pathlen:0" has "$ca" "CA:TRUE, pathlen:0"
check "CA: keyCertSign + cRLSign" has "$ca" "Certificate Sign, CRL Sign"
check "CA: subject key identifier" has "$ca" "Subject Key Identifier"
check "CA: valid about 10 years" test "$(openssl x509 -in c/ca.crt -noout -enddate | grep -oE '20[0-9]{2}')" -ge "$(($(date -u +%Y) + 9))"
check "CA: ECDSA P-256" has "$ca" "prime256v1"

srv=$(text c/server.crt)
for san in "DNS:localhost" "IP Address:127.0.0.1" "IP Address:0:0:0:0:0:0:0:1" \
    "IP Address:192.168.7.7" "DNS:box.lan" "IP Address:FE80:0:0:0:0:0:0:1"; do
    check "server SAN $san" grep -qi -- "$san" <<<"$srv"
done
# The host's own name is added when it is a valid DNS name (it may not be).
if grep -qE '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$' <<<"$(hostname)"; then
    check "server SAN DNS:$(hostname)" grep -qi -- "DNS:$(hostname)" <<<"$srv"
fi
check "server CN is the first DNS name (localhost)" has "$(openssl x509 -in c/server.crt -noout -subject)" "CN = localhost"
check "server EKU serverAuth" has "$srv" "TLS Web Server Authentication"
check_not "server EKU has no clientAuth" has "$srv" "TLS Web Client Authentication"
check "server keyUsage digitalSignature" has "$srv" "Digital Signature"
check "server subject and authority key ids" bash -c 'grep -q "Subject Key Identifier" <<<"$1" && grep -q "Authority Key Identifier" <<<"$1"' _ "$srv"
ski=$(grep -A1 "Subject Key Identifier" <<<"$ca" | tail -1 | tr -d ' ')
aki=$(grep -A1 "Authority Key Identifier" <<<"$srv" | tail -1 | tr -d ' ' | sed 's/^keyid://')
check "server AKI = CA SKI" test "$ski" = "$aki"
serial=$(openssl x509 -in c/server.crt -noout -serial | cut -d= -f2)
check "serial is 128 bits" test "${#serial}" -eq 32
check "serial is positive (top bit clear)" test "$((16#${serial:0:1}))" -lt 8
check "two certificates have different serials" test "$serial" != "$(openssl x509 -in c/alice.crt -noout -serial | cut -d= -f2)"

cl=$(text c/alice.crt)
check "alice CN" has "$(openssl x509 -in c/alice.crt -noout -subject)" "CN = alice"
check "alice EKU clientAuth" has "$cl" "TLS Web Client Authentication"
check_not "alice EKU has no serverAuth" has "$cl" "TLS Web Server Authentication"
check "alice valid ~825 days" test "$(($(date -d "$(openssl x509 -in c/alice.crt -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)))" -gt $((824 * 86400))
check "keys pair with their certs" test "$(openssl pkey -in c/alice.key -pubout)" = "$(openssl x509 -in c/alice.crt -noout -pubkey)"

out=$(cat out)
check "summary names ca.crt for every machine" grep -q "ca.crt.*every" <<<"$out"
check "summary says server pair stays on the server" grep -q "server.crt + server.key.*server" <<<"$out"
check "summary says alice's pair goes to alice only" grep -q "alice.crt + alice.key.*alice only" <<<"$out"

gen --out c --list
check "--list exits 0" test "$RC" -eq 0
check "--list shows the server subject" grep -q "CN=localhost" out
check "--list shows the SANs" grep -q "192.168.7.7" out
check "--list shows every certificate verifying" test "$(grep -c 'verifies: yes' out)" -eq 3
gen --out c --list --lang pt
check "--lang pt translates --list" grep -q "titular" out

gen --help
check "--help exits 0 and shows usage" bash -c '[ "$1" -eq 0 ] && grep -q -- "--client" out' _ "$RC"
gen --version
check "--version exits 0" bash -c '[ "$1" -eq 0 ] && grep -q "lanmsg-certgen" out' _ "$RC"
finish
