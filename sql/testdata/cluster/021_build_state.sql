-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/021_build_state.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

ALTER TABLE codepace.builds_data_local ON CLUSTER main ADD COLUMN state UInt64 DEFAULT cityHash64(pipeline, job, url, project, number, patchset, result, voting, started_at, finished_at, ifNull(duration_s, 0), isNull(queued_s), ifNull(queued_s, 0));

DROP TABLE IF EXISTS codepace.builds_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.builds_data ON CLUSTER main AS codepace.builds_data_local
ENGINE = Distributed('main', 'codepace', 'builds_data_local', cityHash64(source, system, build_id));
