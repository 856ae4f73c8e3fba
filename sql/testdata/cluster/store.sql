-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from the statements of package store.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

CREATE DATABASE IF NOT EXISTS codepace ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.schema_migrations_local ON CLUSTER main (
		version UInt32, name String, applied_at DateTime('UTC')
	) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/codepace/schema_migrations', '{replica}') ORDER BY version;

CREATE TABLE IF NOT EXISTS codepace.schema_migrations ON CLUSTER main AS codepace.schema_migrations_local
ENGINE = Distributed('main', 'codepace', 'schema_migrations_local', cityHash64(version));

ALTER TABLE codepace.change_metrics_data_local ON CLUSTER main DROP PARTITION 1718000000000000000;
