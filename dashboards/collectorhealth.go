package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// freshness colors hours since the last success: a source on the default
// schedule (every 30 minutes) is late after 2 hours, stale after a day.
func freshness() []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{
		{Id: "unit", Value: unitHours},
		{Id: "custom.cellOptions", Value: map[string]any{"type": "color-background", "mode": "basic"}},
		{Id: "thresholds", Value: map[string]any{"mode": "absolute", "steps": []map[string]any{
			{"color": "green", "value": nil}, {"color": "orange", "value": 2}, {"color": "red", "value": 24},
		}}},
	}
}

// collectorHealth is dashboard 5 of dashboards/README.md: last successful run
// per source, items, errors, freshness.
func collectorHealth(o Options) (dashboard.Dashboard, error) {
	ds := o.dsUID()
	d := newBoard(ds, UIDCollectorHealth, "codepace · Collector health",
		"Dashboard 5 of dashboards/README.md: whether collection and compute keep the figures fresh: each source's last run and last success, what the runs collected, their errors, and the last compute (the views show the data as of the last compute). Runs come from collector_runs, one row per collector run.",
		"now-7d", variables{})
	collectorFreshness(d, ds)
	collectorRuns(d, ds)
	return d.build()
}

// collectorFreshness is the Collector health dashboard's row of freshness:
// per source its last run and success, the stalest source, the last compute.
func collectorFreshness(d *board, ds string) {
	d.row("Freshness")
	d.add(grid(ds, panel{
		title: "Sources: last run, last success, freshness",
		desc:  "Per source, from collector_runs (every run, whatever the time range): the last run's start and status (running, ok, failed, interrupted: stopped by a signal, or left running by a process that died), when the last successful run finished and how many hours ago (freshness: orange after 2 hours, red after a day; empty when no run ever succeeded), failed runs and items collected in the last 24 hours, and the last run's error.",
		unit:  unitNone,
		sql: `SELECT source,
    max(started_at) AS last_run,
    argMax(status, started_at) AS last_status,
    maxIf(finished_at, status = 'ok') AS last_success,
    round((now() - maxIf(finished_at, status = 'ok')) / 3600, 1) AS hours_since_success,
    countIf(status = 'failed' AND started_at > now() - INTERVAL 1 DAY) AS failed_last_24h,
    sumIf(items, status = 'ok' AND started_at > now() - INTERVAL 1 DAY) AS items_last_24h,
    argMax(error, started_at) AS last_error
FROM collector_runs
WHERE ` + bySource + `
GROUP BY source
ORDER BY source`, w: 24, h: 7,
	}, neutral()).
		OverrideByName("hours_since_success", freshness()).
		OverrideByName("last_error", unitOf(unitText)))
	d.add(single(ds, panel{
		title: "Stalest source: hours since its last successful run",
		desc:  "Over the selected sources (collector_runs), the largest number of hours since a source's last successful run finished; a source that never succeeded counts from its first run. Orange after 2 hours, red after a day.",
		unit:  unitHours,
		sql: `SELECT max(hours) AS stalest_hours
FROM
(
    SELECT source, (now() - if(countIf(status = 'ok') > 0, maxIf(finished_at, status = 'ok'), min(started_at))) / 3600 AS hours
    FROM collector_runs
    WHERE ` + bySource + `
    GROUP BY source
)`, w: 8, h: 5,
	}, thresholds(base("green"), at(2, "orange"), at(24, "red"))))
	d.add(single(ds, panel{
		title: "Hours since the last compute",
		desc:  "Hours since the last `codepace compute` finished (compute_runs). The views, and so every other dashboard, show the data as of that compute; it should follow each collection.",
		unit:  unitHours,
		sql: `SELECT (now() - max(finished_at)) / 3600 AS hours_since_compute
FROM compute_runs
HAVING count() > 0`, w: 8, h: 5,
	}, thresholds(base("green"), at(2, "orange"), at(24, "red"))))
	d.add(single(ds, panel{
		title: "Failed runs in the time range",
		desc:  "Collector runs of the selected sources that started in the time range and ended with status failed (collector_runs.status).",
		unit:  unitCount,
		sql: `SELECT countIf(status = 'failed') AS failed_runs
FROM collector_runs
WHERE ` + where("$__timeFilter(started_at)", bySource), w: 8, h: 5,
	}, thresholds(base("green"), at(1, "red"))))
}

// collectorRuns is the Collector health dashboard's row of runs: items
// collected, runs by status, the runs that did not succeed, the computes.
func collectorRuns(d *board, ds string) {
	d.row("Runs")
	d.add(bars(ds, panel{
		title: "Items collected per source",
		desc:  "Items (changes, builds) stored by the collector runs that started in each bucket of the time range (collector_runs.items), per source; buckets are the panel interval ($__interval_s), at least an hour.",
		unit:  unitCount,
		sql: `SELECT bucket, source, collected
FROM
(
    SELECT toDateTime(intDiv(toUInt32(started_at), greatest($__interval_s, 3600)) * greatest($__interval_s, 3600), 'UTC') AS bucket,
        source, sum(items) AS collected
    FROM collector_runs
    WHERE ` + where("$__timeFilter(started_at)", bySource) + `
    GROUP BY bucket, source
)
ORDER BY bucket, source`, w: 12, h: 8,
	}, neutral()).Stacking(stacked()))
	d.add(bars(ds, panel{
		title: "Collector runs per day by status",
		desc:  "Collector runs that started on each UTC day, by status (collector_runs.status: ok, failed, interrupted (stopped by a signal, or found left running by a dead process), or running).",
		unit:  unitCount,
		sql: `SELECT toStartOfDay(started_at) AS day, status, count() AS runs
FROM collector_runs
WHERE ` + where("$__timeFilter(started_at)", bySource) + `
GROUP BY day, status
ORDER BY day, status`, w: 12, h: 8,
	}, neutral()).Stacking(stacked()))
	d.add(grid(ds, panel{
		title: "Runs that did not succeed",
		desc:  "Collector runs that started in the time range and did not end ok (collector_runs: failed, interrupted, or still running), newest first, with their error, items stored, requests made and items skipped as unreadable.",
		unit:  unitNone,
		sql: `SELECT started_at, finished_at, source, status, error, items, requests, skipped
FROM collector_runs
WHERE ` + where("$__timeFilter(started_at)", "status != 'ok'", bySource) + `
ORDER BY started_at DESC, source
LIMIT 50`, w: 24, h: 8,
	}, neutral()).OverrideByName("error", unitOf(unitText)))
	d.add(grid(ds, panel{
		title: "Computes",
		desc:  "The `codepace compute` runs that started in the time range and completed (compute_runs; a compute that failed half-way is never recorded): when, how long, and how many changes and builds they computed. Not filtered by source: a compute covers every source.",
		unit:  unitNone,
		sql: `SELECT started_at, finished_at, finished_at - started_at AS seconds, changes, builds
FROM compute_runs
WHERE $__timeFilter(started_at)
ORDER BY started_at DESC
LIMIT 20`, w: 24, h: 7,
	}, neutral()).OverrideByName("seconds", unitOf("s")))
}
