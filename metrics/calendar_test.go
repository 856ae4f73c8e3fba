package metrics

import (
	"math/rand/v2"
	"testing"
	"time"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}

func TestWorkSeconds(t *testing.T) {
	la := mustZone(t, "America/Los_Angeles")
	berlin := mustZone(t, "Europe/Berlin")
	office := NewCalendar(la, weekdays, 9*3600, 17*3600, []time.Time{time.Date(2024, 7, 4, 0, 0, 0, 0, time.UTC)})
	allDayLA := NewCalendar(la, []time.Weekday{time.Sunday, time.Monday}, 0, 86400, nil)
	berlinDays := NewCalendar(berlin, weekdays, 8*3600, 16*3600+30*60, nil)
	at := func(loc *time.Location, y int, m time.Month, d, hh, mm int) time.Time {
		return time.Date(y, m, d, hh, mm, 0, 0, loc)
	}
	hours := func(x float64) int64 { return int64(x * 3600) }
	for _, tc := range []struct {
		name     string
		cal      *Calendar
		from, to time.Time
		want     int64
	}{
		{"sent on Friday evening, reviewed Monday morning", office,
			at(la, 2024, 3, 1, 18, 0), at(la, 2024, 3, 4, 9, 30), hours(0.5)},
		{"within one working day", office, at(la, 2024, 3, 5, 10, 0), at(la, 2024, 3, 5, 12, 15), hours(2.25)},
		{"a holiday in the middle (Thursday 4 July)", office,
			at(la, 2024, 7, 3, 9, 0), at(la, 2024, 7, 5, 17, 0), hours(16)},
		{"given in UTC, counted in local time", office,
			time.Date(2024, 3, 5, 16, 0, 0, 0, time.UTC), time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC), hours(7)},
		{"the day DST starts in Los Angeles is 23 hours", allDayLA,
			at(la, 2024, 3, 10, 0, 0), at(la, 2024, 3, 11, 0, 0), hours(23)},
		{"the day DST ends in Los Angeles is 25 hours", allDayLA,
			at(la, 2024, 11, 3, 0, 0), at(la, 2024, 11, 4, 0, 0), hours(25)},
		{"working hours keep to the wall clock across DST", office,
			at(la, 2024, 3, 8, 9, 0), at(la, 2024, 3, 11, 17, 0), hours(16)},
		{"east of UTC: a Berlin Monday starts on Sunday in UTC", berlinDays,
			time.Date(2024, 3, 3, 23, 0, 0, 0, time.UTC), time.Date(2024, 3, 4, 12, 0, 0, 0, time.UTC), hours(5)},
		{"empty", office, at(la, 2024, 3, 5, 10, 0), at(la, 2024, 3, 5, 10, 0), 0},
		{"a fraction of a second is truncated", DefaultCalendar(),
			time.Date(2024, 3, 5, 10, 0, 0, 500, time.UTC), time.Date(2024, 3, 5, 10, 0, 1, 0, time.UTC), 0},
		{"without a calendar: weekends in UTC left out", DefaultCalendar(),
			time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2024, 3, 11, 12, 0, 0, 0, time.UTC), hours(6 * 24)},
	} {
		got := tc.cal.WorkSeconds(tc.from, tc.to)
		if got == nil || *got != tc.want {
			t.Errorf("%s: got %v, want %d", tc.name, fmtPtr(got), tc.want)
		}
	}
	if got := office.WorkSeconds(h(2), h(1)); got != nil {
		t.Errorf("to before from: %v, want null", *got)
	}
	if got := office.WorkSeconds(time.Time{}, h(1)); got != nil {
		t.Errorf("zero from: %v, want null", *got)
	}
}

// TestWorkSecondsBruteForce compares WorkSeconds with a walk, minute by
// minute, asking each minute's local time whether it is working time, in
// zones east and west of UTC (half-hour offsets included) around their DST
// changes.
func TestWorkSecondsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	zones := []string{"America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata", "Pacific/Auckland", "America/St_Johns", "UTC"}
	for round := range 120 {
		loc := mustZone(t, zones[round%len(zones)])
		var days []time.Weekday
		for d := range 7 {
			if rng.IntN(3) > 0 {
				days = append(days, time.Weekday(d))
			}
		}
		start := rng.IntN(24) * 3600
		end := start + (1+rng.IntN(24-start/3600))*3600
		if start >= 1*3600 && start < 4*3600 || end > 1*3600 && end <= 4*3600 {
			start, end = 0, 86400 // keep wall-clock edges out of the DST hours
		}
		base := time.Date(2024, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		var holidays []time.Time
		for range rng.IntN(3) {
			holidays = append(holidays, base.AddDate(0, 0, rng.IntN(10)))
		}
		cal := NewCalendar(loc, days, start, end, holidays)
		isHoliday := map[string]bool{}
		for _, h := range holidays {
			isHoliday[h.Format(time.DateOnly)] = true
		}
		from := base.Add(time.Duration(rng.IntN(5*24*60)) * time.Minute)
		to := from.Add(time.Duration(rng.IntN(8*24*60)) * time.Minute)
		want := int64(0)
		for m := from; m.Before(to); m = m.Add(time.Minute) {
			l := m.In(loc)
			sec := l.Hour()*3600 + l.Minute()*60
			if cal.workdays[l.Weekday()] && !isHoliday[l.Format(time.DateOnly)] && sec >= start && sec < end {
				want += 60
			}
		}
		if got := cal.WorkSeconds(from, to); got == nil || *got != want {
			t.Fatalf("round %d (%s, %v %d-%d, holidays %v): %v to %v = %v, want %d",
				round, loc, days, start, end, holidays, from, to, fmtPtr(got), want)
		}
	}
}

func TestWorkTimeFor(t *testing.T) {
	berlin := NewCalendar(mustZone(t, "Europe/Berlin"), weekdays, 0, 86400, nil)
	def := NewCalendar(mustZone(t, "America/Los_Angeles"), weekdays, 0, 86400, nil)
	w := WorkTime{Default: def, Teams: map[string]*Calendar{"core": berlin}, TeamOf: map[string]string{"Ada": "core", "Bo": "web"}}
	if w.For("Ada") != berlin || w.For("Bo") != def || w.For("") != def {
		t.Error("For picks the wrong calendar")
	}
	if (WorkTime{}).For("Ada") != defaultCalendar {
		t.Error("without a default, For should give DefaultCalendar")
	}
}

func BenchmarkWorkSeconds(b *testing.B) {
	cal := NewCalendar(mustZone(b, "America/Los_Angeles"), weekdays, 9*3600, 17*3600, nil)
	from := time.Date(2021, 3, 1, 12, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	cal.WorkSeconds(from, to)
	for b.Loop() {
		cal.WorkSeconds(from, to)
	}
}
