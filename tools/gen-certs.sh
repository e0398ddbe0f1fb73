#!/usr/bin/env bash
# Make the certificates a LAN needs: wraps lanmsg-certgen.
#
# Builds the tool into <repo>/build if it is not there yet, then runs it with
# every option passed through. Without --out, files go to <repo>/certs, from
# whatever directory this is called. LANMSG_CERTGEN=/path/to/lanmsg-certgen
# picks another binary (the tests use that).
#
#   tools/gen-certs.sh                                  # CA, server, in certs/
#   tools/gen-certs.sh --san 192.168.1.10 --client alice
#   tools/gen-certs.sh --list
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tool=${LANMSG_CERTGEN:-$root/build/bin/lanmsg-certgen}

if [[ ! -x $tool ]]; then
    echo "gen-certs.sh: building lanmsg-certgen in $root/build ..." >&2
    "$root/tools/setup.sh" --for demo --configure-only "$root/build" >/dev/null
    cmake --build "$root/build" --target lanmsg-certgen -j2 >/dev/null
fi

# Default to the repository's certs/ unless the caller chose a directory
# (or only asked for --help/--version, which need none).
has_out=0
for arg in "$@"; do
    case $arg in
    --out | --out=*) has_out=1 ;;
    esac
done
if ((has_out)); then
    exec "$tool" "$@"
fi
exec "$tool" --out "$root/certs" "$@"
