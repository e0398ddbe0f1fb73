#!/usr/bin/env bash
# Make the certificates a LAN needs: wraps lanmsg-certgen.
#
# Installed, it is lanmsg-gen-certs and runs the lanmsg-certgen beside it.
# From a checkout (tools/gen-certs.sh) it builds the tool into <repo>/build
# if it is not there yet. Every option is passed through. Without --out the
# files go where the programs look for them: $LANMSG_CERT_DIR, else ./certs
# when it exists (a checkout's root), else the user's configuration folder
# (~/.config/lanmsg). LANMSG_CERTGEN=/path/to/lanmsg-certgen picks another
# binary (the tests use that).
#
#   tools/gen-certs.sh                                  # CA and server certificate
#   tools/gen-certs.sh --san 192.168.1.10 --client alice
#   tools/gen-certs.sh --list
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
if [[ -n ${LANMSG_CERTGEN:-} ]]; then
    tool=$LANMSG_CERTGEN
elif [[ -x $here/lanmsg-certgen ]]; then
    tool=$here/lanmsg-certgen # installed side by side
else
    tool=$root/build/bin/lanmsg-certgen
    if [[ ! -x $tool && ! -x $root/tools/setup.sh ]]; then
        echo "lanmsg-gen-certs: lanmsg-certgen not found beside $here: install lanmsg (cmake --install) or set LANMSG_CERTGEN=/path/to/lanmsg-certgen" >&2
        exit 127
    fi
    if [[ ! -x $tool ]]; then
        echo "gen-certs.sh: building lanmsg-certgen in $root/build ..." >&2
        "$root/tools/setup.sh" --for demo --configure-only "$root/build" >/dev/null
        cmake --build "$root/build" --target lanmsg-certgen -j2 >/dev/null
    fi
fi
exec "$tool" "$@"
