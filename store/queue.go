package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	krfigure "github.com/codepace/codepace/keyresults/figure"
)

// QueueFilter narrows the review queue; empty fields match everything.
type QueueFilter struct {
	Source string
	// Project is a glob: * matches any run of characters, / included, ?
	// one character (keyresults/figure.GlobRegexp).
	Project   string
	WaitingOn string // "reviewer" or "author"
	Cohort    string // "new" or "ramped"
	// Limit caps the rows; 0 means all.
	Limit int
}

// QueueRow is one row of the review_queue view.
type QueueRow struct {
	Source       string    `json:"source"`
	Project      string    `json:"project"`
	Number       int64     `json:"number"`
	URL          string    `json:"url"`
	Subject      string    `json:"subject"`
	Owner        string    `json:"owner"`
	OwnerCohort  string    `json:"owner_cohort"`
	ReadyAt      time.Time `json:"ready_at"`
	Patchset     int32     `json:"patchset"`
	WaitingOn    string    `json:"waiting_on"`
	WaitingSince time.Time `json:"waiting_since"`
	WaitingDays  float64   `json:"waiting_days"`
}

// Queue reads the review_queue view (docs/definitions.md §19): the changes
// open and ready at the last compute, longest wait first (earliest
// waiting_since; then source, project and number).
func (s *Store) Queue(ctx context.Context, f QueueFilter) ([]QueueRow, error) {
	var conds []string
	var args []any
	for _, kv := range [][2]string{{"source", f.Source}, {"waiting_on", f.WaitingOn}, {"owner_cohort", f.Cohort}} {
		if kv[1] != "" {
			conds = append(conds, kv[0]+" = ?")
			args = append(args, kv[1])
		}
	}
	if f.Project != "" {
		conds = append(conds, "match(project, ?)")
		args = append(args, krfigure.GlobRegexp(f.Project))
	}
	q := `SELECT source, project, number, url, subject, owner, owner_cohort, ready_at, patchset,
		waiting_on, waiting_since, waiting_days FROM review_queue`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += " ORDER BY waiting_since, source, project, number"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit) // an int: nothing to inject
	}
	rows, err := s.conn.Query(ctx, q+" SETTINGS enable_optimize_predicate_expression = 1", args...)
	if err != nil {
		return nil, fmt.Errorf("read review_queue: %w", err)
	}
	defer rows.Close()
	var out []QueueRow
	for rows.Next() {
		var r QueueRow
		var ready *time.Time
		if err := rows.Scan(&r.Source, &r.Project, &r.Number, &r.URL, &r.Subject, &r.Owner, &r.OwnerCohort, &ready,
			&r.Patchset, &r.WaitingOn, &r.WaitingSince, &r.WaitingDays); err != nil {
			return nil, fmt.Errorf("read review_queue: %w", err)
		}
		if ready != nil {
			r.ReadyAt = ready.UTC()
		}
		r.WaitingSince = r.WaitingSince.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
