#!/usr/bin/env bash
# Provides Temporal's Java time-skipping test server, resolved from Maven Central with Maven, behind
# a wrapper the SDK can exec as `<wrapper> <port>`. Prints the wrapper's path on stdout, or nothing
# when Java/Maven are missing (the caller then falls back to the SDK's own download).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
version="${TEMPORAL_TEST_SERVER_VERSION:-1.38.0}"
dir="$SETTLE_CACHE/test-server-$version"
wrapper="$dir/temporal-test-server"

if [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]; then echo "$TEMPORAL_TEST_SERVER_PATH"; exit 0; fi
if [ -x "$wrapper" ]; then echo "$wrapper"; exit 0; fi
if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
  say "no java/mvn: install a JDK (17+) and Maven for the time-skipping server; falling back to the SDK download"
  exit 0
fi
say "fetching io.temporal:temporal-test-server:$version and its dependencies with Maven"
mkdir -p "$dir/lib"
mvn -B -ntp -f "$here/test-server-pom.xml" -DtestServerVersion="$version" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir/lib" 2>&1 | sed 's/^/[mvn] /' >&2 \
  || die "Maven could not resolve io.temporal:temporal-test-server:$version (is Maven Central reachable?)"
cat > "$wrapper.tmp" <<WRAP
#!/usr/bin/env bash
exec java -cp "$dir/lib/*" io.temporal.testserver.TestServer "\$@"
WRAP
chmod +x "$wrapper.tmp"; mv "$wrapper.tmp" "$wrapper"
say "time-skipping test server ready at $wrapper"
echo "$wrapper"
