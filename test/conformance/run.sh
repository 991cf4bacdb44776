#!/usr/bin/env bash
# npm run conformance: the official MCP conformance server scenarios against the built binary's --http (sandbox, loopback), checked against baseline.yml.
set -euo pipefail
cd "$(dirname "$0")/../.."
log="$(mktemp)"
env -u COUPONTOOLS_API_KEY -u COUPONTOOLS_API_SECRET -u COUPONTOOLS_HTTP_TOKENS -u COUPONTOOLS_ACCOUNTS_FILE -u COUPONTOOLS_OAUTH_ISSUER \
  node dist/src/index.js --http --host 127.0.0.1 --port 0 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q 'serving MCP at' "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
url="$(grep -o 'http://127.0.0.1:[0-9]*/mcp' "$log" | head -1)"
[ -n "$url" ] || { echo "conformance: the server did not start" >&2; cat "$log" >&2; exit 1; }
# The DNS-rebinding scenario needs a localhost URL; the service accepts loopback names.
npx --no-install conformance server --url "${url/127.0.0.1/localhost}" --expected-failures test/conformance/baseline.yml
