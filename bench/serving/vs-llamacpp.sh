#!/usr/bin/env bash
# Serving throughput, latency and memory side by side with llama.cpp, interleaved: `hearth serve` driven by
# `hearth bench --concurrency C` (HTTP over loopback, the client on the same cores), then llama.cpp's batched slots
# through tools/llamacpp-parallel.mjs (in process, no HTTP), ROUNDS times. Same GGUF, 2 threads, C × (IN in, OUT out),
# greedy, no EOS stop, the same KV size (Hearth: --kv-cache-type f16 and --kv-cache-memory of KV_TOKENS tokens).
# With LLAMA_SERVER=path/to/llama-server the peer is the real `llama-server -np C` (f16 KV of KV_TOKENS tokens, 2
# threads) driven by the same `hearth bench` over HTTP instead of the in-process slots.
# usage: vs-llamacpp.sh MODEL.gguf OUTDIR   (env: C=16 REQUESTS=48 IN=128 OUT=64 ROUNDS=2 KV_MIB=256 KV_TOKENS=8192
#        DURATION=600 (the bench's cut-off, seconds) LLAMA_SERVER= HEARTH_ARGS="extra hearth serve options", e.g. "--itl-ratio 0"
#        HEARTH_ONLY=1 (no peer run))
set -euo pipefail
model=$1; dir=$2
c=${C:-16}; requests=${REQUESTS:-48}; in=${IN:-128}; out=${OUT:-64}; rounds=${ROUNDS:-2}
kv_mib=${KV_MIB:-256}; kv_tokens=${KV_TOKENS:-8192}; port=${PORT:-11502}
here=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
name=$(basename "$model" .gguf)
# SIGTERM, then SIGKILL after 10 s: a server still busy with cut-off requests must not run into the next measurement.
stop() { kill "$1" 2>/dev/null || true; for i in $(seq 1 20); do kill -0 "$1" 2>/dev/null || break; sleep 0.5; done; kill -9 "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
for r in $(seq 1 "$rounds"); do
  "$here/hearth" serve --model "$model" --threads 2 --port "$port" --no-ui --kv-cache-type f16 --kv-cache-memory "${kv_mib}MiB" ${HEARTH_ARGS:-} \
    >"$dir/hearth-$r.serve.log" 2>&1 &
  pid=$!
  for i in $(seq 1 180); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 1; done
  loaded=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status)
  echo "load before: $(uptime)" >"$dir/hearth-$r.txt"
  "$here/hearth" bench --url "http://127.0.0.1:$port" --model "$name" --concurrency "$c" --input-len "$in" --output-len "$out" \
    --ignore-eos --endpoint completions --tokenizer "$model" --requests "$requests" --warmup 1 --duration "${DURATION:-600}" --json "$dir/hearth-$r.json" >>"$dir/hearth-$r.txt" 2>&1
  echo "rss after load ${loaded} MiB, now $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status) MiB, peak $(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status) MiB" >>"$dir/hearth-$r.txt"
  stop $pid
  [ -n "${HEARTH_ONLY:-}" ] && continue
  echo "load before: $(uptime)" >"$dir/llamacpp-$r.txt"
  if [ -n "${LLAMA_SERVER:-}" ]; then
    "$LLAMA_SERVER" -m "$model" --host 127.0.0.1 --port $((port + 1)) -np "$c" -c "$kv_tokens" -t 2 -tb 2 \
      --cache-type-k f16 --cache-type-v f16 >"$dir/llamacpp-$r.serve.log" 2>&1 &
    pid=$!
    for i in $(seq 1 180); do curl -sf "http://127.0.0.1:$((port + 1))/health" >/dev/null && break; sleep 1; done
    loaded=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status)
    "$here/hearth" bench --url "http://127.0.0.1:$((port + 1))" --model "$name" --concurrency "$c" --input-len "$in" --output-len "$out" \
      --ignore-eos --endpoint completions --tokenizer "$model" --requests "$requests" --warmup 1 --duration "${DURATION:-600}" --json "$dir/llamacpp-$r.json" >>"$dir/llamacpp-$r.txt" 2>&1
    echo "rss after load ${loaded} MiB, now $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status) MiB, peak $(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status) MiB" >>"$dir/llamacpp-$r.txt"
    stop $pid
  else
    node "$here/tools/llamacpp-parallel.mjs" "$model" --concurrency "$c" --requests "$requests" --input-len "$in" --output-len "$out" \
      --kv-tokens "$kv_tokens" >>"$dir/llamacpp-$r.txt" 2>&1
  fi
done
for f in "$dir"/*.txt; do echo "== $f"; grep -E "^A  |rss|output_tok_s|load before" "$f"; done
