package store

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/codepace/codepace/metrics"
)

// ownerFirst is what the raw facts say of one owner account (source,
// owner id): its latest username and email (of its most recently updated
// change, updated at latest) and when its first change was created.
// Every compute stores them (owner_firsts_data), so that an incremental
// one reads again only the owners of the changes collected since.
type ownerFirst struct {
	username, email string
	first, latest   time.Time
}

// ownerAggregates reads the owner accounts of the raw changes, all of
// them or, when owners is not nil, those of its external table "owners"
// (source, owner_id): then it reads only the changes that ever had one of
// them as owner, by key, merging their states (FINAL) before it keeps the
// owners' ones. An owner with no change left is not returned.
func (s *Store) ownerAggregates(ctx context.Context, owners *ext.Table) (map[[2]string]ownerFirst, error) {
	query := `SELECT source, owner_id, argMax(owner_username, updated_at), argMax(owner_email, updated_at),
		min(created_at), max(updated_at) FROM raw_changes FINAL GROUP BY source, owner_id`
	if owners != nil {
		// Not moved to PREWHERE: with FINAL, that would filter the states
		// of a change before the newest is chosen.
		ctx = clickhouse.Context(ctx, clickhouse.WithExternalTable(owners),
			clickhouse.WithSettings(clickhouse.Settings{"optimize_move_to_prewhere": 0}))
		query = s.local(`SELECT source, owner_id, argMax(owner_username, updated_at), argMax(owner_email, updated_at),
			min(created_at), max(updated_at) FROM raw_changes FINAL
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
		if err := rows.Scan(&k[0], &k[1], &f.username, &f.email, &f.first, &f.latest); err != nil {
			return nil, err
		}
		f.first, f.latest = f.first.UTC(), f.latest.UTC()
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
	rows, err := s.conn.Query(ctx, `SELECT source, owner_id, owner_username, owner_email, first_at, latest_at
		FROM owner_firsts_data WHERE generation = ?`, gen)
	if err != nil {
		return nil, false, fmt.Errorf("read the stored first changes: %w", err)
	}
	defer rows.Close()
	out = map[[2]string]ownerFirst{}
	for rows.Next() {
		var k [2]string
		var f ownerFirst
		if err := rows.Scan(&k[0], &k[1], &f.username, &f.email, &f.first, &f.latest); err != nil {
			return nil, false, err
		}
		f.first, f.latest = f.first.UTC(), f.latest.UTC()
		out[k] = f
	}
	return out, len(out) > 0, rows.Err()
}

// writeOwnerFirsts stores the owner accounts in generation gen.
func (s *Store) writeOwnerFirsts(ctx context.Context, gen uint64, owners map[[2]string]ownerFirst) error {
	w := s.rowWriter("owner_firsts_data (generation, source, owner_id, owner_username, owner_email, first_at, latest_at)")
	defer w.abort()
	for k, f := range owners {
		if err := w.add(ctx, gen, k[0], k[1], f.username, f.email, f.first, f.latest); err != nil {
			return err
		}
	}
	return w.flush()
}

// ownerState is a change's owner account and the dates its ownerFirst
// takes (created and updated), with the username and email of its latest
// state.
type ownerState struct {
	owner, username, email string
	created, updated       time.Time
}

// ownerChanges are the changes collected since the watermark, as the
// owner accounts see them: the owners of each state collected since
// (since), the rows the views' live generations hold of them (before),
// and each one's latest state in the raw facts (latest).
type ownerChanges struct {
	since  map[changeKey][]string
	before map[changeKey][]ownerState
	latest map[changeKey]ownerState
}

// readOwnerStates fills oc.before and oc.latest for the changes keys.
func (s *Store) readOwnerStates(ctx context.Context, keys map[changeKey]struct{}, oc *ownerChanges) error {
	tt, err := keysTable(keys)
	if err != nil {
		return err
	}
	read := func(into func(changeKey, ownerState), query string) error {
		rows, err := s.conn.Query(clickhouse.Context(ctx, clickhouse.WithExternalTable(tt)), s.local(query))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k changeKey
			var o ownerState
			if err := rows.Scan(&k.source, &k.project, &k.number, &o.owner, &o.username, &o.email, &o.created, &o.updated); err != nil {
				return err
			}
			o.created, o.updated = o.created.UTC(), o.updated.UTC()
			into(k, o)
		}
		return rows.Err()
	}
	// Every live row, masked or not: an older one only makes its owner
	// read again (see ownerChanges.split).
	err = read(func(k changeKey, o ownerState) { oc.before[k] = append(oc.before[k], o) },
		`SELECT source, project, number, owner_id, '', '', created_at, updated_at FROM change_metrics_data
		WHERE generation GLOBAL IN (SELECT generation FROM live_generations) AND `+inTouched)
	if err != nil {
		return err
	}
	return read(func(k changeKey, o ownerState) { oc.latest[k] = o },
		`SELECT source, project, number, argMax(owner_id, version), argMax(owner_username, version),
		argMax(owner_email, version), argMax(created_at, version), argMax(updated_at, version)
		FROM raw_changes WHERE `+inTouched+` GROUP BY source, project, number`)
}

// split divides the owner accounts of the changes into those that only
// gained or kept changes, each with its ownerFirst as prev (the latest
// compute's) and the changes' latest states make it, and those to read
// again from the raw facts (reread). An account is read again when it
// owned one of the changes before or in a state collected since but not
// in its latest state (it lost a change, maybe its first); when a change
// it keeps was created at another instant or updated earlier than the
// views hold; when prev has no latest_at for it (written before
// migration 018); or when its changes updated at the same second give
// another username or email (ClickHouse's argMax takes either).
func (oc ownerChanges) split(prev map[[2]string]ownerFirst) (gained map[[2]string]ownerFirst, reread map[[2]string]bool) {
	gained, reread = map[[2]string]ownerFirst{}, map[[2]string]bool{}
	acc := map[[2]string]ownerFirst{}
	for k, l := range oc.latest {
		o := [2]string{k.source, l.owner}
		for _, id := range oc.since[k] {
			if id != l.owner {
				reread[[2]string{k.source, id}] = true
			}
		}
		for _, b := range oc.before[k] {
			if b.owner != l.owner {
				reread[[2]string{k.source, b.owner}] = true
			} else if !b.created.Equal(l.created) || l.updated.Before(b.updated) {
				reread[o] = true
			}
		}
		a, ok := acc[o]
		acc[o], ok = mergeOwnerFirst(a, ok, ownerFirst{username: l.username, email: l.email, first: l.created, latest: l.updated})
		if !ok {
			reread[o] = true
		}
	}
	for o, a := range acc {
		if reread[o] {
			continue
		}
		f, had := prev[o]
		if had && f.latest.Unix() <= 0 {
			reread[o] = true
			continue
		}
		m, ok := mergeOwnerFirst(f, had, a)
		if !ok {
			reread[o] = true
			continue
		}
		gained[o] = m
	}
	return gained, reread
}

// mergeOwnerFirst merges b into a (when has; else returns b): the earlier
// first change, the username and email of the later update. ok is false
// when both were updated at the same instant with another username or
// email.
func mergeOwnerFirst(a ownerFirst, has bool, b ownerFirst) (ownerFirst, bool) {
	if !has {
		return b, true
	}
	if b.first.Before(a.first) {
		a.first = b.first
	}
	switch {
	case b.latest.After(a.latest):
		a.username, a.email, a.latest = b.username, b.email, b.latest
	case b.latest.Equal(a.latest) && (b.username != a.username || b.email != a.email):
		return a, false
	}
	return a, true
}

// updatedOwners returns the owner accounts of prev (those the latest
// compute stored) updated by the changes collected since (oc, see split):
// those that only gained or kept changes from prev and the changes,
// the others read again from the raw facts; and the people whose first
// change is not the one prev gives (their changes' cohorts may move), as
// an external table "moved" (source, person), or nil when there are none.
func (s *Store) updatedOwners(ctx context.Context, people metrics.People, prev map[[2]string]ownerFirst, oc ownerChanges) (map[[2]string]ownerFirst, *ext.Table, error) {
	if len(oc.latest) == 0 {
		return prev, nil, nil
	}
	gained, reread := oc.split(prev)
	fresh := map[[2]string]ownerFirst{}
	if len(reread) > 0 {
		owners, err := ext.NewTable("owners", ext.Column("source", "String"), ext.Column("owner_id", "String"))
		if err != nil {
			return nil, nil, err
		}
		for k := range reread {
			if err := owners.Append(k[0], k[1]); err != nil {
				return nil, nil, err
			}
		}
		if fresh, err = s.ownerAggregates(ctx, owners); err != nil {
			return nil, nil, err
		}
	}
	out := make(map[[2]string]ownerFirst, len(prev)+len(gained))
	for k, f := range prev {
		if !reread[k] {
			out[k] = f
		}
	}
	maps.Copy(out, gained)
	maps.Copy(out, fresh)
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
