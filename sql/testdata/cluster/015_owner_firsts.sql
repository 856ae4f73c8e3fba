-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/015_owner_firsts.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

CREATE TABLE IF NOT EXISTS codepace.owner_firsts_data_local ON CLUSTER main (
    generation UInt64,
    source String,
    owner_id String,
    owner_username String,
    owner_email String,
    first_at DateTime('UTC')
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/owner_firsts_data', '{replica}')
PARTITION BY generation
ORDER BY (generation, source, owner_id);

CREATE TABLE IF NOT EXISTS codepace.owner_firsts_data ON CLUSTER main AS codepace.owner_firsts_data_local
ENGINE = Distributed('main', 'codepace', 'owner_firsts_data_local', cityHash64(source, owner_id));
