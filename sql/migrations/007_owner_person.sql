-- The person a change's owner maps to under the config's people: (empty
-- when none), for the team filter of key results (docs/definitions.md §18).
-- One statement only: ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS, so
-- a migration that failed half-way must not leave this column behind a
-- statement that would be re-run. 010_key_results.sql shows it in the view.
ALTER TABLE change_metrics_data ADD COLUMN owner_person String AFTER owner_id;
