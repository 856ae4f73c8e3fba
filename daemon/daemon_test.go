package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// fresh is a LastSuccess that says every source just succeeded, so no
// catch-up run happens and only the schedule starts runs.
func fresh(context.Context, string) (time.Time, error) { return time.Now(), nil }

// noJitter is a jitter hook without delay.
func noJitter(time.Duration) time.Duration { return 0 }

func newDaemon(t *testing.T, o Options) *Daemon {
	t.Helper()
	if o.jitter == nil {
		o.jitter = noJitter
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// served is a daemon running Serve in the background.
type served struct {
	addr   string
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
	took   time.Duration // from stop to Serve returning
}

func serve(t *testing.T, d *Daemon) *served {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{addr: ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- d.Serve(ctx, ln) }()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels the daemon's context and waits for Serve to return.
func (s *served) stop(t *testing.T) error {
	t.Helper()
	s.once.Do(func() {
		start := time.Now()
		s.cancel()
		select {
		case s.err = <-s.done:
			s.took = time.Since(start)
		case <-time.After(20 * time.Second):
			t.Fatal("Serve did not return 20s after cancel")
		}
	})
	return s.err
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// metric reads one sample from /metrics: series is the name with its
// labels as exposed, e.g. `codepace_runs_total{source="a",status="ok"}`.
func metric(t *testing.T, d *Daemon, series string) float64 {
	t.Helper()
	v, ok := metricOK(t, d, series)
	if !ok {
		t.Fatalf("/metrics has no series %s", series)
	}
	return v
}

func metricOK(t *testing.T, d *Daemon, series string) (float64, bool) {
	t.Helper()
	body := get(t, d, "/metrics", http.StatusOK)
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v, true
		}
	}
	return 0, false
}

func get(t *testing.T, d *Daemon, path string, wantCode int) string {
	t.Helper()
	rec := httptest.NewRecorder()
	d.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != wantCode {
		t.Fatalf("GET %s: status %d, want %d; body:\n%s", path, rec.Code, wantCode, rec.Body)
	}
	return rec.Body.String()
}

func health(t *testing.T, d *Daemon, wantCode int) Health {
	t.Helper()
	var h Health
	if err := json.Unmarshal([]byte(get(t, d, "/healthz", wantCode)), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewRejectsBadJobs(t *testing.T) {
	run := func(context.Context) (Result, error) { return Result{}, nil }
	for _, tc := range []struct {
		name string
		jobs []Job
		want string
	}{
		{"no name", []Job{{Schedule: "@hourly", Run: run}}, "has no name"},
		{"duplicate", []Job{{Name: "a", Schedule: "@hourly", Run: run}, {Name: "a", Schedule: "@daily", Run: run}}, `two jobs are named "a"`},
		{"no run", []Job{{Name: "a", Schedule: "@hourly"}}, "has no Run"},
		{"bad schedule", []Job{{Name: "a", Schedule: "*/x * * * *", Run: run}}, `source a: bad schedule "*/x * * * *"`},
		{"seconds field", []Job{{Name: "a", Schedule: "* * * * * *", Run: run}}, "bad schedule"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{Jobs: tc.jobs})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := New(Options{Jitter: -time.Second}); err == nil {
		t.Fatal("negative jitter accepted")
	}
}

func TestRunsOnSchedule(t *testing.T) {
	var a, b atomic.Int32
	d := newDaemon(t, Options{
		LastSuccess: fresh,
		Jobs: []Job{
			{Name: "a", Schedule: "@every 1s", Run: func(context.Context) (Result, error) {
				a.Add(1)
				return Result{Items: 2, Requests: 1}, nil
			}},
			{Name: "b", Schedule: "@hourly", Run: func(context.Context) (Result, error) {
				b.Add(1)
				return Result{}, nil
			}},
		},
	})
	s := serve(t, d)
	waitFor(t, 5*time.Second, "three runs of a", func() bool { return a.Load() >= 3 })
	if err := s.stop(t); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if n := b.Load(); n != 0 {
		t.Errorf("hourly source b, fresh at start-up, ran %d times in a few seconds", n)
	}
	runs := a.Load()
	if got := metric(t, d, `codepace_runs_total{source="a",status="ok"}`); got != float64(runs) {
		t.Errorf("runs_total ok = %v, want %d", got, runs)
	}
	if got := metric(t, d, `codepace_items_collected_total{source="a"}`); got != float64(2*runs) {
		t.Errorf("items = %v, want %d", got, 2*runs)
	}
	if got := metric(t, d, `codepace_runs_total{source="b",status="ok"}`); got != 0 {
		t.Errorf("b runs_total ok = %v, want 0", got)
	}
}

func TestSkipIfStillRunning(t *testing.T) {
	var calls, active, maxActive atomic.Int32
	d := newDaemon(t, Options{
		LastSuccess: fresh,
		Jobs: []Job{{Name: "slow", Schedule: "@every 1s", Run: func(ctx context.Context) (Result, error) {
			n := active.Add(1)
			defer active.Add(-1)
			if n > maxActive.Load() {
				maxActive.Store(n)
			}
			if calls.Add(1) == 1 {
				time.Sleep(2500 * time.Millisecond) // overlaps at least two ticks
			}
			return Result{}, nil
		}}},
	})
	s := serve(t, d)
	waitFor(t, 8*time.Second, "a run after the slow one", func() bool { return calls.Load() >= 2 })
	s.stop(t)
	if m := maxActive.Load(); m != 1 {
		t.Errorf("%d runs of the same source ran at once, want 1", m)
	}
	if got := metric(t, d, `codepace_runs_total{source="slow",status="skipped"}`); got < 1 {
		t.Errorf("runs_total skipped = %v, want >= 1", got)
	}
}

// A panic inside the job must not leak SkipIfStillRunning's slot (cron
// v3.0.1 does when a panic escapes it): the source runs again at its next
// tick, and the other sources are not disturbed.
func TestPanicReleasesSlot(t *testing.T) {
	var calls, other atomic.Int32
	d := newDaemon(t, Options{
		LastSuccess: fresh,
		Jobs: []Job{
			{Name: "panicky", Schedule: "@every 1s", Run: func(context.Context) (Result, error) {
				if calls.Add(1) == 1 {
					panic("boom")
				}
				return Result{}, nil
			}},
			{Name: "other", Schedule: "@every 1s", Run: func(context.Context) (Result, error) {
				other.Add(1)
				return Result{}, nil
			}},
		},
	})
	s := serve(t, d)
	waitFor(t, 3500*time.Millisecond, "the first (panicking) run", func() bool { return calls.Load() >= 1 })
	waitFor(t, 2500*time.Millisecond, "a run at the next tick after the panic", func() bool { return calls.Load() >= 2 })
	waitFor(t, 2*time.Second, "the run after the panic to finish", func() bool {
		return metric(t, d, `codepace_runs_total{source="panicky",status="ok"}`) >= 1
	})
	// The other source's run of the same tick starts in a goroutine of its
	// own, possibly later on a loaded machine: wait for it before stopping.
	waitFor(t, 2*time.Second, "a second run of the other source", func() bool { return other.Load() >= 2 })
	s.stop(t)
	if got := metric(t, d, `codepace_runs_total{source="panicky",status="failed"}`); got != 1 {
		t.Errorf("failed runs = %v, want 1 (the panic)", got)
	}
}

func TestPanicIsReportedAsFailure(t *testing.T) {
	d := newDaemon(t, Options{Jobs: []Job{{Name: "p", Schedule: "@hourly", Run: func(context.Context) (Result, error) {
		panic(errors.New("nil map"))
	}}}})
	d.runCtx = context.Background()
	d.jobs[0].wrapped.Run() // must not panic
	h := health(t, d, http.StatusOK)
	if h.Status != HealthDegraded || h.Sources[0].LastError != "panic: nil map" {
		t.Errorf("health after a panic: %+v", h)
	}
	d.jobs[0].wrapped.Run() // the slot was released: this runs too
	if got := metric(t, d, `codepace_runs_total{source="p",status="failed"}`); got != 2 {
		t.Errorf("failed runs = %v, want 2", got)
	}
}

func TestRandomJitterBounds(t *testing.T) {
	if d := randomJitter(0); d != 0 {
		t.Errorf("randomJitter(0) = %v", d)
	}
	const max = 30 * time.Second
	var lo, hi bool
	for range 10000 {
		d := randomJitter(max)
		if d < 0 || d >= max {
			t.Fatalf("randomJitter(%v) = %v, outside [0, %v)", max, d, max)
		}
		lo = lo || d < max/10
		hi = hi || d > max-max/10
	}
	if !lo || !hi {
		t.Errorf("10000 draws did not spread over [0, %v): low %v high %v", max, lo, hi)
	}
}

// Each run waits its jitter first; the daemon asks for a delay bounded by
// Options.Jitter.
func TestJitterDelaysRuns(t *testing.T) {
	const jitter = 700 * time.Millisecond
	var asked atomic.Int64
	started := make(chan time.Time, 1)
	d := newDaemon(t, Options{
		Jitter: jitter,
		jitter: func(max time.Duration) time.Duration {
			asked.Store(int64(max))
			return max - time.Millisecond // the longest delay allowed
		},
		Jobs: []Job{{Name: "a", Schedule: "@hourly", Run: func(context.Context) (Result, error) {
			started <- time.Now()
			return Result{}, nil
		}}},
	})
	begin := time.Now()
	serve(t, d) // never run: catch-up after jitter
	select {
	case at := <-started:
		if wait := at.Sub(begin); wait < jitter-time.Millisecond {
			t.Errorf("run started %v after start-up, before its jitter %v", wait, jitter)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no run")
	}
	if got := time.Duration(asked.Load()); got != jitter {
		t.Errorf("jitter asked for up to %v, want %v", got, jitter)
	}
}

func TestDue(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		spec, last, now string
		want            bool
	}{
		{"*/30 * * * *", "", "2025-01-31T10:31:00Z", true},
		{"*/30 * * * *", "2025-01-31T10:29:00Z", "2025-01-31T10:31:00Z", false},
		{"*/30 * * * *", "2025-01-31T10:01:00Z", "2025-01-31T10:31:00Z", true},
		{"*/30 * * * *", "2025-01-31T09:50:00Z", "2025-01-31T10:31:00Z", true},
		{"@hourly", "2025-01-31T09:50:00Z", "2025-01-31T10:31:00Z", false},
		{"@every 10m", "2025-01-31T10:20:00Z", "2025-01-31T10:31:00Z", true},
		{"@daily", "2025-01-30T12:00:00Z", "2025-01-31T10:31:00Z", false},
		{"@daily", "2025-01-30T10:00:00Z", "2025-01-31T10:31:00Z", true},
		// Weekdays at 09:00: on Friday after 09:00 the next gap is Monday
		// 09:00 to Tuesday 09:00, one day.
		{"0 9 * * 1-5", "2025-01-30T09:00:05Z", "2025-01-31T10:31:00Z", true},
		{"0 9 * * 1-5", "2025-01-31T09:00:05Z", "2025-01-31T10:31:00Z", false},
	} {
		s, err := cron.ParseStandard(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		var last time.Time
		if tc.last != "" {
			last = at(tc.last)
		}
		if got := due(s, last, at(tc.now)); got != tc.want {
			t.Errorf("due(%q, last %s, now %s) = %v, want %v", tc.spec, tc.last, tc.now, got, tc.want)
		}
	}
}

func TestCatchUpAtStartUp(t *testing.T) {
	for _, tc := range []struct {
		name    string
		last    time.Duration // before now; 0 = never succeeded
		err     error
		wantRun bool
	}{
		{"never succeeded", 0, nil, true},
		{"two intervals old", 2 * time.Hour, nil, true},
		{"within one interval", 10 * time.Minute, nil, false},
		{"lookup failed", 0, errors.New("clickhouse does not answer"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var runs atomic.Int32
			d := newDaemon(t, Options{
				LastSuccess: func(_ context.Context, source string) (time.Time, error) {
					if source != "a" {
						t.Errorf("LastSuccess asked for %q", source)
					}
					if tc.err != nil || tc.last == 0 {
						return time.Time{}, tc.err
					}
					return time.Now().Add(-tc.last), nil
				},
				Jobs: []Job{{Name: "a", Schedule: "@every 1h", Run: func(context.Context) (Result, error) {
					runs.Add(1)
					return Result{}, nil
				}}},
			})
			s := serve(t, d)
			if tc.wantRun {
				waitFor(t, 3*time.Second, "the catch-up run", func() bool { return runs.Load() == 1 })
			} else {
				time.Sleep(1500 * time.Millisecond)
			}
			s.stop(t)
			if got, want := runs.Load(), map[bool]int32{false: 0, true: 1}[tc.wantRun]; got != want {
				t.Errorf("%d runs at start-up, want %d", got, want)
			}
			h := health(t, d, http.StatusOK)
			if tc.last != 0 && h.Sources[0].LastSuccessAt == nil {
				t.Error("the stored last success is not in /healthz")
			}
			if tc.last != 0 && !tc.wantRun {
				if v := metric(t, d, `codepace_last_success_timestamp_seconds{source="a"}`); v == 0 {
					t.Error("the stored last success is not in /metrics")
				}
			}
		})
	}
}

// A catch-up run and the schedule share the skip-if-still-running slot.
func TestCatchUpAndScheduleDoNotOverlap(t *testing.T) {
	var calls, active, maxActive atomic.Int32
	d := newDaemon(t, Options{
		Jobs: []Job{{Name: "a", Schedule: "@every 1s", Run: func(context.Context) (Result, error) {
			n := active.Add(1)
			defer active.Add(-1)
			if n > maxActive.Load() {
				maxActive.Store(n)
			}
			calls.Add(1)
			time.Sleep(1500 * time.Millisecond)
			return Result{}, nil
		}}},
	})
	s := serve(t, d)
	waitFor(t, 6*time.Second, "two runs", func() bool { return calls.Load() >= 2 })
	s.stop(t)
	if m := maxActive.Load(); m != 1 {
		t.Errorf("%d runs at once, want 1", m)
	}
}

func TestShutdownLetsRunningJobFinish(t *testing.T) {
	started := make(chan struct{})
	var finished, cancelled atomic.Bool
	d := newDaemon(t, Options{
		GracePeriod: 5 * time.Second,
		Jobs: []Job{{Name: "a", Schedule: "@hourly", Run: func(ctx context.Context) (Result, error) {
			close(started)
			time.Sleep(400 * time.Millisecond) // ignores ctx: must not need it
			cancelled.Store(ctx.Err() != nil)
			finished.Store(true)
			return Result{Items: 1}, nil
		}}},
	})
	s := serve(t, d)
	<-started
	if err := s.stop(t); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if !finished.Load() {
		t.Fatal("Serve returned before the running job finished")
	}
	if cancelled.Load() {
		t.Error("the job's context was cancelled although it finished within the grace period")
	}
	if s.took > 3*time.Second {
		t.Errorf("shutdown took %v; the job needed 400ms", s.took)
	}
	if got := metric(t, d, `codepace_runs_total{source="a",status="ok"}`); got != 1 {
		t.Errorf("ok runs = %v, want 1", got)
	}
}

func TestShutdownCancelsOverrunningJob(t *testing.T) {
	const grace = 300 * time.Millisecond
	started := make(chan struct{})
	var returned atomic.Bool
	d := newDaemon(t, Options{
		GracePeriod: grace,
		Jobs: []Job{{Name: "a", Schedule: "@hourly", Run: func(ctx context.Context) (Result, error) {
			close(started)
			<-ctx.Done()
			time.Sleep(50 * time.Millisecond) // records where it stopped
			returned.Store(true)
			return Result{Items: 3}, ctx.Err()
		}}},
	})
	s := serve(t, d)
	<-started
	if err := s.stop(t); err != nil {
		t.Fatalf("Serve: %v (a shutdown must return nil)", err)
	}
	if !returned.Load() {
		t.Fatal("Serve returned before the cancelled job returned")
	}
	if s.took < grace {
		t.Errorf("the job was cancelled after %v, before the grace period %v", s.took, grace)
	}
	if s.took > grace+3*time.Second {
		t.Errorf("shutdown took %v with a grace period of %v", s.took, grace)
	}
	if got := metric(t, d, `codepace_runs_total{source="a",status="failed"}`); got != 1 {
		t.Errorf("failed runs = %v, want 1", got)
	}
	if got := metric(t, d, `codepace_items_collected_total{source="a"}`); got != 3 {
		t.Errorf("items of the cancelled run = %v, want 3", got)
	}
}

func TestShutdownDuringJitterSkipsRun(t *testing.T) {
	var runs atomic.Int32
	d := newDaemon(t, Options{
		Jitter:      time.Hour,
		GracePeriod: time.Hour,
		jitter:      func(max time.Duration) time.Duration { return max },
		Jobs: []Job{{Name: "a", Schedule: "@hourly", Run: func(context.Context) (Result, error) {
			runs.Add(1)
			return Result{}, nil
		}}},
	})
	s := serve(t, d)
	time.Sleep(200 * time.Millisecond) // the catch-up run is waiting its jitter
	s.stop(t)
	if s.took > 3*time.Second {
		t.Errorf("shutdown waited %v for a run still in its jitter", s.took)
	}
	if runs.Load() != 0 {
		t.Error("a run started after shutdown began")
	}
}

func TestServeOverHTTP(t *testing.T) {
	d := newDaemon(t, Options{LastSuccess: fresh, Jobs: []Job{{Name: "a", Schedule: "*/30 * * * *",
		Run: func(context.Context) (Result, error) { return Result{}, nil }}}})
	s := serve(t, d)
	var resp *http.Response
	waitFor(t, 3*time.Second, "the HTTP server", func() bool {
		var err error
		resp, err = http.Get("http://" + s.addr + "/healthz")
		return err == nil
	})
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /healthz: %s %s\n%s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	var h Health
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatal(err)
	}
	if h.Status != HealthOK || len(h.Sources) != 1 || h.Sources[0].Status != SourcePending || h.Sources[0].NextRunAt == nil {
		t.Errorf("/healthz = %s", body)
	}
	if next := *h.Sources[0].NextRunAt; next.Minute()%30 != 0 || next.Second() != 0 {
		t.Errorf("next_run_at %v is not on the */30 schedule", next)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + s.addr + "/healthz"); err == nil {
		t.Error("the HTTP server still answers after shutdown")
	}
}

func TestRunFailsWhenListenFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := newDaemon(t, Options{Listen: ln.Addr().String()})
	err = d.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "daemon.listen") {
		t.Fatalf("Run on a busy port: %v", err)
	}
}

func TestTimeZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	d := newDaemon(t, Options{Location: berlin, LastSuccess: fresh, Jobs: []Job{{Name: "a", Schedule: "0 9 * * *",
		Run: func(context.Context) (Result, error) { return Result{}, nil }}}})
	serve(t, d)
	waitFor(t, 3*time.Second, "the scheduler", func() bool { return d.scheduling.Load() })
	next := health(t, d, http.StatusOK).Sources[0].NextRunAt
	if next == nil {
		t.Fatal("no next_run_at")
	}
	if local := next.In(berlin); local.Hour() != 9 || local.Minute() != 0 {
		t.Errorf("next run %v is %v in Berlin, want 09:00", next, local)
	}
}

// The jitter of a job is never more than a tenth of its schedule's
// shortest interval, whatever Options.Jitter says.
func TestJitterBound(t *testing.T) {
	from := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC) // a Friday
	tests := []struct {
		schedule string
		limit    time.Duration
		want     time.Duration
	}{
		{"@every 3s", 30 * time.Second, 300 * time.Millisecond},
		{"@every 10m", 30 * time.Second, 30 * time.Second},
		{"@every 1m", 30 * time.Second, 6 * time.Second},
		{"*/30 * * * *", 30 * time.Second, 30 * time.Second},
		{"*/2 * * * *", 30 * time.Second, 12 * time.Second},
		// Weekdays at 9 and 9:05: the 5-minute gap bounds it, not the day.
		{"0,5 9 * * 1-5", time.Hour, 30 * time.Second},
		{"@hourly", time.Hour, 6 * time.Minute},
		{"@every 3s", 0, 0},
	}
	for _, tt := range tests {
		s, err := cron.ParseStandard(tt.schedule)
		if err != nil {
			t.Fatal(err)
		}
		if got := jitterBound(s, tt.limit, from); got != tt.want {
			t.Errorf("jitterBound(%q, %v) = %v, want %v", tt.schedule, tt.limit, got, tt.want)
		}
	}
}

// A daemon asks each run for a delay bounded by its own schedule: the
// issue was a 30 s jitter on a source running every 3 s.
func TestJitterFollowsSchedule(t *testing.T) {
	asked := make(chan time.Duration, 10)
	d := newDaemon(t, Options{
		Jitter: 30 * time.Second,
		jitter: func(max time.Duration) time.Duration {
			select {
			case asked <- max:
			default:
			}
			return 0
		},
		Jobs: []Job{{Name: "fast", Schedule: "@every 3s", Run: func(context.Context) (Result, error) {
			return Result{}, nil
		}}},
	})
	serve(t, d)
	select {
	case got := <-asked:
		if got > 300*time.Millisecond || got <= 0 {
			t.Errorf("jitter asked for up to %v on @every 3s, want at most 300ms", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no run")
	}
}
