package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/collectors"
)

// key orders raw rows the way the tables are sorted.
type key struct {
	source, project string
	number          int64
}

func (k key) less(o key) bool {
	if k.source != o.source {
		return k.source < o.source
	}
	if k.project != o.project {
		return k.project < o.project
	}
	return k.number < o.number
}

// stream walks one query's rows, all ordered by key, one row ahead.
type stream[T any] struct {
	rows driver.Rows
	scan func(driver.Rows) (key, uint64, T, error)
	// the row read ahead
	k   key
	ver uint64
	v   T
	ok  bool
	err error
}

func openStream[T any](ctx context.Context, s *Store, query string, scan func(driver.Rows) (key, uint64, T, error)) (*stream[T], error) {
	rows, err := s.conn.Query(streaming(ctx), query)
	if err != nil {
		return nil, err
	}
	st := &stream[T]{rows: rows, scan: scan}
	st.next()
	return st, st.err
}

// streamBlockRows caps the rows per block ClickHouse sends for the
// compute's reads, so memory holds a few small blocks per stream rather
// than the default 65,536 rows (messages carry their whole text).
const streamBlockRows = 4096

// streaming marks a query whose rows are read one by one.
func streaming(ctx context.Context) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": streamBlockRows}))
}

func (st *stream[T]) next() {
	st.ok = false
	if !st.rows.Next() {
		st.err = st.rows.Err()
		return
	}
	st.k, st.ver, st.v, st.err = st.scan(st.rows)
	st.ok = st.err == nil
}

// take returns the rows for k whose version is at least ver, skipping rows
// of keys before k (children of changes that no longer exist) and rows
// from older collections of k (votes or messages since removed).
func (st *stream[T]) take(k key, ver uint64) ([]T, error) {
	var out []T
	for st.ok && st.k.less(k) {
		st.next()
	}
	for st.ok && st.k == k {
		if st.ver >= ver {
			out = append(out, st.v)
		}
		st.next()
	}
	return out, st.err
}

func (st *stream[T]) close() { st.rows.Close() }

func scanAccount(id, name, username, email string, service uint8) collectors.Account {
	return collectors.Account{ID: id, Name: name, Username: username, Email: email, Service: service == 1}
}

// eachChange calls fn for every stored change, with its revisions,
// messages and votes, in (source, project, number) order, holding only one
// change in memory at a time. where, when not empty, is a condition on
// source, project and number that keeps the changes to read.
func (s *Store) eachChange(ctx context.Context, where string, fn func(collectors.Change) error) error {
	if where != "" {
		where = " WHERE " + where
	}
	revs, err := openStream(ctx, s, `SELECT source, project, number, version, revision, created_at,
		uploader_id, uploader_name, uploader_username, uploader_email, uploader_service, kind, commit
		FROM raw_revisions FINAL`+where+` ORDER BY source, project, number, revision`, scanRevision)
	if err != nil {
		return fmt.Errorf("read revisions: %w", err)
	}
	defer revs.close()
	msgs, err := openStream(ctx, s, `SELECT source, project, number, version, message_id,
		author_id, author_name, author_username, author_email, author_service, at, at_ns, tag, text, revision
		FROM raw_messages FINAL`+where+` ORDER BY source, project, number, at, at_ns, seq`, scanMessage)
	if err != nil {
		return fmt.Errorf("read messages: %w", err)
	}
	defer msgs.close()
	votes, err := openStream(ctx, s, `SELECT source, project, number, version, label,
		account_id, account_name, account_username, account_email, account_service, value, at
		FROM raw_votes FINAL`+where+` ORDER BY source, project, number, label, account_id`, scanVote)
	if err != nil {
		return fmt.Errorf("read votes: %w", err)
	}
	defer votes.close()

	rows, err := s.conn.Query(streaming(ctx), `SELECT source, project, branch, number, change_id, url, subject,
		owner_id, owner_name, owner_username, owner_email, owner_service, status, is_wip,
		created_at, updated_at, merged_at, insertions, deletions, author_date, version
		FROM raw_changes FINAL`+where+` ORDER BY source, project, number`)
	if err != nil {
		return fmt.Errorf("read changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, ver, err := scanChange(rows)
		if err != nil {
			return fmt.Errorf("read changes: %w", err)
		}
		k := key{c.Source, c.Project, c.Number}
		if c.Revisions, err = revs.take(k, ver); err != nil {
			return fmt.Errorf("read revisions: %w", err)
		}
		if c.Messages, err = msgs.take(k, ver); err != nil {
			return fmt.Errorf("read messages: %w", err)
		}
		if c.Votes, err = votes.take(k, ver); err != nil {
			return fmt.Errorf("read votes: %w", err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanChange reads a raw_changes row as eachChange selects it, with its
// version.
func scanChange(rows driver.Rows) (collectors.Change, uint64, error) {
	var c collectors.Change
	var id, name, user, email string
	var svc, wip uint8
	var merged, authored *time.Time
	var ver uint64
	if err := rows.Scan(&c.Source, &c.Project, &c.Branch, &c.Number, &c.ChangeID, &c.URL, &c.Subject,
		&id, &name, &user, &email, &svc, &c.Status, &wip, &c.Created, &c.Updated, &merged,
		&c.Insertions, &c.Deletions, &authored, &ver); err != nil {
		return c, 0, err
	}
	c.Owner = scanAccount(id, name, user, email, svc)
	c.WIP = wip == 1
	c.Created, c.Updated = c.Created.UTC(), c.Updated.UTC()
	if merged != nil {
		c.Merged = merged.UTC()
	}
	if authored != nil {
		c.AuthorDate = authored.UTC()
	}
	return c, ver, nil
}

// scanRevision reads a raw_revisions row as eachChange selects it.
func scanRevision(r driver.Rows) (k key, ver uint64, v collectors.Revision, err error) {
	var num int32
	var id, name, user, email string
	var svc uint8
	err = r.Scan(&k.source, &k.project, &k.number, &ver, &num, &v.Created, &id, &name, &user, &email, &svc, &v.Kind, &v.Commit)
	v.Number = int(num)
	v.Created = v.Created.UTC()
	v.Uploader = scanAccount(id, name, user, email, svc)
	return
}

// scanMessage reads a raw_messages row as eachChange selects it; the date
// gets back its nanoseconds.
func scanMessage(r driver.Rows) (k key, ver uint64, m collectors.Message, err error) {
	var id, name, user, email string
	var svc uint8
	var ns uint32
	var rev int32
	err = r.Scan(&k.source, &k.project, &k.number, &ver, &m.ID, &id, &name, &user, &email, &svc, &m.Date, &ns, &m.Tag, &m.Text, &rev)
	m.Date = m.Date.UTC().Add(time.Duration(ns))
	m.Revision = int(rev)
	m.Author = scanAccount(id, name, user, email, svc)
	return
}

// scanVote reads a raw_votes row as eachChange selects it.
func scanVote(r driver.Rows) (k key, ver uint64, v collectors.Vote, err error) {
	var id, name, user, email string
	var svc uint8
	var val int32
	var at *time.Time
	err = r.Scan(&k.source, &k.project, &k.number, &ver, &v.Label, &id, &name, &user, &email, &svc, &val, &at)
	v.Value = int(val)
	v.Account = scanAccount(id, name, user, email, svc)
	if at != nil {
		v.Date = at.UTC()
	}
	return
}
