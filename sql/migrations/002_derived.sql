-- Derived tables, rewritten whole by `codepace compute`. Each compute writes
-- a new generation into its own partition and then records it in
-- compute_runs; the views read only the newest recorded generation, so a
-- compute that fails half-way is never visible and never doubles a row.

CREATE TABLE IF NOT EXISTS compute_runs (
    generation UInt64,
    started_at DateTime('UTC'),
    finished_at DateTime('UTC'),
    changes UInt64,
    builds UInt64
) ENGINE = MergeTree()
ORDER BY generation;

CREATE TABLE IF NOT EXISTS change_metrics_data (
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
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (generation, source, project, number);

CREATE TABLE IF NOT EXISTS review_actions_data (
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
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (generation, source, project, number, at);

CREATE TABLE IF NOT EXISTS builds_data (
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
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (generation, source, system, job, finished_at);

CREATE TABLE IF NOT EXISTS newcomers_data (
    generation UInt64,
    source String,
    person String,
    person_id String,
    first_change_at DateTime('UTC'),
    first_review_at Nullable(DateTime('UTC')),
    first_merge_at Nullable(DateTime('UTC')),
    time_to_first_review_s Nullable(Int64),
    time_to_first_merge_s Nullable(Int64)
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (generation, source, person_id);

CREATE TABLE IF NOT EXISTS review_backlog_daily_data (
    generation UInt64,
    day Date,
    source String,
    project String,
    open_ready UInt32,
    mean_age_days Float64,
    median_age_days Float64,
    older_than_7d UInt32
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (generation, source, project, day);
