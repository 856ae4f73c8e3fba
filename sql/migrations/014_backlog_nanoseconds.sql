-- The sub-second part of the instants of review_backlog_changes_data and
-- reviewer_waits_data (sql/README.md, section 1): their DateTime columns
-- hold whole seconds, while Gerrit's instants have nanoseconds. An
-- incremental compute rebuilds the backlog of the changes it does not
-- touch from these rows, and gives exactly a full compute's
-- review_backlog_daily only from the instants in full: X_ns is the
-- nanoseconds of X past its second (0 to 999,999,999; 0 when X is NULL,
-- and on rows written before this migration). The views keep their
-- columns. One statement adds one column, so a migration cut short is
-- re-run safely (an existing column is skipped).
ALTER TABLE review_backlog_changes_data ADD COLUMN ready_at_ns UInt32;
ALTER TABLE review_backlog_changes_data ADD COLUMN from_at_ns UInt32;
ALTER TABLE review_backlog_changes_data ADD COLUMN to_at_ns UInt32;
ALTER TABLE reviewer_waits_data ADD COLUMN waiting_since_ns UInt32;
ALTER TABLE reviewer_waits_data ADD COLUMN from_at_ns UInt32;
ALTER TABLE reviewer_waits_data ADD COLUMN to_at_ns UInt32;
