-- The owner accounts as compute reads them from the raw facts, to give
-- each change its owner's cohort (docs/definitions.md §11): per source and
-- owner id, the latest username and email (of the owner's most recently
-- updated change) and when the owner's first change was created. Every
-- compute writes it whole into its generation (one row per owner
-- account), as the derived tables; an incremental compute reads the
-- latest one's and reads again from the raw facts only the owners of the
-- changes collected since (§20), instead of every change.
CREATE TABLE IF NOT EXISTS owner_firsts_data (
    generation UInt64,
    source String,
    owner_id String,
    owner_username String,
    owner_email String,
    first_at DateTime('UTC')
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (generation, source, owner_id);
