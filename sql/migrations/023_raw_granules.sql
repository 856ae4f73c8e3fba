-- codepace: rebuild
-- The raw tables of a change, in granules of 1,024 rows instead of 8,192.
-- An incremental compute reads the rows of the changes touched since the
-- last compute, scattered over the whole history, and ClickHouse reads a
-- column granule by granule: 1,000 changes touched of 1,000,000 read 7.6
-- million of raw_messages' 12.4 million rows in granules of 8,192, and the
-- read took half as long in granules of 1,024 (BENCHMARKS.md). ClickHouse
-- cannot change a table's granularity, so each table is rebuilt: the
-- migration runner renames it aside, creates it again as written here, and
-- copies the rows over (store/rebuild.go; safe to run again after a crash
-- at any point, and rows written meanwhile land in the new table).

CREATE TABLE raw_changes (
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
) ENGINE = ReplacingMergeTree(version)
ORDER BY (source, project, number)
SETTINGS index_granularity = 1024;

CREATE TABLE raw_revisions (
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
) ENGINE = ReplacingMergeTree(version)
ORDER BY (source, project, number, revision)
SETTINGS index_granularity = 1024;

CREATE TABLE raw_messages (
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
) ENGINE = ReplacingMergeTree(version)
ORDER BY (source, project, number, message_id)
SETTINGS index_granularity = 1024;

CREATE TABLE raw_votes (
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
) ENGINE = ReplacingMergeTree(version)
ORDER BY (source, project, number, label, account_id)
SETTINGS index_granularity = 1024;
