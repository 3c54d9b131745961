#!/usr/bin/env bash
# `npm run bench`: throughput and memory figures against the local stack. Prints, never asserts.
#   BENCH_ROWS=1000000 (PG → PG), BENCH_MONGO_ROWS (Mongo → PG / Cassandra), BENCH_ONLY=pg|mongo
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/ensure-deps.sh
only=${BENCH_ONLY:-all}
components=(temporal postgres)
[[ $only == pg ]] || components+=(ferretdb cassandra)
bash scripts/stack.sh up "${components[@]}"
eval "$(bash scripts/stack.sh env)"
if [[ $only != mongo ]]; then
  echo "== PostgreSQL → PostgreSQL"
  npx tsx bench/pg.ts
fi
if [[ $only != pg && -f bench/mongo.ts ]]; then
  echo "== MongoDB → PostgreSQL / Cassandra"
  BENCH_ROWS=${BENCH_MONGO_ROWS:-200000} npx tsx bench/mongo.ts
fi
