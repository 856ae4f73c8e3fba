#!/usr/bin/env bash
# The main job, end to end on one machine: starts a local ClickHouse when
# none answers, builds codepace, serves a generated Gerrit history from the
# built-in Gerrit test server, runs `codepace run` against it and prints the
# key-result scoreboard. Everything lands in the ClickHouse database
# `codepace_demo`, ready to query.
# Usage: bash deploy/demo.sh     (DEMO_CHANGES=2000 DEMO_PORT=8089 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

changes=${DEMO_CHANGES:-2000}
port=${DEMO_PORT:-8089}
work=${DEMO_DIR:-$(mktemp -d)}
# Five years of history, ending today.
start=$(date -u -d '-5 years' +%Y-%m-%d)
baseline_to=$(date -u -d '-4 years -6 months' +%Y-%m-%d)
due=$(date -u -d '+1 year' +%Y-%m-%d)
mkdir -p "$work/bin"

bash deploy/clickhouse-local.sh
# The demo starts from an empty database each time.
clickhouse-client -q 'DROP DATABASE IF EXISTS codepace_demo'

echo "demo: building codepace and the Gerrit test server" >&2
go build -o "$work/bin/codepace" ./cmd/codepace
go build -o "$work/bin/gerrittest" ./cmd/gerrittest

"$work/bin/gerrittest" -addr "127.0.0.1:$port" -changes "$changes" -seed 1 -start "$start" -years 5 >"$work/gerrittest.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/config/server/version" >/dev/null 2>&1 && break
  sleep 0.2
done

cat >"$work/codepace.yaml" <<YAML
clickhouse:
  addr: 127.0.0.1:9000
  database: codepace_demo
sources:
  - name: demo
    type: gerrit
    url: http://127.0.0.1:$port/
    since: $start
    bots: ["jenkins-bot", "*-bot", "zuul"]
targets:
  - metric: time_to_first_review_p50_hours
    baseline: {from: $start, to: $baseline_to}
    goal: "-20%"
    due: $due
  - metric: cycle_time_p50_days
    baseline: 11.6
    goal: "-10%"
    due: $due
  - metric: review_backlog_open
    baseline: {from: $start, to: $baseline_to}
    goal: "-10%"
    due: $due
  - metric: build_duration_mean_minutes
    baseline: 7
    goal: "-10%"
    due: $due
YAML

echo "demo: codepace run against the test Gerrit ($changes changes)" >&2
"$work/bin/codepace" run --config "$work/codepace.yaml"
echo >&2
"$work/bin/codepace" report --config "$work/codepace.yaml"
echo >&2
echo "demo: config in $work/codepace.yaml; query the views with: clickhouse-client -d codepace_demo -q 'SELECT * FROM change_metrics LIMIT 5'" >&2
