package metrics

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
)

// TestSpikeWindowMatchesSpikeBaselines feeds random job histories, with
// ties, failures, gaps and unfinished builds, to both implementations.
func TestSpikeWindowMatchesSpikeBaselines(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for round := 0; round < 300; round++ {
		cfg := SpikeConfig{Ratio: 1 + rng.Float64(), FloorS: int64(rng.IntN(200)), WindowDays: 1 + rng.IntN(5), MinBuilds: rng.IntN(6)}
		var builds []collectors.Build
		at := base
		for i := 0; i < 1+rng.IntN(200); i++ {
			if rng.IntN(4) > 0 { // else a tie with the previous build
				at = at.Add(time.Duration(rng.IntN(36*3600)) * time.Second)
			}
			b := collectors.Build{Source: "s", System: "zuul", Job: "j", Finished: at, DurationS: int64(10 + rng.IntN(900)), Result: "SUCCESS"}
			switch rng.IntN(6) {
			case 0:
				b.Result = "FAILURE"
			case 1:
				b.Finished = time.Time{}
			}
			builds = append(builds, b)
		}
		want := SpikeBaselines(builds, cfg)
		// The window takes builds in finish order, as compute reads them.
		order := make([]int, len(builds))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(builds[a].Finished.UnixNano(), builds[b].Finished.UnixNano()) })
		w := NewSpikeWindow(cfg)
		for _, i := range order {
			got := w.Judge(builds[i])
			if !sameSpike(got, want[i]) {
				t.Fatalf("round %d, build %d (%+v): window %+v, baselines %+v", round, i, builds[i], got, want[i])
			}
		}
	}
}

// sameSpike tells whether the window's verdict got is the baselines'
// want: spike, median and its rounded seconds.
func sameSpike(got, want Spike) bool {
	return got.IsSpike == want.IsSpike && got.Median == want.Median &&
		(got.MedianS == nil) == (want.MedianS == nil) && (got.MedianS == nil || *got.MedianS == *want.MedianS)
}

// TestSpikeWindowLargeWindows: the same, with windows of thousands of
// successes (a busy job's fortnight), which span several of sortedInts'
// blocks.
func TestSpikeWindowLargeWindows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for round := range 3 {
		cfg := SpikeConfig{Ratio: 1.2, FloorS: 30, WindowDays: 1 + round, MinBuilds: 5}
		builds := make([]collectors.Build, 20000)
		at := base
		for i := range builds {
			at = at.Add(time.Duration(rng.IntN(120)) * time.Second) // ties too
			d := int64(200 + rng.IntN(400))
			if rng.IntN(20) == 0 {
				d *= 3
			}
			builds[i] = collectors.Build{Source: "s", System: "zuul", Job: "j", Finished: at, DurationS: d, Result: "SUCCESS"}
			if rng.IntN(5) == 0 {
				builds[i].Result = "FAILURE"
			}
		}
		want := SpikeBaselines(builds, cfg)
		w := NewSpikeWindow(cfg)
		spikes := 0
		for i, b := range builds { // already in finish order
			got := w.Judge(b)
			if !sameSpike(got, want[i]) {
				t.Fatalf("round %d, build %d: window %+v, baselines %+v", round, i, got, want[i])
			}
			if got.IsSpike {
				spikes++
			}
		}
		if w.sorted.n < 2*sortedBlock || spikes == 0 {
			t.Fatalf("round %d: %d successes in the last window, %d spikes: too few to test", round, w.sorted.n, spikes)
		}
	}
}
