#!/usr/bin/env bash
# Decode speed after a long prompt (llama-bench -d-like): `hearth generate` (this build and, if given, a baseline build)
# and llama.cpp (node-llama-cpp, tools/llamacpp-bench.mjs) on the same GGUF, one after another, 2 threads.
# usage: decode-depth.sh NEW_HEARTH PROMPT.txt MODEL.gguf [BASE_HEARTH]   (env DECODE=32)
# The model needs a context of at least the prompt + DECODE (hearth synth --context 32768).
set -uo pipefail
new=$1; prompt=$2; model=$3; base=${4:-}
decode=${DECODE:-32}
repo=$(cd "$(dirname "$0")/../.." && pwd)
echo "load: $(uptime)"
run() { echo "== $1"; shift; "$@" 2>&1 >/dev/null | grep -E "prompt:|generation:"; }
run "hearth f32 KV (this build)" "$new" generate --model "$model" --prompt "$(cat "$prompt")" --max-tokens $((decode + 1)) --ignore-eos --threads 2
run "hearth q8_0 KV (this build)" "$new" generate --model "$model" --prompt "$(cat "$prompt")" --max-tokens $((decode + 1)) --ignore-eos --threads 2 --kv-cache-type q8_0
[ -n "$base" ] && run "hearth f32 KV (baseline build)" "$base" generate --model "$model" --prompt "$(cat "$prompt")" --max-tokens $((decode + 1)) --ignore-eos --threads 2
echo "== llama.cpp (f16 KV)"; node "$repo/tools/llamacpp-bench.mjs" "$model" "$prompt" --threads 2 --decode "$decode" --runs 1
echo "load: $(uptime)"
