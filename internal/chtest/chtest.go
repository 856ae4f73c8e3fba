// Package chtest gives integration tests a ClickHouse database of their
// own. Tests find the server through CODEPACE_TEST_CLICKHOUSE (host:port of
// the native protocol). Without it they skip, unless
// CODEPACE_REQUIRE_CLICKHOUSE=1 (set by .ci/run), where a missing server
// fails the test instead: CI never skips the integration tests silently.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Addr returns the test server's address, skipping or failing t when none
// is configured.
func Addr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("CODEPACE_TEST_CLICKHOUSE")
	if addr == "" {
		if os.Getenv("CODEPACE_REQUIRE_CLICKHOUSE") == "1" {
			t.Fatal("CODEPACE_TEST_CLICKHOUSE is not set but CODEPACE_REQUIRE_CLICKHOUSE=1: integration tests must run")
		}
		t.Skip("set CODEPACE_TEST_CLICKHOUSE=127.0.0.1:9000 to run ClickHouse integration tests")
	}
	return addr
}

// Database returns the name of a fresh database for t, dropped when t ends
// (unless CODEPACE_TEST_KEEP=1, to inspect it).
func Database(t testing.TB) (addr, db string) {
	t.Helper()
	addr = Addr(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	db = "codepace_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		if os.Getenv("CODEPACE_TEST_KEEP") == "1" {
			t.Logf("kept database %s", db)
			return
		}
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}})
		if err != nil {
			return
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
	})
	return addr, db
}
