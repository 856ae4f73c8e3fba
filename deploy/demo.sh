#!/usr/bin/env bash
# The main job, end to end on one machine: starts a local ClickHouse when
# none answers, builds codepace, serves a generated Gerrit history from the
# built-in Gerrit test server, runs `codepace run` against it, records a
# survey score for the manual target, and prints the key-result scoreboard;
# the same scoreboard as one HTML page is $DEMO_DIR/key-results.html.
# Everything lands in the ClickHouse database `codepace_demo`, ready to query.
# Usage: bash deploy/demo.sh     (DEMO_CHANGES=2000 DEMO_PORT=8089 DEMO_SEED=3 by default;
# DEMO_CLICKHOUSE=host:port and DEMO_DATABASE=name for another server or
# database: the tests render the page in a browser that way)
set -euo pipefail
cd "$(dirname "$0")/.."

changes=${DEMO_CHANGES:-2000}
port=${DEMO_PORT:-8089}
work=${DEMO_DIR:-$(mktemp -d)}
db=${DEMO_DATABASE:-codepace_demo}
# Five years of history, ending today. The scoreboard is the organisation's
# (deploy/examples/key-results.yaml) moved to these dates: its baseline is
# the quarter that ended a year ago, well inside the history (a baseline at
# the history's start would measure the generator's warm-up, an empty
# backlog), and its goals are due in six months.
start=$(date -u -d '-5 years' +%Y-%m-%d)
baseline_from=$(date -u -d '-15 months' +%Y-%m-%d)
baseline_to=$(date -u -d '-12 months -1 day' +%Y-%m-%d)
due=$(date -u -d '+6 months' +%Y-%m-%d)
mkdir -p "$work/bin"

if [ -n "${DEMO_CLICKHOUSE:-}" ]; then
  ch_host=${DEMO_CLICKHOUSE%:*} ch_port=${DEMO_CLICKHOUSE##*:}
else
  bash deploy/clickhouse-local.sh
  ch_host=127.0.0.1 ch_port=9000
fi
# The demo starts from an empty database each time.
clickhouse-client --host "$ch_host" --port "$ch_port" -q "DROP DATABASE IF EXISTS $db"

echo "demo: building codepace and the Gerrit test server" >&2
go build -o "$work/bin/codepace" ./cmd/codepace
go build -o "$work/bin/gerrittest" ./cmd/gerrittest

"$work/bin/gerrittest" -addr "127.0.0.1:$port" -changes "$changes" -seed "${DEMO_SEED:-3}" -start "$start" -years 5 >"$work/gerrittest.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/config/server/version" >/dev/null 2>&1 && break
  sleep 0.2
done

cat >"$work/codepace.yaml" <<YAML
clickhouse:
  addr: $ch_host:$ch_port
  database: $db
sources:
  - name: demo
    type: gerrit
    url: http://127.0.0.1:$port/
    since: $start
    bots: ["jenkins-bot", "*-bot", "zuul"]
YAML
# The organisation's own numbers (cycle time 11.6 days, outstanding review
# 59.22 days) mean nothing for a generated history: the demo measures those
# baselines over its baseline quarter too.
sed -n '/^targets:/,$p' deploy/examples/key-results.yaml |
  sed -e "s/baseline: 11.6$/baseline: {from: 2019-04-01, to: 2019-06-30}/" \
      -e "s/baseline: 59.22$/baseline: {from: 2019-04-01, to: 2019-06-30}/" |
  sed -e "s/2019-04-01/$baseline_from/g" -e "s/2019-06-30/$baseline_to/g" -e "s/2020-06-30/$due/g" >>"$work/codepace.yaml"

echo "demo: codepace run against the test Gerrit ($changes changes)" >&2
"$work/bin/codepace" run --config "$work/codepace.yaml"
# The survey scores of the manual target, as a team would record them.
cat >"$work/survey.csv" <<CSV
metric,at,value,note
developer_satisfaction,$baseline_to,3.8,baseline survey
developer_satisfaction,$(date -u -d '-6 months' +%Y-%m-%d),3.7,half-year survey
developer_satisfaction,$(date -u -d '-1 month' +%Y-%m-%d),3.95,latest survey
CSV
"$work/bin/codepace" record --file "$work/survey.csv" --config "$work/codepace.yaml"
echo >&2
"$work/bin/codepace" report --config "$work/codepace.yaml"
"$work/bin/codepace" report --format html --weeks 12 --config "$work/codepace.yaml" >"$work/key-results.html"
echo >&2
echo "demo: the scoreboard as a page: $work/key-results.html" >&2
echo "demo: config in $work/codepace.yaml; query the views with: clickhouse-client -d $db -q 'SELECT * FROM change_metrics LIMIT 5'" >&2
