// Package store is codepace's ClickHouse adapter: it applies the schema,
// stores what collectors emit (the collectors.Sink), keeps cursors and the
// log of collector runs, and runs compute: raw facts in, metrics figures out
// into the derived tables behind the views.
//
// Every insert goes through a batch with an explicit column list (the only
// insert path that works on ClickHouse 18.16 as well as current releases),
// and every value reaches ClickHouse as a bound parameter, never pasted into
// SQL text.
package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	schema "github.com/codepace/codepace/sql"
)

// Options says where ClickHouse is.
type Options struct {
	// Addr is host:port of the native protocol, or several separated by
	// commas (tried in order).
	Addr        string
	Database    string
	Username    string
	Password    string
	DialTimeout time.Duration
}

// Store is an open connection to codepace's ClickHouse database.
type Store struct {
	conn driver.Conn
	db   string
}

var validDatabase = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open connects to ClickHouse, creates the database when it is missing and
// checks that the server answers.
func Open(ctx context.Context, o Options) (*Store, error) {
	if !validDatabase.MatchString(o.Database) {
		return nil, fmt.Errorf("clickhouse database name %q: use letters, digits and '_'", o.Database)
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 10 * time.Second
	}
	boot, err := connect(ctx, o, "default")
	if err != nil {
		return nil, err
	}
	// The database name is validated above; identifiers cannot be bound.
	err = boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+o.Database)
	boot.Close()
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: create database %s: %w", o.Addr, o.Database, err)
	}
	conn, err := connect(ctx, o, o.Database)
	if err != nil {
		return nil, err
	}
	return &Store{conn: conn, db: o.Database}, nil
}

func connect(ctx context.Context, o Options, db string) (driver.Conn, error) {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        strings.Split(o.Addr, ","),
		Auth:        clickhouse.Auth{Database: db, Username: o.Username, Password: o.Password},
		DialTimeout: o.DialTimeout,
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", o.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse %s does not answer (is it running? check clickhouse.addr and the credentials): %w", o.Addr, err)
	}
	return conn, nil
}

// Close releases the connection.
func (s *Store) Close() error { return s.conn.Close() }

// Ping checks that ClickHouse answers.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// Migrate applies the migrations not yet recorded in schema_migrations and
// returns the names of those it applied. Every statement is idempotent, so a
// migration cut short by a crash is simply applied again.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	migrations, err := schema.Migrations()
	if err != nil {
		return nil, err
	}
	if err := s.conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, name String, applied_at DateTime('UTC')
	) ENGINE = MergeTree() ORDER BY version`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	done := map[int]bool{}
	rows, err := s.conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		done[int(v)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var applied []string
	for _, m := range migrations {
		if done[m.Version] {
			continue
		}
		for i, stmt := range m.Statements {
			if err := s.conn.Exec(ctx, stmt); err != nil {
				return applied, fmt.Errorf("migration %s, statement %d: %w", m.Name, i+1, err)
			}
		}
		err := s.insert(ctx, "schema_migrations (version, name, applied_at)", func(b driver.Batch) error {
			return b.Append(uint32(m.Version), m.Name, time.Now().UTC())
		})
		if err != nil {
			return applied, fmt.Errorf("record migration %s: %w", m.Name, err)
		}
		applied = append(applied, m.Name)
	}
	return applied, nil
}

// insert runs one batch insert into table (with its column list); fill
// appends the rows.
func (s *Store) insert(ctx context.Context, tableAndColumns string, fill func(driver.Batch) error) error {
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+tableAndColumns)
	if err != nil {
		return err
	}
	if err := fill(b); err != nil {
		_ = b.Abort()
		return err
	}
	if b.Rows() == 0 {
		return b.Abort()
	}
	return b.Send()
}

// ErrNoData is returned by lookups that found nothing.
var ErrNoData = errors.New("no data")
