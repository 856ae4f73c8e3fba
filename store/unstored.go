package store

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/codepace/codepace/collectors"
)

// SkipStored returns a Store on s's connections whose Write and streams
// do not store again a change stored already with the same `updated` or a
// later one (its version): collected again, unchanged, from the overlap
// before a cursor, it would count as touched for the next incremental
// compute (docs/definitions.md §20) and be computed again for nothing.
// The batch's builds are stored all the same (an unchanged build touches
// nothing). A collection from a cursor writes through it; a backfill,
// which finds nothing stored, does not pay for the look-up.
func (s *Store) SkipStored() *Store {
	c := *s
	c.skipStored = true
	return &c
}

// unstored returns b without the changes stored already at their version
// or a later one, when s skips them (SkipStored); it reads the stored
// versions of b's changes by key.
func (s *Store) unstored(ctx context.Context, b collectors.Batch) (collectors.Batch, error) {
	if !s.skipStored || len(b.Changes) == 0 {
		return b, nil
	}
	keys := make(map[changeKey]struct{}, len(b.Changes))
	for _, c := range b.Changes {
		keys[changeKey{c.Source, c.Project, c.Number}] = struct{}{}
	}
	tt, err := keysTable(keys)
	if err != nil {
		return b, err
	}
	// raw_changes is written last (writeChangeRows): a row there means the
	// change's revisions, messages and votes of that version are stored.
	rows, err := s.conn.Query(clickhouse.Context(ctx, clickhouse.WithExternalTable(tt)),
		s.local(`SELECT source, project, number, max(version) FROM raw_changes WHERE `+inTouched+`
		GROUP BY source, project, number`))
	if err != nil {
		return b, fmt.Errorf("read the stored versions of %d changes: %w", len(keys), err)
	}
	defer rows.Close()
	stored := make(map[changeKey]uint64, len(keys))
	for rows.Next() {
		var k changeKey
		var v uint64
		if err := rows.Scan(&k.source, &k.project, &k.number, &v); err != nil {
			return b, fmt.Errorf("read the stored versions of %d changes: %w", len(keys), err)
		}
		stored[k] = v
	}
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("read the stored versions of %d changes: %w", len(keys), err)
	}
	kept := make([]collectors.Change, 0, len(b.Changes))
	for _, c := range b.Changes {
		if v, ok := stored[changeKey{c.Source, c.Project, c.Number}]; !ok || v < version(c) {
			kept = append(kept, c)
		}
	}
	b.Changes = kept
	return b, nil
}
