-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/012_build_commit.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

ALTER TABLE codepace.raw_builds_local ON CLUSTER main ADD COLUMN commit String DEFAULT '';

DROP TABLE IF EXISTS codepace.raw_builds ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.raw_builds ON CLUSTER main AS codepace.raw_builds_local
ENGINE = Distributed('main', 'codepace', 'raw_builds_local', cityHash64(source, system, build_id));
