#!/usr/bin/env bash
# Install what lanmsg needs (Debian/Ubuntu packages), then build it.
#
#   tools/setup.sh [build-dir] [extra cmake options...]
#
# Used by tools/demo.sh and tools/test.sh, so the README's two commands work
# on a fresh machine. Packages already present are not reinstalled. Runs
# apt-get through sudo when not root.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
shift || true

# Build tools, mbedTLS, and the real peers the tests talk to.
packages=(build-essential cmake pkg-config libmbedtls-dev python3 openssl
          gnutls-bin socat netcat-openbsd ncat sslscan testssl.sh clang
          libclang-rt-14-dev valgrind iproute2 procps util-linux
          libavahi-client-dev python3-zeroconf avahi-daemon avahi-utils dbus)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || {
            echo "setup.sh: need root to install: ${missing[*]} (run as root, or install sudo)" >&2
            exit 2
        }
        sudo=sudo
    fi
    echo "setup.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        "${missing[@]}" >/dev/null
fi

cmake -S "$root" -B "$build" "$@" >/dev/null
cmake --build "$build" -j2
