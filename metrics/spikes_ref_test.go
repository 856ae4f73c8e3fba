package metrics

// The batch form of the docs/definitions.md §15 "Build spike" rule, kept as
// the reference that SpikeWindow, the streaming form compute uses, is tested
// against.

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/codepace/codepace/collectors"
)

// Spikes implements docs/definitions.md §15 "Build spike" and returns, for
// each build in input order (the input may be in any order), whether it is a
// spike. It is SpikeBaselines without the baselines.
func Spikes(builds []collectors.Build, cfg SpikeConfig) []bool {
	sp := SpikeBaselines(builds, cfg)
	out := make([]bool, len(sp))
	for i, s := range sp {
		out[i] = s.IsSpike
	}
	return out
}

// SpikeBaselines implements docs/definitions.md §15 "Build spike" and
// returns, for each build in input order (the input may be in any order),
// whether it is a spike and the baseline median it was compared with.
//
// Builds are grouped by (Source, System, Job). A finished build (non-zero
// Finished) is a spike when its DurationS is greater than cfg.Ratio × median
// and greater than median + cfg.FloorS, where median is the exact median
// (the mean of the two middle values for an even count) of the DurationS of
// the same job's builds with Result "SUCCESS" (in any letter case) that
// finished strictly before it and at or after its Finished − WindowDays×24h,
// given at least cfg.MinBuilds (and at least one) such builds. Unfinished
// builds are never spikes and never part of a baseline.
//
// Instants are handled in nanoseconds and clamped to the years 1823 to 2116.
// The cost is O(n log n).
func SpikeBaselines(builds []collectors.Build, cfg SpikeConfig) []Spike {
	type key struct{ source, system, job string }
	type entry struct {
		group int32
		at    int64
		build int32
	}
	out := make([]Spike, len(builds))
	medians := make([]int64, len(builds)) // what the MedianS point to
	groupOf := map[key]int32{}
	entries := make([]entry, 0, len(builds))
	for i, b := range builds {
		if b.Finished.IsZero() {
			continue
		}
		k := key{b.Source, b.System, b.Job}
		g, ok := groupOf[k]
		if !ok {
			g = int32(len(groupOf))
			groupOf[k] = g
		}
		entries = append(entries, entry{g, nanos(b.Finished), int32(i)})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := cmp.Compare(a.group, b.group); c != 0 {
			return c
		}
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.build, b.build)
	})
	window := int64(math.MaxInt64) // longer than any span of clamped instants
	if d := int64(max(cfg.WindowDays, 0)); d < math.MaxInt64/dayNanos {
		window = d * dayNanos
	}
	minBuilds := max(cfg.MinBuilds, 1)
	success := func(e entry) bool { return strings.EqualFold(builds[e.build].Result, "SUCCESS") }

	var vals []int64
	for s := 0; s < len(entries); {
		e := s
		for e < len(entries) && entries[e].group == entries[s].group {
			e++
		}
		group := entries[s:e]
		s = e

		// Rank the durations of the group's successful builds.
		vals = vals[:0]
		for _, x := range group {
			if success(x) {
				vals = append(vals, builds[x.build].DurationS)
			}
		}
		if len(vals) < minBuilds {
			continue // no build of this job can have a baseline
		}
		slices.Sort(vals)
		vals = slices.Compact(vals)
		rank := func(x entry) int {
			r, _ := slices.BinarySearch(vals, builds[x.build].DurationS)
			return r
		}
		base := newCounts(len(vals))
		n := 0
		// The baseline holds the successes among group[lo:hi].
		lo, hi := 0, 0
		for j := 0; j < len(group); {
			at := group[j].at
			k := j
			for k < len(group) && group[k].at == at {
				k++
			}
			for ; hi < j; hi++ { // finished strictly before at
				if success(group[hi]) {
					base.add(rank(group[hi]), 1)
					n++
				}
			}
			// Older than at − window; the difference of clamped instants
			// fits an int64.
			for ; lo < hi && at-group[lo].at > window; lo++ {
				if success(group[lo]) {
					base.add(rank(group[lo]), -1)
					n--
				}
			}
			if n >= minBuilds {
				median := float64(vals[base.kth((n+1)/2)])
				if n%2 == 0 {
					median = (median + float64(vals[base.kth(n/2+1)])) / 2
				}
				rounded := int64(math.Floor(median + 0.5))
				for _, x := range group[j:k] {
					d := float64(builds[x.build].DurationS)
					medians[x.build] = rounded
					out[x.build] = Spike{
						IsSpike: d > cfg.Ratio*median && d > median+float64(cfg.FloorS),
						MedianS: &medians[x.build],
						Median:  median,
					}
				}
			}
			j = k
		}
	}
	return out
}
