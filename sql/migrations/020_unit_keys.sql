-- Unit keys (sql/README.md, section 1): each derived table with masks,
-- and each mask table, gets a column unit, a 64-bit hash (cityHash64) of
-- its unit's key columns, and the views mask rows by (unit, generation)
-- instead of by the key columns. At a million changes the builds view
-- hashed a tuple of three strings for each of its 15M rows (1.4 s of the
-- 1.7 s a DISTINCT over it took, with no mask at all), two integers cost
-- a fraction of that. The column is a DEFAULT: every insert, which names
-- the other columns only, stores it; rows written before this migration
-- compute it when read, until the next full compute (the first compute of
-- a new codepace is full) rewrites them. Two units of one generation with
-- one hash would mask each other: at a million changes and 15M builds
-- that has a probability of about 1e-8 per compute (docs/definitions.md
-- §20). One statement adds one column, so a migration cut short is re-run
-- safely (an existing column is skipped).
ALTER TABLE change_metrics_data ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, number);

ALTER TABLE review_actions_data ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, number);

ALTER TABLE review_backlog_changes_data ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, number);

ALTER TABLE reviewer_waits_data ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, number);

ALTER TABLE change_masks ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, number);

ALTER TABLE review_backlog_daily_data ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, day);

ALTER TABLE backlog_day_masks ADD COLUMN unit UInt64 DEFAULT cityHash64(source, project, day);

ALTER TABLE builds_data ADD COLUMN unit UInt64 DEFAULT cityHash64(source, system, build_id);

ALTER TABLE build_masks ADD COLUMN unit UInt64 DEFAULT cityHash64(source, system, build_id);

ALTER TABLE newcomers_data ADD COLUMN unit UInt64 DEFAULT cityHash64(source, person_id);

ALTER TABLE newcomer_masks ADD COLUMN unit UInt64 DEFAULT cityHash64(source, person_id);

-- Every masked view, dropped and created again (as in 013) to mask by unit.

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
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations));

DROP TABLE IF EXISTS review_actions;

CREATE VIEW IF NOT EXISTS review_actions AS
SELECT source, project, number, message_id, at, actor, actor_id, kind, value, is_first_review
FROM review_actions_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations));

DROP TABLE IF EXISTS review_backlog_changes;

CREATE VIEW IF NOT EXISTS review_backlog_changes AS
SELECT source, project, number, owner_person, owner_cohort, ready_at, from_at, to_at
FROM review_backlog_changes_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations));

DROP TABLE IF EXISTS reviewer_waits;

CREATE VIEW IF NOT EXISTS reviewer_waits AS
SELECT
    source, project, number, owner_person, owner_cohort, owner_is_bot,
    waiting_since, from_at, to_at
FROM reviewer_waits_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations));

DROP TABLE IF EXISTS review_queue;

CREATE VIEW IF NOT EXISTS review_queue AS
SELECT
    source, project, number, url, subject, owner, owner_cohort, ready_at,
    patchsets AS patchset, waiting_on,
    assumeNotNull(waiting_since) AS waiting_since,
    (toUInt32(now()) - toUInt32(assumeNotNull(waiting_since))) / 86400 AS waiting_days
FROM change_metrics_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations))
  AND waiting_on != '';

DROP TABLE IF EXISTS reviewer_load;

CREATE VIEW IF NOT EXISTS reviewer_load AS
SELECT
    source, actor_id AS reviewer_id, argMax(actor, at) AS reviewer,
    toMonday(toDate(at)) AS week,
    count() AS review_actions,
    uniqExact(project, number) AS changes_reviewed,
    sum(is_first_review) AS first_reviews
FROM review_actions_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations))
GROUP BY source, reviewer_id, week;

DROP TABLE IF EXISTS review_backlog_daily;

CREATE VIEW IF NOT EXISTS review_backlog_daily AS
SELECT
    day, source, project, open_ready, mean_age_days, median_age_days,
    older_than_7d, waiting_on_reviewer, waiting_on_author,
    reviewer_wait_mean_days
FROM review_backlog_daily_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM backlog_day_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations));

DROP TABLE IF EXISTS builds;

CREATE VIEW IF NOT EXISTS builds AS
SELECT
    source, system, pipeline, job, build_id, url, project, number, patchset,
    result, voting, started_at, finished_at, duration_s, queued_s, is_spike
FROM builds_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM build_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations));

DROP TABLE IF EXISTS build_spikes;

CREATE VIEW IF NOT EXISTS build_spikes AS
SELECT
    source, system, pipeline, job, build_id, url, project, number, patchset,
    result, started_at, finished_at, duration_s,
    baseline_s AS baseline_median_s,
    if(baseline_s > 0, round(duration_s / baseline_s, 2), NULL) AS ratio
FROM builds_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM build_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations))
  AND is_spike = 1;

DROP TABLE IF EXISTS build_daily;

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
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM build_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations))
GROUP BY day, source, system, pipeline, job;

DROP TABLE IF EXISTS newcomers;

CREATE VIEW IF NOT EXISTS newcomers AS
SELECT
    source, person, person_id, first_change_at, first_review_at,
    first_merge_at, time_to_first_review_s, time_to_first_merge_s
FROM newcomers_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (unit, generation) GLOBAL NOT IN
      (SELECT unit, hidden FROM newcomer_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations));
