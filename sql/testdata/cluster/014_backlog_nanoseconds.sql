-- Rendered by sql.RenderForCluster(stmt, "main", "codepace") from migrations/014_backlog_nanoseconds.sql.
-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update

ALTER TABLE codepace.review_backlog_changes_data_local ON CLUSTER main ADD COLUMN ready_at_ns UInt32;

DROP TABLE IF EXISTS codepace.review_backlog_changes_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.review_backlog_changes_data ON CLUSTER main AS codepace.review_backlog_changes_data_local
ENGINE = Distributed('main', 'codepace', 'review_backlog_changes_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.review_backlog_changes_data_local ON CLUSTER main ADD COLUMN from_at_ns UInt32;

DROP TABLE IF EXISTS codepace.review_backlog_changes_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.review_backlog_changes_data ON CLUSTER main AS codepace.review_backlog_changes_data_local
ENGINE = Distributed('main', 'codepace', 'review_backlog_changes_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.review_backlog_changes_data_local ON CLUSTER main ADD COLUMN to_at_ns UInt32;

DROP TABLE IF EXISTS codepace.review_backlog_changes_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.review_backlog_changes_data ON CLUSTER main AS codepace.review_backlog_changes_data_local
ENGINE = Distributed('main', 'codepace', 'review_backlog_changes_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.reviewer_waits_data_local ON CLUSTER main ADD COLUMN waiting_since_ns UInt32;

DROP TABLE IF EXISTS codepace.reviewer_waits_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.reviewer_waits_data ON CLUSTER main AS codepace.reviewer_waits_data_local
ENGINE = Distributed('main', 'codepace', 'reviewer_waits_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.reviewer_waits_data_local ON CLUSTER main ADD COLUMN from_at_ns UInt32;

DROP TABLE IF EXISTS codepace.reviewer_waits_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.reviewer_waits_data ON CLUSTER main AS codepace.reviewer_waits_data_local
ENGINE = Distributed('main', 'codepace', 'reviewer_waits_data_local', cityHash64(source, project, number));

ALTER TABLE codepace.reviewer_waits_data_local ON CLUSTER main ADD COLUMN to_at_ns UInt32;

DROP TABLE IF EXISTS codepace.reviewer_waits_data ON CLUSTER main;

CREATE TABLE IF NOT EXISTS codepace.reviewer_waits_data ON CLUSTER main AS codepace.reviewer_waits_data_local
ENGINE = Distributed('main', 'codepace', 'reviewer_waits_data_local', cityHash64(source, project, number));
