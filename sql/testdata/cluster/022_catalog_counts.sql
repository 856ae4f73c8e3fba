-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/022_catalog_counts.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

ALTER TABLE codepace.catalog_data_local ON CLUSTER main ADD COLUMN rows Int64 DEFAULT present;

DROP TABLE IF EXISTS codepace.catalog_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.catalog_data ON CLUSTER main AS codepace.catalog_data_local
ENGINE = Distributed('main', 'codepace', 'catalog_data_local', cityHash64(source, project));

DROP TABLE IF EXISTS codepace.catalog ON CLUSTER main;

CREATE VIEW IF NOT EXISTS codepace.catalog ON CLUSTER main AS
SELECT source, kind, project, pipeline
FROM codepace.catalog_data
WHERE generation GLOBAL IN (SELECT generation FROM codepace.live_generations)
GROUP BY source, kind, project, pipeline
HAVING sum(rows) > 0;
