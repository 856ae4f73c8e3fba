#!/usr/bin/env bash
# Runs every dashboard, variable, annotation and alert query on a current
# ClickHouse release (chdb, `pip install chdb`), over the same generated
# history the Go test runs them on with ClickHouse 18.16:
#   1. the Go test fills a database and writes each expanded query;
#   2. the derived tables are exported (Native) and loaded into chdb under
#      the schema of sql/migrations;
#   3. every query runs there and must return rows.
# Usage: CODEPACE_TEST_CLICKHOUSE=127.0.0.1:9000 bash dashboards/testdata/current-clickhouse.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
addr=${CODEPACE_TEST_CLICKHOUSE:?set CODEPACE_TEST_CLICKHOUSE=host:port}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sql"
log=$(CODEPACE_TEST_KEEP=1 CODEPACE_DASHBOARDS_SQL_OUT="$work/sql" \
  go test -count=1 -v -run TestQueriesOnClickHouse ./dashboards/)
db=$(grep -o 'kept database [A-Za-z0-9_]*' <<<"$log" | awk '{print $3}')
[ -n "$db" ] || { echo "no database kept:" >&2; echo "$log" >&2; exit 1; }
ch() { clickhouse-client --host "${addr%:*}" --port "${addr##*:}" "$@"; }
for t in compute_runs change_metrics_data review_actions_data builds_data \
         newcomers_data review_backlog_daily_data collector_runs_log \
         review_backlog_changes_data key_results_log; do
  ch -d "$db" -q "SELECT * FROM $t FORMAT Native" >"$work/$t.native"
done
ch -q "DROP DATABASE $db"
python3 dashboards/testdata/chdb_check.py sql/migrations "$work" "$work/sql"
