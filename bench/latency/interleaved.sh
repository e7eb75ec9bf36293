#!/usr/bin/env bash
# Interleaved before/after ITL runs: the same binary with --itl-ratio 0 (the old policy: prompt chunks fill
# --max-num-batched-tokens) and with the default adaptive budget, ROUNDS times, one after another.
# usage: interleaved.sh HEARTH_BIN MODEL.gguf OUTDIR [ROUNDS]
set -euo pipefail
bin=$1; model=$2; dir=$3; rounds=${4:-2}
here=$(dirname "$0")
mkdir -p "$dir"
for r in $(seq 1 "$rounds"); do
  bash "$here/itl-bench.sh" "$bin" "$model" "$dir/off-$r.json" --itl-ratio 0 > "$dir/off-$r.txt" 2>&1
  bash "$here/itl-bench.sh" "$bin" "$model" "$dir/on-$r.json" > "$dir/on-$r.txt" 2>&1
done
for f in "$dir"/*.txt; do echo "== $f"; grep -E "^A  |load" "$f"; done
