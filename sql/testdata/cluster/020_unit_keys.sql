-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/020_unit_keys.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

ALTER TABLE codepace.change_metrics_data_local ON CLUSTER main ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, number);

DROP TABLE IF EXISTS codepace.change_metrics_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.change_metrics_data ON CLUSTER main AS codepace.change_metrics_data_local
ENGINE = Distributed('main', 'codepace', 'change_metrics_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.review_actions_data_local ON CLUSTER main ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, number);

DROP TABLE IF EXISTS codepace.review_actions_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.review_actions_data ON CLUSTER main AS codepace.review_actions_data_local
ENGINE = Distributed('main', 'codepace', 'review_actions_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.review_backlog_changes_data_local ON CLUSTER main ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, number);

DROP TABLE IF EXISTS codepace.review_backlog_changes_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.review_backlog_changes_data ON CLUSTER main AS codepace.review_backlog_changes_data_local
ENGINE = Distributed('main', 'codepace', 'review_backlog_changes_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.reviewer_waits_data_local ON CLUSTER main ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, number);

DROP TABLE IF EXISTS codepace.reviewer_waits_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.reviewer_waits_data ON CLUSTER main AS codepace.reviewer_waits_data_local
ENGINE = Distributed('main', 'codepace', 'reviewer_waits_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.change_masks_local ON CLUSTER main ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, number);

DROP TABLE IF EXISTS codepace.change_masks ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.change_masks ON CLUSTER main AS codepace.change_masks_local
ENGINE = Distributed('main', 'codepace', 'change_masks_local', cityHash64(source, project, number));

ALTER TABLE codepace.review_backlog_daily_data_local ON CLUSTER main ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, day);

DROP TABLE IF EXISTS codepace.review_backlog_daily_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.review_backlog_daily_data ON CLUSTER main AS codepace.review_backlog_daily_data_local
ENGINE = Distributed('main', 'codepace', 'review_backlog_daily_data_local', cityHash64(source, project));

ALTER TABLE codepace.backlog_day_masks_local ON CLUSTER main ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, day);

DROP TABLE IF EXISTS codepace.backlog_day_masks ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.backlog_day_masks ON CLUSTER main AS codepace.backlog_day_masks_local
ENGINE = Distributed('main', 'codepace', 'backlog_day_masks_local', cityHash64(source, project));

ALTER TABLE codepace.builds_data_local ON CLUSTER main ADD COLUMN unit UInt64 DEFAULT cityHash64(source, system, build_id);

DROP TABLE IF EXISTS codepace.builds_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.builds_data ON CLUSTER main AS codepace.builds_data_local
ENGINE = Distributed('main', 'codepace', 'builds_data_local', cityHash64(source, system, build_id));

ALTER TABLE codepace.build_masks_local ON CLUSTER main ADD COLUMN unit UInt64 DEFAULT cityHash64(source, system, build_id);

DROP TABLE IF EXISTS codepace.build_masks ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.build_masks ON CLUSTER main AS codepace.build_masks_local
ENGINE = Distributed('main', 'codepace', 'build_masks_local', cityHash64(source, system, build_id));

ALTER TABLE codepace.newcomers_data_local ON CLUSTER main ADD COLUMN unit UInt64 DEFAULT cityHash64(source, person_id);

DROP TABLE IF EXISTS codepace.newcomers_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.newcomers_data ON CLUSTER main AS codepace.newcomers_data_local
ENGINE = Distributed('main', 'codepace', 'newcomers_data_local', cityHash64(source, person_id));

ALTER TABLE codepace.newcomer_masks_local ON CLUSTER main ADD COLUMN unit UInt64 DEFAULT cityHash64(source, person_id);

DROP TABLE IF EXISTS codepace.newcomer_masks ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.newcomer_masks ON CLUSTER main AS codepace.newcomer_masks_local
ENGINE = Distributed('main', 'codepace', 'newcomer_masks_local', cityHash64(source, person_id));

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
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM codepace.change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations));

DROP TABLE IF EXISTS codepace.review_actions ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.review_actions ON CLUSTER main AS
SELECT source, project, number, message_id, at, actor, actor_id, kind, value, is_first_review
FROM codepace.review_actions_data
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM codepace.change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations));

DROP TABLE IF EXISTS codepace.review_backlog_changes ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.review_backlog_changes ON CLUSTER main AS
SELECT source, project, number, owner_person, owner_cohort, ready_at, from_at, to_at
FROM codepace.review_backlog_changes_data
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM codepace.change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations));

DROP TABLE IF EXISTS codepace.reviewer_waits ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.reviewer_waits ON CLUSTER main AS
SELECT
    source, project, number, owner_person, owner_cohort, owner_is_bot,
    waiting_since, from_at, to_at
FROM codepace.reviewer_waits_data
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM codepace.change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations));

DROP TABLE IF EXISTS codepace.review_queue ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.review_queue ON CLUSTER main AS
SELECT
    source, project, number, url, subject, owner, owner_cohort, ready_at,
    patchsets AS patchset, waiting_on,
    assumeNotNull(waiting_since) AS waiting_since,
    (toUInt32(now()) - toUInt32(assumeNotNull(waiting_since))) / 86400 AS waiting_days
FROM codepace.change_metrics_data
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM codepace.change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations))
  AND waiting_on != '';

DROP TABLE IF EXISTS codepace.reviewer_load ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.reviewer_load ON CLUSTER main AS
SELECT
    source, actor_id AS reviewer_id, argMax(actor, at) AS reviewer,
    toMonday(toDate(at)) AS week,
    count() AS review_actions,
    uniqExact(project, number) AS changes_reviewed,
    sum(is_first_review) AS first_reviews
FROM codepace.review_actions_data
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM codepace.change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations))
GROUP BY source, reviewer_id, week;

DROP TABLE IF EXISTS codepace.review_backlog_daily ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.review_backlog_daily ON CLUSTER main AS
SELECT
    day, source, project, open_ready, mean_age_days, median_age_days,
    older_than_7d, waiting_on_reviewer, waiting_on_author,
    reviewer_wait_mean_days
FROM codepace.review_backlog_daily_data
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM codepace.backlog_day_masks
       WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations));

DROP TABLE IF EXISTS codepace.builds ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.builds ON CLUSTER main AS
SELECT
    source, system, pipeline, job, build_id, url, project, number, patchset,
    result, voting, started_at, finished_at, duration_s, queued_s, is_spike
FROM codepace.builds_data
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM codepace.build_masks
       WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations));

DROP TABLE IF EXISTS codepace.build_spikes ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.build_spikes ON CLUSTER main AS
SELECT
    source, system, pipeline, job, build_id, url, project, number, patchset,
    result, started_at, finished_at, duration_s,
    baseline_s AS baseline_median_s,
    if(baseline_s > 0, round(duration_s / baseline_s, 2), NULL) AS ratio
FROM codepace.builds_data
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM codepace.build_masks
       WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations))
  AND is_spike = 1;

DROP TABLE IF EXISTS codepace.build_daily ON CLUSTER main;

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
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM codepace.build_masks
       WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations))
GROUP BY day, source, system, pipeline, job;

DROP TABLE IF EXISTS codepace.newcomers ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.newcomers ON CLUSTER main AS
SELECT
    source, person, person_id, first_change_at, first_review_at,
    first_merge_at, time_to_first_review_s, time_to_first_merge_s
FROM codepace.newcomers_data
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM codepace.newcomer_masks
       WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations));
