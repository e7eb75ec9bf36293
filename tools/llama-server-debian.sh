#!/usr/bin/env bash
# A real llama-server (and llama-bench) for side-by-side serving figures on a machine that cannot fetch or build
# llama.cpp: Debian sid's packaged build (llama.cpp-tools, libllama0, libggml0), run on this bookworm machine through
# sid's own dynamic loader and libraries, all unpacked under DIR (nothing installed system-wide). Run by hand, not in CI.
#   tools/llama-server-debian.sh DIR     → DIR/llama-server.sh, DIR/llama-bench.sh (CPU backend: GGML_BACKEND_PATH,
#                                          default the haswell (AVX2) variant; set it to another file under DIR)
# Then e.g.: LLAMA_SERVER=DIR/llama-server.sh bench/serving/vs-llamacpp.sh MODEL.gguf OUTDIR
set -euo pipefail
dir=$(mkdir -p "$1" && cd "$1" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$dir/debs" "$dir/root"
curl -fsS "$mirror/dists/sid/main/binary-amd64/Packages.xz" | xz -dc >"$dir/Packages"
for p in llama.cpp-tools libllama0 libggml0 libc6 libstdc++6 libgcc-s1 libgomp1 libssl3t64 zlib1g libzstd1; do
  f=$(awk -v P="$p" '$0 == "Package: " P {f = 1} f && /^Filename:/ {print $2; exit}' "$dir/Packages")
  [ -n "$f" ] || { echo "package $p not found in sid" >&2; exit 1; }
  curl -fsS -o "$dir/debs/$(basename "$f")" "$mirror/$f"
  dpkg -x "$dir/debs/$(basename "$f")" "$dir/root"
done
root=$dir/root; lib=$root/usr/lib/x86_64-linux-gnu
version=$(awk '$0 == "Package: llama.cpp-tools" {f = 1} f && /^Version:/ {print $2; exit}' "$dir/Packages")
for tool in llama-server llama-bench; do
  cat >"$dir/$tool.sh" <<WRAP
#!/bin/sh
# Debian sid's $tool (llama.cpp-tools $version) through sid's loader and libraries.
export GGML_BACKEND_PATH=\${GGML_BACKEND_PATH:-$lib/ggml/backends0/libggml-cpu-haswell.so}
exec $root/usr/lib64/ld-linux-x86-64.so.2 --library-path $lib:$lib/llama:$root/lib/x86_64-linux-gnu $root/usr/bin/$tool "\$@"
WRAP
  chmod +x "$dir/$tool.sh"
done
"$dir/llama-server.sh" --version 2>&1 | tail -2
