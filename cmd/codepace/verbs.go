package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/sources"
	"github.com/codepace/codepace/config"
	"github.com/codepace/codepace/metrics"
	"github.com/codepace/codepace/store"
)

// runMigrate migrates under the run lock: a migration that rebuilds a
// table (store/rebuild.go) must not meet a run of this host half-way.
func runMigrate(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("migrate")
	lockPath := fs.String("lock", "", "lock file (default ~/.cache/codepace/DATABASE.lock)")
	lockWait := fs.Duration("lock-wait", 0, "how long to wait for a run to finish (default: fail at once)")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	if err := m.acquireLock(ctx, *lockPath, *lockWait); err != nil {
		if errors.Is(err, errLocked) {
			return fmt.Errorf("%w; this migrate did nothing (a daemon or run migrates by itself; use --lock-wait to wait for it)", err)
		}
		return err
	}
	return m.migrate(ctx)
}

func (m *Main) migrate(ctx context.Context) error {
	applied, err := m.Store.Migrate(ctx)
	for _, name := range applied {
		m.Log.Info("applied migration", "migration", name)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		m.Log.Info("schema is up to date")
	}
	return nil
}

// collectFlags are the flags of collect, also accepted by run.
type collectFlags struct {
	source string
	since  string
	full   bool
}

func (c *collectFlags) register(m *Main, name string) *flag.FlagSet {
	fs := m.flagSet(name)
	fs.StringVar(&c.source, "source", "", "collect only this source")
	fs.StringVar(&c.since, "since", "", "collect changes updated since DATE (2006-01-02) instead of from the cursor")
	fs.BoolVar(&c.full, "full", false, "collect everything since each source's `since`, ignoring the cursor")
	return fs
}

func runCollect(ctx context.Context, m *Main, args []string) error {
	var cf collectFlags
	fs := cf.register(m, "collect")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if err := m.openMigrated(ctx); err != nil {
		return err
	}
	return m.collect(ctx, cf)
}

func runCompute(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("compute")
	full := fs.Bool("full", false, "recompute every derived row, not only what the raw facts stored since the last compute can change")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if err := m.openMigrated(ctx); err != nil {
		return err
	}
	return m.compute(ctx, *full)
}

func runRun(ctx context.Context, m *Main, args []string) error {
	var cf collectFlags
	fs := cf.register(m, "run")
	lockPath := fs.String("lock", "", "lock file (default ~/.cache/codepace/DATABASE.lock)")
	lockWait := fs.Duration("lock-wait", 0, "how long to wait for another run to finish (default: fail at once)")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	if err := m.acquireLock(ctx, *lockPath, *lockWait); err != nil {
		if errors.Is(err, errLocked) {
			return fmt.Errorf("%w; this run did nothing (use --lock-wait to wait for it)", err)
		}
		return err
	}
	if err := m.migrate(ctx); err != nil {
		return err
	}
	collectErr := m.collect(ctx, cf)
	if ctx.Err() != nil {
		return collectErr
	}
	// Compute even when a source failed: what the others stored is good.
	if err := m.computeIfNeeded(ctx); err != nil {
		return errors.Join(collectErr, err)
	}
	return collectErr
}

// computeIfNeeded computes unless the derived tables are up to date (see
// store.NeedsCompute), which keeps an idle run nearly free.
func (m *Main) computeIfNeeded(ctx context.Context) error {
	o, err := m.computeOptions()
	if err != nil {
		return err
	}
	need, why, err := m.Store.NeedsCompute(ctx, o.Fingerprint, time.Now())
	if err != nil {
		return err
	}
	if !need {
		m.Log.Info("skipping compute: " + why)
		return nil
	}
	return m.compute(ctx, false)
}

// compute computes the derived tables: incrementally when it can (see
// store.Compute), every row when full.
func (m *Main) compute(ctx context.Context, full bool) error {
	o, err := m.computeOptions()
	if err != nil {
		return err
	}
	o.Full = full
	start := time.Now()
	m.Log.Info("computing derived tables")
	st, err := m.Store.Compute(ctx, o)
	if err != nil {
		return err
	}
	kind := "incremental"
	if st.Full {
		kind = "full"
	}
	m.Log.Info("computed", "kind", kind, "why", st.Why, "touched", st.Touched, "changes", st.Changes, "review_actions", st.ReviewActions,
		"builds", st.Builds, "newcomers", st.Newcomers, "backlog_days", st.BacklogDays, "took", time.Since(start).Round(time.Millisecond).String(),
		"steps", st.Steps)
	return m.writeKeyResults(ctx)
}

// collect runs every selected source once; a failing source does not stop
// the others, and the returned error names each failure.
func (m *Main) collect(ctx context.Context, cf collectFlags) error {
	var since time.Time
	if cf.since != "" {
		t, err := time.Parse("2006-01-02", cf.since)
		if err != nil {
			return fmt.Errorf("--since %q: use a date like 2024-01-31", cf.since)
		}
		since = t
	}
	var sources []config.Source
	for _, s := range m.Config.Sources {
		if cf.source == "" || s.Name == cf.source {
			sources = append(sources, s)
		}
	}
	if len(sources) == 0 {
		return fmt.Errorf("--source %q: no such source in %s", cf.source, m.configPath)
	}
	var errs []error
	for _, src := range sources {
		if _, err := m.collectSource(ctx, src, since, cf.full); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// collectSource runs one source once and records the run in
// collector_runs; it returns what the collector did.
func (m *Main) collectSource(ctx context.Context, src config.Source, since time.Time, full bool) (collectors.Stats, error) {
	log := m.Log.With("source", src.Name)
	c, err := m.collectorFor(src)
	if err != nil {
		return collectors.Stats{}, err
	}
	from := src.Since
	// From a cursor, the overlap before it brings back changes stored
	// already: unchanged, they are not stored again (store.SkipStored).
	var sink collectors.Sink = m.Store
	switch {
	case !since.IsZero():
		from = since
	case !full:
		cursor, ok, err := m.Store.Cursor(ctx, src.Name)
		if err != nil {
			return collectors.Stats{}, err
		}
		if ok {
			from = cursor.Add(-src.Overlap)
			sink = m.Store.SkipStored()
		}
	}
	run, err := m.startRun(ctx, src.Name, log)
	if err != nil {
		return collectors.Stats{}, err
	}
	log.Info("collecting", "from", from.Format(time.RFC3339))
	st, err := c.Collect(ctx, collectors.Window{From: from}, sink)
	run, recErr := m.finishRun(ctx, run, st, err)
	switch {
	case run.Status == store.RunInterrupted:
		log.Warn("collection interrupted; what it stored is kept", "error", err, "changes", st.Changes, "builds", st.Builds)
		return st, err
	case err != nil:
		log.Error("collection failed", "error", err, "changes", st.Changes, "builds", st.Builds)
		return st, err
	}
	log.Info("collected", "changes", st.Changes, "builds", st.Builds, "requests", st.Requests,
		"skipped", st.Skipped, "took", run.Finished.Sub(run.Started).Round(time.Millisecond).String())
	return st, recErr
}

// collector builds the collector for a configured source.
// collectorFor returns the source's collector, made on first use and kept
// for the life of the process: the daemon's later runs of a source reuse
// it, so a GitHub source's ETag cache makes an unchanged page a 304, which
// costs no rate limit. Secrets are read when the collector is made, so a
// daemon picks up a rotated token when it restarts.
func (m *Main) collectorFor(src config.Source) (collectors.Collector, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.built[src.Name]; ok {
		return c, nil
	}
	c, err := m.collector(src)
	if err != nil {
		return nil, err
	}
	if m.built == nil {
		m.built = map[string]collectors.Collector{}
	}
	m.built[src.Name] = c
	return c, nil
}

func (m *Main) collector(src config.Source) (collectors.Collector, error) {
	bots, err := metrics.NewBots(src.Bots())
	if err != nil {
		return nil, fmt.Errorf("source %s: bots: %w", src.Name, err)
	}
	return sources.NewCollector(src, collectors.Env{Logger: m.Log, Progress: m.progress(), IsBot: bots.IsBot})
}

// progress reports a collection's progress: what it stored, and how far it
// has come (GitHub reads newest first, so its date goes back in time).
func (m *Main) progress() func(collectors.Progress) {
	show := m.showProgress()
	return func(p collectors.Progress) {
		line := p.Source + ":"
		attrs := []any{"source", p.Source}
		if p.Items > 0 {
			line += fmt.Sprintf(" %d jobs,", p.Items)
			attrs = append(attrs, "jobs", p.Items)
		}
		if p.Changes > 0 || p.Builds == 0 {
			line += fmt.Sprintf(" %d changes,", p.Changes)
			attrs = append(attrs, "changes", p.Changes)
		}
		if p.Builds > 0 {
			line += fmt.Sprintf(" %d builds,", p.Builds)
			attrs = append(attrs, "builds", p.Builds)
		}
		line = strings.TrimSuffix(line, ",")
		if !p.At.IsZero() {
			line += " up to " + p.At.Format("2006-01-02")
			attrs = append(attrs, "up_to", p.At.Format(time.RFC3339))
		}
		if p.Item != "" {
			attrs = append(attrs, "item", p.Item)
		}
		show(line, attrs...)
	}
}

// showProgress returns how progress is shown: line redrawn in place on a
// terminal, otherwise a log line with attrs at most every 10 seconds.
func (m *Main) showProgress() func(line string, attrs ...any) {
	tty := isTerminal(m.Stderr)
	var last time.Time
	return func(line string, attrs ...any) {
		if tty {
			fmt.Fprintf(m.Stderr, "\r%s   ", line)
			return
		}
		if time.Since(last) >= 10*time.Second {
			last = time.Now()
			m.Log.Info("progress", attrs...)
		}
	}
}
