-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/003_views.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

CREATE VIEW IF NOT EXISTS codepace.change_metrics ON CLUSTER main AS
SELECT
    source, project, branch, number, url, subject, owner, owner_id, owner_is_bot,
    status, is_wip, created_at, updated_at, ready_at, first_review_at,
    merged_at, closed_at, time_to_first_review_s, time_to_merge_s,
    cycle_time_s, patchsets, review_rounds, insertions, deletions,
    owner_cohort
FROM codepace.change_metrics_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs);

CREATE VIEW IF NOT EXISTS codepace.review_actions ON CLUSTER main AS
SELECT source, project, number, message_id, at, actor, actor_id, kind, value
FROM codepace.review_actions_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs);

CREATE VIEW IF NOT EXISTS codepace.builds ON CLUSTER main AS
SELECT
    source, system, pipeline, job, build_id, url, project, number, patchset,
    result, voting, started_at, finished_at, duration_s, queued_s, is_spike
FROM codepace.builds_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs);

CREATE VIEW IF NOT EXISTS codepace.newcomers ON CLUSTER main AS
SELECT
    source, person, person_id, first_change_at, first_review_at,
    first_merge_at, time_to_first_review_s, time_to_first_merge_s
FROM codepace.newcomers_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs);

CREATE VIEW IF NOT EXISTS codepace.review_backlog_daily ON CLUSTER main AS
SELECT
    day, source, project, open_ready, mean_age_days, median_age_days,
    older_than_7d
FROM codepace.review_backlog_daily_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs);

CREATE VIEW IF NOT EXISTS codepace.collector_runs ON CLUSTER main AS
SELECT run_id, source, started_at, finished_at, status, items, requests, skipped, error
FROM codepace.collector_runs_log FINAL;
