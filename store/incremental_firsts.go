package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/codepace/codepace/metrics"
)

// ownerFirst is what the raw facts say of one owner account (source,
// owner id): its latest username and email (of its most recently updated
// change) and when its first change was created. Every compute stores
// them (owner_firsts_data), so that an incremental one reads again only
// the owners of the changes collected since.
type ownerFirst struct {
	username, email string
	first           time.Time
}

// ownerAggregates reads the owner accounts of the raw changes, all of
// them or, when owners is not nil, those of its external table "owners"
// (source, owner_id): then it reads only the changes that ever had one of
// them as owner, by key, merging their states (FINAL) before it keeps the
// owners' ones. An owner with no change left is not returned.
func (s *Store) ownerAggregates(ctx context.Context, owners *ext.Table) (map[[2]string]ownerFirst, error) {
	query := `SELECT source, owner_id, argMax(owner_username, updated_at), argMax(owner_email, updated_at),
		min(created_at) FROM raw_changes FINAL GROUP BY source, owner_id`
	if owners != nil {
		// Not moved to PREWHERE: with FINAL, that would filter the states
		// of a change before the newest is chosen.
		ctx = clickhouse.Context(ctx, clickhouse.WithExternalTable(owners),
			clickhouse.WithSettings(clickhouse.Settings{"optimize_move_to_prewhere": 0}))
		query = s.local(`SELECT source, owner_id, argMax(owner_username, updated_at), argMax(owner_email, updated_at),
			min(created_at) FROM raw_changes FINAL
			WHERE (source, project, number) GLOBAL IN (SELECT source, project, number FROM raw_changes
				WHERE (source, owner_id) GLOBAL IN (SELECT source, owner_id FROM owners))
			AND (source, owner_id) GLOBAL IN (SELECT source, owner_id FROM owners)
			GROUP BY source, owner_id`)
	}
	rows, err := s.conn.Query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("read first changes: %w", err)
	}
	defer rows.Close()
	out := map[[2]string]ownerFirst{}
	for rows.Next() {
		var k [2]string
		var f ownerFirst
		if err := rows.Scan(&k[0], &k[1], &f.username, &f.email, &f.first); err != nil {
			return nil, err
		}
		f.first = f.first.UTC()
		out[k] = f
	}
	return out, rows.Err()
}

// resolveFirsts returns, per source and person key (see metrics.People),
// when the person's first change was created: the earliest of their
// owner accounts'.
func resolveFirsts(people metrics.People, owners map[[2]string]ownerFirst) map[[2]string]time.Time {
	out := map[[2]string]time.Time{}
	for k, f := range owners {
		key, _ := people.Resolve(k[0], accountOf(k[1], f))
		pk := [2]string{k[0], key}
		if prev, ok := out[pk]; !ok || f.first.Before(prev) {
			out[pk] = f.first
		}
	}
	return out
}

// storedOwnerFirsts reads the owner accounts generation gen stored; ok is
// false when it stored none (a compute before migration 015, whose
// fingerprint differs anyway).
func (s *Store) storedOwnerFirsts(ctx context.Context, gen uint64) (out map[[2]string]ownerFirst, ok bool, err error) {
	rows, err := s.conn.Query(ctx, `SELECT source, owner_id, owner_username, owner_email, first_at
		FROM owner_firsts_data WHERE generation = ?`, gen)
	if err != nil {
		return nil, false, fmt.Errorf("read the stored first changes: %w", err)
	}
	defer rows.Close()
	out = map[[2]string]ownerFirst{}
	for rows.Next() {
		var k [2]string
		var f ownerFirst
		if err := rows.Scan(&k[0], &k[1], &f.username, &f.email, &f.first); err != nil {
			return nil, false, err
		}
		f.first = f.first.UTC()
		out[k] = f
	}
	return out, len(out) > 0, rows.Err()
}

// writeOwnerFirsts stores the owner accounts in generation gen.
func (s *Store) writeOwnerFirsts(ctx context.Context, gen uint64, owners map[[2]string]ownerFirst) error {
	w := s.rowWriter("owner_firsts_data (generation, source, owner_id, owner_username, owner_email, first_at)")
	defer w.abort()
	for k, f := range owners {
		if err := w.add(ctx, gen, k[0], k[1], f.username, f.email, f.first); err != nil {
			return err
		}
	}
	return w.flush()
}

// updatedOwners returns the owner accounts of prev (those the latest
// compute stored) with those of changed read again from the raw facts,
// and the people whose first change is not the one prev gives (their
// changes' cohorts may move), as an external table "moved" (source,
// person), or nil when there are none.
func (s *Store) updatedOwners(ctx context.Context, people metrics.People, prev map[[2]string]ownerFirst, changed map[[2]string]bool) (map[[2]string]ownerFirst, *ext.Table, error) {
	if len(changed) == 0 {
		return prev, nil, nil
	}
	owners, err := ext.NewTable("owners", ext.Column("source", "String"), ext.Column("owner_id", "String"))
	if err != nil {
		return nil, nil, err
	}
	for k := range changed {
		if err := owners.Append(k[0], k[1]); err != nil {
			return nil, nil, err
		}
	}
	fresh, err := s.ownerAggregates(ctx, owners)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[[2]string]ownerFirst, len(prev)+len(fresh))
	for k, f := range prev {
		if !changed[k] {
			out[k] = f
		}
	}
	for k, f := range fresh {
		out[k] = f
	}
	was, now := resolveFirsts(people, prev), resolveFirsts(people, out)
	moved, err := ext.NewTable("moved", ext.Column("source", "String"), ext.Column("person", "String"))
	if err != nil {
		return nil, nil, err
	}
	for k, at := range was {
		// A person with no owner account left moves too: a full compute
		// would give their changes no first change.
		if n, ok := now[k]; !ok || !n.Equal(at) {
			if err := moved.Append(k[0], k[1]); err != nil {
				return nil, nil, err
			}
		}
	}
	if moved.Block().Rows() == 0 {
		moved = nil
	}
	return out, moved, nil
}
