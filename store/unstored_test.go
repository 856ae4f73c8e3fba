package store

import (
	"context"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
)

// TestSkipStored: through SkipStored, by Write and by a stream, a change
// stored already with the same `updated` or a later one is not stored
// again (its subject stays, its collected_at does not move, so it touches
// nothing), its builds are; a change updated since is stored, and so is
// one not stored yet.
func TestSkipStored(t *testing.T) { checkSkipStored(t, openTest(t)) }

// TestClusterSkipStored is TestSkipStored on the cluster (Distributed
// raw_changes, the look-up by GLOBAL IN).
func TestClusterSkipStored(t *testing.T) {
	s, _, _, _ := openCluster(t)
	checkSkipStored(t, s)
}

func checkSkipStored(t *testing.T, s *Store) {
	ctx := context.Background()
	old := sample()
	if err := s.Write(ctx, collectors.Batch{Changes: []collectors.Change{old}}); err != nil {
		t.Fatal(err)
	}
	var collected time.Time
	if err := s.conn.QueryRow(ctx, "SELECT max(collected_at) FROM raw_changes").Scan(&collected); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // collected_at holds seconds
	skip := s.SkipStored()
	same := sample()
	same.Subject = "renamed, same updated"
	older := sample()
	older.Number, older.Subject = 8, "new"
	build := collectors.Build{Source: "g", System: "zuul", Job: "tox", BuildID: "b1", Project: "p/one", Change: 7,
		Result: "SUCCESS", Started: t0, Finished: t0.Add(time.Minute)}
	if err := skip.Write(ctx, collectors.Batch{Changes: []collectors.Change{same, older}, Builds: []collectors.Build{build}}); err != nil {
		t.Fatal(err)
	}
	subjects := func(kept bool) map[int64]string {
		t.Helper()
		rows, err := s.conn.Query(ctx, "SELECT number, subject, collected_at FROM raw_changes FINAL")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64]string{}
		for rows.Next() {
			var n int64
			var subject string
			var at time.Time
			if err := rows.Scan(&n, &subject, &at); err != nil {
				t.Fatal(err)
			}
			if kept && n == 7 && !at.Equal(collected) {
				t.Errorf("change 7 collected again at %s (first %s)", at, collected)
			}
			out[n] = subject
		}
		return out
	}
	if got := subjects(true); got[7] != "Fix it" || got[8] != "new" {
		t.Errorf("after writing the same change again: subjects %v, want 7 kept and 8 stored", got)
	}
	var builds uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM raw_builds").Scan(&builds); err != nil || builds != 1 {
		t.Errorf("builds stored: %d, %v; want 1", builds, err)
	}

	newer := sample()
	newer.Updated, newer.Subject = newer.Updated.Add(time.Second), "updated since"
	st := skip.Stream()
	if st == nil {
		t.Fatal("no stream free")
	}
	if err := st.Write(ctx, collectors.Batch{Changes: []collectors.Change{newer, older}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var rows8 uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM raw_changes WHERE number = 8").Scan(&rows8); err != nil || rows8 != 1 {
		t.Errorf("change 8 has %d rows (%v) after a stream wrote it again unchanged; want 1", rows8, err)
	}
	if got := subjects(false); got[7] != "updated since" {
		t.Errorf("a change updated since was not stored by a stream: subjects %v", got)
	}
}
