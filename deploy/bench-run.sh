#!/usr/bin/env bash
# Measures one full `codepace run` (migrate + backfill + compute) against the
# Gerrit test server serving a generated history of N changes, into a fresh
# database: wall time, peak RSS of codepace, and what it collected.
# Usage: bash deploy/bench-run.sh [N]      (N = 10000 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-10000}
port=${BENCH_PORT:-8091}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

bash deploy/clickhouse-local.sh
go build -o "$work/codepace" ./cmd/codepace
go build -o "$work/gerrittest" ./cmd/gerrittest
start=$(date -u -d '-5 years' +%Y-%m-%d)
"$work/gerrittest" -addr "127.0.0.1:$port" -changes "$n" -seed 1 -start "$start" -years 5 >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$port/config/server/version" >/dev/null 2>&1 && break
  sleep 0.2
done
db=codepace_bench_$n
clickhouse-client -q "DROP DATABASE IF EXISTS $db"
cat >"$work/codepace.yaml" <<YAML
clickhouse: {addr: 127.0.0.1:9000, database: $db}
sources:
  - {name: bench, type: gerrit, url: "http://127.0.0.1:$port/", since: $start, bots: ["*-bot"]}
YAML
/usr/bin/time -f 'wall %e s, peak RSS %M KB, user %U s, sys %S s' \
  "$work/codepace" run --config "$work/codepace.yaml" 2>&1 | grep -E 'collected|computed|wall'
clickhouse-client -q "DROP DATABASE IF EXISTS $db"
