package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// weeklyPercentiles is the SQL of p50, p75 and p90 of a duration column per
// UTC week (Monday) of the column saying when the interval ended, in the
// given unit (divisor in seconds).
func weeklyPercentiles(duration, period string, divisor int, conds ...string) string {
	return fmt.Sprintf(`SELECT week, q[1] / %[3]d AS p50, q[2] / %[3]d AS p75, q[3] / %[3]d AS p90
FROM
(
    SELECT toMonday(assumeNotNull(%[2]s)) AS week, quantilesExact(0.5, 0.75, 0.9)(%[1]s) AS q
    FROM change_metrics
    WHERE %[4]s
    GROUP BY week
)
ORDER BY week`, duration, period, divisor, indent(where(append([]string{"$__timeFilter(" + period + ")"}, conds...)...), 4))
}

// codeReview is dashboard 2 of dashboards/README.md: time to first review and
// to merge (p50/p75/p90 per week), review backlog and its age, slowest open
// changes with links.
func codeReview(o Options) (dashboard.Dashboard, error) {
	ds := o.dsUID()
	d := newBoard(ds, UIDCodeReview, "codepace · Code review",
		"Dashboard 2 of dashboards/README.md: how long changes wait for review and for merge, week by week, the review backlog and its age, and the changes waiting longest. Definitions: docs/definitions.md; columns: sql/README.md section 2.",
		"now-90d", variables{project: true, cohort: true})
	codeReviewTimes(d, ds)
	codeReviewBacklog(d, ds)
	codeReviewChanges(d, ds)
	codeReviewLoad(d, ds)
	return d.build()
}

// humanByFilters are the conditions of the panels on changes not owned by
// bots, filtered by the dashboard's source, project and cohort.
var humanByFilters = []string{humanChanges, bySource, byProject, byCohort}

// codeReviewTimes is the row of weekly review and merge times.
func codeReviewTimes(d *board, ds string) {
	human := humanByFilters
	d.row("Review and merge times")
	d.add(series(ds, panel{
		title: "Time to first review per week: p50, p75, p90",
		desc:  "docs/definitions.md §6 time_to_first_review_s = first_review_at − ready_at, where first_review_at is the earliest review action at or after ready_at (§5). Percentiles are exact (quantileExact) over the changes whose first review fell in each UTC week (Monday), §17 \"Periods\"; bot-owned changes excluded, as in the scoreboard. In hours.",
		unit:  unitHours, sql: weeklyPercentiles("time_to_first_review_s", "first_review_at", 3600, human...), w: 12, h: 8,
	}, slowAfter(24, 72)))
	d.add(series(ds, panel{
		title: "Time to merge per week: p50, p75, p90",
		desc:  "docs/definitions.md §8 time_to_merge_s = merged_at − ready_at. Percentiles are exact (quantileExact) over the changes merged in each UTC week (Monday), §17 \"Periods\"; bot-owned changes excluded. In days.",
		unit:  unitDays, sql: weeklyPercentiles("time_to_merge_s", "merged_at", 86400, human...), w: 12, h: 8,
	}, slowAfter(7, 14)))
	d.add(series(ds, panel{
		title: "Cycle time per week: p50, p75, p90",
		desc:  "docs/definitions.md §9 cycle_time_s = merged_at − min(created_at, author date of the current revision's commit): from the first written code to merge. Exact percentiles over the changes merged in each UTC week (Monday); bot-owned changes excluded. In days.",
		unit:  unitDays, sql: weeklyPercentiles("cycle_time_s", "merged_at", 86400, human...), w: 12, h: 8,
	}, slowAfter(7, 14)))
	d.add(series(ds, panel{
		title: "Review rounds per merged change, weekly mean",
		desc:  "docs/definitions.md §10 patchsets (number of revisions) and review_rounds (revisions uploaded after first_review_at), averaged over the changes merged in each UTC week (Monday); bot-owned changes excluded.",
		unit:  unitCount,
		sql: `SELECT toMonday(assumeNotNull(merged_at)) AS week, avg(patchsets) AS patch_sets, avg(review_rounds) AS rounds
FROM change_metrics
WHERE ` + where(append([]string{"$__timeFilter(merged_at)"}, human...)...) + `
GROUP BY week
ORDER BY week`, w: 12, h: 8,
	}, neutral()))
}

// codeReviewBacklog is the row of the review backlog per day: its size, age,
// whose turn, and per project.
func codeReviewBacklog(d *board, ds string) {
	d.row("Review backlog")
	d.add(series(ds, panel{
		title: "Review backlog per day: open ready changes",
		desc:  "docs/definitions.md §13 review backlog: per UTC day, the changes open and ready (not WIP, not merged, not abandoned) at the end of the day (24:00 UTC), reconstructed from the change timelines (review_backlog_daily.open_ready), and how many of them were older than 7 days since ready_at (older_than_7d). Summed over the selected sources and projects; bot-owned changes included, as §13 defines the backlog. The last day is a partial-day snapshot taken at the last compute.",
		unit:  unitCount,
		sql:   backlogDaily("sum(open_ready) AS open_and_ready, sum(older_than_7d) AS older_than_7_days", ""), w: 12, h: 8,
	}, neutral()))
	d.add(series(ds, panel{
		title: "Review backlog per day: mean age",
		desc:  "docs/definitions.md §13 review backlog age: the mean age since ready_at, in days, of the changes open and ready at the end of each UTC day (review_backlog_daily.mean_age_days, weighted by open_ready across projects; the median cannot be combined across projects, see the per-project table). Named figure review_backlog_mean_age_days on each day.",
		unit:  unitDays,
		sql:   backlogDaily("sum(mean_age_days * open_ready) / sum(open_ready) AS mean_age", "sum(open_ready) > 0"), w: 12, h: 8,
	}, slowAfter(7, 14)))
	d.add(bars(ds, panel{
		title: "Review backlog per day: whose turn",
		desc:  "docs/definitions.md §19: the open ready changes at the end of each UTC day split by whose turn it is: waiting on a reviewer, or on their author (a negative Code-Review vote or a failed CI verdict on the current patch set; review_backlog_daily.waiting_on_reviewer, waiting_on_author), reconstructed for every past day.",
		unit:  unitCount,
		sql:   backlogDaily("sum(waiting_on_reviewer) AS on_reviewers, sum(waiting_on_author) AS on_authors", ""), w: 12, h: 8,
	}, neutral()))
	d.add(series(ds, panel{
		title: "Reviewer wait per day: mean days waiting on a reviewer",
		desc:  "docs/definitions.md §19: the mean time since waiting_since, in days, of the changes waiting on a reviewer at the end of each UTC day (review_backlog_daily.reviewer_wait_mean_days, weighted by waiting_on_reviewer across projects). Figure reviewer_wait_mean_days on each day.",
		unit:  unitDays,
		sql:   backlogDaily("sum(reviewer_wait_mean_days * waiting_on_reviewer) / sum(waiting_on_reviewer) AS reviewer_wait", "sum(waiting_on_reviewer) > 0"), w: 12, h: 8,
	}, slowAfter(7, 14)))
	d.add(grid(ds, panel{
		title: "Review backlog by project at the end of the time range",
		desc:  "docs/definitions.md §13 review backlog on the last day of the time range, per project: open ready changes, their mean and median age since ready_at in days (review_backlog_daily.mean_age_days, median_age_days) and how many are older than 7 days.",
		unit:  unitNone,
		sql: `SELECT source, project, open_ready AS open_and_ready, mean_age_days AS mean_age, median_age_days AS median_age, older_than_7d AS older_than_7_days
FROM review_backlog_daily
WHERE ` + where("day = toDate($__toTime, 'UTC')", "open_ready > 0", bySource, byProject) + `
ORDER BY open_and_ready DESC, source, project
LIMIT 100`, w: 24, h: 8,
	}, slowAfter(7, 14)).
		OverrideByName("mean_age", unitOf(unitDays)).
		OverrideByName("median_age", unitOf(unitDays)))
}

// codeReviewChanges is the row of tables of changes: the slowest open, the
// review queue, the slowest merged, and per project.
func codeReviewChanges(d *board, ds string) {
	human := humanByFilters
	d.row("Changes")
	d.add(grid(ds, panel{
		title: "Slowest open changes: waiting longest since ready for review",
		desc:  "The changes of the review backlog now (docs/definitions.md §13 review backlog: open, ready, not WIP), oldest first by age since ready_at, in days; first_review_at is empty when nobody has reviewed them yet (§5 first_review_at). This table shows the current state and ignores the time range. The subject and url link to the change.",
		unit:  unitNone,
		sql: `SELECT subject, project, number, owner, owner_cohort AS cohort, ready_at,
    round((now() - assumeNotNull(ready_at)) / 86400, 1) AS waiting_days,
    first_review_at, patchsets, review_rounds, url
FROM change_metrics
WHERE ` + where("status = 'open'", "is_wip = 0", "ready_at IS NOT NULL", bySource, byProject, byCohort) + `
ORDER BY waiting_days DESC, source, project, number
LIMIT 50`, w: 24, h: 10,
	}, neutral()).
		OverrideByName("waiting_days", withUnit(nil, unitDays)).
		OverrideByName("subject", linkTo("Open the change", "${__data.fields.url}")).
		OverrideByName("url", linkTo("Open the change", "${__value.raw}")))
	d.add(grid(ds, panel{
		title: "Waiting on reviewers",
		desc:  "The review queue (docs/definitions.md §19, view review_queue): the changes open and ready at the last compute that wait on a reviewer, longest wait first, the rows `codepace queue --waiting-on reviewer` prints. waiting_since is when the change last entered that state; waiting_days the time since. This table shows the current state and ignores the time range. The subject and url link to the change.",
		unit:  unitNone,
		sql: `SELECT subject, project, number, owner, owner_cohort AS cohort, patchset, waiting_since,
    round(waiting_days, 1) AS waiting_days, url
FROM review_queue
WHERE ` + where("waiting_on = 'reviewer'", bySource, byProject, byCohort) + `
ORDER BY waiting_since, source, project, number
LIMIT 100`, w: 24, h: 10,
	}, neutral()).
		OverrideByName("waiting_days", withUnit(nil, unitDays)).
		OverrideByName("subject", linkTo("Open the change", "${__data.fields.url}")).
		OverrideByName("url", linkTo("Open the change", "${__value.raw}")))
	d.add(grid(ds, panel{
		title: "Slowest merged changes in the time range",
		desc:  "Changes merged in the time range, slowest first by docs/definitions.md §8 time_to_merge_s = merged_at − ready_at (days), with time_to_first_review_s (hours), patchsets and review_rounds; bot-owned changes excluded. The subject and url link to the change.",
		unit:  unitNone,
		sql: `SELECT subject, project, number, owner, owner_cohort AS cohort, merged_at,
    round(time_to_merge_s / 86400, 1) AS merge_days,
    round(time_to_first_review_s / 3600, 1) AS first_review_hours,
    patchsets, review_rounds, url
FROM change_metrics
WHERE ` + where(append([]string{"$__timeFilter(merged_at)"}, human...)...) + `
ORDER BY time_to_merge_s DESC, source, project, number
LIMIT 50`, w: 24, h: 10,
	}, neutral()).
		OverrideByName("merge_days", unitOf(unitDays)).
		OverrideByName("first_review_hours", unitOf(unitHours)).
		OverrideByName("subject", linkTo("Open the change", "${__data.fields.url}")).
		OverrideByName("url", linkTo("Open the change", "${__value.raw}")))
	d.add(grid(ds, panel{
		title: "Per project in the time range",
		desc:  "Per project, over the time range: changes first reviewed and their exact p50 time_to_first_review_s (hours, by first_review_at), changes merged and their exact p50 time_to_merge_s and cycle_time_s (days, by merged_at), docs/definitions.md §17 \"Periods\"; bot-owned changes excluded.",
		unit:  unitNone,
		sql: `SELECT source, project,
    countIf(time_to_first_review_s IS NOT NULL AND $__timeFilter(first_review_at)) AS first_reviewed,
    if(first_reviewed > 0, quantileExactIf(0.5)(time_to_first_review_s, $__timeFilter(first_review_at)) / 3600, NULL) AS first_review_p50_hours,
    countIf(time_to_merge_s IS NOT NULL AND $__timeFilter(merged_at)) AS merged,
    if(merged > 0, quantileExactIf(0.5)(time_to_merge_s, $__timeFilter(merged_at)) / 86400, NULL) AS merge_p50_days,
    if(merged > 0, quantileExactIf(0.5)(cycle_time_s, $__timeFilter(merged_at)) / 86400, NULL) AS cycle_p50_days
FROM change_metrics
WHERE ` + where("($__timeFilter(first_review_at) OR $__timeFilter(merged_at))", humanChanges, bySource, byProject, byCohort) + `
GROUP BY source, project
ORDER BY merged DESC, source, project
LIMIT 200`, w: 24, h: 8,
	}, neutral()).
		OverrideByName("first_review_p50_hours", unitOf(unitHours)).
		OverrideByName("merge_p50_days", unitOf(unitDays)).
		OverrideByName("cycle_p50_days", unitOf(unitDays)))
}

// codeReviewLoad is the row of reviewer load: how concentrated first reviews
// are, and per reviewer.
func codeReviewLoad(d *board, ds string) {
	d.row("Reviewer load")
	d.add(series(ds, panel{
		title: "First reviews given by the busiest 10% of reviewers, per week",
		desc:  "How concentrated first reviews are: per UTC week (Monday), the share of the changes' first reviews (review_actions.is_first_review, docs/definitions.md §5) given by the busiest tenth of that week's reviewers (everyone with a review action that week, ranked by first reviews given; at least one reviewer), with the number of reviewers. 1 means a few people give every first review. The view reviewer_load has the same per-week figures per reviewer.",
		unit:  unitRatio,
		sql: `SELECT week,
    arraySum(arraySlice(arrayReverseSort(groupArray(firsts)), 1, toUInt32(ceil(count() / 10)))) / sum(firsts) AS busiest_tenth_share,
    count() AS reviewers
FROM
(
    SELECT toMonday(toDate(at)) AS week, actor_id, sum(is_first_review) AS firsts
    FROM review_actions
    WHERE ` + where("$__timeFilter(at)", bySource, byProject) + `
    GROUP BY week, actor_id
)
GROUP BY week
HAVING sum(firsts) > 0
ORDER BY week`, w: 12, h: 8,
	}, neutral()).
		OverrideByName("reviewers", unitOf(unitCount)))
	d.add(grid(ds, panel{
		title: "Reviewer load in the time range",
		desc:  "Per reviewer over the time range (review_actions; the view reviewer_load has it per week): review actions, distinct changes reviewed and first reviews given (docs/definitions.md §4, §5), busiest first.",
		unit:  unitNone,
		sql: `SELECT argMax(actor, at) AS reviewer, count() AS review_actions,
    uniqExact(project, number) AS changes_reviewed, sum(is_first_review) AS first_reviews
FROM review_actions
WHERE ` + where("$__timeFilter(at)", bySource, byProject) + `
GROUP BY source, actor_id
ORDER BY review_actions DESC, reviewer
LIMIT 100`, w: 12, h: 8,
	}, neutral()))
}

// backlogDaily is the SQL of a series over review_backlog_daily: columns per
// day of the time range, summed over the selected sources and projects, the
// days kept where having holds (empty: every day).
func backlogDaily(columns, having string) string {
	sql := `SELECT day, ` + columns + `
FROM review_backlog_daily
WHERE ` + where("day >= toDate($__fromTime, 'UTC')", "day <= toDate($__toTime, 'UTC')", bySource, byProject) + `
GROUP BY day
`
	if having != "" {
		sql += "HAVING " + having + "\n"
	}
	return sql + "ORDER BY day"
}
