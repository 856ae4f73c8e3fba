package store

import (
	"context"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/keyresults"
	"github.com/codepace/codepace/keyresults/figure"
	"github.com/codepace/codepace/metrics"
)

// figureValue is a figure over [from, to) as `codepace report` computes
// it; ok is false when no value is behind it.
func figureValue(s *Store, name string, f figure.Filter, from, to time.Time, members ...string) (float64, bool, error) {
	fig, err := figure.Parse(name)
	if err != nil {
		return 0, false, err
	}
	vals, err := s.Values(context.Background(), figure.Query{Measure: fig.Measure, Filter: f, Members: members, From: from, To: to})
	if err != nil {
		return 0, false, err
	}
	if fig.IsCount() {
		return vals[0], true, nil
	}
	sum := keyresults.Summarise(vals, fig.Stat, fig.Unit.Seconds)
	if sum.Value == nil {
		return 0, false, nil
	}
	return *sum.Value, true, nil
}

func TestFigures(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.Write(ctx, collectors.Batch{Changes: []collectors.Change{sample()}}); err != nil {
		t.Fatal(err)
	}
	people := metrics.NewPeople(map[string][]string{"Owen": {"g:owner1"}})
	if _, err := s.Compute(ctx, ComputeOptions{Bots: noBots, People: people, NewcomerDays: 90, Now: t0.Add(3 * day),
		Spike: metrics.SpikeConfig{Ratio: 1.5, FloorS: 120, WindowDays: 14, MinBuilds: 5}}); err != nil {
		t.Fatal(err)
	}
	// Every measure answers, with data and over an empty period.
	for _, m := range figure.Measures() {
		for _, f := range []figure.Filter{{}, {Source: "g"}, {Source: "nope"}} {
			q := figure.Query{Measure: m, Filter: f, From: t0.Add(-day), To: t0.Add(3 * day)}
			if _, err := s.Values(ctx, q); err != nil {
				t.Errorf("%s %+v: %v", m.Name, f, err)
			}
			q.From, q.To = t0.Add(-300*day), t0.Add(-299*day)
			vals, err := s.Values(ctx, q)
			if empty := len(vals) == 0 || m.Kind == figure.Count && len(vals) == 1 && vals[0] == 0; err != nil || !empty {
				t.Errorf("%s over an empty period: %v, %v", m.Name, vals, err)
			}
		}
	}
	endOfMar5 := time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		f       figure.Filter
		members []string
		to      time.Time
		want    float64
	}{
		{"time_to_first_review_p50_hours", figure.Filter{Source: "g", Cohort: "new"}, nil, t0.Add(day), 3},
		{"time_to_first_review_mean_minutes", figure.Filter{Team: "core"}, []string{"Owen"}, t0.Add(day), 180},
		{"time_to_merge_p50_days", figure.Filter{Project: "p/*"}, nil, t0.Add(3 * day), 2},
		{"cycle_time_p50_days", figure.Filter{}, nil, t0.Add(3 * day), 2 + 5.0/24},
		{"review_rounds_max_count", figure.Filter{}, nil, t0.Add(3 * day), 1},
		{"changes_merged", figure.Filter{Team: "core"}, []string{"Owen"}, t0.Add(3 * day), 1},
		{"changes_merged", figure.Filter{Team: "web"}, []string{"Ann"}, t0.Add(3 * day), 0},
		// At 24:00 of March 5 the change, ready since March 4 09:00, is 39 hours old.
		{"review_backlog_open", figure.Filter{}, nil, endOfMar5, 1},
		{"review_backlog_mean_age_days", figure.Filter{}, nil, endOfMar5, 1.625},
		{"review_backlog_age_p90_hours", figure.Filter{Cohort: "new", Team: "core"}, []string{"Owen"}, endOfMar5, 39},
		{"review_backlog_open", figure.Filter{}, nil, t0.Add(3 * day), 0},
		{"newcomer_time_to_first_merge_p50_days", figure.Filter{Team: "core"}, []string{"Owen"}, t0.Add(3 * day), 2},
		{"newcomers", figure.Filter{}, nil, t0.Add(3 * day), 1},
	} {
		got, ok, err := figureValue(s, tt.name, tt.f, tt.to.Add(-28*day), tt.to, tt.members...)
		if err != nil || !ok || got != tt.want {
			t.Errorf("%s %+v: %v %v %v, want %v", tt.name, tt.f, got, ok, err, tt.want)
		}
	}
	if _, ok, err := figureValue(s, "time_to_first_review_p50_hours", figure.Filter{Cohort: "ramped"}, t0.Add(-day), t0.Add(day)); ok || err != nil {
		t.Errorf("ramped cohort has no change: ok %v, %v", ok, err)
	}
	// The period ends before to: a review at exactly to is not in it.
	if _, ok, err := figureValue(s, "time_to_first_review_p50_hours", figure.Filter{}, t0.Add(-day), t0.Add(3*hour)); ok || err != nil {
		t.Errorf("review at the end of the period counted: ok %v, %v", ok, err)
	}
}

func TestRecordedValues(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	d1, d2 := time.Date(2019, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2019, 9, 30, 0, 0, 0, 0, time.UTC)
	for _, recs := range [][]keyresults.Record{
		{{Metric: "sat", At: d2, Value: 4.1, Note: "Q3 survey"}, {Metric: "sat", At: d1, Value: 3.7}, {Metric: "other", At: d1, Value: 9}},
		// Re-recording a metric and day replaces its value; within one
		// call the later line wins.
		{{Metric: "sat", At: d2, Value: 4.0}, {Metric: "sat", At: d2, Value: 3.9, Note: "corrected"}},
	} {
		if err := s.Record(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Recorded(ctx, "sat")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].At != d1 || got[0].Value != 3.7 || got[1].At != d2 || got[1].Value != 3.9 || got[1].Note != "corrected" {
		t.Errorf("recorded %+v", got)
	}
}

func TestWriteKeyResults(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	at := time.Date(2019, 10, 1, 0, 0, 0, 0, time.UTC)
	v, n := 2.5, 30
	yes := true
	r := keyresults.Result{Metric: "time_to_merge_mean_days", Filter: figure.Filter{Team: "core"}, Unit: "days",
		Baseline: &v, Goal: &v, Current: &v, N: &n, CILow: &v, CIHigh: &v, Expected: &v, Status: keyresults.Met,
		OnTrack: &yes, MinN: 20, At: at, Start: at.AddDate(-1, 0, 0), DueAt: at.AddDate(1, 0, 0), Due: "2020-09-30",
		Trend: []keyresults.Point{{At: at.Add(-7 * day)}, {At: at, Value: &v, N: &n}}}
	manual := keyresults.Result{Metric: "sat", Manual: true, Status: keyresults.NoData, At: at, Trend: []keyresults.Point{{At: at}}}
	if err := s.WriteKeyResults(ctx, 1, []keyresults.Result{manual}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteKeyResults(ctx, 2, []keyresults.Result{r, manual}); err != nil {
		t.Fatal(err)
	}
	rows := rowsAsText(t, s, `SELECT position, metric, filter, status, on_track, n, current,
		arrayStringConcat(arrayMap(x -> ifNull(toString(x), 'NULL'), trend), ','),
		arrayStringConcat(arrayMap(x -> ifNull(toString(x), 'NULL'), trend_n), ',') FROM key_results ORDER BY position`)
	want := []string{
		"0 | time_to_merge_mean_days | team=core | met | 1 | 30 | 2.5 | NULL,2.5 | NULL,30",
		"1 | sat |  | no_data | NULL | NULL | NULL | NULL | NULL",
	}
	if len(rows) != len(want) || rows[0] != want[0] || rows[1] != want[1] {
		t.Errorf("key_results:\n%q\nwant\n%q", rows, want)
	}
}
