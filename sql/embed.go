// Package sql holds codepace's ClickHouse schema: numbered migrations that
// create the raw fact tables, the derived tables and the documented views.
// The files run unchanged on ClickHouse 18.16 and on current releases.
package sql

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var files embed.FS

// Migration is one numbered schema file.
type Migration struct {
	Version    int
	Name       string   // file name, e.g. "001_raw_facts.sql"
	Statements []string // in file order, without comments or trailing ';'
	// Rebuild marks a file of CREATE TABLE statements for tables that
	// exist already (a line "-- codepace: rebuild"): each gives its table
	// a new shape, and the migration runner moves the table's rows into
	// it (store.Migrate), because ClickHouse cannot alter a table's
	// settings, such as index_granularity.
	Rebuild bool
}

// rebuildMarker is the line that makes a migration a Rebuild.
const rebuildMarker = "-- codepace: rebuild"

// Migrations returns every migration in version order.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(files, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for _, path := range names {
		name := strings.TrimPrefix(path, "migrations/")
		prefix, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", name)
		}
		if len(out) > 0 && out[len(out)-1].Version >= v {
			return nil, fmt.Errorf("migration %s: version %d is not above the previous one", name, v)
		}
		body, err := files.ReadFile(path)
		if err != nil {
			return nil, err
		}
		m := Migration{Version: v, Name: name, Statements: Split(string(body))}
		for _, line := range strings.Split(string(body), "\n") {
			m.Rebuild = m.Rebuild || strings.TrimSpace(line) == rebuildMarker
		}
		if m.Rebuild {
			for i, stmt := range m.Statements {
				if _, err := CreatedTable(stmt); err != nil {
					return nil, fmt.Errorf("migration %s, statement %d: %w", name, i+1, err)
				}
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// Split cuts a SQL file into statements: it drops lines that are only a
// "--" comment and splits on ';' at the end of a line.
func Split(body string) []string {
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			if s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); s != "" {
				stmts = append(stmts, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts
}
