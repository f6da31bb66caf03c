#!/usr/bin/env bash
# Start the console on its built-in demo environment: no cluster, Alertmanager, Gemini or GitHub needed.
set -euo pipefail
export NEXT_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci
export DEMO=1
npx next build
exec node scripts/start.mjs
