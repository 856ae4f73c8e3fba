package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
)

// spikeCase is a job history and, per build, whether it is a spike.
type spikeCase struct {
	name   string
	cfg    SpikeConfig
	builds []collectors.Build
	want   []bool
}

func TestSpikes(t *testing.T) {
	cfg := SpikeConfig{Ratio: 1.5, FloorS: 120, WindowDays: 14, MinBuilds: 3}
	// b is a build of job "unit" finished at the given hour.
	b := func(hour float64, result string, d int64) collectors.Build {
		return collectors.Build{Source: "ci", System: collectors.SystemZuul, Job: "unit",
			Result: result, Finished: h(hour), DurationS: d}
	}
	onJob := func(job string, x collectors.Build) collectors.Build { x.Job = job; return x }
	onSystem := func(sys string, x collectors.Build) collectors.Build { x.System = sys; return x }
	const ok, fail = "SUCCESS", "FAILURE"
	tests := []spikeCase{
		{"fewer than min_builds", cfg,
			[]collectors.Build{b(1, ok, 100), b(2, ok, 100), b(3, fail, 1000), b(4, ok, 1000)},
			[]bool{false, false, false, false}},
		{"floor dominates for short jobs", cfg,
			// median 10: 100 and 130 exceed 1.5 × 10 but not 10 + 120
			[]collectors.Build{b(1, ok, 10), b(2, ok, 10), b(3, ok, 10), b(4, fail, 100), b(5, fail, 130), b(6, fail, 131)},
			[]bool{false, false, false, false, false, true}},
		{"ratio dominates for long jobs", cfg,
			// median 1000: 1400 and 1500 exceed 1000 + 120 but not 1.5 × 1000
			[]collectors.Build{b(1, ok, 1000), b(2, ok, 1000), b(3, ok, 1000), b(4, fail, 1400), b(5, fail, 1500), b(6, fail, 1501)},
			[]bool{false, false, false, false, false, true}},
		{"only SUCCESS builds form the baseline", cfg,
			[]collectors.Build{b(1, ok, 1000), b(2, fail, 10), b(3, ok, 1000), b(4, "ABORTED", 10), b(5, fail, 10),
				b(6, ok, 1000), b(7, fail, 10), b(8, fail, 1400), b(9, "success", 2000), b(10, fail, 2000)},
			// median 1000 throughout; a lower-case "success" counts too
			[]bool{false, false, false, false, false, false, false, false, true, true}},
		{"window excludes older builds", cfg,
			// the builds of day 20 have no baseline; with the old builds the
			// median at day 21 would be 505 and 1200 a spike
			[]collectors.Build{b(0, ok, 10), b(1, ok, 10), b(2, ok, 10), b(24*20, ok, 1000), b(24*20+1, ok, 1000),
				b(24*20+2, ok, 1000), b(24*21, fail, 1200), b(24*21+1, fail, 1600)},
			[]bool{false, false, false, false, false, false, false, true}},
		{"window start is inclusive", cfg,
			[]collectors.Build{b(0, ok, 10), b(1, ok, 10), b(2, ok, 10), b(24*14, fail, 500), b(24*14+1, fail, 500)},
			// the build at 14 days sees all three; the next one only two
			[]bool{false, false, false, true, false}},
		{"baseline is strictly before", cfg,
			// at hour 3 only two successes finished before: no baseline yet
			[]collectors.Build{b(1, ok, 10), b(2, ok, 10), b(3, ok, 10), b(3, ok, 10), b(3, fail, 500), b(4, fail, 500)},
			[]bool{false, false, false, false, false, true}},
		{"even count: mean of the middle two", SpikeConfig{Ratio: 1, FloorS: 0, WindowDays: 14, MinBuilds: 2},
			// median of 100 and 200 is 150
			[]collectors.Build{b(1, ok, 100), b(2, ok, 200), b(3, fail, 150), b(3, fail, 151)},
			[]bool{false, false, false, true}},
		{"builds of other jobs ignored", cfg,
			[]collectors.Build{b(1, ok, 1000), onJob("lint", b(1.5, ok, 10)), b(2, ok, 1000), onJob("lint", b(2.5, ok, 10)),
				onSystem(collectors.SystemJenkins, b(2.7, ok, 10)), b(3, ok, 1000), onJob("lint", b(3.5, ok, 10)),
				b(4, fail, 1400), onJob("lint", b(4.5, fail, 200))},
			[]bool{false, false, false, false, false, false, false, false, true}},
		{"unfinished builds", cfg,
			[]collectors.Build{b(1, ok, 10), b(2, ok, 10), {Source: "ci", System: collectors.SystemZuul, Job: "unit", Result: ok, DurationS: 10},
				b(3, fail, 500), b(4, ok, 10), {Source: "ci", System: collectors.SystemZuul, Job: "unit", DurationS: 5000}, b(5, fail, 500)},
			[]bool{false, false, false, false, false, false, true}},
		{"min_builds zero still needs one build", SpikeConfig{Ratio: 1.5, FloorS: 0, WindowDays: 14},
			[]collectors.Build{b(1, fail, 500), b(2, ok, 10), b(3, fail, 500)},
			[]bool{false, false, true}},
		{"huge window", SpikeConfig{Ratio: 1.5, FloorS: 0, WindowDays: math.MaxInt, MinBuilds: 1},
			[]collectors.Build{b(-24*365*150, ok, 10), b(2, fail, 500)},
			[]bool{false, true}},
		{"zero window", SpikeConfig{Ratio: 1.5, FloorS: 0, WindowDays: 0, MinBuilds: 1},
			[]collectors.Build{b(1, ok, 10), b(2, fail, 500)},
			[]bool{false, false}},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Spikes(tt.builds, tt.cfg); !slices.Equal(got, tt.want) {
				t.Errorf("Spikes = %v, want %v", got, tt.want)
			}
			// Input order is preserved whatever it is.
			for range 5 {
				perm := rng.Perm(len(tt.builds))
				builds := make([]collectors.Build, len(perm))
				want := make([]bool, len(perm))
				for i, p := range perm {
					builds[i], want[i] = tt.builds[p], tt.want[p]
				}
				if got := Spikes(builds, tt.cfg); !slices.Equal(got, want) {
					t.Fatalf("shuffled %v: Spikes = %v, want %v", perm, got, want)
				}
			}
		})
	}
}

// TestSpikesBruteForce compares Spikes with a direct evaluation of the rule.
func TestSpikesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	results := []string{"SUCCESS", "SUCCESS", "SUCCESS", "FAILURE", "ABORTED"}
	for round := range 200 {
		cfg := SpikeConfig{Ratio: 1 + rng.Float64(), FloorS: int64(rng.IntN(60)), WindowDays: rng.IntN(4), MinBuilds: rng.IntN(4)}
		var builds []collectors.Build
		for range rng.IntN(80) {
			bd := collectors.Build{
				Source: "ci", System: collectors.SystemJenkins, Job: fmt.Sprint("job", rng.IntN(3)),
				Result: results[rng.IntN(len(results))], DurationS: int64(rng.IntN(200)),
				Finished: h(float64(rng.IntN(24 * 8))),
			}
			if rng.IntN(10) == 0 {
				bd.Finished = time.Time{}
			}
			builds = append(builds, bd)
		}
		got := Spikes(builds, cfg)
		want := spikesBruteForce(builds, cfg)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d, cfg %+v: got %v, want %v", round, cfg, got, want)
		}
	}
}

func spikesBruteForce(builds []collectors.Build, cfg SpikeConfig) []bool {
	out := make([]bool, len(builds))
	for i, b := range builds {
		if b.Finished.IsZero() {
			continue
		}
		from := b.Finished.Add(-time.Duration(cfg.WindowDays) * 24 * time.Hour)
		var ds []float64
		for _, o := range builds {
			if o.Source == b.Source && o.System == b.System && o.Job == b.Job && strings.EqualFold(o.Result, "SUCCESS") &&
				!o.Finished.IsZero() && o.Finished.Before(b.Finished) && !o.Finished.Before(from) {
				ds = append(ds, float64(o.DurationS))
			}
		}
		if len(ds) == 0 || len(ds) < cfg.MinBuilds {
			continue
		}
		sort.Float64s(ds)
		n := len(ds)
		median := (ds[(n-1)/2] + ds[n/2]) / 2
		d := float64(b.DurationS)
		out[i] = d > cfg.Ratio*median && d > median+float64(cfg.FloorS)
	}
	return out
}

func TestSpikeBaselines(t *testing.T) {
	cfg := SpikeConfig{Ratio: 1.5, FloorS: 120, WindowDays: 14, MinBuilds: 2}
	b := func(hour float64, result string, d int64) collectors.Build {
		return collectors.Build{Source: "ci", System: collectors.SystemJenkins, Job: "unit",
			Result: result, Finished: h(hour), DurationS: d}
	}
	builds := []collectors.Build{
		b(1, "SUCCESS", 100),
		b(2, "SUCCESS", 201),        // one success before: no baseline yet
		b(3, "FAILURE", 500),        // median of 100 and 201 is 150.5
		b(4, "SUCCESS", 1000),       // 150.5 still: the failure is not in the baseline
		{Source: "ci", Job: "unit"}, // unfinished: no baseline
		b(5, "FAILURE", 10),         // median of 100, 201, 1000 is 201
	}
	got := SpikeBaselines(builds, cfg)
	want := []struct {
		spike  bool
		median *int64
		exact  float64
	}{
		{false, nil, 0},
		{false, nil, 0},
		{true, ptr(int64(151)), 150.5},
		{true, ptr(int64(151)), 150.5},
		{false, nil, 0},
		{false, ptr(int64(201)), 201},
	}
	for i, w := range want {
		g := got[i]
		if g.IsSpike != w.spike || (g.MedianS == nil) != (w.median == nil) || (g.MedianS != nil && *g.MedianS != *w.median) || g.Median != w.exact {
			t.Errorf("build %d: %+v (median %v), want spike %v median %v exact %v", i, g, deref(g.MedianS), w.spike, deref(w.median), w.exact)
		}
	}
	if got[2].MedianS == got[3].MedianS {
		t.Error("two builds share one MedianS pointer")
	}
	if s := Spikes(builds, cfg); !slices.Equal(s, []bool{false, false, true, true, false, false}) {
		t.Errorf("Spikes = %v", s)
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestSpikeBaselinesBruteForce compares the baselines with a direct
// evaluation of the rule.
func TestSpikeBaselinesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	results := []string{"SUCCESS", "SUCCESS", "FAILURE"}
	for round := range 200 {
		cfg := SpikeConfig{Ratio: 1 + rng.Float64(), FloorS: int64(rng.IntN(60)), WindowDays: rng.IntN(4), MinBuilds: rng.IntN(4)}
		var builds []collectors.Build
		for range rng.IntN(60) {
			builds = append(builds, collectors.Build{
				Source: "ci", System: collectors.SystemGitHubActions, Job: fmt.Sprint("job", rng.IntN(2)),
				Result: results[rng.IntN(len(results))], DurationS: int64(rng.IntN(200)),
				Finished: h(float64(rng.IntN(24 * 6))),
			})
		}
		got := SpikeBaselines(builds, cfg)
		for i, b := range builds {
			from := b.Finished.Add(-time.Duration(cfg.WindowDays) * 24 * time.Hour)
			var ds []float64
			for _, o := range builds {
				if o.Job == b.Job && o.Result == "SUCCESS" && o.Finished.Before(b.Finished) && !o.Finished.Before(from) {
					ds = append(ds, float64(o.DurationS))
				}
			}
			if len(ds) == 0 || len(ds) < cfg.MinBuilds {
				if got[i].MedianS != nil {
					t.Fatalf("round %d build %d: baseline %d, want none", round, i, *got[i].MedianS)
				}
				continue
			}
			sort.Float64s(ds)
			n := len(ds)
			median := (ds[(n-1)/2] + ds[n/2]) / 2
			if got[i].MedianS == nil || got[i].Median != median || *got[i].MedianS != int64(math.Floor(median+0.5)) {
				t.Fatalf("round %d build %d: %+v, want median %v", round, i, got[i], median)
			}
		}
	}
}
