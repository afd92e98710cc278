#!/usr/bin/env bash
# Provides the Temporal server and its SQL schema tool (for `npm run cluster` and test/cluster.test.ts),
# built from go.temporal.io/server, which has no `replace` directives, so `go install` works.
# Prints "<server path> <sql tool path> <schema dir>" on stdout; prints nothing without Go.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
version="${TEMPORAL_SERVER_VERSION:-v1.29.1}"
server="$SETTLE_BIN/temporal-server-$version"
sqltool="$SETTLE_BIN/temporal-sql-tool-$version"
schema="$SETTLE_CACHE/temporal-schema-$version"

if [ ! -x "$server" ] || [ ! -x "$sqltool" ] || [ ! -f "$schema/postgresql/v12/temporal/schema.sql" ]; then
  command -v go >/dev/null 2>&1 || { say "no Go: the Temporal cluster (npm run cluster) is unavailable"; exit 0; }
  say "building temporal server $version and its SQL tool with go install (first run only, takes a few minutes)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  if ! GOBIN="$tmp" GOFLAGS=-mod=mod go install -v "go.temporal.io/server/cmd/server@$version" \
      "go.temporal.io/server/cmd/tools/sql@$version" 2>&1 | sed 's/^/[go] /' >&2 \
     || [ ! -x "$tmp/server" ] || [ ! -x "$tmp/sql" ]; then
    die "go install of go.temporal.io/server $version failed (see the [go] lines above)"
  fi
  # The schema files ship in the module source, not in the binaries; copy the PostgreSQL ones.
  moddir="$(GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' "go.temporal.io/server@$version" 2>/dev/null || true)"
  [ -n "$moddir" ] || moddir="$(go env GOMODCACHE)/go.temporal.io/server@$version"
  [ -f "$moddir/schema/postgresql/v12/temporal/schema.sql" ] || die "no schema files in $moddir"
  rm -rf "$schema.tmp" && mkdir -p "$schema.tmp/postgresql" && cp -r "$moddir/schema/postgresql/v12" "$schema.tmp/postgresql/"
  chmod -R u+w "$schema.tmp"
  rm -rf "$schema" && mv "$schema.tmp" "$schema"
  mv "$tmp/server" "$server"
  mv "$tmp/sql" "$sqltool"
  say "temporal server ready at $server"
fi
echo "$server $sqltool $schema"
