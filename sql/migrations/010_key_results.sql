-- Key results (docs/definitions.md §18): what the figures of the scoreboard
-- read besides the views of 003, the values `codepace record` stores, and
-- the scoreboard each compute writes. Columns are documented in
-- sql/README.md.

-- change_metrics gains owner_person (added by 007_owner_person.sql). A view
-- cannot be altered: it is dropped (18.16 drops views with DROP TABLE) and
-- created again, which a re-run does the same way.
DROP TABLE IF EXISTS change_metrics;

CREATE VIEW IF NOT EXISTS change_metrics AS
SELECT
    source, project, branch, number, url, subject, owner, owner_id, owner_person,
    owner_is_bot, status, is_wip, created_at, updated_at, ready_at,
    first_review_at, merged_at, closed_at, time_to_first_review_s,
    time_to_merge_s, cycle_time_s, patchsets, review_rounds, insertions,
    deletions, owner_cohort
FROM change_metrics_data
WHERE generation = (SELECT max(generation) FROM compute_runs);

-- One row per span during which a change was open and ready (§13): the
-- review backlog change by change, so that its figures can be taken at any
-- instant and filtered by cohort and team. ready_at is the age's origin:
-- the change's ready_at, or the start of its first span when that is
-- earlier (as review_backlog_daily counts it). to_at is NULL while open.
CREATE TABLE IF NOT EXISTS review_backlog_changes_data (
    generation UInt64,
    source String,
    project String,
    number Int64,
    owner_person String,
    owner_cohort String,
    ready_at DateTime('UTC'),
    from_at DateTime('UTC'),
    to_at Nullable(DateTime('UTC'))
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (generation, source, project, number, from_at);

CREATE VIEW IF NOT EXISTS review_backlog_changes AS
SELECT source, project, number, owner_person, owner_cohort, ready_at, from_at, to_at
FROM review_backlog_changes_data
WHERE generation = (SELECT max(generation) FROM compute_runs);

-- Values of manual targets, stored by `codepace record`: one per metric and
-- day (at is 00:00 UTC of the day); recording the same metric and day again
-- replaces the value (the highest version wins; read with FINAL).
CREATE TABLE IF NOT EXISTS recorded_values (
    metric String,
    at DateTime('UTC'),
    value Float64,
    note String,
    recorded_at DateTime('UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (metric, at);

-- The scoreboard as each compute judged it: one row per target and
-- evaluation (the evaluation number is its instant in Unix nanoseconds).
CREATE TABLE IF NOT EXISTS key_results_log (
    evaluation UInt64,
    position UInt32,
    metric String,
    filter String,
    manual UInt8,
    unit String,
    baseline Nullable(Float64),
    baseline_n Nullable(UInt32),
    goal Nullable(Float64),
    current Nullable(Float64),
    n Nullable(UInt32),
    ci_low Nullable(Float64),
    ci_high Nullable(Float64),
    expected Nullable(Float64),
    status String,
    on_track Nullable(UInt8),
    min_n UInt32,
    at DateTime('UTC'),
    start DateTime('UTC'),
    due Date,
    trend_at Array(DateTime('UTC')),
    trend Array(Nullable(Float64)),
    trend_n Array(Nullable(UInt32))
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(at)
ORDER BY (evaluation, position);

-- The latest evaluation: what `codepace report` printed at the last compute.
CREATE VIEW IF NOT EXISTS key_results AS
SELECT
    position, metric, filter, manual, unit, baseline, baseline_n, goal,
    current, n, ci_low, ci_high, expected, status, on_track, min_n, at,
    start, due, trend_at, trend, trend_n
FROM key_results_log
WHERE evaluation = (SELECT max(evaluation) FROM key_results_log);
