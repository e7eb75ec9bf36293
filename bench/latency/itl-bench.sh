#!/usr/bin/env bash
# ITL under load: 16 x (128 in, 64 out) against `hearth serve --threads 2` on one GGUF.
# usage: itl-bench.sh HEARTH_BIN MODEL.gguf OUT.json [extra serve flags...]
# Prints the bench summary; the JSON holds every figure. Run builds one after another (interleaved) and compare ratios.
set -euo pipefail
bin=$1; model=$2; out=$3; shift 3
port=${PORT:-11501}
"$bin" serve --model "$model" --threads 2 --port "$port" --no-ui "$@" >"$out.serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for i in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 1; done
name=$(basename "$model" .gguf)
echo "load before: $(uptime)"
"$bin" bench --url "http://127.0.0.1:$port" --model "$name" --concurrency 16 --input-len 128 --output-len 64 \
  --ignore-eos --tokenizer "$model" --requests ${REQUESTS:-64} --duration ${DURATION:-600} --json "$out"
echo "load after: $(uptime)"
