-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/004_builds.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

ALTER TABLE codepace.builds_data_local ON CLUSTER main ADD COLUMN baseline_s Nullable(Int64);

DROP TABLE IF EXISTS codepace.builds_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.builds_data ON CLUSTER main AS codepace.builds_data_local
ENGINE = Distributed('main', 'codepace', 'builds_data_local', cityHash64(source, system, build_id));
