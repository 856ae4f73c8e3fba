#!/usr/bin/env bash
# Makes sure a ClickHouse server answers on 127.0.0.1:9000 (native) for the
# demo and the tests: when none does, installs Debian's clickhouse-server
# and clickhouse-client (as root, or through sudo) and starts it in the
# background as the clickhouse user. Safe to run again.
set -euo pipefail

answers() { clickhouse-client --host 127.0.0.1 --port 9000 -q 'SELECT 1' >/dev/null 2>&1; }

if command -v clickhouse-client >/dev/null && answers; then
  exit 0
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v clickhouse-server >/dev/null; then
  echo "clickhouse-local: installing clickhouse-server from Debian's packages" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
fi

echo "clickhouse-local: starting clickhouse-server" >&2
log=/var/log/clickhouse-server/codepace-start.log
as_root mkdir -p /var/log/clickhouse-server /var/lib/clickhouse
as_root chown -R clickhouse:clickhouse /var/log/clickhouse-server /var/lib/clickhouse 2>/dev/null || true
as_root sh -c "nohup runuser -u clickhouse -- /usr/sbin/clickhouse-server --config-file=/etc/clickhouse-server/config.xml >$log 2>&1 &"

for _ in $(seq 1 60); do
  if answers; then
    echo "clickhouse-local: ClickHouse $(clickhouse-client -q 'SELECT version()') answers on 127.0.0.1:9000" >&2
    exit 0
  fi
  sleep 1
done
echo "clickhouse-local: ClickHouse did not answer within 60s; see $log" >&2
exit 1
