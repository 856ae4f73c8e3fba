package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	schema "github.com/codepace/codepace/sql"
)

// Rebuilding a table (a Rebuild migration, sql.Migration): ClickHouse
// cannot change some of a table's settings, such as index_granularity,
// so the table is created again in its new shape and its rows are copied
// into it, in three steps:
//
//  1. rename the table (its local part, on a cluster) to <name>_replaced;
//  2. create it again under its name, as the migration writes it;
//  3. copy every row of <name>_replaced into it, then drop <name>_replaced.
//
// Which steps are left is read from the tables there are, so a migration
// cut short at any point (a crash, a kill) goes on from where it stopped
// when it runs again: <name>_replaced exists from step 1 until the end,
// and holds every row the table had; a copy cut short is made again whole
// (a raw table's duplicate rows are what collecting a change twice makes,
// and every reader keeps one of each: sql/README.md §1). Rows written
// while the table is rebuilt are not lost: an insert still writing when
// step 1 comes ends first (a rename waits for it) and is copied in step
// 3; an insert after step 1 fails until step 2 (the collection fails and
// its cursor stays), then goes into the new table. Verbs that read the
// tables refuse to start while the migration is not recorded as applied.

// replacedSuffix ends the name of a table being rebuilt, renamed aside.
const replacedSuffix = "_replaced"

// rebuild gives the table that stmt, a Rebuild migration's CREATE TABLE
// (of migration version), creates its new shape, keeping its rows.
func (s *Store) rebuild(ctx context.Context, stmt string, version int) error {
	table, err := schema.CreatedTable(stmt)
	if err != nil {
		return err
	}
	create, part, onCluster := stmt, table, ""
	if s.cluster != "" {
		if create, err = schema.RebuildLocal(stmt, s.cluster, s.db, version); err != nil {
			return err
		}
		part = schema.LocalTable(table)
		onCluster = " ON CLUSTER " + schema.QuoteIdent(s.cluster)
	}
	replaced := part + replacedSuffix
	from := s.qualify(replaced)
	if s.cluster != "" { // every shard's rows, inserted through the Distributed table to their shard again
		from = fmt.Sprintf("cluster(%s, %s, %s)", schema.QuoteString(s.cluster), schema.QuoteString(s.db), schema.QuoteString(replaced))
	}
	hasPart, err := s.hasTable(ctx, part)
	if err != nil {
		return err
	}
	hasReplaced, err := s.hasTable(ctx, replaced)
	if err != nil {
		return err
	}
	if s.cluster != "" && hasPart && !hasReplaced {
		// Rebuilt already (a crash came before the migration's record):
		// a table on the path the new one would take is that table.
		if done, err := s.onPath(ctx, part, schema.RebuildPath(s.db, table, version)); err != nil || done {
			return err
		}
	}
	if !hasPart && !hasReplaced {
		return fmt.Errorf("rebuild %s: the database has no table %s (nor %s, of a rebuild cut short)", table, part, replaced)
	}
	if !hasReplaced {
		if err := s.conn.Exec(ctx, "RENAME TABLE "+s.qualify(part)+" TO "+s.qualify(replaced)+onCluster); err != nil {
			return fmt.Errorf("rebuild %s: rename it aside: %w", table, err)
		}
	}
	if !hasPart || !hasReplaced {
		if err := s.conn.Exec(ctx, create); err != nil {
			return fmt.Errorf("rebuild %s: create it anew: %w", table, err)
		}
	}
	cols, err := s.sameColumns(ctx, part, replaced)
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", table, err)
	}
	if err := s.conn.Exec(ctx, "INSERT INTO "+s.qualify(table)+" ("+cols+") SELECT "+cols+" FROM "+from); err != nil {
		return fmt.Errorf("rebuild %s: copy its rows: %w", table, err)
	}
	if err := s.conn.Exec(ctx, "DROP TABLE "+s.qualify(replaced)+onCluster); err != nil {
		return fmt.Errorf("rebuild %s: drop %s, whose rows it has: %w", table, replaced, err)
	}
	return nil
}

// onPath tells whether table, a replicated table, replicates on path.
func (s *Store) onPath(ctx context.Context, table, path string) (bool, error) {
	var engine string
	if err := s.conn.QueryRow(ctx, `SELECT engine_full FROM system.tables WHERE database = ? AND name = ?`,
		s.db, table).Scan(&engine); err != nil {
		return false, fmt.Errorf("read the engine of %s: %w", table, err)
	}
	return strings.Contains(engine, schema.QuoteString(path)+","), nil
}

// qualify names table in the store's database.
func (s *Store) qualify(table string) string {
	return schema.QuoteIdent(s.db) + "." + schema.QuoteIdent(table)
}

// hasTable tells whether the store's database has table: on a cluster, on
// one replica of every shard. A table on some shards only is an error: a
// distributed DDL query that reached only some of them.
func (s *Store) hasTable(ctx context.Context, table string) (bool, error) {
	got, shards, err := s.onShards(ctx, "tables", "database = ? AND name = ?", s.db, table)
	if err != nil {
		return false, fmt.Errorf("look for table %s.%s: %w", s.db, table, err)
	}
	if got != 0 && got != shards {
		return false, fmt.Errorf("table %s.%s is on %d of the %d shards of cluster %s: a distributed DDL query has not reached them all yet (see system.distributed_ddl_queue); run migrate again once it has", s.db, table, got, shards, s.cluster)
	}
	return got > 0, nil
}

// sameColumns returns the column list of table, quoted and separated by
// commas, after checking that other has the same columns: a rebuild
// copies every column and must lose none.
func (s *Store) sameColumns(ctx context.Context, table, other string) (string, error) {
	a, err := s.columnNames(ctx, table)
	if err != nil {
		return "", err
	}
	b, err := s.columnNames(ctx, other)
	if err != nil {
		return "", err
	}
	if !slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))) {
		return "", fmt.Errorf("its new shape has columns %s, the table being replaced %s: a rebuild must keep every column",
			strings.Join(a, ", "), strings.Join(b, ", "))
	}
	quoted := make([]string, len(a))
	for i, c := range a {
		quoted[i] = schema.QuoteIdent(c)
	}
	return strings.Join(quoted, ", "), nil
}

// columnNames returns table's columns in their order.
func (s *Store) columnNames(ctx context.Context, table string) ([]string, error) {
	names, err := column[string](ctx, s, `SELECT name FROM system.columns WHERE database = ? AND table = ?`, s.db, table)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("table %s has no columns", table)
	}
	return names, nil
}
