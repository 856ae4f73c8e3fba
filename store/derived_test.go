package store

import (
	"context"
	"testing"
)

// TestRowWriterBlocks: a rowWriter sends its rows in blocks of
// writeBlockRows and ends an insert every writeBatchRows rows; every row
// is stored once, and each insert is one part whatever its blocks.
func TestRowWriterBlocks(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.conn.Exec(ctx, "SYSTEM STOP MERGES compute_inputs"); err != nil {
		t.Fatal(err)
	}
	n := writeBatchRows + writeBlockRows + 1 // two inserts, the second of two blocks
	w := s.rowWriter("compute_inputs (generation, fingerprint)")
	defer w.abort()
	var want uint64
	for g := 1; g <= n; g++ {
		if err := w.add(ctx, uint64(g), "f"); err != nil {
			t.Fatal(err)
		}
		want += uint64(g)
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	var rows, sum, parts uint64
	if err := s.conn.QueryRow(ctx, "SELECT count(), sum(generation) FROM compute_inputs").Scan(&rows, &sum); err != nil {
		t.Fatal(err)
	}
	if rows != uint64(n) || sum != want || w.rows != n {
		t.Fatalf("stored %d rows summing to %d (writer counted %d), want %d summing to %d", rows, sum, w.rows, n, want)
	}
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'compute_inputs' AND active").Scan(&parts); err != nil || parts != 2 {
		t.Fatalf("%d parts (%v), want 2: one per insert", parts, err)
	}
}
