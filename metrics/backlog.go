package metrics

import (
	"cmp"
	"slices"
	"sort"
	"time"
)

// BacklogItem is one change as the review backlog sees it.
type BacklogItem struct {
	Source, Project string
	// ReadyAt is the change's ready_at, the first time it asked for review.
	ReadyAt time.Time
	// Intervals are the spans during which the change was open and ready
	// (see ReadyIntervals); they must not overlap.
	Intervals []Interval
}

// BacklogDay is one row of the review_backlog_daily view.
type BacklogDay struct {
	Day             time.Time // 00:00 UTC of the day
	Source, Project string
	OpenReady       int
	MeanAgeDays     float64
	MedianAgeDays   float64
	OlderThan7d     int
}

// Backlog implements the SPEC rule "Review backlog": for each source and
// project, one row per UTC day from the day its first ready interval starts
// up to and including the day of now, counting the changes open and ready at
// the end of the day (the next day's 00:00 UTC; now, for the day containing
// now). A change counts when one of its intervals contains that instant t
// (From <= t < To, or From <= t when To is zero). Its age is t − ReadyAt in
// days; a zero ReadyAt, or one later than the start of the change's first
// interval, is replaced by that start, so that ages are never negative.
// A row holds the count, the mean and the exact median of the ages (the mean
// of the two middle ones for an even count), and how many ages are strictly
// greater than 7 days; a day with no such change has a row of zeros. Rows
// are sorted by source, project and day. Empty intervals (To not after
// From) and intervals with a zero From are ignored.
//
// Instants are handled in nanoseconds and clamped to the years 1823 to 2116.
// The cost is O((intervals + rows) × log(changes)).
func Backlog(items []BacklogItem, now time.Time) []BacklogDay {
	type key struct{ source, project string }
	// An event starts (ref = item) or ends (ref = ^item) an interval.
	type event struct {
		at    int64
		group int32
		ref   int32
	}
	usable := func(iv Interval) bool { return !iv.From.IsZero() && (iv.To.IsZero() || iv.To.After(iv.From)) }
	groupOf := map[key]int32{}
	var keys []key
	var first []int64 // per group: the earliest interval start
	ready := make([]int64, len(items))
	group := make([]int32, len(items)) // -1: no usable interval
	nEvents := 0
	for i, it := range items {
		group[i] = -1
		start, ok := int64(0), false
		for _, iv := range it.Intervals {
			if !usable(iv) {
				continue
			}
			if f := nanos(iv.From); !ok || f < start {
				start, ok = f, true
			}
			nEvents++
			if !iv.To.IsZero() {
				nEvents++
			}
		}
		if !ok {
			continue
		}
		ready[i] = start
		if !it.ReadyAt.IsZero() {
			ready[i] = min(start, nanos(it.ReadyAt))
		}
		k := key{it.Source, it.Project}
		g, seen := groupOf[k]
		if !seen {
			g = int32(len(keys))
			groupOf[k] = g
			keys = append(keys, k)
			first = append(first, start)
		}
		first[g] = min(first[g], start)
		group[i] = g
	}
	events := make([]event, 0, nEvents)
	for i, it := range items {
		if group[i] < 0 {
			continue
		}
		for _, iv := range it.Intervals {
			if !usable(iv) {
				continue
			}
			events = append(events, event{nanos(iv.From), group[i], int32(i)})
			if !iv.To.IsZero() {
				events = append(events, event{nanos(iv.To), group[i], ^int32(i)})
			}
		}
	}
	slices.SortFunc(events, func(a, b event) int {
		if c := cmp.Compare(a.group, b.group); c != 0 {
			return c
		}
		return cmp.Compare(a.at, b.at)
	})
	// starts[g] is the index of group g's first event.
	starts := make([]int, len(keys)+1)
	for _, e := range events {
		starts[e.group+1]++
	}
	for g := range keys {
		starts[g+1] += starts[g]
	}
	order := make([]int32, len(keys))
	for g := range order {
		order[g] = int32(g)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(keys[a].source, keys[b].source); c != 0 {
			return c
		}
		return cmp.Compare(keys[a].project, keys[b].project)
	})

	nowN := nanos(now)
	nowDay := floorDiv(nowN, dayNanos)
	rows := 0
	for _, f := range first {
		rows += int(max(0, nowDay-floorDiv(f, dayNanos)+1))
	}
	out := make([]BacklogDay, 0, rows)
	rank := make([]int32, len(items))
	var vals []int64
	for _, g := range order {
		evs := events[starts[g]:starts[g+1]]
		firstDay := floorDiv(first[g], dayNanos)
		if firstDay > nowDay {
			continue
		}
		// Rank the group's ready times.
		vals = vals[:0]
		for _, e := range evs {
			if e.ref >= 0 {
				vals = append(vals, ready[e.ref])
			}
		}
		slices.Sort(vals)
		vals = slices.Compact(vals)
		for _, e := range evs {
			if e.ref >= 0 {
				r, _ := slices.BinarySearch(vals, ready[e.ref])
				rank[e.ref] = int32(r)
			}
		}
		active := newCounts(len(vals))
		n, sumSec, sumNsec := int64(0), int64(0), int64(0)
		p := 0
		for day := firstDay; day <= nowDay; day++ {
			t := (day + 1) * dayNanos
			if day == nowDay {
				t = nowN
			}
			for ; p < len(evs) && evs[p].at <= t; p++ {
				item, d := evs[p].ref, int64(1)
				if item < 0 {
					item, d = ^item, -1
				}
				r := ready[item]
				active.add(int(rank[item]), int32(d))
				n += d
				sumSec += d * (r / 1e9)
				sumNsec += d * (r % 1e9)
			}
			row := BacklogDay{
				Day:       time.Unix(day*86400, 0).UTC(),
				Source:    keys[g].source,
				Project:   keys[g].project,
				OpenReady: int(n),
			}
			if n > 0 {
				// Σ(t − r) exactly, split into seconds and nanoseconds.
				total := float64(n*(t/1e9)-sumSec) + float64(n*(t%1e9)-sumNsec)/1e9
				row.MeanAgeDays = total / float64(n) / 86400
				mid := vals[active.kth(int((n+1)/2))]
				if n%2 == 0 {
					row.MedianAgeDays = (ageDays(t, mid) + ageDays(t, vals[active.kth(int(n/2+1))])) / 2
				} else {
					row.MedianAgeDays = ageDays(t, mid)
				}
				// Ages strictly greater than 7 days: ready before t − 7d.
				row.OlderThan7d = active.below(sort.Search(len(vals), func(i int) bool {
					return vals[i] >= t-7*dayNanos
				}))
			}
			out = append(out, row)
		}
	}
	return out
}

// ageDays is the time from ready to t, in days; both are clamped nanoseconds.
func ageDays(t, ready int64) float64 { return float64(t-ready) / float64(dayNanos) }
