package dashboards

import (
	"fmt"
	"strconv"
	"strings"

	kfigure "github.com/codepace/codepace/keyresults/figure"
)

// humanChanges leaves bot-owned changes out, as the scoreboard does.
const humanChanges = "owner_is_bot = 0"

// figure is a figure of the registry (keyresults/figure, what `codepace
// report` scores) as the dashboards show it: its SQL is built from the
// registry's measure, so that both agree (a test checks it on data).
type figure struct {
	name string
	// title and unit are how the dashboards show it.
	title, unit string
	fig         kfigure.Figure
}

// newFigure resolves a registry name; the dashboards' own list is fixed,
// so a bad name there is a programming error.
func newFigure(name, title string) figure {
	f, err := kfigure.Parse(name)
	if err != nil {
		panic(err)
	}
	return figure{name: name, title: title, unit: unitOfFigure(f), fig: f}
}

// unitOfFigure is the Grafana unit of a figure's values.
func unitOfFigure(f kfigure.Figure) string {
	switch f.Unit.Name {
	case "seconds":
		return "s"
	case "minutes":
		return unitMinutes
	case "hours":
		return unitHours
	case "days":
		return unitDays
	}
	return unitCount
}

// figures are the first version's named figures, in its order.
var figures = []figure{
	newFigure("time_to_first_review_p50_hours", "Time to first review, p50"),
	newFigure("time_to_merge_p50_days", "Time to merge, p50"),
	newFigure("cycle_time_p50_days", "Cycle time, p50"),
	newFigure("review_backlog_open", "Review backlog, open ready changes"),
	newFigure("review_backlog_mean_age_days", "Review backlog, mean age"),
	newFigure("newcomer_time_to_first_review_p50_days", "Newcomers: time to first review, p50"),
	newFigure("newcomer_time_to_first_merge_p50_days", "Newcomers: time to first merge, p50"),
	newFigure("build_duration_mean_minutes", "Build duration, mean"),
	newFigure("build_duration_p95_minutes", "Build duration, p95"),
	newFigure("build_spikes", "Build spikes"),
}

// definition is the registry's definition, for panel descriptions.
func (f figure) definition() string { return f.fig.Measure.Text }

// period is the column that places an item in a period; onDay marks the
// figures taken at an instant, the end of the period's last day.
func (f figure) period() string { return f.fig.Measure.Period }
func (f figure) onDay() bool    { return f.fig.Measure.AtInstant }

// project and cohort say which dashboard variables apply.
func (f figure) project() bool { return f.fig.Measure.Takes(kfigure.Project) }
func (f figure) cohort() bool  { return f.fig.Measure.Takes(kfigure.Cohort) }

// aggregate is the figure's statistic over its items, in its unit; t is
// the SQL of the instant for the figures taken at one.
func (f figure) aggregate(t string) string {
	name, params, arg, scale := f.statistic(t)
	return name + params + "(" + arg + ")" + scale
}

// statistic is the figure's aggregate function (its name and parameters),
// the SQL of the value it takes of each item (t the instant, as in
// aggregate), and what divides its result into the figure's unit.
func (f figure) statistic(t string) (name, params, arg, scale string) {
	m := f.fig.Measure
	if m.Kind == kfigure.Count {
		return "count", "", "", ""
	}
	arg = strings.ReplaceAll(m.Value, "{t}", t)
	switch s := f.fig.Stat; s.Name {
	case "mean":
		name = "avg"
	case "max":
		name = "max"
	default:
		name, params = "quantileExact", "("+strconv.FormatFloat(s.Quantile, 'g', -1, 64)+")"
	}
	if f.fig.Unit.Seconds != 1 {
		scale = " / " + strconv.FormatFloat(f.fig.Unit.Seconds, 'g', -1, 64)
	}
	return name, params, arg, scale
}

// filters are the conditions a figure's query applies besides its period.
type filters struct {
	// conds are SQL conditions (variables or literals).
	conds []string
}

// variableFilters filters a figure by the dashboard variables it allows.
func (f figure) variableFilters() filters {
	c := []string{bySource}
	if f.project() {
		c = append(c, byProject)
	}
	if f.cohort() {
		c = append(c, byCohort)
	}
	return filters{conds: c}
}

func (f figure) conds(fl filters, period ...string) string {
	c := append([]string{}, period...)
	if f.fig.Measure.Where != "" {
		c = append(c, f.fig.Measure.Where)
	}
	c = append(c, fl.conds...)
	return where(c...)
}

// nonEmpty keeps a row only when items made it; a count is 0 without
// items, as `codepace report` gives it.
func (f figure) nonEmpty() string {
	if f.fig.IsCount() {
		return ""
	}
	return "\nWHERE n > 0"
}

// currentSQL is the figure over the trailing 28 days ending at the end of
// the dashboard's time range, [to − 28 days, to), as `codepace report`
// computes the current value (docs/definitions.md §18); the backlog
// figures are taken at the instant to.
func (f figure) currentSQL(fl filters) string {
	period := []string{f.period() + " >= $__toTime - INTERVAL 28 DAY", f.period() + " < $__toTime"}
	if f.onDay() {
		period = []string{"from_at <= $__toTime", "(to_at IS NULL OR to_at > $__toTime)"}
	}
	return fmt.Sprintf(`SELECT value FROM
(
    SELECT toFloat64(%s) AS value, count() AS n
    FROM %s
    WHERE %s
)%s`, f.aggregate("$__toTime"), f.fig.Measure.View, indent(f.conds(fl, period...), 4), f.nonEmpty())
}

// trendSQL is the figure's trend. Figures over a period: at each Monday
// 00:00 UTC of the time range, the value over the 28 days before it (what
// `codepace report` shows as its weekly trend); an item at x counts toward
// the four Mondays W with W − 28 days <= x < W. Figures at an instant: the
// value at the end (24:00 UTC) of each day of the range.
func (f figure) trendSQL(fl filters) string {
	m := f.fig.Measure
	if value, ok := f.running(); ok {
		return f.runningSQL(fl, value)
	}
	if f.onDay() {
		end := "toDateTime(day, 'UTC') + 86400"
		return fmt.Sprintf(`SELECT day, value FROM
(
    SELECT day, toFloat64(%s) AS value, count() AS n
    FROM
    (
        SELECT *, arrayJoin(`+rangeDays+`) AS day
        FROM %s
        WHERE %s
    )
    WHERE from_at <= %s AND (to_at IS NULL OR to_at > %s)
    GROUP BY day
)%s
ORDER BY day`, f.aggregate(end), m.View,
			indent(f.conds(fl, "from_at < $__toTime + INTERVAL 1 DAY", "(to_at IS NULL OR to_at > $__fromTime)"), 8),
			end, end, f.nonEmpty())
	}
	// Each week's values are gathered once, into an array, and each
	// Monday aggregates the arrays of the four weeks before it (the -Array
	// combinator): the items are not copied into four windows each (at a
	// million changes, 6.8M copies of 1.7M builds for the p95 of a 6-month
	// range: 320 ms, against about 200 ms). Arrays, not aggregate states:
	// ClickHouse 18.16 crashed, now and then, after arrayJoin copied rows
	// of states.
	name, params, arg, scale := f.statistic("")
	if arg == "" {
		arg = "1" // a count counts the elements
	}
	return fmt.Sprintf(`SELECT week, value FROM
(
    SELECT week, toFloat64(%sArray%s(vs)%s) AS value, sum(k) AS n
    FROM
    (
        SELECT w + arrayJoin([7, 14, 21, 28]) AS week, vs, k
        FROM
        (
            SELECT toMonday(assumeNotNull(%s)) AS w, groupArray(%s) AS vs, count() AS k
            FROM %s
            WHERE %s
            GROUP BY w
        )
    )
    WHERE week >= toDate($__fromTime, 'UTC') AND week <= toDate($__toTime, 'UTC')
    GROUP BY week
)%s
ORDER BY week`, name, params, scale, m.Period, arg, m.View,
		indent(f.conds(fl, m.Period+" >= $__fromTime - INTERVAL 28 DAY", m.Period+" < $__toTime"), 12), f.nonEmpty())
}

// running tells whether a running sum gives the figure's trend
// (runningSQL): a figure taken at an instant that is a count, or the mean
// of a value that grows with the instant, {t} minus a column of the item.
// It returns the SQL of that value at the instant 0 (the count's is 0).
func (f figure) running() (string, bool) {
	m := f.fig.Measure
	if !f.onDay() {
		return "", false
	}
	if m.Kind == kfigure.Count {
		return "toInt64(0)", true
	}
	rest, ok := strings.CutPrefix(m.Value, "toInt64({t}) - ")
	if !ok || strings.Contains(rest, "{t}") || f.fig.Stat.Name != "mean" {
		return "", false
	}
	return "toInt64(0) - " + rest, true
}

// runningSQL is the trend of a figure taken at an instant (the end of each
// day of the time range) that running gives: each item counts, with its
// value at the instant 0 (value0), from the first day it is open at the
// end of, toDate(from_at − 1 s), to the first day it is not,
// toDate(to_at − 1 s); each day sums the items' changes up to it. The
// items are read once, not once per day they are open (a span open for
// the whole of a 6-month range: 181 rows, 21M rows at a million changes),
// and the mean at t is (n × t + the sum of value0) / n. Days with no item
// are left out, as in the join of days and items the other figures use.
func (f figure) runningSQL(fl filters, value0 string) string {
	end := "toInt64(toDateTime(day, 'UTC') + 86400)"
	value := "toFloat64(n)"
	if f.fig.Measure.Kind != kfigure.Count {
		_, _, _, scale := f.statistic("")
		value = "toFloat64(n * " + end + " + s) / n" + scale
	}
	return fmt.Sprintf(`SELECT day, value FROM
(
    SELECT day, %s AS value, n
    FROM
    (
        SELECT day, sumIf(dn, at <= day) AS n, sumIf(ds, at <= day) AS s
        FROM
        (
            SELECT at, dn, ds, arrayJoin(`+rangeDays+`) AS day
            FROM
            (
                SELECT e.1 AS at, sum(e.2) AS dn, sum(e.3) AS ds
                FROM
                (
                    SELECT arrayJoin([(toDate(from_at - 1, 'UTC'), toInt64(1), v),
                        (toDate(ifNull(to_at, from_at) - 1, 'UTC'), -toInt64(to_at IS NOT NULL), -v * (to_at IS NOT NULL))]) AS e
                    FROM
                    (
                        SELECT from_at, to_at, %s AS v
                        FROM %s
                        WHERE %s
                    )
                )
                GROUP BY at
            )
        )
        GROUP BY day
    )
)
WHERE n > 0
ORDER BY day`, value, value0, f.fig.Measure.View,
		indent(f.conds(fl, "from_at < $__toTime + INTERVAL 1 DAY", "(to_at IS NULL OR to_at > $__fromTime)"), 24))
}

// rangeDays is the SQL of the UTC days of the dashboard's time range,
// from its first to its last.
const rangeDays = `arrayMap(i -> toDate($__fromTime, 'UTC') + i, range(toUInt32(toDate($__toTime, 'UTC') - toDate($__fromTime, 'UTC')) + 1))`

// indent indents every line but the first by n spaces.
func indent(s string, n int) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
}
