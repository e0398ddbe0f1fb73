#!/usr/bin/env bash
# Hardening checks, called by .ci/run:
#   1. the whole test suite in an ASan+UBSan build; any sanitizer report
#      from any process (servers included) fails the step;
#   2. each libFuzzer target for FUZZ_SECONDS (default 20; ten targets,
#      so at most about three and a half minutes), clang builds with LANMSG_FUZZ=ON;
#   3. valgrind memcheck over the integration, abuse, interop, chat and udp tests (the
#      server runs under valgrind through LANMSG_WRAP): no error and no
#      definite leak in any server;
#   4. testssl.sh against the server (the ctest labelled "slow").
# Needs: clang, libclang-rt-14-dev (or the clang version's runtime),
# valgrind, and the test peers (openssl, gnutls-bin, socat, ncat,
# netcat-openbsd, sslscan, testssl.sh).
# Every build is configured by tools/setup.sh, so it gets the same mbedTLS
# as tools/test.sh (3.6: the system's, or the source tree it fetched into
# build/_deps, compiled per build folder: instrumented where the build is).
# Usage: .ci/hardening.sh [asan|fuzz|valgrind|testssl ...]  (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
out=${HARDENING_DIR:-$src/build-hardening}
fuzz_seconds=${FUZZ_SECONDS:-20}
steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(asan fuzz valgrind testssl)
mkdir -p "$out"
status=0

fail() {
    echo "hardening: $*" >&2
    status=1
}

# Installs what is missing and configures build folder $1 (more cmake
# options follow); the steps build only what they need.
configure() {
    "$src/tools/setup.sh" --for test --configure-only "$@"
}

step_asan() {
    echo "== ASan + UBSan: whole test suite =="
    local b=$out/asan logs=$out/asan-logs
    configure "$b" -DLANMSG_SANITIZE=ON -DLANMSG_WERROR=ON
    cmake --build "$b" -j2
    rm -rf "$logs" && mkdir -p "$logs"
    # Reports go to files too, so that one from a server whose stderr a
    # test only prints on failure is not missed.
    if ! (cd "$b" && ASAN_OPTIONS=log_path=$logs/asan:detect_leaks=1 \
          UBSAN_OPTIONS=log_path=$logs/ubsan:print_stacktrace=1 \
          ctest -j2 --output-on-failure); then
        fail "tests failed in the ASan+UBSan build"
    fi
    if compgen -G "$logs/*" >/dev/null; then
        head -n 60 "$logs"/*
        fail "sanitizer reports in $logs"
    fi
}

step_fuzz() {
    echo "== libFuzzer: each target for ${fuzz_seconds} s =="
    local b=$out/fuzz
    # Warnings are gcc's job (-Werror in the other builds); here only the
    # fuzz targets and what they need are built.
    CC=clang configure "$b" -DLANMSG_FUZZ=ON
    local targets=(fuzz_framer fuzz_options fuzz_chat_cmd fuzz_hello fuzz_mdns fuzz_pairing
                   fuzz_trust_files)
    if grep -q '^LANMSG_WITH_TLS:BOOL=ON' "$b/CMakeCache.txt"; then
        targets+=(fuzz_tls_config fuzz_tls_server fuzz_dgram_dtls)
    fi
    cmake --build "$b" -j2 --target "${targets[@]}"
    for f in "${targets[@]/#/$b/bin/}"; do
        local t=${f##*/fuzz_} work=$out/fuzz-corpus/${f##*/fuzz_}
        # A scratch copy: the checked-in seeds stay small and unchanged.
        mkdir -p "$work" "$out/fuzz-crashes"
        cp -n "$src/tests/fuzz/corpus/$t"/* "$work"/ 2>/dev/null || true
        echo "-- fuzz_$t"
        if ! "$f" -max_total_time="$fuzz_seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
                -print_final_stats=1 -artifact_prefix="$out/fuzz-crashes/$t-" "$work" \
                >"$out/fuzz-$t.log" 2>&1; then
            tail -n 40 "$out/fuzz-$t.log"
            fail "fuzz_$t found a crash: copy it from $out/fuzz-crashes into" \
                 "tests/fuzz/crashes/$t/ (replayed by ctest fuzz.replay.$t) and fix the cause"
        else
            grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units)' "$out/fuzz-$t.log" || true
        fi
    done
}

step_valgrind() {
    echo "== valgrind memcheck: servers of the integration, abuse, interop, chat and udp tests =="
    local b=$out/valgrind logs=$out/valgrind-logs
    configure "$b" -DLANMSG_WERROR=ON
    cmake --build "$b" -j2
    rm -rf "$logs" && mkdir -p "$logs"
    if ! (cd "$b" && LANMSG_WRAP="valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite --log-file=$logs/vg.%p.log" \
          ctest -j2 --output-on-failure -R '^(integration|abuse|interop|chat|udp)\.' -E 'load' \
            -LE slow); then
        fail "tests failed under valgrind"
    fi
    local n
    n=$(find "$logs" -name 'vg.*.log' | wc -l)
    echo "valgrind logs: $n"
    [[ $n -gt 0 ]] || fail "valgrind wrote no log: LANMSG_WRAP not honoured?"
    # -q leaves a log empty unless something was found.
    for f in "$logs"/vg.*.log; do
        if [[ -s $f ]]; then
            cat "$f"
            fail "valgrind found errors or definite leaks ($f)"
        fi
    done
}

step_testssl() {
    echo "== testssl.sh =="
    local b=$out/valgrind
    configure "$b" -DLANMSG_WERROR=ON
    cmake --build "$b" -j2
    (cd "$b" && ctest --output-on-failure -R '^interop\.testssl$') || fail "testssl.sh check failed"
}

for s in "${steps[@]}"; do
    "step_$s"
done
[[ $status -eq 0 ]] && echo "hardening: all steps passed"
exit $status
