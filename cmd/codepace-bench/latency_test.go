package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/dashboards"
	"github.com/codepace/codepace/internal/chtest"
	"github.com/codepace/codepace/store"
)

func TestLatencyOnlyRunsEveryDashboardQuery(t *testing.T) {
	ctx := context.Background()
	addr, db := chtest.Database(t)
	s, err := store.Open(ctx, store.Options{Addr: addr, Database: db, Username: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"-clickhouse", addr, "-latency-only", db, "-latency-runs", "2", "-queries"}, &out); err != nil {
		t.Fatal(err)
	}
	boards, err := dashboards.Build(dashboards.Options{})
	if err != nil {
		t.Fatal(err)
	}
	qs, err := dashboards.PanelQueries(boards, time.Now(), dashboards.AllPass(), dashboards.SelectedPass([]string{"none"}, "none", "none"))
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	t.Log(text)
	for _, q := range qs {
		if !strings.Contains(text, "  "+q.Name()+"\n") {
			t.Errorf("no line for %s", q.Name())
		}
	}
	if !strings.Contains(text, "1 warm-up + 2 timed runs") {
		t.Errorf("the runs are not reported")
	}

	if err := run(ctx, []string{"-clickhouse", addr, "-latency-only", db + "_nosuch"}, &out); err == nil {
		t.Errorf("a missing database: want an error")
	}
}

func TestLatencyFlags(t *testing.T) {
	for _, args := range [][]string{{"-latency-runs", "0", "-latency-only", "x"}, {"-latency-only", "x", "extra"}} {
		if err := run(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("%q: want an error", args)
		}
	}
}

func TestReportLatency(t *testing.T) {
	ms := time.Millisecond
	l := latency{changes: 200000, runs: 5}
	for i := 1; i <= 7; i++ {
		l.queries = append([]queryTime{{name: "q" + string(rune('0'+i)), rows: i, median: time.Duration(i*50) * ms, worst: time.Duration(i*60) * ms}}, l.queries...)
	}
	var out bytes.Buffer
	reportLatency(&out, []latency{l}, false)
	text := out.String()
	// Medians 50..350 ms: the median of medians is 200, the worst 350 (q7),
	// one above 300 ms; the 5 slowest are listed.
	for _, want := range []string{"200000", "200.0", "350.0", "q7", "slowest 5 of 7", "q3\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "q2\n") {
		t.Errorf("more than the 5 slowest listed:\n%s", text)
	}
	if got := median([]time.Duration{1, 2, 3, 4}); got != 2 {
		t.Errorf("median of 1..4 = %v, want 2 (integer division of 2.5)", got)
	}
}
