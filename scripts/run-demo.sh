#!/usr/bin/env bash
# `make run`: the whole crawl → triage → queue path on a machine without internet. Starts the replay
# server (recorded API responses, tests/replay) on loopback, runs one `earshot run --once` over the
# example config's sources, stops the server, and lists the open cases, most urgent first.
# `make serve` (second argument "serve"): the same sources, polled by `earshot serve` with its HTTP
# API and operator console on http://127.0.0.1:8080/ until Ctrl-C.
set -euo pipefail
build=${1:-build}
mode=${2:-run}
port=18731
cd "$(dirname "$0")/.."

log=$(mktemp)
"$build/tests/replay/earshot-replay" --port "$port" >"$log" 2>&1 &
replay=$!
trap 'kill $replay 2>/dev/null || true; wait $replay 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q '^listening' "$log" && break
  if ! kill -0 $replay 2>/dev/null; then
    echo "run-demo: the replay server did not start (is port $port taken?):" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.05
done
grep -q '^listening' "$log" || { echo "run-demo: the replay server did not come up on port $port" >&2; exit 1; }

# The replay server's Bluesky accepts this app password; a live run would export the real one.
export EARSHOT_BSKY_APP_PASSWORD=${EARSHOT_BSKY_APP_PASSWORD:-replay-app-password}
if [[ $mode == serve ]]; then
  echo "serve-demo: open http://127.0.0.1:8080/ (Ctrl-C to stop)" >&2
  "$build/cli/earshot" serve --config examples/earshot.yaml
  exit 0
fi
"$build/cli/earshot" run --config examples/earshot.yaml --once
"$build/cli/earshot" cases list --config examples/earshot.yaml
