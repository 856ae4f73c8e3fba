package main

import (
	"context"
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // daemon.time_zone works where the system has no zoneinfo (distroless images)

	"github.com/codepace/codepace/config"
	"github.com/codepace/codepace/daemon"
)

// runDaemon is `codepace daemon`: every source on its own schedule, compute
// after each collection, /healthz and /metrics, until SIGTERM, SIGINT or SIGHUP
// cancels ctx; then a graceful shutdown and exit status 0.
func runDaemon(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("daemon")
	listen := fs.String("listen", "", "host:port of /healthz and /metrics (default daemon.listen in the config, 127.0.0.1:9464)")
	lockPath := fs.String("lock", "", "lock file shared with `codepace run`, held while the daemon runs (default ~/.cache/codepace/DATABASE.lock)")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	// The daemon holds the run lock for its whole life: a second daemon, or
	// a `codepace run` from cron on the same host, exits at once with a
	// clear message instead of collecting and computing beside it.
	if err := m.acquireLock(ctx, *lockPath, 0); err != nil {
		if errors.Is(err, errLocked) {
			return fmt.Errorf("daemon: %w; the daemon did not start (stop the other daemon, or wait for the run to end and start it again)", err)
		}
		return fmt.Errorf("daemon: %w", err)
	}
	if err := m.migrate(ctx); err != nil {
		return err
	}
	dc := m.Config.Daemon
	if *listen != "" {
		dc.Listen = *listen
	}
	if dc.ReportHTML != "" {
		if err := checkReportHTML(dc.ReportHTML); err != nil {
			return fmt.Errorf("%s: %w", m.configPath, err)
		}
		m.reportHTML = dc.ReportHTML
	}
	loc, err := time.LoadLocation(dc.TimeZone)
	if err != nil {
		return fmt.Errorf("%s: daemon.time_zone: %w", m.configPath, err)
	}
	// Compute rebuilds every derived table from all sources; two at once
	// would race on the generation the views switch to.
	computing := make(chan struct{}, 1)
	jobs := make([]daemon.Job, 0, len(m.Config.Sources))
	for _, src := range m.Config.Sources {
		jobs = append(jobs, daemon.Job{
			Name:     src.Name,
			Schedule: src.Schedule,
			Run: func(ctx context.Context) (daemon.Result, error) {
				return m.collectAndCompute(ctx, src, computing)
			},
		})
	}
	d, err := daemon.New(daemon.Options{
		Jobs:        jobs,
		Listen:      dc.Listen,
		Location:    loc,
		Jitter:      dc.Jitter,
		GracePeriod: dc.GracePeriod,
		Ready: func(ctx context.Context) error {
			if err := m.Store.Ping(ctx); err != nil {
				return fmt.Errorf("clickhouse does not answer: %w", err)
			}
			return nil
		},
		LastSuccess: m.lastSuccess,
		Secrets:     m.secretValues(),
		Logger:      m.Log,
	})
	if err != nil {
		return err
	}
	return d.Run(ctx)
}

// collectAndCompute is one daemon run of src: collect it incrementally from
// its cursor, then compute, even when the collection failed part-way (what
// it stored is good), unless the daemon is shutting down. computing is a
// one-slot semaphore that serialises compute across sources.
func (m *Main) collectAndCompute(ctx context.Context, src config.Source, computing chan struct{}) (daemon.Result, error) {
	st, collectErr := m.collectSource(ctx, src, time.Time{}, false)
	res := daemon.Result{Items: st.Changes + st.Builds, Requests: st.Requests}
	if ctx.Err() != nil {
		if collectErr == nil {
			collectErr = fmt.Errorf("compute skipped: shutting down: %w", ctx.Err())
		}
		return res, collectErr
	}
	select {
	case computing <- struct{}{}:
	case <-ctx.Done():
		return res, errors.Join(collectErr, fmt.Errorf("compute skipped: shutting down: %w", ctx.Err()))
	}
	defer func() { <-computing }()
	if err := m.computeIfNeeded(ctx); err != nil {
		return res, errors.Join(collectErr, err)
	}
	return res, collectErr
}

// lastSuccess returns when source last finished a successful collection,
// from collector_runs; zero when it never did.
func (m *Main) lastSuccess(ctx context.Context, source string) (time.Time, error) {
	return m.Store.LastSuccess(ctx, source)
}

// secretValues returns the configured secrets that can be read, so that the
// daemon can redact them should one ever appear in an error.
func (m *Main) secretValues() []string {
	secrets := []config.Secret{m.Config.ClickHouse.Password, m.Config.Grafana.Token}
	for _, s := range m.Config.Sources {
		secrets = append(secrets, s.Secrets()...)
	}
	var values []string
	for _, s := range secrets {
		if !s.IsSet() {
			continue
		}
		if v, err := s.Value(); err == nil {
			values = append(values, v)
		}
	}
	return values
}
