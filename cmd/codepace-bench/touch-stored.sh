#!/bin/bash
# touch-stored.sh DATABASE N [SLOWER]: stores again N random changes of a
# codepace database (their raw_changes, raw_revisions, raw_messages and
# raw_votes rows, with a new version and collected now), as a collection
# that brought them back would, so that the next `codepace compute` is an
# incremental one with N touched changes. With SLOWER (a number, 0 or
# more), every build of those changes is stored again too, the builds of
# SLOWER of them with their duration tripled (changed builds spread over
# the history). It measures the compute of an update at a size whose
# bench takes an hour (BENCHMARKS.md):
#
#   bash cmd/codepace-bench/touch-stored.sh codepace_bench_1000000 1000
#   bash cmd/codepace-bench/touch-stored.sh codepace_bench_1000000 10000 600
#   codepace compute --config bench.yaml   # its log line "computed" has the steps
#
# It needs clickhouse-client on this machine and changes nothing else.
set -euo pipefail
usage="usage: touch-stored.sh DATABASE N [SLOWER]"
db=${1:?$usage}
n=${2:?$usage}
slower=${3:-}
[[ $db =~ ^[A-Za-z0-9_]+$ ]] || { echo "touch-stored.sh: $db is not a database name" >&2; exit 2; }
[[ $n =~ ^[0-9]+$ ]] || { echo "touch-stored.sh: $n is not a number of changes" >&2; exit 2; }
[[ -z $slower || $slower =~ ^[0-9]+$ ]] || { echo "touch-stored.sh: SLOWER $slower is not a number of changes" >&2; exit 2; }
version=$(date +%s%N)
sample="SELECT source, project, number FROM (SELECT DISTINCT source, project, number FROM $db.raw_changes)
  ORDER BY cityHash64(source, project, number, $version) LIMIT $n"
tables="raw_changes raw_revisions raw_messages raw_votes"
[[ -z $slower ]] || tables="$tables raw_builds"
for table in $tables; do
  cols=$(clickhouse-client -q "SELECT name FROM system.columns WHERE database = '$db' AND table = '$table'" | paste -sd, -)
  [[ -n $cols ]] || { echo "touch-stored.sh: $db.$table has no columns (not a codepace database?)" >&2; exit 1; }
  sel=$(sed -e "s/\bversion\b/toUInt64($version) AS version/" -e "s/\bcollected_at\b/now() AS collected_at/" <<<"$cols")
  if [[ $table == raw_builds ]]; then
    # The first SLOWER changes of the sample, in its order.
    slow="SELECT source, project, number FROM ($(tr '\n' ' ' <<<"$sample")) LIMIT $slower"
    sel=$(sed -e "s/\bduration_s\b/if((source, project, number) IN ($slow), duration_s * 3, duration_s) AS duration_s/" <<<"$sel")
  fi
  # All the tables take the same sample: its order and limit depend only
  # on the keys and the version.
  clickhouse-client -q "INSERT INTO $db.$table ($cols) SELECT $sel FROM $db.$table FINAL
    WHERE (source, project, number) IN ($sample)"
done
echo "touch-stored.sh: $n changes of $db stored again at version $version${slower:+, with their builds, those of $slower of them 3 times slower}"
