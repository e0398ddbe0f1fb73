# Shared helpers for the certgen tests (sourced, not run).
# Usage in a test: source lib.sh "$@"; ... ; finish
set -u
TOOL=${1:?usage: test_X.sh /path/to/lanmsg-certgen}
TOOL=$(cd "$(dirname "$TOOL")" && pwd)/$(basename "$TOOL")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lanmsg-certgen-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
PASS=0
FAIL=0
export LANG=C LC_ALL=C

ok() { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { # check "description" command...
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}
check_not() {
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then bad "$what"; else ok "$what"; fi
}
# gen ARGS...: run the tool (bounded), output in $WORK/out, $WORK/err, rc in $RC
gen() {
    RC=0
    timeout 120 "$TOOL" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
}
# text FILE: openssl's reading of a certificate
text() { openssl x509 -in "$1" -noout -text 2>/dev/null; }
has() { grep -qF -- "$2" <<<"$1"; }
lines() { wc -l <"$1" | tr -d ' '; }
mode() { stat -c %a "$1"; }
no_tmp() { ! find "$1" -name '*.tmp*' | grep -q .; }
sum() { sha256sum "$@" | awk '{print $1}' | tr '\n' ' '; }
finish() {
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
}
