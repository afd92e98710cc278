#!/usr/bin/env bash
# A Python virtualenv with what the seed snippets need (`requests`, from PyPI), so tests never rely
# on the host's Python packages. Cached per version list; prints the venv's python on stdout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
requirements="requests==2.32.5"
command -v python3 >/dev/null 2>&1 || die "python3 is missing (Debian: apt-get install python3 python3-venv)"
key="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')-$(printf '%s' "$requirements" | sha256sum | cut -c1-12)"
venv="$SETTLE_CACHE/python-$key"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  say "creating Python virtualenv with $requirements (first run only)"
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check $requirements >&2
  touch "$venv/.complete"
fi
echo "$venv/bin/python"
