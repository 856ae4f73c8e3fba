package metrics

import (
	"cmp"
	"math"
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
	// Turns split Intervals into waits on a reviewer or the author (see
	// Turns); only the waits on a reviewer are read, and they must lie
	// within Intervals.
	Turns []TurnSpan
}

// BacklogDay is one row of the review_backlog_daily view.
type BacklogDay struct {
	Day             time.Time // 00:00 UTC of the day
	Source, Project string
	OpenReady       int
	MeanAgeDays     float64
	MedianAgeDays   float64
	OlderThan7d     int
	// WaitingOnReviewer and WaitingOnAuthor split OpenReady by whose turn
	// it is (docs/definitions.md §19).
	WaitingOnReviewer, WaitingOnAuthor int
	// ReviewerWaitMeanDays is the mean of t − waiting_since over the
	// changes waiting on a reviewer; 0 when there is none.
	ReviewerWaitMeanDays float64
}

// Backlog implements docs/definitions.md §13 "Review backlog" and the
// daily whose-turn split of §19: for each source and project, one row per
// UTC day from the day its first ready interval starts up to and including
// the day of now, counting the changes open and ready at the end of the day
// (the next day's 00:00 UTC; now, for the day containing now). A change
// counts when one of its intervals contains that instant t (From <= t < To,
// or From <= t when To is zero). Its age is t − ReadyAt in days; a zero
// ReadyAt, or one later than the start of the change's first interval, is
// replaced by that start, so that ages are never negative. A row holds the
// count, the mean and the exact median of the ages (the mean of the two
// middle ones for an even count), and how many ages are strictly greater
// than 7 days; then how many of the changes wait on a reviewer at t (a
// reviewer span of Turns contains t, by the same rule) and the mean of
// their t − Since in days, and how many wait on their author (the others).
// A day with no such change has a row of zeros. Rows are sorted by
// source, project and day. Empty intervals (To not after From) and
// intervals with a zero From are ignored.
//
// Instants are handled in nanoseconds and clamped to the years 1823 to 2116.
// The cost is O((intervals + turns + rows) × log(changes)).
func Backlog(items []BacklogItem, now time.Time) []BacklogDay {
	var b BacklogBuilder
	for _, it := range items {
		b.Add(it)
	}
	return b.Days(now)
}

// BacklogBuilder computes Backlog from items given one at a time, keeping
// of each only its ready instant and the starts and ends of its spans (12
// bytes each, and a waiting_since per reviewer span), so that a caller
// need not hold the items themselves: a full compute holds the largest
// project's (142,219 of 1,000,000 generated changes) while it reads it.
// The zero value is ready to use.
type BacklogBuilder struct {
	g       backlogGroups
	groupOf map[struct{ source, project string }]int32
}

// Add adds one item (see BacklogItem).
func (b *BacklogBuilder) Add(it BacklogItem) {
	g := &b.g
	start, ok := int64(0), false
	for _, iv := range it.Intervals {
		if f := nanos(iv.From); usable(iv) && (!ok || f < start) {
			start, ok = f, true
		}
	}
	if !ok {
		return
	}
	ready := start
	if !it.ReadyAt.IsZero() {
		ready = min(start, nanos(it.ReadyAt))
	}
	ev := &g.events[b.group(it.Source, it.Project, start)]
	item := int32(len(g.ready))
	eachItemEvent(it, func(at int64, end bool, since int64, wait bool) {
		if !wait {
			ev.ready = append(ev.ready, newBacklogEvent(at, item, end))
			return
		}
		if !end { // a span's start comes before its end
			g.since = append(g.since, since)
		}
		ev.waits = append(ev.waits, newBacklogEvent(at, int32(len(g.since)-1), end))
	})
	g.ready = append(g.ready, ready)
}

// Days returns the rows of the items added (see Backlog) and empties the
// builder for reuse.
func (b *BacklogBuilder) Days(now time.Time) []BacklogDay {
	return b.days(math.MinInt64, nanos(now))
}

// DaysFrom returns the rows of Days of the days that end at or after from
// (from at the latest now), and empties the builder for reuse. It needs
// only the items with an interval or reviewer span that has not ended
// before from, provided the builder also knows, for every group whose
// changes include one that started before from, some start before from
// (see AddStart): the rows of a group begin at the day of its earliest
// start.
func (b *BacklogBuilder) DaysFrom(from, now time.Time) []BacklogDay {
	return b.days(min(nanos(from), nanos(now)), nanos(now))
}

// AddStart records that a ready interval of the source and project starts
// at the instant at, for where the group's rows begin (see Backlog),
// without adding a change to any day.
func (b *BacklogBuilder) AddStart(source, project string, at time.Time) {
	if !at.IsZero() {
		b.group(source, project, nanos(at))
	}
}

// BacklogFirstDay is 00:00 UTC of the first day whose row DaysFrom(from,
// now) returns for from at or before now, when the group has rows then:
// the day whose end is at or after from.
func BacklogFirstDay(from time.Time) time.Time {
	return time.Unix(floorDiv(nanos(from)-1, dayNanos)*86400, 0).UTC()
}

// group returns the index of the group of source and project, created if
// needed, whose earliest start it lowers to start.
func (b *BacklogBuilder) group(source, project string, start int64) int32 {
	type key = struct{ source, project string }
	g := &b.g
	if b.groupOf == nil {
		b.groupOf = map[key]int32{}
	}
	k := key{source, project}
	gi, seen := b.groupOf[k]
	if !seen {
		gi = int32(len(g.keys))
		b.groupOf[k] = gi
		g.keys = append(g.keys, k)
		g.first = append(g.first, start)
		g.events = append(g.events, groupEvents{})
	}
	g.first[gi] = min(g.first[gi], start)
	return gi
}

// days returns the rows whose instant is at or after fromN and empties
// the builder.
func (b *BacklogBuilder) days(fromN, nowN int64) []BacklogDay {
	g := &b.g
	fromDay := int64(math.MinInt64)
	if fromN > math.MinInt64 {
		fromDay = floorDiv(fromN-1, dayNanos)
	}
	out := make([]BacklogDay, 0, g.rows(fromDay, nowN))
	var sw backlogSweep
	for _, gi := range g.order() {
		g.events[gi].sort()
		out = sw.run(out, g, gi, fromDay, nowN)
	}
	clear(b.groupOf)
	*g = backlogGroups{ready: g.ready[:0], since: g.since[:0]}
	return out
}

// usable reports whether the backlog counts an interval (see Backlog).
func usable(iv Interval) bool {
	return !iv.From.IsZero() && (iv.To.IsZero() || iv.To.After(iv.From))
}

// backlogEvent starts or ends a ready interval or a wait on a reviewer at
// an instant in nanoseconds, split in two halves so that an event takes
// 12 bytes rather than 16: a group's events are what the backlog holds.
type backlogEvent struct {
	hi  int32
	lo  uint32
	ref int32 // the item (ready) or the wait (waits); ^ref for an end
}

func newBacklogEvent(at int64, ref int32, end bool) backlogEvent {
	if end {
		ref = ^ref
	}
	return backlogEvent{hi: int32(at >> 32), lo: uint32(at), ref: ref}
}

func (e backlogEvent) at() int64 { return int64(e.hi)<<32 | int64(e.lo) }

// groupEvents are one group's events: those of ready intervals and those
// of waits on a reviewer, each sorted by time once the rows are asked for.
type groupEvents struct{ ready, waits []backlogEvent }

func (ev *groupEvents) sort() {
	byTime := func(a, b backlogEvent) int { return cmp.Compare(a.at(), b.at()) }
	slices.SortFunc(ev.ready, byTime)
	slices.SortFunc(ev.waits, byTime)
}

// backlogGroups are the items grouped by source and project, with their
// events.
type backlogGroups struct {
	keys   []struct{ source, project string }
	first  []int64       // per group: the earliest interval start
	events []groupEvents // per group
	ready  []int64       // per item with a usable interval: its ready instant (see Backlog)
	since  []int64       // per wait on a reviewer: its waiting_since
}

// eachItemEvent calls fn with the start and the end (unless open) of each
// of the item's usable intervals, then of its usable waits on a reviewer
// (wait, with their waiting_since).
func eachItemEvent(it BacklogItem, fn func(at int64, end bool, since int64, wait bool)) {
	add := func(iv Interval, since int64, wait bool) {
		fn(nanos(iv.From), false, since, wait)
		if !iv.To.IsZero() {
			fn(nanos(iv.To), true, since, wait)
		}
	}
	for _, iv := range it.Intervals {
		if usable(iv) {
			add(iv, 0, false)
		}
	}
	for _, s := range it.Turns {
		if !s.OnAuthor && usable(s.Interval) {
			add(s.Interval, nanos(s.Since), true)
		}
	}
}

// rows is how many rows Backlog returns from fromDay up to the day of now.
func (g *backlogGroups) rows(fromDay, nowN int64) int {
	nowDay := floorDiv(nowN, dayNanos)
	n := 0
	for _, f := range g.first {
		n += int(max(0, nowDay-max(fromDay, floorDiv(f, dayNanos))+1))
	}
	return n
}

// order returns the groups sorted by source and project.
func (g *backlogGroups) order() []int32 {
	order := make([]int32, len(g.keys))
	for gi := range order {
		order[gi] = int32(gi)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(g.keys[a].source, g.keys[b].source); c != 0 {
			return c
		}
		return cmp.Compare(g.keys[a].project, g.keys[b].project)
	})
	return order
}

// instantSum keeps the count and the exact sum of a multiset of instants,
// split into seconds and nanoseconds so that it cannot overflow.
type instantSum struct{ n, sec, nsec int64 }

func (s *instantSum) add(at, d int64) {
	s.n += d
	s.sec += d * (at / 1e9)
	s.nsec += d * (at % 1e9)
}

// meanDaysBefore is the mean of t − x over the instants x, in days; 0 for
// none.
func (s *instantSum) meanDaysBefore(t int64) float64 {
	if s.n == 0 {
		return 0
	}
	total := float64(s.n*(t/1e9)-s.sec) + float64(s.n*(t%1e9)-s.nsec)/1e9
	return total / float64(s.n) / 86400
}

// backlogSweep walks one group's events day by day; its buffers are
// reused from group to group.
type backlogSweep struct {
	rank []int32 // per item: the rank of its ready instant in vals
	vals []int64 // the group's distinct ready instants, ascending
}

// run appends the rows of group gi from fromDay on to out.
func (sw *backlogSweep) run(out []BacklogDay, g *backlogGroups, gi int32, fromDay, nowN int64) []BacklogDay {
	ev := &g.events[gi]
	firstDay, nowDay := max(fromDay, floorDiv(g.first[gi], dayNanos)), floorDiv(nowN, dayNanos)
	if firstDay > nowDay {
		return out
	}
	active := sw.rankReady(g, ev.ready)
	var ready, waits instantSum
	p, q := 0, 0
	for day := firstDay; day <= nowDay; day++ {
		t := (day + 1) * dayNanos
		if day == nowDay {
			t = nowN
		}
		for ; p < len(ev.ready) && ev.ready[p].at() <= t; p++ {
			item, d := ev.ready[p].ref, int64(1)
			if item < 0 {
				item, d = ^item, -1
			}
			active.add(int(sw.rank[item]), int32(d))
			ready.add(g.ready[item], d)
		}
		for ; q < len(ev.waits) && ev.waits[q].at() <= t; q++ {
			w, d := ev.waits[q].ref, int64(1)
			if w < 0 {
				w, d = ^w, -1
			}
			waits.add(g.since[w], d)
		}
		row := BacklogDay{
			Day:     time.Unix(day*86400, 0).UTC(),
			Source:  g.keys[gi].source,
			Project: g.keys[gi].project,
		}
		sw.fill(&row, active, &ready, &waits, t)
		out = append(out, row)
	}
	return out
}

// rankReady ranks the ready instants of the items the ready events start,
// and returns an empty multiset over those ranks.
func (sw *backlogSweep) rankReady(g *backlogGroups, evs []backlogEvent) counts {
	if len(sw.rank) < len(g.ready) {
		sw.rank = make([]int32, len(g.ready))
	}
	sw.vals = sw.vals[:0]
	for _, e := range evs {
		if e.ref >= 0 {
			sw.vals = append(sw.vals, g.ready[e.ref])
		}
	}
	slices.Sort(sw.vals)
	sw.vals = slices.Compact(sw.vals)
	for _, e := range evs {
		if e.ref >= 0 {
			r, _ := slices.BinarySearch(sw.vals, g.ready[e.ref])
			sw.rank[e.ref] = int32(r)
		}
	}
	return newCounts(len(sw.vals))
}

// fill sets the figures of a row at instant t from the active changes.
func (sw *backlogSweep) fill(row *BacklogDay, active counts, ready, waits *instantSum, t int64) {
	n := ready.n
	row.OpenReady = int(n)
	row.WaitingOnReviewer = int(waits.n)
	row.WaitingOnAuthor = int(n - waits.n)
	row.ReviewerWaitMeanDays = waits.meanDaysBefore(t)
	if n == 0 {
		return
	}
	row.MeanAgeDays = ready.meanDaysBefore(t)
	mid := sw.vals[active.kth(int((n+1)/2))]
	if n%2 == 0 {
		row.MedianAgeDays = (ageDays(t, mid) + ageDays(t, sw.vals[active.kth(int(n/2+1))])) / 2
	} else {
		row.MedianAgeDays = ageDays(t, mid)
	}
	// Ages strictly greater than 7 days: ready before t − 7d.
	row.OlderThan7d = active.below(sort.Search(len(sw.vals), func(i int) bool {
		return sw.vals[i] >= t-7*dayNanos
	}))
}

// ageDays is the time from ready to t, in days; both are clamped nanoseconds.
func ageDays(t, ready int64) float64 { return float64(t-ready) / float64(dayNanos) }

// BacklogChangedAt returns the earliest instant from which the rows of
// Backlog may differ when the item old is replaced by new (a change's
// backlog before and after an update; the zero BacklogItem for a change
// that had none), and false when they cannot differ: DaysFrom from
// that instant recomputes every row that may. An item counts through its
// source and project, its ready instant, and the starts and ends of its
// usable intervals and reviewer spans; rows differ only from the first of
// those that is not in both.
func BacklogChangedAt(old, new BacklogItem) (time.Time, bool) {
	a, b := backlogItemEvents(old), backlogItemEvents(new)
	if len(a) > 0 && len(b) > 0 && (old.Source != new.Source || old.Project != new.Project ||
		backlogReady(old) != backlogReady(new)) {
		return time.Unix(0, min(a[0].at, b[0].at)).UTC(), true
	}
	for i := range max(len(a), len(b)) {
		switch {
		case i >= len(a):
			return time.Unix(0, b[i].at).UTC(), true
		case i >= len(b):
			return time.Unix(0, a[i].at).UTC(), true
		case a[i] != b[i]:
			return time.Unix(0, min(a[i].at, b[i].at)).UTC(), true
		}
	}
	return time.Time{}, false
}

// itemEvent is an event of one item as BacklogChangedAt compares them.
type itemEvent struct {
	at, since int64
	end, wait bool
}

// backlogItemEvents returns the events Add would take from the item,
// without item, sorted; none when it has no usable interval.
func backlogItemEvents(it BacklogItem) []itemEvent {
	if backlogReady(it) == math.MinInt64 {
		return nil
	}
	var evs []itemEvent
	eachItemEvent(it, func(at int64, end bool, since int64, wait bool) {
		evs = append(evs, itemEvent{at: at, since: since, end: end, wait: wait})
	})
	slices.SortFunc(evs, func(x, y itemEvent) int {
		return cmp.Or(cmp.Compare(x.at, y.at), cmp.Compare(b2i(!x.end), b2i(!y.end)), cmp.Compare(x.since, y.since),
			cmp.Compare(b2i(x.wait), b2i(y.wait)))
	})
	return evs
}

// backlogReady is the ready instant Add takes for the item, MinInt64 when
// it has no usable interval.
func backlogReady(it BacklogItem) int64 {
	start, ok := int64(0), false
	for _, iv := range it.Intervals {
		if f := nanos(iv.From); usable(iv) && (!ok || f < start) {
			start, ok = f, true
		}
	}
	switch {
	case !ok:
		return math.MinInt64
	case it.ReadyAt.IsZero():
		return start
	}
	return min(start, nanos(it.ReadyAt))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
