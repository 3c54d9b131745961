#!/usr/bin/env bash
# `npm start`: install dependencies if missing, bring up the local stack, start the worker and the API,
# run the sample migration (examples/pg-to-pg.yaml) with a live progress bar, then keep serving.
# Ctrl-C stops the worker and the API, and the stack services this run started (not ones already up).
#   DATAMIGRATO_START_STACK="temporal postgres ferretdb cassandra"  components to bring up
#   DATAMIGRATO_START_ONESHOT=1                                      exit after the sample (used by a test)
#   PORT=3000                                                        API port
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/ensure-deps.sh

# shellcheck disable=SC2206
components=(${DATAMIGRATO_START_STACK:-temporal postgres})
started_here=()
# Read status once into a variable: `status | grep -q` under pipefail fails when grep exits early (SIGPIPE).
status_before=$(bash scripts/stack.sh status 2>/dev/null || true)
for c in "${components[@]}"; do
  grep -qE "^$c +up" <<<"$status_before" || started_here+=("$c")
done
bash scripts/stack.sh up "${components[@]}"
eval "$(bash scripts/stack.sh env)"

logs="$DATAMIGRATO_STACK_DIR/app"
mkdir -p "$logs"
export PORT=${PORT:-3000}
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "[start] stopping worker and API"
  for p in "${pids[@]}"; do kill -TERM "-$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if ((${#started_here[@]})); then bash scripts/stack.sh down "${started_here[@]}"; fi
}
trap cleanup INT TERM EXIT

# Each in its own process group, so stopping one stops tsx and the node it runs.
node_modules/.bin/tsx scripts/bundle-workflows.ts "$logs/workflow-bundle.js" >/dev/null
DATAMIGRATO_WORKFLOW_BUNDLE="$logs/workflow-bundle.js" setsid bin/datamigrato-worker >"$logs/worker.log" 2>&1 &
pids+=($!)
setsid node_modules/.bin/tsx api/main.ts >"$logs/api.log" 2>&1 &
pids+=($!)

api="http://127.0.0.1:$PORT"
for _ in $(seq 1 120); do
  curl -fsS "$api/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$api/healthz" >/dev/null || { echo "[start] API did not become healthy; see $logs/api.log" >&2; tail -20 "$logs/api.log" >&2; exit 1; }
grep -q "worker started" "$logs/worker.log" || sleep 3

cat <<EOF2

  Temporal Web UI  $TEMPORAL_UI_URL/namespaces/$TEMPORAL_NAMESPACE/workflows
  API              $api   (GET /connectors, POST /migrations, GET /openapi.json)
  Logs             $logs/worker.log, $logs/api.log

[start] running the sample migration: examples/pg-to-pg.yaml (PostgreSQL sample.customers → sample.customers_copy)
EOF2
node_modules/.bin/tsx scripts/seed-sample.ts
set +e
bin/datamigrato run examples/pg-to-pg.yaml --watch
rc=$?
set -e
if [[ ${DATAMIGRATO_START_ONESHOT:-} == 1 ]]; then
  exit "$rc"
fi
echo
echo "[start] worker and API keep running; try: bin/datamigrato list   (Ctrl-C to stop)"
wait
