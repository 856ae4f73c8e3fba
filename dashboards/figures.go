package dashboards

import (
	"fmt"
	"strings"
)

// figure is one of SPEC's named figures as the dashboards compute it. The
// definitions are those of store/figures.go (what `codepace report` uses);
// a test checks that both give the same value on the same data.
type figure struct {
	name string
	// title and unit are how the dashboards show it.
	title, unit string
	// value and count are aggregates over table; count says how many
	// items the value is made of (no item: no value).
	value, count, table string
	// period is the column saying when an item's measured interval ended
	// (SPEC "Periods").
	period string
	// where is a fixed extra condition.
	where string
	// project and cohort say which filters apply.
	project, cohort bool
	// onDay marks the backlog figures, taken on the last day of the period.
	onDay bool
	// definition is the SPEC definition, for panel descriptions.
	definition string
}

// humanChanges leaves bot-owned changes out, as the scoreboard does.
const humanChanges = "owner_is_bot = 0"

// figures are SPEC's named figures, in SPEC's order.
var figures = []figure{
	{name: "time_to_first_review_p50_hours", title: "Time to first review, p50", unit: unitHours,
		value: "quantileExact(0.5)(time_to_first_review_s) / 3600", count: "count(time_to_first_review_s)",
		table: "change_metrics", period: "first_review_at", where: humanChanges, project: true, cohort: true,
		definition: "median of time_to_first_review_s = first_review_at − ready_at (first review action at or after ready_at), in hours, over changes whose first review falls in the period; bot-owned changes excluded"},
	{name: "time_to_merge_p50_days", title: "Time to merge, p50", unit: unitDays,
		value: "quantileExact(0.5)(time_to_merge_s) / 86400", count: "count(time_to_merge_s)",
		table: "change_metrics", period: "merged_at", where: humanChanges, project: true, cohort: true,
		definition: "median of time_to_merge_s = merged_at − ready_at, in days, over changes merged in the period; bot-owned changes excluded"},
	{name: "cycle_time_p50_days", title: "Cycle time, p50", unit: unitDays,
		value: "quantileExact(0.5)(cycle_time_s) / 86400", count: "count(cycle_time_s)",
		table: "change_metrics", period: "merged_at", where: humanChanges, project: true, cohort: true,
		definition: "median of cycle_time_s = merged_at − min(created_at, author date of the current revision's commit), in days, over changes merged in the period; bot-owned changes excluded"},
	{name: "review_backlog_open", title: "Review backlog, open ready changes", unit: unitCount,
		value: "sum(open_ready)", count: "count()",
		table: "review_backlog_daily", period: "day", onDay: true, project: true,
		definition: "changes open and ready (not WIP, not merged, not abandoned) at the end of the last day of the period (review_backlog_daily.open_ready)"},
	{name: "review_backlog_mean_age_days", title: "Review backlog, mean age", unit: unitDays,
		value: "sum(mean_age_days * open_ready) / sum(open_ready)", count: "sum(open_ready)",
		table: "review_backlog_daily", period: "day", onDay: true, project: true,
		definition: "mean age since ready_at, in days, of the changes open and ready at the end of the last day of the period (review_backlog_daily.mean_age_days weighted by open_ready)"},
	{name: "newcomer_time_to_first_review_p50_days", title: "Newcomers: time to first review, p50", unit: unitDays,
		value: "quantileExact(0.5)(time_to_first_review_s) / 86400", count: "count(time_to_first_review_s)",
		table: "newcomers", period: "first_review_at",
		definition: "median, in days, of the newcomer milestone time to first review on a person's first change, over people whose first change got its first review in the period"},
	{name: "newcomer_time_to_first_merge_p50_days", title: "Newcomers: time to first merge, p50", unit: unitDays,
		value: "quantileExact(0.5)(time_to_first_merge_s) / 86400", count: "count(time_to_first_merge_s)",
		table: "newcomers", period: "first_merge_at",
		definition: "median, in days, of time_to_first_merge_s = first merged change's merged_at − first change's created_at, over people whose first merge falls in the period"},
	{name: "build_duration_mean_minutes", title: "Build duration, mean", unit: unitMinutes,
		value: "avg(duration_s) / 60", count: "count(duration_s)",
		table: "builds", period: "finished_at", project: true,
		definition: "mean duration_s of the builds (CI job runs) finished in the period, in minutes, every system, pipeline and result included"},
	{name: "build_duration_p95_minutes", title: "Build duration, p95", unit: unitMinutes,
		value: "quantileExact(0.95)(duration_s) / 60", count: "count(duration_s)",
		table: "builds", period: "finished_at", project: true,
		definition: "95th percentile (quantileExact) of duration_s of the builds finished in the period, in minutes"},
	{name: "build_spikes", title: "Build spikes", unit: unitCount,
		value: "sum(is_spike)", count: "count()",
		table: "builds", period: "finished_at", project: true,
		definition: "count of build spikes finished in the period: builds longer than both ratio × the median of the same job's successful builds of the preceding window_days and that median + floor_s, given at least min_builds of them"},
}

// figureNamed returns the named figure.
func figureNamed(name string) (figure, bool) {
	for _, f := range figures {
		if f.name == name {
			return f, true
		}
	}
	return figure{}, false
}

// filters are the conditions a figure's query applies besides its period.
type filters struct {
	// conds are SQL conditions (variables or literals).
	conds []string
}

// variableFilters filters a figure by the dashboard variables it allows.
func (f figure) variableFilters() filters {
	c := []string{bySource}
	if f.project {
		c = append(c, byProject)
	}
	if f.cohort {
		c = append(c, byCohort)
	}
	return filters{conds: c}
}

// literalFilters filters a figure by a target's filter; it fails when the
// figure does not allow one of them, as store.Figure does.
func (f figure) literalFilters(source, project, cohort string) (filters, error) {
	var c []string
	if source != "" {
		c = append(c, "source = "+quote(source))
	}
	if project != "" {
		if !f.project {
			return filters{}, fmt.Errorf("%s has no project; drop filter.project", f.name)
		}
		c = append(c, "project = "+quote(project))
	}
	if cohort != "" {
		if !f.cohort {
			return filters{}, fmt.Errorf("%s has no cohort; drop filter.cohort", f.name)
		}
		c = append(c, "owner_cohort = "+quote(cohort))
	}
	return filters{conds: c}, nil
}

// quote makes s a ClickHouse string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func (f figure) conds(fl filters, period ...string) string {
	c := append([]string{}, period...)
	if f.where != "" {
		c = append(c, f.where)
	}
	c = append(c, fl.conds...)
	return where(c...)
}

// currentSQL is the figure over the trailing 28 days ending at the end of
// the dashboard's time range, (to − 28 days, to], as `codepace report`
// computes the current value; the backlog figures take the day of `to`.
// No row when no item falls in the period.
func (f figure) currentSQL(fl filters) string {
	period := []string{f.period + " > $__toTime - INTERVAL 28 DAY", f.period + " <= $__toTime"}
	if f.onDay {
		period = []string{f.period + " = toDate($__toTime, 'UTC')"}
	}
	return fmt.Sprintf(`SELECT value FROM
(
    SELECT toFloat64(%s) AS value, toUInt64(%s) AS n
    FROM %s
    WHERE %s
)
WHERE n > 0`, f.value, f.count, f.table, indent(f.conds(fl, period...), 4))
}

// trendSQL is the figure's trend. Change and build figures: at each Monday
// 00:00 UTC of the time range, the value over the trailing 28 days ending
// then (what `codepace report` shows as its weekly trend); each item is
// counted toward the four Mondays whose period (Monday − 28 days, Monday]
// holds its period column. Backlog figures: the value of each day.
func (f figure) trendSQL(fl filters) string {
	if f.onDay {
		return fmt.Sprintf(`SELECT day, value FROM
(
    SELECT day, toFloat64(%s) AS value, toUInt64(%s) AS n
    FROM %s
    WHERE %s
    GROUP BY day
)
WHERE n > 0
ORDER BY day`, f.value, f.count, f.table,
			indent(f.conds(fl, "day >= toDate($__fromTime, 'UTC')", "day <= toDate($__toTime, 'UTC')"), 4))
	}
	return fmt.Sprintf(`SELECT week, value FROM
(
    SELECT week, toFloat64(%s) AS value, toUInt64(%s) AS n
    FROM
    (
        SELECT *, toMonday(assumeNotNull(%s) - 1) + arrayJoin([7, 14, 21, 28]) AS week
        FROM %s
        WHERE %s
    )
    WHERE week >= toDate($__fromTime, 'UTC') AND week <= toDate($__toTime, 'UTC')
    GROUP BY week
)
WHERE n > 0
ORDER BY week`, f.value, f.count, f.period, f.table,
		indent(f.conds(fl, f.period+" > $__fromTime - INTERVAL 28 DAY", f.period+" <= $__toTime"), 8))
}

// indent indents every line but the first by n spaces.
func indent(s string, n int) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
}
