#!/usr/bin/env bash
# The whole test suite: lint, typecheck, unit + integration (vitest, with the real Alertmanager, promtool
# and amtool), production build, and e2e in Debian's Chromium, all on Node 24 (scripts/node-env.sh).
# Installs what it can; says what it cannot.
set -uo pipefail
export NEXT_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
command -v promtool >/dev/null || need+=(prometheus)
# PostgreSQL's server for the private test cluster (test/helpers/postgres.ts); Debian does not put it on PATH.
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)
if ((${#need[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "Installing Debian packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || {
      echo "apt-get failed; run: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2; exit 1; }
  else
    echo "Missing Debian packages. Run: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
# Node 24 first on PATH for everything below (npx, eslint, tsc, vitest, next, playwright), and a
# node_modules built for it.
source scripts/node-env.sh
project_node_env || exit 1
project_node_modules || { echo "npm ci failed; see above." >&2; exit 1; }
echo "Node $(node --version) ($(command -v node))"

mkdir -p .tmp
rm -f .tmp/vitest.json .tmp/playwright.json
failed_steps=()
step() { local name=$1; shift; echo; echo "== $name"; "$@" || failed_steps+=("$name"); }

step lint npx eslint . --max-warnings=0
step typecheck npx tsc --noEmit
# The build comes first: some integration tests run the production server (test/fuzz/built-server.test.ts).
step build npx next build
step "unit+integration" npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json
step e2e env PLAYWRIGHT_JSON_OUTPUT_NAME=.tmp/playwright.json npx playwright test --reporter=list,json

echo
node scripts/test-summary.mjs .tmp/vitest.json .tmp/playwright.json "${failed_steps[@]/#/step:}"
if ((${#failed_steps[@]})); then
  echo "Failed steps: ${failed_steps[*]}" >&2
  exit 1
fi
