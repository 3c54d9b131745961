#!/usr/bin/env bash
# `npm run bench`: throughput and memory figures against the local stack. Prints, never asserts.
#   BENCH_ROWS=1000000 (PG → PG), BENCH_MONGO_ROWS (Mongo → PG / Cassandra), BENCH_SQLITE_ROWS=1000000 (SQLite → PG
#   against pgloader, and SQLite → DynamoDB on BENCH_SQLITE_DDB_ROWS=100000), BENCH_MYSQL_ROWS=1000000 (MySQL → PG
#   against pgloader), BENCH_ONLY=pg|mongo|sqlite|mysql
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# pgloader is the peer of the PostgreSQL, SQLite and MySQL sections: a Debian package, installed when missing.
# Without it each section still measures the service and says why there is no pgloader ratio.
ensure_pgloader() {
  command -v pgloader >/dev/null && return 0
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "installing pgloader (apt-get) …"
    apt-cache show pgloader >/dev/null 2>&1 || apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgloader >/dev/null || true
  fi
  command -v pgloader >/dev/null && return 0
  echo "pgloader is not installed and could not be (needs root and apt-get: apt-get install -y pgloader);" \
    "the SQLite section measures the service alone"
  return 1
}

# cqlsh is the native peer of a Cassandra target (bench/native-loaders.ts): from PyPI into a venv in the tool
# cache, installed when missing. Without it the Cassandra lines say why there is no ratio.
ensure_cqlsh() {
  local venv="${DATAMIGRATO_CACHE:-$HOME/.cache/datamigrato}/cqlsh"
  [[ -x $venv/bin/cqlsh ]] && return 0
  echo "installing cqlsh 6.2.2 (PyPI) into $venv …"
  { python3 -m venv "$venv" && "$venv/bin/pip" install -q cqlsh==6.2.2; } || echo "cqlsh could not be installed; no Cassandra native ratio"
}

bash scripts/ensure-deps.sh
only=${BENCH_ONLY:-all}
components=(temporal postgres)
[[ $only == pg || $only == sqlite || $only == mysql ]] || components+=(ferretdb cassandra)
[[ $only == all || $only == sqlite ]] && components+=(dynamodb)
[[ $only == all || $only == mysql ]] && components+=(mysql)
bash scripts/stack.sh up "${components[@]}"
eval "$(bash scripts/stack.sh env)"
if [[ $only == all || $only == pg ]]; then
  echo "== PostgreSQL → PostgreSQL"
  ensure_pgloader || true # bench/pg.ts says when there is none
  npx tsx bench/pg.ts
fi
if [[ ($only == all || $only == mongo) && -f bench/mongo.ts ]]; then
  echo "== MongoDB → PostgreSQL / Cassandra"
  ensure_cqlsh
  BENCH_ROWS=${BENCH_MONGO_ROWS:-100000,1000000} npx tsx bench/mongo.ts
fi
if [[ $only == all || $only == sqlite ]]; then
  echo "== SQLite → PostgreSQL, against pgloader"
  if ensure_pgloader; then npx tsx bench/sqlite.ts; else BENCH_SQLITE_SKIP=pgloader npx tsx bench/sqlite.ts; fi
fi
if [[ $only == all || $only == mysql ]]; then
  echo "== MySQL (MariaDB) → PostgreSQL, against pgloader"
  if ensure_pgloader; then npx tsx bench/mysql.ts; else BENCH_MYSQL_SKIP=pgloader npx tsx bench/mysql.ts; fi
fi
