package dashboards

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/codepace/codepace/internal/chtest"
)

// backlogSpan is a row of review_backlog_changes as the running trends
// read it.
type backlogSpan struct {
	ready, from time.Time
	to          *time.Time // nil: still open
}

// TestRunningTrendAtDayBoundaries runs the daily trends of the backlog
// figures a running sum gives (runningSQL) over spans that start or end
// exactly at 00:00 UTC, or a second after, and compares each day with
// the definition counted here: a span counts at 24:00 UTC of day d when
// from_at <= that instant < to_at.
func TestRunningTrendAtDayBoundaries(t *testing.T) {
	ctx := context.Background()
	addr, db := chtest.Database(t)
	admin, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, Auth: clickhouse.Auth{Database: db, Username: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// A table standing for the view, with the columns the trends read.
	if err := conn.Exec(ctx, `CREATE TABLE review_backlog_changes (source String, project String, owner_cohort String,
		ready_at DateTime('UTC'), from_at DateTime('UTC'), to_at Nullable(DateTime('UTC'))) ENGINE = MergeTree() ORDER BY tuple()`); err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ptr := func(s string) *time.Time { v := at(s); return &v }
	spans := []backlogSpan{
		{at("2026-01-01 00:00:00"), at("2026-01-02 00:00:00"), nil},
		{at("2026-01-01 05:00:00"), at("2026-01-01 05:00:00"), ptr("2026-01-05 00:00:00")},
		{at("2026-01-01 05:00:00"), at("2026-01-03 00:00:01"), ptr("2026-01-04 00:00:01")},
		{at("2025-12-20 00:00:00"), at("2025-12-20 00:00:00"), ptr("2026-01-03 23:59:59")},
		{at("2026-01-05 12:00:00"), at("2026-01-06 00:00:00"), ptr("2026-01-06 00:00:00")}, // empty span
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO review_backlog_changes (source, project, owner_cohort, ready_at, from_at, to_at)")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range spans {
		if err := b.Append("g", "p", "new", s.ready, s.from, s.to); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	from, to := at("2025-12-30 10:00:00"), at("2026-01-08 10:00:00")
	all := map[string][]string{varSource: allValues, varProject: allValues, varCohort: allValues}
	for _, name := range []string{"review_backlog_open", "review_backlog_mean_age_days"} {
		f := newFigure(name, name)
		if _, ok := f.running(); !ok {
			t.Fatalf("%s: not a running figure", name)
		}
		sql, err := expand(f.trendSQL(f.variableFilters())+querySettings, expansion{vars: all, from: from, to: to})
		if err != nil {
			t.Fatal(err)
		}
		r, err := run(ctx, conn, sql)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, sql)
		}
		got := map[time.Time]float64{}
		for _, row := range r.rows {
			got[row[0].(time.Time).UTC()], _ = value(row[1])
		}
		for day := from.Truncate(24 * time.Hour); !day.After(to); day = day.AddDate(0, 0, 1) {
			end := day.AddDate(0, 0, 1)
			n, age := 0, 0.0
			for _, s := range spans {
				if !s.from.After(end) && (s.to == nil || s.to.After(end)) {
					n++
					age += end.Sub(s.ready).Hours() / 24
				}
			}
			want := float64(n)
			if name == "review_backlog_mean_age_days" && n > 0 {
				want = age / float64(n)
			}
			g, ok := got[day]
			if ok != (n > 0) || math.Abs(g-want) > 1e-9 {
				t.Errorf("%s on %s: %v (point %v), want %v (%d open)", name, day.Format(time.DateOnly), g, ok, want, n)
			}
		}
	}
}
