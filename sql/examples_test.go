package sql_test

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/codepace/codepace/internal/chtest"
	"github.com/codepace/codepace/store"
)

// sqlBlock matches a ```sql fenced block of README.md; the body is group 1.
var sqlBlock = regexp.MustCompile("(?ms)^```sql[ \t]*\r?\n(.*?)^```[ \t]*$")

// readmeQueries returns the body of every ```sql block of README.md, without
// a trailing ';' (the native protocol takes one statement per query).
func readmeQueries(t *testing.T) []string {
	t.Helper()
	body, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("read README.md: %v", err)
	}
	var out []string
	for _, m := range sqlBlock.FindAllStringSubmatch(string(body), -1) {
		q := strings.TrimSpace(m[1])
		q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
		if q == "" {
			t.Fatal("README.md has an empty ```sql block")
		}
		if strings.Contains(q, "?") {
			// clickhouse-go would treat it as a placeholder.
			t.Fatalf("README.md example holds a '?', which the test cannot run as is:\n%s", q)
		}
		out = append(out, q)
	}
	return out
}

// TestReadmeExamplesExtracted checks the extraction without a server: the
// README must keep between 8 and 16 runnable examples.
func TestReadmeExamplesExtracted(t *testing.T) {
	qs := readmeQueries(t)
	if len(qs) < 8 || len(qs) > 16 {
		t.Fatalf("README.md has %d ```sql blocks, want 8 to 16", len(qs))
	}
	for i, q := range qs {
		if strings.Contains(q, ";") {
			t.Errorf("example %d holds more than one statement:\n%s", i+1, q)
		}
	}
}

// TestReadmeExamples runs every ```sql block of README.md against a real
// ClickHouse after applying the migrations. The tables are empty: the test
// proves that each query parses and type-checks on this server.
func TestReadmeExamples(t *testing.T) {
	addr, db := chtest.Database(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	s, err := store.Open(ctx, store.Options{Addr: addr, Database: db, Username: "default"})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}

	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{addr},
		Auth: clickhouse.Auth{Database: db, Username: "default"},
	})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close()

	for i, q := range readmeQueries(t) {
		t.Run("example_"+strconv.Itoa(i+1), func(t *testing.T) {
			rows, err := conn.Query(ctx, q)
			if err != nil {
				t.Fatalf("README.md example %d fails on ClickHouse %s: %v\n%s", i+1, addr, err, q)
			}
			for rows.Next() {
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("README.md example %d: reading rows: %v\n%s", i+1, err, q)
			}
			if err := rows.Close(); err != nil {
				t.Fatalf("README.md example %d: close: %v", i+1, err)
			}
		})
	}
}
