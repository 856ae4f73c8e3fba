package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/metrics"
	schema "github.com/codepace/codepace/sql"
)

// ComputeOptions carries the definitions' parameters.
type ComputeOptions struct {
	// Bots per source name; a source without an entry counts only
	// service accounts as bots.
	Bots map[string]metrics.Bots
	// People maps accounts to people for cohorts and newcomers.
	People       metrics.People
	NewcomerDays int
	Spike        metrics.SpikeConfig
	// Now is the instant the backlog of the current day is taken at.
	Now time.Time
	// WorkTime gives each change's working-time calendar.
	WorkTime metrics.WorkTime
	// Fingerprint identifies the settings and code the figures come from;
	// it is recorded with the generation (see NeedsCompute).
	Fingerprint string
	// Full forces a full compute (see planCompute).
	Full bool
}

// ComputeStats counts what a compute wrote.
type ComputeStats struct {
	Generation    uint64
	Changes       int
	ReviewActions int
	Builds        int
	Newcomers     int
	BacklogDays   int
	// Full tells whether every derived row was rewritten (else the
	// compute was incremental), and Why says what made it so.
	Full bool
	Why  string
	// Touched is how many changes an incremental compute rewrote, or
	// would have before it turned full (0 when planned full at once).
	Touched int
	// Steps is how long each step took, "plan=12ms touched=0.3s ...",
	// for the log; "+builds=1.2s" is a step that ran alongside those
	// before it, and "wait" the time waited for it after them.
	Steps string
}

// stepClock times the steps of a compute for ComputeStats.Steps.
type stepClock struct {
	last  time.Time
	steps []string
}

func newStepClock() *stepClock { return &stepClock{last: time.Now()} }

// done records the step that ends now.
func (c *stepClock) done(step string) {
	now := time.Now()
	c.steps = append(c.steps, step+"="+now.Sub(c.last).Round(time.Millisecond).String())
	c.last = now
}

// alongside records a step that ran alongside the others and took d, as
// "+step=d".
func (c *stepClock) alongside(step string, d time.Duration) {
	c.steps = append(c.steps, "+"+step+"="+d.Round(time.Millisecond).String())
}

func (c *stepClock) String() string {
	if c == nil {
		return ""
	}
	return strings.Join(c.steps, " ")
}

// derivedTables are rewritten whole by every compute, one partition per
// generation.
var derivedTables = []string{
	"change_metrics_data", "review_actions_data", "builds_data",
	"newcomers_data", "review_backlog_daily_data", "review_backlog_changes_data", "owner_firsts_data",
	"reviewer_waits_data", "catalog_data",
}

// maskTables hold the masks of incremental computes, one partition per
// base (see planCompute).
var maskTables = []string{"change_masks", "backlog_day_masks", "build_masks", "newcomer_masks"}

// Compute derives the tables the views show from the raw facts, as a new
// generation that the views switch to only once it is complete.
//
// A full compute rebuilds every derived row and then drops older
// generations; an incremental one (see planCompute, docs/definitions.md
// §20) rewrites only the units the raw facts stored since the previous
// compute can change, masking their older rows. Either way the views then
// equal, row by row, what a full compute gives.
//
// It reads the changes once, in (source, project, number) order, and
// writes each one's figures and review actions as it goes; what it keeps
// is one row per person (newcomers) and the backlog items of the current
// project only (of the touched changes, when incremental), so its memory
// does not grow with the number of changes.
func (s *Store) Compute(ctx context.Context, o ComputeOptions) (st ComputeStats, err error) {
	started := time.Now().UTC()
	gen := uint64(started.UnixNano())
	st.Generation = gen
	if o.Now.IsZero() {
		o.Now = started
	}
	clock := newStepClock()
	defer func() { st.Steps = clock.String() }()
	plan, err := s.planCompute(ctx, o, started)
	if err != nil {
		return st, err
	}
	clock.done("plan")
	var touched map[changeKey]struct{}
	var owners map[[2]string]ownerFirst
	if !plan.full {
		if touched, owners, err = s.touchedChanges(ctx, o, &plan); err != nil {
			return st, err
		}
		st.Touched = len(touched)
		clock.done("touched")
	}
	if plan.full {
		if owners, err = s.ownerAggregates(ctx, nil); err != nil {
			return st, err
		}
		clock.done("owners")
	}
	firsts := resolveFirsts(o.People, owners)
	// The owner accounts are stored first, so that they are garbage while
	// the changes and builds are read: they grow with the people (5.7 MB
	// of heap at a million changes). Like every derived row, they stay
	// hidden until the commit.
	if err = s.writeOwnerFirsts(ctx, gen, owners); err != nil {
		return st, err
	}
	clock.done("firsts")
	st.Full, st.Why = plan.full, plan.why
	if !plan.full {
		st.Why = fmt.Sprintf("%d changes touched since %s", len(touched), plan.watermark.Format(time.RFC3339))
	}
	if plan.full {
		err = s.computeFull(ctx, gen, o, firsts, &st)
		clock.done("full")
	} else {
		err = s.computeIncremental(ctx, gen, o, firsts, plan, touched, &st, clock)
	}
	if err != nil {
		return st, err
	}
	err = s.commitGeneration(ctx, gen, started, o, plan, st)
	clock.done("commit")
	return st, err
}

// computeFull writes every derived row into generation gen.
func (s *Store) computeFull(ctx context.Context, gen uint64, o ComputeOptions, firsts map[[2]string]time.Time, st *ComputeStats) error {
	// Builds do not depend on changes: they are judged while the changes
	// are read.
	var nBuilds int
	builds := startTask(ctx, func(ctx context.Context) (err error) {
		nBuilds, err = s.computeBuilds(ctx, gen, o.Spike)
		return err
	})
	defer builds.stop()
	ci, err := s.actionsRuns(ctx, "")
	if err != nil {
		return err
	}
	pass := s.newChangePass(gen, o, firsts)
	pass.ci = ci
	defer pass.abort()
	err = s.eachChange(ctx, "", func(c collectors.Change) error { return pass.add(ctx, c) })
	if err == nil {
		err = pass.finish(ctx)
	}
	if err != nil {
		return fmt.Errorf("compute changes: %w", err)
	}
	st.Changes, st.ReviewActions, st.BacklogDays = pass.changes.rows, pass.actions.rows, pass.backlog.rows
	if err := builds.wait(); err != nil {
		return fmt.Errorf("compute builds: %w", err)
	}
	st.Builds = nBuilds
	if st.Newcomers, err = s.writeNewcomers(ctx, gen, pass.newcomers.Rows(), pass.names); err != nil {
		return fmt.Errorf("compute newcomers: %w", err)
	}
	if err := s.writeCatalog(ctx, gen, nil); err != nil {
		return fmt.Errorf("compute catalog: %w", err)
	}
	return nil
}

// computeHost is the host name compute_runs records (see
// Store.watermark); tests set it.
var computeHost = func() string {
	h, _ := os.Hostname()
	return h
}

// commitGeneration records generation gen, which makes it visible, and
// drops the partitions no view reads any more.
func (s *Store) commitGeneration(ctx context.Context, gen uint64, started time.Time, o ComputeOptions, plan computePlan, st ComputeStats) error {
	err := s.insert(ctx, "compute_inputs (generation, fingerprint)", func(b driver.Batch) error {
		return b.Append(gen, o.Fingerprint)
	})
	if err != nil {
		return fmt.Errorf("record compute: %w", err)
	}
	checkpoint("inputs")
	base := gen
	if !plan.full {
		base = plan.base
	}
	// This row makes the generation visible: it goes last.
	err = s.insert(ctx, "compute_runs (generation, started_at, finished_at, changes, builds, base, host)", func(b driver.Batch) error {
		return b.Append(gen, started, time.Now().UTC(), uint64(st.Changes), uint64(st.Builds), base, computeHost())
	})
	if err != nil {
		return fmt.Errorf("record compute: %w", err)
	}
	checkpoint("recorded")
	if plan.full {
		return s.dropGenerationsBefore(ctx, gen, nil)
	}
	return s.dropGenerationsBefore(ctx, gen, append(plan.live, gen))
}

// changePass computes and writes the figures of the changes as they are
// read, in (source, project, number) order: one change's figures, review
// actions and whose-turn state from one pass over its timeline, and the
// backlog of each project once its last change is read.
type changePass struct {
	gen                       uint64
	o                         ComputeOptions
	firsts                    map[[2]string]time.Time
	changes, actions, backlog *rowWriter
	spans                     *rowWriter // review_backlog_changes_data
	waits                     *rowWriter // reviewer_waits_data
	// project gathers the backlog of the project being read (source and
	// project in current); a project's changes come one after another.
	project   metrics.BacklogBuilder
	current   [2]string
	newcomers metrics.NewcomerTally
	names     map[[2]string]string // (source, person key) -> how the person is shown
	ci        map[changeKey][]metrics.CIRun
	// fresh, in an incremental compute, gathers each change's backlog item
	// (the zero item when it has none) instead of project (see
	// incrementalBacklog).
	fresh map[changeKey]metrics.BacklogItem
	// owners, in an incremental compute, lists what each change read
	// gives the newcomers, in key order (see incrementalNewcomers).
	owners []newcomerChange
}

func (s *Store) newChangePass(gen uint64, o ComputeOptions, firsts map[[2]string]time.Time) *changePass {
	return &changePass{gen: gen, o: o, firsts: firsts, names: map[[2]string]string{},
		changes: s.changeWriter(), actions: s.actionWriter(), backlog: s.backlogWriter(),
		spans: s.backlogChangeWriter(), waits: s.waitWriter()}
}

// add computes and writes one change's rows.
func (p *changePass) add(ctx context.Context, c collectors.Change) error {
	if k := [2]string{c.Source, c.Project}; k != p.current {
		if err := p.endProject(ctx); err != nil {
			return err
		}
		p.current = k
	}
	bots := p.o.Bots[c.Source]
	key, name := p.o.People.Resolve(c.Source, c.Owner)
	ck := changeKey{c.Source, c.Project, c.Number}
	if p.fresh != nil {
		p.fresh[ck] = metrics.BacklogItem{}
	}
	row := changeRow{
		Figures: metrics.ChangeFigures(c, bots, p.firsts[[2]string{c.Source, key}], p.o.NewcomerDays),
		isBot:   bots.IsBot(c.Owner),
		person:  name,
	}
	row.work = row.WorkTime(p.o.WorkTime.For(name))
	if !row.ReadyAt.IsZero() {
		ready := metrics.ReadyIntervals(c)
		turns := metrics.Turns(c, bots, ready, p.ci[ck])
		if n := len(turns); n > 0 && turns[n-1].To.IsZero() {
			row.now = &turns[n-1]
		}
		if err := writeReviewerWaits(ctx, p.waits, p.gen, c, row, name, turns); err != nil {
			return err
		}
		it := metrics.BacklogItem{Source: c.Source, Project: c.Project, ReadyAt: row.ReadyAt, Intervals: ready, Turns: turns}
		if p.fresh != nil {
			p.fresh[ck] = it
		} else {
			p.project.Add(it)
		}
		if err := writeBacklogChange(ctx, p.spans, p.gen, c, row.Figures, name, ready); err != nil {
			return err
		}
	}
	if err := writeChange(ctx, p.changes, p.gen, c, row); err != nil {
		return err
	}
	actions := metrics.ReviewActions(c, bots)
	metrics.MarkFirstReview(actions, row.FirstReviewAt)
	for _, a := range actions {
		if err := writeAction(ctx, p.actions, p.gen, a); err != nil {
			return err
		}
	}
	in := metrics.NewcomerInput{
		Source: c.Source, Person: key, IsBot: row.isBot,
		Created: c.Created, ReadyAt: row.ReadyAt, FirstReviewAt: row.FirstReviewAt, MergedAt: row.MergedAt,
	}
	if name == "" {
		name = person(c.Owner)
	}
	if p.fresh != nil {
		p.owners = append(p.owners, newcomerChange{k: ck, in: in, name: name})
		return nil
	}
	p.newcomers.Add(in)
	p.names[[2]string{c.Source, key}] = name
	return nil
}

// endProject writes the backlog of the project read so far (none in an
// incremental compute: see incrementalBacklog).
func (p *changePass) endProject(ctx context.Context) error {
	if p.fresh != nil {
		return nil
	}
	for _, d := range p.project.Days(p.o.Now) {
		if err := writeBacklogDay(ctx, p.backlog, p.gen, d); err != nil {
			return err
		}
	}
	return nil
}

// finish writes the last project's backlog and sends what is left.
func (p *changePass) finish(ctx context.Context) error {
	if err := p.endProject(ctx); err != nil {
		return err
	}
	for _, w := range []*rowWriter{p.changes, p.actions, p.backlog, p.spans, p.waits} {
		if err := w.flush(); err != nil {
			return err
		}
	}
	return nil
}

func (p *changePass) abort() {
	for _, w := range []*rowWriter{p.changes, p.actions, p.backlog, p.spans, p.waits} {
		w.abort()
	}
}

// changeKey identifies a change.
type changeKey struct {
	source, project string
	number          int64
}

// actionsRuns reads the finished GitHub Actions jobs that ran for a pull
// request on a known commit, voting ones only, as each change's CI runs
// for whose turn (docs/definitions.md §19), by finished_at. It is one
// query per compute, not one per change, and it keeps only the attempts of
// jobs that failed at least once on their commit: a job that never failed
// there never makes the commit's verdict a failure, so its runs change
// nothing and need not be held in memory (most jobs pass).
//
// where, when not empty, is a condition on source, project and number
// that keeps the changes to read.
func (s *Store) actionsRuns(ctx context.Context, where string) (map[changeKey][]metrics.CIRun, error) {
	// The results are constants of the metrics package, not input.
	passing := "'" + strings.Join(metrics.CIPassing, "', '") + "'"
	const jobs = `FROM raw_builds FINAL WHERE system = ? AND number > 0 AND commit != '' AND voting = 1`
	// GLOBAL IN: on a cluster raw_builds is a Distributed table, whose
	// plain IN of another Distributed read ClickHouse refuses.
	if where != "" {
		where = " AND " + where
	}
	rows, err := s.conn.Query(ctx, s.local(`SELECT source, project, number, commit, pipeline, job, finished_at, result `+jobs+where+`
		AND (source, project, number, commit, pipeline, job) GLOBAL IN
			(SELECT source, project, number, commit, pipeline, job `+jobs+` AND result NOT IN (`+passing+`))
		ORDER BY source, project, number, finished_at, build_id`),
		collectors.SystemGitHubActions, collectors.SystemGitHubActions)
	if err != nil {
		return nil, fmt.Errorf("read GitHub Actions verdicts: %w", err)
	}
	defer rows.Close()
	out := map[changeKey][]metrics.CIRun{}
	names := map[[2]string]string{} // one job key string per job name
	for rows.Next() {
		var k changeKey
		var r metrics.CIRun
		var pipeline, job, result string
		if err := rows.Scan(&k.source, &k.project, &k.number, &r.Commit, &pipeline, &job, &r.At, &result); err != nil {
			return nil, fmt.Errorf("read GitHub Actions verdicts: %w", err)
		}
		key, ok := names[[2]string{pipeline, job}]
		if !ok {
			key = pipeline + "\x00" + job
			names[[2]string{pipeline, job}] = key
		}
		r.Job, r.Failed = key, metrics.CIFailed(result)
		out[k] = append(out[k], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read GitHub Actions verdicts: %w", err)
	}
	return out, nil
}

// writeNewcomers writes the newcomers rows, each with how its person is
// shown; it returns how many it wrote.
func (s *Store) writeNewcomers(ctx context.Context, gen uint64, rows []metrics.Newcomer, names map[[2]string]string) (int, error) {
	w := s.newcomerWriter()
	defer w.abort()
	for _, p := range rows {
		if err := writeNewcomer(ctx, w, gen, p, names[[2]string{p.Source, p.Person}]); err != nil {
			return w.rows, err
		}
	}
	return w.rows, w.flush()
}

// person is how a person is shown: name, else username, else email, else id.
func person(a collectors.Account) string {
	for _, s := range []string{a.Name, a.Username, a.Email} {
		if s != "" {
			return s
		}
	}
	if a.ID == "" {
		return ""
	}
	return "account " + a.ID
}

// accountOf is the owner account id as ownerFirst gives it, to resolve
// its person key.
func accountOf(id string, f ownerFirst) collectors.Account {
	return collectors.Account{ID: id, Username: f.username, Email: f.email}
}

// dropGenerationsBefore removes the partitions of the derived tables and
// masks older than gen, including those of computes that never finished,
// except those in keep (the live generations and their base, after an
// incremental compute). On a cluster it lists the partitions of the local
// tables of every shard and drops them ON CLUSTER.
func (s *Store) dropGenerationsBefore(ctx context.Context, gen uint64, keep []uint64) error {
	for _, table := range append(append([]string{}, derivedTables...), maskTables...) {
		old, err := s.partitions(ctx, table)
		if err != nil {
			return err
		}
		for _, g := range old {
			if g >= gen || slices.Contains(keep, g) {
				continue
			}
			// g is a number parsed from a partition name, so formatting
			// it into the statement cannot inject anything.
			stmts := []string{fmt.Sprintf("ALTER TABLE %s DROP PARTITION %d", table, g)}
			if s.cluster != "" {
				if stmts, err = schema.RenderForCluster(stmts[0], s.cluster, s.db); err != nil {
					return err
				}
			}
			checkpoint("drop")
			for _, stmt := range stmts {
				if err := s.conn.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("drop generation %d of %s: %w", g, table, err)
				}
			}
		}
	}
	return nil
}

// partitions lists the numeric partitions of table (generations or bases).
func (s *Store) partitions(ctx context.Context, table string) ([]uint64, error) {
	var rows driver.Rows
	var err error
	if s.cluster == "" {
		rows, err = s.conn.Query(ctx, `SELECT DISTINCT partition FROM system.parts
			WHERE database = ? AND table = ? AND active`, s.db, table)
	} else {
		rows, err = s.conn.Query(ctx, `SELECT DISTINCT partition FROM cluster(?, system, parts)
			WHERE database = ? AND table = ? AND active`, s.cluster, s.db, schema.LocalTable(table))
	}
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", table, err)
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		if g, err := strconv.ParseUint(p, 10, 64); err == nil {
			out = append(out, g)
		}
	}
	return out, rows.Err()
}

// NeedsCompute tells whether the derived tables are out of date: there is
// no compute yet, or the last one has another fingerprint, ran on an
// earlier UTC day than now (the backlog's daily rows move with the clock),
// or started before the last collector run that stored anything. why says
// which, for the log.
func (s *Store) NeedsCompute(ctx context.Context, fingerprint string, now time.Time) (need bool, why string, err error) {
	var gen uint64
	var started time.Time
	var fp string
	err = s.conn.QueryRow(ctx, `SELECT generation, started_at, fingerprint
		FROM (SELECT generation, started_at FROM compute_runs ORDER BY generation DESC LIMIT 1)
		ANY LEFT JOIN (SELECT generation, fingerprint FROM compute_inputs) USING generation`).Scan(&gen, &started, &fp)
	if errors.Is(err, sql.ErrNoRows) {
		return true, "no compute yet", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("read the last compute: %w", err)
	}
	switch {
	case fp != fingerprint:
		return true, "settings or codepace changed since the last compute", nil
	case started.UTC().Format(time.DateOnly) != now.UTC().Format(time.DateOnly):
		return true, "the last compute ran on an earlier day", nil
	}
	// Both in nanoseconds: a run's version is when its outcome was
	// recorded, a generation when its compute started.
	var stored uint64
	if err := s.conn.QueryRow(ctx, `SELECT max(version) FROM collector_runs_log FINAL WHERE items > 0`).Scan(&stored); err != nil {
		return false, "", fmt.Errorf("read the last collection: %w", err)
	}
	if stored >= gen {
		return true, "new data since the last compute", nil
	}
	return false, "nothing new since the last compute at " + started.UTC().Format(time.RFC3339), nil
}
