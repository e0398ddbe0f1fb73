#!/usr/bin/env bash
# CI step: the legacy build. lanmsg against the system's mbedTLS 2.28
# (Debian 12's libmbedtls-dev) with -DLANMSG_MBEDTLS_LEGACY=ON, then the
# whole test suite on it. 2.28 is end-of-life upstream; this step keeps the
# 2.28 side of src/transport/mbedtls_compat.h honest for as long as the
# option exists. Where the system's mbedTLS is 3.6 (Debian 13) there is no
# 2.28 to test, and the step says so and passes.
#
# Usage: .ci/legacy-mbedtls228.sh [build-dir]      (default: build-legacy)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-legacy}

tools/setup.sh --for test "$build" -DLANMSG_WERROR=ON -DLANMSG_MBEDTLS_LEGACY=ON
version=$("$build/bin/lanmsg-server" --version)
echo "$version"
if [[ $version != *"TLS 2.28."* ]]; then
    echo "legacy-mbedtls228: the system's mbedTLS is not 2.28 ($version): nothing to test here"
    exit 0
fi
(cd "$build" && ctest -j2 --output-on-failure --timeout 300)
