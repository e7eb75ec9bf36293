#!/usr/bin/env bash
# LoRA reference outputs from llama.cpp (run by hand, not in CI). For each case of tests/fixtures/lora/manifest.json:
# `hearth synth` writes the F16 base model (seed 1) and the random adapters it names (F32, llama.cpp's adapter layout),
# then llama.cpp as prebuilt in node-llama-cpp (../shared/tools/llamacpp-ref) generates 16 greedy tokens with the
# top-20 logits of every step for each prompt of tests/fixtures/reference/prompts.json, with those adapters at those
# scales. The JSON it writes (model and adapter sha256s, llama.cpp's version line) goes to
# tests/fixtures/lora/PRESET-NAME.json; LoraReferenceTests rebuilds the files, checks the hashes and compares.
# usage: tools/lora-references.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ref="${LLAMACPP_REF:-$here/../shared/tools/llamacpp-ref/ref.mjs}"
out="$here/tests/fixtures/lora"
prompts="$here/tests/fixtures/reference/prompts.json"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
hearth="$here/hearth"
# One line per case: preset, case name, then adapter:scale pairs; and one line per adapter: name rank alpha targets seed.
node -e '
  const m = require(process.argv[1]);
  for (const [n, a] of Object.entries(m.adapters)) console.log(["adapter", n, a.rank, a.alpha, a.targets, a.seed].join(" "));
  for (const c of m.cases) console.log(["case", c.preset, c.name, ...c.loras.map(([a, s]) => a + ":" + s)].join(" "));
' "$out/manifest.json" > "$work/plan"
declare -A rank alpha targets seed
while read -r kind n r a t s; do
  [ "$kind" = adapter ] || continue
  rank[$n]=$r; alpha[$n]=$a; targets[$n]=$t; seed[$n]=$s
done < "$work/plan"
grep '^case ' "$work/plan" | while read -r _ preset name pairs; do
  base="$work/$preset.gguf"
  [ -f "$base" ] || "$hearth" synth --preset "$preset" --quant F16 --output "$base" --seed 1
  args=()
  for pair in $pairs; do
    a="${pair%%:*}"; scale="${pair#*:}"
    f="$work/$preset-lora-$a.gguf"
    [ -f "$f" ] || "$hearth" synth --lora-for "$base" --rank "${rank[$a]}" --alpha "${alpha[$a]}" --targets "${targets[$a]}" \
      --seed "${seed[$a]}" --output "$f"
    args+=(--lora "$f" "--lora-scale=$scale")
  done
  node "$ref" greedy --model "$base" --prompts "$prompts" --steps 16 --top 20 --threads 1 "${args[@]}" --out "$out/$preset-$name.json"
  echo "wrote $out/$preset-$name.json"
done
