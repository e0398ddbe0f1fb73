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

"$root/tools/setup.sh" "$root/build" -DLANMSG_WERROR=ON
label=()
((quick)) && label=(-LE slow)
(cd "$root/build" && ctest -j2 --output-on-failure "${label[@]}")

if ((!quick)); then
    echo "== the same tests under AddressSanitizer + UBSan =="
    "$root/tools/setup.sh" "$root/build-asan" -DLANMSG_WERROR=ON -DLANMSG_SANITIZE=ON \
        -DCMAKE_BUILD_TYPE=Debug
    (cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest -j2 --output-on-failure -LE slow)
fi
