-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/002_derived.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

CREATE TABLE IF NOT EXISTS codepace.compute_runs_local ON CLUSTER main (
    generation UInt64,
    started_at DateTime('UTC'),
    finished_at DateTime('UTC'),
    changes UInt64,
    builds UInt64
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/compute_runs', '{replica}')
ORDER BY generation;

CREATE TABLE IF NOT EXISTS codepace.compute_runs ON CLUSTER main AS codepace.compute_runs_local
ENGINE = Distributed('main', 'codepace', 'compute_runs_local', cityHash64(generation));

CREATE TABLE IF NOT EXISTS codepace.change_metrics_data_local ON CLUSTER main (
    generation UInt64,
    source String,
    project String,
    branch String,
    number Int64,
    url String,
    subject String,
    owner String,
    owner_id String,
    owner_is_bot UInt8,
    status String,
    is_wip UInt8,
    created_at DateTime('UTC'),
    updated_at DateTime('UTC'),
    ready_at Nullable(DateTime('UTC')),
    first_review_at Nullable(DateTime('UTC')),
    merged_at Nullable(DateTime('UTC')),
    closed_at Nullable(DateTime('UTC')),
    time_to_first_review_s Nullable(Int64),
    time_to_merge_s Nullable(Int64),
    cycle_time_s Nullable(Int64),
    patchsets Int32,
    review_rounds Int32,
    insertions Int64,
    deletions Int64,
    owner_cohort String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/change_metrics_data', '{replica}')
PARTITION BY generation
ORDER BY (generation, source, project, number);

CREATE TABLE IF NOT EXISTS codepace.change_metrics_data ON CLUSTER main AS codepace.change_metrics_data_local
ENGINE = Distributed('main', 'codepace', 'change_metrics_data_local', cityHash64(source, project, number));

CREATE TABLE IF NOT EXISTS codepace.review_actions_data_local ON CLUSTER main (
    generation UInt64,
    source String,
    project String,
    number Int64,
    message_id String,
    at DateTime('UTC'),
    actor String,
    actor_id String,
    kind String,
    value String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/review_actions_data', '{replica}')
PARTITION BY generation
ORDER BY (generation, source, project, number, at);

CREATE TABLE IF NOT EXISTS codepace.review_actions_data ON CLUSTER main AS codepace.review_actions_data_local
ENGINE = Distributed('main', 'codepace', 'review_actions_data_local', cityHash64(source, project, number));

CREATE TABLE IF NOT EXISTS codepace.builds_data_local ON CLUSTER main (
    generation UInt64,
    source String,
    system String,
    pipeline String,
    job String,
    build_id String,
    url String,
    project String,
    number Int64,
    patchset Int32,
    result String,
    voting UInt8,
    started_at DateTime('UTC'),
    finished_at DateTime('UTC'),
    duration_s Nullable(Int64),
    queued_s Nullable(Int64),
    is_spike UInt8
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/builds_data', '{replica}')
PARTITION BY generation
ORDER BY (generation, source, system, job, finished_at);

CREATE TABLE IF NOT EXISTS codepace.builds_data ON CLUSTER main AS codepace.builds_data_local
ENGINE = Distributed('main', 'codepace', 'builds_data_local', cityHash64(source, system, build_id));

CREATE TABLE IF NOT EXISTS codepace.newcomers_data_local ON CLUSTER main (
    generation UInt64,
    source String,
    person String,
    person_id String,
    first_change_at DateTime('UTC'),
    first_review_at Nullable(DateTime('UTC')),
    first_merge_at Nullable(DateTime('UTC')),
    time_to_first_review_s Nullable(Int64),
    time_to_first_merge_s Nullable(Int64)
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/newcomers_data', '{replica}')
PARTITION BY generation
ORDER BY (generation, source, person_id);

CREATE TABLE IF NOT EXISTS codepace.newcomers_data ON CLUSTER main AS codepace.newcomers_data_local
ENGINE = Distributed('main', 'codepace', 'newcomers_data_local', cityHash64(source, person_id));

CREATE TABLE IF NOT EXISTS codepace.review_backlog_daily_data_local ON CLUSTER main (
    generation UInt64,
    day Date,
    source String,
    project String,
    open_ready UInt32,
    mean_age_days Float64,
    median_age_days Float64,
    older_than_7d UInt32
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/review_backlog_daily_data', '{replica}')
PARTITION BY generation
ORDER BY (generation, source, project, day);

CREATE TABLE IF NOT EXISTS codepace.review_backlog_daily_data ON CLUSTER main AS codepace.review_backlog_daily_data_local
ENGINE = Distributed('main', 'codepace', 'review_backlog_daily_data_local', cityHash64(source, project));
