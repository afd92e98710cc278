#!/usr/bin/env bash
# Provides Schemathesis (PyPI) in a cached virtualenv, pinned, installed once per version. Prints the
# binary's path on stdout. Needs python3 with venv (Debian: python3-venv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
version="${SCHEMATHESIS_VERSION:-4.32.5}"
venv="$SETTLE_CACHE/venv-schemathesis-$version"

exec 9>"$venv.lock"
flock 9
# The stamp is written last: an interrupted install is redone instead of half-used.
if [ -f "$venv/.installed" ]; then echo "$venv/bin/schemathesis"; exit 0; fi
command -v python3 >/dev/null 2>&1 || die "python3 is needed for Schemathesis (Debian: apt-get install python3-venv)"
say "installing schemathesis $version into $venv (first run only)"
rm -rf "$venv"
python3 -m venv "$venv" >&2 || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
"$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version" >&2
touch "$venv/.installed"
echo "$venv/bin/schemathesis"
