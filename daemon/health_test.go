package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stub is a daemon whose jobs return what the test sets, run synchronously
// through the same path as a scheduled run.
type stub struct {
	d     *Daemon
	ready error
	errs  map[string]error
}

func newStub(t *testing.T, secrets ...string) *stub {
	s := &stub{errs: map[string]error{}}
	job := func(name string) Job {
		return Job{Name: name, Schedule: "*/30 * * * *", Run: func(context.Context) (Result, error) {
			return Result{Items: 5, Requests: 3, RateLimitWaits: 1}, s.errs[name]
		}}
	}
	s.d = newDaemon(t, Options{
		Jobs:    []Job{job("wikimedia"), job("github-acme")},
		Ready:   func(context.Context) error { return s.ready },
		Secrets: secrets,
	})
	s.d.runCtx = context.Background()
	return s
}

func (s *stub) run(name string) {
	for _, js := range s.d.jobs {
		if js.job.Name == name {
			js.wrapped.Run()
		}
	}
}

func TestHealthz(t *testing.T) {
	s := newStub(t)

	h := health(t, s.d, http.StatusOK)
	if h.Status != HealthOK || h.Reason != "" || h.Store != "ok" || len(h.Sources) != 2 {
		t.Fatalf("before any run: %+v", h)
	}
	for _, src := range h.Sources {
		if src.Status != SourcePending || src.LastRunAt != nil || src.Running {
			t.Errorf("before any run: %+v", src)
		}
	}

	s.run("wikimedia")
	s.run("github-acme")
	h = health(t, s.d, http.StatusOK)
	if h.Status != HealthOK || h.Sources[0].Status != SourceOK || h.Sources[0].LastSuccessAt == nil {
		t.Fatalf("after good runs: %+v", h)
	}

	s.errs["wikimedia"] = errors.New(`gerrit source "wikimedia": HTTP 502 from https://gerrit.example.org/changes/`)
	s.run("wikimedia")
	h = health(t, s.d, http.StatusOK)
	want := `source wikimedia failed its last run: gerrit source "wikimedia": HTTP 502 from https://gerrit.example.org/changes/`
	if h.Status != HealthDegraded || h.Reason != want {
		t.Fatalf("after a failed run: status %q reason %q, want degraded %q", h.Status, h.Reason, want)
	}
	if src := h.Sources[0]; src.Status != SourceFailed || src.LastError == "" || src.LastSuccessAt == nil {
		t.Errorf("failed source: %+v", src)
	}
	if src := h.Sources[1]; src.Status != SourceOK || src.LastError != "" {
		t.Errorf("the other source: %+v", src)
	}

	s.ready = errors.New("clickhouse does not answer: dial tcp 127.0.0.1:9000: connection refused")
	h = health(t, s.d, http.StatusServiceUnavailable)
	if h.Status != HealthUnavailable || h.Store != s.ready.Error() ||
		!strings.HasPrefix(h.Reason, s.ready.Error()+"; source wikimedia failed") {
		t.Fatalf("store down: %+v", h)
	}

	s.ready = nil
	delete(s.errs, "wikimedia")
	s.run("wikimedia")
	if h = health(t, s.d, http.StatusOK); h.Status != HealthOK {
		t.Fatalf("after recovery: %+v", h)
	}
}

// Errors reach /healthz and the log; a configured secret never does, even
// if a job's error were to contain it (codepace's errors never do).
func TestHealthzRedactsSecrets(t *testing.T) {
	const secret = "s3cr3t-t0ken"
	s := newStub(t, secret, "")
	s.errs["wikimedia"] = fmt.Errorf("GET https://collector:%s@gerrit.example.org/a/changes/: 401", secret)
	s.ready = fmt.Errorf("auth failed for password %s", secret)
	s.run("wikimedia")
	body := get(t, s.d, "/healthz", http.StatusServiceUnavailable)
	if strings.Contains(body, secret) {
		t.Fatalf("/healthz shows the secret:\n%s", body)
	}
	if !strings.Contains(body, "collector:[redacted]@gerrit") {
		t.Errorf("/healthz lost the error around the secret:\n%s", body)
	}
	if b := get(t, s.d, "/metrics", http.StatusOK); strings.Contains(b, secret) {
		t.Error("/metrics shows the secret")
	}
}

func TestHealthzTruncatesLongErrors(t *testing.T) {
	s := newStub(t)
	s.errs["wikimedia"] = errors.New(strings.Repeat("é", 3000))
	s.run("wikimedia")
	h := health(t, s.d, http.StatusOK)
	if n := len(h.Sources[0].LastError); n > maxErrorLen+len("…") {
		t.Errorf("last_error is %d bytes", n)
	}
	if strings.ContainsRune(h.Sources[0].LastError, '\uFFFD') {
		t.Error("truncation split a character")
	}
}

func TestMetricsContent(t *testing.T) {
	s := newStub(t)
	before := get(t, s.d, "/metrics", http.StatusOK)
	// Every series exists at zero before any run.
	for _, series := range []string{
		`codepace_runs_total{source="wikimedia",status="ok"} 0`,
		`codepace_runs_total{source="wikimedia",status="failed"} 0`,
		`codepace_runs_total{source="wikimedia",status="skipped"} 0`,
		`codepace_items_collected_total{source="github-acme"} 0`,
		`codepace_api_requests_total{source="github-acme"} 0`,
		`codepace_rate_limit_waits_total{source="github-acme"} 0`,
		`codepace_last_success_timestamp_seconds{source="github-acme"} 0`,
		`codepace_run_duration_seconds_count{source="github-acme"} 0`,
	} {
		if !strings.Contains(before, series+"\n") {
			t.Errorf("/metrics before any run lacks %s", series)
		}
	}

	s.run("wikimedia")
	s.errs["wikimedia"] = errors.New("boom")
	s.run("wikimedia")
	for series, want := range map[string]float64{
		`codepace_runs_total{source="wikimedia",status="ok"}`:     1,
		`codepace_runs_total{source="wikimedia",status="failed"}`: 1,
		`codepace_items_collected_total{source="wikimedia"}`:      10,
		`codepace_api_requests_total{source="wikimedia"}`:         6,
		`codepace_rate_limit_waits_total{source="wikimedia"}`:     2,
		`codepace_run_duration_seconds_count{source="wikimedia"}`: 2,
		`codepace_runs_total{source="github-acme",status="ok"}`:   0,
	} {
		if got := metric(t, s.d, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if v := metric(t, s.d, `codepace_last_success_timestamp_seconds{source="wikimedia"}`); v < 1.7e9 {
		t.Errorf("last success timestamp = %v", v)
	}
	body := get(t, s.d, "/metrics", http.StatusOK)
	for _, want := range []string{
		"# TYPE codepace_runs_total counter",
		"# TYPE codepace_run_duration_seconds histogram",
		`codepace_run_duration_seconds_bucket{source="wikimedia",le="1"}`,
		"# TYPE codepace_last_success_timestamp_seconds gauge",
		"# TYPE go_goroutines gauge",
		"# TYPE process_cpu_seconds_total counter",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// The daemon's metrics live on its own registry: two daemons in one
// process do not collide, and nothing lands in the global registry.
func TestOwnRegistry(t *testing.T) {
	newStub(t)
	newStub(t)
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "codepace_") {
			t.Errorf("%s is in the global registry", mf.GetName())
		}
	}
}

// TestHealthzWhenTheStoreHangs: a readiness check that ignores its
// context (a driver stuck on a frozen ClickHouse) does not hold /healthz:
// it answers 503 once readyTimeout has passed, and requests that come
// meanwhile share the one check in flight instead of starting more.
func TestHealthzWhenTheStoreHangs(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var checks atomic.Int32
	d := newDaemon(t, Options{
		Jobs: []Job{{Name: "wikimedia", Schedule: "*/30 * * * *", Run: func(context.Context) (Result, error) { return Result{}, nil }}},
		Ready: func(context.Context) error {
			checks.Add(1)
			<-release
			return nil
		},
	})
	answers := make(chan Health, 3)
	for range 3 {
		go func() {
			rec := httptest.NewRecorder()
			d.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			var h Health
			if rec.Code != http.StatusServiceUnavailable || json.Unmarshal(rec.Body.Bytes(), &h) != nil {
				t.Errorf("status %d: %s", rec.Code, rec.Body)
			}
			answers <- h
		}()
	}
	for range 3 {
		select {
		case h := <-answers:
			if h.Status != HealthUnavailable || !strings.Contains(h.Store, "did not answer within 5s") {
				t.Errorf("health %+v", h)
			}
		case <-time.After(time.Minute):
			t.Fatal("/healthz waits for a readiness check that hangs")
		}
	}
	if n := checks.Load(); n != 1 {
		t.Errorf("%d readiness checks in flight for 3 requests, want 1", n)
	}
}
