-- The catalog: which sources, projects and CI pipelines have data in the
-- views (sql/README.md, view catalog), for the dashboards' variables. At a
-- million changes a DISTINCT over the builds view reads and masks 15M rows
-- (1.5-1.9 s per variable), the catalog a few thousand rows.
--
-- catalog_data: per generation, a row per key (source, kind, project,
-- pipeline) the generation knows about. kind is 'change' (pipeline '')
-- or 'build'. present = 1 when the views show a row of that kind with
-- that key once the generation is live, 0 when its rows there are gone (a
-- build that moved to another project or pipeline). A full compute writes
-- every key of its rows; an incremental one writes the keys of the rows
-- it writes and those of the rows it masks (docs/definitions.md §20).
CREATE TABLE IF NOT EXISTS catalog_data (
    generation UInt64,
    source String,
    kind String,
    project String,
    pipeline String,
    present UInt8
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (generation, source, kind, project, pipeline);

-- The catalog view: each key as the newest live generation that wrote it
-- says, if present.
CREATE VIEW IF NOT EXISTS catalog AS
SELECT source, kind, project, pipeline
FROM catalog_data
WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
GROUP BY source, kind, project, pipeline
HAVING argMax(present, generation) = 1;
