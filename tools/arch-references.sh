#!/usr/bin/env bash
# Reference outputs from llama.cpp for the tiny synthetic presets of the architectures Hearth added (run by hand,
# not in CI). For each preset: `hearth synth` writes the F16 model (deterministic: seed 1), then llama.cpp as
# prebuilt in node-llama-cpp (../shared/tools/llamacpp-ref) generates 16 greedy tokens with the top-20 logits of
# every step for each prompt in tests/fixtures/reference/prompts.json. The JSON it writes (with the model's sha256
# and llama.cpp's version line) is committed under tests/fixtures/reference/; ArchitectureReferenceTests rebuilds the
# model, checks its sha256 against the fixture and compares.
# usage: tools/arch-references.sh [PRESET...]   (default: every tiny preset below)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ref="${LLAMACPP_REF:-$here/../shared/tools/llamacpp-ref/ref.mjs}"
out="$here/tests/fixtures/reference"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(tiny-gemma3 tiny-gemma2 tiny-phi3 tiny-qwen3moe tiny-qwen2moe tiny-mixtral)
for p in "${presets[@]}"; do
  "$here/hearth" synth --preset "$p" --quant F16 --output "$work/$p.gguf" --seed 1
  node "$ref" greedy --model "$work/$p.gguf" --prompts "$out/prompts.json" --steps 16 --top 20 --threads 1 \
    --out "$out/$p-f16.json"
  echo "wrote $out/$p-f16.json"
done
