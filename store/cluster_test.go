package store

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/internal/chtest"
	"github.com/codepace/codepace/metrics"
	schema "github.com/codepace/codepace/sql"
)

// The cluster tests run against a real cluster (see chtest.Cluster and
// deploy/clickhouse-cluster-local.sh: two shards, the first with two
// replicas). When CODEPACE_TEST_CLICKHOUSE is set too, the same data goes
// through one server as well and every view must show the same rows.

// clusterTables are every table codepace creates; each is a Distributed
// table over <name>_local on a cluster.
var clusterTables = []string{
	"schema_migrations", "raw_changes", "raw_revisions", "raw_messages", "raw_votes", "raw_builds",
	"cursors", "collector_runs_log", "compute_runs", "compute_inputs", "change_metrics_data",
	"review_actions_data", "builds_data", "newcomers_data", "review_backlog_daily_data",
}

var clusterViews = []string{
	"change_metrics", "review_actions", "builds", "newcomers", "review_backlog_daily",
	"collector_runs", "build_spikes", "build_daily",
}

// openCluster opens a store on a fresh database of the test cluster and
// migrates it.
func openCluster(t *testing.T) (s *Store, nodes []string, cluster, db string) {
	t.Helper()
	nodes, cluster, db = chtest.Cluster(t)
	ctx := context.Background()
	s, err := Open(ctx, Options{Addr: nodes[0], Database: db, Username: "default", Cluster: cluster})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s, nodes, cluster, db
}

// nodeConn connects to one node of the cluster, in db.
func nodeConn(t *testing.T, addr, db string) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, Auth: clickhouse.Auth{Database: db, Username: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func count(t *testing.T, conn driver.Conn, query string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// strs returns the first column of a query's rows, a String.
func strs(t *testing.T, conn driver.Conn, query string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// clusterData is a few dozen changes over several projects (so that both
// shards get some) and three CI jobs with a spike.
func clusterData() collectors.Batch {
	var b collectors.Batch
	for i := 0; i < 30; i++ {
		c := sample()
		c.Project = fmt.Sprintf("p/%d", i%7)
		c.Number = int64(100 + i)
		c.URL = fmt.Sprintf("http://g/c/%s/+/%d", c.Project, c.Number)
		c.Created = c.Created.Add(time.Duration(i) * hour)
		if i%3 == 0 { // still open, in the backlog
			c.Status, c.Merged = collectors.StatusOpen, time.Time{}
			c.Messages = c.Messages[:5]
		}
		if i%5 == 0 {
			c.Owner = collectors.Account{ID: fmt.Sprintf("%d", 2000+i), Name: fmt.Sprintf("Newcomer %d", i)}
		}
		b.Changes = append(b.Changes, c)
	}
	for j, job := range []string{"tox", "lint", "docs"} {
		for i := 0; i < 12; i++ {
			d := int64(300 + 10*i + j)
			if i == 11 && job == "tox" {
				d = 3000 // a spike
			}
			start := t0.Add(time.Duration(i) * hour)
			b.Builds = append(b.Builds, collectors.Build{Source: "g", System: collectors.SystemZuul, Pipeline: "check",
				Job: job, BuildID: fmt.Sprintf("https://logs/%s/%d", job, i), URL: fmt.Sprintf("https://logs/%s/%d", job, i),
				Project: fmt.Sprintf("p/%d", i%7), Change: int64(100 + i), Patchset: 1, Result: "SUCCESS", Voting: true,
				Started: start, Finished: start.Add(time.Duration(d) * time.Second), DurationS: d})
		}
	}
	return b
}

var clusterCompute = ComputeOptions{Bots: noBots, NewcomerDays: 90, Now: t0.Add(3 * day), Fingerprint: "f",
	Spike: metrics.SpikeConfig{Ratio: 1.5, FloorS: 120, WindowDays: 14, MinBuilds: 5}}

// fill writes the test data twice, a newer state of one change, a cursor
// and a run, then computes twice.
func fill(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	b := clusterData()
	for i := 0; i < 2; i++ { // writing twice must not double anything
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	// A newer state of change 101: abandoned, without its votes; FINAL
	// must keep this one only, and compute must drop the older votes.
	c := b.Changes[1]
	c.Updated = c.Updated.Add(day)
	c.Status, c.Merged, c.Votes = collectors.StatusAbandoned, time.Time{}, nil
	c.Messages = c.Messages[:5]
	if err := s.Write(ctx, collectors.Batch{Changes: []collectors.Change{c}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCursor(ctx, "g", t0.Add(2*day)); err != nil {
		t.Fatal(err)
	}
	run := Run{ID: "r1", Source: "g", Started: t0, Finished: t0.Add(time.Minute), Status: "ok", Items: 31, Requests: 4}
	if err := s.RecordRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := s.Compute(ctx, clusterCompute); err != nil {
			t.Fatal(err)
		}
	}
}

// viewRows returns every row of every view as sorted text lines.
func viewRows(t *testing.T, conn driver.Conn) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	for _, v := range clusterViews {
		rows, err := conn.Query(ctx, "SELECT * FROM "+v)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		types := rows.ColumnTypes()
		for rows.Next() {
			dest := make([]any, len(types))
			for i, ct := range types {
				dest[i] = reflect.New(ct.ScanType()).Interface()
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			cells := make([]string, len(dest))
			for i, d := range dest {
				rv := reflect.ValueOf(d).Elem()
				switch {
				case rv.Kind() == reflect.Pointer && rv.IsNil(): // Nullable
					cells[i] = "NULL"
				case rv.Kind() == reflect.Pointer:
					cells[i] = fmt.Sprint(rv.Elem().Interface())
				default:
					cells[i] = fmt.Sprint(rv.Interface())
				}
			}
			out[v] = append(out[v], strings.Join(cells, "|"))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		rows.Close()
		sort.Strings(out[v])
	}
	return out
}

func TestClusterWriteComputeViews(t *testing.T) {
	nodes, cluster, db := chtest.Cluster(t)
	ctx := context.Background()
	s, err := Open(ctx, Options{Addr: nodes[0], Database: db, Username: "default", Cluster: cluster})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.readRange = 2 // compute reads the Distributed tables in ranges of about 2 changes
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	migrations, _ := schema.Migrations()
	if len(applied) != len(migrations) {
		t.Fatalf("a fresh cluster applied %v", applied)
	}
	if again, err := s.Migrate(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second migrate applied %v, %v; want nothing", again, err)
	}

	// Every node has every table, local and Distributed, and every view.
	for _, addr := range nodes {
		conn := nodeConn(t, addr, db)
		for _, table := range clusterTables {
			var local, front string
			err := conn.QueryRow(ctx, `SELECT anyIf(engine, name = ?), anyIf(engine, name = ?) FROM system.tables WHERE database = ?`,
				schema.LocalTable(table), table, db).Scan(&local, &front)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(local, "Replicated") || !strings.HasSuffix(local, "MergeTree") || front != "Distributed" {
				t.Errorf("node %s: %s is %q over %q, want Distributed over Replicated*MergeTree", addr, table, front, local)
			}
		}
		for _, v := range clusterViews {
			if n := count(t, conn, `SELECT count() FROM system.tables WHERE database = ? AND name = ? AND engine = 'View'`, db, v); n != 1 {
				t.Errorf("node %s: no view %s", addr, v)
			}
		}
	}

	fill(t, s)

	// The replicas of a shard hold the same rows, the shards share them
	// out, and nothing is doubled.
	local := map[string]uint64{}
	for _, addr := range nodes {
		conn := nodeConn(t, addr, db)
		for _, table := range []string{"raw_changes", "raw_messages", "raw_builds", "change_metrics_data", "builds_data"} {
			if err := conn.Exec(ctx, "SYSTEM SYNC REPLICA "+db+"."+schema.LocalTable(table)); err != nil {
				t.Fatal(err)
			}
			final := ""
			if strings.HasPrefix(table, "raw_") {
				final = " FINAL"
			}
			local[addr+" "+table] = count(t, conn, "SELECT count() FROM "+schema.LocalTable(table)+final)
		}
	}
	t.Logf("rows per node: %v", local)
	if len(nodes) == 3 { // the layout of deploy/clickhouse-cluster-local.sh: n1, n3 replicas of shard 01; n2 shard 02
		for _, table := range []string{"raw_changes", "raw_messages", "raw_builds", "change_metrics_data", "builds_data"} {
			n1, n2, n3 := local[nodes[0]+" "+table], local[nodes[1]+" "+table], local[nodes[2]+" "+table]
			if n1 != n3 || n1 == 0 || n2 == 0 {
				t.Errorf("%s: %d rows on n1, %d on n2, %d on n3; want n1 = n3 (replicas) and rows on both shards", table, n1, n2, n3)
			}
		}
		if n := local[nodes[0]+" raw_changes"] + local[nodes[1]+" raw_changes"]; n != 30 {
			t.Errorf("the shards hold %d changes, want 30", n)
		}
	}

	// The views answer the same from every node.
	want := viewRows(t, nodeConn(t, nodes[0], db))
	if got := len(want["change_metrics"]); got != 30 {
		t.Errorf("change_metrics has %d rows, want 30", got)
	}
	if len(want["build_spikes"]) != 1 || !strings.Contains(want["build_spikes"][0], "tox") {
		t.Errorf("build_spikes: %q, want the one tox spike", want["build_spikes"])
	}
	abandoned := 0
	for _, r := range want["change_metrics"] {
		if strings.Contains(r, "|abandoned|") {
			abandoned++
		}
	}
	if abandoned != 1 {
		t.Errorf("%d abandoned changes in change_metrics, want 1 (the newer state of change 101)", abandoned)
	}
	for _, addr := range nodes[1:] {
		if got := viewRows(t, nodeConn(t, addr, db)); !reflect.DeepEqual(got, want) {
			t.Errorf("node %s shows other view rows than %s", addr, nodes[0])
		}
	}

	// Older generations are gone from every node.
	gens := strs(t, s.conn, "SELECT toString(generation) FROM compute_runs ORDER BY generation")
	if len(gens) != 2 {
		t.Fatalf("compute_runs has %d rows, want 2", len(gens))
	}
	last := gens[1]
	for _, addr := range nodes {
		conn := nodeConn(t, addr, db)
		for _, table := range []string{"change_metrics_data", "review_actions_data", "builds_data", "newcomers_data", "review_backlog_daily_data"} {
			if err := conn.Exec(ctx, "SYSTEM SYNC REPLICA "+db+"."+schema.LocalTable(table)); err != nil {
				t.Fatal(err)
			}
			parts := strs(t, conn, `SELECT DISTINCT partition FROM system.parts WHERE database = ? AND table = ? AND active`,
				db, schema.LocalTable(table))
			for _, p := range parts {
				if p != last {
					t.Errorf("node %s: %s keeps generation %s; want only %s", addr, table, p, last)
				}
			}
		}
	}
	if need, why, err := s.NeedsCompute(ctx, "f", t0.Add(3*day)); err != nil || !need {
		// t0 is long ago: the last compute ran on another day than that.
		t.Errorf("NeedsCompute: %v %q %v", need, why, err)
	}
	if c, ok, err := s.Cursor(ctx, "g"); err != nil || !ok || !c.Equal(t0.Add(2*day)) {
		t.Errorf("cursor %v %v %v", c, ok, err)
	}

	// The same data on one server gives the same view rows.
	if os.Getenv("CODEPACE_TEST_CLICKHOUSE") != "" {
		one := openTest(t)
		fill(t, one)
		single := viewRows(t, one.conn)
		for _, v := range clusterViews {
			if !reflect.DeepEqual(single[v], want[v]) {
				t.Errorf("view %s differs between one server and the cluster:\none server:\n%s\ncluster:\n%s",
					v, strings.Join(single[v], "\n"), strings.Join(want[v], "\n"))
			}
		}
	}

	// Migrating again from scratch (schema_migrations lost, or a migrate
	// cut short) succeeds: every statement is idempotent, 004's ADD
	// COLUMN included, and the data stays.
	if err := s.conn.Exec(ctx, "TRUNCATE TABLE "+db+".schema_migrations_local ON CLUSTER "+cluster); err != nil {
		t.Fatal(err)
	}
	if again, err := s.Migrate(ctx); err != nil || len(again) != len(migrations) {
		t.Fatalf("migrate after schema_migrations was emptied: %v, %v", again, err)
	}
	if got := viewRows(t, nodeConn(t, nodes[len(nodes)-1], db)); !reflect.DeepEqual(got, want) {
		t.Error("the views changed after migrating again")
	}
}

// TestClusterRefusesSingleServerDatabase: a database created for one server
// is not silently kept when clickhouse.cluster is set later.
func TestClusterRefusesSingleServerDatabase(t *testing.T) {
	nodes, cluster, db := chtest.Cluster(t)
	ctx := context.Background()
	one, err := Open(ctx, Options{Addr: nodes[0], Database: db, Username: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	if _, err := one.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Options{Addr: nodes[0], Database: db, Username: "default", Cluster: cluster})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if applied, err := s.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "created for one server") {
		t.Fatalf("cluster migrate of a one-server database: %v, %v; want a refusal", applied, err)
	}
}
