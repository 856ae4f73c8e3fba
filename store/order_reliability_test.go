package store

// Reliability tests of issue 9 for storage and compute: idempotence and
// order (overlapping writes, a stale collection written after a newer one,
// messages and revisions out of order, compute run twice), hostile build
// values, and timestamps ClickHouse cannot hold.

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/keyresults/figure"
	"github.com/codepace/codepace/metrics"
)

// knownBug fails t: the assertion guards a bug the reliability tests
// found and that is fixed (docs/reliability.md lists them by id).
func knownBug(t *testing.T, id, format string, args ...any) {
	t.Helper()
	t.Fatalf("%s (a fixed bug is back): %s", id, fmt.Sprintf(format, args...))
}

var reliabilityCompute = ComputeOptions{Bots: noBots, NewcomerDays: 90, Now: t0.Add(10 * day),
	Spike: metrics.SpikeConfig{Ratio: 1.5, FloorS: 120, WindowDays: 14, MinBuilds: 5}}

// rowsAsText returns every row a query gives, each as text.
func rowsAsText(t *testing.T, s *Store, query string) []string {
	t.Helper()
	rows, err := s.conn.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	cols := rows.ColumnTypes()
	for rows.Next() {
		vals := make([]any, len(cols))
		for i, c := range cols {
			vals[i] = reflect.New(c.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			rv := reflect.ValueOf(v).Elem()
			for rv.Kind() == reflect.Pointer {
				if rv.IsNil() {
					break
				}
				rv = rv.Elem()
			}
			if rv.Kind() == reflect.Pointer {
				parts[i] = "NULL"
			} else if tm, ok := rv.Interface().(time.Time); ok {
				parts[i] = tm.UTC().Format(time.RFC3339)
			} else {
				parts[i] = fmt.Sprint(rv.Interface())
			}
		}
		out = append(out, strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// viewsOfSource are the view queries, for one source, without the source and
// url columns.
func viewsOfSource(source string) []string {
	w := " WHERE source = '" + source + "'" // a constant of the test
	return []string{
		`SELECT project, branch, number, subject, owner, owner_id, owner_is_bot, status, is_wip, created_at, updated_at,
			ready_at, first_review_at, merged_at, closed_at, time_to_first_review_s, time_to_merge_s, cycle_time_s,
			patchsets, review_rounds, insertions, deletions, owner_cohort, time_to_first_review_work_s,
			time_to_merge_work_s, cycle_time_work_s, waiting_on, waiting_since FROM change_metrics` + w + ` ORDER BY project, number`,
		`SELECT project, number, message_id, at, actor, actor_id, kind, value, is_first_review FROM review_actions` + w + ` ORDER BY project, number, message_id`,
		`SELECT person, person_id, first_change_at, first_review_at, first_merge_at, time_to_first_review_s,
			time_to_first_merge_s FROM newcomers` + w + ` ORDER BY person_id`,
		`SELECT day, project, open_ready, mean_age_days, median_age_days, older_than_7d, waiting_on_reviewer,
			waiting_on_author, reviewer_wait_mean_days FROM review_backlog_daily` + w + ` ORDER BY project, day`,
	}
}

// sameFigures compares the views of two sources holding the same changes.
func sameFigures(t *testing.T, s *Store, a, b, what string) {
	t.Helper()
	qa, qb := viewsOfSource(a), viewsOfSource(b)
	for i := range qa {
		ra, rb := rowsAsText(t, s, qa[i]), rowsAsText(t, s, qb[i])
		if len(ra) == 0 && i < 2 {
			t.Fatalf("%s: no rows for %s", what, qa[i])
		}
		if !slices.Equal(ra, rb) {
			t.Errorf("%s:\n%s gives\n  %s\n%s gives\n  %s", what, a, strings.Join(ra, "\n  "), b, strings.Join(rb, "\n  "))
		}
	}
}

// variedChanges returns a few changes of source: sample() and variants of it.
func variedChanges(source string) []collectors.Change {
	var out []collectors.Change
	for i := 0; i < 4; i++ {
		c := sample()
		c.Source = source
		c.Number = int64(10 + i)
		c.Created = c.Created.Add(time.Duration(i) * day)
		c.Updated = c.Updated.Add(time.Duration(i) * day)
		c.Merged = c.Merged.Add(time.Duration(i) * day)
		for j := range c.Messages {
			c.Messages[j].Date = c.Messages[j].Date.Add(time.Duration(i) * day)
		}
		for j := range c.Revisions {
			c.Revisions[j].Created = c.Revisions[j].Created.Add(time.Duration(i) * day)
		}
		c.Votes = slices.Clone(c.Votes)
		if i%2 == 1 { // still open, with another reviewer
			c.Status, c.Merged = collectors.StatusOpen, time.Time{}
			c.Messages = c.Messages[:5]
			c.Messages[2].Author = collectors.Account{ID: "2001", Name: "Second Reviewer"}
		}
		out = append(out, c)
	}
	return out
}

// TestMessagesOutOfOrder: a source that lists a change's messages,
// revisions and votes in another order (newest first, shuffled) gives the
// same figures: compute orders messages by date, revisions by number.
func TestMessagesOutOfOrder(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.Write(ctx, collectors.Batch{Changes: variedChanges("ordered")}); err != nil {
		t.Fatal(err)
	}
	shuffled := variedChanges("shuffled")
	for i := range shuffled {
		c := &shuffled[i]
		slices.Reverse(c.Messages)
		slices.Reverse(c.Revisions)
		slices.Reverse(c.Votes)
		if len(c.Messages) > 3 {
			c.Messages[0], c.Messages[2] = c.Messages[2], c.Messages[0]
		}
	}
	if err := s.Write(ctx, collectors.Batch{Changes: shuffled}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compute(ctx, reliabilityCompute); err != nil {
		t.Fatal(err)
	}
	sameFigures(t, s, "ordered", "shuffled", "messages out of order")
}

// TestOverlappingWindows: collecting one window twice with overlap writes
// some changes twice, and a change may come on two pages of one window:
// the figures are those of writing each once.
func TestOverlappingWindows(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	once := variedChanges("once")
	if err := s.Write(ctx, collectors.Batch{Changes: once}); err != nil {
		t.Fatal(err)
	}
	twice := variedChanges("twice")
	for _, batch := range [][]collectors.Change{twice[:3], twice[1:], twice[2:3], twice[2:3]} { // windows overlap; #12 comes four times
		if err := s.Write(ctx, collectors.Batch{Changes: batch}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ { // compute twice: nothing changes either
		if _, err := s.Compute(ctx, reliabilityCompute); err != nil {
			t.Fatal(err)
		}
		sameFigures(t, s, "once", "twice", fmt.Sprintf("overlapping writes, compute %d", i+1))
	}
	for _, table := range []string{"raw_changes", "raw_messages", "raw_revisions", "raw_votes"} {
		got := rowsAsText(t, s, "SELECT source, count() FROM "+table+" FINAL GROUP BY source ORDER BY source")
		if len(got) != 2 || strings.Split(got[0], " | ")[1] != strings.Split(got[1], " | ")[1] {
			t.Errorf("%s: %v, want the same count for both sources", table, got)
		}
	}
}

// TestStaleCollectionNeverWins: an older state of a change written after
// a newer one (a slow window that read it before it was updated, a
// re-collection with --since) does not bring the old state back, and
// messages of the newer state are all kept.
func TestStaleCollectionNeverWins(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	fresh := variedChanges("fresh")
	// The newest state of #11: merged, with the last messages.
	newest := variedChanges("fresh")[1]
	newest.Status, newest.Merged, newest.Updated = collectors.StatusMerged, t0.Add(5*day), t0.Add(5*day)
	newest.Messages = append(slices.Clone(sample().Messages[:5]), collectors.Message{ID: "m9", Author: rev, Date: t0.Add(5 * day),
		Tag: "autogenerated:gerrit:merged", Text: "Change has been successfully merged", Revision: 2})
	for j := range newest.Messages[:5] {
		newest.Messages[j].Date = newest.Messages[j].Date.Add(day)
	}
	fresh[1] = newest
	if err := s.Write(ctx, collectors.Batch{Changes: fresh}); err != nil {
		t.Fatal(err)
	}
	stale := variedChanges("stale")
	// The same, newest first; then the old state arrives late.
	stale[1] = newest
	stale[1].Source = "stale"
	if err := s.Write(ctx, collectors.Batch{Changes: stale}); err != nil {
		t.Fatal(err)
	}
	old := variedChanges("stale")[1]
	old.Messages[3].Text = "an old text that was since edited"
	if err := s.Write(ctx, collectors.Batch{Changes: []collectors.Change{old}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compute(ctx, reliabilityCompute); err != nil {
		t.Fatal(err)
	}
	sameFigures(t, s, "fresh", "stale", "a stale state written after the newest")
	got := rowsAsText(t, s, "SELECT status, merged_at FROM change_metrics WHERE source = 'stale' AND number = 11")
	if len(got) != 1 || !strings.HasPrefix(got[0], "merged | ") {
		t.Errorf("change 11 after the stale write: %v, want merged", got)
	}
}

// TestHostileBuildValues: job, pipeline, project and result names made to
// break SQL pasted by hand come back exactly, and a build figure filtered
// by the hostile project finds them.
func TestHostileBuildValues(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	project := `it's "quoted"'); DROP TABLE raw_builds; --`
	var builds []collectors.Build
	for i := 0; i < 3; i++ {
		builds = append(builds, collectors.Build{Source: "ci", System: collectors.SystemJenkins,
			Pipeline: "f\x00lder/ü\t😀", Job: `j"ob'); DELETE FROM builds_data WHERE ('1'='1`,
			BuildID: fmt.Sprintf("https://ci/job/x/%d/?q='%%27", i), URL: "https://ci/\x1b[31m", Project: project,
			Result: "WEIRD_NEW_RESULT\r\n", Voting: true, Started: t0.Add(time.Duration(i) * hour),
			Finished: t0.Add(time.Duration(i)*hour + 90*time.Second), DurationS: 90})
	}
	if err := s.Write(ctx, collectors.Batch{Builds: builds}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compute(ctx, reliabilityCompute); err != nil {
		t.Fatal(err)
	}
	got := rowsAsText(t, s, "SELECT pipeline, job, build_id, url, project, result, duration_s FROM builds ORDER BY build_id")
	if len(got) != 3 {
		t.Fatalf("%d builds, want 3", len(got))
	}
	for i, row := range got {
		b := builds[i]
		want := strings.Join([]string{b.Pipeline, b.Job, b.BuildID, b.URL, b.Project, b.Result, "90"}, " | ")
		if row != want {
			t.Errorf("build %d came back as\n  %q\nwant\n  %q", i, row, want)
		}
	}
	v, ok, err := figureValue(s, "build_duration_mean_minutes", figure.Filter{Project: project}, t0.Add(-day), t0.Add(day))
	if err != nil || !ok || v != 1.5 {
		t.Errorf("figure filtered by the hostile project: %v %v %v", v, ok, err)
	}
}

// TestTimestampsOutOfRange: ClickHouse's DateTime holds 1970-01-01 to
// 2106-02-07. A source that reports a time outside (a year typed 2200, a
// clock set to 1960, a missing time read as year 1) must get a clear error
// or its item left out, never a different time stored in its place: a
// wrapped date is a wrong figure nobody can see.
func TestTimestampsOutOfRange(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, bad := range []time.Time{
		time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2106, 2, 7, 6, 28, 16, 0, time.UTC), // one second past the last DateTime
		time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
		{}, // year 1: a time the source did not send
	} {
		t.Run(bad.Format("2006-01-02T15:04:05"), func(t *testing.T) {
			c := sample()
			c.Number = int64(bad.Year()) + 100000
			c.Messages[2].Date = bad // the first review
			werr := s.Write(ctx, collectors.Batch{Changes: []collectors.Change{c}})
			b := collectors.Build{Source: "g", System: collectors.SystemJenkins, Job: "j", BuildID: "b" + bad.String(),
				Started: bad, Finished: bad, Result: "SUCCESS"}
			berr := s.Write(ctx, collectors.Batch{Builds: []collectors.Build{b}})
			var msg string
			if err := s.conn.QueryRow(ctx, "SELECT toString(at) FROM raw_messages FINAL WHERE number = ? AND message_id = 'm3'", c.Number).Scan(&msg); err != nil && werr == nil {
				t.Fatalf("message not stored and no error: %v", err)
			}
			var started string
			_ = s.conn.QueryRow(ctx, "SELECT toString(started_at) FROM raw_builds FINAL WHERE build_id = ?", b.BuildID).Scan(&started)
			var wrong []string
			if werr == nil && msg != "" && msg != bad.Format("2006-01-02 15:04:05") {
				wrong = append(wrong, fmt.Sprintf("a message dated %s was stored as %s", bad.Format(time.RFC3339), msg))
			}
			if berr == nil && started != "" && started != bad.Format("2006-01-02 15:04:05") {
				wrong = append(wrong, fmt.Sprintf("a build started %s was stored as started %s", bad.Format(time.RFC3339), started))
			}
			if len(wrong) > 0 {
				knownBug(t, "B1", "%s, without an error", strings.Join(wrong, "; "))
			}
			for _, err := range []error{werr, berr} {
				if err != nil && !strings.Contains(err.Error(), bad.Format("2006")) && !strings.Contains(err.Error(), "range") {
					t.Errorf("the error does not say what is wrong: %v", err)
				}
			}
		})
	}
}

// TestPre1970UpdateDoesNotWinForever: a state of a change whose updated
// time is before 1970 (a broken clock, a hostile source) must not outrank
// the later, correct states of the change: the version that orders states
// is the update time, and must not wrap around.
func TestPre1970UpdateDoesNotWinForever(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	broken := sample()
	broken.Status, broken.Merged = collectors.StatusOpen, time.Time{}
	broken.Updated = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Write(ctx, collectors.Batch{Changes: []collectors.Change{broken}}); err != nil {
		return // refused: fine
	}
	if err := s.Write(ctx, collectors.Batch{Changes: []collectors.Change{sample()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compute(ctx, reliabilityCompute); err != nil {
		t.Fatal(err)
	}
	got := rowsAsText(t, s, "SELECT status FROM change_metrics")
	if len(got) != 1 || got[0] != "merged" {
		knownBug(t, "B1", "after a state updated in 1960 and the real state (merged, updated 2024), change_metrics shows %v: "+
			"version() = uint64(Updated.UnixNano()) wraps a negative time to a huge version that wins forever", got)
	}
}
