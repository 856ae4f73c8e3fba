// Package daemon owns codepace's long-running mode: it runs one job per
// source on that source's cron schedule, never two runs of the same job at
// once, each after a random jitter, with a catch-up run at start-up for a
// source whose last success is older than one interval; it recovers a
// panicking job without stopping the others, shuts down gracefully, and
// serves /healthz and /metrics.
//
// It knows nothing of ClickHouse or of collectors: the command line hands it
// the jobs (collect one source, then compute), a readiness check and a
// lookup of each source's last success, all as functions.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
)

// DefaultListen is the address of /healthz and /metrics when Options.Listen
// is empty: loopback only, the port registered for codepace's exporter.
const DefaultListen = "127.0.0.1:9464"

// Result is what one run of a job reports for the metrics. Counts cover
// what the run did even when it failed part-way.
type Result struct {
	// Items is how many items (changes, builds) the run stored.
	Items int
	// Requests is how many API requests the run made.
	Requests int
	// RateLimitWaits is how many times the run waited for a rate limit.
	RateLimitWaits int
}

// Job is the scheduled work of one source.
type Job struct {
	// Name is the source name; unique among the jobs. It is the `source`
	// label of the metrics and the name in /healthz.
	Name string
	// Schedule is a standard cron spec (five fields, or a descriptor such
	// as @hourly or "@every 10m"), read in Options.Location.
	Schedule string
	// Run does the work once: collect the source, then compute. It must
	// return soon after ctx is cancelled, leaving stored data consistent.
	// Its error is shown in /healthz and logged, so it must never contain a
	// secret (codepace's collectors and store guarantee this; Options.Secrets
	// is a second line of defence).
	Run func(ctx context.Context) (Result, error)
}

// Options configure a Daemon.
type Options struct {
	// Jobs are the sources to schedule, one job each.
	Jobs []Job
	// Listen is the host:port Run serves /healthz and /metrics on;
	// DefaultListen when empty.
	Listen string
	// Location is the time zone schedules are read in; UTC when nil.
	Location *time.Location
	// Jitter is the largest random delay before each run (scheduled or
	// catch-up), so that sources sharing a schedule do not all start at
	// once; zero disables it. A job's delay is also never more than a
	// tenth of the shortest interval of its schedule (see jitterBound):
	// the wait counts as part of the run for skip-if-still-running.
	Jitter time.Duration
	// GracePeriod is how long a shutdown lets running jobs finish before
	// cancelling their context; zero cancels them at once.
	GracePeriod time.Duration
	// Ready reports whether the store answers; /healthz is 503 while it
	// fails. Nil means always ready.
	Ready func(ctx context.Context) error
	// LastSuccess returns when the named source last ran successfully, or
	// the zero time when it never did. A source whose last success is older
	// than one interval of its schedule (or unknown) runs at start-up. Nil
	// means every source runs at start-up.
	LastSuccess func(ctx context.Context, source string) (time.Time, error)
	// Secrets are values (passwords, tokens) that must never be shown:
	// every occurrence in a job error or panic is replaced by "[redacted]"
	// before it reaches /healthz or the log.
	Secrets []string
	// Logger receives the daemon's structured logs; discarded when nil.
	Logger *slog.Logger

	// jitter draws a delay in [0, max); tests replace it.
	jitter func(max time.Duration) time.Duration
}

// Daemon schedules the jobs and serves health and metrics. Create it with
// New and call Run (or Serve) once.
type Daemon struct {
	opts    Options
	log     *slog.Logger
	cron    *cron.Cron
	jobs    []*jobState
	reg     *prometheus.Registry
	metrics *metricSet
	redact  *strings.Replacer

	started atomic.Bool
	// scheduling is set once the cron scheduler runs; its entries may be
	// read only from then on.
	scheduling atomic.Bool
	stopping   chan struct{} // closed when shutdown begins
	// runCtx is the context jobs run with; it is cancelled when the grace
	// period is over. Set before any job starts.
	runCtx context.Context
	// catchUps tracks the start-up runs, which cron does not track.
	catchUps sync.WaitGroup
	// readiness is the readiness check in flight, if any (under readyMu).
	readyMu   sync.Mutex
	readiness *readyCheck
}

// jobState is one job with its schedule and the outcome of its last run.
type jobState struct {
	job      Job
	schedule cron.Schedule
	wrapped  cron.Job // skip-if-still-running(recover(execute))
	// jitter is the largest delay before a run: Options.Jitter, at most a
	// tenth of the schedule's shortest interval.
	jitter time.Duration
	id     cron.EntryID

	mu          sync.Mutex
	running     bool
	finished    bool // a run finished since start-up
	lastOK      bool
	lastRun     time.Time
	lastErr     string
	lastSuccess time.Time
}

// New checks the options and builds a Daemon: every schedule must parse and
// every job needs a unique name and a Run function.
func New(o Options) (*Daemon, error) {
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Jitter < 0 || o.GracePeriod < 0 {
		return nil, errors.New("daemon: jitter and grace period must not be negative")
	}
	if o.jitter == nil {
		o.jitter = randomJitter
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var pairs []string
	for _, s := range o.Secrets {
		if s != "" {
			pairs = append(pairs, s, "[redacted]")
		}
	}
	d := &Daemon{
		opts:     o,
		log:      log,
		cron:     cron.New(cron.WithLocation(o.Location), cron.WithLogger(cronLogger{log: log})),
		reg:      prometheus.NewRegistry(),
		redact:   strings.NewReplacer(pairs...),
		stopping: make(chan struct{}),
	}
	seen := map[string]bool{}
	var names []string
	for i, j := range o.Jobs {
		switch {
		case j.Name == "":
			return nil, fmt.Errorf("daemon: job %d has no name", i)
		case seen[j.Name]:
			return nil, fmt.Errorf("daemon: two jobs are named %q", j.Name)
		case j.Run == nil:
			return nil, fmt.Errorf("daemon: job %q has no Run function", j.Name)
		}
		seen[j.Name] = true
		names = append(names, j.Name)
		sched, err := cron.ParseStandard(j.Schedule)
		if err != nil {
			return nil, fmt.Errorf("daemon: source %s: bad schedule %q: %w", j.Name, j.Schedule, err)
		}
		js := &jobState{job: j, schedule: sched, jitter: jitterBound(sched, o.Jitter, time.Now().In(o.Location))}
		d.jobs = append(d.jobs, js)
	}
	m, err := newMetricSet(d.reg, names)
	if err != nil {
		return nil, err
	}
	d.metrics = m
	for _, js := range d.jobs {
		// The panic recovery sits inside SkipIfStillRunning: in cron v3.0.1 a
		// panic escaping SkipIfStillRunning never gives its slot back, and the
		// job would be skipped forever. execute recovers the job's own panic
		// (and records it as a failed run); cron.Recover catches anything
		// else, so the slot is always released.
		skipLog := cronLogger{log: d.log.With("source", js.job.Name), onSkip: d.skipped(js)}
		chain := cron.NewChain(cron.SkipIfStillRunning(skipLog), cron.Recover(skipLog))
		js.wrapped = chain.Then(cron.FuncJob(func() { d.execute(js) }))
		js.id = d.cron.Schedule(js.schedule, js.wrapped)
	}
	return d, nil
}

// Registerer is the daemon's own Prometheus registry (never the global
// one), for callers that export more metrics on /metrics.
func (d *Daemon) Registerer() prometheus.Registerer { return d.reg }

// Run listens on Options.Listen and calls Serve.
func (d *Daemon) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", d.opts.Listen)
	if err != nil {
		return fmt.Errorf("daemon: /healthz and /metrics: %w (change daemon.listen in the config, or --listen)", err)
	}
	return d.Serve(ctx, ln)
}

// Serve serves /healthz and /metrics on ln, starts the schedules and the
// catch-up runs, and blocks until ctx is cancelled. Then it stops
// scheduling, lets running jobs finish within the grace period, cancels the
// context of those still running, waits for them to return, and returns
// nil. It returns an error only when the HTTP server fails.
func (d *Daemon) Serve(ctx context.Context, ln net.Listener) error {
	if !d.started.CompareAndSwap(false, true) {
		ln.Close()
		return errors.New("daemon: Run or Serve called twice")
	}
	srv := &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()

	// Runs outlive ctx by the grace period; when they are cancelled, the
	// cause is ctx's (a signal, for codepace), so that a run can record
	// what stopped it.
	runCtx, cancelCause := context.WithCancelCause(context.WithoutCancel(ctx))
	cancelRuns := func() { cancelCause(context.Cause(ctx)) }
	defer cancelRuns()
	d.runCtx = runCtx
	d.log.Info("daemon started", "listen", ln.Addr().String(), "sources", len(d.jobs),
		"time_zone", d.opts.Location.String(), "jitter", d.opts.Jitter.String(), "grace_period", d.opts.GracePeriod.String())
	for _, js := range d.jobs {
		d.catchUps.Add(1)
		go func() {
			defer d.catchUps.Done()
			d.catchUp(runCtx, js)
		}()
	}
	d.cron.Start()
	d.scheduling.Store(true)

	var err error
	select {
	case <-ctx.Done():
		d.log.Info("shutting down: no new runs", "grace_period", d.opts.GracePeriod.String())
	case err = <-srvErr:
		err = fmt.Errorf("daemon: http server: %w", err)
		d.log.Error("http server failed; shutting down", "error", err)
	}
	d.shutdown(cancelRuns)
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if e := srv.Shutdown(shutCtx); e != nil && err == nil {
		d.log.Warn("http server did not stop cleanly", "error", e)
	}
	d.log.Info("daemon stopped")
	return err
}

// shutdown stops scheduling and waits for the running jobs: up to the grace
// period, then it cancels them and waits for them to return.
func (d *Daemon) shutdown(cancelRuns func()) {
	close(d.stopping)
	cronDone := d.cron.Stop()
	done := make(chan struct{})
	go func() {
		<-cronDone.Done()
		d.catchUps.Wait()
		close(done)
	}()
	if running := d.running(); len(running) > 0 {
		d.log.Info("waiting for running jobs", "sources", running, "grace_period", d.opts.GracePeriod.String())
	}
	timer := time.NewTimer(d.opts.GracePeriod)
	defer timer.Stop()
	select {
	case <-done:
		return
	case <-timer.C:
	}
	if running := d.running(); len(running) > 0 {
		d.log.Warn("grace period over: cancelling running jobs; their cursors stay at the last stored data",
			"sources", running)
	}
	cancelRuns()
	<-done
}

// catchUp runs js at once (after jitter) when its last success is older
// than one interval of its schedule, or unknown.
func (d *Daemon) catchUp(ctx context.Context, js *jobState) {
	now := time.Now().In(d.opts.Location)
	var last time.Time
	if d.opts.LastSuccess != nil {
		var err error
		last, err = d.opts.LastSuccess(ctx, js.job.Name)
		if err != nil {
			d.log.Warn("cannot read the last success; running the source now", "source", js.job.Name,
				"error", d.redactText(err.Error()))
		} else if !last.IsZero() {
			js.mu.Lock()
			if last.After(js.lastSuccess) {
				js.lastSuccess = last
				d.metrics.lastSuccess.WithLabelValues(js.job.Name).Set(float64(last.Unix()))
			}
			js.mu.Unlock()
		}
	}
	if !due(js.schedule, last, now) {
		d.log.Info("source is fresh; waiting for its schedule", "source", js.job.Name,
			"last_success", last.UTC().Format(time.RFC3339))
		return
	}
	if last.IsZero() {
		d.log.Info("catch-up run at start-up: no success recorded", "source", js.job.Name)
	} else {
		d.log.Info("catch-up run at start-up: last success is older than one interval", "source", js.job.Name,
			"last_success", last.UTC().Format(time.RFC3339))
	}
	js.wrapped.Run()
}

// due reports whether a source last successful at last is due for a run at
// now: never run, or its last success is at least one interval old. The
// interval is the gap between the schedule's next two activations after
// now, so it is right for regular schedules (*/30, @hourly, @every 10m) and
// the local gap for irregular ones (0 9 * * 1-5).
func due(s cron.Schedule, last, now time.Time) bool {
	if last.IsZero() {
		return true
	}
	next := s.Next(now)
	if next.IsZero() {
		return false // a schedule that never fires
	}
	interval := s.Next(next).Sub(next)
	return now.Sub(last) >= interval
}

// execute is one run of js, inside the skip-if-still-running slot: jitter,
// the job itself with panics recovered, then the outcome in the metrics and
// in /healthz.
func (d *Daemon) execute(js *jobState) {
	if d.isStopping() {
		return
	}
	if delay := d.opts.jitter(js.jitter); delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-d.stopping:
			t.Stop()
			return
		case <-t.C:
		}
	}
	if d.isStopping() {
		return
	}
	name := js.job.Name
	js.mu.Lock()
	js.running = true
	js.mu.Unlock()
	d.log.Info("run started", "source", name)
	start := time.Now()
	res, err := d.call(js)
	took := time.Since(start)
	end := time.Now()

	d.metrics.observe(name, res, took, err == nil, end)
	js.mu.Lock()
	js.running = false
	js.finished = true
	js.lastRun = end
	js.lastOK = err == nil
	js.lastErr = ""
	if err != nil {
		js.lastErr = d.redactText(err.Error())
	} else {
		js.lastSuccess = end
	}
	msg := js.lastErr
	js.mu.Unlock()
	if err != nil {
		d.log.Error("run failed", "source", name, "error", msg, "took", took.Round(time.Millisecond).String())
		return
	}
	d.log.Info("run finished", "source", name, "items", res.Items, "requests", res.Requests,
		"took", took.Round(time.Millisecond).String())
}

// call runs the job, turning a panic into an error.
func (d *Daemon) call(js *jobState) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
			d.log.Error("run panicked", "source", js.job.Name, "panic", d.redactText(fmt.Sprint(r)),
				"stack", string(debug.Stack()))
		}
	}()
	return js.job.Run(d.runCtx)
}

// skipped returns what to do when cron skips a run of js because the
// previous one still runs.
func (d *Daemon) skipped(js *jobState) func() {
	return func() {
		d.metrics.runs.WithLabelValues(js.job.Name, StatusSkipped).Inc()
		d.log.Warn("run skipped: the previous run of this source is still running", "source", js.job.Name)
	}
}

func (d *Daemon) isStopping() bool {
	select {
	case <-d.stopping:
		return true
	default:
		return false
	}
}

// running lists the sources whose job is running.
func (d *Daemon) running() []string {
	var names []string
	for _, js := range d.jobs {
		js.mu.Lock()
		if js.running {
			names = append(names, js.job.Name)
		}
		js.mu.Unlock()
	}
	return names
}

// maxErrorLen bounds an error shown in /healthz.
const maxErrorLen = 2000

// redactText removes the configured secrets from s and bounds its length.
func (d *Daemon) redactText(s string) string {
	s = d.redact.Replace(s)
	if len(s) > maxErrorLen {
		cut := maxErrorLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// jitterSample is how many intervals of a schedule jitterBound looks at:
// more than a week of daily runs, so that a schedule such as "0 9 * * 1-5"
// shows its shortest interval.
const jitterSample = 16

// jitterBound returns the largest jitter of a job on schedule s: limit, but
// at most a tenth of the shortest interval between the schedule's next
// activations after from, so that a source on "@every 3s" is not delayed
// by a 30 s jitter.
func jitterBound(s cron.Schedule, limit time.Duration, from time.Time) time.Duration {
	next := s.Next(from)
	for range jitterSample {
		if next.IsZero() {
			break
		}
		after := s.Next(next)
		if after.IsZero() {
			break
		}
		limit = min(limit, after.Sub(next)/10)
		next = after
	}
	return max(limit, 0)
}

// randomJitter draws a delay uniformly in [0, max).
func randomJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(max)))
}

// cronLogger writes cron's log through slog: its chatter at debug level,
// its errors (recovered panics) at error level. onSkip, when set, is called
// for each run SkipIfStillRunning skips.
type cronLogger struct {
	log    *slog.Logger
	onSkip func()
}

// Info implements cron.Logger.
func (l cronLogger) Info(msg string, keysAndValues ...any) {
	if msg == "skip" && l.onSkip != nil {
		l.onSkip()
		return
	}
	l.log.Debug("cron: "+msg, keysAndValues...)
}

// Error implements cron.Logger.
func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error("cron: "+msg, append([]any{"error", err}, keysAndValues...)...)
}
