# Shared by the provisioning scripts: one cache per machine, outside the repo.
SETTLE_CACHE="${SETTLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/settle}"
SETTLE_BIN="$SETTLE_CACHE/bin"
mkdir -p "$SETTLE_BIN"
say() { printf '[provision] %s\n' "$*" >&2; }
die() { printf '[provision] ERROR: %s\n' "$*" >&2; exit 1; }
