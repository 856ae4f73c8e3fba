-- Whose turn it is, working time and reviewer load (docs/definitions.md
-- §19). New columns of the derived tables, the views that show them
-- (dropped and created again: ClickHouse 18.16 has no CREATE OR REPLACE
-- VIEW and no DROP VIEW, DROP TABLE drops a view), the review_queue and
-- reviewer_load views, and reviewer_waits, the spans during which changes
-- waited on a reviewer, for the figures taken at an instant
-- (review_backlog_waiting_on_reviewer, reviewer_wait_STAT_UNIT). Columns
-- are documented in sql/README.md.

ALTER TABLE change_metrics_data ADD COLUMN time_to_first_review_work_s Nullable(Int64);
ALTER TABLE change_metrics_data ADD COLUMN time_to_merge_work_s Nullable(Int64);
ALTER TABLE change_metrics_data ADD COLUMN cycle_time_work_s Nullable(Int64);
ALTER TABLE change_metrics_data ADD COLUMN waiting_on String;
ALTER TABLE change_metrics_data ADD COLUMN waiting_since Nullable(DateTime('UTC'));
ALTER TABLE review_actions_data ADD COLUMN is_first_review UInt8;
ALTER TABLE review_backlog_daily_data ADD COLUMN waiting_on_reviewer UInt32;
ALTER TABLE review_backlog_daily_data ADD COLUMN waiting_on_author UInt32;
ALTER TABLE review_backlog_daily_data ADD COLUMN reviewer_wait_mean_days Float64;

DROP TABLE IF EXISTS change_metrics;

CREATE VIEW IF NOT EXISTS change_metrics AS
SELECT
    source, project, branch, number, url, subject, owner, owner_id, owner_person,
    owner_is_bot, status, is_wip, created_at, updated_at, ready_at,
    first_review_at, merged_at, closed_at, time_to_first_review_s,
    time_to_merge_s, cycle_time_s, patchsets, review_rounds, insertions,
    deletions, owner_cohort, time_to_first_review_work_s, time_to_merge_work_s,
    cycle_time_work_s, waiting_on, waiting_since
FROM change_metrics_data
WHERE generation = (SELECT max(generation) FROM compute_runs);

DROP TABLE IF EXISTS review_actions;

CREATE VIEW IF NOT EXISTS review_actions AS
SELECT source, project, number, message_id, at, actor, actor_id, kind, value, is_first_review
FROM review_actions_data
WHERE generation = (SELECT max(generation) FROM compute_runs);

DROP TABLE IF EXISTS review_backlog_daily;

CREATE VIEW IF NOT EXISTS review_backlog_daily AS
SELECT
    day, source, project, open_ready, mean_age_days, median_age_days,
    older_than_7d, waiting_on_reviewer, waiting_on_author,
    reviewer_wait_mean_days
FROM review_backlog_daily_data
WHERE generation = (SELECT max(generation) FROM compute_runs);

CREATE VIEW IF NOT EXISTS review_queue AS
SELECT
    source, project, number, url, subject, owner, owner_cohort, ready_at,
    patchsets AS patchset, waiting_on,
    assumeNotNull(waiting_since) AS waiting_since,
    (toUInt32(now()) - toUInt32(assumeNotNull(waiting_since))) / 86400 AS waiting_days
FROM change_metrics_data
WHERE generation = (SELECT max(generation) FROM compute_runs)
  AND waiting_on != '';

CREATE VIEW IF NOT EXISTS reviewer_load AS
SELECT
    source, actor_id AS reviewer_id, argMax(actor, at) AS reviewer,
    toMonday(toDate(at)) AS week,
    count() AS review_actions,
    uniqExact(project, number) AS changes_reviewed,
    sum(is_first_review) AS first_reviews
FROM review_actions_data
WHERE generation = (SELECT max(generation) FROM compute_runs)
GROUP BY source, reviewer_id, week;

CREATE TABLE IF NOT EXISTS reviewer_waits_data (
    generation UInt64,
    source String,
    project String,
    number Int64,
    owner_person String,
    owner_cohort String,
    owner_is_bot UInt8,
    waiting_since DateTime('UTC'),
    from_at DateTime('UTC'),
    to_at Nullable(DateTime('UTC'))
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (generation, source, project, number, from_at);

CREATE VIEW IF NOT EXISTS reviewer_waits AS
SELECT
    source, project, number, owner_person, owner_cohort, owner_is_bot,
    waiting_since, from_at, to_at
FROM reviewer_waits_data
WHERE generation = (SELECT max(generation) FROM compute_runs);
