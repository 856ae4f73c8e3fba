-- Views over the builds of the newest computed generation (see
-- 002_derived.sql): the build spikes with their baselines, and daily build
-- figures per CI system, pipeline and job. Columns are documented in
-- sql/README.md.

CREATE VIEW IF NOT EXISTS build_spikes AS
SELECT
    source, system, pipeline, job, build_id, url, project, number, patchset,
    result, started_at, finished_at, duration_s,
    baseline_s AS baseline_median_s,
    if(baseline_s > 0, round(duration_s / baseline_s, 2), NULL) AS ratio
FROM builds_data
WHERE generation = (SELECT max(generation) FROM compute_runs)
  AND is_spike = 1;

CREATE VIEW IF NOT EXISTS build_daily AS
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
FROM builds_data
WHERE generation = (SELECT max(generation) FROM compute_runs)
GROUP BY day, source, system, pipeline, job;
