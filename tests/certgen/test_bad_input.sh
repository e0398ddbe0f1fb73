#!/usr/bin/env bash
# Bad input: one line on stderr naming the cause, a non-zero exit (2 for
# usage and configuration), and nothing half-written.
source "$(dirname "$0")/lib.sh" "$@"

# refuse DESCRIPTION EXPECTED_RC WORD_IN_MESSAGE ARGS...: the directory c/
# must be byte-for-byte as before, with no temporary files.
refuse() {
    local what=$1 want=$2 word=$3
    shift 3
    local before
    before=$(cd c 2>/dev/null && ls -lA --time-style=+%s . | sort; sum ./* 2>/dev/null)
    gen "$@"
    local after
    after=$(cd c 2>/dev/null && ls -lA --time-style=+%s . | sort; sum ./* 2>/dev/null)
    if [ "$RC" -eq "$want" ] && [ "$(lines err)" -eq 1 ] && grep -qF -- "$word" err &&
        [ "$before" = "$after" ] && no_tmp .; then
        ok "$what (exit $RC: $(cat err))"
    else
        bad "$what: rc=$RC want $want, stderr: $(cat err)"
    fi
}

mkdir c
refuse "invalid DNS name" 2 "bad_name!" --out c --san 'bad_name!'
refuse "invalid IPv4 address" 2 "300.1.1.1" --out c --san 300.1.1.1
refuse "hyphen at a label's end" 2 "host-.lan" --out c --san host-.lan
refuse "wildcard" 2 "*.lan" --out c --san '*.lan'
refuse "client name with a slash" 2 "../x" --out c --client ../x
refuse "client named ca" 2 "'ca'" --out c --client ca
refuse "unknown option" 2 "--bogus" --out c --bogus
refuse "missing option argument" 2 "--san" --out c --san
refuse "bad --days" 2 "--days" --out c --days 0
refuse "bad --key-type" 2 "dsa" --out c --key-type dsa
refuse "bad --not-before" 2 "--not-before" --out c --not-before 2025
refuse "not-after before not-before" 2 "--not-after" --out c --not-before 20250101000000 --not-after 20240101000000
refuse "--expired with --not-yet-valid" 2 "--expired" --out c --expired --not-yet-valid
refuse "unknown --lang" 2 "xx" --out c --lang xx
check "nothing at all was written by those" test -z "$(ls -A c)"

touch afile
refuse "output under a file" 2 "afile/sub" --out afile/sub
refuse "missing parent directory" 2 "nope/sub" --out nope/sub
check "no directory was created" test ! -e nope
if [ -d /proc/1 ]; then
    refuse "unwritable directory" 1 "/proc/1/ca.key" --out /proc/1
fi

gen --out c --client alice
check "a good run after all that" test "$RC" -eq 0
refuse "existing CA, nothing asked" 2 "ca.key" --out c

cp c/ca.key ca.key.good
printf 'garbage\n' >c/ca.key
refuse "corrupted CA key" 2 "ca.key" --out c --client bob
check "the corruption message offers the fix" grep -q -- "--force" err
check "no bob pair from a corrupted CA" test ! -e c/bob.key

gen --out other
cp other/ca.key c/ca.key
refuse "mismatched CA key" 2 "does not belong" --out c --client bob
cp ca.key.good c/ca.key

mv c/ca.key ca.key.away
refuse "CA certificate without its key" 2 "ca.key" --out c --client bob
mv ca.key.away c/ca.key

mv c/ca.crt c/ca.key .
refuse "server pair in the way of a new CA" 2 "server.key" --out c
mv ca.crt ca.key c/

gen --out c --lang pt --bogus
check "errors are translated with --lang pt" grep -q "opção desconhecida" err
finish
