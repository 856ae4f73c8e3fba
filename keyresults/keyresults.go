// Package keyresults scores key results (docs/definitions.md §18): for each
// configured target, its baseline, goal, current value with n and 95%
// interval, the glide-path value expected at the report's instant, a
// status and a weekly trend. The figures come from a Source (the store's
// views, or values recorded with `codepace record` for manual targets); the
// figure names and their SQL are in package keyresults/figure.
package keyresults

import (
	"context"
	"fmt"
	"time"

	"github.com/codepace/codepace/config"
	"github.com/codepace/codepace/keyresults/figure"
)

// Period is the span a current value and each trend point cover: the
// trailing 28 days ending at the instant (exclusive), docs/definitions.md
// §18 "Value and period".
const Period = 28 * 24 * time.Hour

// DefaultWeeks is how many weekly trend points a report shows.
const DefaultWeeks = 4

const day = 24 * time.Hour

// Status is a target's verdict (docs/definitions.md §18 "Status").
type Status string

// The four statuses.
const (
	Met     Status = "met"
	OnTrack Status = "on_track"
	Behind  Status = "behind"
	NoData  Status = "no_data"
)

// Result is one target on the scoreboard. Nil pointers are null: a value
// with no data, an interval too thin to give, the n of a count.
type Result struct {
	// Metric is the target's figure name (or manual metric name).
	Metric string        `json:"metric"`
	Filter figure.Filter `json:"filter"`
	Manual bool          `json:"manual"`
	// Unit is the figure's unit (seconds ... days, count); empty for a
	// count figure and a manual metric.
	Unit string `json:"unit"`
	// Baseline is the configured value, or the figure over the baseline
	// period; BaselineN is how many values the latter is made of.
	Baseline  *float64 `json:"baseline"`
	BaselineN *int     `json:"baseline_n"`
	// Goal is the absolute goal (a relative goal applied to Baseline).
	Goal *float64 `json:"goal"`
	// Current is the figure over the 28 days ending at At, made of N
	// values, with its 95% interval [CILow, CIHigh].
	Current *float64 `json:"current"`
	N       *int     `json:"n"`
	CILow   *float64 `json:"ci_low"`
	CIHigh  *float64 `json:"ci_high"`
	// Expected is the glide-path value at At: baseline + (goal −
	// baseline)·f, f = (At − Start)/(Due − Start) clamped to [0, 1].
	Expected *float64 `json:"expected"`
	Status   Status   `json:"status"`
	// OnTrack is true for met and on_track, false for behind, null for
	// no_data.
	OnTrack *bool `json:"on_track"`
	// MinN is the target's min_n.
	MinN int `json:"min_n"`
	// At is the instant the report is taken at; Start and DueAt are where
	// the glide path starts and ends (DueAt is 24:00 UTC of the due day),
	// all UTC.
	At    time.Time `json:"at"`
	Start time.Time `json:"start"`
	DueAt time.Time `json:"due_at"`
	// Due is the due day as configured (2006-01-02).
	Due string `json:"due"`
	// Trend holds the weekly points, oldest first; the last is Current.
	Trend []Point `json:"trend"`
}

// Point is the figure over the 28 days ending at At (exclusive).
type Point struct {
	At     time.Time `json:"at"`
	Value  *float64  `json:"value"`
	N      *int      `json:"n"`
	CILow  *float64  `json:"ci_low"`
	CIHigh *float64  `json:"ci_high"`
}

// Record is a value stored with `codepace record`.
type Record struct {
	Metric string
	// At is 00:00 UTC of the day the value is for.
	At    time.Time
	Value float64
	Note  string
}

// Source reads what figures are made of.
type Source interface {
	// Values runs a figure query: one value per item, or for a Count
	// measure one value, the count (see figure.Query.SQL).
	Values(ctx context.Context, q figure.Query) ([]float64, error)
	// Recorded returns the values recorded for metric, by At ascending.
	Recorded(ctx context.Context, metric string) ([]Record, error)
}

// Evaluate scores every target of cfg at the instant at (the exclusive end
// of the current period), with weeks trend points (at least 1), in the
// config's order.
func Evaluate(ctx context.Context, src Source, cfg *config.Config, at time.Time, weeks int) ([]Result, error) {
	weeks = max(weeks, 1)
	out := make([]Result, 0, len(cfg.Targets))
	for i, t := range cfg.Targets {
		e := evaluator{ctx: ctx, src: src, target: t, members: cfg.TeamMembers(t.Filter.Team)}
		r, err := e.result(at.UTC(), weeks)
		if err != nil {
			return nil, fmt.Errorf("targets[%d] %s: %w", i, t.Metric, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// evaluator computes one target's values.
type evaluator struct {
	ctx     context.Context
	src     Source
	target  config.Target
	members []string
	// records caches a manual target's recorded values.
	records []Record
	loaded  bool
}

func (e *evaluator) result(at time.Time, weeks int) (Result, error) {
	t := e.target
	r := Result{Metric: t.Metric, Filter: t.Filter, Manual: t.Manual, MinN: t.MinN, At: at,
		Due: t.Due.Format(time.DateOnly), DueAt: t.Due.Add(day)}
	if !t.Manual && !t.Figure.IsCount() {
		r.Unit = t.Figure.Unit.Name
	}
	if t.HasBaselinePeriod() {
		s, err := e.value(t.BaselineFrom, t.BaselineTo.Add(day), true)
		if err != nil {
			return r, fmt.Errorf("baseline: %w", err)
		}
		r.Baseline, r.BaselineN = s.Value, s.N
	} else {
		r.Baseline = ptr(t.Baseline)
	}
	for k := weeks - 1; k >= 0; k-- {
		end := at.Add(-time.Duration(k) * 7 * day)
		s, err := e.value(end.Add(-Period), end, false)
		if err != nil {
			return r, err
		}
		r.Trend = append(r.Trend, Point{At: end, Value: s.Value, N: s.N, CILow: s.Low, CIHigh: s.High})
	}
	cur := r.Trend[len(r.Trend)-1]
	r.Current, r.N, r.CILow, r.CIHigh = cur.Value, cur.N, cur.CILow, cur.CIHigh
	r.Start = GlideStart(t)
	if r.Baseline != nil {
		r.Goal = ptr(t.GoalValue(*r.Baseline))
		r.Expected = ptr(Expected(*r.Baseline, *r.Goal, r.Start, r.DueAt, at))
	}
	r.Status = Judge(r.Baseline, r.Goal, r.Expected, r.Current, r.N, t.MinN)
	if r.Status != NoData {
		r.OnTrack = ptr(r.Status != Behind)
	}
	return r, nil
}

// value is the target's figure over [from, to), a baseline period or a
// trailing 28 days.
func (e *evaluator) value(from, to time.Time, baseline bool) (Summary, error) {
	t := e.target
	if t.Manual {
		return e.manual(from, to, baseline)
	}
	q := figure.Query{Measure: t.Figure.Measure, Filter: t.Filter, Members: e.members, From: from, To: to}
	vals, err := e.src.Values(e.ctx, q)
	if err != nil {
		return Summary{}, err
	}
	if t.Figure.IsCount() {
		var v float64
		if len(vals) > 0 {
			v = vals[0]
		}
		// A count over other than 28 days is scaled to 28 days; the
		// backlog, taken at an instant, is not.
		if !t.Figure.Measure.AtInstant && to.Sub(from) != Period {
			v = v * float64(Period) / float64(to.Sub(from))
		}
		return Summary{Value: &v}, nil
	}
	return Summarise(vals, t.Figure.Stat, t.Figure.Unit.Seconds), nil
}

// manual is a manual target's value: for the current period and the trend
// the latest value recorded before to; for a baseline period the mean of
// the values recorded in [from, to). A value
// recorded for a day is at 00:00 UTC of that day, so `--at D` sees the
// value of D and not that of the day after. n stays null.
func (e *evaluator) manual(from, to time.Time, baseline bool) (Summary, error) {
	if !e.loaded {
		recs, err := e.src.Recorded(e.ctx, e.target.Metric)
		if err != nil {
			return Summary{}, err
		}
		e.records, e.loaded = recs, true
	}
	if !baseline {
		var latest *float64
		for _, r := range e.records {
			if r.At.Before(to) {
				latest = ptr(r.Value)
			}
		}
		return Summary{Value: latest}, nil
	}
	var sum float64
	var n int
	for _, r := range e.records {
		if !r.At.Before(from) && r.At.Before(to) {
			sum += r.Value
			n++
		}
	}
	if n == 0 {
		return Summary{}, nil
	}
	return Summary{Value: ptr(sum / float64(n))}, nil
}

// GlideStart is where a target's glide path starts: its start (00:00 UTC),
// else the end of its baseline period (24:00 UTC of the last day), else
// the end of its due day minus one year.
func GlideStart(t config.Target) time.Time {
	switch {
	case !t.Start.IsZero():
		return t.Start
	case t.HasBaselinePeriod():
		return t.BaselineTo.Add(day)
	}
	return t.Due.Add(day).AddDate(-1, 0, 0)
}

// Expected is the glide-path value at at: baseline + (goal − baseline)·f,
// f = (at − start)/(due − start) clamped to [0, 1] (1 when due is not after
// start).
func Expected(baseline, goal float64, start, due, at time.Time) float64 {
	f := 1.0
	if due.After(start) {
		f = min(1, max(0, float64(at.Sub(start))/float64(due.Sub(start))))
	}
	return baseline + (goal-baseline)*f
}

// Judge gives the status: no_data without a current value, a baseline, or
// with n < minN (n null, as for counts and manual values, is never thin);
// met when current is at least as good as the goal; on_track when at
// least as good as expected; else behind. Better is the goal's side of the
// baseline (lower when the goal equals the baseline).
func Judge(baseline, goal, expected, current *float64, n *int, minN int) Status {
	if current == nil || baseline == nil || goal == nil || expected == nil || (n != nil && *n < minN) {
		return NoData
	}
	asGood := func(v, than float64) bool {
		if *goal > *baseline {
			return v >= than
		}
		return v <= than
	}
	switch {
	case asGood(*current, *goal):
		return Met
	case asGood(*current, *expected):
		return OnTrack
	}
	return Behind
}
