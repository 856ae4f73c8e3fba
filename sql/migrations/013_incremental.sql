-- Incremental compute (sql/README.md, section 1):
-- a compute may write only the units (a change, a project's backlog day, a
-- build, a newcomer) that new raw facts can change, as a layer over the
-- previous generations, instead of every derived row.
--
-- compute_runs.base: the full compute a generation is layered on; a full
-- compute is its own base (base = generation; 0 on rows written before this
-- migration means the same). One statement adds one column, so a migration
-- cut short is re-run safely (an existing column is skipped).
ALTER TABLE compute_runs ADD COLUMN base UInt64 DEFAULT 0;

-- The live generations: the completed computes (a row in compute_runs)
-- layered on the same base as the latest one. The views read the rows of
-- these generations that no later live generation masks.
CREATE VIEW IF NOT EXISTS live_generations AS
SELECT generation
FROM compute_runs
WHERE if(base = 0, generation, base) =
    (SELECT argMax(if(base = 0, generation, base), generation) FROM compute_runs);

-- Masks: a row (unit, generation g, hidden h) says that generation g, which
-- rewrote the unit whole, hides the unit's rows of the older generation h.
-- A mask counts only when g is live, so the masks of a compute that never
-- finished hide nothing. Partitioned by base: the full compute that starts
-- a new base drops the masks of the old ones with their generations.

-- The unit of change_masks is a change (source, project, number): its rows
-- in change_metrics_data, review_actions_data, review_backlog_changes_data
-- and reviewer_waits_data.
CREATE TABLE IF NOT EXISTS change_masks (
    base UInt64,
    generation UInt64,
    hidden UInt64,
    source String,
    project String,
    number Int64
) ENGINE = MergeTree()
PARTITION BY base
ORDER BY (source, project, number, hidden);

-- The unit of backlog_day_masks is a project's backlog day (source,
-- project, day): its row in review_backlog_daily_data.
CREATE TABLE IF NOT EXISTS backlog_day_masks (
    base UInt64,
    generation UInt64,
    hidden UInt64,
    source String,
    project String,
    day Date
) ENGINE = MergeTree()
PARTITION BY base
ORDER BY (source, project, day, hidden);

-- The unit of build_masks is a build (source, system, build_id): its row
-- in builds_data.
CREATE TABLE IF NOT EXISTS build_masks (
    base UInt64,
    generation UInt64,
    hidden UInt64,
    source String,
    system String,
    build_id String
) ENGINE = MergeTree()
PARTITION BY base
ORDER BY (source, system, build_id, hidden);

-- The unit of newcomer_masks is a person (source, person_id): their row in
-- newcomers_data.
CREATE TABLE IF NOT EXISTS newcomer_masks (
    base UInt64,
    generation UInt64,
    hidden UInt64,
    source String,
    person_id String
) ENGINE = MergeTree()
PARTITION BY base
ORDER BY (source, person_id, hidden);

-- Every view over a derived table, dropped and created again (ClickHouse
-- 18.16 has no CREATE OR REPLACE VIEW; DROP TABLE drops a view) to read the
-- live generations minus the masked units. GLOBAL IN: on a cluster the
-- tables are Distributed, and ClickHouse refuses a plain IN of one
-- Distributed read inside another; on one server GLOBAL IN is IN.

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
  AND (source, project, number, generation) GLOBAL NOT IN
      (SELECT source, project, number, hidden FROM change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations));

DROP TABLE IF EXISTS review_actions;

CREATE VIEW IF NOT EXISTS review_actions AS
SELECT source, project, number, message_id, at, actor, actor_id, kind, value, is_first_review
FROM review_actions_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (source, project, number, generation) GLOBAL NOT IN
      (SELECT source, project, number, hidden FROM change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations));

DROP TABLE IF EXISTS review_backlog_changes;

CREATE VIEW IF NOT EXISTS review_backlog_changes AS
SELECT source, project, number, owner_person, owner_cohort, ready_at, from_at, to_at
FROM review_backlog_changes_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (source, project, number, generation) GLOBAL NOT IN
      (SELECT source, project, number, hidden FROM change_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations));

DROP TABLE IF EXISTS reviewer_waits;

CREATE VIEW IF NOT EXISTS reviewer_waits AS
SELECT
    source, project, number, owner_person, owner_cohort, owner_is_bot,
    waiting_since, from_at, to_at
FROM reviewer_waits_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (source, project, number, generation) GLOBAL NOT IN
      (SELECT source, project, number, hidden FROM change_masks
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
  AND (source, project, number, generation) GLOBAL NOT IN
      (SELECT source, project, number, hidden FROM change_masks
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
  AND (source, project, number, generation) GLOBAL NOT IN
      (SELECT source, project, number, hidden FROM change_masks
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
  AND (source, project, day, generation) GLOBAL NOT IN
      (SELECT source, project, day, hidden FROM backlog_day_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations));

DROP TABLE IF EXISTS builds;

CREATE VIEW IF NOT EXISTS builds AS
SELECT
    source, system, pipeline, job, build_id, url, project, number, patchset,
    result, voting, started_at, finished_at, duration_s, queued_s, is_spike
FROM builds_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (source, system, build_id, generation) GLOBAL NOT IN
      (SELECT source, system, build_id, hidden FROM build_masks
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
  AND (source, system, build_id, generation) GLOBAL NOT IN
      (SELECT source, system, build_id, hidden FROM build_masks
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
  AND (source, system, build_id, generation) GLOBAL NOT IN
      (SELECT source, system, build_id, hidden FROM build_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations))
GROUP BY day, source, system, pipeline, job;

DROP TABLE IF EXISTS newcomers;

CREATE VIEW IF NOT EXISTS newcomers AS
SELECT
    source, person, person_id, first_change_at, first_review_at,
    first_merge_at, time_to_first_review_s, time_to_first_merge_s
FROM newcomers_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
  AND (source, person_id, generation) GLOBAL NOT IN
      (SELECT source, person_id, hidden FROM newcomer_masks
       WHERE generation GLOBAL IN (SELECT generation FROM live_generations));
