package sql_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/internal/chtest"
	schema "github.com/codepace/codepace/sql"
	"github.com/codepace/codepace/store"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/cluster")

// The goldens render for this cluster and database.
const (
	goldenCluster  = "main"
	goldenDatabase = "codepace"
)

// storeStatements are the statements package store renders besides the
// migrations: the database, schema_migrations, and a dropped generation.
var storeStatements = []string{
	"CREATE DATABASE IF NOT EXISTS codepace",
	schema.SchemaMigrationsDDL,
	"ALTER TABLE change_metrics_data DROP PARTITION 1718000000000000000",
}

// golden compares got with testdata/cluster/name, or rewrites it with
// -update; by names the rendering function.
func golden(t *testing.T, name, by, source string, stmts []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("-- Rendered by sql." + by + "(stmt, \"" + goldenCluster + "\", \"" + goldenDatabase + "\") from " + source + ".\n")
	b.WriteString("-- Regenerate: go test ./sql -run TestRenderForClusterGolden -update\n")
	for _, s := range stmts {
		b.WriteString("\n" + s + ";\n")
	}
	path := filepath.Join("testdata", "cluster", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("%s differs from the rendering (run with -update after checking the diff):\n--- got\n%s\n--- want\n%s", path, b.String(), want)
	}
}

// TestRenderForClusterGolden renders every statement of every migration,
// and the statements of package store, for a cluster, against the files
// of testdata/cluster (also parsed on current ClickHouse by
// testdata/cluster/parse_check.py).
func TestRenderForClusterGolden(t *testing.T) {
	migrations, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations {
		t.Run(m.Name, func(t *testing.T) {
			var all []string
			for i, stmt := range m.Statements {
				got, err := schema.RenderForCluster(stmt, goldenCluster, goldenDatabase)
				if m.Rebuild {
					var local string
					local, err = schema.RebuildLocal(stmt, goldenCluster, goldenDatabase, m.Version)
					got = []string{local}
				}
				if err != nil {
					t.Fatalf("statement %d: %v", i+1, err)
				}
				all = append(all, got...)
			}
			viaMigration, err := m.ClusterStatements(goldenCluster, goldenDatabase)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(viaMigration, "\x00") != strings.Join(all, "\x00") {
				t.Error("Migration.ClusterStatements differs from RenderForCluster of each statement")
			}
			by := "RenderForCluster"
			if m.Rebuild {
				by = "RebuildLocal"
			}
			golden(t, m.Name, by, "migrations/"+m.Name, all)
		})
	}
	t.Run("store", func(t *testing.T) {
		var all []string
		for _, stmt := range storeStatements {
			got, err := schema.RenderForCluster(stmt, goldenCluster, goldenDatabase)
			if err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
			all = append(all, got...)
		}
		golden(t, "store.sql", "RenderForCluster", "the statements of package store", all)
	})
}

// TestRenderForCluster covers the rules one case at a time.
func TestRenderForCluster(t *testing.T) {
	cases := []struct {
		name, cluster, stmt string
		want                []string
		err                 string // part of the error; "" for none
	}{
		{
			name: "create database", cluster: "c",
			stmt: "CREATE DATABASE IF NOT EXISTS codepace",
			want: []string{"CREATE DATABASE IF NOT EXISTS codepace ON CLUSTER c"},
		},
		{
			name: "replacing merge tree keeps its version column", cluster: "c",
			stmt: "CREATE TABLE IF NOT EXISTS cursors (source String, cursor DateTime('UTC'), version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY source",
			want: []string{
				"CREATE TABLE IF NOT EXISTS db.cursors_local ON CLUSTER c (source String, cursor DateTime('UTC'), version UInt64) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/cursors', '{replica}', version) ORDER BY source",
				"CREATE TABLE IF NOT EXISTS db.cursors ON CLUSTER c AS db.cursors_local\nENGINE = Distributed('c', 'db', 'cursors_local', cityHash64(source))",
			},
		},
		{
			name: "merge tree without arguments, no IF NOT EXISTS, partitioned", cluster: "c",
			stmt: "create table compute_runs (generation UInt64) engine = MergeTree() partition by generation order by generation",
			want: []string{
				"create table db.compute_runs_local ON CLUSTER c (generation UInt64) engine = ReplicatedMergeTree('/clickhouse/tables/{shard}/db/compute_runs', '{replica}') partition by generation order by generation",
				"create table db.compute_runs ON CLUSTER c AS db.compute_runs_local\nENGINE = Distributed('c', 'db', 'compute_runs_local', cityHash64(generation))",
			},
		},
		{
			name: "a view is dropped on every node", cluster: "c",
			stmt: "DROP TABLE IF EXISTS change_metrics",
			want: []string{"DROP TABLE IF EXISTS db.change_metrics ON CLUSTER c"},
		},
		{
			name: "a table is not dropped", cluster: "c",
			stmt: "DROP TABLE IF EXISTS raw_changes",
			err:  "only views can be dropped",
		},
		{
			name: "a cluster name that is not an identifier is quoted", cluster: "prod-eu.1",
			stmt: "CREATE VIEW IF NOT EXISTS v AS SELECT 1",
			want: []string{"CREATE VIEW IF NOT EXISTS db.v ON CLUSTER `prod-eu.1` AS SELECT 1"},
		},
		{
			name: "view: FROM and JOIN tables qualified, not table functions, subqueries, ARRAY JOIN or EXTRACT", cluster: "c",
			stmt: "CREATE VIEW v AS SELECT extract(s FROM '[0-9]+'), x FROM raw_changes FINAL ANY LEFT JOIN (SELECT number FROM raw_votes) AS t USING number " +
				"ARRAY JOIN arr WHERE g = (SELECT max(generation) FROM compute_runs) AND n IN (SELECT number FROM other.t) AND k IN (SELECT 1 FROM numbers(3)) " +
				"AND j IN (SELECT x FROM `odd name`)",
			want: []string{"CREATE VIEW db.v ON CLUSTER c AS SELECT extract(s FROM '[0-9]+'), x FROM db.raw_changes FINAL ANY LEFT JOIN (SELECT number FROM db.raw_votes) AS t USING number " +
				"ARRAY JOIN arr WHERE g = (SELECT max(generation) FROM db.compute_runs) AND n IN (SELECT number FROM other.t) AND k IN (SELECT 1 FROM numbers(3)) " +
				"AND j IN (SELECT x FROM db.`odd name`)"},
		},
		{
			name: "view: words in strings and comments are left alone", cluster: "c",
			stmt: "CREATE VIEW v AS SELECT 'FROM t' AS s /* FROM u */ FROM t -- FROM w\n",
			want: []string{"CREATE VIEW db.v ON CLUSTER c AS SELECT 'FROM t' AS s /* FROM u */ FROM db.t -- FROM w\n"},
		},
		{
			name: "add column: local table, then the Distributed table again", cluster: "c",
			stmt: "ALTER TABLE builds_data ADD COLUMN baseline_s Nullable(Int64)",
			want: []string{
				"ALTER TABLE db.builds_data_local ON CLUSTER c ADD COLUMN baseline_s Nullable(Int64)",
				"DROP TABLE IF EXISTS db.builds_data ON CLUSTER c",
				"CREATE TABLE IF NOT EXISTS db.builds_data ON CLUSTER c AS db.builds_data_local\nENGINE = Distributed('c', 'db', 'builds_data_local', cityHash64(source, system, build_id))",
			},
		},
		{
			name: "drop partition: the local table only", cluster: "c",
			stmt: "ALTER TABLE newcomers_data DROP PARTITION 42",
			want: []string{"ALTER TABLE db.newcomers_data_local ON CLUSTER c DROP PARTITION 42"},
		},
		{
			name: "several actions, one of them on columns", cluster: "c",
			stmt: "ALTER TABLE cursors DROP PARTITION tuple(), MODIFY COLUMN cursor DateTime",
			want: []string{
				"ALTER TABLE db.cursors_local ON CLUSTER c DROP PARTITION tuple(), MODIFY COLUMN cursor DateTime",
				"DROP TABLE IF EXISTS db.cursors ON CLUSTER c",
				"CREATE TABLE IF NOT EXISTS db.cursors ON CLUSTER c AS db.cursors_local\nENGINE = Distributed('c', 'db', 'cursors_local', cityHash64(source))",
			},
		},
		{name: "table without a sharding key", cluster: "c", stmt: "CREATE TABLE t (a UInt8) ENGINE = MergeTree() ORDER BY a", err: "no sharding key"},
		{name: "not a MergeTree", cluster: "c", stmt: "CREATE TABLE cursors (a UInt8) ENGINE = Memory", err: "only a MergeTree-family engine"},
		{name: "already replicated", cluster: "c", stmt: "CREATE TABLE cursors (a UInt8) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY a", err: "only a MergeTree-family engine"},
		{name: "qualified name", cluster: "c", stmt: "CREATE TABLE db.cursors (a UInt8) ENGINE = MergeTree() ORDER BY a", err: "names a database"},
		{name: "already on cluster", cluster: "c", stmt: "ALTER TABLE cursors ON CLUSTER c DROP PARTITION 1", err: "already ON CLUSTER"},
		{name: "local name", cluster: "c", stmt: "ALTER TABLE cursors_local DROP PARTITION 1", err: "not its local part"},
		{name: "create table as", cluster: "c", stmt: "CREATE TABLE cursors AS other", err: "want a column list"},
		{name: "materialized view", cluster: "c", stmt: "CREATE MATERIALIZED VIEW mv TO t AS SELECT 1", err: "cannot render"},
		{name: "insert", cluster: "c", stmt: "INSERT INTO cursors VALUES ('a', now(), 1)", err: "cannot render"},
		{name: "drop table", cluster: "c", stmt: "DROP TABLE cursors", err: "cannot render"},
		{name: "bad cluster name", cluster: "a b", stmt: "CREATE DATABASE x", err: "cluster name"},
		{name: "unterminated string", cluster: "c", stmt: "CREATE VIEW v AS SELECT 'x", err: "unterminated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := schema.RenderForCluster(c.stmt, c.cluster, "db")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %q, %v; want an error with %q", got, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n;;\n") != strings.Join(c.want, "\n;;\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n;;\n"), strings.Join(c.want, "\n;;\n"))
			}
		})
	}
	if _, err := schema.RenderForCluster("CREATE DATABASE x", "c", "bad-db"); err == nil {
		t.Error("a bad database name was accepted")
	}
}

func TestAddedColumn(t *testing.T) {
	type added struct{ db, table, column string }
	for stmt, want := range map[string]*added{
		"ALTER TABLE builds_data ADD COLUMN baseline_s Nullable(Int64)":                           {"", "builds_data", "baseline_s"},
		"ALTER TABLE db.builds_data_local ON CLUSTER c ADD COLUMN baseline_s Nullable(Int64)":     {"db", "builds_data_local", "baseline_s"},
		"ALTER TABLE db.builds_data_local ON CLUSTER `a-b` ADD COLUMN baseline_s Nullable(Int64)": {"db", "builds_data_local", "baseline_s"},
		"ALTER TABLE `d b`.`t x` ADD COLUMN `c-1` UInt8":                                          {"d b", "t x", "c-1"},
		"ALTER TABLE builds_data ADD INDEX i baseline_s TYPE minmax GRANULARITY 1":                nil,
		"ALTER TABLE":              nil,
		"ALTER TABLE x.":           nil,
		"ALTER TABLE t ADD COLUMN": nil,
		"ALTER TABLE builds_data_local ON CLUSTER c add column b Nullable(Int64) DEFAULT if(1, 2, 3)": {"", "builds_data_local", "b"},
		"ALTER TABLE t ADD COLUMN a UInt8, ADD COLUMN b UInt8":                                        nil,
		"ALTER TABLE t DROP COLUMN a":                                                                 nil,
		"CREATE TABLE t (a UInt8) ENGINE = MergeTree() ORDER BY a":                                    nil,
	} {
		db, table, column, ok := schema.AddedColumn(stmt)
		var got *added
		if ok {
			got = &added{db, table, column}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("AddedColumn(%q) = %+v, want %+v", stmt, got, want)
		}
	}
}

var (
	createTable = regexp.MustCompile(`(?is)^CREATE TABLE (?:IF NOT EXISTS )?(\w+)\b.*\bENGINE = (\w+)\(.*\bORDER BY (\([^)]*\)|\w+)`)
	cityHash    = regexp.MustCompile(`^cityHash64\(([^)]*)\)$`)
)

func columns(list string) map[string]bool {
	out := map[string]bool{}
	for _, c := range strings.Split(strings.Trim(list, "()"), ",") {
		out[strings.TrimSpace(c)] = true
	}
	return out
}

// TestShardingKeysUseSortingKey checks the rule FINAL depends on: every
// table has a sharding key made of its sorting-key columns, so that all
// versions of one row land on the same shard; and no key is left over.
func TestShardingKeysUseSortingKey(t *testing.T) {
	migrations, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{schema.SchemaMigrationsDDL}
	for _, m := range migrations {
		stmts = append(stmts, m.Statements...)
	}
	tables := 0
	for _, stmt := range stmts {
		m := createTable.FindStringSubmatch(stmt)
		if m == nil {
			if strings.HasPrefix(strings.ToUpper(stmt), "CREATE TABLE") {
				t.Errorf("cannot read the engine and ORDER BY of %s", stmt)
			}
			continue
		}
		tables++
		table, engine, order := m[1], m[2], columns(m[3])
		key, ok := schema.ShardingKey(table)
		if !ok {
			t.Errorf("%s has no sharding key", table)
			continue
		}
		h := cityHash.FindStringSubmatch(key)
		if h == nil {
			t.Errorf("%s: sharding key %s is not cityHash64 of columns", table, key)
			continue
		}
		for c := range columns(h[1]) {
			if !order[c] && engine == "ReplacingMergeTree" {
				t.Errorf("%s (%s): sharding column %s is not in ORDER BY %s: the versions of a row could land on different shards and FINAL would keep both", table, engine, c, m[3])
			}
			if !regexp.MustCompile(`[(\s]` + c + `\s+[A-Z]`).MatchString(stmt) {
				t.Errorf("%s: sharding column %s is not a column", table, c)
			}
		}
	}
	if tables < 10 {
		t.Fatalf("found %d CREATE TABLE statements; the pattern no longer reads the migrations", tables)
	}
}

// TestReadmeExamplesOnCluster runs every README.md example against every
// node of a real cluster (see chtest.Cluster) after a cluster migrate, with
// a few rows written and computed, through a connection with the server's
// default settings, as Grafana or a person would query.
func TestReadmeExamplesOnCluster(t *testing.T) {
	nodes, cluster, db := chtest.Cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := store.Open(ctx, store.Options{Addr: nodes[0], Database: db, Username: "default", Cluster: cluster})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Hour)
	var b collectors.Batch
	for i := 0; i < 12; i++ {
		who := collectors.Account{ID: strconv.Itoa(1000 + i%4), Name: "Person " + strconv.Itoa(i%4)}
		c := collectors.Change{Source: "g", Project: "p/" + strconv.Itoa(i%5), Branch: "main", Number: int64(i + 1),
			Owner: who, Status: collectors.StatusOpen, Created: t0, Updated: t0.Add(time.Hour),
			Revisions: []collectors.Revision{{Number: 1, Created: t0, Uploader: who, Kind: "REWORK"}},
			Messages: []collectors.Message{{ID: "m" + strconv.Itoa(i), Author: collectors.Account{ID: "9"}, Date: t0.Add(time.Hour),
				Text: "Patch Set 1: Code-Review+1", Revision: 1}}}
		b.Changes = append(b.Changes, c)
		b.Builds = append(b.Builds, collectors.Build{Source: "g", System: collectors.SystemZuul, Pipeline: "check", Job: "tox",
			BuildID: strconv.Itoa(i), Project: c.Project, Change: c.Number, Patchset: 1, Result: "SUCCESS",
			Started: t0.Add(time.Duration(i) * time.Hour), Finished: t0.Add(time.Duration(i)*time.Hour + 5*time.Minute), DurationS: 300})
	}
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compute(ctx, store.ComputeOptions{NewcomerDays: 90}); err != nil {
		t.Fatal(err)
	}
	for _, addr := range nodes {
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, Auth: clickhouse.Auth{Database: db, Username: "default"}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for i, q := range readmeQueries(t) {
			rows, err := conn.Query(ctx, q)
			if err != nil {
				t.Errorf("node %s: README.md example %d fails: %v\n%s", addr, i+1, err, q)
				continue
			}
			n := 0
			for rows.Next() {
				n++
			}
			if err := rows.Err(); err != nil {
				t.Errorf("node %s: README.md example %d: reading rows: %v", addr, i+1, err)
			}
			rows.Close()
			t.Logf("node %s: example %d: %d rows", addr, i+1, n)
		}
	}
}

// FuzzRenderForCluster: any text is rendered or refused, never a panic,
// and a rendering names the cluster in every statement.
func FuzzRenderForCluster(f *testing.F) {
	migrations, err := schema.Migrations()
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range migrations {
		for _, s := range m.Statements {
			f.Add(s)
		}
	}
	for _, s := range storeStatements {
		f.Add(s)
	}
	f.Add("CREATE VIEW v AS SELECT extract(s FROM 'x') FROM t ARRAY JOIN a")
	f.Add("ALTER TABLE t ON CLUSTER `c` ADD COLUMN a UInt8")
	f.Fuzz(func(t *testing.T, stmt string) {
		schema.AddedColumn(stmt)
		out, err := schema.RenderForCluster(stmt, "c-1", "db")
		if err != nil {
			return
		}
		if len(out) == 0 {
			t.Fatalf("rendered %q into nothing", stmt)
		}
		for _, s := range out {
			if !strings.Contains(s, " ON CLUSTER `c-1`") {
				t.Fatalf("rendered %q into %q, without ON CLUSTER", stmt, s)
			}
		}
	})
}
