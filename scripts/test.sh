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
# The API fuzzer (schemathesis, PyPI) in a cached venv; best effort: test/integration/api-fuzz.test.ts skips loudly without it.
fuzz_venv="${DATAMIGRATO_CACHE:-$HOME/.cache/datamigrato}/schemathesis"
if [[ ! -x $fuzz_venv/bin/schemathesis ]]; then
  { python3 -m venv "$fuzz_venv" && "$fuzz_venv/bin/pip" install -q 'schemathesis>=4,<5'; } ||
    echo "[test] schemathesis could not be installed from PyPI: the API fuzz test will be skipped" >&2
fi

set +e
npx jest "$@"
rc=$?
set -e
exit "$rc"
