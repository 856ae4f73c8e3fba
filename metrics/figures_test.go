package metrics

import (
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
)

func TestChangeFigures(t *testing.T) {
	revs := func(hours ...float64) []collectors.Revision {
		var rs []collectors.Revision
		for i, hr := range hours {
			rs = append(rs, collectors.Revision{Number: i + 1, Created: h(hr), Uploader: owner})
		}
		return rs
	}
	// base is a merged change: ready at creation, reviewed after 5 hours,
	// two patch sets uploaded after that review, merged after 48 hours.
	base := func() collectors.Change {
		return collectors.Change{
			Source: "s", Project: "p", Number: 1, Owner: owner,
			Status: collectors.StatusMerged, Created: h(0), Updated: h(50), Merged: h(48),
			Revisions: revs(0, 10, 30),
			Messages: []collectors.Message{
				msg(h(0), owner, tagUpload, "Uploaded patch set 1."),
				msg(h(2), ciBot, "", "Patch Set 1: Verified+1"),
				msg(h(3), alice, tagUpload, "Uploaded patch set 1 (rebase by a human)."),
				msg(h(5), alice, "", "Patch Set 1: Code-Review-1"),
				msg(h(10), owner, tagUpload, "Uploaded patch set 2."),
				msg(h(20), bob, "", "Patch Set 2: Code-Review+2"),
				msg(h(48), service, tagMerged, "Change has been successfully merged"),
			},
		}
	}
	hours := func(n float64) *int64 { return ptr(int64(n * 3600)) }
	tests := []struct {
		name   string
		change func() collectors.Change
		want   Figures
	}{
		{"merged", base, Figures{
			ReadyAt: h(0), FirstReviewAt: h(5), MergedAt: h(48), ClosedAt: h(48),
			TimeToFirstReviewS: hours(5), TimeToMergeS: hours(48), CycleTimeS: hours(48),
			Patchsets: 3, ReviewRounds: 2, Cohort: CohortNew,
		}},
		{"first review before ready_at ignored", func() collectors.Change {
			c := base()
			c.Messages = []collectors.Message{
				msg(h(0), owner, tagWIPUpload, "Uploaded patch set 1."),
				msg(h(1), alice, "", "Patch Set 1:\n\n(1 comment)"),
				msg(h(3), owner, tagReady, "Set Ready For Review"),
				msg(h(12), bob, "", "Patch Set 2: Code-Review+1"),
				msg(h(6), alice, "", "Patch Set 1: Code-Review+1"),
			}
			return c
		}, Figures{
			ReadyAt: h(3), FirstReviewAt: h(6), MergedAt: h(48), ClosedAt: h(48),
			TimeToFirstReviewS: hours(3), TimeToMergeS: hours(45), CycleTimeS: hours(48),
			Patchsets: 3, ReviewRounds: 2, Cohort: CohortNew,
		}},
		{"created WIP, never ready", func() collectors.Change {
			c := base()
			c.Messages = []collectors.Message{
				msg(h(0), owner, tagWIPUpload, "Uploaded patch set 1."),
				msg(h(5), alice, "", "Patch Set 1: Code-Review+2"),
			}
			return c
		}, Figures{
			MergedAt: h(48), ClosedAt: h(48), CycleTimeS: hours(48),
			Patchsets: 3, Cohort: CohortNew,
		}},
		{"no review", func() collectors.Change {
			c := base()
			c.Messages = c.Messages[:1]
			return c
		}, Figures{
			ReadyAt: h(0), MergedAt: h(48), ClosedAt: h(48),
			TimeToMergeS: hours(48), CycleTimeS: hours(48), Patchsets: 3, Cohort: CohortNew,
		}},
		{"author date earlier than created", func() collectors.Change {
			c := base()
			c.AuthorDate = h(-24)
			return c
		}, Figures{
			ReadyAt: h(0), FirstReviewAt: h(5), MergedAt: h(48), ClosedAt: h(48),
			TimeToFirstReviewS: hours(5), TimeToMergeS: hours(48), CycleTimeS: hours(72),
			Patchsets: 3, ReviewRounds: 2, Cohort: CohortNew,
		}},
		{"author date later than created", func() collectors.Change {
			c := base()
			c.AuthorDate = h(9)
			return c
		}, Figures{
			ReadyAt: h(0), FirstReviewAt: h(5), MergedAt: h(48), ClosedAt: h(48),
			TimeToFirstReviewS: hours(5), TimeToMergeS: hours(48), CycleTimeS: hours(48),
			Patchsets: 3, ReviewRounds: 2, Cohort: CohortNew,
		}},
		{"abandoned: no merged_at even with a merge time", func() collectors.Change {
			c := base()
			c.Status = collectors.StatusAbandoned
			c.Messages = append(c.Messages[:6],
				msg(h(30), owner, tagAbandon, "Abandoned"),
				msg(h(31), owner, tagRestore, "Restored"),
				msg(h(40), owner, tagAbandon, "Abandoned"),
				msg(h(45), alice, "", "too bad"))
			return c
		}, Figures{
			ReadyAt: h(0), FirstReviewAt: h(5), ClosedAt: h(40),
			TimeToFirstReviewS: hours(5), Patchsets: 3, ReviewRounds: 2, Cohort: CohortNew,
		}},
		{"abandoned without an abandon message", func() collectors.Change {
			c := base()
			c.Status = collectors.StatusAbandoned
			c.Merged = time.Time{}
			c.Messages = c.Messages[:6]
			return c
		}, Figures{
			ReadyAt: h(0), FirstReviewAt: h(5), ClosedAt: h(50),
			TimeToFirstReviewS: hours(5), Patchsets: 3, ReviewRounds: 2, Cohort: CohortNew,
		}},
		{"open", func() collectors.Change {
			c := base()
			c.Status = collectors.StatusOpen
			c.Merged = time.Time{}
			c.Messages = c.Messages[:6]
			return c
		}, Figures{
			ReadyAt: h(0), FirstReviewAt: h(5),
			TimeToFirstReviewS: hours(5), Patchsets: 3, ReviewRounds: 2, Cohort: CohortNew,
		}},
		{"negative durations are null", func() collectors.Change {
			c := base()
			c.Merged = h(-1) // clock skew: merged before creation
			return c
		}, Figures{
			ReadyAt: h(0), FirstReviewAt: h(5), MergedAt: h(-1), ClosedAt: h(-1),
			TimeToFirstReviewS: hours(5), Patchsets: 3, ReviewRounds: 2, Cohort: CohortNew,
		}},
		{"durations truncate to whole seconds", func() collectors.Change {
			c := base()
			c.Merged = h(0).Add(90*time.Second + 999*time.Millisecond)
			return c
		}, Figures{
			ReadyAt: h(0), FirstReviewAt: h(5), MergedAt: h(0).Add(90*time.Second + 999*time.Millisecond),
			ClosedAt:           h(0).Add(90*time.Second + 999*time.Millisecond),
			TimeToFirstReviewS: hours(5), TimeToMergeS: ptr(90), CycleTimeS: ptr(90),
			Patchsets: 3, ReviewRounds: 2, Cohort: CohortNew,
		}},
		{"no revision list: highest patch set of the messages", func() collectors.Change {
			c := base()
			c.Revisions = nil
			c.Messages[4].Revision = 4
			c.Messages[5].Revision = 2
			return c
		}, Figures{
			ReadyAt: h(0), FirstReviewAt: h(5), MergedAt: h(48), ClosedAt: h(48),
			TimeToFirstReviewS: hours(5), TimeToMergeS: hours(48), CycleTimeS: hours(48),
			Patchsets: 4, ReviewRounds: 0, Cohort: CohortNew,
		}},
		{"no revision list, no patch set numbers", func() collectors.Change {
			c := base()
			c.Revisions = nil
			return c
		}, Figures{
			ReadyAt: h(0), FirstReviewAt: h(5), MergedAt: h(48), ClosedAt: h(48),
			TimeToFirstReviewS: hours(5), TimeToMergeS: hours(48), CycleTimeS: hours(48),
			Patchsets: 1, ReviewRounds: 0, Cohort: CohortNew,
		}},
		{"review round boundary: revision at first review is not after it", func() collectors.Change {
			c := base()
			c.Revisions = revs(0, 5, 5.001)
			return c
		}, Figures{
			ReadyAt: h(0), FirstReviewAt: h(5), MergedAt: h(48), ClosedAt: h(48),
			TimeToFirstReviewS: hours(5), TimeToMergeS: hours(48), CycleTimeS: hours(48),
			Patchsets: 3, ReviewRounds: 1, Cohort: CohortNew,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChangeFigures(tt.change(), testBots, h(0), 90)
			w := tt.want
			if !got.ReadyAt.Equal(w.ReadyAt) || !got.FirstReviewAt.Equal(w.FirstReviewAt) ||
				!got.MergedAt.Equal(w.MergedAt) || !got.ClosedAt.Equal(w.ClosedAt) {
				t.Errorf("times: ready %v first review %v merged %v closed %v; want %v %v %v %v",
					got.ReadyAt, got.FirstReviewAt, got.MergedAt, got.ClosedAt,
					w.ReadyAt, w.FirstReviewAt, w.MergedAt, w.ClosedAt)
			}
			if !eqPtr(got.TimeToFirstReviewS, w.TimeToFirstReviewS) || !eqPtr(got.TimeToMergeS, w.TimeToMergeS) ||
				!eqPtr(got.CycleTimeS, w.CycleTimeS) {
				t.Errorf("durations: %v %v %v; want %v %v %v",
					fmtPtr(got.TimeToFirstReviewS), fmtPtr(got.TimeToMergeS), fmtPtr(got.CycleTimeS),
					fmtPtr(w.TimeToFirstReviewS), fmtPtr(w.TimeToMergeS), fmtPtr(w.CycleTimeS))
			}
			if got.Patchsets != w.Patchsets || got.ReviewRounds != w.ReviewRounds || got.Cohort != w.Cohort {
				t.Errorf("patchsets %d rounds %d cohort %q; want %d %d %q",
					got.Patchsets, got.ReviewRounds, got.Cohort, w.Patchsets, w.ReviewRounds, w.Cohort)
			}
		})
	}
}

func TestChangeFiguresCohort(t *testing.T) {
	c := collectors.Change{Created: h(24 * 100), Status: collectors.StatusOpen}
	if got := ChangeFigures(c, Bots{}, h(0), 90).Cohort; got != CohortRamped {
		t.Errorf("cohort = %q, want ramped", got)
	}
	if got := ChangeFigures(c, Bots{}, h(0), 100).Cohort; got != CohortNew {
		t.Errorf("cohort = %q, want new", got)
	}
}

func TestCohort(t *testing.T) {
	first := time.Date(2024, 3, 30, 10, 0, 0, 0, time.UTC) // DST elsewhere must not matter
	tests := []struct {
		name         string
		created      time.Time
		ownerFirst   time.Time
		newcomerDays int
		want         string
	}{
		{"first change", first, first, 90, CohortNew},
		{"exactly newcomer_days later", first.Add(90 * 24 * time.Hour), first, 90, CohortNew},
		{"a second later", first.Add(90*24*time.Hour + time.Second), first, 90, CohortRamped},
		{"a nanosecond later", first.Add(90*24*time.Hour + 1), first, 90, CohortRamped},
		{"owner first given in another zone", first.Add(90 * 24 * time.Hour),
			first.In(time.FixedZone("CET", 3600)), 90, CohortNew},
		{"zero newcomer days, same instant", first, first, 0, CohortNew},
		{"zero newcomer days, later", first.Add(time.Second), first, 0, CohortRamped},
		{"created before the first change", first.Add(-time.Hour), first, 90, CohortNew},
		{"unknown first change", first.AddDate(5, 0, 0), time.Time{}, 90, CohortNew},
		{"huge newcomer days", first.AddDate(200, 0, 0), first, 1 << 30, CohortNew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Cohort(tt.created, tt.ownerFirst, tt.newcomerDays); got != tt.want {
				t.Errorf("Cohort = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSeconds(t *testing.T) {
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	near := time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)
	tests := []struct {
		name     string
		from, to time.Time
		want     *int64
	}{
		{"whole", h(0), h(1), ptr(3600)},
		{"truncated", h(0), h(0).Add(1999 * time.Millisecond), ptr(1)},
		{"truncated across a second boundary", h(0).Add(900 * time.Millisecond), h(0).Add(2100 * time.Millisecond), ptr(1)},
		{"zero", h(1), h(1), ptr(0)},
		{"negative", h(1), h(0), nil},
		{"negative below a second", h(0).Add(time.Millisecond), h(0), nil},
		{"null from", time.Time{}, h(0), nil},
		{"null to", h(0), time.Time{}, nil},
		{"beyond time.Duration", near, far, ptr(far.Unix() - near.Unix())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := seconds(tt.from, tt.to); !eqPtr(got, tt.want) {
				t.Errorf("seconds = %v, want %v", fmtPtr(got), fmtPtr(tt.want))
			}
		})
	}
}
