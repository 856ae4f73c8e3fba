package main

import (
	"context"
	"strings"
	"testing"
)

// TestVerbsOnAnUnmigratedDatabase: collect, compute and report on a
// database that was never migrated, or lacks a migration, say which and
// to run `codepace migrate` first, instead of failing on a missing table.
func TestVerbsOnAnUnmigratedDatabase(t *testing.T) {
	e := setup(t, history(), "")
	for _, verb := range []string{"collect", "compute", "report"} {
		out, err := e.codepace(t, verb)
		if err == nil || !strings.Contains(out, "database "+e.db+" has no codepace tables: run `codepace migrate --config "+e.conf+"` first") {
			t.Errorf("%s on a database never migrated: %v\n%s", verb, err, out)
		}
	}

	// Forget migration 009 as a database migrated by an older codepace
	// would lack it.
	e.mustRun(t, "migrate")
	for _, stmt := range []string{
		"CREATE TABLE DB.sm_old AS DB.schema_migrations",
		"INSERT INTO DB.sm_old SELECT * FROM DB.schema_migrations WHERE version != 9",
		"DROP TABLE DB.schema_migrations",
		"RENAME TABLE DB.sm_old TO DB.schema_migrations",
	} {
		if err := e.conn.Exec(context.Background(), strings.ReplaceAll(stmt, "DB.", e.db+".")); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	out, err := e.codepace(t, "collect")
	if err == nil || !strings.Contains(out, "lacks migrations 009_run_process.sql of this codepace: run `codepace migrate") {
		t.Errorf("collect on a database without migration 009: %v\n%s", err, out)
	}
	e.mustRun(t, "migrate")
	e.mustRun(t, "collect")
}
