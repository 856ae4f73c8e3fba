package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gt "github.com/codepace/codepace/collectors/gerrit/gerrittest"
)

// krCase is one target of TestKeyResultsAgree with its independent
// computation: hand-written SQL over the views and ClickHouse's own
// aggregates, not the figure registry nor package keyresults.
type krCase struct {
	metric, filter string // the filter as YAML flow mapping, "" for none
	// values selects the values of one period, {F} and {T} its bounds;
	// for a count it selects the count; for the backlog, {T} only.
	values string
	// kind: "mean", "quantile", "count", "backlog_mean", "backlog_open", "manual".
	kind string
	p    float64 // the quantile
	unit float64
	// target gives the target's numbers, from the current value c for
	// those that force a status.
	target func(c float64) krTarget
}

// krTarget is a target's baseline, goal and dates.
type krTarget struct {
	baseline float64
	period   bool // baseline over krBaselineFrom..krBaselineTo instead
	goal     float64
	relative bool // goal in percent of the baseline
	start    string
	due      string
	minN     int
	manual   bool
}

// The baseline period: 2024-07-01 to 2024-09-30, both days included.
var krBaselineFrom, krBaselineEnd = time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)

// yaml renders the target's keys after metric.
func (k krTarget) yaml() string {
	var parts []string
	if k.manual {
		parts = append(parts, "manual: true")
	}
	if k.period {
		parts = append(parts, "baseline: {from: 2024-07-01, to: 2024-09-30}")
	} else {
		parts = append(parts, fmt.Sprintf("baseline: %v", k.baseline))
	}
	if k.relative {
		parts = append(parts, fmt.Sprintf(`goal: "%+g%%"`, k.goal))
	} else {
		parts = append(parts, fmt.Sprintf("goal: %v", k.goal))
	}
	parts = append(parts, "due: "+k.due)
	if k.start != "" {
		parts = append(parts, "start: "+k.start)
	}
	if k.minN != 0 {
		parts = append(parts, fmt.Sprintf("min_n: %d", k.minN))
	}
	return strings.Join(parts, ", ")
}

// krAt is `report --at 2025-03-31`: the end of that day.
var krAt = time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)

// TestKeyResultsAgree is issue 13's done-when check: over a generated
// history of 1,700 changes, `report --format json` agrees with an
// independent computation on every field docs/definitions.md §18 lists,
// for means, p50, p75 and p90, cohort, team, project-glob and job filters,
// baseline periods, counts, the backlog, manual values and all four
// statuses.
func TestKeyResultsAgree(t *testing.T) {
	history := gt.Generate(gt.GenOptions{Seed: 13, Changes: 1700, Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Years: 1.5, Projects: 8})
	var people strings.Builder
	people.WriteString("people:\n")
	var team []string
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&people, "  - {name: \"Dev %d\", team: core-team, accounts: [\"demo:dev%d\"]}\n", i, i)
		team = append(team, fmt.Sprintf("'Dev %d'", i))
	}
	e := setup(t, history, people.String())
	e.mustRun(t, "run")
	base, err := os.ReadFile(e.conf)
	if err != nil {
		t.Fatal(err)
	}
	// The busiest job, for the job filter.
	job := strings.Split(e.rows(t, "SELECT job, count() AS c FROM DB.builds GROUP BY job ORDER BY c DESC, job LIMIT 1")[0], " | ")[0]
	teamIn := "(" + strings.Join(team, ", ") + ")"
	period := "%s >= {F} AND %s < {T}"
	in := func(col string) string { return fmt.Sprintf(period, col, col) }
	periodGoal := func(goal float64) func(float64) krTarget {
		return func(float64) krTarget { return krTarget{period: true, goal: goal, relative: true, due: "2025-12-31"} }
	}
	cases := []krCase{
		{metric: "time_to_merge_mean_days", filter: "{cohort: ramped}", kind: "mean", unit: 86400,
			values: "SELECT time_to_merge_s AS x FROM DB.change_metrics WHERE status = 'merged' AND owner_is_bot = 0 AND owner_cohort = 'ramped' AND time_to_merge_s IS NOT NULL AND " + in("merged_at"),
			target: periodGoal(-10)},
		{metric: "time_to_first_review_p50_hours", filter: "{cohort: new}", kind: "quantile", p: 0.5, unit: 3600,
			values: "SELECT time_to_first_review_s AS x FROM DB.change_metrics WHERE owner_is_bot = 0 AND owner_cohort = 'new' AND time_to_first_review_s IS NOT NULL AND " + in("first_review_at"),
			target: func(c float64) krTarget { return krTarget{baseline: 2 * c, goal: 1.5 * c, due: "2025-12-31"} }}, // met
		{metric: "cycle_time_p90_days", filter: `{project: "extensions/*"}`, kind: "quantile", p: 0.9, unit: 86400,
			values: "SELECT cycle_time_s AS x FROM DB.change_metrics WHERE status = 'merged' AND owner_is_bot = 0 AND project LIKE 'extensions/%' AND cycle_time_s IS NOT NULL AND " + in("merged_at"),
			target: func(c float64) krTarget { // behind: half way, expected 0.85c
				return krTarget{baseline: 1.2 * c, goal: 0.5 * c, start: "2024-10-01", due: "2025-09-30", minN: 5}
			}},
		{metric: "time_to_first_review_p75_hours", filter: "{team: core-team}", kind: "quantile", p: 0.75, unit: 3600,
			values: "SELECT time_to_first_review_s AS x FROM DB.change_metrics WHERE owner_is_bot = 0 AND owner IN " + teamIn + " AND time_to_first_review_s IS NOT NULL AND " + in("first_review_at"),
			target: func(c float64) krTarget { // on track: a quarter of the way, expected 1.25c
				return krTarget{baseline: 1.5 * c, goal: 0.5 * c, start: "2025-01-01", due: "2025-12-31"}
			}},
		{metric: "build_duration_mean_minutes", filter: "{job: " + job + "}", kind: "mean", unit: 60,
			values: "SELECT duration_s AS x FROM DB.builds WHERE job = '" + job + "' AND duration_s IS NOT NULL AND " + in("finished_at"),
			target: periodGoal(-10)},
		{metric: "build_spikes", kind: "count",
			values: "SELECT toFloat64(countIf(is_spike = 1)) FROM DB.builds WHERE " + in("finished_at"),
			target: periodGoal(-20)},
		{metric: "changes_merged", kind: "count",
			values: "SELECT toFloat64(count()) FROM DB.change_metrics WHERE status = 'merged' AND owner_is_bot = 0 AND " + in("merged_at"),
			target: periodGoal(10)},
		{metric: "review_backlog_mean_age_days", kind: "backlog_mean",
			target: func(float64) krTarget { return krTarget{baseline: 59.22, goal: -20, relative: true, due: "2025-12-31"} }},
		{metric: "review_backlog_open", kind: "backlog_open",
			target: periodGoal(-20)},
		{metric: "newcomer_time_to_first_merge_p50_days", filter: "{team: core-team}", kind: "quantile", p: 0.5, unit: 86400,
			values: "SELECT time_to_first_merge_s AS x FROM DB.newcomers WHERE person IN " + teamIn + " AND time_to_first_merge_s IS NOT NULL AND " + in("first_merge_at"),
			target: func(float64) krTarget { return krTarget{baseline: 30, goal: 20, due: "2025-12-31", minN: 100000} }}, // no_data
		{metric: "developer_satisfaction", kind: "manual",
			target: func(float64) krTarget { return krTarget{manual: true, period: true, goal: 4.2, due: "2025-12-31"} }},
	}
	recorded := map[string]float64{"2024-07-15": 3.6, "2024-09-30": 4.0, "2025-02-01": 3.9, "2025-03-31": 4.1, "2025-04-01": 9}

	weeks := []time.Time{krAt.Add(-14 * day), krAt.Add(-7 * day), krAt}
	var targets strings.Builder
	targets.WriteString("\ntargets:\n")
	want := make([]map[string]any, len(cases))
	for i, c := range cases {
		var trend []map[string]any
		for _, w := range weeks {
			v, n, lo, hi := krValue(t, e, c, w.Add(-28*day), w, recorded)
			trend = append(trend, map[string]any{"at": w.Format(time.RFC3339), "value": v, "n": n, "ci_low": lo, "ci_high": hi})
		}
		cur := trend[len(trend)-1]
		cv, _ := cur["value"].(float64)
		spec := c.target(cv)
		fmt.Fprintf(&targets, "  - {metric: %s, %s", c.metric, spec.yaml())
		if c.filter != "" {
			fmt.Fprintf(&targets, ", filter: %s", c.filter)
		}
		targets.WriteString("}\n")
		w := map[string]any{"metric": c.metric, "current": cur["value"], "n": cur["n"], "ci_low": cur["ci_low"], "ci_high": cur["ci_high"],
			"trend": trend}
		krJudge(t, e, c, spec, w, recorded)
		want[i] = w
	}
	if err := os.WriteFile(e.conf, append(base, targets.String()...), 0o600); err != nil {
		t.Fatal(err)
	}
	// Manual values, flags before and after the arguments, one replaced.
	e.mustRun(t, "record", "developer_satisfaction", "3.6", "--at", "2024-07-15")
	e.mustRun(t, "record", "--at", "2024-09-30", "developer_satisfaction", "3.5", "--note", "typo")
	csvFile := filepath.Join(t.TempDir(), "survey.csv")
	var lines []string
	lines = append(lines, "metric,at,value,note")
	for _, d := range []string{"2024-09-30", "2025-02-01", "2025-03-31", "2025-04-01"} {
		lines = append(lines, fmt.Sprintf("developer_satisfaction,%s,%g,survey", d, recorded[d]))
	}
	if err := os.WriteFile(csvFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.mustRun(t, "record", "--file", csvFile)
	if out, err := e.codepace(t, "record", "time_to_merge_p50_days", "3"); err == nil || !strings.Contains(out, "is a computed figure") {
		t.Errorf("record of a computed figure: %v\n%s", err, out)
	}

	out := e.mustRun(t, "report", "--format", "json", "--at", "2025-03-31", "--weeks", "3")
	var got []map[string]any
	if err := json.Unmarshal([]byte(out[strings.Index(out, "["):]), &got); err != nil {
		t.Fatalf("report json: %v\n%s", err, out)
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	statuses := map[string]bool{}
	for i, w := range want {
		g := got[i]
		for k, wv := range w {
			if k == "trend" {
				gt, _ := g["trend"].([]any)
				wt := wv.([]map[string]any)
				if len(gt) != len(wt) {
					t.Errorf("%s: trend of %d points, want %d", w["metric"], len(gt), len(wt))
					continue
				}
				for j, p := range wt {
					gp := gt[j].(map[string]any)
					for pk, pv := range p {
						krCompare(t, fmt.Sprintf("%s trend[%d].%s", w["metric"], j, pk), gp[pk], pv)
					}
				}
				continue
			}
			krCompare(t, fmt.Sprintf("%s.%s", w["metric"], k), g[k], wv)
		}
		statuses[fmt.Sprint(g["status"])] = true
	}
	for _, s := range []string{"met", "on_track", "behind", "no_data"} {
		if !statuses[s] {
			t.Errorf("no target is %s: %v", s, statuses)
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s", out)
		t.Log(e.mustRun(t, "report", "--at", "2025-03-31", "--weeks", "3"))
	}
}

// krValue computes a case's figure over [from, to) independently: its
// value, n and 95% interval (nil where none).
func krValue(t *testing.T, e *env, c krCase, from, to time.Time, recorded map[string]float64) (v, n, lo, hi any) {
	t.Helper()
	lit := func(x time.Time) string { return "toDateTime('" + x.Format(time.DateTime) + "', 'UTC')" }
	q := strings.NewReplacer("{F}", lit(from), "{T}", lit(to)).Replace(c.values)
	switch c.kind {
	case "manual":
		var latest any
		var latestDay string
		for d, val := range recorded {
			if day, _ := time.Parse(time.DateOnly, d); day.Before(to) && d > latestDay {
				latest, latestDay = val, d
			}
		}
		return latest, nil, nil, nil
	case "count":
		var x float64
		if err := e.conn.QueryRow(context.Background(), strings.ReplaceAll(q, "DB.", e.db+".")).Scan(&x); err != nil {
			t.Fatal(err)
		}
		return x * float64(28*day) / float64(to.Sub(from)), nil, nil, nil
	case "backlog_open", "backlog_mean":
		// The backlog at the end of the period's last day, from
		// review_backlog_daily (metrics.Backlog, another code path).
		var open uint64
		var mean float64
		err := e.conn.QueryRow(context.Background(), fmt.Sprintf(`SELECT toUInt64(sum(open_ready)), if(sum(open_ready) > 0, sum(mean_age_days * open_ready) / sum(open_ready), nan)
			FROM %s.review_backlog_daily WHERE day = toDate('%s')`, e.db, to.Add(-day).Format(time.DateOnly))).Scan(&open, &mean)
		if err != nil {
			t.Fatal(err)
		}
		if c.kind == "backlog_open" {
			return float64(open), nil, nil, nil
		}
		// The interval needs each age: from the per-change backlog.
		var sd float64
		err = e.conn.QueryRow(context.Background(), fmt.Sprintf(`SELECT stddevSamp(toInt64(%s) - toInt64(ready_at)) FROM %s.review_backlog_changes
			WHERE from_at <= %s AND (to_at IS NULL OR to_at > %s)`, lit(to), e.db, lit(to), lit(to))).Scan(&sd)
		if err != nil {
			t.Fatal(err)
		}
		half := 1.959964 * sd / math.Sqrt(float64(open)) / 86400
		return mean, float64(open), mean - half, mean + half
	}
	var vals []int64
	rows, err := e.conn.Query(context.Background(), strings.ReplaceAll(q, "DB.", e.db+"."))
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	for rows.Next() {
		var x int64
		if err := rows.Scan(&x); err != nil {
			t.Fatal(err)
		}
		vals = append(vals, x)
	}
	rows.Close()
	slices.Sort(vals)
	k := len(vals)
	if k == 0 {
		return nil, 0.0, nil, nil
	}
	if c.kind == "mean" {
		var sum, ss float64
		for _, x := range vals {
			sum += float64(x)
		}
		m := sum / float64(k)
		if k < 2 {
			return m / c.unit, float64(k), nil, nil
		}
		for _, x := range vals {
			ss += (float64(x) - m) * (float64(x) - m)
		}
		half := 1.959964 * math.Sqrt(ss/float64(k-1)/float64(k))
		return m / c.unit, float64(k), (m - half) / c.unit, (m + half) / c.unit
	}
	v = float64(vals[int(c.p*float64(k))]) / c.unit
	// The position ⌊p·n⌋ is ClickHouse's quantileExact.
	var qe float64
	if err := e.conn.QueryRow(context.Background(), "SELECT toFloat64(quantileExact("+fmt.Sprint(c.p)+")(x)) FROM ("+
		strings.ReplaceAll(q, "DB.", e.db+".")+")").Scan(&qe); err != nil || qe/c.unit != v {
		t.Errorf("%s: quantileExact %v (%v), sorted values give %v", c.metric, qe/c.unit, err, v)
	}
	if k < 5 {
		return v, float64(k), nil, nil
	}
	qq := c.p * float64(k)
	h := 1.959964 * math.Sqrt(float64(k)*c.p*(1-c.p))
	l := max(1, int(math.Floor(qq-h)))
	u := min(k, int(math.Ceil(qq+h))+1)
	return v, float64(k), float64(vals[l-1]) / c.unit, float64(vals[u-1]) / c.unit
}

// krJudge fills in a case's baseline, goal, expected value, status and
// dates as docs/definitions.md §18 defines them, from the independent
// values.
func krJudge(t *testing.T, e *env, c krCase, k krTarget, w map[string]any, recorded map[string]float64) {
	t.Helper()
	var baseline, baselineN any = k.baseline, nil
	if k.period {
		baseline, baselineN, _, _ = krValue(t, e, c, krBaselineFrom, krBaselineEnd, recorded)
		if c.kind == "manual" { // the mean of the values recorded in the period
			var sum float64
			var n int
			for d, v := range recorded {
				if day, _ := time.Parse(time.DateOnly, d); !day.Before(krBaselineFrom) && day.Before(krBaselineEnd) {
					sum += v
					n++
				}
			}
			baseline = sum / float64(n)
		}
	}
	due, _ := time.Parse(time.DateOnly, k.due)
	dueEnd := due.Add(day)
	start := dueEnd.AddDate(-1, 0, 0)
	if k.period {
		start = krBaselineEnd
	}
	if k.start != "" {
		start, _ = time.Parse(time.DateOnly, k.start)
	}
	w["baseline"], w["baseline_n"], w["due"], w["start"], w["due_at"] = baseline, baselineN, k.due, start.Format(time.RFC3339), dueEnd.Format(time.RFC3339)
	w["min_n"] = float64(cmpOr(k.minN, 20))
	w["at"] = krAt.Format(time.RFC3339)
	b, ok := baseline.(float64)
	if !ok {
		w["goal"], w["expected"], w["status"], w["on_track"] = nil, nil, "no_data", nil
		return
	}
	goal := k.goal
	if k.relative {
		goal = b * (1 + k.goal/100)
	}
	f := math.Min(1, math.Max(0, float64(krAt.Sub(start))/float64(dueEnd.Sub(start))))
	expected := b + (goal-b)*f
	w["goal"], w["expected"] = goal, expected
	cur, hasCur := w["current"].(float64)
	n, hasN := w["n"].(float64)
	better := func(x, than float64) bool {
		if goal > b {
			return x >= than
		}
		return x <= than
	}
	switch {
	case !hasCur || hasN && n < w["min_n"].(float64):
		w["status"], w["on_track"] = "no_data", nil
	case better(cur, goal):
		w["status"], w["on_track"] = "met", true
	case better(cur, expected):
		w["status"], w["on_track"] = "on_track", true
	default:
		w["status"], w["on_track"] = "behind", false
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// krCompare compares a JSON value of the report with the independent one:
// numbers to a relative 1e-9 (the backlog's mean age to 1e-6 days, since
// review_backlog_daily keeps sub-second ages), nulls, strings and booleans
// exactly.
func krCompare(t *testing.T, what string, got, want any) {
	t.Helper()
	wf, wIsNum := want.(float64)
	gf, gIsNum := got.(float64)
	switch {
	case wIsNum && gIsNum:
		tol := 1e-9 * math.Max(1, math.Abs(wf))
		if strings.HasPrefix(what, "review_backlog_mean_age_days") {
			tol = 1e-6
		}
		if math.Abs(gf-wf) > tol {
			t.Errorf("%s = %v, want %v", what, gf, wf)
		}
	case wIsNum != gIsNum || fmt.Sprint(got) != fmt.Sprint(want):
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
