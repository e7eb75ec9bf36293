#!/usr/bin/env bash
# Single-stream prompt and decode speed of Hearth vs llama.cpp (node-llama-cpp's prebuilt CPU build) on the same
# GGUF files, interleaved (Hearth, llama.cpp, Hearth, llama.cpp per file), 2 threads. Run by hand:
#   tools/formats-speed.sh FILE.gguf...      (e.g. files from `hearth synth --preset llama-3.2-1b --quant Q4_1`)
# Env: PROMPT_WORDS (default 400, about 500 tokens), DECODE (default 64), ROUNDS (default 2), KV (Hearth's
# --kv-cache-type, default f32; llama.cpp's cache is f16: KV=f16 compares the same bytes per position).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
hearth=(dotnet "$root/artifacts/bin/Hearth.Cli/release/hearth.dll")
words=${PROMPT_WORDS:-400}; decode=${DECODE:-64}; rounds=${ROUNDS:-2}; kv=${KV:-f32}
prompt=$(for i in $(seq 1 "$words"); do printf 'word%d ' $((i % 97)); done)
for f in "$@"; do
  for r in $(seq 1 "$rounds"); do
    out=$("${hearth[@]}" generate --model "$f" --prompt "$prompt" --max-tokens "$decode" --threads 2 --ignore-eos --kv-cache-type "$kv" 2>&1 >/dev/null | grep -E '^(prompt|generation):' | tr '\n' ' ')
    echo "hearth $f round $r: $out"
    n=$(echo "$out" | sed -E 's/^prompt: ([0-9]+) tokens.*/\1/')
    node "$root/tools/llamacpp-speed.mjs" "$f" --threads 2 --prompt "$n" --decode "$decode" --runs 1
  done
done
