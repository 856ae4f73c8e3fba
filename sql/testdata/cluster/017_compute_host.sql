-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/017_compute_host.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

ALTER TABLE codepace.compute_runs_local ON CLUSTER main ADD COLUMN host String DEFAULT '';

DROP TABLE IF EXISTS codepace.compute_runs ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.compute_runs ON CLUSTER main AS codepace.compute_runs_local
ENGINE = Distributed('main', 'codepace', 'compute_runs_local', cityHash64(generation));
