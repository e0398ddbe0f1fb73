#!/usr/bin/env bash
# CI step: cross-build lanmsg for 64-bit Windows with mingw-w64, with TLS, and
# run its test suite under wine.
#
# mbedTLS for Windows is 3.6 LTS, the same source tree the Linux builds use:
# tools/mbedtls-source.sh fetches the distribution's source package once
# into build/_deps/mbedtls (apt's own archives and keyring, a private apt
# configuration; the system's /etc/apt untouched) and every later step
# reuses it. CMake builds it with lanmsg (-DLANMSG_MBEDTLS_SOURCE_DIR) with
# lanmsg's toolchain file, static, threading on winpthreads. Nothing of
# mbedTLS is committed.
#
# Usage: .ci/windows.sh [build-dir]             (default: build-windows)
# Environment: LANMSG_WIN_TLS=OFF   plain-only build (no mbedTLS at all)
#              LANMSG_MBEDTLS_SUITES, LANMSG_DEPS_DIR: see tools/mbedtls-source.sh
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

t0=$(date +%s)
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-windows}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
toolchain=$here/cmake/mingw-w64.cmake
with_tls=${LANMSG_WIN_TLS:-ON}
mkdir -p "$build"

step() { printf '== windows: %s (%ss)\n' "$*" "$(($(date +%s) - t0))"; }

# ---- tools: everything from Debian's packages ----
step "packages"
need=()
for p in gcc-mingw-w64-x86-64 wine wine64 cmake make python3 dpkg-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if ((${#need[@]})); then
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}"
fi

# ---- mbedTLS 3.6: the source tree, fetched once ----
srcdir=""
if [[ $with_tls == ON ]]; then
    step "mbedTLS 3.6 source (tools/mbedtls-source.sh)"
    srcdir=$("$here/tools/mbedtls-source.sh")
fi

# ---- lanmsg, cross-built ----
step "lanmsg: configuring (TLS $with_tls)"
cfg=(-DCMAKE_TOOLCHAIN_FILE="$toolchain" -DLANMSG_WERROR=ON -DLANMSG_WITH_TLS="$with_tls")
[[ -n $srcdir ]] && cfg+=(-DLANMSG_MBEDTLS_SOURCE_DIR="$srcdir")
cmake -S "$here" -B "$build/lanmsg" "${cfg[@]}" >/dev/null
step "lanmsg: building"
# The programs and the unit tests. Not: test_tls (C11 thrd_* and POSIX
# setenv, which mingw lacks; its test is a shell script that cannot run the
# .exe anyway), the fuzz replayers (POSIX readlink/mkdtemp) and lanmsg-bench
# (POSIX resource and timing calls).
targets=$(cmake --build "$build/lanmsg" --target help |
          sed -n 's/^\.\.\. \([^ ]*\).*/\1/p' |
          grep -E '^(lanmsg-[a-z]+|test_[a-z_]+)$' | grep -vxE 'test_tls|lanmsg-bench')
# shellcheck disable=SC2086
cmake --build "$build/lanmsg" -j2 --target $targets

# ---- tests under wine ----
# One persistent wineserver for the whole run, in a private prefix: without
# it every program waits about 4 s for wine to shut down after it exits.
export WINEPREFIX=$build/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$WINEPREFIX"
step "wine: starting a persistent wineserver"
wineserver -k 2>/dev/null || true # a server left over in our private prefix
wineserver -p
trap 'wineserver -k 2>/dev/null || true' EXIT
wine wineboot >/dev/null 2>&1 || true

# The Python-driven tests run the .exe programs through wine (harness.py).
export LANMSG_EXE_PREFIX=wine
# Tests that do not run here, and why (docs/windows.md has the details):
#  - certgen_*, tls_backend, chat.load_quick: shell scripts or arguments that
#    run an .exe directly (no binfmt_misc for wine in a container);
#  - fuzz.replay.*: the replayers are not built (some use POSIX calls);
#  - abuse.keys: POSIX key-file modes and SIGHUP reloads, which Windows lacks;
#  - abuse.limits: exhausts POSIX file descriptors (ulimit -n);
#  - interop.matrix: needs gnutls-serv/openssl peers launched beside a wine
#    client; its gnutls cases refuse the connection under wine (not yet
#    understood);
#  - abuse.handshake: under wine, once a client resets a connection before
#    the server accepted it, every later accept() fails with WSAENOTCONN
#    (10057) and the reset connection is never taken off the queue, so no
#    new client is served; Linux drops such a connection and so, by its
#    documentation, does Windows. Seen under wine only;
#  - chat.identity: its case rules need certificates for both alice and
#    Alice, whose files are one file on a case-insensitive file system.
# LANMSG_WIN_SKIP replaces this list (an empty value runs everything built).
skip=${LANMSG_WIN_SKIP-'^(certgen_|tls_backend$|chat\.load_quick$|fuzz\.replay\.|abuse\.keys$|abuse\.limits$|interop\.matrix$|abuse\.handshake$|chat\.identity$)'}
step "tests under wine"
(cd "$build/lanmsg" && ctest -j2 --output-on-failure --timeout 300 ${skip:+-E "$skip"})
step "done"
