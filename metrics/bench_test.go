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

// BenchmarkTurns: one change of three patch sets, each with a Zuul report
// of six jobs, two reviews and an upload.
func BenchmarkTurns(b *testing.B) {
	c := collectors.Change{Owner: owner, Created: h(0)}
	at := 0.0
	for ps := 1; ps <= 3; ps++ {
		c.Revisions = append(c.Revisions, collectors.Revision{Number: ps, Created: h(at)})
		c.Messages = append(c.Messages, onPS(ps, msg(h(at), owner, tagUpload, fmt.Sprintf("Uploaded patch set %d.", ps))))
		jobs := []string{}
		for j := range 6 {
			jobs = append(jobs, fmt.Sprintf("job-%d https://zuul.example.org/t/main/build/%d%d : SUCCESS in 7m 03s", j, ps, j))
		}
		c.Messages = append(c.Messages,
			onPS(ps, msg(h(at+1), ciBot, tagZuul, zuulReport(ps, "+1", jobs...))),
			onPS(ps, msg(h(at+2), alice, "", fmt.Sprintf("Patch Set %d: Code-Review-1\n\n(3 comments)", ps))),
			onPS(ps, msg(h(at+3), owner, "", fmt.Sprintf("Patch Set %d:\n\n(3 comments)\n\nDone", ps))))
		at += 10
	}
	ready := ReadyIntervals(c)
	b.ReportAllocs()
	for b.Loop() {
		Turns(c, testBots, ready, nil)
	}
}

// BenchmarkSpikeWindow: the 500,000 builds of one busy job, one every
// 165 s on average, judged in finish order against a 14-day window of
// about 7,300 successes (a job of the bench's million changes).
func BenchmarkSpikeWindow(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	builds := make([]collectors.Build, 500_000)
	at := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range builds {
		at = at.Add(time.Duration(rng.IntN(330)) * time.Second)
		builds[i] = collectors.Build{Finished: at, DurationS: int64(200 + rng.IntN(2000)), Result: "SUCCESS"}
	}
	cfg := SpikeConfig{Ratio: 1.5, FloorS: 120, WindowDays: 14, MinBuilds: 5}
	for b.Loop() {
		w := NewSpikeWindow(cfg)
		for _, x := range builds {
			w.Judge(x)
		}
	}
}
