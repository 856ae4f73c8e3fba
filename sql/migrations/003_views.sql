-- The stable surface the Code Review workgroup and the dashboards query.
-- Each view returns the newest computed generation (see 002_derived.sql);
-- columns are documented in sql/README.md.

CREATE VIEW IF NOT EXISTS change_metrics AS
SELECT
    source, project, branch, number, url, subject, owner, owner_id, owner_is_bot,
    status, is_wip, created_at, updated_at, ready_at, first_review_at,
    merged_at, closed_at, time_to_first_review_s, time_to_merge_s,
    cycle_time_s, patchsets, review_rounds, insertions, deletions,
    owner_cohort
FROM change_metrics_data
WHERE generation = (SELECT max(generation) FROM compute_runs);

CREATE VIEW IF NOT EXISTS review_actions AS
SELECT source, project, number, message_id, at, actor, actor_id, kind, value
FROM review_actions_data
WHERE generation = (SELECT max(generation) FROM compute_runs);

CREATE VIEW IF NOT EXISTS builds AS
SELECT
    source, system, pipeline, job, build_id, url, project, number, patchset,
    result, voting, started_at, finished_at, duration_s, queued_s, is_spike
FROM builds_data
WHERE generation = (SELECT max(generation) FROM compute_runs);

CREATE VIEW IF NOT EXISTS newcomers AS
SELECT
    source, person, person_id, first_change_at, first_review_at,
    first_merge_at, time_to_first_review_s, time_to_first_merge_s
FROM newcomers_data
WHERE generation = (SELECT max(generation) FROM compute_runs);

CREATE VIEW IF NOT EXISTS review_backlog_daily AS
SELECT
    day, source, project, open_ready, mean_age_days, median_age_days,
    older_than_7d
FROM review_backlog_daily_data
WHERE generation = (SELECT max(generation) FROM compute_runs);

CREATE VIEW IF NOT EXISTS collector_runs AS
SELECT run_id, source, started_at, finished_at, status, items, requests, skipped, error
FROM collector_runs_log FINAL;
