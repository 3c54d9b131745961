#!/usr/bin/env bash
# datamigrato local stack: a real Temporal dev server, PostgreSQL, FerretDB (MongoDB wire protocol),
# Cassandra 5, MariaDB (MySQL protocol), dynalite (DynamoDB API) and firebase-server (Firebase Realtime Database), built/installed from package registries only (no Docker engine needed).
#
#   bash scripts/stack.sh up [temporal|postgres|ferretdb|cassandra|mysql|dynamodb|rtdb|firestore ...]   (default: temporal postgres)
#   bash scripts/stack.sh down [components...]                            (default: all)
#   bash scripts/stack.sh status
#   bash scripts/stack.sh env          # export lines; use: eval "$(bash scripts/stack.sh env)"
#   bash scripts/stack.sh tools        # optional: standalone docker-compose, to validate docker-compose.yml
#
# Tool builds are cached outside the repo in ${DATAMIGRATO_CACHE:-~/.cache/datamigrato} (bin/, cassandra/, logs/);
# runtime state (data, pid files, logs) lives in ${DATAMIGRATO_STACK_DIR:-<repo>/.stack}.
# Every process is started in its own session (setsid); its pid (= process group id) is recorded in
# .stack/<name>/<name>.pid and `down` signals exactly that process group.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${DATAMIGRATO_CACHE:-$HOME/.cache/datamigrato}"
STACK="${DATAMIGRATO_STACK_DIR:-$ROOT/.stack}"
BIN="$CACHE/bin"
BUILD_LOGS="$CACHE/logs"

TEMPORAL_CLI_VERSION=v1.5.1      # newest tag `go install` accepts (v1.6+ has a replace directive); server 1.29.1
FERRETDB_VERSION=v1.24.2
CASSANDRA_VERSION=5.0.9
CASSANDRA_LIB="$CACHE/cassandra/lib-$CASSANDRA_VERSION"

HOST=127.0.0.1
ALL_COMPONENTS=(temporal postgres ferretdb cassandra mysql dynamodb rtdb firestore)
DEFAULT_UP=(temporal postgres)

# A port may be overridden with DATAMIGRATO_<NAME>_PORT; while a service runs, the port it was started with
# (recorded in .stack/<svc>/ports) wins, so `env`/`status` from another shell still print the right address.
recorded() { # svc key default
  local f="$STACK/$1/ports"
  if [[ -f $f ]]; then
    local v; v=$(sed -n "s/^$2=//p" "$f" | head -n1)
    if [[ -n $v ]]; then echo "$v"; return; fi
  fi
  echo "$3"
}
TEMPORAL_PORT="${DATAMIGRATO_TEMPORAL_PORT:-$(recorded temporal port 7233)}"
TEMPORAL_UI_PORT="${DATAMIGRATO_TEMPORAL_UI_PORT:-$(recorded temporal ui_port 8233)}"
PG_PORT="${DATAMIGRATO_PG_PORT:-$(recorded postgres port 55432)}"
MONGO_PORT="${DATAMIGRATO_MONGO_PORT:-$(recorded ferretdb port 27018)}"
FERRETDB_DEBUG_PORT="${DATAMIGRATO_FERRETDB_DEBUG_PORT:-$(recorded ferretdb debug_port 8089)}"
CASSANDRA_PORT="${DATAMIGRATO_CASSANDRA_PORT:-$(recorded cassandra port 9042)}"
CASSANDRA_STORAGE_PORT="${DATAMIGRATO_CASSANDRA_STORAGE_PORT:-$(recorded cassandra storage_port 7000)}"
MYSQL_PORT="${DATAMIGRATO_MYSQL_PORT:-$(recorded mysql port 53306)}"
DYNAMODB_PORT="${DATAMIGRATO_DYNAMODB_PORT:-$(recorded dynamodb port 58000)}"
RTDB_PORT="${DATAMIGRATO_RTDB_PORT:-$(recorded rtdb port 59000)}"
RTDB_NAMESPACE=datamigrato
FIRESTORE_PORT="${DATAMIGRATO_FIRESTORE_PORT:-$(recorded firestore port 58080)}"
FIRESTORE_PROJECT=demo-datamigrato
SUGGEST_CAN_EVENTS="${DATAMIGRATO_SUGGEST_CAN_EVENTS:-2000}"
# Cassandra auth: PasswordAuthenticator + CassandraAuthorizer (default superuser cassandra/cassandra).
# DATAMIGRATO_CASSANDRA_AUTH=0 switches to AllowAll (only takes effect on a fresh .stack/cassandra).
CASSANDRA_AUTH="${DATAMIGRATO_CASSANDRA_AUTH:-$(recorded cassandra auth 1)}"
PG_PASSWORD=postgres
MYSQL_PASSWORD=mysql
MYSQL_DATABASE=dm_test

# Custom search attributes the engine uses (name=type).
SEARCH_ATTRIBUTES=(DatamigratoStatus=Keyword DatamigratoJob=Keyword DatamigratoSource=Keyword
  DatamigratoTarget=Keyword DatamigratoRows=Int)

say() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------------------------------------------------------
# process helpers

svc_dir() { echo "$STACK/$1"; }
pid_file() { echo "$STACK/$1/$1.pid"; }
log_file() { echo "$STACK/$1/$1.log"; }

# A string that appears in the command line of exactly our process for this service (guards against pid reuse).
signature() {
  case $1 in
    temporal) echo "$STACK/temporal/temporal.db" ;;
    postgres) echo "$(pg_data_dir)" ;;
    ferretdb) echo "$STACK/ferretdb/state" ;;
    cassandra) echo "$STACK/cassandra/cassandra.yaml" ;;
    mysql) echo "$STACK/mysql/data" ;;
    dynamodb) echo "$STACK/dynamodb/data" ;;
    rtdb) echo "$STACK/rtdb/firebase-server" ;;
    firestore) echo "--port=$FIRESTORE_PORT --project_id=$FIRESTORE_PROJECT" ;;
  esac
}

alive() { # pid: exists and is not a zombie
  local pid=$1 st
  [[ -r /proc/$pid/stat ]] || return 1
  st=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $st != Z && $st != X ]]
}

cmdline_has() { # pid string
  local c
  c=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $c == *"$2"* ]]
}

# Prints the pid of our running process for the service, or fails.
running_pid() {
  local f pid
  f=$(pid_file "$1")
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  alive "$pid" && cmdline_has "$pid" "$(signature "$1")" || return 1
  echo "$pid"
}

group_alive() { # pgid: any non-zombie member left?
  local p
  for p in $(pgrep -g "$1" 2>/dev/null || true); do alive "$p" && return 0; done
  return 1
}

port_listening() { # port
  if have ss; then
    [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
  fi
}

port_owner() { # port -> description of the listener, best effort
  if have ss; then ss -Hltnp "sport = :$1" 2>/dev/null | sed 's/^/    /'; fi
}

require_free_ports() { # svc port...
  local svc=$1 p; shift
  for p in "$@"; do
    if port_listening "$p"; then
      die "$svc: port $HOST:$p is already in use by a process this script did not start:
$(port_owner "$p")
  Stop it, or choose other ports (DATAMIGRATO_*_PORT, see docs/stack.md)."
    fi
  done
}

# spawn svc cmd... : start cmd in its own session, stdout/stderr appended to the service log, pid recorded.
spawn() {
  local svc=$1; shift
  local log; log=$(log_file "$svc")
  printf '\n===== %s starting: %s\n' "$(date -Is)" "$*" >>"$log"
  # Not a process-group leader (no job control in scripts), so setsid execs in place: $! is the server's pid.
  # fd 9 is the stack.sh lock: the server must not inherit it, or the lock would outlive this script.
  (cd "$(svc_dir "$svc")" && exec setsid "$@" </dev/null >>"$log" 2>&1 9>&-) &
  local pid=$!
  echo "$pid" >"$(pid_file "$svc")"
  sleep 0.3
  if ! alive "$pid"; then
    rm -f "$(pid_file "$svc")"
    tail_log "$svc"
    die "$svc exited immediately (see $log)"
  fi
}

tail_log() { say "last lines of $(log_file "$1"):"; tail -n "${2:-40}" "$(log_file "$1")" 2>/dev/null | sed 's/^/    /' >&2 || true; }

# wait_ready svc timeout_s probe_fn
wait_ready() {
  local svc=$1 timeout=$2 probe=$3 start=$SECONDS pid
  pid=$(<"$(pid_file "$svc")")
  while true; do
    if "$probe" >/dev/null 2>&1; then
      say "$svc ready after $((SECONDS - start)) s"
      return 0
    fi
    if ! alive "$pid"; then
      tail_log "$svc" 60
      rm -f "$(pid_file "$svc")"
      die "$svc (pid $pid) died while starting; log: $(log_file "$svc")"
    fi
    if ((SECONDS - start >= timeout)); then
      tail_log "$svc" 60
      say "$svc not ready after ${timeout} s; stopping it"
      stop_group "$svc" "$pid" TERM 30 || true
      rm -f "$(pid_file "$svc")"
      die "$svc did not become ready within ${timeout} s; log: $(log_file "$svc")"
    fi
    sleep 1
  done
}

# stop_group svc pid signal timeout_s : signal the process group (postgres: only the postmaster), wait, then KILL.
stop_group() {
  local svc=$1 pid=$2 sig=$3 timeout=$4 start=$SECONDS
  if [[ $svc == postgres ]]; then
    kill -"$sig" "$pid" 2>/dev/null || true
  else
    kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
  fi
  while alive "$pid" || group_alive "$pid"; do
    if ((SECONDS - start >= timeout)); then
      say "$svc (pgid $pid) still running after ${timeout} s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.3
  done
}

# ---------------------------------------------------------------------------------------------------------------
# builds (only when missing)

need_go() { have go || die "Go is required to build $1 (Go module proxy); install Go >= 1.24"; }

build_temporal() {
  if [[ -x $BIN/temporal ]] && "$BIN/temporal" --version >/dev/null 2>&1; then return; fi
  need_go "the Temporal CLI"
  mkdir -p "$BIN" "$BUILD_LOGS"
  say "building Temporal CLI $TEMPORAL_CLI_VERSION into $BIN (first time only, takes minutes; log $BUILD_LOGS/temporal-build.log)"
  if ! CGO_ENABLED=0 GOBIN="$BIN" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" \
    >"$BUILD_LOGS/temporal-build.log" 2>&1; then
    tail -n 30 "$BUILD_LOGS/temporal-build.log" >&2
    die "Temporal CLI build failed"
  fi
}

# FerretDB panics at start ("Invalid build/version/version.txt") when built with `go build`/`go install` from
# the module cache: version.txt is generated by its release tooling and absent from the module zip, and the check
# runs whenever the main package's module is FerretDB's. So: download the module pinned (and checksummed) by
# scripts/ferretdb/go.mod+go.sum, copy it to the cache, write build/version/version.txt, build from there.
ferretdb_ok() {
  [[ -x $BIN/ferretdb ]] || return 1
  local v; v=$("$BIN/ferretdb" --version 2>/dev/null) || return 1
  [[ $v == *"version: $FERRETDB_VERSION"* ]]
}

build_ferretdb() {
  ferretdb_ok && return
  need_go FerretDB
  mkdir -p "$BIN" "$BUILD_LOGS" "$CACHE/src"
  local log="$BUILD_LOGS/ferretdb-build.log" moddir src="$CACHE/src/ferretdb-$FERRETDB_VERSION"
  say "building FerretDB $FERRETDB_VERSION into $BIN (first time only; log $log)"
  {
    moddir=$(cd "$ROOT/scripts/ferretdb" && go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p') &&
      [[ -n $moddir && -d $moddir ]] &&
      rm -rf "$src" && cp -r "$moddir" "$src" && chmod -R u+w "$src" &&
      echo "$FERRETDB_VERSION" >"$src/build/version/version.txt" &&
      (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$BIN/ferretdb.tmp" ./cmd/ferretdb) &&
      mv "$BIN/ferretdb.tmp" "$BIN/ferretdb"
  } >"$log" 2>&1 || {
    tail -n 30 "$log" >&2
    die "FerretDB build failed"
  }
  ferretdb_ok || die "built FerretDB does not report $FERRETDB_VERSION: $("$BIN/ferretdb" --version 2>&1 | head -n 3)"
}

build_cassandra() {
  if [[ -f $CASSANDRA_LIB/cassandra-all-$CASSANDRA_VERSION.jar ]]; then return; fi
  have mvn || die "Maven is required to fetch Cassandra $CASSANDRA_VERSION jars from Maven Central"
  mkdir -p "$BUILD_LOGS" "$CACHE/cassandra"
  local tmp="$CASSANDRA_LIB.tmp.$$" log="$BUILD_LOGS/cassandra-mvn.log"
  say "fetching Cassandra $CASSANDRA_VERSION jars from Maven Central into $CASSANDRA_LIB (first time only; log $log)"
  if ! mvn -q -B -f "$ROOT/scripts/cassandra/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed"
  fi
  [[ -f $tmp/cassandra-all-$CASSANDRA_VERSION.jar ]] || die "cassandra-all-$CASSANDRA_VERSION.jar missing after mvn"
  rm -rf "$CASSANDRA_LIB" && mv "$tmp" "$CASSANDRA_LIB"
}

# docker compose is only needed to validate docker-compose.yml (test/integration/stack.test.ts); the docker client
# on our machines has no compose plugin. `go install .../cmd@vX` refuses the module (its go.mod has exclude
# directives), so build it from a copy of the module, as the main module.
COMPOSE_VERSION=v2.40.3
build_compose() {
  if [[ -x $BIN/docker-compose ]] && "$BIN/docker-compose" version >/dev/null 2>&1; then return; fi
  need_go docker-compose
  mkdir -p "$BIN" "$BUILD_LOGS" "$CACHE/src"
  local log="$BUILD_LOGS/compose-build.log" moddir src="$CACHE/src/compose-$COMPOSE_VERSION" tmp
  tmp=$(mktemp -d)
  say "building docker-compose $COMPOSE_VERSION into $BIN (first time only, takes minutes; log $log)"
  {
    moddir=$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p') &&
      [[ -n $moddir && -d $moddir ]] &&
      rm -rf "$src" && cp -r "$moddir" "$src" && chmod -R u+w "$src" &&
      (cd "$src" && CGO_ENABLED=0 go build -trimpath \
        -ldflags "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" -o "$BIN/docker-compose.tmp" ./cmd) &&
      mv "$BIN/docker-compose.tmp" "$BIN/docker-compose"
  } >"$log" 2>&1 || {
    rm -rf "$tmp"
    tail -n 30 "$log" >&2
    die "docker-compose build failed"
  }
  rm -rf "$tmp"
  say "built $("$BIN/docker-compose" version)"
}

# ---------------------------------------------------------------------------------------------------------------
# temporal

temporal_cli() { "$BIN/temporal" --address "$HOST:$TEMPORAL_PORT" --namespace default --command-timeout 10s "$@"; }

probe_temporal() {
  local h
  h=$(temporal_cli operator cluster health 2>/dev/null) && [[ $h == *SERVING* ]] &&
    curl -sf -o /dev/null --max-time 3 "http://$HOST:$TEMPORAL_UI_PORT/"
}

# start-dev --search-attribute only registers attributes when it creates the namespace, i.e. on a fresh db
# file; on an existing file new names would be missing. So after start, add whatever is missing.
ensure_search_attributes() {
  local existing sa name type
  existing=$(temporal_cli operator search-attribute list -o json) || die "cannot list search attributes"
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    name=${sa%%=*} type=${sa#*=}
    if ! grep -q "\"$name\"" <<<"$existing"; then
      say "registering search attribute $name ($type)"
      temporal_cli operator search-attribute create --name "$name" --type "$type" >/dev/null ||
        die "cannot create search attribute $name"
    fi
  done
}

start_temporal() {
  build_temporal
  mkdir -p "$STACK/temporal"
  local sa_flags=() sa
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do sa_flags+=(--search-attribute "$sa"); done
  require_free_ports temporal "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT"
  printf 'port=%s\nui_port=%s\n' "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT" >"$STACK/temporal/ports"
  # "default" is always created by start-dev (--namespace only adds extra ones).
  spawn temporal "$BIN/temporal" server start-dev \
    --ip "$HOST" --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --db-filename "$STACK/temporal/temporal.db" \
    "${sa_flags[@]}" \
    --dynamic-config-value "limit.historyCount.suggestContinueAsNew=$SUGGEST_CAN_EVENTS" \
    --log-level warn
  wait_ready temporal 90 probe_temporal
}

# ---------------------------------------------------------------------------------------------------------------
# postgres

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [[ -n $d && -x $d/postgres ]] && echo "$d"
}

install_postgres() {
  [[ -n $(pg_bindir) ]] && return
  say "PostgreSQL not found: installing the Debian package (apt-get install -y postgresql)"
  local sudo=()
  if ((EUID != 0)); then have sudo || die "PostgreSQL missing and not root (no sudo): apt-get install postgresql"; sudo=(sudo); fi
  mkdir -p "$BUILD_LOGS"
  { "${sudo[@]}" apt-get update && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y postgresql; } \
    >"$BUILD_LOGS/postgres-apt.log" 2>&1 || { tail -n 30 "$BUILD_LOGS/postgres-apt.log" >&2; die "apt-get install postgresql failed"; }
  [[ -n $(pg_bindir) ]] || die "postgresql installed but no /usr/lib/postgresql/*/bin/postgres"
}

# When run as root, postgres runs as the `postgres` system user (it refuses root). That user must be able to
# reach its data dir; if .stack is under a directory it cannot traverse (e.g. /root), the cluster lives in
# /var/tmp/datamigrato-pg-<hash> instead (recorded in .stack/postgres/data-location).
pg_root() {
  local loc="$STACK/postgres/data-location"
  if [[ -f $loc ]]; then cat "$loc"; return; fi
  echo "$STACK/postgres"
}
pg_data_dir() { echo "$(pg_root)/data"; }
pg_socket_dir() { echo "$(pg_root)/run"; }

as_pg() { # run a command as the postgres OS user (root) or as ourselves
  if ((EUID == 0)); then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}

probe_postgres() { "$(pg_bindir)/pg_isready" -q -h "$HOST" -p "$PG_PORT" -t 2; }

start_postgres() {
  install_postgres
  local bindir; bindir=$(pg_bindir)
  mkdir -p "$STACK/postgres"
  if [[ ! -f $STACK/postgres/data-location && ! -d $STACK/postgres/data ]] && ((EUID == 0)) &&
    ! setpriv --reuid=postgres --regid=postgres --init-groups -- test -x "$STACK/postgres"; then
    local alt; alt="/var/tmp/datamigrato-pg-$(printf '%s' "$STACK" | md5sum | cut -c1-10)"
    say "the postgres user cannot reach $STACK; keeping the cluster in $alt"
    mkdir -p "$alt"
    echo "$alt" >"$STACK/postgres/data-location"
  fi
  local root data sock
  root=$(pg_root) data=$(pg_data_dir) sock=$(pg_socket_dir)
  mkdir -p "$root" "$sock"
  ((EUID == 0)) && chown postgres:postgres "$root" "$sock"
  if [[ ! -f $data/PG_VERSION ]]; then
    rm -rf "$data"
    mkdir -p "$data"
    ((EUID == 0)) && chown postgres:postgres "$data"
    chmod 700 "$data"
    local pw="$root/pwfile"
    echo "$PG_PASSWORD" >"$pw"
    ((EUID == 0)) && chown postgres:postgres "$pw"
    say "initdb $data"
    if ! as_pg "$bindir/initdb" -D "$data" --username=postgres --pwfile="$pw" --auth=scram-sha-256 \
      --encoding=UTF8 --no-locale >"$(log_file postgres)" 2>&1; then
      rm -f "$pw"
      tail_log postgres
      die "initdb failed"
    fi
    rm -f "$pw"
  fi
  # Parallel queries use /dev/shm (posix); containers often give it only 64 MB.
  local dsm=posix shm_kb
  shm_kb=$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2{print $2}')
  [[ -z $shm_kb || $shm_kb -lt 1048576 ]] && dsm=mmap
  require_free_ports postgres "$PG_PORT"
  printf 'port=%s\n' "$PG_PORT" >"$STACK/postgres/ports"
  # Test-tuned: no durability (fsync/synchronous_commit/full_page_writes off) — never use for real data.
  local bin=("$bindir/postgres")
  ((EUID == 0)) && bin=(setpriv --reuid=postgres --regid=postgres --init-groups -- "$bindir/postgres")
  spawn postgres "${bin[@]}" -D "$data" \
    -c listen_addresses="$HOST" -c port="$PG_PORT" -c unix_socket_directories="$sock" \
    -c max_connections=200 -c shared_buffers=256MB -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c dynamic_shared_memory_type="$dsm" -c logging_collector=off \
    -c log_min_messages=warning -c log_min_error_statement=error
  wait_ready postgres 60 probe_postgres
  PGPASSWORD=$PG_PASSWORD "$bindir/psql" -h "$HOST" -p "$PG_PORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null ||
    die "postgres is up but password login as postgres/$PG_PASSWORD failed"
}

# ---------------------------------------------------------------------------------------------------------------
# ferretdb

node_probe() { # js: run with the repo's node_modules
  (cd "$ROOT" && timeout 20 node -e "$1")
}
have_node_module() { [[ -d $ROOT/node_modules/$1 ]] && have node; }

probe_ferretdb() {
  if have_node_module mongodb; then
    node_probe "
      const { MongoClient } = require('mongodb');
      const c = new MongoClient('mongodb://$HOST:$MONGO_PORT/', { serverSelectionTimeoutMS: 3000, connectTimeoutMS: 3000 });
      c.connect().then(() => c.db('admin').command({ ping: 1 })).then((r) => c.close().then(() => process.exit(r.ok === 1 ? 0 : 1)),
        (e) => { console.error(e.message); process.exit(1); });"
  else
    port_listening "$MONGO_PORT" && grep -q "Listening on" "$(log_file ferretdb)"
  fi
}

start_ferretdb() {
  build_ferretdb
  mkdir -p "$STACK/ferretdb/data" "$STACK/ferretdb/state"
  require_free_ports ferretdb "$MONGO_PORT" "$FERRETDB_DEBUG_PORT"
  printf 'port=%s\ndebug_port=%s\n' "$MONGO_PORT" "$FERRETDB_DEBUG_PORT" >"$STACK/ferretdb/ports"
  spawn ferretdb "$BIN/ferretdb" --handler=sqlite --sqlite-url="file:$STACK/ferretdb/data/" \
    --listen-addr="$HOST:$MONGO_PORT" --state-dir="$STACK/ferretdb/state" \
    --telemetry=disable --debug-addr="$HOST:$FERRETDB_DEBUG_PORT" --log-level=warn
  wait_ready ferretdb 60 probe_ferretdb
}

# ---------------------------------------------------------------------------------------------------------------
# cassandra

find_java() {
  local j=java
  [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]] && j=$JAVA_HOME/bin/java
  have "$j" || die "Java 17 is required for Cassandra $CASSANDRA_VERSION (apt-get install openjdk-17-jre-headless)"
  local v; v=$("$j" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  [[ $v == 17 || $v == 11 ]] || die "Cassandra $CASSANDRA_VERSION needs JDK 11 or 17; $j is version $v"
  echo "$j"
}

write_cassandra_config() {
  local d="$STACK/cassandra" authn=AllowAllAuthenticator authz=AllowAllAuthorizer
  if [[ $CASSANDRA_AUTH == 1 ]]; then authn=PasswordAuthenticator authz=CassandraAuthorizer; fi
  cat >"$d/cassandra.yaml" <<EOF
# Generated by scripts/stack.sh — single test node, not for production.
cluster_name: datamigrato
num_tokens: 16
allocate_tokens_for_local_replication_factor: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
commitlog_sync: periodic
commitlog_sync_period: 10000ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "$HOST:$CASSANDRA_STORAGE_PORT"
listen_address: $HOST
rpc_address: $HOST
storage_port: $CASSANDRA_STORAGE_PORT
native_transport_port: $CASSANDRA_PORT
start_native_transport: true
authenticator: $authn
authorizer: $authz
role_manager: CassandraRoleManager
auto_snapshot: false
storage_compatibility_mode: NONE
EOF
  cat >"$d/logback.xml" <<'EOF'
<!-- Generated by scripts/stack.sh: everything to stdout, which is appended to .stack/cassandra/cassandra.log -->
<configuration scan="false">
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
</configuration>
EOF
}

cassandra_js_client() {
  local creds=""
  [[ $CASSANDRA_AUTH == 1 ]] && creds="credentials: { username: 'cassandra', password: 'cassandra' },"
  echo "const cassandra = require('cassandra-driver');
    const c = new cassandra.Client({ contactPoints: ['$HOST:$CASSANDRA_PORT'], localDataCenter: 'datacenter1', $creds
      socketOptions: { connectTimeout: 3000, readTimeout: 5000 } });"
}

probe_cassandra() {
  if have_node_module cassandra-driver; then
    node_probe "$(cassandra_js_client)
      c.connect().then(() => c.execute('SELECT release_version FROM system.local'))
        .then((r) => { console.log(r.rows[0].release_version); return c.shutdown(); })
        .then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });"
  else
    port_listening "$CASSANDRA_PORT" && grep -q "Startup complete" "$(log_file cassandra)"
  fi
}

start_cassandra() {
  build_cassandra
  local java; java=$(find_java)
  local d="$STACK/cassandra"
  mkdir -p "$d/storage"
  if [[ -f $d/ports ]] && [[ $(recorded cassandra auth 1) != "$CASSANDRA_AUTH" ]]; then
    say "note: auth setting changed; Cassandra keeps its existing roles in $d/storage"
  fi
  write_cassandra_config
  require_free_ports cassandra "$CASSANDRA_PORT" "$CASSANDRA_STORAGE_PORT"
  printf 'port=%s\nstorage_port=%s\nauth=%s\n' "$CASSANDRA_PORT" "$CASSANDRA_STORAGE_PORT" "$CASSANDRA_AUTH" >"$d/ports"
  local jamm=()
  [[ -f $CASSANDRA_LIB/jamm-0.4.0.jar ]] && jamm=(-javaagent:"$CASSANDRA_LIB/jamm-0.4.0.jar")
  # JPMS flags: apache/cassandra conf/jvm17-server.options (cassandra-5.0), "### JPMS" section.
  local jpms=(
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
    --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
    --add-exports java.sql/java.sql=ALL-UNNAMED
    --add-exports java.base/java.lang.ref=ALL-UNNAMED
    --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
    --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
    --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
    --add-opens java.base/java.lang.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
    --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
    --add-opens java.base/jdk.internal.math=ALL-UNNAMED
    --add-opens java.base/jdk.internal.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
    --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
    --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens java.base/java.io=ALL-UNNAMED
    --add-opens java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
    --add-opens java.base/java.lang=ALL-UNNAMED
    --add-opens java.base/java.util=ALL-UNNAMED
    --add-opens java.base/java.nio=ALL-UNNAMED
  )
  spawn cassandra "$java" -Xms1g -Xmx1g -Xss256k \
    -XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1 -XX:G1HeapRegionSize=16m \
    -XX:G1RSetUpdatingPauseTimePercent=5 -XX:MaxGCPauseMillis=300 -XX:InitiatingHeapOccupancyPercent=70 \
    -XX:+PerfDisableSharedMem -XX:ErrorFile="$d/hs_err_%p.log" \
    -Djdk.attach.allowAttachSelf=true "${jpms[@]}" "${jamm[@]}" \
    -Dio.netty.tryReflectionSetAccessible=true -Dio.netty.allocator.useCacheForAllThreads=true \
    -Dio.netty.allocator.maxOrder=11 -Djava.net.preferIPv4Stack=true \
    -Dcassandra.config="file://$d/cassandra.yaml" -Dcassandra.storagedir="$d/storage" -Dcassandra.logdir="$d" \
    -Dcassandra-foreground=yes -Dcassandra.skip_wait_for_gossip_to_settle=0 \
    -Dcassandra.superuser_setup_delay_ms=0 -Dcassandra.ring_delay_ms=1000 \
    -Dlogback.configurationFile="$d/logback.xml" \
    -cp "$CASSANDRA_LIB/*" org.apache.cassandra.service.CassandraDaemon
  wait_ready cassandra 180 probe_cassandra
}

# ---------------------------------------------------------------------------------------------------------------
# mysql (MariaDB from Debian: the MySQL wire protocol, what the mysql2 driver speaks)

mysqld_bin() {
  local b
  for b in "$(command -v mariadbd 2>/dev/null)" /usr/sbin/mariadbd; do [[ -n $b && -x $b ]] && { echo "$b"; return; }; done
  return 1
}
mysql_client() {
  local b
  for b in "$(command -v mariadb 2>/dev/null)" /usr/bin/mariadb; do [[ -n $b && -x $b ]] && { echo "$b"; return; }; done
  return 1
}
mysql_admin() {
  local b
  for b in "$(command -v mariadb-admin 2>/dev/null)" /usr/bin/mariadb-admin; do [[ -n $b && -x $b ]] && { echo "$b"; return; }; done
  return 1
}
mysql_socket() { echo "$STACK/mysql/mysqld.sock"; }
mysql_version() { "$(mysqld_bin)" --version 2>/dev/null | sed -n 's/.*Ver \([^ ]*\).*/MariaDB \1/p' || echo MariaDB; }

install_mysql() {
  mysqld_bin >/dev/null && mysql_client >/dev/null && mysql_admin >/dev/null && return
  say "MariaDB not found: installing the Debian package (apt-get install -y mariadb-server)"
  local sudo=()
  if ((EUID != 0)); then have sudo || die "MariaDB missing and not root (no sudo): apt-get install mariadb-server"; sudo=(sudo); fi
  mkdir -p "$BUILD_LOGS"
  # We run our own mariadbd on our own data dir: the package's service must not start (it would take port
  # 3306 and /var/lib/mysql). Without a policy-rc.d, one that says "101: action forbidden" is put in place
  # for the install only.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null && "${sudo[@]}" chmod 755 "$policy" && added_policy=1
  fi
  local rc=0
  { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq mariadb-server; } \
    >"$BUILD_LOGS/mysql-apt.log" 2>&1 || rc=$?
  ((added_policy)) && "${sudo[@]}" rm -f "$policy"
  ((rc == 0)) || { tail -n 30 "$BUILD_LOGS/mysql-apt.log" >&2; die "apt-get install mariadb-server failed"; }
  mysqld_bin >/dev/null || die "mariadb-server installed but no mariadbd found"
}

# `mariadb-admin ping` exits 0 when the server answers, even when it refuses the login: a pure liveness probe.
probe_mysql() { "$(mysql_admin)" --no-defaults --socket="$(mysql_socket)" --connect-timeout=2 ping; }

# The login the tests use: root with a password over TCP (skip-name-resolve: only IP host entries match TCP).
mysql_tcp() { "$(mysql_client)" --no-defaults -h "$HOST" -P "$MYSQL_PORT" -uroot -p"$MYSQL_PASSWORD" "$@"; }

start_mysql() {
  install_mysql
  local d="$STACK/mysql" data="$STACK/mysql/data" user=()
  ((EUID == 0)) && user=(--user=root)
  mkdir -p "$d"
  if [[ ! -d $data/mysql ]]; then
    rm -rf "$data" "$d/initialized"
    say "mariadb-install-db $data"
    if ! mariadb-install-db --no-defaults --datadir="$data" --auth-root-authentication-method=normal "${user[@]}" \
      --skip-test-db >"$(log_file mysql)" 2>&1; then
      tail_log mysql
      die "mariadb-install-db failed"
    fi
  fi
  require_free_ports mysql "$MYSQL_PORT"
  printf 'port=%s\n' "$MYSQL_PORT" >"$d/ports"
  # Test-tuned: redo log flushed once a second, no doublewrite — never keep real data in it.
  spawn mysql "$(mysqld_bin)" --no-defaults --datadir="$data" --socket="$(mysql_socket)" --pid-file="$d/mysqld.pid" \
    --port="$MYSQL_PORT" --bind-address="$HOST" "${user[@]}" --local-infile=1 --character-set-server=utf8mb4 \
    --skip-name-resolve --max-allowed-packet=64M --innodb-buffer-pool-size=256M \
    --innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 --max-connections=300
  wait_ready mysql 60 probe_mysql
  if [[ ! -f $d/initialized ]]; then
    # Fresh data dir: root has no password yet (auth method "normal") and may log in over the socket only.
    "$(mysql_client)" --no-defaults --socket="$(mysql_socket)" -uroot <<SQL || die "mysql: setting the root password failed"
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '$MYSQL_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
ALTER USER 'root'@'localhost' IDENTIFIED BY '$MYSQL_PASSWORD';
CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\` CHARACTER SET utf8mb4;
FLUSH PRIVILEGES;
SQL
    touch "$d/initialized"
  fi
  mysql_tcp -Nse 'SELECT 1' >/dev/null 2>&1 || die "mysql is up but password login as root/$MYSQL_PASSWORD over TCP failed"
}

# ---------------------------------------------------------------------------------------------------------------
# dynamodb: dynalite (npm, Apache-2.0), a DynamoDB API server on LevelDB. Amazon's DynamoDB Local is not used
# (vendor licence); moto's server was tried and kept out (no 38-digit number check, Scan ~30x slower).

DYNALITE_VERSION=4
dynalite_cli() { echo "$ROOT/node_modules/dynalite/cli.js"; }

install_dynalite() {
  [[ -f $(dynalite_cli) ]] && return
  have npm || die "npm is required to install dynalite"
  say "installing dynalite@$DYNALITE_VERSION into $ROOT/node_modules (a devDependency: npm ci brings it too)"
  (cd "$ROOT" && npm install --no-save "dynalite@$DYNALITE_VERSION" >>"$BUILD_LOGS/dynalite-install.log" 2>&1) ||
    die "dynalite install failed (log $BUILD_LOGS/dynalite-install.log)"
}

# Any DynamoDB JSON answer (even "missing authentication token") means the server is up.
probe_dynamodb() {
  curl -s -m 3 -X POST -H 'X-Amz-Target: DynamoDB_20120810.ListTables' -H 'Content-Type: application/x-amz-json-1.0' \
    -d '{}' "http://$HOST:$DYNAMODB_PORT/" | grep -q '__type\|TableNames'
}

start_dynamodb() {
  mkdir -p "$BUILD_LOGS"
  install_dynalite
  mkdir -p "$STACK/dynamodb/data"
  require_free_ports dynamodb "$DYNAMODB_PORT"
  printf 'port=%s\n' "$DYNAMODB_PORT" >"$STACK/dynamodb/ports"
  # createTableMs 50: tables stay CREATING briefly, as on AWS, without slowing tests down.
  spawn dynamodb node "$(dynalite_cli)" --host "$HOST" --port "$DYNAMODB_PORT" --path "$STACK/dynamodb/data" \
    --createTableMs 50 --deleteTableMs 50 --updateTableMs 50
  wait_ready dynamodb 60 probe_dynamodb
}

# ---------------------------------------------------------------------------------------------------------------
# rtdb: firebase-server (npm, MIT), which speaks the Firebase Realtime Database wire protocol in memory. The
# official emulator cannot be had here (firebase-tools downloads its jar from Google storage): docker-compose has it.
# `-s owner` is required (else the admin SDK waits forever for its auth token). It ignores query parameters
# server-side (see docs/connectors-rtdb.md). The signature is a symlink name in the state dir so `down` finds it.

firebase_server_cli() { echo "$ROOT/node_modules/firebase-server/bin/firebase-server.js"; }

probe_rtdb() { curl -sf -m 3 "http://$HOST:$RTDB_PORT/.json" >/dev/null; }

start_rtdb() {
  [[ -f $(firebase_server_cli) ]] || die "firebase-server is missing from node_modules (a devDependency: run npm ci)"
  mkdir -p "$STACK/rtdb"
  require_free_ports rtdb "$RTDB_PORT"
  printf 'port=%s\n' "$RTDB_PORT" >"$STACK/rtdb/ports"
  ln -sfn "$(firebase_server_cli)" "$STACK/rtdb/firebase-server"
  spawn rtdb node "$STACK/rtdb/firebase-server" -p "$RTDB_PORT" -a "$HOST" -e -s owner
  wait_ready rtdb 60 probe_rtdb
}

# ---------------------------------------------------------------------------------------------------------------
# firestore: the genuine Cloud Firestore emulator (Debian package google-cloud-cli-firestore-emulator, on the
# machine image; Google's apt source is disabled here, so it cannot be installed by this script). In memory:
# a restart starts empty. Wipe: DELETE /emulator/v1/projects/<id>/databases/(default)/documents.

FIRESTORE_JAR=${DATAMIGRATO_FIRESTORE_JAR:-/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar}

probe_firestore() { [[ $(curl -sf -m 3 "http://$HOST:$FIRESTORE_PORT/") == Ok* ]]; }

start_firestore() {
  [[ -f $FIRESTORE_JAR ]] || die "firestore: the emulator jar $FIRESTORE_JAR is absent; install the Debian package google-cloud-cli-firestore-emulator (Firestore tests skip without it)"
  local java; java=$(find_java) || die "firestore: java (JDK 11+) is required"
  mkdir -p "$STACK/firestore"
  require_free_ports firestore "$FIRESTORE_PORT"
  printf 'port=%s\n' "$FIRESTORE_PORT" >"$STACK/firestore/ports"
  spawn firestore "$java" -Duser.language=en -Xmx3g -cp "$FIRESTORE_JAR" com.google.cloud.datastore.emulator.firestore.CloudFirestore \
    --host="$HOST" --port="$FIRESTORE_PORT" --project_id="$FIRESTORE_PROJECT"
  wait_ready firestore 60 probe_firestore
}

# ---------------------------------------------------------------------------------------------------------------
# commands

listens() {
  case $1 in
    temporal) echo "gRPC $HOST:$TEMPORAL_PORT (namespace default), Web UI http://$HOST:$TEMPORAL_UI_PORT" ;;
    postgres) echo "postgres://postgres:$PG_PASSWORD@$HOST:$PG_PORT/postgres (socket dir $(pg_socket_dir))" ;;
    ferretdb) echo "mongodb://$HOST:$MONGO_PORT/ (FerretDB $FERRETDB_VERSION, SQLite backend; debug http://$HOST:$FERRETDB_DEBUG_PORT)" ;;
    cassandra)
      local a="no auth"
      [[ $CASSANDRA_AUTH == 1 ]] && a="user cassandra/cassandra"
      echo "CQL $HOST:$CASSANDRA_PORT (dc datacenter1, $a), storage port $CASSANDRA_STORAGE_PORT"
      ;;
    mysql) echo "mysql://root:$MYSQL_PASSWORD@$HOST:$MYSQL_PORT/$MYSQL_DATABASE ($(mysql_version); socket $(mysql_socket))" ;;
    dynamodb) echo "http://$HOST:$DYNAMODB_PORT (dynalite, region us-east-1, any credentials; data $STACK/dynamodb/data)" ;;
    rtdb) echo "http://$HOST:$RTDB_PORT?ns=$RTDB_NAMESPACE (firebase-server, in memory, rules off)" ;;
    firestore) echo "FIRESTORE_EMULATOR_HOST=$HOST:$FIRESTORE_PORT (Cloud Firestore emulator, project $FIRESTORE_PROJECT, in memory)" ;;
  esac
}

probe_fn() { echo "probe_$1"; }

check_components() {
  local c
  for c in "$@"; do
    case " ${ALL_COMPONENTS[*]} " in *" $c "*) ;; *) die "unknown component '$c' (known: ${ALL_COMPONENTS[*]})" ;; esac
  done
}

cmd_up() {
  local comps=("$@") c pid
  ((${#comps[@]})) || comps=("${DEFAULT_UP[@]}")
  check_components "${comps[@]}"
  mkdir -p "$STACK"
  for c in "${comps[@]}"; do
    mkdir -p "$STACK/$c"
    if pid=$(running_pid "$c"); then
      if ! "$(probe_fn "$c")" >/dev/null 2>&1; then
        # Running but not answering (e.g. still starting from a concurrent `up`): wait for it.
        wait_ready "$c" 180 "$(probe_fn "$c")"
      fi
      [[ $c == temporal ]] && ensure_search_attributes
      printf '%-9s already running (pid %s): %s\n' "$c" "$pid" "$(listens "$c")"
      continue
    fi
    rm -f "$(pid_file "$c")"
    say "starting $c"
    "start_$c"
    [[ $c == temporal ]] && ensure_search_attributes
    printf '%-9s started (pid %s): %s\n' "$c" "$(<"$(pid_file "$c")")" "$(listens "$c")"
    printf '%-9s log: %s\n' "" "$(log_file "$c")"
  done
}

# Processes of ours that lost their pid file (e.g. .stack pid file removed by hand): any temporal/ferretdb/
# postgres/java whose command line names this stack's data dirs.
orphans() { # svc
  local sig p
  sig=$(signature "$1")
  for p in $(pgrep -f -- "$sig" 2>/dev/null || true); do
    [[ $p == "$$" ]] && continue
    alive "$p" && cmdline_has "$p" "$sig" || continue
    case "$(basename "$(readlink "/proc/$p/exe" 2>/dev/null || echo ?)")" in
      temporal | ferretdb | postgres | java | setpriv | mariadbd | node) echo "$p" ;;
    esac
  done
}

cmd_down() {
  local comps=("$@") c pid
  ((${#comps[@]})) || comps=("${ALL_COMPONENTS[@]}")
  check_components "${comps[@]}"
  for c in "${comps[@]}"; do
    local stopped=0
    if pid=$(running_pid "$c"); then
      say "stopping $c (pgid $pid)"
      case $c in
        postgres) stop_group "$c" "$pid" INT 60 ;;   # fast shutdown
        cassandra) stop_group "$c" "$pid" TERM 90 ;;
        mysql) stop_group "$c" "$pid" TERM 60 ;;     # mariadbd shuts down cleanly on TERM
        *) stop_group "$c" "$pid" TERM 30 ;;
      esac
      stopped=1
    fi
    for pid in $(orphans "$c"); do
      say "stopping stray $c process $pid (no pid file)"
      stop_group "$c" "$pid" TERM 30
      stopped=1
    done
    rm -f "$(pid_file "$c")" "$STACK/$c/ports"
    ((stopped)) && printf '%-9s stopped\n' "$c" || printf '%-9s not running\n' "$c"
  done
}

cmd_status() {
  local c pid rc=0
  for c in "${ALL_COMPONENTS[@]}"; do
    if pid=$(running_pid "$c"); then
      if "$(probe_fn "$c")" >/dev/null 2>&1; then
        printf '%-9s up     pid %-7s %s\n' "$c" "$pid" "$(listens "$c")"
      else
        printf '%-9s NOT READY pid %-4s %s (log %s)\n' "$c" "$pid" "$(listens "$c")" "$(log_file "$c")"
        rc=1
      fi
    else
      printf '%-9s down\n' "$c"
    fi
  done
  return $rc
}

cmd_env() {
  cat <<EOF
export TEMPORAL_ADDRESS=$HOST:$TEMPORAL_PORT
export TEMPORAL_NAMESPACE=default
export TEMPORAL_UI_URL=http://$HOST:$TEMPORAL_UI_PORT
export DATAMIGRATO_TEMPORAL_BIN=$BIN/temporal
export DATAMIGRATO_STACK_DIR=$STACK
export PG_URL=postgres://postgres:$PG_PASSWORD@$HOST:$PG_PORT/postgres
export DATAMIGRATO_CONTROL_URL=postgres://postgres:$PG_PASSWORD@$HOST:$PG_PORT/postgres
export MONGO_URL=mongodb://$HOST:$MONGO_PORT/
export CASSANDRA_CONTACT_POINTS=$HOST:$CASSANDRA_PORT
export CASSANDRA_LOCAL_DC=datacenter1
export MYSQL_URL=mysql://root:$MYSQL_PASSWORD@$HOST:$MYSQL_PORT/$MYSQL_DATABASE
export DYNAMODB_ENDPOINT=http://$HOST:$DYNAMODB_PORT
export RTDB_URL=http://$HOST:$RTDB_PORT?ns=$RTDB_NAMESPACE
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export FIRESTORE_EMULATOR_HOST=$HOST:$FIRESTORE_PORT
export FIRESTORE_PROJECT_ID=$FIRESTORE_PROJECT
export METADATA_SERVER_DETECTION=none
export DATAMIGRATO_SECRET_ENV_ALLOW=PG_URL,MONGO_URL,MYSQL_URL,RTDB_URL,CASSANDRA_USERNAME,CASSANDRA_PASSWORD,AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY
EOF
  if [[ $CASSANDRA_AUTH == 1 ]]; then
    echo "export CASSANDRA_USERNAME=cassandra"
    echo "export CASSANDRA_PASSWORD=cassandra"
  fi
}

with_lock() { # serialize up/down between concurrent callers (e.g. two test runs)
  mkdir -p "$STACK"
  exec 9>"$STACK/.lock"
  if ! flock -n 9; then
    say "another stack.sh is running; waiting for it"
    flock 9
  fi
  "$@"
}

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  up) with_lock cmd_up "$@" ;;
  down) with_lock cmd_down "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  tools) build_compose ;;
  *) usage ;;
esac
