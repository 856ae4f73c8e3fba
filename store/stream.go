package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/collectors"
)

// Streams: a collector reading a span page by page writes it through one
// open insert per raw table; each page becomes a block of those inserts
// and ClickHouse stores all of an insert's blocks as one part when it
// ends (it squashes blocks up to min_insert_block_size_rows, a million
// rows). Written batch by batch, every 500-change page became a part per
// table, and ClickHouse's merges of those small parts took as much CPU as
// codepace (BENCHMARKS.md). codepace holds little more than before: each
// page's rows leave its memory as their block is sent, except the
// changes' own fields (one short row per change), which are inserted
// when the other tables' inserts have ended, so that a change row is
// stored only after its revisions, messages and votes, as Write does. If
// codepace dies or aborts with inserts open, ClickHouse may store what
// the other tables' inserts received (it ends an insert whose client left
// as if it were complete): rows of changes whose change row is not
// stored, as when Write fails half-way; the cursor did not move, so the
// next run writes them again.
const (
	// maxStreams is how many streams may be open at once, each holding a
	// connection per raw table but raw_changes (four); a collector asking
	// for more writes batch by batch.
	maxStreams = 3
	// streamChanges is how many changes a stream takes before it stores
	// what it has and opens new inserts: it bounds the changes codepace
	// holds (384 bytes each, 11 MB for three streams), what ClickHouse
	// holds for an open insert, and the work a failed insert loses. At
	// 1,000,000 changes (17,000 a window) 10,000 rather than 5,000 took
	// 13–20 s off the collection and 19–41 s off ClickHouse's CPU, in
	// fewer parts to merge (BENCHMARKS.md).
	streamChanges = 10000
)

// Stream is a collectors.Stream over a Store.
type Stream struct {
	s       *Store
	batches []streamBatch // in the order opened
	// changes are the changes taken since the inserts opened, without
	// their revisions, messages and votes: their rows wait for send.
	changes []collectors.Change
	// ctx is the latest Write's, for the change rows' insert in send
	// (Close takes none).
	ctx  context.Context
	done bool
}

type streamBatch struct {
	table string
	b     driver.Batch
}

// Stream opens a stream, or returns nil when maxStreams are open.
func (s *Store) Stream() collectors.Stream {
	select {
	case s.streams <- struct{}{}:
		return &Stream{s: s}
	default:
		return nil
	}
}

// Write sends a batch's rows as blocks of the open inserts; they are
// stored when Close returns nil (or earlier, once the stream took
// streamChanges).
func (st *Stream) Write(ctx context.Context, b collectors.Batch) error {
	if st.done {
		return errors.New("store: write to a closed stream")
	}
	b, err := st.s.unstored(ctx, b)
	if err != nil {
		return err
	}
	if err := writeRecords(ctx, st.insert, b); err != nil {
		return err
	}
	st.ctx = ctx
	for _, c := range b.Changes {
		c.Revisions, c.Messages, c.Votes = nil, nil, nil
		st.changes = append(st.changes, c)
	}
	if len(st.changes) >= streamChanges {
		return st.send()
	}
	return nil
}

// insert appends rows to the table's open insert, opening it first, and
// sends them as blocks.
func (st *Stream) insert(ctx context.Context, tableAndColumns string, fill func(driver.Batch) error) error {
	var b driver.Batch
	for _, sb := range st.batches {
		if sb.table == tableAndColumns {
			b = sb.b
		}
	}
	if b == nil {
		var err error
		if b, err = st.s.conn.PrepareBatch(ctx, "INSERT INTO "+tableAndColumns); err != nil {
			return err
		}
		st.batches = append(st.batches, streamBatch{tableAndColumns, b})
	}
	if err := fill(&blockBatch{Batch: b}); err != nil {
		return err
	}
	return b.Flush()
}

// blockRows is how many rows a stream sends per block at most. The driver
// keeps each connection's send buffer and each batch's column buffers as
// large as the largest block they carried, and a page's messages (some
// 30,000 rows, 8 MB) sent as one block left buffers of that size on every
// connection that ever carried them, idle ones in the pool included: at
// 1,000,000 changes peak RSS rose from 124 to 204 MB when pages went
// through streams (BENCHMARKS.md). Blocks of 4,096 rows (a few hundred KB)
// bound them, and blocks of 1,024 rows bound them closer: collecting
// 200,000 changes, the live heap after each garbage collection was 48 MB
// (median) and 73 MB (most) with 4,096, 34 and 59 MB with 1,024, in the
// same time and ClickHouse CPU; the peak RSS at 10,000 changes went from
// 87–97 to 64 MB. ClickHouse squashes an insert's blocks into one part
// all the same.
const blockRows = 1024

// blockBytes bounds a block's strings too: the test server's messages
// are 167 bytes on average, a block of them 300 KB, but a Zuul report
// naming twenty jobs is several KB, and 1,024 of them would make blocks,
// and the buffers kept at their size, ten times larger.
const blockBytes = 256 << 10

// blockBatch sends its rows as a block every blockRows appends, or once
// their strings reach blockBytes.
type blockBatch struct {
	driver.Batch
	rows, bytes int
	sent        bool // a block was sent
}

// Append adds a row, sending the block first when it is full.
func (b *blockBatch) Append(v ...any) error {
	if b.rows == blockRows || b.bytes >= blockBytes {
		if err := b.Batch.Flush(); err != nil {
			return err
		}
		b.rows, b.bytes, b.sent = 0, 0, true
	}
	b.rows++
	for _, x := range v {
		if s, ok := x.(string); ok {
			b.bytes += len(s)
		}
	}
	return b.Batch.Append(v...)
}

// send ends the open inserts, then inserts the change rows, in blocks
// as the other tables' rows: sent as one block, a stream's 5,000 change
// rows left a send buffer of their size on every connection that ever
// carried them (10.7 of the 37.8 MB live at the collection's peak at
// 1,000,000 changes, BENCHMARKS.md).
func (st *Stream) send() error {
	batches, changes := st.batches, st.changes
	st.batches, st.changes = nil, nil
	for i := range batches {
		if err := batches[i].b.Send(); err != nil {
			abort(batches)
			return fmt.Errorf("store %s: %w", strings.Fields(batches[i].table)[0], err)
		}
	}
	return writeChangeRows(st.ctx, st.s.insert, changes)
}

// Close stores everything written and frees the stream.
func (st *Stream) Close() error {
	if st.done {
		return nil
	}
	st.done = true
	defer func() { <-st.s.streams }()
	return st.send()
}

// Abort drops what was written and not stored yet, and frees the stream;
// after Close it does nothing.
func (st *Stream) Abort() {
	if st.done {
		return
	}
	st.done = true
	abort(st.batches)
	<-st.s.streams
}

// abort ends the inserts not sent: their blocks are not stored.
func abort(batches []streamBatch) {
	for _, sb := range batches {
		if !sb.b.IsSent() {
			_ = sb.b.Abort()
		}
	}
}
