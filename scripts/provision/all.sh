#!/usr/bin/env bash
# Provisions everything the tests and `npm start` need that npm does not install, and records the
# binaries' paths in the cache's env file (read by test/harness and scripts/dev-stack).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
cli="$(bash "$here/temporal-cli.sh")"
ts="$(bash "$here/test-server.sh")"
chromium="$(bash "$here/chromium.sh")"
py="$(bash "$here/python-venv.sh")"
read -r server sqltool schema <<<"$(bash "$here/temporal-server.sh")" || true
envfile="$SETTLE_CACHE/binaries.env"
{
  echo "TEMPORAL_CLI_PATH=$cli"
  echo "TEMPORAL_TEST_SERVER_PATH=$ts"
  echo "SETTLE_PYTHON=$py"
  echo "TEMPORAL_SERVER_PATH=${server:-}"
} > "$envfile.tmp"
mv "$envfile.tmp" "$envfile"
say "temporal CLI: ${cli:-<SDK download>}"
say "time-skipping server: ${ts:-<SDK download>}"
say "chromium (checkout browser tests): ${chromium:-<missing: test/checkout-browser.test.ts will fail>}"
say "python (seed snippets): $py"
say "temporal server (npm run cluster, test/cluster.test.ts): ${server:-<missing: needs Go>}"
