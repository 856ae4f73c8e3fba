package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestReportTargetsJudgesTheLargestSize(t *testing.T) {
	s := func(wall time.Duration, rssMB int64, requests int) step {
		return step{wall: wall, rssKB: rssMB * 1024, requests: requests}
	}
	small := result{n: 10000, backfill: s(10*time.Second, 100, 61), floor: s(5*time.Second, 0, 61), compute: s(time.Second, 100, 0)}
	big := result{n: 1000000, backfill: s(9*time.Minute, 130, 2000), floor: s(6*time.Minute, 0, 2000),
		idle: s(500*time.Millisecond, 90, 1), compute: s(time.Minute, 110, 0), diskBytes: 2_500_000_000,
		updates: []update{{percent: 0.1, run: s(4*time.Second, 100, 2)}, {percent: 1, run: s(20*time.Second, 120, 3)}},
		latency: latency{queries: []queryTime{{name: "a", median: 250 * time.Millisecond, worst: 1200 * time.Millisecond}}}}
	var out bytes.Buffer
	reportTargets(&out, []result{small, big})
	text := out.String()
	t.Log(text)
	for _, want := range []string{
		"| backfill of 1000000 changes, end to end | under 8 minutes | 540.0 s | **not met** |",
		"| backfill / floor | at most 1.6× at 200k and at 1M | 2.00× at 10000, 1.50× at 1000000 | met |",
		"+30%) | **not met** |",
		"| run after 1% of 1000000 changed | under 15 s, collect + compute | 20.00 s",
		"| run after 0.1% of 1000000 changed | under 5 s, collect + compute | 4.00 s (2 requests, 0 changes collected) | met |",
		"| idle run at 1000000 | under 1 s, at most 2 requests per source | 0.50 s, 1 requests (1 source) | met |",
		"worst median 250.0 ms, worst run 1200.0 ms (1 queries) | **not met** |",
		"| 2500 B at 1000000 (2500.0 MB) |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q", want)
		}
	}
}

func TestHistoryEndsBeforeNow(t *testing.T) {
	for _, now := range []time.Time{time.Date(2026, 12, 6, 1, 15, 0, 0, time.UTC), time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)} {
		start, years := history(now)
		from, err := time.Parse("2006-01-02", start)
		if err != nil {
			t.Fatal(err)
		}
		y, err := strconv.ParseFloat(years, 64)
		if err != nil {
			t.Fatal(err)
		}
		// As the generator computes its end (collectors/gerrit/gerrittest).
		end := from.Unix() + int64(y*365.25*86400)
		if end > now.Unix() || end < now.Add(-2*time.Hour).Unix() || y < 4.99 {
			t.Errorf("at %v: from %s for %s years ends at %v", now, start, years, time.Unix(end, 0).UTC())
		}
	}
}

func TestLogTailDropsProgressLines(t *testing.T) {
	log := "a msg=collecting\nb msg=progress n=1\nc msg=progress n=2\nd msg=collected\ne msg=progress n=3\n"
	if got, want := logTail(log), "a msg=collecting\nc msg=progress n=2\nd msg=collected\ne msg=progress n=3"; got != want {
		t.Errorf("logTail gave\n%s\nwant\n%s", got, want)
	}
}
