-- Which process runs a collector run: the host name and process id of the
-- codepace that wrote it. A run still `running` whose process is gone was
-- killed; the next run on the same host marks it `interrupted`
-- (sql/README.md, collector_runs). Each statement adds one column, so a
-- migration cut short is re-run safely (an existing column is skipped).
ALTER TABLE collector_runs_log ADD COLUMN host String DEFAULT '';
ALTER TABLE collector_runs_log ADD COLUMN pid UInt32 DEFAULT 0;
