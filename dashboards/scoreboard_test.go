package dashboards

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/config"
	"github.com/codepace/codepace/keyresults"
	kfigure "github.com/codepace/codepace/keyresults/figure"
	"github.com/codepace/codepace/store"
)

// scoreboardTargets are key results on the generated history of history():
// a mean with a cohort, a p90 with a project, a backlog count and a manual
// metric, so that key_results has rows with an interval, without one (a
// count), and with nulls.
func scoreboardTargets(t *testing.T, project string, now time.Time) []config.Target {
	t.Helper()
	day := func(d time.Time) time.Time { return d.UTC().Truncate(24 * time.Hour) }
	target := func(metric string, f kfigure.Filter, baseline, goal float64) config.Target {
		fig, err := kfigure.Parse(metric)
		if err != nil {
			t.Fatal(err)
		}
		return config.Target{Metric: metric, Figure: fig, Baseline: baseline, Goal: goal, Filter: f,
			Due: day(now.AddDate(0, 6, 0)), MinN: config.DefaultMinN}
	}
	ts := []config.Target{
		target("time_to_merge_mean_days", kfigure.Filter{Source: "demo", Cohort: "ramped"}, 6, 5),
		target("time_to_first_review_p90_hours", kfigure.Filter{Project: project}, 100, 80),
		target("review_backlog_open", kfigure.Filter{}, 10, 5),
		{Metric: "developer_satisfaction", Manual: true, Baseline: 3.8, Goal: 4.2, Due: day(now.AddDate(0, 6, 0)), MinN: config.DefaultMinN},
	}
	// A baseline period: the figure over 90 days a year ago.
	ts[1].BaselineFrom, ts[1].BaselineTo = day(now.AddDate(-1, 0, -90)), day(now.AddDate(-1, 0, 0))
	return ts
}

// writeScoreboard scores targets at now (to the second, as compute does)
// with a survey value recorded for the manual one, and stores them in
// key_results.
func writeScoreboard(t *testing.T, s *store.Store, targets []config.Target, now time.Time) []keyresults.Result {
	t.Helper()
	ctx := context.Background()
	now = now.Truncate(time.Second)
	if err := s.Record(ctx, []keyresults.Record{{Metric: "developer_satisfaction",
		At: now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -10), Value: 4.1}}); err != nil {
		t.Fatal(err)
	}
	results, err := keyresults.Evaluate(ctx, s, &config.Config{Targets: targets}, now, keyresults.DefaultWeeks)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteKeyResults(ctx, uint64(now.UnixNano()), results); err != nil {
		t.Fatal(err)
	}
	return results
}

// dashboardTargets are the targets as `codepace provision` passes them.
func dashboardTargets(ts []config.Target) []Target {
	out := make([]Target, len(ts))
	for i, t := range ts {
		out[i] = Target{Metric: t.Metric, Filter: t.Filter.String(), Due: t.Due}
		if !t.Manual && !t.Figure.IsCount() {
			out[i].Unit = t.Figure.Unit.Name
		}
	}
	return out
}

// scoreboardMatchesReport checks that the scoreboard panels show what
// `codepace report` computes: the Scoreboard table row by row, each
// target's status panel, and each target's trend with its glide path.
func scoreboardMatchesReport(t *testing.T, conn driver.Conn, board jsonBoard, results []keyresults.Result, now time.Time) {
	ctx := context.Background()
	byTitle := map[string]sqlRef{}
	for _, q := range queries([]jsonBoard{board}) {
		byTitle[q.where] = q
	}
	query := func(title string) result {
		t.Helper()
		q, ok := byTitle["panel "+title]
		if !ok {
			t.Fatalf("no panel %q", title)
		}
		sql, err := expand(q.sql, expansion{vars: AllPass().Vars, from: now.AddDate(0, 0, -180), to: now})
		if err != nil {
			t.Fatal(err)
		}
		r, err := run(ctx, conn, sql)
		if err != nil {
			t.Fatalf("%s: %v\n%s", title, err, sql)
		}
		return r
	}
	same := func(what string, got any, want *float64) {
		t.Helper()
		g, isNull := nullableFloat(got)
		switch {
		case want == nil && !isNull:
			t.Errorf("%s: dashboard %v, report null", what, g)
		case want != nil && isNull:
			t.Errorf("%s: dashboard null, report %v", what, *want)
		case want != nil && math.Abs(g-*want) > 1e-9*math.Max(1, math.Abs(*want)):
			t.Errorf("%s: dashboard %v, report %v", what, g, *want)
		}
	}
	fields := func(r keyresults.Result) map[string]*float64 {
		var n *float64
		if r.N != nil {
			n = ptr(float64(*r.N))
		}
		return map[string]*float64{"current": r.Current, "n": n, "ci_low": r.CILow, "ci_high": r.CIHigh,
			"expected": r.Expected, "baseline": r.Baseline, "goal": r.Goal}
	}

	table := query("Scoreboard")
	if len(table.rows) != len(results) {
		t.Fatalf("Scoreboard: %d rows for %d targets", len(table.rows), len(results))
	}
	for i, r := range results {
		row := table.rows[i]
		name := fmt.Sprintf("Scoreboard row %d (%s)", i, r.Metric)
		if row[table.column("metric")] != r.Metric || row[table.column("filter")] != r.Filter.String() ||
			row[table.column("status")] != string(r.Status) || row[table.column("due")] != r.Due {
			t.Errorf("%s: %v, want %s %q %s due %s", name, row, r.Metric, r.Filter, r.Status, r.Due)
		}
		for col, want := range fields(r) {
			same(name+" "+col, row[table.column(col)], want)
		}
	}

	statuses := map[keyresults.Status]bool{}
	for _, r := range results {
		statuses[r.Status] = true
		name := r.Metric
		if f := r.Filter.String(); f != "" {
			name += " (" + f + ")"
		}
		st := query(name + ": status")
		if len(st.rows) != 1 || st.rows[0][st.column("status")] != string(r.Status) {
			t.Errorf("%s: status panel %v, report %s", name, st.rows, r.Status)
			continue
		}
		for col, want := range fields(r) {
			same(name+" status panel "+col, st.rows[0][st.column(col)], want)
		}
		tr := query(name + " · due " + r.Due)
		if len(tr.rows) != len(r.Trend) {
			t.Errorf("%s: trend panel %d points, report %d", name, len(tr.rows), len(r.Trend))
			continue
		}
		for k, p := range r.Trend {
			row := tr.rows[k]
			if at := row[0].(time.Time); !at.Equal(p.At) {
				t.Errorf("%s: trend point %d at %v, report %v", name, k, at, p.At)
			}
			same(fmt.Sprintf("%s trend %d", name, k), row[tr.column("value")], p.Value)
			if r.Baseline != nil {
				want := keyresults.Expected(*r.Baseline, *r.Goal, r.Start, r.DueAt, p.At)
				same(fmt.Sprintf("%s glide path %d", name, k), row[tr.column("glide_path")], &want)
			}
		}
		t.Logf("%s: %s, current %s, expected %s: on both", name, r.Status, keyresults.Format(r.Current), keyresults.Format(r.Expected))
	}
	if len(statuses) < 2 {
		t.Errorf("the targets' statuses %v: want at least two different ones to compare", statuses)
	}
}

// nullableFloat reads a scanned number, nullable or not.
func nullableFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, false
	case *float64:
		if x == nil {
			return 0, true
		}
		return *x, false
	case uint32:
		return float64(x), false
	case *uint32:
		if x == nil {
			return 0, true
		}
		return float64(*x), false
	}
	panic(fmt.Sprintf("%T is not a number", v))
}

func ptr(v float64) *float64 { return &v }
