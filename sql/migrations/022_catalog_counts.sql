-- catalog_data.rows: how many rows of its key (source, kind, project,
-- pipeline) a generation adds to the views: a full compute the count of
-- its rows; an incremental one the rows it writes less the rows its masks
-- hide (each mask hides one row the views showed). The catalog view then
-- lists the keys whose rows sum above zero over the live generations,
-- exact without reading any build row again: before, a key whose last
-- build row an incremental compute masked was checked against every build
-- row the views show (1.0 s at a million changes, docs/definitions.md
-- §20). present is no longer written (0 in every row since): rows takes
-- its value in the rows written before this migration, and a base
-- computed before it makes the next compute full.
ALTER TABLE catalog_data ADD COLUMN rows Int64 DEFAULT present;

DROP TABLE IF EXISTS catalog;

CREATE VIEW IF NOT EXISTS catalog AS
SELECT source, kind, project, pipeline
FROM catalog_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
GROUP BY source, kind, project, pipeline
HAVING sum(rows) > 0;
