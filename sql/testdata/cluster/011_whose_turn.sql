-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/011_whose_turn.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

ALTER TABLE codepace.change_metrics_data_local ON CLUSTER main ADD COLUMN time_to_first_review_work_s Nullable(Int64);

DROP TABLE IF EXISTS codepace.change_metrics_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.change_metrics_data ON CLUSTER main AS codepace.change_metrics_data_local
ENGINE = Distributed('main', 'codepace', 'change_metrics_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.change_metrics_data_local ON CLUSTER main ADD COLUMN time_to_merge_work_s Nullable(Int64);

DROP TABLE IF EXISTS codepace.change_metrics_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.change_metrics_data ON CLUSTER main AS codepace.change_metrics_data_local
ENGINE = Distributed('main', 'codepace', 'change_metrics_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.change_metrics_data_local ON CLUSTER main ADD COLUMN cycle_time_work_s Nullable(Int64);

DROP TABLE IF EXISTS codepace.change_metrics_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.change_metrics_data ON CLUSTER main AS codepace.change_metrics_data_local
ENGINE = Distributed('main', 'codepace', 'change_metrics_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.change_metrics_data_local ON CLUSTER main ADD COLUMN waiting_on String;

DROP TABLE IF EXISTS codepace.change_metrics_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.change_metrics_data ON CLUSTER main AS codepace.change_metrics_data_local
ENGINE = Distributed('main', 'codepace', 'change_metrics_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.change_metrics_data_local ON CLUSTER main ADD COLUMN waiting_since Nullable(DateTime('UTC'));

DROP TABLE IF EXISTS codepace.change_metrics_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.change_metrics_data ON CLUSTER main AS codepace.change_metrics_data_local
ENGINE = Distributed('main', 'codepace', 'change_metrics_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.review_actions_data_local ON CLUSTER main ADD COLUMN is_first_review UInt8;

DROP TABLE IF EXISTS codepace.review_actions_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.review_actions_data ON CLUSTER main AS codepace.review_actions_data_local
ENGINE = Distributed('main', 'codepace', 'review_actions_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.review_backlog_daily_data_local ON CLUSTER main ADD COLUMN waiting_on_reviewer UInt32;

DROP TABLE IF EXISTS codepace.review_backlog_daily_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.review_backlog_daily_data ON CLUSTER main AS codepace.review_backlog_daily_data_local
ENGINE = Distributed('main', 'codepace', 'review_backlog_daily_data_local', cityHash64(source, project));

ALTER TABLE codepace.review_backlog_daily_data_local ON CLUSTER main ADD COLUMN waiting_on_author UInt32;

DROP TABLE IF EXISTS codepace.review_backlog_daily_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.review_backlog_daily_data ON CLUSTER main AS codepace.review_backlog_daily_data_local
ENGINE = Distributed('main', 'codepace', 'review_backlog_daily_data_local', cityHash64(source, project));

ALTER TABLE codepace.review_backlog_daily_data_local ON CLUSTER main ADD COLUMN reviewer_wait_mean_days Float64;

DROP TABLE IF EXISTS codepace.review_backlog_daily_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.review_backlog_daily_data ON CLUSTER main AS codepace.review_backlog_daily_data_local
ENGINE = Distributed('main', 'codepace', 'review_backlog_daily_data_local', cityHash64(source, project));

DROP TABLE IF EXISTS codepace.change_metrics ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.change_metrics ON CLUSTER main AS
SELECT
    source, project, branch, number, url, subject, owner, owner_id, owner_person,
    owner_is_bot, status, is_wip, created_at, updated_at, ready_at,
    first_review_at, merged_at, closed_at, time_to_first_review_s,
    time_to_merge_s, cycle_time_s, patchsets, review_rounds, insertions,
    deletions, owner_cohort, time_to_first_review_work_s, time_to_merge_work_s,
    cycle_time_work_s, waiting_on, waiting_since
FROM codepace.change_metrics_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs);

DROP TABLE IF EXISTS codepace.review_actions ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.review_actions ON CLUSTER main AS
SELECT source, project, number, message_id, at, actor, actor_id, kind, value, is_first_review
FROM codepace.review_actions_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs);

DROP TABLE IF EXISTS codepace.review_backlog_daily ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.review_backlog_daily ON CLUSTER main AS
SELECT
    day, source, project, open_ready, mean_age_days, median_age_days,
    older_than_7d, waiting_on_reviewer, waiting_on_author,
    reviewer_wait_mean_days
FROM codepace.review_backlog_daily_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs);

CREATE VIEW IF NOT EXISTS codepace.review_queue ON CLUSTER main AS
SELECT
    source, project, number, url, subject, owner, owner_cohort, ready_at,
    patchsets AS patchset, waiting_on,
    assumeNotNull(waiting_since) AS waiting_since,
    (toUInt32(now()) - toUInt32(assumeNotNull(waiting_since))) / 86400 AS waiting_days
FROM codepace.change_metrics_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs)
  AND waiting_on != '';

CREATE VIEW IF NOT EXISTS codepace.reviewer_load ON CLUSTER main AS
SELECT
    source, actor_id AS reviewer_id, argMax(actor, at) AS reviewer,
    toMonday(toDate(at)) AS week,
    count() AS review_actions,
    uniqExact(project, number) AS changes_reviewed,
    sum(is_first_review) AS first_reviews
FROM codepace.review_actions_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs)
GROUP BY source, reviewer_id, week;

CREATE TABLE IF NOT EXISTS codepace.reviewer_waits_data_local ON CLUSTER main (
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
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/reviewer_waits_data', '{replica}')
PARTITION BY generation
ORDER BY (generation, source, project, number, from_at);

CREATE TABLE IF NOT EXISTS codepace.reviewer_waits_data ON CLUSTER main AS codepace.reviewer_waits_data_local
ENGINE = Distributed('main', 'codepace', 'reviewer_waits_data_local', cityHash64(source, project, number));

CREATE VIEW IF NOT EXISTS codepace.reviewer_waits ON CLUSTER main AS
SELECT
    source, project, number, owner_person, owner_cohort, owner_is_bot,
    waiting_since, from_at, to_at
FROM codepace.reviewer_waits_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs);
