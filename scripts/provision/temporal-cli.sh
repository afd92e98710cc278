#!/usr/bin/env bash
# Provides the `temporal` CLI (dev server). Order: $TEMPORAL_CLI_PATH, a cached build, `go install`,
# one on PATH. Prints the binary's path on stdout; prints nothing when none can be had, so the caller
# falls back to the SDK's own download (machines with internet but no Go).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
version="${TEMPORAL_CLI_VERSION:-v1.5.1}"
target="$SETTLE_BIN/temporal-$version"

if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  [ -x "$TEMPORAL_CLI_PATH" ] || die "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable"
  echo "$TEMPORAL_CLI_PATH"; exit 0
fi
if [ -x "$target" ]; then echo "$target"; exit 0; fi
if command -v go >/dev/null 2>&1; then
  say "building temporal CLI $version with go install (first run only, takes a few minutes)"
  tmp="$(mktemp -d)"
  # -v prints each package as it compiles, so a long build shows progress.
  if GOBIN="$tmp" GOFLAGS=-mod=mod go install -v "github.com/temporalio/cli/cmd/temporal@$version" 2>&1 | sed 's/^/[go] /' >&2 \
     && [ -x "$tmp/temporal" ]; then
    mv "$tmp/temporal" "$target"; rm -rf "$tmp"
    say "temporal CLI ready at $target"; echo "$target"; exit 0
  fi
  rm -rf "$tmp"
  say "go install failed (see the [go] lines above)"
fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
say "no temporal CLI: install Go (https://go.dev/dl) or set TEMPORAL_CLI_PATH; falling back to the SDK download"
