package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// FigureFilter narrows a named figure; empty fields match everything.
type FigureFilter struct {
	Source  string
	Project string
	Cohort  string // "new" or "ramped"; applies to change figures
}

// figure is how one named figure is computed over a period (from, to]:
// value and count are aggregates over table, restricted by period, the
// column SPEC assigns to the figure (when its measured interval ended).
type figure struct {
	value, count, table, period string
	// where is a fixed extra condition.
	where string
	// project and cohort say which filters apply.
	project, cohort bool
	// onDay marks figures taken on the day of `to` rather than over the
	// period (period is then a Date column).
	onDay bool
}

// humanChanges leaves bot-owned changes out of the change figures.
const humanChanges = "owner_is_bot = 0"

var figures = map[string]figure{
	"time_to_first_review_p50_hours": {value: "quantileExact(0.5)(time_to_first_review_s) / 3600", count: "count(time_to_first_review_s)",
		table: "change_metrics", period: "first_review_at", where: humanChanges, project: true, cohort: true},
	"time_to_merge_p50_days": {value: "quantileExact(0.5)(time_to_merge_s) / 86400", count: "count(time_to_merge_s)",
		table: "change_metrics", period: "merged_at", where: humanChanges, project: true, cohort: true},
	"cycle_time_p50_days": {value: "quantileExact(0.5)(cycle_time_s) / 86400", count: "count(cycle_time_s)",
		table: "change_metrics", period: "merged_at", where: humanChanges, project: true, cohort: true},
	"review_backlog_open": {value: "sum(open_ready)", count: "count()",
		table: "review_backlog_daily", period: "day", onDay: true, project: true},
	"review_backlog_mean_age_days": {value: "sum(mean_age_days * open_ready) / sum(open_ready)", count: "sum(open_ready)",
		table: "review_backlog_daily", period: "day", onDay: true, project: true},
	"newcomer_time_to_first_review_p50_days": {value: "quantileExact(0.5)(time_to_first_review_s) / 86400", count: "count(time_to_first_review_s)",
		table: "newcomers", period: "first_review_at"},
	"newcomer_time_to_first_merge_p50_days": {value: "quantileExact(0.5)(time_to_first_merge_s) / 86400", count: "count(time_to_first_merge_s)",
		table: "newcomers", period: "first_merge_at"},
	"build_duration_mean_minutes": {value: "avg(duration_s) / 60", count: "count(duration_s)",
		table: "builds", period: "finished_at", project: true},
	"build_duration_p95_minutes": {value: "quantileExact(0.95)(duration_s) / 60", count: "count(duration_s)",
		table: "builds", period: "finished_at", project: true},
	"build_spikes": {value: "sum(is_spike)", count: "count()",
		table: "builds", period: "finished_at", project: true},
}

// sql renders the figure's query; its placeholders are the period bounds
// (one, the day, for onDay figures) followed by the filter values.
func (fig figure) sql(f FigureFilter) (string, error) {
	// Aggregates over no row are NULL on current ClickHouse and 0 or nan
	// on 18.16: the value is normalised to a Float64 with nan for none.
	q := "SELECT ifNull(toFloat64(" + fig.value + "), nan), toUInt64(" + fig.count + ") FROM " + fig.table + " WHERE "
	if fig.onDay {
		q += fig.period + " = toDate(?)"
	} else {
		q += fig.period + " > ? AND " + fig.period + " <= ?"
	}
	if fig.where != "" {
		q += " AND " + fig.where
	}
	if f.Source != "" {
		q += " AND source = ?"
	}
	if f.Project != "" {
		if !fig.project {
			return "", errors.New("it has no project; drop filter.project")
		}
		q += " AND project = ?"
	}
	if f.Cohort != "" {
		if !fig.cohort {
			return "", errors.New("it has no cohort; drop filter.cohort")
		}
		q += " AND owner_cohort = ?"
	}
	return q, nil
}

// Figure computes a named figure over the period (from, to]; the backlog
// figures take the day of `to`. ok is false when no item falls in the
// period. Filters that do not apply to a figure (a cohort for builds, a
// project for newcomers) are an error rather than silently ignored.
func (s *Store) Figure(ctx context.Context, name string, f FigureFilter, from, to time.Time) (value float64, ok bool, err error) {
	fig, known := figures[name]
	if !known {
		return 0, false, fmt.Errorf("unknown figure %q", name)
	}
	q, err := fig.sql(f)
	if err != nil {
		return 0, false, fmt.Errorf("figure %s: %w", name, err)
	}
	args := []any{from.UTC(), to.UTC()}
	if fig.onDay {
		args = []any{to.UTC()}
	}
	for _, v := range []string{f.Source, f.Project, f.Cohort} {
		if v != "" {
			args = append(args, v)
		}
	}
	var n uint64
	var v float64
	if err := s.conn.QueryRow(ctx, q, args...).Scan(&v, &n); err != nil {
		return 0, false, fmt.Errorf("figure %s: %w", name, err)
	}
	if n == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, nil
	}
	return v, true, nil
}
