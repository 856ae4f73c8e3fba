package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	krfigure "github.com/codepace/codepace/keyresults/figure"
	"github.com/codepace/codepace/metrics"
)

// TestWhoseTurnViews computes three changes and reads whose turn it is,
// working time and reviewer load back from the views
// (docs/definitions.md §19).
func TestWhoseTurnViews(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	merged := sample() // -1 at 3h, patch set 2 at 5h, +2 at 6h, merged after 2 days
	onAuthor := collectors.Change{
		Source: "g", Project: "p/one", Number: 8, URL: "http://g/c/8", Owner: owner, Status: collectors.StatusOpen,
		Created: t0, Updated: t0.Add(day),
		Revisions: []collectors.Revision{{Number: 1, Created: t0, Uploader: owner}},
		Messages: []collectors.Message{
			{ID: "n1", Author: rev, Date: t0.Add(day), Text: "Patch Set 1: Code-Review-1", Revision: 1},
		},
	}
	onReviewer := collectors.Change{
		Source: "g", Project: "p/two", Number: 9, URL: "http://g/c/9", Owner: rev, Status: collectors.StatusOpen,
		Created: t0.Add(2 * day), Updated: t0.Add(2 * day),
		Revisions: []collectors.Revision{{Number: 1, Created: t0.Add(2 * day), Uploader: rev}},
		Messages: []collectors.Message{ // a -1 by a bot does not count
			{ID: "k1", Author: zuul, Date: t0.Add(2*day + hour), Text: "Patch Set 1: Code-Review-1", Revision: 1},
		},
	}
	if err := s.Write(ctx, collectors.Batch{Changes: []collectors.Change{merged, onAuthor, onReviewer}}); err != nil {
		t.Fatal(err)
	}
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	people := metrics.NewPeople(map[string][]string{"Olive": {"g:1000"}})
	work := metrics.WorkTime{
		Default: metrics.DefaultCalendar(),
		Teams:   map[string]*metrics.Calendar{"west": metrics.NewCalendar(la, weekdays, 9*3600, 17*3600, nil)},
		TeamOf:  map[string]string{"Olive": "west"},
	}
	now := t0.Add(3 * day) // Thursday 09:00 UTC
	if _, err := s.Compute(ctx, ComputeOptions{Bots: noBots, People: people, NewcomerDays: 90, Now: now, WorkTime: work}); err != nil {
		t.Fatal(err)
	}
	// Olive's team works 9-17 in Los Angeles, where t0 is Monday 01:00:
	// the review at 04:00 came before work began, the merge on Wednesday
	// 01:00 after two days of 8 hours, the -1 on change 8 after one.
	// Change 9 is Reviewer's, on the default calendar.
	got := rowsAsText(t, s, `SELECT number, time_to_first_review_work_s, time_to_merge_work_s, cycle_time_work_s,
		waiting_on, waiting_since FROM change_metrics ORDER BY number`)
	want := []string{
		"7 | 0 | 57600 | 57600 |  | NULL",
		"8 | 28800 | NULL | NULL | author | 2024-03-05T09:00:00Z",
		"9 | NULL | NULL | NULL | reviewer | 2024-03-06T09:00:00Z",
	}
	if !slices.Equal(got, want) {
		t.Errorf("change_metrics:\n got %q\nwant %q", got, want)
	}
	got = rowsAsText(t, s, `SELECT project, number, url, patchset, waiting_on, waiting_since FROM review_queue ORDER BY waiting_since`)
	want = []string{
		"p/one | 8 | http://g/c/8 | 1 | author | 2024-03-05T09:00:00Z",
		"p/two | 9 | http://g/c/9 | 1 | reviewer | 2024-03-06T09:00:00Z",
	}
	if !slices.Equal(got, want) {
		t.Errorf("review_queue:\n got %q\nwant %q", got, want)
	}
	// The merged change waits on a reviewer from patch set 2 (14:00) on:
	// 10 hours at the end of March 4; change 8 waits on its reviewer until
	// the -1 on March 5.
	got = rowsAsText(t, s, `SELECT day, project, open_ready, waiting_on_reviewer, waiting_on_author,
		round(reviewer_wait_mean_days * 24, 6) FROM review_backlog_daily ORDER BY project, day`)
	want = []string{
		"2024-03-04T00:00:00Z | p/one | 2 | 2 | 0 | 12.5", // 10h and 15h
		"2024-03-05T00:00:00Z | p/one | 2 | 1 | 1 | 34",
		"2024-03-06T00:00:00Z | p/one | 1 | 0 | 1 | 0",
		"2024-03-07T00:00:00Z | p/one | 1 | 0 | 1 | 0",
		"2024-03-06T00:00:00Z | p/two | 1 | 1 | 0 | 15",
		"2024-03-07T00:00:00Z | p/two | 1 | 1 | 0 | 24",
	}
	if !slices.Equal(got, want) {
		t.Errorf("review_backlog_daily:\n got %q\nwant %q", got, want)
	}
	got = rowsAsText(t, s, `SELECT reviewer_id, reviewer, week, review_actions, changes_reviewed, first_reviews
		FROM reviewer_load ORDER BY reviewer_id, week`)
	want = []string{"1001 | Reviewer | 2024-03-04T00:00:00Z | 3 | 2 | 2"}
	if !slices.Equal(got, want) {
		t.Errorf("reviewer_load:\n got %q\nwant %q", got, want)
	}
	got = rowsAsText(t, s, `SELECT number, owner_person, owner_cohort, waiting_since, from_at, to_at FROM reviewer_waits ORDER BY number, from_at`)
	want = []string{
		"7 | Olive | new | 2024-03-04T09:00:00Z | 2024-03-04T09:00:00Z | 2024-03-04T12:00:00Z",
		"7 | Olive | new | 2024-03-04T14:00:00Z | 2024-03-04T14:00:00Z | 2024-03-06T09:00:00Z",
		"8 | Olive | new | 2024-03-04T09:00:00Z | 2024-03-04T09:00:00Z | 2024-03-05T09:00:00Z",
		"9 |  | new | 2024-03-06T09:00:00Z | 2024-03-06T09:00:00Z | NULL",
	}
	if !slices.Equal(got, want) {
		t.Errorf("reviewer_waits:\n got %q\nwant %q", got, want)
	}
	// The registry's figures read these views: at the end of March 5,
	// change 7 waits on a reviewer since 14:00 the day before (34 hours).
	endMar5, endMar6 := t0.Add(day+15*hour), t0.Add(2*day+15*hour)
	for _, tc := range []struct {
		name string
		to   time.Time // the end of the period, the instant of the backlog figures
		want []float64
	}{
		{"review_backlog_waiting_on_reviewer", endMar5, []float64{1}},
		{"reviewer_wait_mean_hours", endMar5, []float64{34 * 3600}},
		{"reviewer_wait_mean_hours", endMar6, []float64{15 * 3600}}, // change 9 since 09:00
		{"time_to_first_review_work_p50_hours", endMar5, []float64{0, 28800}},
		{"time_to_merge_work_mean_days", endMar6, []float64{57600}},
		{"cycle_time_work_max_days", endMar6, []float64{57600}},
	} {
		name, want := tc.name, tc.want
		f, err := krfigure.Parse(name)
		if err != nil {
			t.Fatal(err)
		}
		q, args := krfigure.Query{Measure: f.Measure, From: t0.AddDate(0, 0, -3), To: tc.to}.SQL()
		rows, err := s.conn.Query(ctx, q+" ORDER BY 1", args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, q)
		}
		var vals []float64
		for rows.Next() {
			var v float64
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			vals = append(vals, v)
		}
		rows.Close()
		if !slices.Equal(vals, want) {
			t.Errorf("%s: values %v, want %v", name, vals, want)
		}
	}
}
