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
# CPython before 3.12 can raise "SystemError: AST constructor recursion depth mismatch" (cpython gh-106905) when
# hypothesis parses a lambda's source deep in schemathesis's coverage phase — at random, failing the fuzz run with a
# "Runtime Error" that is no finding. So the venv gets the newest Python >= 3.12 there is, and one made with an
# older Python is rebuilt when a newer one has appeared.
py_ok='import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'
fuzz_python() {
  local c
  for c in python3.14 python3.13 python3.12 $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) python3; do
    "$c" -c "$py_ok" 2>/dev/null && { echo "$c"; return; }
  done
  echo python3
}
fuzz_venv="${DATAMIGRATO_CACHE:-$HOME/.cache/datamigrato}/schemathesis"
fuzz_py=$(fuzz_python)
if [[ -x $fuzz_venv/bin/schemathesis ]] && ! "$fuzz_venv/bin/python" -c "$py_ok" 2>/dev/null && "$fuzz_py" -c "$py_ok" 2>/dev/null; then
  echo "[test] rebuilding the schemathesis venv with $("$fuzz_py" --version) (it was made with an older Python)" >&2
  rm -rf "$fuzz_venv"
fi
if [[ ! -x $fuzz_venv/bin/schemathesis ]]; then
  { "$fuzz_py" -m venv "$fuzz_venv" && "$fuzz_venv/bin/pip" install -q 'schemathesis>=4,<5'; } ||
    echo "[test] schemathesis could not be installed from PyPI: the API fuzz test will be skipped" >&2
fi

set +e
npx jest "$@"
rc=$?
set -e
exit "$rc"
