package metrics

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
)

// BenchmarkBacklog: 200k changes over 400 projects and about 2000 days
// (800k rows).
func BenchmarkBacklog(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 12))
	start := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start.AddDate(0, 0, 2000)
	items := make([]BacklogItem, 200_000)
	for i := range items {
		at := start.Add(time.Duration(rng.Int64N(int64(2000 * 24 * time.Hour))))
		it := BacklogItem{Source: fmt.Sprint("source", i%2), Project: fmt.Sprint("project", rng.IntN(200)), ReadyAt: at}
		for range 1 + rng.IntN(3) {
			iv := Interval{From: at}
			at = at.Add(time.Duration(rng.Int64N(int64(20 * 24 * time.Hour))))
			if rng.IntN(50) > 0 {
				iv.To = at
			}
			it.Intervals = append(it.Intervals, iv)
			if iv.To.IsZero() {
				break
			}
			at = at.Add(time.Duration(rng.Int64N(int64(5 * 24 * time.Hour))))
		}
		items[i] = it
	}
	b.ReportAllocs()
	b.ResetTimer()
	var rows int
	for b.Loop() {
		rows = len(Backlog(items, now))
	}
	b.ReportMetric(float64(rows), "rows")
}

// BenchmarkSpikes: 1M builds of 2000 jobs over five years.
func BenchmarkSpikes(b *testing.B) {
	rng := rand.New(rand.NewPCG(13, 14))
	start := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	results := []string{"SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "FAILURE"}
	builds := make([]collectors.Build, 1_000_000)
	for i := range builds {
		job := rng.IntN(2000)
		builds[i] = collectors.Build{
			Source: "ci", System: collectors.SystemZuul, Job: fmt.Sprint("job-", job),
			Result:    results[rng.IntN(len(results))],
			Finished:  start.Add(time.Duration(rng.Int64N(int64(5 * 365 * 24 * time.Hour)))),
			DurationS: int64(60 + job%600 + rng.IntN(300)),
		}
	}
	cfg := SpikeConfig{Ratio: 1.5, FloorS: 120, WindowDays: 14, MinBuilds: 5}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Spikes(builds, cfg)
	}
}
