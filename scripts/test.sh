#!/usr/bin/env bash
# `npm test`: install dependencies if needed, lint and format check, bring up the local stack, run jest (unit + integration).
#   bash scripts/test.sh [jest args...]
# DATAMIGRATO_TEST_STACK overrides which stack components start (default: all five).
# With CI=true the stack is stopped afterwards; otherwise it stays up for the next run (second `up` is a no-op).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

source scripts/ensure-deps.sh

# Lint first: a lint error fails the run before the stack is started.
npm run --silent lint
npm run --silent format:check

if [[ ${CI:-} == true ]]; then
  trap 'bash "$ROOT/scripts/stack.sh" down' EXIT
fi

# shellcheck disable=SC2206
components=(${DATAMIGRATO_TEST_STACK:-temporal postgres ferretdb cassandra mysql dynamodb rtdb firestore})
bash scripts/stack.sh up "${components[@]}"
eval "$(bash scripts/stack.sh env)"
# Standalone docker-compose (Go module proxy) so the test can run `docker-compose config -q`; best effort.
bash scripts/stack.sh tools || echo "[test] docker-compose unavailable: docker-compose.yml is only checked structurally" >&2

set +e
npx jest "$@"
rc=$?
set -e
exit "$rc"
