package dashboards

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// keyResults is SPEC dashboard 1: each target's baseline, goal, current
// value and trend. With targets (codepace provision reads them from the
// config) a row per target comes first; every named figure follows, its
// current value and its weekly trend, filtered by the dashboard variables.
func keyResults(o Options) (dashboard.Dashboard, error) {
	ds := o.dsUID()
	d := newBoard(ds, UIDKeyResults, "codepace · Key results",
		"SPEC dashboard 1: the named figures that key results track, as `codepace report` computes them: the current value over the trailing 28 days and the weekly trend. Move the end of the time range to see the scoreboard as of a past date.",
		"now-180d", variables{project: true, cohort: true})

	if len(o.Targets) > 0 {
		d.row("Targets")
		for i, t := range o.Targets {
			if err := targetPanels(d, ds, t); err != nil {
				return dashboard.Dashboard{}, fmt.Errorf("targets[%d]: %w", i, err)
			}
		}
	}

	d.row("Current value: trailing 28 days to the end of the time range")
	for _, f := range figures {
		fl := f.variableFilters()
		d.add(single(ds, panel{
			title: f.title,
			desc: fmt.Sprintf("Named figure %s (SPEC \"Named figures\"): %s. Period: the trailing 28 days ending at the end of the time range, (to − 28 days, to]; an item counts by %s (SPEC \"Periods\")%s. %s",
				f.name, f.definition(), f.period(), onDayNote(f), filterNote(f)),
			unit: f.unit, sql: f.currentSQL(fl), w: 4, h: 4,
		}, neutral()).GraphMode(common.BigValueGraphModeNone).TextMode(common.BigValueTextModeValue))
	}

	d.row("Trends")
	for _, f := range figures {
		fl := f.variableFilters()
		desc := fmt.Sprintf("Named figure %s (SPEC \"Named figures\"): %s. Each point is the value over the 28 days ending at that Monday 00:00 UTC, as the weekly trend of `codepace report`; an item counts by %s (SPEC \"Periods\"). %s",
			f.name, f.definition(), f.period(), filterNote(f))
		if f.onDay() {
			desc = fmt.Sprintf("Named figure %s (SPEC \"Named figures\"): %s. Each point is one UTC day of review_backlog_daily. %s",
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

// targetPanels adds a target's panels: its current value with baseline,
// goal and progress, and its trend with the goal and the baseline as lines.
func targetPanels(d *board, ds string, t Target) error {
	f, ok := figureNamed(t.Metric)
	if !ok {
		return fmt.Errorf("unknown figure %q", t.Metric)
	}
	fl, err := f.literalFilters(t.Source, t.Project, t.Cohort)
	if err != nil {
		return err
	}
	name := t.Metric
	if fs := targetFilterText(t); fs != "" {
		name += " (" + fs + ")"
	}
	title := name
	if t.Goal != nil {
		title += " · goal " + num(*t.Goal)
	}
	if !t.Due.IsZero() {
		title += " by " + t.Due.Format("2006-01-02")
	}
	desc := fmt.Sprintf("Key result on the named figure %s (SPEC \"Named figures\"): %s. Current: the trailing 28 days ending at the end of the time range, as `codepace report` computes it.",
		t.Metric, f.definition())

	th := neutral()
	cols := "if(n > 0, value, NULL) AS current"
	if t.Baseline != nil && t.Goal != nil {
		b, g := *t.Baseline, *t.Goal
		desc += fmt.Sprintf(" Baseline %s, goal %s; progress is the share of the way from baseline to goal.", num(b), num(g))
		cols += ", " + num(b) + " AS baseline, " + num(g) + " AS goal"
		if g != b {
			cols += fmt.Sprintf(", if(n > 0, (value - %s) / (%s), NULL) AS progress", num(b), num(g-b))
		}
		if g < b { // lower is better
			th = thresholds(base("green"), at(g, "orange"), at(b, "red"))
		} else {
			th = thresholds(base("red"), at(b, "orange"), at(g, "green"))
		}
	} else {
		desc += " The baseline is unknown (no data in its period), so there is no goal line."
	}
	current := strings.Replace(f.currentSQL(fl), "SELECT value FROM", "SELECT "+cols+" FROM", 1)
	current = strings.TrimSuffix(current, "\nWHERE n > 0")
	fixed := func(color string) []dashboard.DynamicConfigValue {
		return []dashboard.DynamicConfigValue{{Id: "color", Value: map[string]any{"mode": "fixed", "fixedColor": color}}}
	}
	stat := single(ds, panel{title: name + ": current", desc: desc, unit: f.unit, sql: current, w: 8, h: 7}, th).
		ColorMode(common.BigValueColorModeValue)
	if t.Baseline != nil && t.Goal != nil {
		stat.OverrideByName("baseline", fixed("text")).OverrideByName("goal", fixed("blue"))
		if *t.Goal != *t.Baseline {
			stat.OverrideByName("progress", append(fixed("text"), dashboard.DynamicConfigValue{Id: "unit", Value: unitRatio}))
		}
	}
	d.add(stat)

	trendDesc := desc + " Trend: each point is the value over the 28 days ending at that Monday 00:00 UTC (each day, for backlog figures); the dashed lines are the goal and the baseline."
	d.add(series(ds, panel{title: title, desc: trendDesc, unit: f.unit, sql: f.trendSQL(fl), w: 16, h: 7}, th).
		DisplayName(t.Metric).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdFixed).FixedColor("text")))
	return nil
}

func targetFilterText(t Target) string {
	var parts []string
	for _, kv := range [][2]string{{"source", t.Source}, {"project", t.Project}, {"cohort", t.Cohort}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, ", ")
}

// num formats a number as a SQL literal and for titles.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
