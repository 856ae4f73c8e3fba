-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/009_run_process.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

ALTER TABLE codepace.collector_runs_log_local ON CLUSTER main ADD COLUMN host String DEFAULT '';

DROP TABLE IF EXISTS codepace.collector_runs_log ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.collector_runs_log ON CLUSTER main AS codepace.collector_runs_log_local
ENGINE = Distributed('main', 'codepace', 'collector_runs_log_local', cityHash64(source, run_id));

ALTER TABLE codepace.collector_runs_log_local ON CLUSTER main ADD COLUMN pid UInt32 DEFAULT 0;

DROP TABLE IF EXISTS codepace.collector_runs_log ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.collector_runs_log ON CLUSTER main AS codepace.collector_runs_log_local
ENGINE = Distributed('main', 'codepace', 'collector_runs_log_local', cityHash64(source, run_id));
