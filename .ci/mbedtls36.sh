#!/bin/sh
# Build and test lanmsg against mbedTLS 3.6 LTS, taken from Debian trixie's
# binary packages. Nothing is installed system-wide: apt runs with a private
# configuration under the build folder (its own sources list, lists, cache and
# state), the packages are unpacked with dpkg -x into a private prefix, and
# CMake finds them through CMAKE_PREFIX_PATH.
#
# Usage: .ci/mbedtls36.sh [build-dir]      (default: build-mbedtls36)
# Environment: LANMSG_CI_CACHE  where the .debs are kept between runs
#              (default /var/cache/lanmsg-ci/mbedtls36 when writable)
#              LANMSG_CI_MIRROR Debian mirror (default http://deb.debian.org/debian)
#              LANMSG_CI_SUITE  suite holding 3.6 (default trixie)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-mbedtls36}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
mirror=${LANMSG_CI_MIRROR:-http://deb.debian.org/debian}
suite=${LANMSG_CI_SUITE:-trixie}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
pkgs="libmbedtls-dev libmbedtls21 libmbedx509-7 libmbedcrypto16"

apt_root=$build/apt
prefix=$build/mbedtls36
mkdir -p "$build"

# The cache survives between runs where the machine keeps /var/cache.
cache=${LANMSG_CI_CACHE:-/var/cache/lanmsg-ci/mbedtls36}
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
    cache=$build/debs
    mkdir -p "$cache"
fi

have_debs() {
    for p in $pkgs; do
        ls "$cache"/"${p}"_3.6*_amd64.deb >/dev/null 2>&1 || return 1
    done
}

# ---- download (skipped when the cache already holds all four) ----
if have_debs; then
    echo "mbedtls36: using cached packages in $cache"
else
    if [ ! -r "$keyring" ]; then
        echo "mbedtls36: $keyring missing, installing debian-archive-keyring"
        apt-get install -y --no-install-recommends debian-archive-keyring
    fi
    mkdir -p "$apt_root/lists/partial" "$apt_root/cache/archives/partial" "$apt_root/etc"
    printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$suite" \
        >"$apt_root/etc/sources.list"
    set -- -o Dir::Etc::sourcelist="$apt_root/etc/sources.list" \
        -o Dir::Etc::sourceparts=- \
        -o Dir::State::Lists="$apt_root/lists" \
        -o Dir::Cache="$apt_root/cache" \
        -o Dir::State::status=/dev/null \
        -o APT::Sandbox::User=root \
        -o APT::Get::List-Cleanup=0
    echo "mbedtls36: apt-get update for $suite from $mirror (private lists in $apt_root)"
    if ! apt-get "$@" update; then
        echo "mbedtls36: cannot fetch the $suite package lists from $mirror" \
            "(is the suite served there? set LANMSG_CI_MIRROR/LANMSG_CI_SUITE)" >&2
        exit 1
    fi
    # Pin the exact 3.6 version the suite offers, so a mixed set cannot slip in.
    ver=$(apt-cache "$@" show libmbedtls-dev 2>/dev/null | sed -n 's/^Version: //p' |
        grep '^3\.6' | head -n 1 || true)
    if [ -z "$ver" ]; then
        echo "mbedtls36: $suite offers no libmbedtls-dev 3.6.x" \
            "(it has: $(apt-cache "$@" policy libmbedtls-dev | sed -n 's/ *Candidate: //p'))" >&2
        exit 1
    fi
    echo "mbedtls36: downloading $pkgs at $ver"
    dl=$build/download
    rm -rf "$dl" && mkdir -p "$dl"
    (cd "$dl" && apt-get "$@" download $(for p in $pkgs; do printf '%s=%s ' "$p" "$ver"; done))
    cp "$dl"/*.deb "$cache"/
fi

# ---- unpack into the private prefix ----
rm -rf "$prefix" && mkdir -p "$prefix"
for p in $pkgs; do
    deb=$(ls "$cache"/"${p}"_3.6*_amd64.deb | sort -V | tail -n 1)
    echo "mbedtls36: unpacking $(basename "$deb")"
    dpkg -x "$deb" "$prefix"
done
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
libdir=$prefix/usr/lib/$multiarch

# ---- configure, build, test ----
cmake -S "$here" -B "$build/build" -DLANMSG_WERROR=ON \
    -DCMAKE_PREFIX_PATH="$prefix/usr;$libdir" \
    -DLANMSG_MBEDTLS_VERSION=3.6
cmake --build "$build/build" -j2
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
"$build/build/bin/lanmsg-server" --version
cd "$build/build" && ctest --output-on-failure -j2 --timeout 300
