package config

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Calendar defines working time (docs/definitions.md §19): the working
// hours of each workday that is not a holiday, local time in Location.
type Calendar struct {
	// TimeZone is the IANA name of Location.
	TimeZone string
	Location *time.Location
	Workdays []time.Weekday
	// Start and End bound the working hours, in seconds after local
	// midnight: 0 <= Start < End <= 86400 (24:00).
	Start, End int
	// Holidays are local dates (00:00 UTC of the date), sorted.
	Holidays []time.Time
}

// DefaultCalendar is the calendar without a `calendar:` key: every hour
// of Monday to Friday in UTC.
func DefaultCalendar() Calendar {
	return Calendar{TimeZone: "UTC", Location: time.UTC,
		Workdays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		Start:    0, End: 86400}
}

// Team holds a team's settings.
type Team struct {
	// Calendar is the team's working time; nil when the team has none and
	// uses the configuration's Calendar.
	Calendar *Calendar
}

var (
	calendarKeys = []string{"time_zone", "workdays", "hours", "holidays"}
	teamKeys     = []string{"calendar"}
	dayNames     = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
		"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}
)

// calendar decodes a calendar section; each absent key keeps its value in
// base.
func (d *decoder) calendar(m *mapping, base Calendar) Calendar {
	c := base
	if m == nil {
		return c
	}
	if n, ok := m.get("time_zone"); ok {
		name := d.str(m, "time_zone", "")
		loc, err := time.LoadLocation(name)
		if err != nil || strings.TrimSpace(name) == "" || strings.EqualFold(name, "local") {
			d.errorf(n, m.at("time_zone"), "unknown time zone %q; want an IANA name such as UTC, America/Los_Angeles or Europe/Berlin", name)
		} else {
			c.TimeZone, c.Location = name, loc
		}
	}
	if _, ok := m.get("workdays"); ok {
		seen := map[time.Weekday]bool{}
		var days []time.Weekday
		d.strList(m, "workdays", func(s string) error {
			day, ok := dayNames[strings.ToLower(strings.TrimSpace(s))]
			switch {
			case !ok:
				return fmt.Errorf("unknown day %q; want mon, tue, wed, thu, fri, sat or sun", s)
			case seen[day]:
				return fmt.Errorf("%q is listed twice", s)
			}
			seen[day] = true
			days = append(days, day)
			return nil
		})
		c.Workdays = days
	}
	if n, ok := m.get("hours"); ok {
		start, end, err := parseHours(d.str(m, "hours", ""))
		if err != nil {
			d.errorf(n, m.at("hours"), "%w", err)
		} else {
			c.Start, c.End = start, end
		}
	}
	if n, ok := m.get("holidays"); ok {
		c.Holidays = d.holidays(m, n)
	}
	return c
}

// holidays reads a list of dates, one line each.
func (d *decoder) holidays(m *mapping, n *yaml.Node) []time.Time {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, m.at("holidays"), "want a list of dates such as [2024-12-25, 2025-01-01], got %s", describe(n))
		return nil
	}
	var out []time.Time
	for i, v := range n.Content {
		v = resolve(v)
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(v.Value))
		if v.Kind != yaml.ScalarNode || err != nil {
			d.errorf(v, fmt.Sprintf("%s[%d]", m.at("holidays"), i), "bad date %q: want a local date such as 2024-12-25", v.Value)
			continue
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return slices.CompactFunc(out, time.Time.Equal)
}

// parseHours reads "HH:MM-HH:MM", local time, the end after the start and
// at most 24:00.
func parseHours(s string) (start, end int, err error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	bad := func(why string) (int, int, error) {
		return 0, 0, fmt.Errorf("bad hours %q: %s; want HH:MM-HH:MM such as 09:00-17:00 (local time, 00:00-24:00 for the whole day)", s, why)
	}
	if !ok {
		return bad("no '-' between start and end")
	}
	if start, err = clock(from); err != nil {
		return bad(err.Error())
	}
	if end, err = clock(to); err != nil {
		return bad(err.Error())
	}
	if end <= start {
		return bad("the end must be after the start")
	}
	return start, end, nil
}

// clock reads HH:MM as seconds after midnight, 00:00 to 24:00.
func clock(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, errH := strconv.Atoi(hh)
	m, errM := strconv.Atoi(mm)
	if !ok || errH != nil || errM != nil || len(mm) != 2 || h < 0 || m < 0 || m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, fmt.Errorf("%q is not a time from 00:00 to 24:00", strings.TrimSpace(s))
	}
	return h*3600 + m*60, nil
}

// teams decodes `teams:`: each a team some person belongs to, with its
// calendar (its absent keys those of the configuration's calendar).
func (d *decoder) teams(root *mapping, people []Person, base Calendar) map[string]Team {
	n, ok := root.get("teams")
	if !ok {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "teams", "want a mapping of team names to their settings ({core: {calendar: {...}}}), got %s", describe(n))
		return nil
	}
	known := map[string]bool{}
	for _, p := range people {
		if p.Team != "" {
			known[p.Team] = true
		}
	}
	out := map[string]Team{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		path := join("teams", k.Value)
		if _, dup := out[k.Value]; dup {
			d.errorf(k, path, "duplicate team")
			continue
		}
		if !known[k.Value] {
			d.errorf(k, path, "no person has team %q (people[].team)", k.Value)
		}
		m := d.mapping(v, k, path, teamKeys)
		if m == nil {
			continue
		}
		var t Team
		if _, ok := m.get("calendar"); ok {
			c := d.calendar(d.section(m, "calendar", calendarKeys), base)
			t.Calendar = &c
		}
		out[k.Value] = t
	}
	return out
}
