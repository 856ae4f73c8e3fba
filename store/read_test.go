package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/codepace/codepace/collectors"
)

// allChanges reads every stored change as the compute does.
func allChanges(t *testing.T, s *Store) []collectors.Change {
	t.Helper()
	var out []collectors.Change
	if err := s.eachChange(context.Background(), "", func(c collectors.Change) error {
		out = append(out, c)
		return nil
	}); err != nil {
		t.Fatalf("read every change (ranges of %d): %v", s.readRange, err)
	}
	return out
}

// TestEachChangeRanges: a full read range by range gives the same changes,
// with the same revisions, messages and votes in the same order, as one
// query over the whole tables, whatever the ranges' size: ranges of one
// change, of a few (their bounds inside and across projects, one of them
// named with quotes and backslashes), and one range for everything. The
// history holds changes collected twice (a message and a vote since
// removed, which the read must leave out) and messages of a change that
// was never stored.
func TestEachChangeRanges(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	h := newIncrementalHistory(seed, time.Now().UTC().Truncate(time.Second))
	b := h.round(true, false, 40)
	for i := range b.Changes {
		if i%7 == 0 {
			b.Changes[i].Project = `it's "q" \ p`
		}
	}
	later := b.Changes[1]
	b.Changes[1].Messages = append(b.Changes[1].Messages, collectors.Message{ID: "gone", Author: h.owners[0],
		Date: later.Created.Add(time.Minute), Text: "removed since"})
	b.Changes[1].Votes = append(b.Changes[1].Votes, collectors.Vote{Label: "Code-Review", Account: h.owners[1], Value: -1})
	orphan := b.Changes[2]
	orphan.Number = 1 << 40
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	later.Updated = later.Updated.Add(time.Hour)
	if err := s.Write(ctx, collectors.Batch{Changes: []collectors.Change{later}}); err != nil {
		t.Fatal(err)
	}
	// The orphan's children only: its change row is not written.
	if err := s.conn.Exec(ctx, `INSERT INTO raw_messages SELECT source, project, ?, message_id, seq, author_id,
		author_name, author_username, author_email, author_service, at, at_ns, tag, text, revision, version
		FROM raw_messages WHERE number = ?`, orphan.Number, b.Changes[2].Number); err != nil {
		t.Fatal(err)
	}

	read := func(n int) []collectors.Change {
		t.Helper()
		s.readRange = n
		return allChanges(t, s)
	}
	whole := read(1 << 40)
	if len(whole) != len(b.Changes) {
		t.Fatalf("one range read %d changes, want %d", len(whole), len(b.Changes))
	}
	for _, c := range whole {
		if c.Number == later.Number {
			for _, m := range c.Messages {
				if m.ID == "gone" {
					t.Errorf("change %d: the removed message was read", c.Number)
				}
			}
			if len(c.Votes) != len(later.Votes) {
				t.Errorf("change %d: %d votes read, want %d", c.Number, len(c.Votes), len(later.Votes))
			}
		}
	}
	for _, n := range []int{1, 2, 3, 7, 16} {
		bounds, err := s.changeRanges(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if n < 4 && len(bounds) < len(whole)/n-1 {
			t.Errorf("ranges of %d: %d bounds for %d changes", n, len(bounds), len(whole))
		}
		if got := read(n); !reflect.DeepEqual(got, whole) {
			t.Errorf("seed %d: ranges of %d (%d bounds) read %d changes, not as one range's %d", seed, n, len(bounds), len(got), len(whole))
		}
	}
}

// TestReadError: a read that timed out or that the server stopped says so
// in words, and keeps the driver's error.
func TestReadError(t *testing.T) {
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	stopped := &clickhouse.Exception{Code: codeTimeoutExceeded, Message: "Timeout exceeded: elapsed 300.1 seconds"}
	other := errors.New("boom")
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("wrapped: %w", timeout), "did not all come within the read timeout (5m0s"},
		{stopped, "stopped the query after its time limit"},
		{other, "read messages: boom"},
	} {
		err := readError("messages", c.err)
		if !strings.Contains(err.Error(), c.want) || !errors.Is(err, c.err) {
			t.Errorf("readError(%v) = %v, want it to say %q and wrap it", c.err, err, c.want)
		}
	}
}

// TestReadAsFinal: eachChange, which reads the raw tables without FINAL,
// gives what it gives once every table is merged (OPTIMIZE … FINAL, after
// which each row is its identity's highest version): with changes
// collected again (a message gone, a vote changed, a revision added), rows
// stored twice at the same version, and a message stored again at a
// higher version than its change's row.
func TestReadAsFinal(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	h := newIncrementalHistory(seed, time.Now().UTC().Truncate(time.Second))
	b := h.round(true, false, 30)
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	var again []collectors.Change
	for i, c := range b.Changes[:10] {
		c.Updated = c.Updated.Add(time.Hour)
		switch i % 3 {
		case 0:
			if len(c.Messages) > 0 {
				c.Messages = c.Messages[1:]
			}
		case 1:
			c.Votes = append([]collectors.Vote(nil), c.Votes...)
			for j := range c.Votes {
				c.Votes[j].Value = -c.Votes[j].Value
			}
		case 2:
			c.Revisions = append(c.Revisions, collectors.Revision{Number: len(c.Revisions) + 1,
				Created: c.Updated, Uploader: c.Owner, Commit: "f00d"})
		}
		again = append(again, c)
	}
	if err := s.Write(ctx, collectors.Batch{Changes: again}); err != nil {
		t.Fatal(err)
	}
	twice, later := b.Changes[12].Number, b.Changes[13].Number
	for _, q := range []string{
		`INSERT INTO raw_messages SELECT * FROM raw_messages WHERE number = ?`,
		`INSERT INTO raw_votes SELECT * FROM raw_votes WHERE number = ?`,
		`INSERT INTO raw_revisions SELECT * FROM raw_revisions WHERE number = ?`,
		`INSERT INTO raw_changes SELECT * FROM raw_changes WHERE number = ?`,
	} {
		if err := s.conn.Exec(ctx, q, twice); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.conn.Exec(ctx, `INSERT INTO raw_messages SELECT source, project, number, message_id, seq, author_id,
		author_name, author_username, author_email, author_service, at, at_ns, tag, 'said again', revision, version + 1
		FROM raw_messages WHERE number = ?`, later); err != nil {
		t.Fatal(err)
	}
	got := allChanges(t, s)
	said := 0
	for _, c := range got {
		for _, m := range c.Messages {
			if c.Number == later && m.Text == "said again" {
				said++
			}
		}
	}
	if said == 0 {
		t.Errorf("change %d: its messages stored again at a later version were not read", later)
	}
	for _, table := range []string{"raw_changes", "raw_revisions", "raw_messages", "raw_votes"} {
		if err := s.conn.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
			t.Fatal(err)
		}
	}
	if want := allChanges(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("seed %d: read before the merge differs from after it (%d and %d changes)", seed, len(got), len(want))
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("first difference: change %d:\n got %+v\nwant %+v", got[i].Number, got[i], want[i])
				break
			}
		}
	}
}

// TestLatest: of rows with the same identity, latest keeps the one of the
// highest version (the first of equal ones), in the rows' order, through
// pairwise comparison and through the map alike.
func TestLatest(t *testing.T) {
	ident := func(r [2]int) int { return r[0] }
	rows := [][2]int{{1, 0}, {2, 1}, {1, 2}, {3, 3}, {2, 4}, {3, 5}}
	vers := []uint64{5, 5, 6, 5, 4, 5}
	want := [][2]int{{2, 1}, {1, 2}, {3, 3}}
	if got := latest(append([][2]int(nil), rows...), vers, ident); !reflect.DeepEqual(got, want) {
		t.Errorf("latest = %v, want %v", got, want)
	}
	var many [][2]int
	var manyVers []uint64
	for i := range 200 {
		many = append(many, [2]int{i % 100, i})
		manyVers = append(manyVers, uint64(i/100))
	}
	got := latest(many, manyVers, ident)
	if len(got) != 100 || got[0] != [2]int{0, 100} || got[99] != [2]int{99, 199} {
		t.Errorf("latest of 200 rows = %d rows, first %v, last %v; want 100, [0 100], [99 199]", len(got), got[0], got[len(got)-1])
	}
}
