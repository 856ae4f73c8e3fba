-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/019_catalog.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

CREATE TABLE IF NOT EXISTS codepace.catalog_data_local ON CLUSTER main (
    generation UInt64,
    source String,
    kind String,
    project String,
    pipeline String,
    present UInt8
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/catalog_data', '{replica}')
PARTITION BY generation
ORDER BY (generation, source, kind, project, pipeline);

CREATE TABLE IF NOT EXISTS codepace.catalog_data ON CLUSTER main AS codepace.catalog_data_local
ENGINE = Distributed('main', 'codepace', 'catalog_data_local', cityHash64(source, project));

CREATE VIEW IF NOT EXISTS codepace.catalog ON CLUSTER main AS
SELECT source, kind, project, pipeline
FROM codepace.catalog_data
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
GROUP BY source, kind, project, pipeline
HAVING argMax(present, generation) = 1;
