package metrics

import (
	"sync"
	"time"
)

// Calendar defines working time (docs/definitions.md §19): the working
// hours of each workday that is not a holiday, local time in Location.
type Calendar struct {
	location *time.Location
	workdays [7]bool // by time.Weekday
	// start and end of the working hours, seconds after local midnight;
	// end may be 86400 (24:00).
	start, end int
	holidays   map[int64]bool // local civil days since 1970-01-01

	once  sync.Once
	table calendarTable
}

// NewCalendar returns the calendar of the given time zone (nil is UTC),
// workdays, working hours [start, end) in seconds after local midnight
// (0 <= start < end <= 86400) and holidays (local dates; only their year,
// month and day count). It does not check its arguments: config
// validation does.
func NewCalendar(loc *time.Location, workdays []time.Weekday, start, end int, holidays []time.Time) *Calendar {
	if loc == nil {
		loc = time.UTC
	}
	c := &Calendar{location: loc, start: start, end: end, holidays: map[int64]bool{}}
	for _, d := range workdays {
		c.workdays[d] = true
	}
	for _, h := range holidays {
		y, m, d := h.Date()
		c.holidays[civilDay(y, m, d)] = true
	}
	return c
}

// DefaultCalendar is working time without a configured calendar: every
// hour of Monday to Friday in UTC, so that working time is the plain time
// minus weekends (docs/definitions.md §19).
func DefaultCalendar() *Calendar {
	return NewCalendar(time.UTC, []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, 0, 86400, nil)
}

// civilDay is the number of days from 1970-01-01 to the date.
func civilDay(y int, m time.Month, d int) int64 {
	return floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400)
}

// The days the calendar's table covers, as civil days: from the day before
// the first storable instant to the day after the last one (1970 to 2105,
// see collectors.MinTime), so that any local date of a stored instant is
// in it. Instants outside are clamped to its ends.
var (
	tableFirstDay = civilDay(1969, time.December, 31)
	tableLastDay  = civilDay(2106, time.January, 1)
)

// calendarTable holds, per local day of the covered range, its working
// span as Unix nanoseconds and the working nanoseconds of all earlier
// days, so that WorkSeconds costs two time zone lookups whatever the
// length of the interval.
type calendarTable struct {
	from, to []int64 // working span of the day; equal when it has none
	before   []int64 // working nanoseconds of the covered days before it
}

func (c *Calendar) build() {
	n := tableLastDay - tableFirstDay + 1
	t := calendarTable{from: make([]int64, n), to: make([]int64, n), before: make([]int64, n)}
	total := int64(0)
	for i := range n {
		day := tableFirstDay + i
		y, m, d := time.Unix(day*86400, 0).UTC().Date()
		from := time.Date(y, m, d, 0, 0, c.start, 0, c.location).UnixNano()
		t.from[i], t.to[i], t.before[i] = from, from, total
		if c.workdays[time.Unix(day*86400, 0).UTC().Weekday()] && !c.holidays[day] {
			// Wall-clock hours: a day that DST shortens is shorter.
			t.to[i] = max(from, time.Date(y, m, d, 0, 0, c.end, 0, c.location).UnixNano())
			total += t.to[i] - from
		}
	}
	c.table = t
}

// worked returns the working nanoseconds of the covered range before t.
func (c *Calendar) worked(t time.Time) int64 {
	_, off := t.In(c.location).Zone()
	sec := t.Unix()
	day := floorDiv(sec+int64(off), 86400)
	switch {
	case day < tableFirstDay:
		return 0
	case day > tableLastDay:
		i := len(c.table.before) - 1
		return c.table.before[i] + c.table.to[i] - c.table.from[i]
	}
	i := day - tableFirstDay
	ns := sec*1e9 + int64(t.Nanosecond())
	return c.table.before[i] + min(max(ns, c.table.from[i]), c.table.to[i]) - c.table.from[i]
}

// WorkSeconds implements the working time of docs/definitions.md §19: the
// whole seconds, truncated, of the overlap of [from, to) with the
// calendar's working hours. It is nil when either instant is zero (null)
// or to is before from, like the plain durations.
func (c *Calendar) WorkSeconds(from, to time.Time) *int64 {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return nil
	}
	c.once.Do(c.build)
	s := (c.worked(to) - c.worked(from)) / 1e9
	return &s
}

// WorkTime chooses the calendar of a change: its owner's team's, else the
// default one (docs/definitions.md §19).
type WorkTime struct {
	// Default applies to changes whose owner has no team calendar; nil
	// means DefaultCalendar.
	Default *Calendar
	// Teams holds the calendars of the teams that have one.
	Teams map[string]*Calendar
	// TeamOf maps a person's name (see People.Resolve) to their team.
	TeamOf map[string]string
}

// defaultCalendar serves every WorkTime without a Default.
var defaultCalendar = DefaultCalendar()

// For returns the calendar of a change owned by the named person ("" for
// an unmapped owner).
func (w WorkTime) For(person string) *Calendar {
	if c, ok := w.Teams[w.TeamOf[person]]; ok && person != "" {
		return c
	}
	if w.Default == nil {
		return defaultCalendar
	}
	return w.Default
}
