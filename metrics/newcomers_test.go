package metrics

import (
	"fmt"
	"testing"
)

func TestNewcomers(t *testing.T) {
	in := []NewcomerInput{
		// alice in s1: her first change is the second input (created WIP on
		// day 3, ready on day 4); her first merge comes from a later change.
		{Source: "s1", Person: "alice", Created: day(5, 0), ReadyAt: day(5, 0), FirstReviewAt: day(6, 0), MergedAt: day(12, 0)},
		{Source: "s1", Person: "alice", Created: day(3, 0), ReadyAt: day(4, 0), FirstReviewAt: day(4, 6)},
		{Source: "s1", Person: "alice", Created: day(10, 0), ReadyAt: day(10, 0), MergedAt: day(11, 0)},
		// A bot is excluded, however early.
		{Source: "s1", Person: "ci-bot", IsBot: true, Created: day(1, 0), ReadyAt: day(1, 0), MergedAt: day(1, 1)},
		// bob: two changes created at the same instant; the first input wins.
		{Source: "s1", Person: "bob", Created: day(2, 0), ReadyAt: day(2, 0), FirstReviewAt: day(2, 1)},
		{Source: "s1", Person: "bob", Created: day(2, 0), ReadyAt: day(2, 0), FirstReviewAt: day(2, 0.5), MergedAt: day(3, 0)},
		// alice in s2 is another newcomer, never reviewed nor merged.
		{Source: "s2", Person: "alice", Created: day(7, 0), ReadyAt: day(7, 0)},
		// carol: created WIP and never ready, then reviewed: no time to
		// first review. Her merge is recorded before her first change
		// (clock skew): no time to first merge.
		{Source: "s1", Person: "carol", Created: day(8, 0), FirstReviewAt: day(9, 0), MergedAt: day(7, 0)},
		// An input without a person is ignored.
		{Source: "s1", Created: day(1, 0)},
	}
	want := []Newcomer{
		{Source: "s1", Person: "alice", FirstChangeAt: day(3, 0), FirstReviewAt: day(4, 6), FirstMergeAt: day(11, 0),
			TimeToFirstReviewS: ptr(6 * 3600), TimeToFirstMergeS: ptr(8 * 86400)},
		{Source: "s1", Person: "bob", FirstChangeAt: day(2, 0), FirstReviewAt: day(2, 1), FirstMergeAt: day(3, 0),
			TimeToFirstReviewS: ptr(3600), TimeToFirstMergeS: ptr(86400)},
		{Source: "s1", Person: "carol", FirstChangeAt: day(8, 0), FirstReviewAt: day(9, 0), FirstMergeAt: day(7, 0)},
		{Source: "s2", Person: "alice", FirstChangeAt: day(7, 0)},
	}
	got := newcomers(in)
	if len(got) != len(want) {
		t.Fatalf("Newcomers = %d rows %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Source != w.Source || g.Person != w.Person || !g.FirstChangeAt.Equal(w.FirstChangeAt) ||
			!g.FirstReviewAt.Equal(w.FirstReviewAt) || !g.FirstMergeAt.Equal(w.FirstMergeAt) ||
			!eqPtr(g.TimeToFirstReviewS, w.TimeToFirstReviewS) || !eqPtr(g.TimeToFirstMergeS, w.TimeToFirstMergeS) {
			t.Errorf("row %d = %s, want %s", i, fmtNewcomer(g), fmtNewcomer(w))
		}
	}
}

func TestNewcomersZeroCreated(t *testing.T) {
	// A change with an unknown creation time is never taken as the first
	// when another is known.
	in := []NewcomerInput{
		{Source: "s", Person: "p", FirstReviewAt: day(1, 0)},
		{Source: "s", Person: "p", Created: day(5, 0), ReadyAt: day(5, 0), FirstReviewAt: day(5, 2)},
	}
	got := newcomers(in)
	if len(got) != 1 || !got[0].FirstChangeAt.Equal(day(5, 0)) || !eqPtr(got[0].TimeToFirstReviewS, ptr(7200)) {
		t.Errorf("Newcomers = %+v", got)
	}
}

func fmtNewcomer(n Newcomer) string {
	return fmt.Sprintf("{%s %s change %v review %v merge %v ttfr %v ttfm %v}", n.Source, n.Person,
		n.FirstChangeAt, n.FirstReviewAt, n.FirstMergeAt, fmtPtr(n.TimeToFirstReviewS), fmtPtr(n.TimeToFirstMergeS))
}

// newcomers tallies the inputs in order.
func newcomers(in []NewcomerInput) []Newcomer {
	var t NewcomerTally
	for _, c := range in {
		t.Add(c)
	}
	return t.Rows()
}
