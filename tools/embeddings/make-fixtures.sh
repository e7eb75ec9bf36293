#!/usr/bin/env bash
# Regenerates tests/fixtures/embeddings/: llama.cpp's embeddings and rerank scores for Hearth's tiny synthetic
# encoder presets. Run by hand (not in CI) after the presets, texts.json or documents.json change, and commit the
# JSON it writes. Needs ../shared/tools/llamacpp-ref (installed in ~/.cache/hearth-llamacpp-ref) and node >= 20.
# The GGUF files are rebuilt by the tests from the same presets (deterministic; the tests check their sha256).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ref="${LLAMACPP_REF:-$repo/../shared/tools/llamacpp-ref/ref.mjs}"
out="$repo/tests/fixtures/embeddings"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
hearth="$repo/hearth"

# name preset pooling-override ("" = the preset's own)
models=(
  "tiny-bert tiny-bert ''"
  "tiny-bert-mean tiny-bert mean"
  "tiny-bert-last tiny-bert last"
  "tiny-nomic-bert tiny-nomic-bert ''"
  "tiny-nomic-bert-cls tiny-nomic-bert cls"
  "tiny-bert-rerank tiny-bert-rerank ''"
  "tiny-qwen3-embed tiny-qwen3-embed ''"
  "tiny-jina-bert-v2 tiny-jina-bert-v2 ''"
  "tiny-qwen3-reranker tiny-qwen3-reranker ''"
)
for entry in "${models[@]}"; do
  eval "set -- $entry"
  name=$1 preset=$2 pooling=$3
  args=(synth --preset "$preset" --quant F32 --output "$work/$name.gguf")
  [ -n "$pooling" ] && args+=(--pooling "$pooling")
  "$hearth" "${args[@]}"
  node "$ref" embed --model "$work/$name.gguf" --texts "$here/texts.json" --out "$out/$name.embed.json"
done
node "$ref" rank --model "$work/tiny-bert-rerank.gguf" --query "What is the capital of France?" \
  --documents "$here/documents.json" --out "$out/tiny-bert-rerank.rank.json"
# A decoder reranker with a rerank prompt template: scored as llama-server formats it (see the script's header).
node "$here/llamacpp-rerank-template.mjs" --model "$work/tiny-qwen3-reranker.gguf" --query "What is the capital of France?" \
  --documents "$here/documents.json" --out "$out/tiny-qwen3-reranker.rank.json"
echo "wrote $(ls "$out" | wc -l) fixtures to $out"
