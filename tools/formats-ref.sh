#!/usr/bin/env bash
# Reference outputs of llama.cpp (node-llama-cpp's prebuilt CPU build, see ../shared/tools/llamacpp-ref) for the
# weight formats of issue 16 on the tiny-formats synthetic preset. Run by hand, not in CI:
#   tools/formats-ref.sh [TYPE...]        (default: every format below)
# Each type T writes tests/fixtures/formats/tiny-formats-T.json (greedy ids + top-20 logits for 16 steps per prompt,
# with llama.cpp's version line and the model's sha256). The model is not committed: `hearth synth` writes it
# deterministically (seed 1, with stories260K's 512-token vocabulary so that writing nine models in the tests takes
# seconds), and the tests regenerate it and check the sha256 before comparing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ref=${LLAMACPP_REF:-$root/../shared/tools/llamacpp-ref/ref.mjs}
hearth=(dotnet "$root/artifacts/bin/Hearth.Cli/release/hearth.dll")
vocab=$root/../shared/models/stories260K-f32.gguf
types=("$@")
[ ${#types[@]} -gt 0 ] || types=(q8_0 f16 q4_1 q5_1 q2_k q3_k q5_k iq4_nl iq4_xs mxfp4 bf16)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in "${types[@]}"; do
  model="$tmp/tiny-formats-$t.gguf"
  "${hearth[@]}" synth --preset tiny-formats --quant "$t" --seed 1 --vocab "$vocab" -o "$model"
  node "$ref" greedy --model "$model" --prompts "$root/tests/fixtures/formats/prompts.json" --steps 16 --top 20 \
    --out "$root/tests/fixtures/formats/tiny-formats-$t.json"
done
