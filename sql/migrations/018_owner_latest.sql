-- owner_firsts_data.latest_at: the updated_at of the change the owner
-- account's username and email come from (its most recently updated
-- change). With it an incremental compute takes an account that only
-- gained or kept changes since the previous compute from that compute's
-- row and the changes collected since, without reading the account's
-- other changes again (docs/definitions.md §20). Rows written before this
-- migration hold 0 there: their accounts are read again whole. One
-- statement adds one column, so a migration cut short is re-run safely
-- (an existing column is skipped).
ALTER TABLE owner_firsts_data ADD COLUMN latest_at DateTime('UTC') DEFAULT toDateTime(0, 'UTC');
