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
	"net"
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
	// Cluster, when set, is the ClickHouse cluster the schema is created
	// on: DDL runs ON CLUSTER, tables are Replicated with a Distributed
	// table in front (see sql.RenderForCluster), and inserts into the
	// Distributed tables are synchronous.
	Cluster string
}

// Store is an open connection to codepace's ClickHouse database.
type Store struct {
	conn    driver.Conn
	db      string
	cluster string        // "" on one server
	streams chan struct{} // a token per open Stream
	// readRange, when not 0, is how many changes a range of a full
	// compute's read holds (tests make it small; see changeRanges).
	readRange int
	// skipStored: Write and streams leave out the changes stored already
	// (see SkipStored).
	skipStored bool
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
	create := []string{"CREATE DATABASE IF NOT EXISTS " + o.Database}
	if o.Cluster != "" {
		if create, err = schema.RenderForCluster(create[0], o.Cluster, o.Database); err != nil {
			boot.Close()
			return nil, fmt.Errorf("clickhouse.cluster: %w", err)
		}
	}
	for _, stmt := range create {
		if err = boot.Exec(ctx, stmt); err != nil {
			break
		}
	}
	boot.Close()
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: create database %s: %w", o.Addr, o.Database, err)
	}
	conn, err := connect(ctx, o, o.Database)
	if err != nil {
		return nil, err
	}
	return &Store{conn: conn, db: o.Database, cluster: o.Cluster, streams: make(chan struct{}, maxStreams)}, nil
}

func connect(ctx context.Context, o Options, db string) (driver.Conn, error) {
	opts := &clickhouse.Options{
		Addr:        strings.Split(o.Addr, ","),
		Auth:        clickhouse.Auth{Database: db, Username: o.Username, Password: o.Password},
		DialTimeout: o.DialTimeout,
		ReadTimeout: driverReadTimeout,
		Compression: compression(strings.Split(o.Addr, ",")),
		// Compute holds nine connections at once (four read streams and
		// three open batches for the changes, one of each for the builds),
		// a collection up to fifteen (maxStreams streams of five inserts),
		// with room for cursors and batch-by-batch writes; the driver's
		// default allows ten.
		MaxOpenConns: 32,
	}
	if o.Cluster != "" {
		opts.Settings = clusterSettings
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", o.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse %s does not answer (is it running? check clickhouse.addr and the credentials): %w", o.Addr, err)
	}
	return conn, nil
}

// compression is the connection's block compression: none when every
// server is on this machine (a loopback address or localhost), where LZ4
// only spends CPU on both ends (a full compute at a million changes:
// 117 s with LZ4, 104.5 and 113.6 s without, BENCHMARKS.md); LZ4 over a
// network.
func compression(addrs []string) *clickhouse.Compression {
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(strings.TrimSpace(a))
		if err != nil {
			host = strings.TrimSpace(a)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
		}
	}
	return &clickhouse.Compression{Method: clickhouse.CompressionNone}
}

// clusterSettings are the session settings on a cluster:
//
//   - insert_distributed_sync: an insert into a Distributed table returns
//     only once every shard has its rows, so that a cursor or a
//     compute_runs row is never stored before the data it stands for;
//   - prefer_localhost_replica = 0: the node codepace connects to reads its
//     own shard through the network like the others, because ClickHouse
//     18.16 reads a local replica wrongly for FINAL with ORDER BY when the
//     query does not select the version column ("Cannot find column version
//     in source stream", e.g. compute's read of raw_builds).
//
// Settings with string values (load_balancing) cannot be sent to 18.16
// this way; deploy/README.md sets it in the user's profile instead.
var clusterSettings = clickhouse.Settings{"insert_distributed_sync": 1, "prefer_localhost_replica": 0}

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
	create := []string{schema.SchemaMigrationsDDL}
	if s.cluster != "" {
		if create, err = schema.RenderForCluster(create[0], s.cluster, s.db); err != nil {
			return nil, err
		}
	}
	for _, stmt := range create {
		if err := s.conn.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("create schema_migrations: %w", err)
		}
	}
	if s.cluster != "" {
		// CREATE ... IF NOT EXISTS would silently keep the tables of a
		// database created for one server.
		var engine string
		if err := s.conn.QueryRow(ctx, `SELECT engine FROM system.tables WHERE database = ? AND name = 'schema_migrations'`,
			s.db).Scan(&engine); err != nil {
			return nil, fmt.Errorf("check schema_migrations: %w", err)
		}
		if engine != "Distributed" {
			return nil, fmt.Errorf("clickhouse.cluster is set, but database %s was created for one server (its schema_migrations is a %s table, not Distributed); use a new database for the cluster (deploy/README.md)", s.db, engine)
		}
	}
	done, err := s.appliedVersions(ctx)
	if err != nil {
		return nil, err
	}
	var applied []string
	for _, m := range migrations {
		if done[m.Version] {
			continue
		}
		if err := s.apply(ctx, m); err != nil {
			return applied, err
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

// apply runs the statements of migration m; a Rebuild's tables are
// rebuilt (see rebuild).
func (s *Store) apply(ctx context.Context, m schema.Migration) error {
	if m.Rebuild {
		for i, stmt := range m.Statements {
			if err := s.rebuild(ctx, stmt, m.Version); err != nil {
				return fmt.Errorf("migration %s, statement %d: %w", m.Name, i+1, err)
			}
		}
		return nil
	}
	stmts := m.Statements
	if s.cluster != "" {
		var err error
		if stmts, err = m.ClusterStatements(s.cluster, s.db); err != nil {
			return err
		}
	}
	for i, stmt := range stmts {
		if err := s.exec(ctx, stmt); err != nil {
			return fmt.Errorf("migration %s, statement %d: %w", m.Name, i+1, err)
		}
	}
	return nil
}

// appliedVersions reads the versions recorded in schema_migrations.
func (s *Store) appliedVersions(ctx context.Context) (map[int]bool, error) {
	done := map[int]bool{}
	rows, err := s.conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[int(v)] = true
	}
	return done, rows.Err()
}

// Pending returns the names of the migrations not applied to the
// database yet, in order: every one when it has no schema_migrations
// table (it was never migrated). Verbs that do not migrate check it first,
// so that they say "run migrate" rather than fail on a missing table.
func (s *Store) Pending(ctx context.Context) ([]string, error) {
	migrations, err := schema.Migrations()
	if err != nil {
		return nil, err
	}
	var tables uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM system.tables WHERE database = ? AND name = 'schema_migrations'`,
		s.db).Scan(&tables); err != nil {
		return nil, fmt.Errorf("look for schema_migrations: %w", err)
	}
	done := map[int]bool{}
	if tables > 0 {
		if done, err = s.appliedVersions(ctx); err != nil {
			return nil, err
		}
	}
	var pending []string
	for _, m := range migrations {
		if !done[m.Version] {
			pending = append(pending, m.Name)
		}
	}
	return pending, nil
}

// exec runs one migration statement. A statement that adds a column is
// skipped when the column is there already, added by an earlier run of the
// migration that was cut short or whose schema_migrations row was lost
// (ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS, and its DDLWorker can
// hang on an ALTER ON CLUSTER of a replicated table that fails because the
// column exists); when it fails, the column being there since counts as
// success (a distributed DDL query that timed out goes on in the
// background).
func (s *Store) exec(ctx context.Context, stmt string) error {
	db, table, column, ok := schema.AddedColumn(stmt)
	if !ok {
		return s.conn.Exec(ctx, stmt)
	}
	if db == "" {
		db = s.db
	}
	if has, err := s.hasColumn(ctx, db, table, column); err != nil || has {
		return err
	}
	err := s.conn.Exec(ctx, stmt)
	if err == nil {
		return nil
	}
	if has, herr := s.hasColumn(ctx, db, table, column); herr == nil && has {
		return nil
	}
	return err
}

// hasColumn tells whether database.table has column: on a cluster, on one
// replica of every shard (a replicated ALTER reaches the other replicas of
// its shard through ZooKeeper).
func (s *Store) hasColumn(ctx context.Context, database, table, column string) (bool, error) {
	got, shards, err := s.onShards(ctx, "columns", "database = ? AND table = ? AND name = ?", database, table, column)
	if err != nil {
		return false, fmt.Errorf("look for column %s of %s.%s: %w", column, database, table, err)
	}
	return shards > 0 && got >= shards, nil
}

// onShards counts the rows of system table sys (tables, columns) that
// meet where, with its arguments args: on one server, its own; on a
// cluster, those of one replica of every shard. shards is how many the
// count is when every shard has one such row (1 on one server).
func (s *Store) onShards(ctx context.Context, sys, where string, args ...any) (got, shards uint64, err error) {
	shards, from := 1, "system."+sys
	if s.cluster != "" {
		if err := s.conn.QueryRow(ctx, `SELECT uniqExact(shard_num) FROM system.clusters WHERE cluster = ?`,
			s.cluster).Scan(&shards); err != nil {
			return 0, 0, fmt.Errorf("count the shards of cluster %s: %w", s.cluster, err)
		}
		from, args = "cluster(?, system."+sys+")", append([]any{s.cluster}, args...)
	}
	err = s.conn.QueryRow(ctx, `SELECT count() FROM `+from+` WHERE `+where, args...).Scan(&got)
	return got, shards, err
}

// insert runs one insert into table (with its column list); fill appends
// the rows, which go as blocks of blockRows (blockBatch).
func (s *Store) insert(ctx context.Context, tableAndColumns string, fill func(driver.Batch) error) error {
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+tableAndColumns)
	if err != nil {
		return err
	}
	fb := &blockBatch{Batch: b}
	if err := fill(fb); err != nil {
		_ = b.Abort()
		return err
	}
	if !fb.sent && b.Rows() == 0 {
		return b.Abort()
	}
	return b.Send()
}

// ErrNoData is returned by lookups that found nothing.
var ErrNoData = errors.New("no data")
