package store

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
)

// catalogKey is a row of the catalog view (sql/README.md): a source,
// project and CI pipeline that have rows of a kind ("change", whose
// pipeline is "", or "build") in the views.
type catalogKey struct{ source, kind, project, pipeline string }

// writeCatalog writes generation gen's rows of catalog_data: each key of
// the change and build rows gen wrote, present; and each key of gone (the
// keys of the rows gen masks) it did not write, present only if a build
// row the views show once gen is live still has it. A full compute, whose
// gone is empty, so writes every key; an incremental one the keys its
// rows touch. The changes' keys need no check: a change's project is part
// of its unit, and a touched change is always written again.
func (s *Store) writeCatalog(ctx context.Context, gen uint64, gone map[catalogKey]struct{}) error {
	keys := map[catalogKey]bool{}
	err := s.eachCatalogKey(ctx, keys, `SELECT source, 'change', project, '' FROM change_metrics_data
		WHERE generation = ? GROUP BY source, project`, gen)
	if err == nil {
		err = s.eachCatalogKey(ctx, keys, `SELECT source, 'build', project, pipeline FROM builds_data
		WHERE generation = ? GROUP BY source, project, pipeline`, gen)
	}
	if err != nil {
		return err
	}
	check := map[catalogKey]struct{}{}
	for k := range gone {
		if !keys[k] {
			check[k] = struct{}{}
		}
	}
	if err := s.stillShown(ctx, gen, check, keys); err != nil {
		return err
	}
	w := s.rowWriter("catalog_data (generation, source, kind, project, pipeline, present)")
	defer w.abort()
	for k, present := range keys {
		var p uint8
		if present {
			p = 1
		}
		if err := w.add(ctx, gen, k.source, k.kind, k.project, k.pipeline, p); err != nil {
			return err
		}
	}
	return w.flush()
}

// eachCatalogKey sets in keys, present, the key of each row of query.
func (s *Store) eachCatalogKey(ctx context.Context, keys map[catalogKey]bool, query string, args ...any) error {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k catalogKey
		if err := rows.Scan(&k.source, &k.kind, &k.project, &k.pipeline); err != nil {
			return err
		}
		keys[k] = true
	}
	return rows.Err()
}

// stillShown sets in keys each build key of check, present if a build row
// of the live generations that neither they nor gen mask has it. It reads
// every build row, so it runs only when a build moved to another project
// or pipeline.
func (s *Store) stillShown(ctx context.Context, gen uint64, check map[catalogKey]struct{}, keys map[catalogKey]bool) error {
	if len(check) == 0 {
		return nil
	}
	t, err := ext.NewTable("gone", ext.Column("source", "String"), ext.Column("project", "String"),
		ext.Column("pipeline", "String"))
	if err != nil {
		return err
	}
	for k := range check {
		keys[k] = false
		if err := t.Append(k.source, k.project, k.pipeline); err != nil {
			return err
		}
	}
	return s.eachCatalogKey(clickhouse.Context(ctx, clickhouse.WithExternalTable(t)),
		keys, s.local(`SELECT source, 'build', project, pipeline FROM builds_data
		WHERE (source, project, pipeline) GLOBAL IN (SELECT source, project, pipeline FROM gone)
		  AND generation GLOBAL IN (SELECT generation FROM live_generations)
		  AND (unit, generation) GLOBAL NOT IN
		      (SELECT unit, hidden FROM build_masks
		       WHERE generation GLOBAL IN (SELECT generation FROM live_generations) OR generation = ?)
		GROUP BY source, project, pipeline`), gen)
}
