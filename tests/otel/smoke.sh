#!/usr/bin/env bash
# A real OpenTelemetry SDK exporter (Python) against the built tokentally binary: a temp SQLite
# database, an ingest token from `tokentally token create`, the server on a free port, then
# tests/otel/smoke.py sends GenAI spans and checks the showback API. Fails on any difference.
set -euo pipefail
cd "$(dirname "$0")/../.."

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# TOKENTALLY_BIN: a binary already built (.ci/run passes the one `cargo test --workspace` built,
# so that CI does not build the web crate a second time with another feature set).
if [ -n "${TOKENTALLY_BIN:-}" ]; then
  bin="$TOKENTALLY_BIN"
else
  cargo build -q -p tokentally-server --bin tokentally
  target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
  bin="$target_dir/debug/tokentally"
fi

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check opentelemetry-sdk opentelemetry-exporter-otlp-proto-http

export TOKENTALLY_DATABASE_URL="sqlite://$work/smoke.db"
ingest_token="$("$bin" token create --name otel --role ingest | tail -n1)"
viewer_token="$("$bin" token create --name otel-check --role viewer | tail -n1)"

"$bin" serve --bind 127.0.0.1:0 >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
address=""
for _ in $(seq 1 100); do
  address="$(sed -n 's/^tokentally is serving on \(http:[^ ]*\)$/\1/p' "$work/server.out")"
  [ -n "$address" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; echo "the server did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$address" ] || { cat "$work/server.err" >&2; echo "the server did not say where it listens" >&2; exit 1; }

OTEL_EXPORTER_OTLP_ENDPOINT="$address" \
OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20$ingest_token" \
OTEL_EXPORTER_OTLP_COMPRESSION=gzip \
OTEL_EXPORTER_OTLP_TIMEOUT=10 \
TOKENTALLY_URL="$address" \
TOKENTALLY_VIEWER_TOKEN="$viewer_token" \
  "$work/venv/bin/python" tests/otel/smoke.py || { echo "--- server log" >&2; tail -n 50 "$work/server.err" >&2; exit 1; }
