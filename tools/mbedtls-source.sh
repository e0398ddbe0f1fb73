#!/usr/bin/env bash
# Fetch mbedTLS 3.6 LTS as the distribution's own source package, for
# machines whose packaged mbedTLS is older (Debian 12, Ubuntu 24.04 ...).
#
#   tools/mbedtls-source.sh [DEPS_DIR]      (default: $LANMSG_DEPS_DIR, else build/_deps)
#
# Prints the unpacked source tree on stdout (for -DLANMSG_MBEDTLS_SOURCE_DIR);
# progress and errors go to stderr. Once a source is there, later runs print
# it again without touching the network; LANMSG_MBEDTLS_REFRESH=1 looks for a
# newer 3.6 (a security update) and fetches it if there is one.
#
# Where it comes from: the archives this machine's apt already uses (read
# from apt's configuration, with the same Signed-By keyring), asked for the
# same pockets (e.g. bookworm, bookworm-updates, bookworm-security become
# trixie, trixie-updates, trixie-security) of a release that carries 3.6.
# apt runs with a private configuration under DEPS_DIR (its own sources,
# lists and cache); the system's /etc/apt is only read. `apt-get source`
# checks every file against the archive's signed index. No mirror address
# is written anywhere in this repository.
#
# Environment:
#   LANMSG_MBEDTLS_SUITES   releases to try, in order (default: Debian
#                           "trixie forky", Ubuntu "resolute questing plucky")
#   LANMSG_MBEDTLS_REFRESH  1: look for a newer 3.6 even when one is cached
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps=${1:-${LANMSG_DEPS_DIR:-$root/build/_deps}}
mkdir -p "$deps"
deps=$(cd "$deps" && pwd)
top=$deps/mbedtls
mkdir -p "$top"

say() { echo "mbedtls-source: $*" >&2; }
# Every way this script can fail ends in this one line.
die() {
    say "$1; build against another mbedTLS 3.6 source with" \
        "-DLANMSG_MBEDTLS_SOURCE_DIR=DIR, or against the system's 2.28 (end-of-life) with" \
        "-DLANMSG_MBEDTLS_LEGACY=ON"
    exit 1
}

# One fetch at a time per cache (tools/test.sh and CI may share it).
if command -v flock >/dev/null; then
    exec 9>"$top/.lock"
    flock 9
fi

# ---- the cache: "current" names the unpacked tree and its version ----
current=
if [[ -f $top/current ]]; then
    read -r cur_dir cur_ver <"$top/current" || true
    [[ -f $top/$cur_dir/include/mbedtls/build_info.h ]] && current=$top/$cur_dir
fi
if [[ -n $current && ${LANMSG_MBEDTLS_REFRESH:-0} != 1 ]]; then
    echo "$current"
    exit 0
fi

command -v apt-get >/dev/null || die "no apt-get here, so no distribution source package"
command -v dpkg-source >/dev/null || die "dpkg-source is missing (apt-get install dpkg-dev)"

# ---- which release carries 3.6 ----
# shellcheck disable=SC1091
. /etc/os-release
base=${UBUNTU_CODENAME:-${VERSION_CODENAME:-}}
[[ -n $base ]] || die "/etc/os-release names no release codename"
case " ${ID:-} ${ID_LIKE:-} " in
*" ubuntu "*) default_suites="resolute questing plucky" ;;
*" debian "*) default_suites="trixie forky" ;;
*) default_suites= ;;
esac
suites=${LANMSG_MBEDTLS_SUITES:-$default_suites}
[[ -n $suites ]] || die "no release to take mbedTLS 3.6 from is known for ${ID:-this system} (set LANMSG_MBEDTLS_SUITES)"

# ---- the archives apt already uses ----
# One line per configured index: URI, release codename, component, and the
# sources entry (file:stanza for .sources files, file:line for .list ones).
archives() {
    local out
    # CODENAME comes from the downloaded Release file (so "stable" reads as
    # its codename); RELEASE, as written in the sources, stands in before
    # the first apt-get update.
    # shellcheck disable=SC2016 # $(...) is apt's own field syntax
    out=$(apt-get indextargets --format '$(REPO_URI)|$(CODENAME)|$(RELEASE)|$(COMPONENT)|$(SOURCESENTRY)|$(TARGET_OF)' 2>/dev/null |
          awk -F'|' '$6 == "deb" || $6 == "deb-src" { c = ($2 != "" && $2 !~ /^\$/) ? $2 : $3; print $1, c, $4, $5 }' |
          sort -u) || true
    if [[ -n $out ]]; then
        echo "$out"
        return
    fi
    # apt without indextargets: read the sources files ourselves.
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        awk -v f="$f" '
            { sub(/#.*/, "") }
            $1 == "deb" || $1 == "deb-src" {
                i = 2
                if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                for (c = i + 2; c <= NF; c++) print $i, $(i + 1), $c, f ":" NR
            }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        awk -v f="$f" '
            function flush(   u, s, c, nu, ns, nc, U, S, C) {
                if (had && types ~ /deb/ && tolower(enabled) != "no") {
                    nu = split(uris, U, " "); ns = split(suites, S, " "); nc = split(comps, C, " ")
                    for (u = 1; u <= nu; u++) for (s = 1; s <= ns; s++) for (c = 1; c <= nc; c++)
                        print U[u], S[s], C[c], f ":" n
                }
                types = uris = suites = comps = enabled = ""; had = 0
            }
            /^[ \t]*$/ { if (had) { n++; flush() } next }
            /^#/ { next }
            { if (!had) had = 1 }
            /^[Tt]ypes:/ { sub(/^[^:]*:/, ""); types = $0 }
            /^URIs:/ { sub(/^[^:]*:/, ""); uris = $0 }
            /^Suites:/ { sub(/^[^:]*:/, ""); suites = $0 }
            /^Components:/ { sub(/^[^:]*:/, ""); comps = $0 }
            /^Enabled:/ { sub(/^[^:]*: */, ""); enabled = $0 }
            END { if (had) { n++; flush() } }
            BEGIN { n = 0 }' "$f"
    done
}

# The Signed-By of a sources entry (FILE:N), as a deb822 field, so that our
# private apt checks the archive with the keyring the system's apt uses. No
# Signed-By: nothing is printed and apt falls back to its trusted keys, as it
# does for the system.
signed_by() {
    local file=${1%:*} n=${1##*:}
    case $file in
    *.sources)
        # Stanzas are counted as apt counts them (comment-only ones are not);
        # a multi-line (inline key) field is copied whole.
        awk -v want="$n" '
            /^[ \t]*$/ { if (had) { k++; had = 0 } infield = 0; next }
            /^#/ { next }
            { if (!had) had = 1 }
            k + 1 == want {
                if (tolower($0) ~ /^signed-by:/) { print; infield = 1; next }
                if (infield && /^[ \t]/) { print; next }
                infield = 0
            }' "$file"
        ;;
    *)
        sed -n "${n}p" "$file" | sed -n 's/^[^[]*\[\([^]]*\)\].*/\1/p' | tr -s '[:blank:]' '\n' |
            sed -n 's/^signed-by=\(.*\)/Signed-By: \1/Ip'
        ;;
    esac
}

lines=$(archives)
[[ -n $lines ]] || die "apt has no archive configured (nothing in /etc/apt/sources.list*)"

apt_root=$top/apt
mkdir -p "$apt_root"/{lists/partial,cache/archives/partial,sources.list.d,work}
apt_opts=(-o "Dir::Etc::SourceList=/dev/null"
          -o "Dir::Etc::SourceParts=$apt_root/sources.list.d"
          -o "Dir::State::Lists=$apt_root/lists"
          -o "Dir::Cache=$apt_root/cache"
          -o "Dir::State::status=/dev/null"
          -o "APT::Sandbox::User=$(id -un)"
          -o "Acquire::Languages=none"
          -q)

# Writes the deb-src entries for one candidate release: every configured
# archive entry of this machine's release, with its pocket suffix
# (-updates, -security) moved onto the candidate.
write_sources() {
    local cand=$1 uri codename comp entry suffix key out=$apt_root/sources.list.d/lanmsg.sources
    declare -A comps=()
    local -a keys=()
    while read -r uri codename comp entry; do
        case $codename in
        "$base") suffix= ;;
        "$base"-*) suffix=${codename#"$base"} ;;
        *) continue ;; # another vendor's archive (e.g. a PPA with its own suites)
        esac
        key="$uri|$suffix|$entry"
        [[ -v comps[$key] ]] || keys+=("$key")
        [[ " ${comps[$key]:-} " == *" $comp "* ]] || comps[$key]="${comps[$key]:-} $comp"
    done <<<"$lines"
    : >"$out"
    for key in "${keys[@]}"; do
        IFS='|' read -r uri suffix entry <<<"$key"
        {
            echo "Types: deb-src"
            echo "URIs: $uri"
            echo "Suites: $cand$suffix"
            echo "Components:${comps[$key]}"
            signed_by "$entry"
            echo
        } >>"$out"
    done
    [[ -s $out ]]
}

# The highest 3.6.x version of the "mbedtls" source in the private lists.
best_version() {
    local best='' v
    for v in $(apt-cache "${apt_opts[@]}" showsrc mbedtls 2>/dev/null | sed -n 's/^Version: //p'); do
        [[ ${v#*:} == 3.6.* ]] || continue
        if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
    done
    echo "$best"
}

version=
for cand in $suites; do
    if ! write_sources "$cand"; then
        die "none of apt's archives is for this release ($base), so none can be asked for $cand"
    fi
    say "looking for mbedTLS 3.6 in $cand at $(sed -n 's/^URIs: //p' \
        "$apt_root/sources.list.d/lanmsg.sources" | sort -u | paste -sd ' ') (private apt state in $apt_root)"
    rm -rf "$apt_root/lists" && mkdir -p "$apt_root/lists/partial"
    # A pocket or release an archive does not carry is an error for
    # apt-get update, but the indices it could fetch and verify are usable.
    errs=$(apt-get "${apt_opts[@]}" update 2>&1 >/dev/null | grep -E '^(E|W):' | head -n 3) || true
    version=$(best_version)
    [[ -n $version ]] && break
    say "no mbedTLS 3.6 source in $cand${errs:+ (apt: $(echo "$errs" | tr '\n' ' '))}"
done
[[ -n $version ]] || die "no mbedTLS 3.6 source package found in ${suites// /, } on apt's archives"

if [[ -n $current && ${cur_ver:-} == "$version" ]]; then
    say "mbedTLS $version is already here"
    rm -rf "$apt_root/lists"
    echo "$current"
    exit 0
fi

# ---- download (hashes checked by apt), unpack (dpkg-source), keep ----
work=$apt_root/work
rm -rf "$work" && mkdir -p "$work"
say "fetching the mbedtls $version source package"
# apt's and dpkg-source's chatter only matters when something went wrong.
if ! (cd "$work" && apt-get "${apt_opts[@]}" source "mbedtls=$version" >"$top/apt-source.log" 2>&1); then
    tail -n 20 "$top/apt-source.log" >&2
    die "apt-get source mbedtls=$version failed (its last lines above; all in $top/apt-source.log)"
fi
dir=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'mbedtls-*' | head -n 1)
[[ -n $dir && -f $dir/include/mbedtls/build_info.h ]] ||
    die "the mbedtls $version source package unpacked into no mbedtls-* tree with include/mbedtls/build_info.h"
name=mbedtls-${version//[:~]/_}
rm -rf "${top:?}/$name"
mv "$dir" "$top/$name"
mv "$work"/*.dsc "$work"/*.tar.* "$top/" 2>/dev/null || true
echo "$name $version" >"$top/current.tmp" && mv "$top/current.tmp" "$top/current"
# The package lists (tens of MB) are only needed to fetch; the .dsc and
# tarballs stay beside the tree as a record of what was built.
rm -rf "$apt_root/lists" "$work"
say "mbedTLS $version unpacked in $top/$name"
echo "$top/$name"
