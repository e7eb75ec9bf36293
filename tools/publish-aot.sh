#!/usr/bin/env bash
# Native AOT build of the `hearth` command for linux-x64: one native executable, no .NET runtime on the target, no JIT.
#   tools/publish-aot.sh [OUT_DIR]        (default ./dist-aot; the binary is OUT_DIR/hearth)
# Leaves out the GPU backend (ILGPU compiles kernels at run time, which needs the JIT): `--device cuda` says so.
# Needs a C toolchain to link: clang, or gcc (used when clang is absent), and zlib (Debian: zlib1g-dev).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/dist-aot"}
linker=()
command -v clang >/dev/null 2>&1 || linker=(-p:CppCompilerAndLinker=gcc)
# Its own artifacts tree: the AOT build compiles every project without the GPU backend and with other switches, so it
# must not share intermediate files with the ordinary or the single-file builds.
dotnet publish "$root/src/Hearth.Cli" -c Release -r linux-x64 -p:HearthAot=true "${linker[@]}" \
  --artifacts-path "$root/artifacts/aot" -o "$out" -nologo -clp:ErrorsOnly
# The publish folder also gets debug symbols and the projects' .pdb/.xml files; the program is the binary (plus the
# SQLite native library the router's usage store loads).
rm -f "$out"/*.dbg "$out"/*.pdb "$out"/*.xml
echo "native AOT hearth: $out/hearth ($(du -h "$out/hearth" | cut -f1))"
