#!/usr/bin/env bash
# The real-scale sequence of issue 8 against one `sam3serve serve` on a sam3-scale bundle (or a real one): each step
# is a /v1 request; the server's peak RSS is read per step (VmHWM, reset before each step through clear_refs).
# Usage: benchmarks/scale-sequence.sh BUNDLE_DIR [WORKERS] [PARALLEL]
#   WORKERS  --workers of the server (default 1); PARALLEL  copies of the sequence run at once (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:?usage: scale-sequence.sh BUNDLE_DIR [WORKERS] [PARALLEL]}
workers=${2:-1}
parallel=${3:-1}
images=../shared/testdata/images
port=$((18000 + RANDOM % 1000))
data=$(mktemp -d)
bin=artifacts/bin/Sam3Serve.Cli/release/sam3serve
[ -x "$bin" ] || dotnet build src/Sam3Serve.Cli -c Release >/dev/null
log=$data/server.log
"$bin" serve --model-dir "$bundle" --offline --data-dir "$data" --urls "http://127.0.0.1:$port" --workers "$workers" \
  --sync-timeout 3600 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
start=$(date +%s.%N)
until curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null; do
  kill -0 $server 2>/dev/null || { cat "$log"; echo "server died while loading" >&2; exit 1; }
  sleep 1
done
echo "ready after $(echo "$(date +%s.%N) - $start" | bc) s; RSS $(awk '/VmRSS/{printf "%.2f GB", $2/1e6}' /proc/$server/status); workers $workers, parallel $parallel"
key=$(cat "$data/api-key.txt")

hwm() { awk '/VmHWM/{printf "%.2f", $2/1e6}' /proc/$server/status; }
rss() { awk '/VmRSS/{printf "%.2f", $2/1e6}' /proc/$server/status; }

# step NAME IMAGE JSON-FIELDS: one /v1 request; prints wall time, masks, encoder time and the server's peak RSS.
step() {
  local name=$1 image=$2 fields=$3 t0 body code
  [ "$parallel" -le 1 ] && echo 5 >/proc/$server/clear_refs 2>/dev/null || true   # per-step peak (one sequence at a time)
  t0=$(date +%s.%N)
  body=$(base64 -w0 "$image" | jq -Rc "{image: ., return_preview: false} + $fields" |
    curl -sS -o "$data/out.json" -w '%{http_code}' -X POST "http://127.0.0.1:$port/v1/sam3-image" \
      -H "x-api-key: $key" -H 'Content-Type: application/json' -H 'Accept: application/json' --data-binary @-) || body=000
  code=$body
  printf '| %s | %s | %.1f | %s | %s GB | %s GB |\n' "$name" "$code" "$(echo "$(date +%s.%N) - $t0" | bc)" \
    "$(jq -r '(.masks // []) | length' "$data/out.json" 2>/dev/null || echo -)" "$(hwm)" "$(rss)"
}

sequence() {
  step "concept, new image" $images/truck.jpg '{text_prompt: "truck"}'
  step "concept, same image, other text" $images/truck.jpg '{text_prompt: "wheel"}'
  step "three prompts" $images/truck.jpg '{text_prompts: ["truck", "wheel", "window"]}'
  step "point" $images/truck.jpg '{points_input: "[[500, 375]]"}'
  step "four object boxes" $images/truck.jpg '{boxes_input: "[[50,150,400,700],[450,150,800,700],[850,150,1200,700],[1250,150,1700,700]]", box_mode: "object"}'
  step "automatic 32x32" $images/truck.jpg '{points_per_side: 32}'
  step "concept, second image" $images/bus.jpg '{text_prompt: "bus"}'
}

echo "| step | HTTP | seconds | masks | server peak RSS | server RSS after |"
echo "|---|---|---|---|---|---|"
if [ "$parallel" -le 1 ]; then
  sequence
else
  runs=()
  for i in $(seq 1 "$parallel"); do sequence >"$data/seq-$i.txt" & runs+=($!); done
  wait "${runs[@]}"   # not a bare wait: the server is a child too
  for i in $(seq 1 "$parallel"); do sed "s/^| /| [$i] /" "$data/seq-$i.txt"; done
fi
echo "server peak RSS over the last step (or the whole parallel run): $(hwm) GB"
curl -sf "http://127.0.0.1:$port/metrics" | grep -E '^sam3serve_stage_duration_seconds_(sum|count)' | sed 's/^/metrics: /' || true
grep -E "Shared ViT trunk|Vision encoders|Warm-up|First request" "$log" | sed 's/^/log: /'
