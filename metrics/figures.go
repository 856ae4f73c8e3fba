package metrics

import (
	"time"

	"github.com/codepace/codepace/collectors"
)

// Owner cohorts.
const (
	CohortNew    = "new"
	CohortRamped = "ramped"
)

// Figures are the derived figures of one change: a row of the change_metrics
// view. A zero time and a nil duration are null.
type Figures struct {
	ReadyAt, FirstReviewAt, MergedAt, ClosedAt   time.Time
	TimeToFirstReviewS, TimeToMergeS, CycleTimeS *int64
	Patchsets, ReviewRounds                      int
	Cohort                                       string // CohortNew or CohortRamped
	// CycleStart is where cycle_time_s starts: min(c.Created, c.AuthorDate).
	CycleStart time.Time
}

// WorkDurations are a change's durations in working time: the _work_s
// columns of change_metrics (docs/definitions.md §19).
type WorkDurations struct {
	TimeToFirstReviewS, TimeToMergeS, CycleTimeS *int64
}

// WorkTime returns the working seconds between the same instants as
// TimeToFirstReviewS, TimeToMergeS and CycleTimeS, by the calendar (see
// Calendar.WorkSeconds); null where the plain duration is.
func (f Figures) WorkTime(cal *Calendar) WorkDurations {
	work := func(from, to time.Time, plain *int64) *int64 {
		if plain == nil {
			return nil
		}
		return cal.WorkSeconds(from, to)
	}
	return WorkDurations{
		TimeToFirstReviewS: work(f.ReadyAt, f.FirstReviewAt, f.TimeToFirstReviewS),
		TimeToMergeS:       work(f.ReadyAt, f.MergedAt, f.TimeToMergeS),
		CycleTimeS:         work(f.CycleStart, f.MergedAt, f.CycleTimeS),
	}
}

// ChangeFigures computes the figures of one change (docs/definitions.md
// §3–§11):
//
//   - ReadyAt: see ReadyAt.
//   - FirstReviewAt (first_review_at): the earliest review action (see
//     IsReviewAction) at or after ReadyAt; null when ReadyAt is null.
//   - TimeToFirstReviewS (time_to_first_review_s) = FirstReviewAt − ReadyAt.
//   - MergedAt (merged_at): c.Merged when c.Status is merged, else null.
//   - TimeToMergeS (time_to_merge_s) = MergedAt − ReadyAt.
//   - CycleTimeS (cycle_time_s) = MergedAt − min(c.Created, c.AuthorDate),
//     a zero AuthorDate being unknown.
//   - Patchsets (patchsets): the number of revisions; when the change has no
//     revision list, the highest patch set its messages refer to, else 1.
//   - ReviewRounds (review_rounds): the revisions created after
//     FirstReviewAt; 0 when there is no first review or no revision list.
//   - ClosedAt (closed_at): for a merged change c.Merged (or, when that is
//     zero, its last merged message, else c.Updated); for an abandoned change
//     the date of its last abandon/closed message, else c.Updated; null while
//     open.
//   - Cohort (owner_cohort): Cohort(c.Created, ownerFirstChange, newcomerDays).
//
// Durations are whole seconds, truncated, and null when either end is null.
// A negative duration (clock skew, hostile data) is null, not negative.
func ChangeFigures(c collectors.Change, bots Bots, ownerFirstChange time.Time, newcomerDays int) Figures {
	f := Figures{
		ReadyAt:  ReadyAt(c),
		ClosedAt: closedAt(c),
		Cohort:   Cohort(c.Created, ownerFirstChange, newcomerDays),
	}
	if !f.ReadyAt.IsZero() {
		for _, m := range c.Messages {
			if m.Date.Before(f.ReadyAt) || !IsReviewAction(c, m, bots) {
				continue
			}
			if f.FirstReviewAt.IsZero() || m.Date.Before(f.FirstReviewAt) {
				f.FirstReviewAt = m.Date
			}
		}
	}
	if c.Status == collectors.StatusMerged {
		f.MergedAt = c.Merged
	}
	f.TimeToFirstReviewS = seconds(f.ReadyAt, f.FirstReviewAt)
	f.TimeToMergeS = seconds(f.ReadyAt, f.MergedAt)
	start := c.Created
	if !c.AuthorDate.IsZero() && (start.IsZero() || c.AuthorDate.Before(start)) {
		start = c.AuthorDate
	}
	f.CycleTimeS = seconds(start, f.MergedAt)
	f.CycleStart = start

	f.Patchsets = len(c.Revisions)
	if f.Patchsets == 0 {
		for _, m := range c.Messages {
			f.Patchsets = max(f.Patchsets, m.Revision)
		}
		f.Patchsets = max(f.Patchsets, 1)
	}
	if !f.FirstReviewAt.IsZero() {
		for _, r := range c.Revisions {
			if r.Created.After(f.FirstReviewAt) {
				f.ReviewRounds++
			}
		}
	}
	return f
}

// Cohort implements docs/definitions.md §11 "owner_cohort": CohortNew when
// the change was created at most newcomerDays (of 24 hours) after the owner's
// first change in that source (created <= ownerFirst + newcomerDays×24h),
// else CohortRamped. A zero ownerFirst means no earlier change of the owner
// is known, so the change is the owner's first: CohortNew.
func Cohort(created, ownerFirst time.Time, newcomerDays int) string {
	if ownerFirst.IsZero() {
		return CohortNew
	}
	// In UTC a calendar day is 24 hours; AddDate does not overflow like a
	// time.Duration of many days would.
	if created.After(ownerFirst.UTC().AddDate(0, 0, newcomerDays)) {
		return CohortRamped
	}
	return CohortNew
}

// seconds returns to − from in whole seconds, truncated; nil when either is
// zero (null) or when the difference is negative.
func seconds(from, to time.Time) *int64 {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return nil
	}
	// Exact for any pair of times, unlike time.Sub, which saturates.
	s := to.Unix() - from.Unix()
	if to.Nanosecond() < from.Nanosecond() {
		s--
	}
	return &s
}
