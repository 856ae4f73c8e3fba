package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	schema "github.com/codepace/codepace/sql"
)

// rawTables are the tables migration 023 rebuilds.
var rawTables = []string{"raw_changes", "raw_revisions", "raw_messages", "raw_votes"}

// granularity reads a table's index_granularity from its engine.
func granularity(t *testing.T, s *Store, table string) string {
	t.Helper()
	var engine string
	if err := s.conn.QueryRow(context.Background(), `SELECT engine_full FROM system.tables WHERE database = ? AND name = ?`,
		s.db, table).Scan(&engine); err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	_, g, _ := strings.Cut(engine, "index_granularity = ")
	return g
}

// oldShape makes table what migration 001 created, with the same rows.
func oldShape(t *testing.T, s *Store, table string) {
	t.Helper()
	ms, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	create := ""
	for _, stmt := range ms[0].Statements {
		if strings.HasPrefix(stmt, "CREATE TABLE IF NOT EXISTS "+table+" (") {
			create = stmt
		}
	}
	exec(t, s, "RENAME TABLE "+table+" TO old_shape_tmp", create,
		"INSERT INTO "+table+" SELECT * FROM old_shape_tmp", "DROP TABLE old_shape_tmp")
	if g := granularity(t, s, table); g != "8192" {
		t.Fatalf("%s: the old shape has granules of %s", table, g)
	}
}

func exec(t *testing.T, s *Store, stmts ...string) {
	t.Helper()
	for _, stmt := range stmts {
		if err := s.conn.Exec(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// rebuildStatement returns migration 023's CREATE TABLE of table.
func rebuildStatement(t *testing.T, table string) (string, int) {
	t.Helper()
	ms, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if !m.Rebuild {
			continue
		}
		for _, stmt := range m.Statements {
			if got, _ := schema.CreatedTable(stmt); got == table {
				return stmt, m.Version
			}
		}
	}
	t.Fatalf("no rebuild migration creates %s", table)
	return "", 0
}

// TestRebuildAfterEachStep: a rebuild of the four raw tables of a change,
// cut short after each of its steps (and half-way through its copy), ends
// with the table in granules of 1,024 rows, no table left aside, and every
// change read back exactly as before; a change written while the table is
// rebuilt (after its new shape exists) is kept too.
func TestRebuildAfterEachStep(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	h := newIncrementalHistory(7, time.Now().UTC().Truncate(time.Second))
	if err := s.Write(ctx, h.round(true, false, 30)); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, h.round(false, false, 10)); err != nil { // changes collected twice
		t.Fatal(err)
	}
	want := allChanges(t, s)
	for _, table := range rawTables {
		if g := granularity(t, s, table); g != "1024" {
			t.Fatalf("%s after migrate: granules of %s rows, want 1024", table, g)
		}
	}
	steps := []struct {
		name string
		done func(table, create string) // the steps done before the cut
	}{
		{"not started", func(string, string) {}},
		{"renamed aside", func(table, _ string) { exec(t, s, "RENAME TABLE "+table+" TO "+table+"_replaced") }},
		{"created anew", func(table, create string) { exec(t, s, "RENAME TABLE "+table+" TO "+table+"_replaced", create) }},
		{"half copied", func(table, create string) {
			exec(t, s, "RENAME TABLE "+table+" TO "+table+"_replaced", create,
				"INSERT INTO "+table+" SELECT * FROM "+table+"_replaced WHERE number % 2 = 0")
		}},
		{"copied", func(table, create string) {
			exec(t, s, "RENAME TABLE "+table+" TO "+table+"_replaced", create,
				"INSERT INTO "+table+" SELECT * FROM "+table+"_replaced")
		}},
	}
	for _, step := range steps {
		for _, table := range rawTables {
			oldShape(t, s, table)
			create, version := rebuildStatement(t, table)
			step.done(table, create)
			if err := s.rebuild(ctx, create, version); err != nil {
				t.Fatalf("%s, %s: %v", step.name, table, err)
			}
			if g := granularity(t, s, table); g != "1024" {
				t.Errorf("%s, %s: granules of %s rows after the rebuild, want 1024", step.name, table, g)
			}
			if has, err := s.hasTable(ctx, table+"_replaced"); err != nil || has {
				t.Errorf("%s, %s: %s_replaced left behind (%v)", step.name, table, table, err)
			}
		}
		if got := allChanges(t, s); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %d changes read back differ from the %d stored", step.name, len(got), len(want))
		}
	}

	// A change stored between the new shape's creation and the copy.
	for _, table := range rawTables {
		oldShape(t, s, table)
		create, _ := rebuildStatement(t, table)
		exec(t, s, "RENAME TABLE "+table+" TO "+table+"_replaced", create)
	}
	late := h.round(true, false, 1)
	if err := s.Write(ctx, late); err != nil {
		t.Fatal(err)
	}
	for _, table := range rawTables {
		create, version := rebuildStatement(t, table)
		if err := s.rebuild(ctx, create, version); err != nil {
			t.Fatal(err)
		}
	}
	if got := allChanges(t, s); len(got) != len(want)+len(late.Changes) {
		t.Fatalf("after a write during the rebuild: %d changes, want %d", len(got), len(want)+len(late.Changes))
	}
}

// TestRebuildBesideAnOpenInsert: a collection's stream has an insert into
// raw_messages open when the rebuild of raw_messages starts. The rename
// waits for that insert to end (the rebuild is not over a second later),
// and once the stream is closed every change, the stream's included, is
// read back with all its messages.
func TestRebuildBesideAnOpenInsert(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	h := newIncrementalHistory(11, time.Now().UTC().Truncate(time.Second))
	if err := s.Write(ctx, h.round(true, false, 10)); err != nil {
		t.Fatal(err)
	}
	late := h.round(true, false, 3)
	st := s.Stream()
	if st == nil {
		t.Fatal("no stream")
	}
	if err := st.Write(ctx, late); err != nil {
		t.Fatal(err)
	}
	create, version := rebuildStatement(t, "raw_messages")
	done := make(chan error, 1)
	go func() { done <- s.rebuild(ctx, create, version) }()
	select {
	case err := <-done:
		t.Fatalf("the rebuild ended beside an open insert (%v)", err)
	case <-time.After(time.Second):
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	messages := map[int64]int{}
	for _, c := range allChanges(t, s) {
		messages[c.Number] = len(c.Messages)
	}
	if len(messages) != 13 {
		t.Fatalf("%d changes read back, want 13", len(messages))
	}
	for _, c := range late.Changes {
		if messages[c.Number] != len(c.Messages) || len(c.Messages) == 0 {
			t.Errorf("change %d: %d messages read back, %d written", c.Number, messages[c.Number], len(c.Messages))
		}
	}
}

// TestRebuildRefusesLosingAColumn: a new shape without one of the table's
// columns stops the rebuild before any row is copied, naming the columns,
// and the rows stay in the table set aside.
func TestRebuildRefusesLosingAColumn(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	create, version := rebuildStatement(t, "raw_votes")
	narrow := strings.Replace(create, "account_email String,", "", 1)
	if narrow == create {
		t.Fatal("raw_votes has no account_email column to leave out")
	}
	err := s.rebuild(ctx, narrow, version)
	if err == nil || !strings.Contains(err.Error(), "must keep every column") || !strings.Contains(err.Error(), "account_email") {
		t.Fatalf("rebuild without a column: %v, want a refusal naming account_email", err)
	}
	if has, _ := s.hasTable(ctx, "raw_votes_replaced"); !has {
		t.Fatal("the table set aside is gone")
	}
}

// TestClusterRebuild: on a cluster, migrate rebuilds the local parts of
// the raw tables of a change on the replication path of migration 023, in
// granules of 1,024 rows on every node; a rebuild that finds its table
// rebuilt already does nothing (a second table on that path would be
// refused as a replica already there); and a rebuild cut short after its
// rename or its creation, run again, ends with every change read back
// as stored and nothing set aside on any node.
func TestClusterRebuild(t *testing.T) {
	s, nodes, cluster, db := openCluster(t)
	ctx := context.Background()
	shape := func(table string, version int) {
		t.Helper()
		path := schema.QuoteString(schema.RebuildPath(db, table, version))
		for _, addr := range nodes {
			conn := nodeConn(t, addr, db)
			engine := strs(t, conn, `SELECT engine_full FROM system.tables WHERE database = ? AND name = ?`, db, schema.LocalTable(table))
			if len(engine) != 1 || !strings.Contains(engine[0], path) || !strings.Contains(engine[0], "index_granularity = 1024") {
				t.Errorf("node %s: %s is %q, want replicated on %s in granules of 1024", addr, schema.LocalTable(table), engine, path)
			}
			if n := count(t, conn, `SELECT count() FROM system.tables WHERE database = ? AND name LIKE '%\_replaced'`, db); n != 0 {
				t.Errorf("node %s: %d tables left aside", addr, n)
			}
		}
	}
	for _, table := range rawTables {
		shape(table, 23)
	}
	fill(t, s)
	want := allChanges(t, s)
	if len(want) == 0 {
		t.Fatal("no changes stored")
	}
	create, version := rebuildStatement(t, "raw_messages")
	if err := s.rebuild(ctx, create, version); err != nil {
		t.Fatalf("a rebuild of a table rebuilt already: %v", err)
	}
	local, aside := db+"."+schema.LocalTable("raw_messages"), db+"."+schema.LocalTable("raw_messages")+"_replaced"
	on := " ON CLUSTER " + cluster
	// Cut short after the rename: migration "98" goes on.
	exec(t, s, "RENAME TABLE "+local+" TO "+aside+on)
	if err := s.rebuild(ctx, create, 98); err != nil {
		t.Fatalf("after the rename: %v", err)
	}
	shape("raw_messages", 98)
	// Cut short after the creation: migration "99" goes on.
	newer, err := schema.RebuildLocal(create, cluster, db, 99)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, s, "RENAME TABLE "+local+" TO "+aside+on, newer)
	if err := s.rebuild(ctx, create, 99); err != nil {
		t.Fatalf("after the creation: %v", err)
	}
	shape("raw_messages", 99)
	if got := allChanges(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("%d changes read back differ from the %d stored", len(got), len(want))
	}
}
