-- The baseline a build was compared with by the spike rule: the exact
-- median duration of the same job's successful builds of the preceding
-- window, rounded to the second; NULL when the build had no baseline.
-- One statement only: ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS, so
-- a migration that failed half-way must not leave this column behind a
-- statement that would be re-run.
ALTER TABLE builds_data ADD COLUMN baseline_s Nullable(Int64);
