package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// keyResults is dashboard 1 of dashboards/README.md: each target's baseline,
// goal, current value and trend. With targets (codepace provision reads them
// from the config) a row per target comes first; every named figure follows,
// its current value and its weekly trend, filtered by the dashboard
// variables.
func keyResults(o Options) (dashboard.Dashboard, error) {
	ds := o.dsUID()
	d := newBoard(ds, UIDKeyResults, "codepace · Key results",
		"Dashboard 1 of dashboards/README.md: the named figures that key results track, as `codepace report` computes them: the current value over the trailing 28 days and the weekly trend. Move the end of the time range to see the scoreboard as of a past date.",
		"now-180d", variables{project: true, cohort: true})

	scoreboard(d, ds)
	if len(o.Targets) > 0 {
		d.row("Targets")
		for _, t := range o.Targets {
			targetPanels(d, ds, t)
		}
	}

	d.row("Current value: trailing 28 days to the end of the time range")
	for _, f := range figures {
		fl := f.variableFilters()
		d.add(single(ds, panel{
			title: f.title,
			desc: fmt.Sprintf("Named figure %s (docs/definitions.md §18 \"Figure names\"): %s. Period: the trailing 28 days ending at the end of the time range, (to − 28 days, to]; an item counts by %s (docs/definitions.md §17 \"Periods\")%s. %s",
				f.name, f.definition(), f.period(), onDayNote(f), filterNote(f)),
			unit: f.unit, sql: f.currentSQL(fl), w: 4, h: 4,
		}, neutral()).GraphMode(common.BigValueGraphModeNone).TextMode(common.BigValueTextModeValue))
	}

	d.row("Trends")
	for _, f := range figures {
		fl := f.variableFilters()
		desc := fmt.Sprintf("Named figure %s (docs/definitions.md §18 \"Figure names\"): %s. Each point is the value over the 28 days ending at that Monday 00:00 UTC, as the weekly trend of `codepace report`; an item counts by %s (docs/definitions.md §17 \"Periods\"). %s",
			f.name, f.definition(), f.period(), filterNote(f))
		if f.onDay() {
			desc = fmt.Sprintf("Named figure %s (docs/definitions.md §18 \"Figure names\"): %s. Each point is one UTC day of review_backlog_daily. %s",
				f.name, f.definition(), filterNote(f))
		}
		d.add(series(ds, panel{title: f.title + " (" + f.name + ")", desc: desc, unit: f.unit, sql: f.trendSQL(fl), w: 8, h: 7}, neutral()).
			DisplayName(f.title))
	}
	return d.build()
}

// onDayNote explains the backlog figures' period.
func onDayNote(f figure) string {
	if f.onDay() {
		return "; the backlog figures take only the last day of the period, the day of `to`"
	}
	return ""
}

// filterNote says which dashboard variables a figure follows.
func filterNote(f figure) string {
	applies := []string{"source"}
	if f.project() {
		applies = append(applies, "project")
	}
	if f.cohort() {
		applies = append(applies, "cohort")
	}
	s := "Filtered by the variables " + strings.Join(applies, ", ")
	if !f.project() || !f.cohort() {
		var not []string
		if !f.project() {
			not = append(not, "project")
		}
		if !f.cohort() {
			not = append(not, "cohort")
		}
		s += "; " + strings.Join(not, " and ") + " do not apply to this figure"
	}
	return s + "."
}

// scoreboard adds the scoreboard as the last compute judged it (the view
// key_results, docs/definitions.md §18): how many targets have each status,
// and a row per target with the numbers `codepace report` prints.
func scoreboard(d *board, ds string) {
	d.row("Scoreboard as of the last compute (key_results)")
	counts := single(ds, panel{
		title: "Targets by status",
		desc:  "How many targets the last compute judged met, on track, behind, or without enough data (view key_results; docs/definitions.md §18 \"Status\"). The time range does not apply: the scoreboard is as of the compute.",
		unit:  unitCount,
		sql: `SELECT countIf(status = 'met') AS met, countIf(status = 'on_track') AS on_track,
    countIf(status = 'behind') AS behind, countIf(status = 'no_data') AS no_data
FROM key_results`, w: 6, h: 8,
	}, neutral()).ColorMode(common.BigValueColorModeBackground)
	for _, status := range statuses {
		counts.OverrideByName(status, fixedColor(statusColors[status]))
	}
	d.add(counts)
	d.add(grid(ds, panel{
		title: "Scoreboard",
		desc:  "Each target as `codepace report` shows it at the last compute (view key_results; docs/definitions.md §18 \"Key results\"): status, the current value over the 28 days before `at` with n (the values behind it) and its 95% interval, the glide-path value expected at `at`, baseline, goal and due date, in the target's unit. The time range does not apply.",
		unit:  unitNone,
		sql: `SELECT metric, filter, status, current, n, ci_low, ci_high, expected, baseline, goal, unit,
    toString(due) AS due, at
FROM key_results
ORDER BY position`, w: 18, h: 8,
	}, neutral()).
		Mappings(statusMappings()).
		OverrideByName("status", []dashboard.DynamicConfigValue{
			{Id: "custom.cellOptions", Value: map[string]any{"type": "color-background", "mode": "basic"}}}).
		OverrideByName("n", unitOf(unitCount)).
		OverrideByName("due", unitOf(unitText)).
		OverrideByName("at", unitOf(unitTime)))
}

// statuses are the four statuses (docs/definitions.md §18), and
// statusColors their colours, as the HTML report shows them.
var (
	statuses     = []string{"met", "on_track", "behind", "no_data"}
	statusColors = map[string]string{"met": "green", "on_track": "blue", "behind": "red", "no_data": "text"}
)

func fixedColor(color string) []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{{Id: "color", Value: map[string]any{"mode": "fixed", "fixedColor": color}}}
}

// statusMappings colour a status column.
func statusMappings() []dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	i := int32(0)
	for _, s := range statuses {
		text, color, idx := strings.ReplaceAll(s, "_", " "), statusColors[s], i
		opts[s] = dashboard.ValueMappingResult{Text: &text, Color: &color, Index: &idx}
		i++
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

// grafanaUnits maps a figure's unit to Grafana's.
var grafanaUnits = map[string]string{"seconds": "s", "minutes": unitMinutes, "hours": unitHours, "days": unitDays, "count": unitCount}

// targetPanels adds a target's panels, read from key_results where the
// last compute wrote it: its status with the current value, n, 95%
// interval and expected value; and its weekly trend with the glide path
// and the goal.
func targetPanels(d *board, ds string, t Target) {
	name := t.Metric
	if t.Filter != "" {
		name += " (" + t.Filter + ")"
	}
	unit, ok := grafanaUnits[t.Unit]
	if !ok {
		unit = unitNone
	}
	cond := "metric = " + quote(t.Metric) + " AND filter = " + quote(t.Filter)
	desc := fmt.Sprintf("Key result %s as the last compute judged it (view key_results; docs/definitions.md §18 \"Key results\"), the numbers of `codepace report`.", name)
	stat := single(ds, panel{
		title: name + ": status",
		desc:  desc + " Current: over the 28 days before the compute, with n and its 95% interval; expected: the glide path's value then.",
		unit:  unit,
		sql: `SELECT status, current, n, ci_low, ci_high, expected, baseline, goal
FROM key_results
WHERE ` + cond, w: 8, h: 7,
	}, neutral()).
		Mappings(statusMappings()).
		ColorMode(common.BigValueColorModeBackground).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false).Fields("/.*/")).
		OverrideByName("n", append(fixedColor("text"), unitOf(unitCount)...))
	for _, c := range []string{"current", "ci_low", "ci_high", "expected", "baseline", "goal"} {
		stat.OverrideByName(c, fixedColor("text"))
	}
	d.add(stat)

	title := name + " · due " + t.Due.Format("2006-01-02")
	d.add(series(ds, panel{
		title: title,
		desc: desc + " Each point is the figure over the 28 days ending then (the report's weekly trend, at the last compute); " +
			"the dotted line is the glide path, baseline + (goal − baseline)·f with f the share of the time from start to the end of the due day gone by, and the dashed line the goal. The time range does not apply.",
		unit: unit,
		sql: `SELECT t AS time, v AS value,
    baseline + (goal - baseline) * if(due_at > toUInt32(start), least(1, greatest(0, (toFloat64(toUInt32(t)) - toUInt32(start)) / (due_at - toUInt32(start)))), 1) AS glide_path,
    goal
FROM
(
    SELECT trend_at, trend, baseline, goal, start, (toUInt32(due) + 1) * 86400 AS due_at
    FROM key_results
    WHERE ` + cond + `
)
ARRAY JOIN trend_at AS t, trend AS v
ORDER BY time`, w: 16, h: 7,
	}, neutral()).
		OverrideByName("value", fixedColor("blue")).
		OverrideByName("glide_path", append(fixedColor("text"), dashboard.DynamicConfigValue{Id: "custom.lineStyle", Value: map[string]any{"fill": "dot", "dash": []int{2, 6}}})).
		OverrideByName("goal", append(fixedColor("green"), dashboard.DynamicConfigValue{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 10}}})))
}

// quote makes s a ClickHouse string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
