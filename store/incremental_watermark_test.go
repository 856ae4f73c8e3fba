package store

import (
	"context"
	"testing"
	"time"
)

// TestWatermark: the watermark is the previous compute's start, or the
// start of a collector run not over before it, if earlier; a run on
// another host than the previous compute's must be over by watermarkSlack
// more, and a previous compute on an unknown host gives the slack.
func TestWatermark(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	sec := func(t time.Time) time.Time { return t.Truncate(time.Second) }
	check := func(name string, since time.Time, host string, want time.Time) {
		t.Helper()
		p := computePlan{since: since, host: host}
		if err := s.watermark(ctx, &p); err != nil {
			t.Fatal(err)
		}
		if !p.watermark.Equal(sec(want)) {
			t.Errorf("%s: watermark %s, want %s", name, p.watermark, sec(want))
		}
	}
	// collected_at holds seconds: with no run going, rows stamped in the
	// compute's second were there for it, and the watermark is the next.
	next := func(t time.Time) time.Time { return sec(t).Add(time.Second) }
	since := now.Add(2 * time.Second)
	check("no run", since, "h1", next(since))
	check("no run, host unknown", since, "", since.Add(-watermarkSlack))

	started := now.Add(-10 * time.Minute)
	run := Run{ID: "a", Source: "g", Started: started, Status: RunRunning, Host: "h1"}
	if err := s.RecordRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	check("a run going", since, "h1", started)
	run.Status, run.Finished = RunOK, time.Now().UTC()
	if err := s.RecordRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	since = time.Now().UTC().Add(2 * time.Second)
	check("a run over, same host", since, "h1", next(since))
	check("a run over, the compute on another host", since, "h2", started)
	check("a run over, host unknown", since, "", started)
	later := since.Add(watermarkSlack + time.Second)
	check("a run over long before, another host", later, "h2", next(later))
	check("a run over before the compute on its host started", now.Add(-time.Minute), "h1", started)

	// A run that starts after the compute starts, on another host whose
	// clock is behind: its rows may be stamped before the compute started.
	behind := since.Add(-20 * time.Second)
	if err := s.RecordRun(ctx, Run{ID: "b", Source: "g", Started: behind, Finished: since, Status: RunFailed, Host: "h3"}); err != nil {
		t.Fatal(err)
	}
	check("a run of another host after the compute", since, "h1", behind)

	// A run that starts in the compute's second, after it: the rows it
	// stamps with that second are new.
	late := sec(time.Now().UTC().Add(time.Hour)).Add(100 * time.Millisecond)
	if err := s.RecordRun(ctx, Run{ID: "c", Source: "g", Started: late.Add(time.Millisecond), Status: RunRunning, Host: "h1"}); err != nil {
		t.Fatal(err)
	}
	check("a run starting in the compute's second", late, "h1", late)
}
