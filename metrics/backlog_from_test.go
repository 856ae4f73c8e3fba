package metrics

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// randomBacklogItems returns up to n random items over some 45 days: ready
// spans (reopened after a gap, or abandoned: ended), reviewer and author
// turns, ready instants before the first span or missing.
func randomBacklogItems(rng *rand.Rand, n int) []BacklogItem {
	var items []BacklogItem
	for range rng.IntN(n) {
		items = append(items, randomBacklogItem(rng, fmt.Sprint("s", rng.IntN(2)), fmt.Sprint("p", rng.IntN(3))))
	}
	return items
}

func randomBacklogItem(rng *rand.Rand, source, project string) BacklogItem {
	it := BacklogItem{Source: source, Project: project}
	at := day(1, 0).Add(time.Duration(rng.IntN(45*24*4)) * 15 * time.Minute)
	for range rng.IntN(4) {
		iv := Interval{From: at}
		if rng.IntN(4) > 0 {
			at = at.Add(time.Duration(1+rng.IntN(6*24*4)) * 15 * time.Minute)
			iv.To = at
		}
		it.Intervals = append(it.Intervals, iv)
		at = at.Add(time.Duration(1+rng.IntN(3*24*4)) * 15 * time.Minute)
		if iv.To.IsZero() {
			break
		}
	}
	it.Turns = randomTurns(rng, it.Intervals)
	if len(it.Intervals) > 0 && rng.IntN(5) > 0 {
		it.ReadyAt = it.Intervals[0].From.Add(-time.Duration(rng.IntN(10*24)) * time.Hour)
	}
	return it
}

// storedFrom is the item as the stored rows hold it when read from the
// instant from on: the spans and reviewer spans not ended before from,
// and the ready instant of review_backlog_changes (its ready_at, or its
// first span's start when earlier or missing).
func storedFrom(it BacklogItem, from time.Time) BacklogItem {
	out := BacklogItem{Source: it.Source, Project: it.Project}
	if len(it.Intervals) == 0 {
		return out
	}
	out.ReadyAt = it.Intervals[0].From
	if !it.ReadyAt.IsZero() && it.ReadyAt.Before(out.ReadyAt) {
		out.ReadyAt = it.ReadyAt
	}
	for _, iv := range it.Intervals {
		if iv.To.IsZero() || !iv.To.Before(from) {
			out.Intervals = append(out.Intervals, iv)
		}
	}
	for _, s := range it.Turns {
		if !s.OnAuthor && (s.To.IsZero() || !s.To.Before(from)) {
			out.Turns = append(out.Turns, s)
		}
	}
	return out
}

// rowsFrom returns the rows of the days that end at or after from.
func rowsFrom(rows []BacklogDay, from time.Time) []BacklogDay {
	first := BacklogFirstDay(from)
	return slices.DeleteFunc(slices.Clone(rows), func(d BacklogDay) bool { return d.Day.Before(first) })
}

// TestBacklogDaysFrom checks that DaysFrom, given only what the stored
// rows hold of the items not ended before from and the earliest start of
// each project, gives exactly the rows of the full computation from the
// day of from on.
func TestBacklogDaysFrom(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 1))
	for round := range 300 {
		now := day(1, 0).Add(time.Duration(rng.IntN(50*24*4)) * 15 * time.Minute)
		if round%3 == 0 {
			now = day(1+rng.IntN(50), 0)
		}
		items := randomBacklogItems(rng, 40)
		full := Backlog(items, now)
		for k := range 20 {
			from := day(0, 0).Add(time.Duration(rng.IntN(55*24*4)) * 15 * time.Minute)
			if k%4 == 0 {
				from = day(rng.IntN(55), 0)
			}
			if from.After(now) {
				from = now
			}
			var b BacklogBuilder
			for _, it := range items {
				if len(it.Intervals) > 0 && it.Intervals[0].From.Before(from) {
					b.AddStart(it.Source, it.Project, it.Intervals[0].From)
				}
				b.Add(storedFrom(it, from))
			}
			got, want := b.DaysFrom(from, now), rowsFrom(full, from)
			if !slices.Equal(got, want) {
				t.Fatalf("round %d, from %v, now %v: %s", round, from, now, diffBacklog(got, want))
			}
		}
	}
}

// TestBacklogChangedAt replaces one item by another (a copy, a copy with
// later spans changed, or an unrelated one) and checks that the rows of
// the days ending before the instant BacklogChangedAt returns are
// unchanged, and all of them when it returns false.
func TestBacklogChangedAt(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 2))
	changed := 0
	for round := range 2000 {
		now := day(1, 0).Add(time.Duration(rng.IntN(50*24*4)) * 15 * time.Minute)
		others := randomBacklogItems(rng, 15)
		old := randomBacklogItem(rng, "s0", "p0")
		var new BacklogItem
		switch rng.IntN(5) {
		case 0:
			new = old
		case 1: // a copy whose spans after a cut are replaced
			new = mutateAfter(rng, old)
		case 2:
			new = BacklogItem{Source: "s0", Project: "p0"}
		case 3: // ready instant moved
			new = old
			new.ReadyAt = new.ReadyAt.Add(-time.Hour)
		default:
			new = randomBacklogItem(rng, "s0", fmt.Sprint("p", rng.IntN(2)))
		}
		before := Backlog(append(slices.Clone(others), old), now)
		after := Backlog(append(slices.Clone(others), new), now)
		at, ok := BacklogChangedAt(old, new)
		if !ok {
			if !slices.Equal(before, after) {
				t.Fatalf("round %d: no change reported, rows differ: %s", round, diffBacklog(after, before))
			}
			continue
		}
		changed++
		first := BacklogFirstDay(at)
		keep := func(d BacklogDay) bool { return !d.Day.Before(first) }
		b, a := slices.DeleteFunc(before, keep), slices.DeleteFunc(after, keep)
		if !slices.Equal(a, b) {
			t.Fatalf("round %d: changed at %v, rows before %v differ: %s", round, at, first, diffBacklog(a, b))
		}
	}
	if changed < 500 {
		t.Fatalf("only %d rounds changed", changed)
	}
}

// mutateAfter copies the item, cutting its spans at a random instant
// inside them and continuing with new random spans and turns.
func mutateAfter(rng *rand.Rand, it BacklogItem) BacklogItem {
	out := it
	out.Intervals = slices.Clone(it.Intervals)
	out.Turns = slices.Clone(it.Turns)
	n := len(out.Intervals)
	if n == 0 {
		return out
	}
	last := &out.Intervals[n-1]
	if last.To.IsZero() || rng.IntN(2) == 0 { // close it: merged or abandoned
		end := last.From.Add(time.Duration(1+rng.IntN(4*24)) * time.Hour)
		if !last.To.IsZero() && last.To.Before(end) {
			end = last.To
		}
		last.To = end
	} else { // restored: a new open span
		out.Intervals = append(out.Intervals, Interval{From: last.To.Add(time.Duration(1+rng.IntN(48)) * time.Hour)})
	}
	out.Turns = randomTurns(rng, out.Intervals)
	return out
}
