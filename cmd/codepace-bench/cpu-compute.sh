#!/bin/bash
# cpu-compute.sh CODEPACE CONFIG [RUNS]: times RUNS (default 1) full
# computes (`CODEPACE compute --full --config CONFIG`) and reports, for
# each, its wall time, codepace's CPU and peak RSS, and the CPU of the
# ClickHouse server on this machine during the compute and until its
# merges end. Before each compute it waits for ClickHouse's merges to
# end, so that one run's merges are not billed to the next. It compares
# two builds of codepace on a kept bench database (BENCHMARKS.md):
#
#   go build -o /tmp/a ./cmd/codepace   # then change, and build /tmp/b
#   bash cmd/codepace-bench/cpu-compute.sh /tmp/a bench.yaml 3
#   bash cmd/codepace-bench/cpu-compute.sh /tmp/b bench.yaml 3
#
# It needs clickhouse-client and GNU time (/usr/bin/time) and changes
# nothing but the derived tables the computes write.
set -euo pipefail
usage="usage: cpu-compute.sh CODEPACE CONFIG [RUNS]"
codepace=${1:?$usage}
config=${2:?$usage}
runs=${3:-1}
server=$(pgrep -x clickhouse-serv | head -1) || { echo "cpu-compute.sh: no clickhouse-server runs here" >&2; exit 1; }
tick=$(getconf CLK_TCK)
# cpu prints the user and system CPU seconds process $1 has used.
cpu() { awk -v t="$tick" '{printf "%.1f", ($14+$15)/t}' "/proc/$1/stat"; }
# settle waits until ClickHouse runs no merge.
settle() {
	sleep 2
	while [ "$(clickhouse-client -q 'SELECT count() FROM system.merges')" != 0 ]; do sleep 1; done
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for ((i = 1; i <= runs; i++)); do
	settle
	before=$(cpu "$server")
	if ! /usr/bin/time -f "wall %e s, codepace CPU %U+%S s, peak RSS %M KB" \
		"$codepace" compute --full --config "$config" >/dev/null 2>"$log"; then
		cat "$log" >&2
		exit 1
	fi
	during=$(cpu "$server")
	settle
	after=$(cpu "$server")
	awk -v b="$before" -v d="$during" -v a="$after" -v t="$(tail -1 "$log")" \
		'BEGIN {printf "%s; ClickHouse CPU %.1f s, %.1f s until merged\n", t, d - b, a - b}'
done
