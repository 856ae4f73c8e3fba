package github

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	gt "github.com/codepace/codepace/collectors/github/githubtest"
	"github.com/codepace/codepace/metrics"
)

// TestMetricsOnGitHubData runs the definitions of docs/definitions.md
// (package metrics) on what the collector stored from the scenario: ready_at
// from draft and ready_for_review, review actions that leave out bots, the
// author and deleted accounts, merged_at, abandoned, review rounds.
func TestMetricsOnGitHubData(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	c, _ := newCollector(t, srv, nil)
	sink := newSink()
	if _, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink); err != nil {
		t.Fatal(err)
	}
	bots, err := metrics.NewBots([]string{"ci-*"})
	if err != nil {
		t.Fatal(err)
	}
	d := func(days int, h float64) time.Time { return t0.AddDate(0, 0, days).Add(hours(h)) }
	sec := func(h float64) *int64 { s := int64(h * 3600); return &s }
	var zero time.Time

	tests := []struct {
		n                               int64
		why                             string
		ready, firstReview, merged, end time.Time
		ttfr, ttm, cycle                *int64
		patchsets, rounds               int
		actors                          []string // review actions, in order
	}{
		{1, "opened as draft, ready at 3h; the review comment published at 5h; commit at 6h is a round",
			d(0, 3), d(0, 5), d(0, 8), d(0, 8), sec(2), sec(5), sec(10), 2, 1, []string{"bob", "bob"}},
		{2, "reviewed only by bots: a GitHub App and a machine user matched by glob",
			d(1, 0), zero, zero, zero, nil, nil, nil, 1, 0, nil},
		{3, "the only comment is the author's; the PENDING review and its comment do not count",
			d(2, 0), zero, zero, zero, nil, nil, nil, 1, 0, nil},
		{4, "merged without review; cycle time from the commit's author date",
			d(3, 0), zero, d(3, 1), d(3, 1), nil, sec(1), sec(5), 1, 0, nil},
		{5, "abandoned: closed without merge, closed_at from the closed event",
			d(4, 0), d(4, 1), zero, d(5, 0), sec(1), nil, nil, 1, 0, []string{"bob", "bob"}},
		{6, "deleted owner; the ghost's comment and the user-less review do not count",
			d(6, 0), d(6, 1), zero, zero, sec(1), nil, nil, 1, 0, []string{"bob"}},
		{7, "still a draft: no ready_at, so no first review",
			zero, zero, zero, zero, nil, nil, nil, 1, 0, []string{"carol"}},
		{8, "opened ready, so ready at creation; changes requested during the draft spell count",
			d(8, 0), d(8, 2), zero, zero, sec(2), nil, nil, 1, 0, []string{"bob", "alice"}},
		{9, "closed and reopened, open now",
			d(9, 0), zero, zero, zero, nil, nil, nil, 1, 0, nil},
	}
	for _, tt := range tests {
		ch := sink.change(t, tt.n)
		f := metrics.ChangeFigures(ch, bots, time.Time{}, 90)
		if got := metrics.ReadyAt(ch); !got.Equal(f.ReadyAt) {
			t.Errorf("#%d: ReadyAt %v but ChangeFigures says %v", tt.n, got, f.ReadyAt)
		}
		if !f.ReadyAt.Equal(tt.ready) || !f.FirstReviewAt.Equal(tt.firstReview) || !f.MergedAt.Equal(tt.merged) || !f.ClosedAt.Equal(tt.end) {
			t.Errorf("#%d (%s):\nready %v first review %v merged %v closed %v\nwant  %v              %v        %v        %v",
				tt.n, tt.why, f.ReadyAt, f.FirstReviewAt, f.MergedAt, f.ClosedAt, tt.ready, tt.firstReview, tt.merged, tt.end)
		}
		for _, p := range []struct {
			name      string
			got, want *int64
		}{{"time_to_first_review_s", f.TimeToFirstReviewS, tt.ttfr}, {"time_to_merge_s", f.TimeToMergeS, tt.ttm}, {"cycle_time_s", f.CycleTimeS, tt.cycle}} {
			if (p.got == nil) != (p.want == nil) || (p.got != nil && *p.got != *p.want) {
				t.Errorf("#%d (%s): %s %v, want %v", tt.n, tt.why, p.name, show(p.got), show(p.want))
			}
		}
		if f.Patchsets != tt.patchsets || f.ReviewRounds != tt.rounds {
			t.Errorf("#%d (%s): patchsets %d rounds %d, want %d %d", tt.n, tt.why, f.Patchsets, f.ReviewRounds, tt.patchsets, tt.rounds)
		}
		var actors []string
		for _, a := range metrics.ReviewActions(ch, bots) {
			actors = append(actors, a.Actor.Username)
			if a.Source != "gh" || a.Project != "acme/widgets" || a.Number != tt.n {
				t.Errorf("#%d: review action identity %+v", tt.n, a)
			}
			switch a.MessageID {
			case "review/112", "review/811", "review/612":
				// Approvals and change requests: a vote once metrics reads
				// the "Review STATE" prefix, a comment until then.
				if a.Kind == metrics.KindVote && a.Value != "APPROVED" && a.Value != "CHANGES_REQUESTED" {
					t.Errorf("#%d: %s value %q", tt.n, a.MessageID, a.Value)
				}
			case "review/711":
				if a.Kind != metrics.KindComment {
					t.Errorf("#%d: a COMMENTED review is kind %s", tt.n, a.Kind)
				}
			}
		}
		if !slices.Equal(actors, tt.actors) {
			t.Errorf("#%d (%s): review actions by %v, want %v", tt.n, tt.why, actors, tt.actors)
		}
	}

	// The backlog sees the draft spells and the closed spell.
	for _, tt := range []struct {
		n    int64
		want []metrics.Interval
	}{
		{1, []metrics.Interval{{From: d(0, 3), To: d(0, 8)}}},
		{7, nil},
		{8, []metrics.Interval{{From: d(8, 0), To: d(8, 1)}, {From: d(8, 3)}}},
		{9, []metrics.Interval{{From: d(9, 0), To: d(9, 1)}, {From: d(9, 2)}}},
		{5, []metrics.Interval{{From: d(4, 0), To: d(5, 0)}}},
	} {
		if got := metrics.ReadyIntervals(sink.change(t, tt.n)); !slices.Equal(got, tt.want) {
			t.Errorf("#%d ready intervals %v, want %v", tt.n, got, tt.want)
		}
	}
}

func show(p *int64) any {
	if p == nil {
		return "null"
	}
	return *p
}
