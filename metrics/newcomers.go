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

// NewcomerTally implements docs/definitions.md §12 "Newcomer milestones", per
// source and person, bots excluded, from changes given one at a time, so that
// its memory grows with the people, not with their changes:
//
//   - FirstChangeAt: the earliest Created among the person's changes (the
//     first change; on a tie the earliest added; a zero Created counts as
//     later than any other).
//   - FirstReviewAt: the first change's FirstReviewAt.
//   - TimeToFirstReviewS: the first change's time to first review,
//     FirstReviewAt − ReadyAt.
//   - FirstMergeAt: the earliest MergedAt among all the person's changes.
//   - TimeToFirstMergeS = FirstMergeAt − FirstChangeAt.
//
// Durations are whole seconds, truncated; null when an end is null or when
// negative. The zero value is ready to use.
type NewcomerTally struct {
	idx        map[[2]string]int // (source, person) -> row
	rows       []Newcomer
	firstReady []time.Time // per row: ReadyAt of the first change
	seen       []bool      // per row: whether a first change was chosen
}

// Add counts one change.
func (t *NewcomerTally) Add(c NewcomerInput) {
	if c.IsBot || c.Person == "" {
		return
	}
	if t.idx == nil {
		t.idx = map[[2]string]int{}
	}
	k := [2]string{c.Source, c.Person}
	i, ok := t.idx[k]
	if !ok {
		i = len(t.rows)
		t.idx[k] = i
		t.rows = append(t.rows, Newcomer{Source: c.Source, Person: c.Person})
		t.firstReady = append(t.firstReady, time.Time{})
		t.seen = append(t.seen, false)
	}
	n := &t.rows[i]
	if !t.seen[i] || earlier(c.Created, n.FirstChangeAt) {
		t.seen[i] = true
		n.FirstChangeAt = c.Created
		n.FirstReviewAt = c.FirstReviewAt
		t.firstReady[i] = c.ReadyAt
	}
	if earlier(c.MergedAt, n.FirstMergeAt) {
		n.FirstMergeAt = c.MergedAt
	}
}

// Rows returns the rows of the changes added so far, sorted by source and
// person.
func (t *NewcomerTally) Rows() []Newcomer {
	out := make([]Newcomer, len(t.rows))
	for i, n := range t.rows {
		n.TimeToFirstReviewS = seconds(t.firstReady[i], n.FirstReviewAt)
		n.TimeToFirstMergeS = seconds(n.FirstChangeAt, n.FirstMergeAt)
		out[i] = n
	}
	slices.SortFunc(out, func(a, b Newcomer) int {
		if c := cmp.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return cmp.Compare(a.Person, b.Person)
	})
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
