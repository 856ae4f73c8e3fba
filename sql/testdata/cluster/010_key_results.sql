-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/010_key_results.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

DROP TABLE IF EXISTS codepace.change_metrics ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.change_metrics ON CLUSTER main AS
SELECT
    source, project, branch, number, url, subject, owner, owner_id, owner_person,
    owner_is_bot, status, is_wip, created_at, updated_at, ready_at,
    first_review_at, merged_at, closed_at, time_to_first_review_s,
    time_to_merge_s, cycle_time_s, patchsets, review_rounds, insertions,
    deletions, owner_cohort
FROM codepace.change_metrics_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs);

CREATE TABLE IF NOT EXISTS codepace.review_backlog_changes_data_local ON CLUSTER main (
    generation UInt64,
    source String,
    project String,
    number Int64,
    owner_person String,
    owner_cohort String,
    ready_at DateTime('UTC'),
    from_at DateTime('UTC'),
    to_at Nullable(DateTime('UTC'))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/review_backlog_changes_data', '{replica}')
PARTITION BY generation
ORDER BY (generation, source, project, number, from_at);

CREATE TABLE IF NOT EXISTS codepace.review_backlog_changes_data ON CLUSTER main AS codepace.review_backlog_changes_data_local
ENGINE = Distributed('main', 'codepace', 'review_backlog_changes_data_local', cityHash64(source, project, number));

CREATE VIEW IF NOT EXISTS codepace.review_backlog_changes ON CLUSTER main AS
SELECT source, project, number, owner_person, owner_cohort, ready_at, from_at, to_at
FROM codepace.review_backlog_changes_data
WHERE generation = (SELECT max(generation) FROM codepace.compute_runs);

CREATE TABLE IF NOT EXISTS codepace.recorded_values_local ON CLUSTER main (
    metric String,
    at DateTime('UTC'),
    value Float64,
    note String,
    recorded_at DateTime('UTC'),
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/codepace/recorded_values', '{replica}', version)
ORDER BY (metric, at);

CREATE TABLE IF NOT EXISTS codepace.recorded_values ON CLUSTER main AS codepace.recorded_values_local
ENGINE = Distributed('main', 'codepace', 'recorded_values_local', cityHash64(metric, at));

CREATE TABLE IF NOT EXISTS codepace.key_results_log_local ON CLUSTER main (
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
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/key_results_log', '{replica}')
PARTITION BY toYYYYMM(at)
ORDER BY (evaluation, position);

CREATE TABLE IF NOT EXISTS codepace.key_results_log ON CLUSTER main AS codepace.key_results_log_local
ENGINE = Distributed('main', 'codepace', 'key_results_log_local', cityHash64(evaluation));

CREATE VIEW IF NOT EXISTS codepace.key_results ON CLUSTER main AS
SELECT
    position, metric, filter, manual, unit, baseline, baseline_n, goal,
    current, n, ci_low, ci_high, expected, status, on_track, min_n, at,
    start, due, trend_at, trend, trend_n
FROM codepace.key_results_log
WHERE evaluation = (SELECT max(evaluation) FROM codepace.key_results_log);
