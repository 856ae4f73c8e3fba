package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestReadLogTakesCodepacesAccount writes the log lines codepace writes
// (its text handler) and checks what the bench reads from them.
func TestReadLogTakesCodepacesAccount(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("collecting", "source", "bench", "from", "2026-12-06T07:00:00Z")
	log.Info("collected", "source", "bench", "changes", 210, "builds", 40, "requests", 2, "skipped", 0, "took", "1.5s")
	log.Info("computed", "kind", "incremental", "why", `212 changes touched since 2026-12-06T07:01:00Z "x"`, "touched", 212,
		"changes", 212, "review_actions", 900, "builds", 3, "newcomers", 1, "backlog_days", 30, "took", "2.25s",
		"steps", "plan=10ms touched=1s changes=1.2s")
	var s step
	s.readLog(buf.String())
	want := computeLog{kind: "incremental", why: `212 changes touched since 2026-12-06T07:01:00Z "x"`, touched: 212,
		took: 2250 * time.Millisecond, steps: "plan=10ms touched=1s changes=1.2s"}
	if s.compute != want || s.changes != 210 || s.requests != 2 || s.collect != 1500*time.Millisecond {
		t.Errorf("read %+v, want changes 210, requests 2, collect 1.5s and compute %+v", s, want)
	}

	buf.Reset()
	log.Info("skipping compute: nothing new since the last compute at 2026-12-06T07:00:00Z")
	s = step{}
	s.readLog(buf.String())
	if s.compute.kind != "skipped" || !strings.HasPrefix(s.compute.why, "nothing new") {
		t.Errorf("skipped compute read as %+v", s.compute)
	}
	var out bytes.Buffer
	s.rssKB = 660 * 1024
	reportRuns(&out, result{n: 10, idle: s})
	if !strings.Contains(out.String(), "skipped") || !strings.Contains(out.String(), " 660 ") {
		t.Errorf("reportRuns does not show the skipped compute and its peak RSS (660 MB):\n%s", out.String())
	}
}
