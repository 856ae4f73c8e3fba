-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/018_owner_latest.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

ALTER TABLE codepace.owner_firsts_data_local ON CLUSTER main ADD COLUMN latest_at DateTime('UTC') DEFAULT toDateTime(0, 'UTC');

DROP TABLE IF EXISTS codepace.owner_firsts_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.owner_firsts_data ON CLUSTER main AS codepace.owner_firsts_data_local
ENGINE = Distributed('main', 'codepace', 'owner_firsts_data_local', cityHash64(source, owner_id));
