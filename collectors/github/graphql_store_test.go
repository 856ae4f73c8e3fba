package github

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/codepace/codepace/collectors"
	gt "github.com/codepace/codepace/collectors/github/githubtest"
	"github.com/codepace/codepace/internal/chtest"
	"github.com/codepace/codepace/metrics"
	"github.com/codepace/codepace/store"
)

// TestGraphQLSameRows stores the same test-server history collected
// through each API in a database of its own, computes both, and compares
// every row of the raw tables and of the views (GitHub stores no votes).
func TestGraphQLSameRows(t *testing.T) {
	history := func() []*gt.Repo {
		repos := ghosted()
		repos = append(repos, overflowing(generated(300)))
		repos[1].Name = "gadgets"
		return repos
	}
	tables := map[string]string{
		"change_metrics":       "source, project, number",
		"review_actions":       "source, project, number, message_id",
		"newcomers":            "source, person",
		"review_backlog_daily": "source, project, day",
		"raw_changes":          "source, project, number",
		"raw_revisions":        "source, project, number, revision",
		"raw_messages":         "source, project, number, message_id",
	}
	dump := map[string]map[string][]string{}
	for _, api := range []string{APIREST, APIGraphQL} {
		srv := gt.New(token, history()...)
		addr, db := chtest.Database(t)
		ctx := context.Background()
		s, err := store.Open(ctx, store.Options{Addr: addr, Database: db, Username: "default"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		c, _ := newCollector(t, srv, func(o *Options) {
			o.API, o.PageSize, o.Repos = api, 100, []string{"widgets", "gadgets"}
		})
		st, err := c.Collect(ctx, collectors.Window{From: t0.AddDate(0, 0, -1)}, s)
		srv.Close()
		if err != nil || st.Changes != 309 {
			t.Fatalf("%s: %+v, %v; want 309 changes", api, st, err)
		}
		bots, _ := metrics.NewBots([]string{"ci-*"})
		if _, err := s.Compute(ctx, store.ComputeOptions{Bots: map[string]metrics.Bots{"gh": bots}, NewcomerDays: 90, Now: now}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		dump[api] = dumpTables(t, addr, db, tables)
	}
	for table := range tables {
		rest, graphql := dump[APIREST][table], dump[APIGraphQL][table]
		if len(rest) == 0 {
			t.Errorf("%s: no rows", table)
		}
		if slices.Equal(rest, graphql) {
			t.Logf("%s: %d rows, the same", table, len(rest))
			continue
		}
		t.Errorf("%s: REST %d rows, GraphQL %d", table, len(rest), len(graphql))
		for i := range min(len(rest), len(graphql)) {
			if rest[i] != graphql[i] {
				t.Errorf("%s: first difference:\nREST    %s\nGraphQL %s", table, rest[i], graphql[i])
				break
			}
		}
	}
}

// dumpTables returns every row of each table, ordered by its key, as text;
// collected_at (when the row was stored) is left out.
func dumpTables(t *testing.T, addr, db string, tables map[string]string) map[string][]string {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, Auth: clickhouse.Auth{Database: db, Username: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := map[string][]string{}
	for table, key := range tables {
		final := ""
		if strings.HasPrefix(table, "raw_") {
			final = " FINAL"
		}
		rows, err := conn.Query(ctx, fmt.Sprintf("SELECT * FROM %s%s ORDER BY %s", table, final, key))
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		cols := rows.ColumnTypes()
		for rows.Next() {
			vals := make([]any, len(cols))
			for i, c := range cols {
				vals[i] = reflect.New(c.ScanType()).Interface()
			}
			if err := rows.Scan(vals...); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			var b strings.Builder
			for i, c := range cols {
				if c.Name() == "collected_at" {
					continue
				}
				v := reflect.ValueOf(vals[i]).Elem()
				for v.Kind() == reflect.Pointer && !v.IsNil() {
					v = v.Elem() // a Nullable column's value
				}
				fmt.Fprintf(&b, "%s=%v ", c.Name(), v)
			}
			out[table] = append(out[table], b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		rows.Close()
	}
	return out
}
