#!/bin/bash
# copy-db.sh SOURCE COPY: copies a codepace database on the ClickHouse of
# this machine, table by table (INSERT ... SELECT, so the copy's parts are
# freshly written, whatever merges the source has been through), then its
# views. Two copies of one bench database compare two builds of codepace,
# or a migration, on the same rows (BENCHMARKS.md):
#
#   bash cmd/codepace-bench/copy-db.sh codepace_bench_1000000 cp_a
#   bash cmd/codepace-bench/copy-db.sh codepace_bench_1000000 cp_b
#   codepace migrate --config b.yaml    # b.yaml names database cp_b
#
# It needs clickhouse-client and changes nothing in SOURCE.
set -euo pipefail
usage="usage: copy-db.sh SOURCE COPY"
src=${1:?$usage}
dst=${2:?$usage}
for db in "$src" "$dst"; do
  [[ $db =~ ^[A-Za-z0-9_]+$ ]] || { echo "copy-db.sh: $db is not a database name" >&2; exit 2; }
done
[[ $(clickhouse-client -q "SELECT count() FROM system.databases WHERE name = '$dst'") == 0 ]] || { echo "copy-db.sh: database $dst exists already" >&2; exit 1; }
clickhouse-client -q "CREATE DATABASE $dst"
tables() { clickhouse-client -q "SELECT name FROM system.tables WHERE database = '$src' AND engine $1 'View' ORDER BY name"; }
for t in $(tables '!='); do
  clickhouse-client --format TSVRaw -q "SHOW CREATE TABLE $src.$t" | sed "1s/^CREATE TABLE $src\./CREATE TABLE $dst./" | clickhouse-client -n
  clickhouse-client -q "INSERT INTO $dst.$t SELECT * FROM $src.$t"
done
for v in $(tables '='); do
  clickhouse-client --format TSVRaw -q "SHOW CREATE TABLE $src.$v" | sed "s/\b$src\./$dst./g" | clickhouse-client -n
done
