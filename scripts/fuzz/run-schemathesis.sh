#!/usr/bin/env bash
# Property-based fuzzing of a running Settle API from its own OpenAPI document.
# Usage: scripts/fuzz/run-schemathesis.sh <base-url> <api-key> [max-examples]
# Starts nothing: point it at a running stack (scripts/fuzz/fuzz-local.ts starts a local one).
# Schemathesis is installed once into a cached venv; it never runs inside the jest suite.
set -euo pipefail

BASE_URL="${1:?usage: run-schemathesis.sh <base-url> <api-key> [max-examples]}"
API_KEY="${2:?usage: run-schemathesis.sh <base-url> <api-key> [max-examples]}"
MAX_EXAMPLES="${3:-25}"
SCHEMATHESIS="$(bash "$(dirname "$0")/../provision/schemathesis.sh")"

# v4 CLI: --url overrides the document's servers; --checks takes a comma-separated list;
# --max-examples bounds the generated cases per operation. Mutating operations are fuzzed too:
# the key must belong to a throwaway test-mode merchant.
exec "$SCHEMATHESIS" run "$BASE_URL/openapi.json" \
  --url "$BASE_URL" \
  --header "X-API-Key: $API_KEY" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "$MAX_EXAMPLES" \
  --request-timeout 30 \
  --no-color \
  "${@:4}"
