-- Raw facts as the sources reported them. Every collection writes whole
-- changes; ReplacingMergeTree keeps the newest version of each row, and
-- readers use FINAL, so collecting the same change twice never doubles it.
-- `version` is the change's `updated` time in Unix nanoseconds: rows of a
-- change written by an older collection keep an older version, which is how
-- compute recognises votes or messages that have since disappeared.

CREATE TABLE IF NOT EXISTS raw_changes (
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
ORDER BY (source, project, number);

CREATE TABLE IF NOT EXISTS raw_revisions (
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
ORDER BY (source, project, number, revision);

CREATE TABLE IF NOT EXISTS raw_messages (
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
ORDER BY (source, project, number, message_id);

CREATE TABLE IF NOT EXISTS raw_votes (
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
ORDER BY (source, project, number, label, account_id);

CREATE TABLE IF NOT EXISTS raw_builds (
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
) ENGINE = ReplacingMergeTree(version)
ORDER BY (source, system, build_id);

-- Where each source's next incremental collection starts.
CREATE TABLE IF NOT EXISTS cursors (
    source String,
    cursor DateTime('UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY source;

-- One row per state of a collector run: written when it starts and again
-- when it ends; the newest version is the run's outcome.
CREATE TABLE IF NOT EXISTS collector_runs_log (
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
) ENGINE = ReplacingMergeTree(version)
ORDER BY (source, run_id);
