#!/usr/bin/env bash
# Reference outputs from llama.cpp for the tiny synthetic presets of the architectures Hearth added (run by hand,
# not in CI). For each preset: `hearth synth` writes the F16 model (deterministic: seed 1), then llama.cpp as
# prebuilt in node-llama-cpp (../shared/tools/llamacpp-ref) generates 16 greedy tokens with the top-20 logits of
# every step for each prompt in tests/fixtures/reference/prompts.json. The JSON it writes (with the model's sha256
# and llama.cpp's version line) is committed under tests/fixtures/reference/; ArchitectureReferenceTests rebuilds the
# model, checks its sha256 against the fixture and compares.
# usage: tools/arch-references.sh [PRESET[:TYPE]...]   (default: every tiny preset below; TYPE defaults to F16)
# A preset with its own prompts-<arch>.json (e.g. prompts-gpt-oss.json: GPT-4o's split) uses those prompts.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ref="${LLAMACPP_REF:-$here/../shared/tools/llamacpp-ref/ref.mjs}"
out="$here/tests/fixtures/reference"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(tiny-gemma3 tiny-gemma2 tiny-phi3 tiny-phi3-long tiny-qwen3-yarn tiny-qwen3moe tiny-qwen2moe tiny-mixtral tiny-gpt-oss tiny-gpt-oss:MXFP4)
for spec in "${presets[@]}"; do
  p="${spec%%:*}"; type="F16"; [ "$spec" = "$p" ] || type="${spec#*:}"
  lower="$(echo "$type" | tr '[:upper:]' '[:lower:]')"
  prompts="$out/prompts.json"; [ -f "$out/prompts-${p#tiny-}.json" ] && prompts="$out/prompts-${p#tiny-}.json"
  # LongRoPE's long factors apply when llama.cpp's context exceeds the original one: give it the model's whole context,
  # as llama-server's default (-c 0) does and as Hearth decides (from the model's context length).
  ctx=(); [ "$p" = tiny-phi3-long ] && ctx=(--ctx 4096)
  "$here/hearth" synth --preset "$p" --quant "$type" --output "$work/$p.gguf" --seed 1
  node "$ref" greedy --model "$work/$p.gguf" --prompts "$prompts" --steps 16 --top 20 --threads 1 "${ctx[@]}" \
    --out "$out/$p-$lower.json"
  echo "wrote $out/$p-$lower.json"
done
