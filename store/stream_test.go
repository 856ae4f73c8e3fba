package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/collectors"
)

// rawCounts counts the rows of each raw table and the parts inserted.
func rawCounts(t *testing.T, s *Store) string {
	t.Helper()
	var out string
	for _, table := range []string{"raw_changes", "raw_revisions", "raw_messages", "raw_votes", "raw_builds"} {
		var n uint64
		if err := s.conn.QueryRow(context.Background(), "SELECT count() FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprintf("%s=%d ", table, n)
	}
	return out
}

// TestStream: what a stream took is stored only when it closes, as one
// part per table whatever the number of batches; an aborted stream stores
// no change row; a stream past streamChanges stores what it has; no more than
// maxStreams are open at once.
func TestStream(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	batch := func(number int64) collectors.Batch {
		c := sample()
		c.Number = number
		b := collectors.Build{Source: "g", System: collectors.SystemZuul, Pipeline: "check", Job: "tox",
			BuildID: fmt.Sprint("https://logs/", number), Project: c.Project, Change: number, Patchset: 1,
			Result: "SUCCESS", Started: t0, Finished: t0.Add(time.Minute)}
		return collectors.Batch{Changes: []collectors.Change{c}, Builds: []collectors.Build{b}}
	}
	const none = "raw_changes=0 raw_revisions=0 raw_messages=0 raw_votes=0 raw_builds=0 "

	st := s.Stream()
	for n := int64(1); n <= 3; n++ {
		if err := st.Write(ctx, batch(n)); err != nil {
			t.Fatal(err)
		}
	}
	if got := rawCounts(t, s); got != none {
		t.Fatalf("before Close: %s, want nothing stored", got)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st.Abort() // after Close: nothing
	if got, want := rawCounts(t, s), "raw_changes=3 raw_revisions=6 raw_messages=18 raw_votes=3 raw_builds=3 "; got != want {
		t.Fatalf("after Close: %s, want %s", got, want)
	}
	var parts uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'raw_messages' AND level = 0").Scan(&parts); err != nil || parts != 1 {
		t.Fatalf("raw_messages has %d inserted parts (%v), want 1 for three batches", parts, err)
	}

	big := s.Stream()
	defer big.Abort()
	var many collectors.Batch
	for n := int64(100); n < 100+streamChanges; n++ {
		many.Changes = append(many.Changes, batch(n).Changes...)
	}
	if err := big.Write(ctx, many); err != nil {
		t.Fatal(err)
	}
	// Its 30,000 messages went as blocks of blockRows, stored whole, as
	// one part.
	if got, want := rawCounts(t, s), fmt.Sprintf("raw_changes=%d raw_revisions=%d raw_messages=%d raw_votes=%d raw_builds=3 ",
		3+streamChanges, 6+2*streamChanges, 18+6*streamChanges, 3+streamChanges); got != want || 6*streamChanges <= 2*blockRows {
		t.Fatalf("after %d changes in a stream: %s, want %s", streamChanges, got, want)
	}
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'raw_messages' AND level = 0").Scan(&parts); err != nil || parts != 2 {
		t.Fatalf("raw_messages has %d inserted parts (%v), want 2 after the big stream", parts, err)
	}

	// An aborted stream stores no change row (ClickHouse may store the
	// other tables' rows it received: without their change they are not
	// read).
	aborted := s.Stream()
	if err := aborted.Write(ctx, batch(1_000_000)); err != nil {
		t.Fatal(err)
	}
	aborted.Abort()
	aborted.Abort()
	var stored uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM raw_changes WHERE number = 1000000").Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("an aborted stream stored %d change rows (%v)", stored, err)
	}

	var open []collectors.Stream
	for range maxStreams - 1 {
		open = append(open, s.Stream())
	}
	if extra := s.Stream(); extra != nil || open[len(open)-1] == nil {
		t.Fatalf("stream %d of %d: %v", maxStreams+1, maxStreams, extra)
	}
	open[0].Abort()
	if again := s.Stream(); again == nil {
		t.Fatal("no stream after one was aborted")
	} else {
		again.Abort()
	}
	for _, o := range open[1:] {
		o.Abort()
	}
}

// flushCounter is a driver.Batch that counts the rows of each block sent.
type flushCounter struct {
	driver.Batch
	rows   int
	blocks []int
}

func (f *flushCounter) Append(...any) error { f.rows++; return nil }
func (f *flushCounter) Flush() error        { f.blocks = append(f.blocks, f.rows); f.rows = 0; return nil }

// TestBlockBatchBounds: a stream's blocks end at blockRows rows, or once
// their strings reach blockBytes (long messages).
func TestBlockBatchBounds(t *testing.T) {
	for _, tt := range []struct {
		name      string
		text      int // bytes of each row's text
		rows      int
		wantBlock int // rows of each full block
	}{
		{"short rows", 10, 3*blockRows + 5, blockRows},
		{"long rows", 4 << 10, 200, (blockBytes + 4<<10 + 2) / (4<<10 + 3)}, // "src" and the text
	} {
		f := &flushCounter{}
		b := &blockBatch{Batch: f}
		text := strings.Repeat("x", tt.text)
		for range tt.rows {
			if err := b.Append("src", int64(1), text); err != nil {
				t.Fatal(err)
			}
		}
		if len(f.blocks) == 0 {
			t.Fatalf("%s: no block sent", tt.name)
		}
		for i, n := range f.blocks {
			if n != tt.wantBlock {
				t.Fatalf("%s: block %d of %d rows, want %d (%v)", tt.name, i, n, tt.wantBlock, f.blocks)
			}
		}
	}
}
