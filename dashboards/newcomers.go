package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// monthlyPercentiles is the SQL of p50, p75 and p90 of a duration column of
// table per UTC month of the column saying when the interval ended, in days.
func monthlyPercentiles(table, duration, period string, conds ...string) string {
	return fmt.Sprintf(`SELECT month, q[1] / 86400 AS p50, q[2] / 86400 AS p75, q[3] / 86400 AS p90
FROM
(
    SELECT toStartOfMonth(assumeNotNull(%[3]s)) AS month, quantilesExact(0.5, 0.75, 0.9)(%[2]s) AS q
    FROM %[1]s
    WHERE %[4]s
    GROUP BY month
)
ORDER BY month`, table, duration, period, indent(where(append([]string{"$__timeFilter(" + period + ")"}, conds...)...), 4))
}

// byCohortMonthly is the SQL of the exact p50 of a change duration per UTC
// month of its period column and owner cohort, in the given unit: one
// series per cohort.
func byCohortMonthly(duration, period string, divisor int) string {
	return fmt.Sprintf(`SELECT month, owner_cohort, p50 / %[3]d AS p50
FROM
(
    SELECT toStartOfMonth(assumeNotNull(%[2]s)) AS month, owner_cohort, quantileExact(0.5)(%[1]s) AS p50
    FROM change_metrics
    WHERE %[4]s
    GROUP BY month, owner_cohort
)
ORDER BY month, owner_cohort`, duration, period, divisor,
		indent(where("$__timeFilter("+period+")", humanChanges, bySource, byProject, byCohort), 4))
}

// newcomers is dashboard 3 of dashboards/README.md: new contributors per
// month, their time to first review and to first merge, against ramped
// developers.
func newcomers(o Options) (dashboard.Dashboard, error) {
	ds := o.dsUID()
	d := newBoard(ds, UIDNewcomers, "codepace · Newcomers",
		"Dashboard 3 of dashboards/README.md: people arriving with their first change, how long they wait for their first review and their first merge, and how changes of new owners fare against those of ramped developers. Definitions: docs/definitions.md §12 (newcomer milestones) and §11 (owner_cohort); columns: sql/README.md section 2.",
		"now-1y", variables{project: true, cohort: true})

	d.row("Newcomers")
	d.add(bars(ds, panel{
		title: "New contributors per month",
		desc:  "docs/definitions.md §12 newcomer milestones: people (change owners, by account id, bots excluded) whose first change in a source was created in each UTC month (newcomers.first_change_at), and how many of them have merged a change since (first_merge_at set). Filtered by source only: a person's first change is per source.",
		unit:  unitCount,
		sql: `SELECT toStartOfMonth(first_change_at) AS month, count() AS arrived, count(first_merge_at) AS merged_since
FROM newcomers
WHERE ` + where("$__timeFilter(first_change_at)", bySource) + `
GROUP BY month
ORDER BY month`, w: 8, h: 8,
	}, neutral()))
	d.add(series(ds, panel{
		title: "Newcomers' time to first review, by month of the review: p50, p75, p90",
		desc:  "docs/definitions.md §12 newcomer milestone: time to first review on the person's first change (newcomers.time_to_first_review_s, from that change's ready_at), exact percentiles over the people whose first change got its first review in each UTC month (docs/definitions.md §17 \"Periods\"; named figure newcomer_time_to_first_review_p50_days is the p50). In days; source filter only.",
		unit:  unitDays, sql: monthlyPercentiles("newcomers", "time_to_first_review_s", "first_review_at", bySource), w: 8, h: 8,
	}, slowAfter(2, 7)))
	d.add(series(ds, panel{
		title: "Newcomers' time to first merge, by month of the merge: p50, p75, p90",
		desc:  "docs/definitions.md §12 newcomer milestone time_to_first_merge_s: from the creation of the person's first change to their first merged change (any change), exact percentiles over the people whose first merge fell in each UTC month (named figure newcomer_time_to_first_merge_p50_days is the p50). In days; source filter only.",
		unit:  unitDays, sql: monthlyPercentiles("newcomers", "time_to_first_merge_s", "first_merge_at", bySource), w: 8, h: 8,
	}, slowAfter(14, 30)))

	d.row("New against ramped")
	d.add(series(ds, panel{
		title: "Time to first review p50 per month: new and ramped owners",
		desc:  "docs/definitions.md §6 time_to_first_review_s of changes, exact p50 per UTC month of first_review_at, one series per owner_cohort (§11): `new` when the change was created at most newcomer_days after its owner's first change in that source, else `ramped`. Bot-owned changes excluded. In hours.",
		unit:  unitHours, sql: byCohortMonthly("time_to_first_review_s", "first_review_at", 3600), w: 12, h: 8,
	}, slowAfter(24, 72)))
	d.add(series(ds, panel{
		title: "Time to merge p50 per month: new and ramped owners",
		desc:  "docs/definitions.md §8 time_to_merge_s = merged_at − ready_at, exact p50 per UTC month of merged_at, one series per owner_cohort (§11: new, ramped). Bot-owned changes excluded. In days.",
		unit:  unitDays, sql: byCohortMonthly("time_to_merge_s", "merged_at", 86400), w: 12, h: 8,
	}, slowAfter(7, 14)))

	d.row("People")
	d.add(grid(ds, panel{
		title: "Newcomers who arrived in the time range",
		desc:  "docs/definitions.md §12 newcomer milestones per person and source: first change created (first_change_at), its first review (first_review_at, time_to_first_review_s in days) and the person's first merged change (first_merge_at, time_to_first_merge_s in days); empty while it has not happened. The person and first_change link to the person's first change.",
		unit:  unitNone,
		sql: `SELECT person, source, first_change_at,
    first_review_at, round(time_to_first_review_s / 86400, 2) AS first_review_days,
    first_merge_at, round(time_to_first_merge_s / 86400, 1) AS first_merge_days,
    first_change
FROM newcomers
ANY LEFT JOIN
(
    SELECT source, owner_id AS person_id, created_at AS first_change_at, url AS first_change
    FROM change_metrics
    WHERE ` + where("$__timeFilter(created_at)", bySource) + `
) AS first_changes USING (source, person_id, first_change_at)
WHERE ` + where("$__timeFilter(first_change_at)", bySource) + `
ORDER BY first_change_at DESC, source, person
LIMIT 100`, w: 24, h: 10,
	}, neutral()).
		OverrideByName("first_review_days", unitOf(unitDays)).
		OverrideByName("first_merge_days", unitOf(unitDays)).
		OverrideByName("person", linkTo("Open the first change", "${__data.fields.first_change}")).
		OverrideByName("first_change", linkTo("Open the first change", "${__value.raw}")))
	return d.build()
}
