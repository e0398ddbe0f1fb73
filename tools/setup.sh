#!/usr/bin/env bash
# Install what lanmsg needs (Debian/Ubuntu packages), then configure and
# build it.
#
#   tools/setup.sh [--for demo|test] [--configure-only] [BUILD-DIR] [cmake options...]
#
#   --for demo       (default) what building and running the programs needs:
#                    compiler, cmake, make, pkg-config, python3 (demo.sh), mbedTLS
#   --for test       that, plus the tools and real peers the tests talk to
#   --configure-only install and configure; the caller builds what it needs
#
# Used by tools/demo.sh and tools/test.sh, so the README's two commands work
# on a fresh machine, and by .ci/. Packages already present are not
# reinstalled; apt-get runs through sudo when not root.
#
# mbedTLS (README: "Which mbedTLS, and why"):
#   - the system's libmbedtls-dev where it is 3.6 or newer (Debian 13,
#     Ubuntu 25.04 and later);
#   - otherwise 3.6 LTS built with lanmsg from the distribution's own source
#     package (tools/mbedtls-source.sh), kept in build/_deps/mbedtls and
#     shared by every build folder, linked statically; a second run fetches
#     and rebuilds nothing;
#   - nothing more when the options (or the build folder's cache) already
#     decide: -DLANMSG_WITH_TLS=OFF, -DLANMSG_MBEDTLS_SOURCE_DIR=DIR, or
#     -DLANMSG_MBEDTLS_LEGACY=ON (the system's 2.28, end-of-life).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
purpose=demo
configure_only=0
while (($#)); do
    case $1 in
    --for) purpose=${2:-}; shift 2 ;;
    --for=*) purpose=${1#--for=}; shift ;;
    --configure-only) configure_only=1; shift ;;
    *) break ;;
    esac
done
case $purpose in
demo | test) ;;
*) echo "setup.sh: --for takes demo or test, not '$purpose'" >&2; exit 2 ;;
esac
build=${1:-$root/build}
shift || true
cmake_args=("$@")
deps=${LANMSG_DEPS_DIR:-$root/build/_deps}

say() { echo "setup.sh: $*" >&2; }

# ---- packages ----
packages=(build-essential cmake pkg-config python3)
if [[ $purpose == test ]]; then
    # The sanitizer build uses gcc; clang and its runtime are for the
    # libFuzzer targets (.ci/hardening.sh).
    packages+=(clang valgrind gnutls-bin socat ncat netcat-openbsd sslscan testssl.sh openssl
               iproute2 procps util-linux)
    # Discovery: the Avahi client library (the backend is built where it is
    # found) and the independent mDNS peers the discovery tests talk to.
    packages+=(libavahi-client-dev python3-zeroconf avahi-daemon avahi-utils dbus)
    # The chat client's line editing (built where libedit is found), and a
    # real terminal for its test.
    packages+=(libedit-dev tmux)
fi

have_apt=0
command -v apt-get >/dev/null && command -v dpkg-query >/dev/null && have_apt=1

installed_version() {
    dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
        sed -n 's/^install ok installed //p'
}
candidate_version() {
    apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '^(none)$' || true
}

sudo=
as_root() {
    if [[ $(id -u) -ne 0 && -z $sudo ]]; then
        command -v sudo >/dev/null || {
            say "need root to run apt-get $* (run as root, or install sudo)"
            exit 2
        }
        sudo=sudo
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}
updated=0
apt_update() {
    ((updated)) && return
    as_root update -qq
    updated=1
}

# libclang-rt-dev names the default clang's runtime where llvm-defaults has
# it (Debian 12 and later); older releases only have the versioned package.
if [[ $purpose == test ]] && ((have_apt)); then
    if [[ -n $(installed_version libclang-rt-dev) || -n $(candidate_version libclang-rt-dev) ]]; then
        packages+=(libclang-rt-dev)
    else
        packages+=(libclang-rt-14-dev)
    fi
fi

# ---- which mbedTLS ----
# The build folder's cache first, then the options given now.
cached() {
    [[ -f $build/CMakeCache.txt ]] || return 0
    sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" | head -n 1
}
with_tls=$(cached LANMSG_WITH_TLS)
legacy=$(cached LANMSG_MBEDTLS_LEGACY)
# A source tree this script fetched is asked for again below (instant when
# cached, and LANMSG_MBEDTLS_REFRESH=1 can replace it); one the user chose stays.
source_dir=$(cached LANMSG_MBEDTLS_SOURCE_DIR)
[[ $source_dir == "$deps"/mbedtls/* ]] && source_dir=
for a in "${cmake_args[@]}"; do
    if [[ $a =~ ^-D([A-Z_]+)(:[A-Z]+)?=(.*)$ ]]; then
        case ${BASH_REMATCH[1]} in
        LANMSG_WITH_TLS) with_tls=${BASH_REMATCH[3]} ;;
        LANMSG_MBEDTLS_SOURCE_DIR) source_dir=${BASH_REMATCH[3]} ;;
        LANMSG_MBEDTLS_LEGACY) legacy=${BASH_REMATCH[3]} ;;
        esac
    fi
done
is_off() { [[ ${1^^} =~ ^(OFF|0|NO|FALSE|N)$ ]]; }
is_on() { [[ -n $1 ]] && ! is_off "$1"; }

mbedtls=source
if is_off "${with_tls:-ON}" || [[ -n $source_dir ]] || ((!have_apt)); then
    mbedtls=given
elif is_on "${legacy:-}"; then
    mbedtls=system # 2.28 is what the system has; the configure step warns
    packages+=(libmbedtls-dev)
else
    v=$(installed_version libmbedtls-dev)
    if [[ -n $v ]] && dpkg --compare-versions "$v" ge 3.6; then
        mbedtls=system
    elif [[ -f $deps/mbedtls/current ]]; then
        mbedtls=source # fetched before: no network needed
    else
        v=$(candidate_version libmbedtls-dev)
        if [[ -z $v ]]; then
            apt_update # a fresh machine: no package lists yet
            v=$(candidate_version libmbedtls-dev)
        fi
        if [[ -n $v ]] && dpkg --compare-versions "$v" ge 3.6; then
            mbedtls=system
            packages+=(libmbedtls-dev)
        fi
    fi
    # apt-get source unpacks with dpkg-source.
    [[ $mbedtls == source && ! -f $deps/mbedtls/current ]] && packages+=(dpkg-dev)
fi

# ---- install what is missing ----
if ((have_apt)); then
    missing=()
    for p in "${packages[@]}"; do
        [[ -n $(installed_version "$p") ]] || missing+=("$p")
    done
    if ((${#missing[@]})); then
        say "installing ${missing[*]}"
        apt_update
        as_root install -y -qq "${missing[@]}" >/dev/null
    fi
else
    say "no apt-get here: install a C compiler, cmake and mbedTLS 3.6 yourself" \
        "(or pass -DLANMSG_MBEDTLS_SOURCE_DIR=DIR, an unpacked mbedTLS 3.6 source)"
fi

if [[ $mbedtls == source ]]; then
    dir=$("$root/tools/mbedtls-source.sh" "$deps")
    cmake_args+=("-DLANMSG_MBEDTLS_SOURCE_DIR=$dir")
fi

# ---- configure, build ----
# The configure summary (which mbedTLS, TLS with threads) is worth a line.
cmake -S "$root" -B "$build" "${cmake_args[@]}" | sed -n 's/^-- lanmsg: /setup.sh: /p' >&2
((configure_only)) || cmake --build "$build" -j2
