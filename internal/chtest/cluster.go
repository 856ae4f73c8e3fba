package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Cluster gives a test a fresh database on a ClickHouse cluster, dropped ON
// CLUSTER when t ends (unless CODEPACE_TEST_KEEP=1). The cluster is found
// through CODEPACE_TEST_CLICKHOUSE_CLUSTER, the native addresses of its
// nodes separated by commas (the first one is where the test connects), and
// CODEPACE_TEST_CLICKHOUSE_CLUSTER_NAME (default codepace_test, the cluster
// of deploy/clickhouse-cluster-local.sh). Without them the test skips,
// unless CODEPACE_REQUIRE_CLICKHOUSE_CLUSTER=1 (set by deploy/test.sh,
// which starts the cluster), where it fails.
func Cluster(t testing.TB) (nodes []string, cluster, db string) {
	t.Helper()
	env := os.Getenv("CODEPACE_TEST_CLICKHOUSE_CLUSTER")
	if env == "" {
		if os.Getenv("CODEPACE_REQUIRE_CLICKHOUSE_CLUSTER") == "1" {
			t.Fatal("CODEPACE_TEST_CLICKHOUSE_CLUSTER is not set but CODEPACE_REQUIRE_CLICKHOUSE_CLUSTER=1: the cluster tests must run")
		}
		t.Skip("set CODEPACE_TEST_CLICKHOUSE_CLUSTER to the nodes of a cluster (bash deploy/clickhouse-cluster-local.sh starts one) to run the cluster tests")
	}
	for _, a := range strings.Split(env, ",") {
		if a = strings.TrimSpace(a); a != "" {
			nodes = append(nodes, a)
		}
	}
	cluster = os.Getenv("CODEPACE_TEST_CLICKHOUSE_CLUSTER_NAME")
	if cluster == "" {
		cluster = "codepace_test"
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	db = "codepace_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		if os.Getenv("CODEPACE_TEST_KEEP") == "1" {
			t.Logf("kept database %s on cluster %s", db, cluster)
			return
		}
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: nodes[:1]})
		if err != nil {
			return
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" ON CLUSTER `"+cluster+"`"); err != nil {
			t.Logf("drop database %s on cluster %s: %v", db, cluster, err)
		}
	})
	return nodes, cluster, db
}
