-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/001_raw_facts.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

CREATE TABLE IF NOT EXISTS codepace.raw_changes_local ON CLUSTER main (
    source String,
    project String,
    branch String,
    number Int64,
    change_id String,
    url String,
    subject String,
    owner_id String,
    owner_name String,
    owner_username String,
    owner_email String,
    owner_service UInt8,
    status String,
    is_wip UInt8,
    created_at DateTime('UTC'),
    updated_at DateTime('UTC'),
    merged_at Nullable(DateTime('UTC')),
    insertions Int64,
    deletions Int64,
    author_date Nullable(DateTime('UTC')),
    version UInt64,
    collected_at DateTime('UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/codepace/raw_changes', '{replica}', version)
ORDER BY (source, project, number);

CREATE TABLE IF NOT EXISTS codepace.raw_changes ON CLUSTER main AS codepace.raw_changes_local
ENGINE = Distributed('main', 'codepace', 'raw_changes_local', cityHash64(source, project, number));

CREATE TABLE IF NOT EXISTS codepace.raw_revisions_local ON CLUSTER main (
    source String,
    project String,
    number Int64,
    revision Int32,
    created_at DateTime('UTC'),
    uploader_id String,
    uploader_name String,
    uploader_username String,
    uploader_email String,
    uploader_service UInt8,
    kind String,
    commit String,
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/codepace/raw_revisions', '{replica}', version)
ORDER BY (source, project, number, revision);

CREATE TABLE IF NOT EXISTS codepace.raw_revisions ON CLUSTER main AS codepace.raw_revisions_local
ENGINE = Distributed('main', 'codepace', 'raw_revisions_local', cityHash64(source, project, number));

CREATE TABLE IF NOT EXISTS codepace.raw_messages_local ON CLUSTER main (
    source String,
    project String,
    number Int64,
    message_id String,
    seq UInt32,
    author_id String,
    author_name String,
    author_username String,
    author_email String,
    author_service UInt8,
    at DateTime('UTC'),
    at_ns UInt32,
    tag String,
    text String,
    revision Int32,
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/codepace/raw_messages', '{replica}', version)
ORDER BY (source, project, number, message_id);

CREATE TABLE IF NOT EXISTS codepace.raw_messages ON CLUSTER main AS codepace.raw_messages_local
ENGINE = Distributed('main', 'codepace', 'raw_messages_local', cityHash64(source, project, number));

CREATE TABLE IF NOT EXISTS codepace.raw_votes_local ON CLUSTER main (
    source String,
    project String,
    number Int64,
    label String,
    account_id String,
    account_name String,
    account_username String,
    account_email String,
    account_service UInt8,
    value Int32,
    at Nullable(DateTime('UTC')),
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/codepace/raw_votes', '{replica}', version)
ORDER BY (source, project, number, label, account_id);

CREATE TABLE IF NOT EXISTS codepace.raw_votes ON CLUSTER main AS codepace.raw_votes_local
ENGINE = Distributed('main', 'codepace', 'raw_votes_local', cityHash64(source, project, number));

CREATE TABLE IF NOT EXISTS codepace.raw_builds_local ON CLUSTER main (
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
    duration_s Int64,
    queued_s Nullable(Int64),
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/codepace/raw_builds', '{replica}', version)
ORDER BY (source, system, build_id);

CREATE TABLE IF NOT EXISTS codepace.raw_builds ON CLUSTER main AS codepace.raw_builds_local
ENGINE = Distributed('main', 'codepace', 'raw_builds_local', cityHash64(source, system, build_id));

CREATE TABLE IF NOT EXISTS codepace.cursors_local ON CLUSTER main (
    source String,
    cursor DateTime('UTC'),
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/codepace/cursors', '{replica}', version)
ORDER BY source;

CREATE TABLE IF NOT EXISTS codepace.cursors ON CLUSTER main AS codepace.cursors_local
ENGINE = Distributed('main', 'codepace', 'cursors_local', cityHash64(source));

CREATE TABLE IF NOT EXISTS codepace.collector_runs_log_local ON CLUSTER main (
    run_id String,
    source String,
    started_at DateTime('UTC'),
    finished_at Nullable(DateTime('UTC')),
    status String,
    items UInt64,
    requests UInt64,
    skipped UInt64,
    error String,
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/codepace/collector_runs_log', '{replica}', version)
ORDER BY (source, run_id);

CREATE TABLE IF NOT EXISTS codepace.collector_runs_log ON CLUSTER main AS codepace.collector_runs_log_local
ENGINE = Distributed('main', 'codepace', 'collector_runs_log_local', cityHash64(source, run_id));
