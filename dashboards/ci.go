package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// buildFilters are the variable filters of the builds view.
var buildFilters = []string{bySource, byProject, byPipeline}

// buildsInRange keeps the builds finished in the time range that the
// variables select; spikesInRange the spikes among them.
var (
	buildsInRange = where(append([]string{"$__timeFilter(finished_at)"}, buildFilters...)...)
	spikesInRange = where(append([]string{"is_spike = 1", "$__timeFilter(finished_at)"}, buildFilters...)...)
)

// spikeAnnotationSQL marks each build spike on the time series of the CI
// dashboard, from its start to its end.
var spikeAnnotationSQL = `SELECT started_at AS time, finished_at AS timeEnd,
    concat(job, ' took ', toString(round(duration_s / 60, 1)), ' min (', result, ', ', pipeline, ')') AS text,
    concat(source, ',', pipeline, ',', job) AS tags
FROM builds
WHERE ` + spikesInRange + `
ORDER BY finished_at DESC, job
LIMIT 1000`

// spikeDefinition is docs/definitions.md §15 "Build spike", for descriptions.
const spikeDefinition = "docs/definitions.md §15 build spike: a finished build whose duration exceeds both ratio × the median duration of the same job's successful builds finished in the preceding window_days, and that median + floor_s, given at least min_builds such builds (builds.is_spike, computed by `codepace compute` with metrics.spike)"

// ci is dashboard 4 of dashboards/README.md: build duration p50/p95 per job
// and pipeline, spikes as a table and as annotations, failure rate, slowest
// jobs.
func ci(o Options) (dashboard.Dashboard, error) {
	ds := o.dsUID()
	d := newBoard(ds, UIDCI, "codepace · CI",
		"Dashboard 4 of dashboards/README.md: how long CI builds take per job and pipeline, how often they fail, and build spikes (also shown as annotations on every time series). A build is one CI job run (docs/definitions.md §14 \"Build\"); Zuul builds come from the reports Zuul posts on Gerrit, finished_at being the report time.",
		"now-90d", variables{project: true, pipeline: true})
	d.annotate(dashboard.NewAnnotationQueryBuilder().
		Name("Build spikes").
		Datasource(dsRef(ds)).
		Enable(true).
		IconColor("red").
		Target(NewQueryBuilder(ds, spikeAnnotationSQL).RefID("Spikes")))
	ciDurations(d, ds)
	ciFailures(d, ds)
	ciJobs(d, ds)
	return d.build()
}

// ciDurations is the CI dashboard's row of build durations.
func ciDurations(d *board, ds string) {
	d.row("Durations")
	d.add(series(ds, panel{
		title: "Build duration per week: p50 and p95",
		desc:  "docs/definitions.md §14 build duration_s of the builds finished in each UTC week (Monday), exact p50 and p95 (quantileExact) over every selected job, result included, in minutes; named figure build_duration_p95_minutes is the p95 over 28 days. Build spikes are annotated.",
		unit:  unitMinutes,
		sql: `SELECT week, q[1] / 60 AS p50, q[2] / 60 AS p95
FROM
(
    SELECT toMonday(finished_at) AS week, quantilesExact(0.5, 0.95)(duration_s) AS q
    FROM builds
    WHERE ` + buildsInRange + `
    GROUP BY week
)
ORDER BY week`, w: 12, h: 8,
	}, neutral()))
	d.add(series(ds, panel{
		title: "Build duration p95 per pipeline, per week",
		desc:  "docs/definitions.md §14 build duration_s, exact p95 per pipeline of the builds finished in each UTC week (Monday), in minutes. Build spikes are annotated.",
		unit:  unitMinutes,
		sql: `SELECT week, pipeline, q95 / 60 AS p95
FROM
(
    SELECT toMonday(finished_at) AS week, pipeline, quantileExact(0.95)(duration_s) AS q95
    FROM builds
    WHERE ` + buildsInRange + `
    GROUP BY week, pipeline
)
ORDER BY week, pipeline`, w: 12, h: 8,
	}, neutral()))
	d.add(series(ds, panel{
		title: "Build duration p95 per job, per week: the 10 busiest jobs",
		desc:  "docs/definitions.md §14 build duration_s, exact p95 per job (all pipelines) of the builds finished in each UTC week (Monday), in minutes, for the 10 jobs with the most builds in the time range. Build spikes are annotated.",
		unit:  unitMinutes,
		sql: `SELECT week, job, q95 / 60 AS p95
FROM
(
    SELECT toMonday(finished_at) AS week, job, quantileExact(0.95)(duration_s) AS q95
    FROM builds
    WHERE ` + indent(buildsInRange, 4) + `
      AND job IN
      (
          SELECT job FROM builds
          WHERE ` + indent(buildsInRange, 10) + `
          GROUP BY job
          ORDER BY count() DESC, job
          LIMIT 10
      )
    GROUP BY week, job
)
ORDER BY week, job`, w: 24, h: 9,
	}, neutral()))
}

// ciFailures is the CI dashboard's row of failure rates and build spikes.
func ciFailures(d *board, ds string) {
	d.row("Failures and spikes")
	d.add(series(ds, panel{
		title: "Failure rate per pipeline, per week",
		desc:  "Share of the builds finished in each UTC week (Monday) whose result is neither SUCCESS nor SKIPPED, among those not SKIPPED (docs/definitions.md §14 \"Failure rate\", on the result as the CI system reported it: FAILURE, ERROR, TIMED_OUT, POST_FAILURE, ... count as failures; non-voting jobs included). Build spikes are annotated.",
		unit:  unitRatio,
		sql: `SELECT week, pipeline, failed / runs AS failure_rate
FROM
(
    SELECT toMonday(finished_at) AS week, pipeline,
        countIf(result NOT IN ('SUCCESS', 'SKIPPED')) AS failed,
        countIf(result != 'SKIPPED') AS runs
    FROM builds
    WHERE ` + buildsInRange + `
    GROUP BY week, pipeline
    HAVING runs > 0
)
ORDER BY week, pipeline`, w: 12, h: 8,
	}, thresholds(base("green"), at(0.2, "orange"), at(0.5, "red"))).Max(1))
	d.add(bars(ds, panel{
		title: "Build spikes per week, per pipeline",
		desc:  spikeDefinition + ". Counted per UTC week (Monday) of finished_at and pipeline; named figure build_spikes counts them over 28 days.",
		unit:  unitCount,
		sql: `SELECT toMonday(finished_at) AS week, pipeline, sum(is_spike) AS spikes
FROM builds
WHERE ` + buildsInRange + `
GROUP BY week, pipeline
ORDER BY week, pipeline`, w: 12, h: 8,
	}, neutral()).Stacking(stacked()))
	d.add(grid(ds, panel{
		title: "Build spikes",
		desc:  spikeDefinition + ". The spikes finished in the time range, newest first; job links to the build's log page, number and change to the change it ran for.",
		unit:  unitNone,
		// The 200 newest spikes first, then the join, whose right side
		// holds only the changes that had a spike in the time range:
		// hashing the URL of every change would cost more than finding the
		// spikes again (BENCHMARKS.md, dashboard queries).
		sql: `SELECT finished_at, source, system, pipeline, job, result, minutes, project, number, patchset, build, change
FROM
(
    SELECT finished_at, source, system, pipeline, job, result,
        round(duration_s / 60, 1) AS minutes, project, number, patchset, url AS build
    FROM builds
    WHERE ` + indent(spikesInRange, 4) + `
    ORDER BY finished_at DESC, job, build
    LIMIT 200
) AS spikes
ANY LEFT JOIN
(
    SELECT source, project, number, url AS change
    FROM change_metrics
    WHERE ` + bySource + `
      AND number IN
      (
          SELECT number FROM builds
          WHERE ` + indent(spikesInRange, 10) + `
      )
) AS changes USING (source, project, number)
ORDER BY finished_at DESC, job, build`, w: 24, h: 10,
	}, neutral()).
		OverrideByName("minutes", unitOf(unitMinutes)).
		OverrideByName("job", linkTo("Open the build", "${__data.fields.build}")).
		OverrideByName("build", linkTo("Open the build", "${__value.raw}")).
		OverrideByName("number", withUnit(linkTo("Open the change", "${__data.fields.change}"), unitNone)).
		OverrideByName("change", linkTo("Open the change", "${__value.raw}")))
}

// ciJobs is the CI dashboard's row of per-job figures.
func ciJobs(d *board, ds string) {
	d.row("Jobs")
	d.add(grid(ds, panel{
		title: "Slowest jobs: duration p50 and p95 per pipeline and job",
		desc:  "Per source, CI system, pipeline and job, over the builds finished in the time range: runs, exact p50 and p95 of docs/definitions.md §14 build duration_s (minutes), mean duration, failure rate (§14: results other than SUCCESS and SKIPPED among those not SKIPPED) and build spikes (" + spikeDefinition + "). Slowest p95 first; jobs with fewer than 3 runs left out.",
		unit:  unitNone,
		sql: `SELECT source, system, pipeline, job, runs,
    q[1] / 60 AS p50_minutes, q[2] / 60 AS p95_minutes, mean_s / 60 AS mean_minutes,
    if(counted > 0, failed / counted, NULL) AS failure_rate, spikes
FROM
(
    SELECT source, system, pipeline, job, count() AS runs,
        quantilesExact(0.5, 0.95)(duration_s) AS q, avg(duration_s) AS mean_s,
        countIf(result NOT IN ('SUCCESS', 'SKIPPED')) AS failed, countIf(result != 'SKIPPED') AS counted,
        sum(is_spike) AS spikes
    FROM builds
    WHERE ` + buildsInRange + `
    GROUP BY source, system, pipeline, job
    HAVING runs >= 3
)
ORDER BY p95_minutes DESC, source, system, pipeline, job
LIMIT 50`, w: 24, h: 10,
	}, neutral()).
		OverrideByName("p50_minutes", unitOf(unitMinutes)).
		OverrideByName("p95_minutes", unitOf(unitMinutes)).
		OverrideByName("mean_minutes", unitOf(unitMinutes)).
		OverrideByName("failure_rate", unitOf(unitRatio)))
	d.add(bars(ds, panel{
		title: "Builds per week by result",
		desc:  "Builds (docs/definitions.md §14 \"Build\": one CI job run) finished in each UTC week (Monday), stacked by result as the CI system reported it. Build spikes are annotated.",
		unit:  unitCount,
		sql: `SELECT toMonday(finished_at) AS week, result, count() AS builds
FROM builds
WHERE ` + buildsInRange + `
GROUP BY week, result
ORDER BY week, result`, w: 24, h: 8,
	}, neutral()).Stacking(stacked()))
}
