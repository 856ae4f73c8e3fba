package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Values of Health.Status.
const (
	// HealthOK: the store answers and no source failed its last run.
	HealthOK = "ok"
	// HealthDegraded: the store answers but a source failed its last run.
	// /healthz still answers 200: the daemon is alive and other sources
	// work, and restarting it would not help.
	HealthDegraded = "degraded"
	// HealthUnavailable: the store does not answer; /healthz answers 503.
	HealthUnavailable = "unavailable"
)

// Values of SourceHealth.Status.
const (
	// SourcePending: no run of the source finished since the daemon started.
	SourcePending = "pending"
	// SourceOK: the source's last run succeeded.
	SourceOK = "ok"
	// SourceFailed: the source's last run failed; LastError says why.
	SourceFailed = "failed"
)

// readyTimeout bounds the readiness check of one /healthz request: a
// store that has not answered by then is unavailable, even when the check
// itself (a driver that does not honour its context) goes on longer.
const readyTimeout = 5 * time.Second

// Health is the JSON body of /healthz. The HTTP status is 200 for ok and
// degraded, 503 for unavailable. Times are RFC 3339 in UTC.
//
//	{"status": "degraded",
//	 "reason": "source wikimedia failed its last run: gerrit source \"wikimedia\": ...",
//	 "store": "ok",
//	 "sources": [{"name": "wikimedia", "schedule": "*/30 * * * *", "status": "failed",
//	              "running": false, "last_run_at": "2025-01-31T10:00:12Z",
//	              "last_success_at": "2025-01-31T09:30:40Z", "last_error": "...",
//	              "next_run_at": "2025-01-31T10:30:00Z"}]}
type Health struct {
	// Status is HealthOK, HealthDegraded or HealthUnavailable.
	Status string `json:"status"`
	// Reason says why the status is not ok: the store's error, then each
	// failed source and its error, separated by "; ". Empty when ok.
	Reason string `json:"reason,omitempty"`
	// Store is "ok", or the error of the readiness check.
	Store string `json:"store"`
	// Sources is every scheduled source, in configuration order.
	Sources []SourceHealth `json:"sources"`
}

// SourceHealth is one source in /healthz.
type SourceHealth struct {
	Name     string `json:"name"`
	Schedule string `json:"schedule"`
	// Status is SourcePending, SourceOK or SourceFailed.
	Status string `json:"status"`
	// Running is true while a run of the source is under way.
	Running bool `json:"running"`
	// LastRunAt is when the last finished run (since start-up) ended.
	LastRunAt *time.Time `json:"last_run_at,omitempty"`
	// LastSuccessAt is when the last successful run ended, or at start-up
	// the last success as stored (when the source's cursor last moved).
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	// LastError is the last run's error, secrets redacted, at most 2000
	// bytes; empty unless Status is SourceFailed.
	LastError string `json:"last_error,omitempty"`
	// NextRunAt is the next scheduled activation (jitter not included),
	// absent before the scheduler starts and after it stops.
	NextRunAt *time.Time `json:"next_run_at,omitempty"`
}

// Handler serves GET /healthz (Health as JSON) and GET /metrics (the
// daemon's registry in the Prometheus exposition format).
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", d.serveHealth)
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "codepace daemon: /healthz, /metrics")
	})
	return mux
}

func (d *Daemon) serveHealth(w http.ResponseWriter, r *http.Request) {
	h := d.Health(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if h.Status == HealthUnavailable {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(h)
}

// Health checks the store and reports the state of every source.
func (d *Daemon) Health(ctx context.Context) Health {
	h := Health{Status: HealthOK, Store: "ok", Sources: []SourceHealth{}}
	var reasons []string
	if d.opts.Ready != nil {
		if err := d.ready(ctx); err != nil {
			h.Status = HealthUnavailable
			h.Store = d.redactText(err.Error())
			reasons = append(reasons, h.Store)
		}
	}
	next := d.nextRuns()
	for _, js := range d.jobs {
		js.mu.Lock()
		s := SourceHealth{
			Name: js.job.Name, Schedule: js.job.Schedule, Status: SourcePending, Running: js.running,
			LastRunAt: utcPtr(js.lastRun), LastSuccessAt: utcPtr(js.lastSuccess),
		}
		if js.finished {
			s.Status = SourceOK
			if !js.lastOK {
				s.Status, s.LastError = SourceFailed, js.lastErr
			}
		}
		js.mu.Unlock()
		s.NextRunAt = utcPtr(next[js.job.Name])
		if s.Status == SourceFailed {
			if h.Status == HealthOK {
				h.Status = HealthDegraded
			}
			reasons = append(reasons, fmt.Sprintf("source %s failed its last run: %s", s.Name, s.LastError))
		}
		h.Sources = append(h.Sources, s)
	}
	h.Reason = strings.Join(reasons, "; ")
	return h
}

// readyCheck is one run of Options.Ready; done is closed when it returns.
type readyCheck struct {
	done chan struct{}
	err  error
}

// ready runs Options.Ready and waits for it at most readyTimeout. Requests
// that come while a check is in flight wait for that one rather than start
// their own, so a store that hangs ties up one check, however often
// /healthz is asked.
func (d *Daemon) ready(ctx context.Context) error {
	d.readyMu.Lock()
	c := d.readiness
	if c == nil {
		c = &readyCheck{done: make(chan struct{})}
		d.readiness = c
		go func() {
			rctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
			c.err = d.opts.Ready(rctx)
			cancel()
			d.readyMu.Lock()
			d.readiness = nil
			d.readyMu.Unlock()
			close(c.done)
		}()
	}
	d.readyMu.Unlock()
	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case <-c.done:
		return c.err
	case <-timer.C:
		return fmt.Errorf("the store did not answer within %v", readyTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// nextRuns returns each source's next activation while the scheduler runs.
func (d *Daemon) nextRuns() map[string]time.Time {
	out := map[string]time.Time{}
	if !d.scheduling.Load() || d.isStopping() {
		return out
	}
	byID := map[int]string{}
	for _, js := range d.jobs {
		byID[int(js.id)] = js.job.Name
	}
	for _, e := range d.cron.Entries() {
		if name, ok := byID[int(e.ID)]; ok {
			out[name] = e.Next
		}
	}
	return out
}

func utcPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Second)
	return &t
}
