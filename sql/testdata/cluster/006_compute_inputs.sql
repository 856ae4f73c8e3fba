-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/006_compute_inputs.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

CREATE TABLE IF NOT EXISTS codepace.compute_inputs_local ON CLUSTER main (
    generation UInt64,
    fingerprint String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/compute_inputs', '{replica}')
ORDER BY generation;

CREATE TABLE IF NOT EXISTS codepace.compute_inputs ON CLUSTER main AS codepace.compute_inputs_local
ENGINE = Distributed('main', 'codepace', 'compute_inputs_local', cityHash64(generation));
