package metrics

import (
	"math"
	"strings"
	"time"

	"github.com/codepace/codepace/collectors"
)

// SpikeWindow judges one job's builds as they come, in finish order, holding
// only the successful durations of the last WindowDays: the same rule as
// SpikeBaselines (docs/definitions.md §15), in memory that does not grow with
// the job's history.
type SpikeWindow struct {
	cfg       SpikeConfig
	window    time.Duration
	minBuilds int
	// base are the successes in the baseline, oldest first; sorted holds
	// their durations in order, for the median.
	base   []success
	sorted sortedInts
	// pending are the successes that finished at the instant of the last
	// judged build: they join the baseline only for later instants.
	pending []success
	last    time.Time
}

type success struct {
	at  time.Time
	dur int64
}

// NewSpikeWindow returns an empty window for one job.
func NewSpikeWindow(cfg SpikeConfig) *SpikeWindow {
	window := time.Duration(math.MaxInt64)
	if d := int64(max(cfg.WindowDays, 0)); d < math.MaxInt64/dayNanos {
		window = time.Duration(d * dayNanos)
	}
	return &SpikeWindow{cfg: cfg, window: window, minBuilds: max(cfg.MinBuilds, 1)}
}

// Judge returns the spike verdict of b, the next build of the job by
// finish time (ties in any order), and adds it to the baseline of the
// builds after it when it succeeded. A build that has not finished gets
// the zero Spike.
func (w *SpikeWindow) Judge(b collectors.Build) Spike {
	if b.Finished.IsZero() {
		return Spike{}
	}
	if !b.Finished.Equal(w.last) { // successes of earlier instants join
		for _, s := range w.pending {
			w.base = append(w.base, s)
			w.sorted.add(s.dur)
		}
		w.pending = w.pending[:0]
		w.last = b.Finished
	}
	start := b.Finished.Add(-w.window)
	drop := 0
	for drop < len(w.base) && w.base[drop].at.Before(start) {
		w.sorted.remove(w.base[drop].dur)
		drop++
	}
	w.base = w.base[drop:]

	var sp Spike
	if n := w.sorted.n; n >= w.minBuilds {
		median := float64(w.sorted.at((n - 1) / 2))
		if n%2 == 0 {
			median = (median + float64(w.sorted.at(n/2))) / 2
		}
		rounded := int64(math.Floor(median + 0.5))
		d := float64(b.DurationS)
		sp = Spike{
			IsSpike: d > w.cfg.Ratio*median && d > median+float64(w.cfg.FloorS),
			MedianS: &rounded,
			Median:  median,
		}
	}
	if strings.EqualFold(b.Result, "SUCCESS") {
		w.pending = append(w.pending, success{b.Finished, b.DurationS})
	}
	return sp
}
