package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/metrics"
)

// recordLayer makes generation gen, layered on base, visible.
func recordLayer(t *testing.T, s *Store, gen, base uint64) {
	t.Helper()
	err := s.insert(context.Background(), "compute_runs (generation, started_at, finished_at, changes, builds, base)",
		func(b driver.Batch) error {
			return b.Append(gen, time.Now().UTC(), time.Now().UTC(), uint64(0), uint64(0), base)
		})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBacklogLayer: an incremental layer of backlog days (incrementalBacklog's
// rows and writeBacklogDayMasks' masks) makes the review_backlog_daily view
// equal to a full recompute's.
func TestBacklogLayer(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(16, 7))
	since := time.Date(2024, 5, 20, 10, 0, 0, 0, time.UTC)
	now := since.Add(5 * time.Hour)
	changes := backlogHistory(rng, 80, since)
	if err := s.Write(ctx, collectors.Batch{Changes: changes}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Compute(ctx, ComputeOptions{Bots: noBots, NewcomerDays: 90, Now: since})
	if err != nil {
		t.Fatal(err)
	}
	fresh := map[changeKey]metrics.BacklogItem{}
	var updated []collectors.Change
	for _, c := range changes[:10] {
		c.Messages, c.Revisions = slices.Clone(c.Messages), slices.Clone(c.Revisions)
		extendHistory(rng, &c, 2, now)
		updated = append(updated, c)
		fresh[changeKey{c.Source, c.Project, c.Number}] = freshBacklogItem(c)
	}
	if err := s.Write(ctx, collectors.Batch{Changes: updated}); err != nil {
		t.Fatal(err)
	}
	up, err := s.incrementalBacklog(ctx, fresh, since, now)
	if err != nil {
		t.Fatal(err)
	}
	gen := st.Generation + 1
	masks, err := s.writeBacklogDayMasks(ctx, st.Generation, gen, up.From)
	if err != nil {
		t.Fatal(err)
	}
	w := s.backlogWriter()
	for _, d := range up.Days {
		if err := writeBacklogDay(ctx, w, gen, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	recordLayer(t, s, gen, st.Generation)
	got := storedBacklogDays(t, s)
	if _, err := s.Compute(ctx, ComputeOptions{Bots: noBots, NewcomerDays: 90, Now: now}); err != nil {
		t.Fatal(err)
	}
	want := storedBacklogDays(t, s)
	if !slices.Equal(got, want) {
		t.Fatalf("layered view: %d rows, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	t.Logf("%d rows, %d rewritten, %d masks", len(want), len(up.Days), masks)
	if masks == 0 || masks > len(up.Days) {
		t.Errorf("%d masks for %d rewritten days", masks, len(up.Days))
	}
}

// buildsView reads the builds and build_spikes views as text.
func buildsView(t *testing.T, s *Store) []string {
	t.Helper()
	out := rowsAsText(t, s, `SELECT source, system, build_id, job, toString(finished_at), duration_s, is_spike FROM builds
		ORDER BY source, system, build_id`)
	return append(out, rowsAsText(t, s, `SELECT build_id, baseline_median_s, ratio FROM build_spikes ORDER BY build_id`)...)
}

// TestBuildLayers: two incremental layers of builds (incrementalBuilds'
// rows and writeBuildMasks' masks) make the builds views equal to a full
// recompute's, with one mask per build rewritten that the views showed.
func TestBuildLayers(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	spike := metrics.SpikeConfig{Ratio: 1.5, FloorS: 60, WindowDays: 7, MinBuilds: 3}
	rng := rand.New(rand.NewPCG(16, 8))
	end := time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC)
	jobs := []string{"a", "b", "c"}
	var builds []collectors.Build
	for i := range 200 {
		finished := end.Add(-time.Duration(1+rng.IntN(30*24)) * time.Hour)
		builds = append(builds, randomBuild(rng, fmt.Sprint("b", i), jobs[rng.IntN(len(jobs))], finished))
	}
	if err := s.Write(ctx, collectors.Batch{Builds: builds}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Compute(ctx, ComputeOptions{Bots: noBots, Now: end, Spike: spike})
	if err != nil {
		t.Fatal(err)
	}
	base := st.Generation
	for layer := range 2 {
		watermark := uint64(time.Now().UnixNano())
		var updated []collectors.Build
		for i := range 8 {
			finished := end.Add(time.Duration(layer*24*60+rng.IntN(24*60)) * time.Minute)
			updated = append(updated, randomBuild(rng, fmt.Sprintf("new%d-%d", layer, i), jobs[rng.IntN(len(jobs))], finished))
		}
		for range 3 { // stored again: slower, or later
			b := builds[rng.IntN(len(builds))]
			b.DurationS *= 3
			b.Finished = b.Finished.Add(time.Duration(rng.IntN(48)) * time.Hour)
			updated = append(updated, b)
		}
		if err := s.Write(ctx, collectors.Batch{Builds: updated}); err != nil {
			t.Fatal(err)
		}
		gen := base + 1 + uint64(layer)
		rebuilt, err := s.incrementalBuilds(ctx, masker{s: s, base: base, gen: gen}, spike, watermark)
		if err != nil {
			t.Fatal(err)
		}
		recordLayer(t, s, gen, base)
		t.Logf("layer %d: %d builds rewritten, %d masks", layer, rebuilt.written, rebuilt.masks)
		if rebuilt.masks == 0 || rebuilt.masks >= rebuilt.written { // the new builds had no row to mask
			t.Errorf("layer %d: %d masks for %d builds rewritten", layer, rebuilt.masks, rebuilt.written)
		}
	}
	got := buildsView(t, s)
	if _, err := s.Compute(ctx, ComputeOptions{Bots: noBots, Now: end, Spike: spike}); err != nil {
		t.Fatal(err)
	}
	want := buildsView(t, s)
	if !slices.Equal(got, want) {
		t.Fatalf("layered views differ from a full compute:\n got %v\nwant %v", got, want)
	}
}
