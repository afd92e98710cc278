#!/usr/bin/env bash
# Provides the browser the checkout tests drive: Debian's `chromium`, installed with apt only when
# missing (root or sudo needed then). Prints the binary's path on stdout; prints nothing when it
# cannot be installed, so the caller can warn instead of failing the other provisioning.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"

if [ -n "${SETTLE_CHROMIUM_PATH:-}" ]; then
  [ -x "$SETTLE_CHROMIUM_PATH" ] || die "SETTLE_CHROMIUM_PATH=$SETTLE_CHROMIUM_PATH is not an executable"
  echo "$SETTLE_CHROMIUM_PATH"; exit 0
fi
if [ -x /usr/bin/chromium ]; then echo /usr/bin/chromium; exit 0; fi
sudo_cmd=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo_cmd="sudo"; else
    say "chromium is missing and this user cannot install packages: run 'sudo apt-get install -y chromium'"
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "chromium is missing and this is not a Debian-like system: install chromium and set SETTLE_CHROMIUM_PATH"
  exit 0
fi
say "installing Debian's chromium (first run only)"
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq >&2
$sudo_cmd apt-get install -y -qq --no-install-recommends chromium >/dev/null
[ -x /usr/bin/chromium ] || die "apt-get installed chromium but /usr/bin/chromium is missing"
echo /usr/bin/chromium
