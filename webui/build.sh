#!/usr/bin/env bash
# Rebuilds the web UI bundle that `hearth serve` embeds (src/Hearth.Server/WebUi/dist, committed so that a fresh clone
# builds without npm). Run it after changing anything under webui/, then commit dist/ with your change:
#   bash webui/build.sh
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npx vite build
node source-hash.mjs > ../src/Hearth.Server/WebUi/dist/source.sha256
echo "webui: bundle rebuilt ($(du -sh ../src/Hearth.Server/WebUi/dist | cut -f1)); source hash $(cat ../src/Hearth.Server/WebUi/dist/source.sha256)"
