-- compute_runs.host: the host name of the codepace that ran the compute
-- ('' on rows written before this migration, or when the host name cannot
-- be read). An incremental compute takes the raw facts collected since the
-- previous compute started (docs/definitions.md §20); a collector run on
-- the same host as that compute stamps its rows with the same clock, so
-- it needs no allowance for clocks apart, which made every run compute
-- again what the run before it had collected in its last minute. One
-- statement adds one column, so a migration cut short is re-run safely
-- (an existing column is skipped).
ALTER TABLE compute_runs ADD COLUMN host String DEFAULT '';
