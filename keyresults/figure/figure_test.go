package figure

import (
	"strings"
	"testing"
	"time"
)

func TestParseFirstVersionNames(t *testing.T) {
	// Every name of the first version keeps working.
	for name, want := range map[string]string{
		"time_to_first_review_p50_hours":         "time_to_first_review p50 hours",
		"time_to_merge_p50_days":                 "time_to_merge p50 days",
		"cycle_time_p50_days":                    "cycle_time p50 days",
		"review_backlog_open":                    "review_backlog_open  ",
		"review_backlog_mean_age_days":           "review_backlog_age mean days",
		"newcomer_time_to_first_review_p50_days": "newcomer_time_to_first_review p50 days",
		"newcomer_time_to_first_merge_p50_days":  "newcomer_time_to_first_merge p50 days",
		"build_duration_mean_minutes":            "build_duration mean minutes",
		"build_duration_p95_minutes":             "build_duration p95 minutes",
		"build_spikes":                           "build_spikes  ",
		"review_rounds_p90_count":                "review_rounds p90 count",
		"build_queue_max_seconds":                "build_queue max seconds",
	} {
		f, err := Parse(name)
		if err != nil {
			t.Errorf("Parse(%q): %v", name, err)
			continue
		}
		if got := f.Measure.Name + " " + f.Stat.Name + " " + f.Unit.Name; got != want {
			t.Errorf("Parse(%q) = %q, want %q", name, got, want)
		}
		if f.Name != name {
			t.Errorf("Parse(%q).Name = %q", name, f.Name)
		}
	}
}

func TestParseErrorsListChoices(t *testing.T) {
	for name, want := range map[string][]string{
		"time_to_merge_p51_days":   {`unknown statistic "p51"`, "mean, p50, p75, p90, p95, max"},
		"time_to_merge_p50_weeks":  {`unknown unit "weeks"`, "seconds, minutes, hours, days"},
		"review_rounds_p50_days":   {`unknown unit "days"`, "units: count"},
		"time_to_merge_p50_count":  {`unknown unit "count"`},
		"time_to_merge":            {"needs a statistic and a unit"},
		"build_spikes_mean_count":  {"is a count and takes no statistic"},
		"time_to_merj_p50_days":    {`did you mean "time_to_merge_p50_days"`, "measures: time_to_first_review, "},
		"reviews_p50_days":         {"unknown figure", "build_spikes"},
		"time_to_merge_mean_days_": {`unknown unit "days_"`},
	} {
		_, err := Parse(name)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", name)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Parse(%q) = %v; want it to contain %q", name, err, w)
			}
		}
	}
}

func TestNamesAllParse(t *testing.T) {
	names := Names()
	if len(names) < 100 {
		t.Fatalf("only %d names", len(names))
	}
	for _, n := range names {
		if _, err := Parse(n); err != nil {
			t.Errorf("Parse(%q): %v", n, err)
		}
	}
}

func TestCheckFilter(t *testing.T) {
	f, _ := Parse("build_duration_mean_minutes")
	if err := f.CheckFilter(Job); err != nil {
		t.Errorf("job: %v", err)
	}
	err := f.CheckFilter(Cohort)
	if err == nil || !strings.Contains(err.Error(), "it takes source, project, system, pipeline, job") {
		t.Errorf("cohort on a build figure: %v", err)
	}
	if err := f.CheckFilter("colour"); err == nil || !strings.Contains(err.Error(), "filters: source, project, cohort, team") {
		t.Errorf("unknown filter: %v", err)
	}
	n, _ := Parse("newcomers")
	if err := n.CheckFilter(Project); err == nil {
		t.Error("newcomers take no project filter")
	}
}

func TestQuerySQL(t *testing.T) {
	from := time.Date(2019, 9, 3, 0, 0, 0, 0, time.UTC)
	to := from.Add(28 * 24 * time.Hour)
	f, _ := Parse("time_to_merge_p90_days")
	sql, args := Query{Measure: f.Measure, From: from, To: to, Members: []string{"Ann", "Bo"},
		Filter: Filter{Source: "wm", Project: "mediawiki/extensions/*", Team: "core"}}.SQL()
	want := "SELECT toFloat64(time_to_merge_s) FROM change_metrics WHERE merged_at >= ? AND merged_at < ? AND " +
		"owner_is_bot = 0 AND merged_at IS NOT NULL AND time_to_merge_s IS NOT NULL AND source = ? AND match(project, ?) AND owner_person IN (?, ?)"
	if sql != want {
		t.Errorf("SQL:\n%s\nwant\n%s", sql, want)
	}
	if len(args) != 6 || args[3] != `^mediawiki/extensions/.*\z` || args[5] != "Bo" {
		t.Errorf("args %v", args)
	}
	b, _ := Parse("review_backlog_open")
	sql, args = Query{Measure: b.Measure, From: from, To: to, Filter: Filter{Team: "nobody"}}.SQL()
	if !strings.HasPrefix(sql, "SELECT toFloat64(count()) FROM review_backlog_changes WHERE from_at <= ? AND (to_at IS NULL OR to_at > ?)") ||
		!strings.HasSuffix(sql, " AND 0") || len(args) != 2 || args[0] != to {
		t.Errorf("backlog SQL %s %v", sql, args)
	}
	a, _ := Parse("review_backlog_age_p50_days")
	sql, args = Query{Measure: a.Measure, From: from, To: to}.SQL()
	if !strings.HasPrefix(sql, "SELECT toFloat64(toInt64(?) - toInt64(ready_at))") || len(args) != 3 {
		t.Errorf("backlog age SQL %s %v", sql, args)
	}
}

func TestGlobRegexp(t *testing.T) {
	for glob, want := range map[string]string{
		"mediawiki/extensions/*": `^mediawiki/extensions/.*\z`,
		"a.b?":                   `^a\.b.\z`,
		"x+(y)":                  `^x\+\(y\)\z`,
	} {
		if got := GlobRegexp(glob); got != want {
			t.Errorf("GlobRegexp(%q) = %q, want %q", glob, got, want)
		}
	}
}

func TestParseWhoseTurnAndWorkTime(t *testing.T) {
	for name, want := range map[string]string{
		"review_backlog_waiting_on_reviewer":  "review_backlog_waiting_on_reviewer  ",
		"reviewer_wait_mean_days":             "reviewer_wait mean days",
		"reviewer_wait_p90_hours":             "reviewer_wait p90 hours",
		"time_to_first_review_work_p50_hours": "time_to_first_review_work p50 hours",
		"time_to_first_review_p50_hours":      "time_to_first_review p50 hours",
		"time_to_merge_work_mean_days":        "time_to_merge_work mean days",
		"cycle_time_work_p75_days":            "cycle_time_work p75 days",
	} {
		f, err := Parse(name)
		if err != nil {
			t.Errorf("Parse(%q): %v", name, err)
			continue
		}
		if got := f.Measure.Name + " " + f.Stat.Name + " " + f.Unit.Name; got != want {
			t.Errorf("Parse(%q) = %q, want %q", name, got, want)
		}
	}
	f, _ := Parse("reviewer_wait_mean_days")
	at := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	sql, args := Query{Measure: f.Measure, Filter: Filter{Cohort: "new"}, To: at}.SQL()
	want := "SELECT toFloat64(toInt64(?) - toInt64(waiting_since)) FROM reviewer_waits WHERE from_at <= ? AND (to_at IS NULL OR to_at > ?) AND owner_cohort = ?"
	if sql != want || len(args) != 4 {
		t.Errorf("SQL:\n got %s %v\nwant %s", sql, args, want)
	}
}
