#!/usr/bin/env bash
# The local stack, without Docker: Redis, MariaDB and the DTM server on loopback, plus
# the business service under gunicorn. Idempotent: whatever already runs is reused.
#
#   scripts/stack.sh up            servers + schema (reused when already running)
#   scripts/stack.sh busi-start    gunicorn and the stock stream server in the background (reused)
#   scripts/stack.sh busi-restart  both restarted, so they serve the code on disk (rtt-up's gunicorn too)
#   scripts/stack.sh down          stop everything this script started
#   scripts/stack.sh kill NAME     SIGKILL one server (redis, mysql, dtm, busi, stream), as a crash would
#   scripts/stack.sh stop NAME     stop one server cleanly; `up` (or busi-start) brings it back
#   scripts/stack.sh pid NAME      the pid of one running server
#   scripts/stack.sh rtt-up [main] Toxiproxy between the tiers, and a service behind it (bench --rtt)
#   scripts/stack.sh ha-links-up   HA=1: dtm-1's store and busi-1's Redis links through Toxiproxy
#
# Settings come from busi/config.py (the one configuration table). A server whose URL
# is set in the environment (DTM_URL, REDIS_URL, MYSQL_URL) is not started here.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PATH:/usr/sbin:/sbin"  # mariadbd lives in /usr/sbin, outside a plain user's PATH
PY=${PY:-.venv/bin/python}
# = python -m busi config, without importing the app (0.1 s, not 1 s, for each kill and pid)
settings=$("$PY" -P busi/config.py) || { echo "stack: error: cannot read the configuration (see above)" >&2; exit 1; }
eval "$settings"
source scripts/build-dtm.sh  # DTM_VERSION, DTM_MODULE, dtm_module_dir
# Its own name: a binary built without the dashboard or the two patches is not reused.
DTM_BIN="$RUN_DIR/bin/dtm-$DTM_VERSION-dashboard-listenhost-savefix"
TOXIPROXY_VERSION=v2.12.0
TOXIPROXY_BIN="$RUN_DIR/bin/toxiproxy-$TOXIPROXY_VERSION"
mkdir -p "$RUN_DIR"
source scripts/ha.sh  # the HA stack's servers (HA=1)

say() { echo "stack: $*"; }
die() { echo "stack: error: $*" >&2; exit 1; }
# alive PIDFILE NAME: the pid file names a running process whose command line mentions NAME
# (a stale pid file, after a reboot, may name an unrelated process that reused the pid).
alive() {
  [ -f "$1" ] || return 1
  local pid; pid=$(cat "$1")
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}
# port_free PORT NAME HINT: before starting a server, make sure nobody else listens there.
port_free() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    die "port $1 for $2 is taken by another process: stop it, or $3"
  fi
}

# wait_for NAME LOG PIDFILE PROCESS SECONDS CMD...: poll CMD until it succeeds, then check
# that our PROCESS answers (not another one on the same port); else show LOG's tail.
wait_for() {
  local name=$1 log=$2 pidfile=$3 process=$4 seconds=$5; shift 5
  local deadline=$((SECONDS + seconds)) problem=""
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && { problem="did not come up within ${seconds}s"; break; }
    sleep 0.2
  done
  [ -z "$problem" ] && ! alive "$pidfile" "$process" && problem="answers, but its process is gone (port taken by another server?)"
  [ -z "$problem" ] && return
  echo "stack: error: $name $problem. Last lines of $log:" >&2
  tail -n 25 "$log" >&2 || true
  exit 1
}

need_packages() {
  local missing=()
  [ "$LOCAL_REDIS" = 1 ] && ! command -v redis-server >/dev/null && missing+=(redis-server)
  [ "$LOCAL_MYSQL" = 1 ] && ! command -v mariadbd >/dev/null && missing+=(mariadb-server)
  [ "$LOCAL_MYSQL" = 1 ] && ! command -v mariadb >/dev/null && missing+=(mariadb-client)
  command -v curl >/dev/null || missing+=(curl)
  command -v wrk >/dev/null || missing+=(wrk)  # the load generator of `python -m crash_sim bench`
  command -v npm >/dev/null || missing+=(nodejs npm)  # DTM's dashboard and the live page's chart
  [ "$HA" = 1 ] && ! command -v haproxy >/dev/null && missing+=(haproxy)  # the HA stack's balancer
  # The browser test's (make test): Debian's Chromium, as Playwright cannot download one here.
  [ "${TEST_BROWSER:-0}" = 1 ] && [ ! -x /usr/bin/chromium ] && missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages; run: sudo apt-get install -y ${missing[*]}"
  fi
  say "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The live page's chart library, exactly busi/entrypoints/web/package-lock.json; the service serves it.
web_assets() {
  local dir=busi/entrypoints/web
  [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] && return
  say "installing the live page's chart library (npm ci in $dir)"
  (cd "$dir" && npm ci --no-audit --no-fund) >"$RUN_DIR/npm-web.log" 2>&1 \
    || { tail -n 25 "$RUN_DIR/npm-web.log" >&2; die "npm ci in $dir failed"; }
}

# Redis's and MariaDB's settings (durability, keyspace events), shared with the Docker images.
REDIS_CONF="$PWD/scripts/conf/redis.conf"
MARIADB_CNF="$PWD/scripts/conf/mariadb.cnf"
# redis_settings PORT: the settings of REDIS_CONF on a running Redis too (one reused from
# before, or left at everysec by an interrupted benchmark).
redis_settings() {
  local name value
  grep -v '^#' "$REDIS_CONF" | while read -r name value; do
    [ -n "$name" ] && redis-cli -p "$1" config set "$name" "$value" >/dev/null
  done
}

# PONG, not just an answer: while Redis replays its append-only file it answers LOADING,
# and redis-cli exits 0 for that too.
redis_ready() { [ "$(redis-cli -p "${1:-$REDIS_PORT}" ping 2>/dev/null)" = PONG ]; }

redis_up() {
  local dir="$RUN_DIR/redis"; mkdir -p "$dir"
  if ! alive "$dir/redis.pid" redis-server; then
    port_free "$REDIS_PORT" Redis "set REDIS_URL to use that server"
    say "starting Redis on 127.0.0.1:$REDIS_PORT"
    redis-server "$REDIS_CONF" --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
  fi
  wait_for Redis "$dir/redis.log" "$dir/redis.pid" redis-server 60 redis_ready
  redis_settings "$REDIS_PORT"
}

mysql_up() {
  local dir="$RUN_DIR/mysql"; mkdir -p "$dir"
  local sock="$dir/mysqld.sock" as_root=()
  [ "$(id -u)" -eq 0 ] && as_root=(--user=root)
  if [ ! -d "$dir/data/mysql" ]; then
    say "initialising a MariaDB data directory in $dir/data"
    mariadb-install-db --no-defaults --datadir="$dir/data" "${as_root[@]}" \
      --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 \
      || { tail -n 25 "$dir/install.log" >&2; die "mariadb-install-db failed"; }
  fi
  if ! alive "$dir/mysqld.pid" mariadbd; then
    port_free "$MYSQL_PORT" MariaDB "set MYSQL_URL to use that server"
    say "starting MariaDB on 127.0.0.1:$MYSQL_PORT"
    setsid mariadbd --defaults-file="$MARIADB_CNF" --datadir="$dir/data" --socket="$sock" --port="$MYSQL_PORT" \
      --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" --log-error="$dir/mysqld.log" \
      "${as_root[@]}" </dev/null >/dev/null 2>&1 &
  fi
  wait_for MariaDB "$dir/mysqld.log" "$dir/mysqld.pid" mariadbd 60 mariadb-admin --no-defaults --socket="$sock" -u "$(id -un)" ping
  # The application's own account, named by MYSQL_URL; the schema itself is applied in Python.
  mariadb --no-defaults --socket="$sock" -u "$(id -un)" <<SQL
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_PASSWORD';
GRANT ALL ON flash_sale.* TO '$MYSQL_USER'@'127.0.0.1';
GRANT ALL ON dtm_barrier.* TO '$MYSQL_USER'@'127.0.0.1';
SQL
}

dtm_build() {
  [ -x "$DTM_BIN" ] && return
  say "building the DTM server $DTM_VERSION and its dashboard from the Go module proxy and npm (a few minutes, once)"
  bash scripts/build-dtm.sh "$DTM_BIN" >"$RUN_DIR/dtm-build.log" 2>&1 \
    || { tail -n 25 "$RUN_DIR/dtm-build.log" >&2; die "could not build the DTM server (log: $RUN_DIR/dtm-build.log)"; }
}

# dtm_server_up DIR PORT STORE_YAML: one DTM server (HTTP on PORT, gRPC and JSON-RPC next).
dtm_server_up() {
  local dir=$1 port=$2; mkdir -p "$dir"
  # Explicit configuration; boltdb keeps its file ./dtm.bolt, hence the working directory.
  cat >"$dir/conf.yml" <<YML
$3
HttpPort: $port
GrpcPort: $((port + 1))
JsonRpcPort: $((port + 2))
LogLevel: info
YML
  if ! alive "$dir/dtm.pid" "$DTM_BIN"; then
    for p in "$port" $((port + 1)) $((port + 2)); do  # HTTP, gRPC, JSON-RPC
      port_free "$p" DTM "set DTM_URL to use that server"
    done
    say "starting DTM $DTM_VERSION on 127.0.0.1:$port"
    (cd "$dir" && exec setsid "$DTM_BIN" -c conf.yml) </dev/null >>"$dir/dtm.log" 2>&1 &
    echo $! >"$dir/dtm.pid"
  fi
  wait_for DTM "$dir/dtm.log" "$dir/dtm.pid" "$DTM_BIN" 30 curl -sf "http://127.0.0.1:$port/api/ping"
}

dtm_up() {
  dtm_build
  dtm_server_up "$RUN_DIR/dtm" "$DTM_PORT" "Store:
  Driver: boltdb"
}

# Toxiproxy (Shopify's TCP proxy, in Go), for bench --rtt: built once from the Go module proxy.
toxiproxy_build() {
  [ -x "$TOXIPROXY_BIN" ] && return
  say "building Toxiproxy $TOXIPROXY_VERSION from the Go module proxy (about 20 s, once)"
  local gobin; gobin=$(mktemp -d)
  GOBIN="$gobin" go install "github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION" || die "could not build Toxiproxy"
  mkdir -p "$(dirname "$TOXIPROXY_BIN")" && mv "$gobin/server" "$TOXIPROXY_BIN" && rm -rf "$gobin"
}

# toxiproxy_up NAME:LISTEN:UPSTREAM...: Toxiproxy running, with a proxy for each, on loopback.
toxiproxy_up() {
  toxiproxy_build
  local dir="$RUN_DIR/toxiproxy" api="http://127.0.0.1:$RTT_TOXIPROXY_PORT"
  mkdir -p "$dir"
  if ! alive "$dir/toxiproxy.pid" toxiproxy-; then
    port_free "$RTT_TOXIPROXY_PORT" Toxiproxy "stop that process"
    say "starting Toxiproxy $TOXIPROXY_VERSION on 127.0.0.1:$RTT_TOXIPROXY_PORT"
    "$TOXIPROXY_BIN" -host 127.0.0.1 -port "$RTT_TOXIPROXY_PORT" >"$dir/toxiproxy.log" 2>&1 &
    echo $! >"$dir/toxiproxy.pid"
    wait_for Toxiproxy "$dir/toxiproxy.log" "$dir/toxiproxy.pid" toxiproxy- 15 curl -sf "$api/version"
  fi
  local proxies="" spec name listen upstream
  for spec in "$@"; do
    IFS=: read -r name listen upstream <<<"$spec"
    proxies+="${proxies:+,}{\"name\":\"$name\",\"listen\":\"127.0.0.1:$listen\",\"upstream\":\"127.0.0.1:$upstream\"}"
  done
  # populate creates the proxies, and leaves alone those that already match.
  curl -sf -X POST "$api/populate" -d "[$proxies]" >/dev/null || die "Toxiproxy refused the proxies (log: $dir/toxiproxy.log)"
}

toxiproxy_alive() { alive "$RUN_DIR/toxiproxy/toxiproxy.pid" toxiproxy-; }

# rtt_up [main]: Toxiproxy with a proxy on every link between tiers (service to MySQL, to Redis,
# to DTM; DTM to the service's branches), and a second service that uses them. bench --rtt sets
# their latency through Toxiproxy's API (docs/tiers-apart.md). With `main`, DTM calls the
# branches (createOrder, the back-query) of the first service instead, whose links are direct:
# a toxic on the second one's Redis link then slows its purchases, not the back-query that
# settles them (the fault matrix's "Redis answers late" row). Restarted when that changes.
rtt_up() {
  [ "$HA" = 1 ] && die "bench --rtt runs on the single stack: make up, without HA=1"
  local dir="$RUN_DIR/busi-rtt" branches="http://127.0.0.1:$RTT_BUSI_PROXY/api/busi"
  case ${1:-} in main) branches=$BUSI_URL ;; "") ;; *) die "rtt-up takes \`main\` or nothing, not: $1" ;; esac
  toxiproxy_up mysql:$RTT_MYSQL_PROXY:$MYSQL_PORT redis:$RTT_REDIS_PROXY:$REDIS_PORT dtm:$RTT_DTM_PROXY:$DTM_PORT \
    busi:$RTT_BUSI_PROXY:$RTT_BUSI_PORT
  if [ "$(cat "$dir/branches" 2>/dev/null)" != "$branches" ]; then
    stop "$dir/gunicorn.pid" gunicorn "business service ($dir)"
    mkdir -p "$dir" && echo "$branches" >"$dir/branches"
  fi
  BUSI_PORT=$RTT_BUSI_PORT BUSI_URL="$branches" \
    REDIS_URL="redis://127.0.0.1:$RTT_REDIS_PROXY/0" DTM_URL="http://127.0.0.1:$RTT_DTM_PROXY/api/dtmsvr" \
    MYSQL_URL="mysql://$MYSQL_USER:$MYSQL_PASSWORD@127.0.0.1:$RTT_MYSQL_PROXY/flash_sale" \
    busi_start "$dir" "http://127.0.0.1:$RTT_BUSI_PORT/api/busi"
}

# The keys of the branch tokens and of the credentials (busi/config.py, BRANCH_SECRET and
# AUTH_SECRET): each made once, kept in the run folder, readable by this user only.
secrets() {
  local name file
  for name in branch_secret auth_secret; do
    file="$RUN_DIR/$name"
    [ -n "$(printenv "${name^^}")" ] || [ -s "$file" ] && continue
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_hex(32))' >"$file")
    say "generated the ${name/_/ } in $file"
  done
}

# Workers whose master was killed (kill -9) keep the port until they notice; stop them, as
# systemd stops a dead service's whole control group. They share the master's process group.
reap_orphaned_workers() {  # DIR
  local pgfile="$1/gunicorn.pgid"
  [ -f "$pgfile" ] || return 0
  local pgid; pgid=$(cat "$pgfile"); rm -f "$pgfile"
  pgrep -g "$pgid" -f gunicorn >/dev/null || return 0
  say "stopping the workers left by a dead gunicorn master (process group $pgid)"
  kill -TERM -- "-$pgid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while pgrep -g "$pgid" -f gunicorn >/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

# busi_start [DIR HEALTH_URL]: one gunicorn master, on BUSI_PORT, its files in DIR.
busi_start() {
  local dir=${1:-$RUN_DIR/busi} health=${2:-$BUSI_URL}; mkdir -p "$dir"
  if ! alive "$dir/gunicorn.pid" gunicorn; then
    reap_orphaned_workers "$dir"
    # gunicorn refuses a pid file whose pid still exists, and a killed master may linger as
    # a zombie where PID 1 reaps no orphans; alive() has just said it is not our server.
    rm -f "$dir/gunicorn.pid"
    port_free "$BUSI_PORT" "the business service" "set BUSI_PORT to a free port"
    say "starting the business service (gunicorn, $BUSI_WORKERS workers) on $BUSI_HOST:$BUSI_PORT"
    BUSI_DIR="$dir" "$PY" -m gunicorn -c busi/server/gunicorn_conf.py --daemon --pid "$dir/gunicorn.pid" \
      --error-logfile "$dir/busi.log" "busi.server.wsgi:app"
  fi
  wait_for "business service" "$dir/busi.log" "$dir/gunicorn.pid" gunicorn 30 curl -sf "$health/health"
  ps -o pgid= -p "$(cat "$dir/gunicorn.pid")" | tr -d ' ' >"$dir/gunicorn.pgid"
}

# stream_start: the stock stream server (busi/server/stream.py, asyncio) on STREAM_PORT, beside
# gunicorn: one for the stack, on the HA stack too (it follows every Redis master).
stream_start() {
  local dir="$RUN_DIR/stream"; mkdir -p "$dir"
  if ! alive "$dir/stream.pid" busi.server.stream; then
    port_free "$STREAM_PORT" "the stock stream server" "set STREAM_PORT to a free port"
    say "starting the stock stream server on $BUSI_HOST:$STREAM_PORT"
    (exec setsid "$PY" -m busi.server.stream) </dev/null >>"$dir/stream.log" 2>&1 &
    echo $! >"$dir/stream.pid"
  fi
  wait_for "stock stream server" "$dir/stream.log" "$dir/stream.pid" busi.server.stream 30 curl -sf "$STREAM_URL/streams"
}

stop() { # stop PIDFILE PROCESS NAME
  alive "$1" "$2" || { rm -f "$1"; return 0; }
  say "stopping $3"
  local pid; pid=$(cat "$1"); kill "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$3 (pid $pid) ignored SIGTERM for 30 s; killing it"
    kill -9 "$pid"
  fi
  rm -f "$1"
}

# servers NAME: the "PIDFILE PROCESS LABEL" lines of a server, or of each member of a tier
# (on the HA stack, redis, dtm and busi name every shard, server or instance; redis-7002,
# dtm-2 or busi-1 one of them).
servers() {
  local i
  case "$HA:$1" in
    0:redis) echo "$RUN_DIR/redis/redis.pid redis-server Redis" ;;
    1:redis) for i in "${REDIS_SHARDS[@]}"; do servers "redis-$i"; done ;;
    1:redis-*) [ -d "$RUN_DIR/$1" ] || die "no Redis shard $1"; echo "$RUN_DIR/$1/redis.pid redis-server shard-${1#redis-}" ;;
    *:mysql) echo "$RUN_DIR/mysql/mysqld.pid mariadbd MariaDB" ;;
    0:dtm) echo "$RUN_DIR/dtm/dtm.pid $DTM_BIN DTM" ;;
    1:dtm) for i in "${!DTM_SERVERS[@]}"; do servers "dtm-$((i + 1))"; done ;;
    1:dtm-[0-9]) echo "$RUN_DIR/$1/dtm.pid $DTM_BIN $1" ;;
    0:busi) echo "$RUN_DIR/busi/gunicorn.pid gunicorn business-service" ;;
    1:busi) for i in "${!BUSI_INSTANCES[@]}"; do servers "busi-$((i + 1))"; done ;;
    1:busi-[0-9]) echo "$RUN_DIR/$1/gunicorn.pid gunicorn $1" ;;
    1:haproxy) echo "$RUN_DIR/haproxy/haproxy.pid haproxy HAProxy" ;;
    *:stream) echo "$RUN_DIR/stream/stream.pid busi.server.stream stream-server" ;;
    *) die "unknown server '$1': use redis, mysql, dtm, busi or stream (HA=1: also redis-PORT, dtm-N, busi-N, haproxy)" ;;
  esac
}

case "${1:-}" in
  up)
    need_packages
    web_assets
    secrets
    if [ "$HA" = 1 ]; then
      [ "$LOCAL_REDIS" = 1 ] && redis_cluster_up
      [ "$LOCAL_MYSQL" = 1 ] && mysql_up
      [ "$LOCAL_DTM" = 1 ] && dtm_pair_up
      balancer_up
    else
      [ "$LOCAL_REDIS" = 1 ] && redis_up
      [ "$LOCAL_MYSQL" = 1 ] && mysql_up
      [ "$LOCAL_DTM" = 1 ] && dtm_up
    fi
    "$PY" -m busi setup
    ;;
  busi-start)
    if [ "$HA" = 1 ]; then busi_instances_start; else busi_start; fi
    stream_start
    ;;
  busi-restart)
    servers busi | while read -r pidfile process label; do stop "$pidfile" "$process" "$label"; done
    # The service behind Toxiproxy too: the next rtt-up starts it on the code on disk.
    stop "$RUN_DIR/busi-rtt/gunicorn.pid" gunicorn "business service ($RUN_DIR/busi-rtt)"
    stop "$RUN_DIR/stream/stream.pid" busi.server.stream "stock stream server"
    if [ "$HA" = 1 ]; then busi_instances_start; else busi_start; fi
    stream_start
    ;;
  kill)
    lines=$(servers "${2:-}")
    while read -r pidfile process label; do
      alive "$pidfile" "$process" || die "$label is not running"
      say "killing $label with SIGKILL (pid $(cat "$pidfile"))"
      kill -KILL "$(cat "$pidfile")"
    done <<<"$lines"
    ;;
  stop) servers "${2:-}" | while read -r pidfile process label; do stop "$pidfile" "$process" "$label"; done ;;
  rtt-up) rtt_up "${2:-}" ;;
  ha-links-up) ha_links_up ;;
  pid)
    lines=$(servers "${2:-}")
    pids=()
    while read -r pidfile process label; do
      alive "$pidfile" "$process" || die "$label is not running"
      pids+=("$(cat "$pidfile")")
    done <<<"$lines"
    echo "${pids[*]}"
    ;;
  down)  # whatever runs, of either shape
    stop "$RUN_DIR/haproxy/haproxy.pid" haproxy HAProxy
    for dir in "$RUN_DIR"/busi "$RUN_DIR"/busi-[0-9] "$RUN_DIR"/busi-rtt; do
      [ -d "$dir" ] || continue
      stop "$dir/gunicorn.pid" gunicorn "business service ($dir)"
      reap_orphaned_workers "$dir"
    done
    stop "$RUN_DIR/stream/stream.pid" busi.server.stream "stock stream server"
    # Any build of ours, an older binary name too, so that `up` then starts the current one.
    for dir in "$RUN_DIR"/dtm "$RUN_DIR"/dtm-[0-9]; do [ -d "$dir" ] && stop "$dir/dtm.pid" "$RUN_DIR/bin/dtm-" "DTM ($dir)"; done
    stop "$RUN_DIR/toxiproxy/toxiproxy.pid" toxiproxy- Toxiproxy
    stop "$RUN_DIR/mysql/mysqld.pid" mariadbd MariaDB
    for dir in "$RUN_DIR"/redis "$RUN_DIR"/redis-[0-9]*; do [ -d "$dir" ] && stop "$dir/redis.pid" redis-server "Redis ($dir)"; done
    true
    ;;
  *) die "usage: scripts/stack.sh up | busi-start | busi-restart | down | kill NAME | stop NAME | pid NAME | rtt-up [main] | ha-links-up" ;;
esac
