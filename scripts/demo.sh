#!/usr/bin/env bash
# Start the console on its built-in demo environment: no cluster, Alertmanager, Gemini or GitHub needed.
set -euo pipefail
export NEXT_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."
# Node 24 first on PATH, and a node_modules built for it (scripts/node-env.sh).
source scripts/node-env.sh
project_node_env
project_node_modules
export DEMO=1
# The demo has no Alertmanager of its own; where its alerts' "Alertmanager ↗" links point (run one there to follow them).
export ALERTMANAGER_PUBLIC_URL=${ALERTMANAGER_PUBLIC_URL:-http://localhost:9093}
npx next build
exec node scripts/start.mjs
