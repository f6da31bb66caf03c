#!/usr/bin/env bash
# `npm run screenshots`: the README's screenshots (e2e/readme-screenshots.spec.ts) from the demo at 1440×900
# and 390×844, written into docs/. The e2e run of `npm test` writes the same pictures into .tmp/screenshots
# instead, so a test run never changes the committed ones. Builds first when there is no production build.
set -euo pipefail
export NEXT_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."
source scripts/node-env.sh
project_node_env
if [[ ! -f .next/standalone/server.js ]]; then
  echo "No production build yet: building (npm run build)."
  npm run build
fi
DOCS_SCREENSHOTS=1 npx playwright test e2e/readme-screenshots.spec.ts
echo "Written into docs/:"; ls -l docs/*.png
