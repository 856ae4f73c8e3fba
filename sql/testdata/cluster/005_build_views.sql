-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/005_build_views.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

CREATE VIEW IF NOT EXISTS codepace.build_spikes ON CLUSTER main AS
SELECT
    source, system, pipeline, job, build_id, url, project, number, patchset,
    result, started_at, finished_at, duration_s,
    baseline_s AS baseline_median_s,
    if(baseline_s > 0, round(duration_s / baseline_s, 2), NULL) AS ratio
FROM codepace.builds_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs)
  AND is_spike = 1;

CREATE VIEW IF NOT EXISTS codepace.build_daily ON CLUSTER main AS
SELECT
    toDate(finished_at) AS day,
    source, system, pipeline, job,
    count() AS builds,
    countIf(result NOT IN ('SUCCESS', 'SKIPPED')) AS failures,
    if(countIf(result != 'SKIPPED') > 0,
       countIf(result NOT IN ('SUCCESS', 'SKIPPED')) / countIf(result != 'SKIPPED'), NULL) AS failure_rate,
    avg(duration_s) AS mean_duration_s,
    quantileExact(0.5)(duration_s) AS p50_duration_s,
    quantileExact(0.95)(duration_s) AS p95_duration_s,
    sum(is_spike) AS spikes,
    count(queued_s) AS queued_builds,
    quantileExact(0.5)(queued_s) AS queue_p50_s,
    quantileExact(0.95)(queued_s) AS queue_p95_s
FROM codepace.builds_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs)
GROUP BY day, source, system, pipeline, job;
