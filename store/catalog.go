package store

import (
	"context"
)

// catalogKey is a row of the catalog view (sql/README.md): a source,
// project and CI pipeline that have rows of a kind ("change", whose
// pipeline is "", or "build") in the views.
type catalogKey struct{ source, kind, project, pipeline string }

// catalogCounts counts rows per catalog key.
type catalogCounts map[catalogKey]int64

// writeCatalog writes generation gen's rows of catalog_data: per key, the
// change and build rows gen wrote less masked, the rows of that key its
// masks hide (one row each). A full compute, which masks nothing, so
// writes the count of every key's rows; an incremental one how many rows
// of each key its layer adds to the views, or takes from them (a key
// whose counts then sum to zero over the live generations has no row
// left there).
func (s *Store) writeCatalog(ctx context.Context, gen uint64, masked catalogCounts) error {
	counts := catalogCounts{}
	err := s.countCatalogKeys(ctx, counts, `SELECT source, 'change', project, '', count() FROM change_metrics_data
		WHERE generation = ? GROUP BY source, project`, gen)
	if err == nil {
		err = s.countCatalogKeys(ctx, counts, `SELECT source, 'build', project, pipeline, count() FROM builds_data
		WHERE generation = ? GROUP BY source, project, pipeline`, gen)
	}
	if err != nil {
		return err
	}
	for k, n := range masked {
		counts[k] -= n
	}
	w := s.rowWriter("catalog_data (generation, source, kind, project, pipeline, rows)")
	defer w.abort()
	for k, n := range counts {
		if n == 0 {
			continue // this layer leaves the key as it was
		}
		if err := w.add(ctx, gen, k.source, k.kind, k.project, k.pipeline, n); err != nil {
			return err
		}
	}
	return w.flush()
}

// countCatalogKeys adds to counts the count of each key query gives.
func (s *Store) countCatalogKeys(ctx context.Context, counts catalogCounts, query string, args ...any) error {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k catalogKey
		var n uint64
		if err := rows.Scan(&k.source, &k.kind, &k.project, &k.pipeline, &n); err != nil {
			return err
		}
		counts[k] += int64(n)
	}
	return rows.Err()
}
