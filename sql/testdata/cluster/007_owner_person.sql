-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/007_owner_person.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

ALTER TABLE codepace.change_metrics_data_local ON CLUSTER main ADD COLUMN owner_person String AFTER owner_id;

DROP TABLE IF EXISTS codepace.change_metrics_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.change_metrics_data ON CLUSTER main AS codepace.change_metrics_data_local
ENGINE = Distributed('main', 'codepace', 'change_metrics_data_local', cityHash64(source, project, number));
