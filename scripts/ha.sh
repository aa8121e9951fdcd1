# The HA stack's servers (HA=1), sourced by scripts/stack.sh, whose helpers it uses. All on
# loopback; their ports are busi/config.py's HA_SERVERS:
#   Redis Cluster   three masters, no replicas (see redis_cluster_up)
#   DTM             two servers on one MySQL store in MariaDB
#   the service     two gunicorn masters
#   HAProxy         on BUSI_URL's port -> the two services, on DTM_URL's -> the two DTM
#                   servers: what buyers, the service and DTM itself call
read -ra REDIS_SHARDS <<<"${HA_REDIS_SHARDS:-}"
read -ra DTM_SERVERS <<<"${HA_DTM_SERVERS:-}"
read -ra BUSI_INSTANCES <<<"${HA_BUSI_INSTANCES:-}"
read -ra BUSI_1_REDIS_PROXIES <<<"${HA_BUSI_1_REDIS:-}"
DTM_SCHEMA=sqls/dtmsvr.storage.mysql.sql  # in the DTM module

# Masters without replicas, on purpose. Replication is asynchronous: a replica promoted by a
# failover may lack deductions its master acknowledged, and those units sell twice. Without
# one, a dead shard's products refuse purchases until it restarts from its append-only file
# (fsynced on every write, like the single Redis), and the other shards' products sell on:
# cluster-require-full-coverage no.
redis_cluster_up() {
  local port dir
  for port in "${REDIS_SHARDS[@]}"; do
    dir="$RUN_DIR/redis-$port"; mkdir -p "$dir"
    alive "$dir/redis.pid" redis-server && continue
    port_free "$port" "Redis shard" "stop the server on it"
    port_free $((port + 10000)) "Redis shard's cluster bus" "stop the server on it"
    say "starting Redis Cluster shard on 127.0.0.1:$port"
    redis-server "$REDIS_CONF" --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --cluster-enabled yes \
      --cluster-config-file nodes.conf --cluster-node-timeout 2000 --cluster-require-full-coverage no >/dev/null
  done
  for port in "${REDIS_SHARDS[@]}"; do
    dir="$RUN_DIR/redis-$port"
    wait_for "Redis shard $port" "$dir/redis.log" "$dir/redis.pid" redis-server 60 redis_ready "$port"
    redis_settings "$port"  # each master publishes its own keys' changes
  done
  if ! redis-cli -p "${REDIS_SHARDS[0]}" cluster info | grep -q '^cluster_slots_assigned:16384'; then
    say "creating the Redis Cluster: ${#REDIS_SHARDS[@]} masters, the 16384 slots split between them"
    redis-cli --cluster create "${REDIS_SHARDS[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >"$RUN_DIR/redis-cluster.log" 2>&1 \
      || { tail -n 25 "$RUN_DIR/redis-cluster.log" >&2; die "redis-cli --cluster create failed"; }
  fi
  # Every shard must say ok: one restarted with the others (a whole-tier kill) takes a moment
  # of gossip to see them again, and until then it answers CLUSTERDOWN.
  local deadline=$((SECONDS + 30))
  for port in "${REDIS_SHARDS[@]}"; do
    until redis-cli -p "$port" cluster info | grep -q '^cluster_state:ok'; do
      [ $SECONDS -ge $deadline ] && die "the Redis Cluster is not ok after 30 s: redis-cli -p $port cluster info"
      sleep 0.2
    done
  done
}

# DTM's MySQL store, once: its schema file DROPs every table before creating it.
dtm_store_up() {
  local sock="$RUN_DIR/mysql/mysqld.sock" module
  if [ -z "$(mariadb --no-defaults --socket="$sock" -u "$(id -un)" -N -e "SHOW TABLES IN dtm LIKE 'trans_global'" 2>/dev/null)" ]; then
    module=$(dtm_module_dir)
    say "creating DTM's MySQL store (database dtm) from $DTM_SCHEMA"
    mariadb --no-defaults --socket="$sock" -u "$(id -un)" <"$module/$DTM_SCHEMA"
  fi
  mariadb --no-defaults --socket="$sock" -u "$(id -un)" -e "GRANT ALL ON dtm.* TO '$MYSQL_USER'@'127.0.0.1'"
}

dtm_pair_up() {
  dtm_build
  dtm_store_up
  local i port store_port
  for i in "${!DTM_SERVERS[@]}"; do
    port=${DTM_SERVERS[$i]} store_port=$MYSQL_PORT
    [ "$i" = 0 ] && toxiproxy_alive && store_port=$HA_DTM_1_STORE  # ha_links_up
    dtm_server_up "$RUN_DIR/dtm-$((i + 1))" "$port" "Store:
  Driver: mysql
  Host: 127.0.0.1
  Port: $store_port
  User: $MYSQL_USER
  Password: $MYSQL_PASSWORD
  Db: dtm"
  done
}

busi_instances_start() {
  local i
  for i in "${!BUSI_INSTANCES[@]}"; do
    (
      if [ "$i" = 0 ] && toxiproxy_alive; then export "${BUSI_1_REDIS_LINKS[@]}"; fi  # ha_links_up
      # Each binds its own port; BUSI_URL, where DTM calls the branches back, is the balancer's.
      BUSI_PORT=${BUSI_INSTANCES[$i]} BUSI_URL=$BUSI_URL busi_start "$RUN_DIR/busi-$((i + 1))" \
        "http://127.0.0.1:${BUSI_INSTANCES[$i]}/api/busi"
    )
  done
}

# busi-1's environment when its Redis links pass through Toxiproxy: the first proxy as its
# Redis URL, and each shard's address (which the cluster announces) mapped to its proxy.
BUSI_1_REDIS_LINKS=()
if [ "$HA" = 1 ]; then
  addresses=""
  for i in "${!REDIS_SHARDS[@]}"; do
    addresses+="${addresses:+,}127.0.0.1:${REDIS_SHARDS[$i]}=127.0.0.1:${BUSI_1_REDIS_PROXIES[$i]}"
  done
  BUSI_1_REDIS_LINKS=("REDIS_URL=redis://127.0.0.1:${BUSI_1_REDIS_PROXIES[0]}/0" "REDIS_NODE_ADDRESSES=$addresses")
fi

# ha_links_up: Toxiproxy between dtm-1 and the shared MySQL store, and between busi-1 and each
# Redis shard (busi/config.py's HA_LINKS); dtm-1 and busi-1 restarted to go through them, the
# other server and instance direct. For the network rows of the HA stack's fault matrix.
ha_links_up() {
  [ "$HA" = 1 ] || die "ha-links-up is for the HA stack: HA=1"
  local links=("dtm-1-store:$HA_DTM_1_STORE:$MYSQL_PORT") i
  for i in "${!REDIS_SHARDS[@]}"; do
    links+=("busi-1-redis-${REDIS_SHARDS[$i]}:${BUSI_1_REDIS_PROXIES[$i]}:${REDIS_SHARDS[$i]}")
  done
  toxiproxy_up "${links[@]}"
  if ! grep -qx "  Port: $HA_DTM_1_STORE" "$RUN_DIR/dtm-1/conf.yml" 2>/dev/null; then
    stop "$RUN_DIR/dtm-1/dtm.pid" "$DTM_BIN" dtm-1
    dtm_pair_up
  fi
  local master; master=$(cat "$RUN_DIR/busi-1/gunicorn.pid" 2>/dev/null || true)
  if ! tr '\0' '\n' <"/proc/${master:-0}/environ" 2>/dev/null | grep -q '^REDIS_NODE_ADDRESSES='; then
    stop "$RUN_DIR/busi-1/gunicorn.pid" gunicorn busi-1
    busi_instances_start
  fi
}

balancer_up() {
  command -v haproxy >/dev/null || die "HAProxy is missing: apt-get install -y haproxy"
  local dir="$RUN_DIR/haproxy"; mkdir -p "$dir"
  local busi_port=$BUSI_PORT dtm_port=$DTM_PORT
  {
    cat <<CFG
global
  maxconn 8192
  # Read-only: each server's state and how often its checks took it out (crash_sim/stack.py).
  stats socket $dir/haproxy.sock mode 600 level user
defaults
  mode http
  timeout connect 1s
  # A busy machine may take a while to answer a check; a dead server refuses it at once.
  timeout check 2s
  timeout client 150s
  timeout server 150s
  retries 3
  option redispatch
  # A request that never reached a server goes to the other one. Only DTM's calls are sent
  # again after a server died holding them: prepare, submit, abort and query are idempotent
  # per gid; a purchase is not (sent twice, it buys twice).
  retry-on conn-failure
frontend busi
  bind 127.0.0.1:$busi_port
  default_backend busi
backend busi
  balance leastconn
  option httpchk GET /api/busi/ping
CFG
    local i
    for i in "${!BUSI_INSTANCES[@]}"; do
      echo "  server busi-$((i + 1)) 127.0.0.1:${BUSI_INSTANCES[$i]} check inter 500 fall 2 rise 2"
    done
    cat <<CFG
frontend dtm
  bind 127.0.0.1:$dtm_port
  default_backend dtm
backend dtm
  balance leastconn
  retry-on conn-failure empty-response
  # The newest transaction, read from the shared store: a server cut off from it leaves the
  # pool within seconds (/api/ping answers without the store, and would keep it in, taking
  # half of every call). Not a query of a gid: DTM logs each one not found as an error.
  option httpchk GET /api/dtmsvr/all?limit=1
CFG
    for i in "${!DTM_SERVERS[@]}"; do
      echo "  server dtm-$((i + 1)) 127.0.0.1:${DTM_SERVERS[$i]} check inter 500 fall 2 rise 2"
    done
  } >"$dir/haproxy.cfg"
  haproxy -c -q -f "$dir/haproxy.cfg" || die "HAProxy refuses $dir/haproxy.cfg"
  if alive "$dir/haproxy.pid" haproxy; then  # a new process takes over, the old one finishes its requests
    haproxy -D -f "$dir/haproxy.cfg" -p "$dir/haproxy.pid" -sf "$(cat "$dir/haproxy.pid")" >>"$dir/haproxy.log" 2>&1
  else
    port_free "$busi_port" HAProxy "stop the server on it"
    port_free "$dtm_port" HAProxy "stop the server on it"
    say "starting HAProxy on 127.0.0.1:$busi_port (the service) and 127.0.0.1:$dtm_port (DTM)"
    haproxy -D -f "$dir/haproxy.cfg" -p "$dir/haproxy.pid" >>"$dir/haproxy.log" 2>&1
  fi
  wait_for HAProxy "$dir/haproxy.log" "$dir/haproxy.pid" haproxy 30 curl -sf "${DTM_URL%/dtmsvr}/ping"
}
