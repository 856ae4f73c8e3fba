package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
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

// stream walks one query's rows, all ordered by key, one row ahead. The
// query reads its table without FINAL: take keeps, of the rows of a key
// with the same identity (ident: the rest of the table's sorting key),
// the one of the highest version, as FINAL would.
type stream[T any, I comparable] struct {
	rows  driver.Rows
	scan  func(driver.Rows) (key, uint64, T, error)
	ident func(T) I
	// the row read ahead
	k   key
	ver uint64
	v   T
	ok  bool
	err error
}

func openStream[T any, I comparable](ctx context.Context, s *Store, query string, args []any, scan func(driver.Rows) (key, uint64, T, error), ident func(T) I) (*stream[T, I], error) {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	st := &stream[T, I]{rows: rows, scan: scan, ident: ident}
	st.next()
	return st, st.err
}

// streamBlockRows caps the rows per block ClickHouse sends for the
// compute's reads, so memory holds a few small blocks per stream rather
// than the default 65,536 rows (messages carry their whole text). The
// driver holds up to four blocks per query (two queued, one read, one
// being decoded) and keeps each connection's decompression buffers as
// large as the largest block it received; at 4,096 rows (1.3 MB of
// messages) the five reads of a full compute held 34 of its 61 MB of
// heap, at 1,024 rows 18 MB (BENCHMARKS.md).
const streamBlockRows = 1024

// streaming marks a query whose rows are read one by one.
func streaming(ctx context.Context) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": streamBlockRows}))
}

func (st *stream[T, I]) next() {
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
// from older collections of k (votes or messages since removed); of rows
// with the same identity it keeps the one of the highest version.
func (st *stream[T, I]) take(k key, ver uint64) ([]T, error) {
	var out []T
	var vers []uint64
	for st.ok && st.k.less(k) {
		st.next()
	}
	for st.ok && st.k == k {
		if st.ver >= ver {
			out = append(out, st.v)
			vers = append(vers, st.ver)
		}
		st.next()
	}
	return latest(out, vers, st.ident), st.err
}

// latest returns rows (of one change, with their versions vers) without
// those another row of the same identity and a higher version replaces,
// or of the same version precedes, in their order: what FINAL keeps of a
// ReplacingMergeTree(version) sorted by that identity. A change's rows
// are a few dozen, compared pairwise; more go through a map.
func latest[T any, I comparable](rows []T, vers []uint64, ident func(T) I) []T {
	if len(rows) < 2 {
		return rows
	}
	keep := make([]bool, len(rows))
	var seen map[I]int
	if len(rows) > 64 {
		seen = make(map[I]int, len(rows))
	}
	for i, r := range rows {
		id, j := ident(r), -1
		if seen != nil {
			if at, ok := seen[id]; ok {
				j = at
			}
		} else {
			for p := range i {
				if keep[p] && ident(rows[p]) == id {
					j = p
					break
				}
			}
		}
		switch {
		case j < 0:
			keep[i] = true
		case vers[i] > vers[j]:
			keep[i], keep[j] = true, false
		}
		if seen != nil && keep[i] {
			seen[id] = i
		}
	}
	out := rows[:0]
	for i, r := range rows {
		if keep[i] {
			out = append(out, r)
		}
	}
	return out
}

func (st *stream[T, I]) close() { st.rows.Close() }

func scanAccount(id, name, username, email string, service uint8) collectors.Account {
	return collectors.Account{ID: id, Name: name, Username: username, Email: email, Service: service == 1}
}

// accountColumns are the five columns of an account in a raw table, as a
// scanner reads them (see newMessageScan).
type accountColumns struct {
	id, name, username, email string
	service                   uint8
}

// dest are the destinations of the columns, in their order.
func (a *accountColumns) dest() []any {
	return []any{&a.id, &a.name, &a.username, &a.email, &a.service}
}

func (a *accountColumns) account() collectors.Account {
	return scanAccount(a.id, a.name, a.username, a.email, a.service)
}

// eachChange calls fn for every stored change, with its revisions,
// messages and votes, in (source, project, number) order, holding only one
// change in memory at a time. where, when not empty, is a condition on
// source, project and number that keeps the changes to read (an
// incremental compute's touched changes), read in one range; without it
// the tables are read range by range (see changeRanges), so that no query
// sorts a whole table before its first row (docs/reliability.md).
func (s *Store) eachChange(ctx context.Context, where string, fn func(collectors.Change) error) error {
	if where != "" {
		return s.eachChangeIn(streaming(ctx), "", where, nil, fn)
	}
	bounds, err := s.changeRanges(ctx, s.rangeChanges())
	if err != nil {
		return err
	}
	rctx := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{
		"max_block_size": streamBlockRows, "max_execution_time": int(rangeQueryLimit / time.Second)}))
	for i := 0; i <= len(bounds); i++ {
		var lo, hi *key
		if i > 0 {
			lo = &bounds[i-1]
		}
		if i < len(bounds) {
			hi = &bounds[i]
		}
		cond, args := rangeCond(lo, hi)
		if err := s.eachChangeIn(rctx, describeRange(lo, hi), cond, args, fn); err != nil {
			return err
		}
	}
	return nil
}

// eachChangeIn is eachChange over the changes that meet where (with its
// arguments args), in one query per raw table; name, when not empty,
// names the range in errors. The tables are read without FINAL, which
// made ClickHouse (18.16) merge the parts' rows in one stream, four times
// slower (9.2 s against 2.2 s for the messages of 10,000 changes of
// 1,000,000): a change's row is its highest version, and the streams keep
// the latest of its children (stream.take).
func (s *Store) eachChangeIn(ctx context.Context, name, where string, args []any, fn func(collectors.Change) error) error {
	if where != "" {
		where = " WHERE " + where
	}
	in := ""
	if name != "" {
		in = " of " + name
	}
	revs, err := openStream(ctx, s, `SELECT source, project, number, version, revision, created_at,
		uploader_id, uploader_name, uploader_username, uploader_email, uploader_service, kind, commit
		FROM raw_revisions`+where+` ORDER BY source, project, number, revision`, args, newRevisionScan(),
		func(r collectors.Revision) int { return r.Number })
	if err != nil {
		return readError("revisions"+in, err)
	}
	defer revs.close()
	msgs, err := openStream(ctx, s, `SELECT source, project, number, version, message_id,
		author_id, author_name, author_username, author_email, author_service, at, at_ns, tag, text, revision
		FROM raw_messages`+where+` ORDER BY source, project, number, at, at_ns, seq`, args, newMessageScan(),
		func(m collectors.Message) string { return m.ID })
	if err != nil {
		return readError("messages"+in, err)
	}
	defer msgs.close()
	votes, err := openStream(ctx, s, `SELECT source, project, number, version, label,
		account_id, account_name, account_username, account_email, account_service, value, at
		FROM raw_votes`+where+` ORDER BY source, project, number, label, account_id`, args, newVoteScan(),
		func(v collectors.Vote) [2]string { return [2]string{v.Label, v.Account.ID} })
	if err != nil {
		return readError("votes"+in, err)
	}
	defer votes.close()

	rows, err := s.conn.Query(ctx, `SELECT source, project, branch, number, change_id, url, subject,
		owner_id, owner_name, owner_username, owner_email, owner_service, status, is_wip,
		created_at, updated_at, merged_at, insertions, deletions, author_date, version
		FROM raw_changes`+where+` ORDER BY source, project, number, version`, args...)
	if err != nil {
		return readError("changes"+in, err)
	}
	defer rows.Close()
	emit := func(c collectors.Change, ver uint64) error {
		k := key{c.Source, c.Project, c.Number}
		if c.Revisions, err = revs.take(k, ver); err != nil {
			return readError("revisions"+in, err)
		}
		if c.Messages, err = msgs.take(k, ver); err != nil {
			return readError("messages"+in, err)
		}
		if c.Votes, err = votes.take(k, ver); err != nil {
			return readError("votes"+in, err)
		}
		return fn(c)
	}
	// A change's rows come in ascending versions: the last one is its.
	var last collectors.Change
	var lastVer uint64
	held := false
	scanChange := newChangeScan()
	for rows.Next() {
		c, ver, err := scanChange(rows)
		if err != nil {
			return readError("changes"+in, err)
		}
		if held && (c.Source != last.Source || c.Project != last.Project || c.Number != last.Number) {
			if err := emit(last, lastVer); err != nil {
				return err
			}
		}
		last, lastVer, held = c, ver, true
	}
	if err := rows.Err(); err != nil {
		return readError("changes"+in, err)
	}
	if held {
		return emit(last, lastVer)
	}
	return nil
}

// Each scanner below reads the rows of one raw table as eachChangeIn
// selects them into destinations it keeps from row to row: scanning into
// new variables moved each of them to the heap, a dozen allocations a
// row besides the values' own (3.8 of the 13 s a full compute of a
// million changes spent reading its 12.4M messages).

// newChangeScan reads raw_changes rows, each with its version.
func newChangeScan() func(driver.Rows) (collectors.Change, uint64, error) {
	var d struct {
		c              collectors.Change
		owner          accountColumns
		wip            uint8
		merged, author *time.Time
		ver            uint64
	}
	c := &d.c
	dest := slices.Concat([]any{&c.Source, &c.Project, &c.Branch, &c.Number, &c.ChangeID, &c.URL, &c.Subject},
		d.owner.dest(), []any{&c.Status, &d.wip, &c.Created, &c.Updated, &d.merged, &c.Insertions, &c.Deletions,
			&d.author, &d.ver})
	return func(rows driver.Rows) (collectors.Change, uint64, error) {
		if err := rows.Scan(dest...); err != nil {
			return collectors.Change{}, 0, err
		}
		c := d.c
		c.Owner = d.owner.account()
		c.WIP = d.wip == 1
		c.Created, c.Updated = c.Created.UTC(), c.Updated.UTC()
		if d.merged != nil {
			c.Merged = d.merged.UTC()
		}
		if d.author != nil {
			c.AuthorDate = d.author.UTC()
		}
		return c, d.ver, nil
	}
}

// newRevisionScan reads raw_revisions rows.
func newRevisionScan() func(driver.Rows) (key, uint64, collectors.Revision, error) {
	var d struct {
		k        key
		ver      uint64
		num      int32
		v        collectors.Revision
		uploader accountColumns
	}
	dest := slices.Concat([]any{&d.k.source, &d.k.project, &d.k.number, &d.ver, &d.num, &d.v.Created},
		d.uploader.dest(), []any{&d.v.Kind, &d.v.Commit})
	return func(r driver.Rows) (key, uint64, collectors.Revision, error) {
		if err := r.Scan(dest...); err != nil {
			return key{}, 0, collectors.Revision{}, err
		}
		v := d.v
		v.Number = int(d.num)
		v.Created = v.Created.UTC()
		v.Uploader = d.uploader.account()
		return d.k, d.ver, v, nil
	}
}

// newMessageScan reads raw_messages rows; the date gets back its
// nanoseconds.
func newMessageScan() func(driver.Rows) (key, uint64, collectors.Message, error) {
	var d struct {
		k      key
		ver    uint64
		m      collectors.Message
		author accountColumns
		ns     uint32
		rev    int32
	}
	dest := slices.Concat([]any{&d.k.source, &d.k.project, &d.k.number, &d.ver, &d.m.ID}, d.author.dest(),
		[]any{&d.m.Date, &d.ns, &d.m.Tag, &d.m.Text, &d.rev})
	return func(r driver.Rows) (key, uint64, collectors.Message, error) {
		if err := r.Scan(dest...); err != nil {
			return key{}, 0, collectors.Message{}, err
		}
		m := d.m
		m.Date = m.Date.UTC().Add(time.Duration(d.ns))
		m.Revision = int(d.rev)
		m.Author = d.author.account()
		return d.k, d.ver, m, nil
	}
}

// newVoteScan reads raw_votes rows.
func newVoteScan() func(driver.Rows) (key, uint64, collectors.Vote, error) {
	var d struct {
		k       key
		ver     uint64
		v       collectors.Vote
		account accountColumns
		val     int32
		at      *time.Time
	}
	dest := slices.Concat([]any{&d.k.source, &d.k.project, &d.k.number, &d.ver, &d.v.Label}, d.account.dest(),
		[]any{&d.val, &d.at})
	return func(r driver.Rows) (key, uint64, collectors.Vote, error) {
		if err := r.Scan(dest...); err != nil {
			return key{}, 0, collectors.Vote{}, err
		}
		v := d.v
		v.Value = int(d.val)
		v.Account = d.account.account()
		if d.at != nil {
			v.Date = d.at.UTC()
		}
		return d.k, d.ver, v, nil
	}
}

// defaultRangeChanges is about how many changes one range of a full read
// holds (see changeRanges): a range's messages (a dozen a change) are
// sorted by ClickHouse in tens of megabytes, and the four queries a range
// costs are a few hundred at 1,000,000 changes.
const defaultRangeChanges = 8192

// rangeQueryLimit is the max_execution_time of a range's queries: the
// server stops a query of a compute that is gone (or stuck) after it
// rather than reading on for nobody. A range takes seconds.
const rangeQueryLimit = 5 * time.Minute

// rangeSamples is how many sampled keys stand for one range: the gaps
// between sampled keys are random, and keeping every rangeSamples-th makes
// the ranges' sizes even (the largest of 122 ranges about twice the mean
// rather than five times).
const rangeSamples = 4

// rangeChanges is the number of changes a range of a full read holds.
func (s *Store) rangeChanges() int {
	if s.readRange > 0 {
		return s.readRange
	}
	return defaultRangeChanges
}

// changeRanges returns keys of stored changes, in (source, project,
// number) order, that split them into ranges of about n changes each: the
// ranges are [-∞, first), [first, second), … [last, ∞). It samples the
// keys by a hash of the key, which reads only raw_changes' key columns and
// sorts only the sample; any sorted keys would split the changes
// correctly, the sample only makes the ranges about n long.
func (s *Store) changeRanges(ctx context.Context, n int) ([]key, error) {
	mod := max(1, n/rangeSamples)
	every := max(1, n/mod)
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT source, project, number FROM raw_changes
		WHERE cityHash64(source, project, number) % ? = 0 ORDER BY source, project, number`, uint64(mod))
	if err != nil {
		return nil, fmt.Errorf("split the changes into ranges: %w", err)
	}
	defer rows.Close()
	var out []key
	for i := 0; rows.Next(); i++ {
		var k key
		if err := rows.Scan(&k.source, &k.project, &k.number); err != nil {
			return nil, fmt.Errorf("split the changes into ranges: %w", err)
		}
		if i%every == every-1 {
			out = append(out, k)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("split the changes into ranges: %w", err)
	}
	return out, nil
}

// rangeCond is the condition on source, project and number of the keys
// from lo (included) to hi (excluded), nil for no bound, with its
// arguments. It compares the key columns one by one rather than as a
// tuple, which ClickHouse's primary key index (18.16 as well as current
// releases) turns into the granules of the range: a range query reads
// only its part of each table.
func rangeCond(lo, hi *key) (string, []any) {
	var conds []string
	var args []any
	if lo != nil {
		conds = append(conds, "(source > ? OR source = ? AND (project > ? OR project = ? AND number >= ?))")
		args = append(args, lo.source, lo.source, lo.project, lo.project, lo.number)
	}
	if hi != nil {
		conds = append(conds, "(source < ? OR source = ? AND (project < ? OR project = ? AND number < ?))")
		args = append(args, hi.source, hi.source, hi.project, hi.project, hi.number)
	}
	return strings.Join(conds, " AND "), args
}

// describeRange names the changes from lo to hi for errors.
func describeRange(lo, hi *key) string {
	name := func(k *key, none string) string {
		if k == nil {
			return none
		}
		return fmt.Sprintf("%s %s %d", k.source, k.project, k.number)
	}
	return "the changes from " + name(lo, "the first") + " to before " + name(hi, "the end")
}

// readError says what a failed read was reading, and why in words when
// the server stopped it (max_execution_time) or the driver's read timeout
// ran out, whose own error is only "i/o timeout".
func readError(what string, err error) error {
	var ne net.Error
	var ex *clickhouse.Exception
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("read %s: the query's rows did not all come within the read timeout (%s, which clickhouse-go counts from a query's first block to its last, not between packets); the query may still run on the server (system.processes): %w",
			what, driverReadTimeout, err)
	case errors.As(err, &ex) && ex.Code == codeTimeoutExceeded:
		return fmt.Errorf("read %s: ClickHouse stopped the query after its time limit: %w", what, err)
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// codeTimeoutExceeded is ClickHouse's TIMEOUT_EXCEEDED (max_execution_time).
const codeTimeoutExceeded = 159

// driverReadTimeout is the read timeout Open gives clickhouse-go (its
// default). The driver sets it once for the wait for a query's first
// block and once for all its other packets, so a query whose rows take
// longer to read fails with "i/o timeout" even while rows keep coming:
// reads that can last longer set a context deadline (see longRead).
const driverReadTimeout = 300 * time.Second

// longRead returns a context for one query whose rows may take up to
// limit to read (a read of every build): the driver takes the context's
// deadline instead of its read timeout, and the server stops the query
// at the same limit (max_execution_time) even when nobody reads it any
// more. Sorts that outgrow externalSortBytes go to disk, so the server's
// memory for such a query stays bounded.
func longRead(ctx context.Context, limit time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{
		"max_block_size": streamBlockRows, "max_execution_time": int(limit / time.Second),
		"max_bytes_before_external_sort": externalSortBytes})), cancel
}

// externalSortBytes is where a long read's sort goes to disk.
const externalSortBytes = 512 << 20
