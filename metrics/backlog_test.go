package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"
)

func TestBacklog(t *testing.T) {
	open := func(from time.Time) Interval { return Interval{From: from} }
	span := func(from, to time.Time) Interval { return Interval{From: from, To: to} }
	now := day(12, 12)
	items := []BacklogItem{
		// gerrit/A
		{"gerrit", "A", day(1, 0), []Interval{span(day(1, 0), day(3, 12))}, nil},                   // I1
		{"gerrit", "A", day(1, 12), []Interval{span(day(1, 12), day(2, 0)), open(day(8, 0))}, nil}, // I2: ends exactly at the end of day 1
		{"gerrit", "A", time.Time{}, []Interval{span(day(2, 6), day(2, 18))}, nil},                 // I3: never open at a day's end
		{"gerrit", "A", day(2, 0), []Interval{span(day(2, 0), day(6, 0))}, nil},                    // I4
		{"gerrit", "A", day(8, 6), []Interval{open(day(8, 6))}, nil},                               // I5
		{"gerrit", "A", day(7, 12), []Interval{span(day(7, 12), day(10, 0))}, nil},                 // I6
		{"gerrit", "A", day(1, 0), []Interval{span(day(5, 0), day(5, 0)), {To: day(6, 0)}}, nil},   // only unusable intervals
		{"gerrit", "A", day(1, 0), nil, nil},                                                       // no interval at all
		{"gerrit", "B", time.Time{}, []Interval{open(day(10, 0))}, nil},                            // J1: zero ReadyAt
		{"gerrit", "B", day(11, 0), []Interval{span(day(10, 12), day(11, 6))}, nil},                // J2: ReadyAt after the start
		{"github", "A", day(12, 0), []Interval{open(day(12, 6))}, nil},                             // another source
		{"gerrit", "C", day(1, 0), nil, nil},                                                       // no rows
		{"gerrit", "D", day(13, 0), []Interval{open(day(13, 0))}, nil},                             // starts after now: no rows
		{"gerrit", "E", day(12, 12), []Interval{open(day(12, 12))}, nil},                           // starts at now
		{"gerrit", "E", day(12, 11), []Interval{span(day(12, 11), day(12, 12))}, nil},              // ends at now
	}
	row := func(src, proj string, d, n int, mean, median float64, older int) BacklogDay {
		return BacklogDay{Day: day(d, 0), Source: src, Project: proj, OpenReady: n, MeanAgeDays: mean, MedianAgeDays: median, OlderThan7d: older, WaitingOnAuthor: n}
	}
	want := []BacklogDay{
		row("gerrit", "A", 1, 2, 0.5, 0.5, 0),  // I1 1.0, I4 0.0 (I2 ended at the instant)
		row("gerrit", "A", 2, 2, 1.5, 1.5, 0),  // I1 2.0, I4 1.0
		row("gerrit", "A", 3, 1, 2, 2, 0),      // I4 2.0
		row("gerrit", "A", 4, 1, 3, 3, 0),      // I4 3.0
		row("gerrit", "A", 5, 0, 0, 0, 0),      // I4 ended at the instant
		row("gerrit", "A", 6, 0, 0, 0, 0),      //
		row("gerrit", "A", 7, 2, 3.5, 3.5, 0),  // I2 6.5, I6 0.5
		row("gerrit", "A", 8, 3, 3.25, 1.5, 1), // I2 7.5, I5 0.75, I6 1.5
		row("gerrit", "A", 9, 2, 5.125, 5.125, 1),
		row("gerrit", "A", 10, 2, 6.125, 6.125, 1),
		row("gerrit", "A", 11, 2, 7.125, 7.125, 1),
		row("gerrit", "A", 12, 2, 7.625, 7.625, 1), // at now: I2 11.0, I5 4.25
		row("gerrit", "B", 10, 2, 0.75, 0.75, 0),   // J1 1.0, J2 0.5
		row("gerrit", "B", 11, 1, 2, 2, 0),
		row("gerrit", "B", 12, 1, 2.5, 2.5, 0),
		row("gerrit", "E", 12, 1, 0, 0, 0),
		row("github", "A", 12, 1, 0.5, 0.5, 0), // ready since 00:00
	}
	// The input order must not matter.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5 {
		got := Backlog(items, now)
		if diff := diffBacklog(got, want); diff != "" {
			t.Fatalf("Backlog: %s\ngot  %v\nwant %v", diff, got, want)
		}
		rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	}
	if got := Backlog(nil, now); len(got) != 0 {
		t.Errorf("Backlog(nil) = %v", got)
	}
}

func TestBacklogOlderThan7dBoundary(t *testing.T) {
	// At the end of day 8 the change is exactly 7 days old: not older.
	items := []BacklogItem{{"s", "p", day(2, 0), []Interval{{From: day(2, 0)}}, nil}}
	got := Backlog(items, day(9, 1))
	if r := got[6]; !r.Day.Equal(day(8, 0)) || r.MeanAgeDays != 7 || r.OlderThan7d != 0 {
		t.Errorf("day 8: %+v, want age 7 and none older", r)
	}
	if r := got[7]; r.OlderThan7d != 1 {
		t.Errorf("day 9: %+v, want one older", r)
	}
}

// TestBacklogBruteForce compares Backlog with a direct evaluation of the
// rule on random histories.
func TestBacklogBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 200 {
		now := day(1, 0).Add(time.Duration(rng.IntN(40*24)) * time.Hour)
		if round%3 == 0 {
			now = day(1+rng.IntN(40), 0) // exactly midnight
		}
		var items []BacklogItem
		for range rng.IntN(40) {
			it := BacklogItem{Source: fmt.Sprint("s", rng.IntN(2)), Project: fmt.Sprint("p", rng.IntN(3))}
			at := day(1, 0).Add(time.Duration(rng.IntN(45*24*4)) * 15 * time.Minute)
			for range rng.IntN(4) {
				iv := Interval{From: at}
				if rng.IntN(4) > 0 {
					at = at.Add(time.Duration(1+rng.IntN(6*24*4)) * 15 * time.Minute)
					iv.To = at
				}
				it.Intervals = append(it.Intervals, iv)
				at = at.Add(time.Duration(rng.IntN(3*24*4)) * 15 * time.Minute)
				if iv.To.IsZero() {
					break
				}
			}
			it.Turns = randomTurns(rng, it.Intervals)
			if len(it.Intervals) > 0 && rng.IntN(5) > 0 {
				it.ReadyAt = it.Intervals[0].From.Add(-time.Duration(rng.IntN(10*24)) * time.Hour)
			}
			items = append(items, it)
		}
		got := Backlog(items, now)
		want := backlogBruteForce(items, now)
		if diff := diffBacklog(got, want); diff != "" {
			t.Fatalf("round %d: %s", round, diff)
		}
	}
}

func backlogBruteForce(items []BacklogItem, now time.Time) []BacklogDay {
	type key struct{ s, p string }
	first := map[key]time.Time{}
	for _, it := range items {
		for _, iv := range it.Intervals {
			k := key{it.Source, it.Project}
			if f, ok := first[k]; !ok || iv.From.Before(f) {
				first[k] = iv.From
			}
		}
	}
	var out []BacklogDay
	nowDay := now.Truncate(24 * time.Hour)
	for k, f := range first {
		for d := f.Truncate(24 * time.Hour); !d.After(nowDay); d = d.Add(24 * time.Hour) {
			at := d.Add(24 * time.Hour)
			if d.Equal(nowDay) {
				at = now
			}
			var ages, waits []float64
			for _, it := range items {
				if (key{it.Source, it.Project}) != k || len(it.Intervals) == 0 {
					continue
				}
				ready := it.Intervals[0].From
				if !it.ReadyAt.IsZero() && it.ReadyAt.Before(ready) {
					ready = it.ReadyAt
				}
				for _, iv := range it.Intervals {
					if !at.Before(iv.From) && (iv.To.IsZero() || at.Before(iv.To)) {
						ages = append(ages, at.Sub(ready).Hours()/24)
					}
				}
				for _, s := range it.Turns {
					if !s.OnAuthor && !at.Before(s.From) && (s.To.IsZero() || at.Before(s.To)) {
						waits = append(waits, at.Sub(s.Since).Hours()/24)
					}
				}
			}
			r := BacklogDay{Day: d, Source: k.s, Project: k.p, OpenReady: len(ages),
				WaitingOnReviewer: len(waits), WaitingOnAuthor: len(ages) - len(waits)}
			for _, w := range waits {
				r.ReviewerWaitMeanDays += w / float64(len(waits))
			}
			if len(ages) > 0 {
				sort.Float64s(ages)
				sum := 0.0
				for _, a := range ages {
					sum += a
					if a > 7 {
						r.OlderThan7d++
					}
				}
				r.MeanAgeDays = sum / float64(len(ages))
				n := len(ages)
				r.MedianAgeDays = (ages[(n-1)/2] + ages[n/2]) / 2
			}
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b BacklogDay) int {
		if a.Source != b.Source {
			return compareStrings(a.Source, b.Source)
		}
		if a.Project != b.Project {
			return compareStrings(a.Project, b.Project)
		}
		return a.Day.Compare(b.Day)
	})
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func diffBacklog(got, want []BacklogDay) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d rows, want %d", len(got), len(want))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	for i := range got {
		g, w := got[i], want[i]
		if !g.Day.Equal(w.Day) || g.Source != w.Source || g.Project != w.Project || g.OpenReady != w.OpenReady ||
			!near(g.MeanAgeDays, w.MeanAgeDays) || !near(g.MedianAgeDays, w.MedianAgeDays) || g.OlderThan7d != w.OlderThan7d ||
			g.WaitingOnReviewer != w.WaitingOnReviewer || g.WaitingOnAuthor != w.WaitingOnAuthor ||
			!near(g.ReviewerWaitMeanDays, w.ReviewerWaitMeanDays) {
			return fmt.Sprintf("row %d = %+v, want %+v", i, g, w)
		}
	}
	return ""
}

// randomTurns splits each interval into spans on alternating sides at
// random instants, each waiting since a random instant between its
// interval's start and its own start.
func randomTurns(rng *rand.Rand, ivs []Interval) []TurnSpan {
	var out []TurnSpan
	for _, iv := range ivs {
		from, onAuthor := iv.From, rng.IntN(2) == 0
		for {
			s := TurnSpan{Interval: Interval{From: from}, OnAuthor: onAuthor}
			s.Since = iv.From.Add(time.Duration(rng.Int64N(int64(from.Sub(iv.From)) + 1)))
			cut := from.Add(time.Duration(1+rng.IntN(3*24*4)) * 15 * time.Minute)
			if rng.IntN(3) == 0 || (!iv.To.IsZero() && !cut.Before(iv.To)) {
				s.To = iv.To
				out = append(out, s)
				break
			}
			s.To = cut
			out = append(out, s)
			from, onAuthor = cut, !onAuthor
		}
	}
	return out
}

// TestBacklogEventInstant: an event gives back the instant it was made
// with, before 1970 and at the clamps included, and its end flag and ref.
func TestBacklogEventInstant(t *testing.T) {
	lo, hi := nanos(time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)), nanos(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, at := range []int64{lo, lo + 1, -1 << 32, -1, 0, 1, 1<<31 - 1, 1 << 31, 1<<32 - 1, 1 << 32,
		nanos(time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC)), nanos(time.Date(2025, 6, 1, 12, 0, 0, 7, time.UTC)), hi - 1, hi} {
		for _, end := range []bool{false, true} {
			e := newBacklogEvent(at, 41, end)
			if e.at() != at || (e.ref < 0) != end || (end && ^e.ref != 41) || (!end && e.ref != 41) {
				t.Errorf("event(%d, 41, end %v) = at %d ref %d", at, end, e.at(), e.ref)
			}
		}
	}
}
