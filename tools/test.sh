#!/usr/bin/env bash
# The README's second command: install what is missing, build, and run every
# test, first in a normal build with warnings as errors, then again under
# AddressSanitizer and UBSan.
#
#   tools/test.sh            everything
#   tools/test.sh --quick    skip the slow tests (testssl.sh) and the sanitizer pass
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=0
[[ ${1:-} == --quick ]] && quick=1

"$root/tools/setup.sh" --for test "$root/build" -DLANMSG_WERROR=ON
label=()
((quick)) && label=(-LE slow)
(cd "$root/build" && ctest -j2 --output-on-failure "${label[@]}")

if ((!quick)); then
    echo "== the same tests under AddressSanitizer + UBSan =="
    "$root/tools/setup.sh" --for test "$root/build-asan" -DLANMSG_WERROR=ON -DLANMSG_SANITIZE=ON \
        -DCMAKE_BUILD_TYPE=Debug
    # Reports go to files as well as failing the program: a server's stderr
    # is not always read by its test, and a report must never go unseen.
    logs=$root/build-asan/sanitizer-logs
    rm -rf "$logs" && mkdir -p "$logs"
    status=0
    (cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1:log_path=$logs/asan \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan \
        ctest -j2 --output-on-failure -LE slow) || status=$?
    if compgen -G "$logs/*" >/dev/null; then
        head -n 80 "$logs"/*
        echo "test.sh: AddressSanitizer/UBSan reported problems (above; logs in $logs)" >&2
        status=1
    fi
    exit $status
fi
