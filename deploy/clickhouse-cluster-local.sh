#!/usr/bin/env bash
# Starts (or stops) a throw-away ClickHouse cluster on this machine to test
# codepace's `clickhouse.cluster` mode: one ZooKeeper and three
# clickhouse-server processes of the installed version, on ports of their
# own, with data under $CODEPACE_CLUSTER_DIR (default /tmp/codepace-cluster).
# It never touches the server on 9000 or its files.
#
# The cluster, named codepace_test, has two shards; shard 01 has two replicas:
#
#   shard 01: n1 127.0.0.1:9101, n3 127.0.0.1:9103   (replicas)
#   shard 02: n2 127.0.0.1:9102
#
# ZooKeeper listens on 127.0.0.1:2191 (its admin server is off); the nodes'
# HTTP ports are 8201-8203 and their interserver ports 9201-9203.
#
# Usage:
#   bash deploy/clickhouse-cluster-local.sh          # start; prints the addresses
#   bash deploy/clickhouse-cluster-local.sh stop     # stop what it started
#   bash deploy/clickhouse-cluster-local.sh clean    # stop and remove the data
#
# Needs clickhouse-server (deploy/clickhouse-local.sh installs it), Java and
# Debian's zookeeper package (installed here when missing, as root or
# through sudo). Then, e.g.:
#   CODEPACE_TEST_CLICKHOUSE_CLUSTER=127.0.0.1:9101,127.0.0.1:9102,127.0.0.1:9103 \
#     go test -run Cluster ./sql/ ./store/
set -euo pipefail

dir=${CODEPACE_CLUSTER_DIR:-/tmp/codepace-cluster}
zk_port=2191
cluster=codepace_test
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Stops the process of a pid file: SIGTERM, then SIGKILL after 60s (an
# 18.16 server can hang in its shutdown).
stop_pidfile() {
  local pid
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid"
      sleep 1
    fi
  fi
  rm -f "$1"
}

stop() {
  for pidfile in "$dir"/n*/server.pid; do stop_pidfile "$pidfile"; done
  stop_pidfile "$dir/zk/zk.pid"
}

case "${1:-start}" in
  stop) stop; exit 0 ;;
  clean) stop; rm -rf "$dir"; exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop|clean]" >&2; exit 2 ;;
esac

if [ ! -f /usr/share/java/zookeeper.jar ]; then
  echo "clickhouse-cluster-local: installing Debian's zookeeper package" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zookeeper >/dev/null
fi
command -v clickhouse-server >/dev/null || bash "$(dirname "$0")/clickhouse-local.sh"

mkdir -p "$dir/zk/data"

# ZooKeeper, standalone.
if ! { [ -f "$dir/zk/zk.pid" ] && kill -0 "$(cat "$dir/zk/zk.pid")" 2>/dev/null; }; then
  cat >"$dir/zk/zoo.cfg" <<ZKEOF
tickTime=2000
dataDir=$dir/zk/data
clientPort=$zk_port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=srvr
ZKEOF
  nohup setsid java -Xmx256m -cp "$dir/zk:/usr/share/java/zookeeper.jar" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zk/zoo.cfg" >"$dir/zk/stdout.log" 2>&1 </dev/null &
  echo $! >"$dir/zk/zk.pid"
fi
# Serving (srvr prints its Mode), not only listening.
zk_ok() (exec 3<>"/dev/tcp/127.0.0.1/$zk_port" && printf srvr >&3 && timeout 2 cat <&3 | grep -q "^Mode:")
for _ in $(seq 1 120); do
  if zk_ok 2>/dev/null; then break; fi
  sleep 0.5
done
if ! zk_ok 2>/dev/null; then
  echo "clickhouse-cluster-local: ZooKeeper does not serve on 127.0.0.1:$zk_port; see $dir/zk/stdout.log" >&2
  exit 1
fi

remote_servers="<remote_servers><$cluster>
  <shard><internal_replication>true</internal_replication>
    <replica><host>127.0.0.1</host><port>9101</port></replica>
    <replica><host>127.0.0.1</host><port>9103</port></replica>
  </shard>
  <shard><internal_replication>true</internal_replication>
    <replica><host>127.0.0.1</host><port>9102</port></replica>
  </shard>
</$cluster></remote_servers>"

# A node runs while the process of its pid file does. (A server that fails
# to start has written its pid there too, but is gone.)
running() { [ -f "$dir/$1/server.pid" ] && kill -0 "$(cat "$dir/$1/server.pid")" 2>/dev/null; }

start_node() { # name index shard
  local n=$1 i=$2 shard=$3 d="$dir/$1"
  if running "$n"; then return; fi
  mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas" "$d/log"
  # The server's users, with the profile setting deploy/README.md asks of
  # codepace's user on a cluster: replicas are read in the order of
  # remote_servers, so compute reads the replica that was just written.
  sed 's|<load_balancing>random</load_balancing>|<load_balancing>in_order</load_balancing>|' \
    /etc/clickhouse-server/users.xml >"$d/users.xml"
  grep -q '<load_balancing>in_order</load_balancing>' "$d/users.xml" ||
    sed -i '0,/<default>/s|<default>|<default><load_balancing>in_order</load_balancing>|' "$d/users.xml"
  cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>information</level><log>$d/log/server.log</log><errorlog>$d/log/server.err.log</errorlog><size>100M</size><count>2</count></logger>
  <http_port>820$i</http_port>
  <tcp_port>910$i</tcp_port>
  <interserver_http_port>920$i</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <listen_host>127.0.0.1</listen_host>
  <max_connections>256</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
  <max_session_timeout>3600</max_session_timeout>
  <default_session_timeout>60</default_session_timeout>
  $remote_servers
  <zookeeper><node><host>127.0.0.1</host><port>$zk_port</port></node></zookeeper>
  <macros><shard>$shard</shard><replica>$n</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</yandex>
EOF
  # The shell writes its pid and becomes the server (exec), in a session of
  # its own: server.pid is the server's pid.
  local run=(sh -c 'cd "$1" && echo $$ >server.pid && exec clickhouse-server --config-file="$1/config.xml"' sh "$d")
  if [ "$(id -u)" = 0 ] && id clickhouse >/dev/null 2>&1; then
    chown -R clickhouse:clickhouse "$d"
    run=(runuser -u clickhouse -- "${run[@]}")
  fi
  nohup setsid "${run[@]}" >"$d/log/stdout.log" 2>&1 </dev/null &
}

start_node n1 1 01
start_node n2 2 02
start_node n3 3 01

shards=(- 01 02 01)
for i in 1 2 3; do
  ok=
  for _ in $(seq 1 90); do
    if clickhouse-client --host 127.0.0.1 --port 910$i -q 'SELECT 1' >/dev/null 2>&1; then ok=1; break; fi
    # A node started while its previous process was still shutting down
    # exits at once: start it again.
    running "n$i" || start_node "n$i" "$i" "${shards[$i]}"
    sleep 1
  done
  if [ -z "$ok" ]; then
    echo "clickhouse-cluster-local: node n$i did not answer on 127.0.0.1:910$i within 90s; see $dir/n$i/log" >&2
    exit 1
  fi
done
echo "clickhouse-cluster-local: cluster $cluster up (ClickHouse $(clickhouse-client --port 9101 -q 'SELECT version()'), ZooKeeper 127.0.0.1:$zk_port)" >&2
echo "127.0.0.1:9101,127.0.0.1:9102,127.0.0.1:9103"
