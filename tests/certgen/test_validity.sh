#!/usr/bin/env bash
# Expired and not-yet-valid certificates, for the verification-failure
# tests: openssl must reject them with the right reason.
source "$(dirname "$0")/lib.sh" "$@"

gen --out c
check "first run exits 0" test "$RC" -eq 0
gen --out c --client old --expired
check "--expired exits 0" test "$RC" -eq 0
v=$(openssl verify -CAfile c/ca.crt c/old.crt 2>&1)
check "expired certificate fails: certificate has expired" has "$v" "certificate has expired"
gen --out c --client future --not-yet-valid
v=$(openssl verify -CAfile c/ca.crt c/future.crt 2>&1)
check "not-yet-valid certificate fails: certificate is not yet valid" has "$v" "certificate is not yet valid"
gen --out c --client fixed --not-before 20200101000000 --not-after 20210101000000
check "explicit dates exit 0" test "$RC" -eq 0
check "explicit notBefore is used" has "$(openssl x509 -in c/fixed.crt -noout -startdate)" "Jan  1 00:00:00 2020 GMT"
check "explicit notAfter is used" has "$(openssl x509 -in c/fixed.crt -noout -enddate)" "Jan  1 00:00:00 2021 GMT"
gen --out c --client short --days 10
end=$(date -d "$(openssl x509 -in c/short.crt -noout -enddate | cut -d= -f2)" +%s)
check "--days 10 gives ten days" test $((end - $(date +%s))) -le $((10 * 86400))
gen --out c --san late.lan --expired
v=$(openssl verify -CAfile c/ca.crt c/server.crt 2>&1)
check "an expired server certificate can be made too" has "$v" "certificate has expired"
gen --out c --list
check "--list says EXPIRED" bash -c 'grep -A5 "^old.crt" out | grep -q "EXPIRED"'
check "--list says not yet valid" bash -c 'grep -A5 "^future.crt" out | grep -q "not yet valid"'
check "--list gives the reason" bash -c 'grep -A5 "^old.crt" out | grep -q "verifies: NO, expired"'
finish
