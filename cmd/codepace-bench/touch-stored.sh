#!/bin/bash
# touch-stored.sh DATABASE N: stores again N random changes of a codepace
# database (their raw_changes, raw_revisions, raw_messages and raw_votes
# rows, with a new version and collected now), as a collection that
# brought them back would, so that the next `codepace compute` is an
# incremental one with N touched changes. It measures the compute of an
# update at a size whose bench takes an hour (BENCHMARKS.md):
#
#   bash cmd/codepace-bench/touch-stored.sh codepace_bench_1000000 1000
#   codepace compute --config bench.yaml   # its log line "computed" has the steps
#
# It needs clickhouse-client on this machine and changes nothing else.
set -euo pipefail
db=${1:?usage: touch-stored.sh DATABASE N}
n=${2:?usage: touch-stored.sh DATABASE N}
[[ $db =~ ^[A-Za-z0-9_]+$ ]] || { echo "touch-stored.sh: $db is not a database name" >&2; exit 2; }
[[ $n =~ ^[0-9]+$ ]] || { echo "touch-stored.sh: $n is not a number of changes" >&2; exit 2; }
version=$(date +%s%N)
sample="SELECT source, project, number FROM (SELECT DISTINCT source, project, number FROM $db.raw_changes)
  ORDER BY cityHash64(source, project, number, $version) LIMIT $n"
for table in raw_changes raw_revisions raw_messages raw_votes; do
  cols=$(clickhouse-client -q "SELECT name FROM system.columns WHERE database = '$db' AND table = '$table'" | paste -sd, -)
  [[ -n $cols ]] || { echo "touch-stored.sh: $db.$table has no columns (not a codepace database?)" >&2; exit 1; }
  sel=$(sed -e "s/\bversion\b/toUInt64($version) AS version/" -e "s/\bcollected_at\b/now() AS collected_at/" <<<"$cols")
  # All four tables take the same sample: its order and limit depend only
  # on the keys and the version.
  clickhouse-client -q "INSERT INTO $db.$table ($cols) SELECT $sel FROM $db.$table FINAL
    WHERE (source, project, number) IN ($sample)"
done
echo "touch-stored.sh: $n changes of $db stored again at version $version"
