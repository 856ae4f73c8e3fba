-- Rendered by sql.RebuildLocal(stmt, "main", "codepace") from migrations/023_raw_granules.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

CREATE TABLE codepace.raw_changes_local ON CLUSTER main (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/codepace/raw_changes_023', '{replica}', version)
ORDER BY (source, project, number)
SETTINGS index_granularity = 1024;

CREATE TABLE codepace.raw_revisions_local ON CLUSTER main (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/codepace/raw_revisions_023', '{replica}', version)
ORDER BY (source, project, number, revision)
SETTINGS index_granularity = 1024;

CREATE TABLE codepace.raw_messages_local ON CLUSTER main (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/codepace/raw_messages_023', '{replica}', version)
ORDER BY (source, project, number, message_id)
SETTINGS index_granularity = 1024;

CREATE TABLE codepace.raw_votes_local ON CLUSTER main (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/codepace/raw_votes_023', '{replica}', version)
ORDER BY (source, project, number, label, account_id)
SETTINGS index_granularity = 1024;
