#!/usr/bin/env bash
# Compares the single-process SQLite default with the Redis scale-out setup (2 API processes, 3 workers)
# on the fixture bundle, loaded the same way: N v2 requests (text "red" on a ~1 MP JPEG) from C concurrent
# clients, latency = submit to COMPLETED. Needs redis-server on PATH. Usage: benchmarks/scale-out.sh [N] [C]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-200}
concurrency=${2:-8}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli -p 6399 shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build -c Release src/Sam3Serve.Cli >/dev/null
dotnet build -c Release benchmarks/Sam3Serve.LoadTest >/dev/null
# An array, not a function: "$!" must be the server's own pid so that clean-up really stops it.
sam3serve=(dotnet artifacts/bin/Sam3Serve.Cli/release/sam3serve.dll)
load() { dotnet artifacts/bin/Sam3Serve.LoadTest/release/Sam3Serve.LoadTest.dll --api v2 --prompt red --requests "$requests" --concurrency "$concurrency" "$@"; }
wait_ready() { for _ in $(seq 1 150); do curl -fs "$1/health/ready" >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "not ready: $1" >&2; exit 1; }

"${sam3serve[@]}" models fixture --out "$work/model" >/dev/null

echo "== single process, SQLite, --workers 1 (the default)"
"${sam3serve[@]}" serve --urls http://127.0.0.1:18080 --data-dir "$work/single" --model-dir "$work/model" --offline >"$work/single.log" 2>&1 &
pids+=($!)
wait_ready http://127.0.0.1:18080
load --url http://127.0.0.1:18080 --key "$(cat "$work/single/api-key.txt")"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

echo "== single process, SQLite, --workers 3"
"${sam3serve[@]}" serve --urls http://127.0.0.1:18081 --data-dir "$work/single3" --model-dir "$work/model" --offline --workers 3 >"$work/single3.log" 2>&1 &
pids+=($!)
wait_ready http://127.0.0.1:18081
load --url http://127.0.0.1:18081 --key "$(cat "$work/single3/api-key.txt")"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

echo "== Redis: 2 API processes + 3 workers (1 worker slot each)"
redis-server --port 6399 --bind 127.0.0.1 --appendonly yes --dir "$work" --daemonize yes --save "" >/dev/null
key=$("${sam3serve[@]}" keys create --name load --store redis --redis 127.0.0.1:6399 | tail -n 1)
for port in 18090 18091; do
  "${sam3serve[@]}" serve --role api --store redis --redis 127.0.0.1:6399 --urls "http://127.0.0.1:$port" --offline >"$work/api-$port.log" 2>&1 &
  pids+=($!)
done
for port in 18095 18096 18097; do
  "${sam3serve[@]}" serve --role worker --store redis --redis 127.0.0.1:6399 --urls "http://127.0.0.1:$port" --model-dir "$work/model" --offline >"$work/worker-$port.log" 2>&1 &
  pids+=($!)
done
for port in 18090 18091 18095 18096 18097; do wait_ready "http://127.0.0.1:$port"; done
load --url http://127.0.0.1:18090,http://127.0.0.1:18091 --key "$key"
