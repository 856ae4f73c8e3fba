package store

import (
	"context"
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

// figure is how one named figure is computed over a period (from, to].
// The period column is the one SPEC assigns to the figure: when its
// measured interval ended.
type figure struct {
	// query selects the value and how many items it rests on; it has
	// placeholders for from and to, and the filter clauses are appended.
	query string
	// project and cohort say which filters apply.
	project, cohort bool
	// onDay marks figures taken on the day of `to` rather than over the
	// period; their query has one placeholder.
	onDay bool
}

var figures = map[string]figure{
	"time_to_first_review_p50_hours": {
		query:   `SELECT quantileExact(0.5)(time_to_first_review_s) / 3600, count(time_to_first_review_s) FROM change_metrics WHERE first_review_at > ? AND first_review_at <= ? AND owner_is_bot = 0`,
		project: true, cohort: true,
	},
	"time_to_merge_p50_days": {
		query:   `SELECT quantileExact(0.5)(time_to_merge_s) / 86400, count(time_to_merge_s) FROM change_metrics WHERE merged_at > ? AND merged_at <= ? AND owner_is_bot = 0`,
		project: true, cohort: true,
	},
	"cycle_time_p50_days": {
		query:   `SELECT quantileExact(0.5)(cycle_time_s) / 86400, count(cycle_time_s) FROM change_metrics WHERE merged_at > ? AND merged_at <= ? AND owner_is_bot = 0`,
		project: true, cohort: true,
	},
	"review_backlog_open": {
		query:   `SELECT toFloat64(sum(open_ready)), count() FROM review_backlog_daily WHERE day = toDate(?)`,
		project: true, onDay: true,
	},
	"review_backlog_mean_age_days": {
		query:   `SELECT sum(mean_age_days * open_ready) / sum(open_ready), toUInt64(sum(open_ready)) FROM review_backlog_daily WHERE day = toDate(?)`,
		project: true, onDay: true,
	},
	"newcomer_time_to_first_review_p50_days": {
		query: `SELECT quantileExact(0.5)(time_to_first_review_s) / 86400, count(time_to_first_review_s) FROM newcomers WHERE first_review_at > ? AND first_review_at <= ?`,
	},
	"newcomer_time_to_first_merge_p50_days": {
		query: `SELECT quantileExact(0.5)(time_to_first_merge_s) / 86400, count(time_to_first_merge_s) FROM newcomers WHERE first_merge_at > ? AND first_merge_at <= ?`,
	},
	"build_duration_mean_minutes": {
		query:   `SELECT avg(duration_s) / 60, count(duration_s) FROM builds WHERE finished_at > ? AND finished_at <= ?`,
		project: true,
	},
	"build_duration_p95_minutes": {
		query:   `SELECT quantileExact(0.95)(duration_s) / 60, count(duration_s) FROM builds WHERE finished_at > ? AND finished_at <= ?`,
		project: true,
	},
	"build_spikes": {
		query:   `SELECT toFloat64(sum(is_spike)), count() FROM builds WHERE finished_at > ? AND finished_at <= ?`,
		project: true,
	},
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
	q := fig.query
	args := []any{from.UTC(), to.UTC()}
	if fig.onDay {
		args = []any{to.UTC()}
	}
	if f.Source != "" {
		q += " AND source = ?"
		args = append(args, f.Source)
	}
	if f.Project != "" {
		if !fig.project {
			return 0, false, fmt.Errorf("figure %s has no project; drop filter.project", name)
		}
		q += " AND project = ?"
		args = append(args, f.Project)
	}
	if f.Cohort != "" {
		if !fig.cohort {
			return 0, false, fmt.Errorf("figure %s has no cohort; drop filter.cohort", name)
		}
		q += " AND owner_cohort = ?"
		args = append(args, f.Cohort)
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
