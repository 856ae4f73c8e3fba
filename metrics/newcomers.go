package metrics

import (
	"cmp"
	"slices"
	"time"
)

// NewcomerInput is one change as the newcomer milestones see it.
type NewcomerInput struct {
	Source string
	// Person identifies the change owner within Source (an account id);
	// inputs with an empty Person are ignored.
	Person        string
	IsBot         bool // the owner is a bot (see Bots.IsBot)
	Created       time.Time
	ReadyAt       time.Time // the change's ready_at
	FirstReviewAt time.Time // the change's first_review_at
	MergedAt      time.Time // the change's merged_at
}

// Newcomer is one row of the newcomers view. A zero time and a nil duration
// are null.
type Newcomer struct {
	Source, Person                             string
	FirstChangeAt, FirstReviewAt, FirstMergeAt time.Time
	TimeToFirstReviewS, TimeToFirstMergeS      *int64
}

// Newcomers implements the SPEC rule "Newcomer milestones", per source and
// person, bots excluded:
//
//   - FirstChangeAt: the earliest Created among the person's changes (the
//     first change; on a tie the earliest in input order; a zero Created
//     counts as later than any other).
//   - FirstReviewAt: the first change's FirstReviewAt.
//   - TimeToFirstReviewS: the first change's time to first review,
//     FirstReviewAt − ReadyAt.
//   - FirstMergeAt: the earliest MergedAt among all the person's changes.
//   - TimeToFirstMergeS = FirstMergeAt − FirstChangeAt.
//
// Durations are whole seconds, truncated; null when an end is null or when
// negative. Rows are sorted by source and person.
func Newcomers(in []NewcomerInput) []Newcomer {
	type key struct{ source, person string }
	idx := map[key]int{}
	var out []Newcomer
	var firstReady []time.Time // per row: ReadyAt of the first change
	var seen []bool            // per row: whether a first change was chosen
	for _, c := range in {
		if c.IsBot || c.Person == "" {
			continue
		}
		k := key{c.Source, c.Person}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Newcomer{Source: c.Source, Person: c.Person})
			firstReady = append(firstReady, time.Time{})
			seen = append(seen, false)
		}
		n := &out[i]
		if !seen[i] || earlier(c.Created, n.FirstChangeAt) {
			seen[i] = true
			n.FirstChangeAt = c.Created
			n.FirstReviewAt = c.FirstReviewAt
			firstReady[i] = c.ReadyAt
		}
		if earlier(c.MergedAt, n.FirstMergeAt) {
			n.FirstMergeAt = c.MergedAt
		}
	}
	for i := range out {
		n := &out[i]
		n.TimeToFirstReviewS = seconds(firstReady[i], n.FirstReviewAt)
		n.TimeToFirstMergeS = seconds(n.FirstChangeAt, n.FirstMergeAt)
	}
	slices.SortFunc(out, func(a, b Newcomer) int {
		if c := cmp.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return cmp.Compare(a.Person, b.Person)
	})
	return out
}

// FirstChanges returns, per (source, person), the earliest non-zero Created:
// the owner's first change that Cohort needs. Bots are included, so that
// their changes get a cohort too; inputs with an empty Person or a zero
// Created are ignored.
func FirstChanges(in []NewcomerInput) map[[2]string]time.Time {
	out := map[[2]string]time.Time{}
	for _, c := range in {
		if c.Person == "" || c.Created.IsZero() {
			continue
		}
		k := [2]string{c.Source, c.Person}
		if t, ok := out[k]; !ok || c.Created.Before(t) {
			out[k] = c.Created
		}
	}
	return out
}

// earlier reports whether a is strictly earlier than b, a zero time (null)
// being later than any other.
func earlier(a, b time.Time) bool {
	switch {
	case a.IsZero():
		return false
	case b.IsZero():
		return true
	}
	return a.Before(b)
}
