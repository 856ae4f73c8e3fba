#!/usr/bin/env bash
# Runs every test of codepace, the ClickHouse integration tests included:
# starts a local ClickHouse when none answers, then vet, format check, unit
# and integration tests, and a short run of each fuzz target.
# Usage: bash deploy/test.sh        (FUZZTIME=10s by default)
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/clickhouse-local.sh

export CODEPACE_TEST_CLICKHOUSE=${CODEPACE_TEST_CLICKHOUSE:-127.0.0.1:9000}
export CODEPACE_REQUIRE_CLICKHOUSE=1

echo "== go vet" >&2
go vet ./...

echo "== gofmt" >&2
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi

echo "== go test" >&2
go test -count=1 ./...

echo "== fuzz (${FUZZTIME:=10s} each)" >&2
# Each fuzz target runs alone, as go test -fuzz requires.
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r file; do
  pkg=./$(dirname "${file#./}")
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | cut -d' ' -f2); do
    echo "-- $pkg $target" >&2
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"
  done
done
echo "== all tests passed" >&2
