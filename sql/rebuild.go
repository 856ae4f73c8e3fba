package sql

import (
	"fmt"
	"strings"
)

// CreatedTable returns the table a rebuild migration's statement creates:
// it must be CREATE TABLE with an unqualified name and a column list,
// without IF NOT EXISTS (the table exists; the statement is its new shape)
// and without ON CLUSTER.
func CreatedTable(stmt string) (string, error) {
	toks, err := tokenize(stmt)
	if err != nil {
		return "", err
	}
	r := &renderer{src: stmt, toks: toks}
	if !r.keywords(0, "CREATE", "TABLE") {
		return "", fmt.Errorf("a rebuild migration holds only CREATE TABLE statements, not %s", head(stmt))
	}
	if r.keywords(2, "IF", "NOT", "EXISTS") {
		return "", fmt.Errorf("rebuild: %s: a rebuilt table exists already; write CREATE TABLE without IF NOT EXISTS", head(stmt))
	}
	table, i, err := r.name(2, "CREATE TABLE")
	if err != nil {
		return "", err
	}
	if i >= len(toks) || toks[i].text != "(" {
		return "", fmt.Errorf("rebuild: CREATE TABLE %s: want a column list", table)
	}
	return table, nil
}

// RebuildLocal renders a rebuild migration's CREATE TABLE (of migration
// version) for a cluster: the statement that creates the table's new
// local part. Its replication path ends in _<version>, because the old
// local part keeps its own path until it is dropped and two tables on
// one path would be replicas of each other. The Distributed table stays:
// it names the local part, whichever table holds that name.
func RebuildLocal(stmt, cluster, database string, version int) (string, error) {
	table, err := CreatedTable(stmt)
	if err != nil {
		return "", err
	}
	out, err := RenderForCluster(stmt, cluster, database)
	if err != nil {
		return "", err
	}
	path := QuoteString(ZooKeeperPath(database, table))
	if len(out) != 2 || strings.Count(out[0], path) != 1 {
		return "", fmt.Errorf("rebuild: CREATE TABLE %s: cannot find its replication path in the rendering", table)
	}
	return strings.Replace(out[0], path, QuoteString(RebuildPath(database, table, version)), 1), nil
}

// RebuildPath is the replication path of table's local part rebuilt by
// migration version: ZooKeeperPath's, ending in _<version>.
func RebuildPath(database, table string, version int) string {
	return fmt.Sprintf("%s_%03d", ZooKeeperPath(database, table), version)
}
