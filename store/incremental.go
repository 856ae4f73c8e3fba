package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/metrics"
)

// Incremental compute (docs/definitions.md §20): a compute layered on the
// last full one (its base) rewrites only the units that the raw facts
// stored since the previous compute can change, and masks their rows in
// the older live generations (sql/README.md, section 1).

// The bounds past which a compute is full rather than one more layer.
var (
	// maxLayers is how many live generations a base may have.
	maxLayers = 50
	// maxShare: a full compute when the touched changes, or the change
	// masks of the base, are more than 1/maxShare of the changes and more
	// than minTouched.
	maxShare   uint64 = 20
	minTouched uint64 = 1000
)

// watermarkSlack is taken off the watermark, against clocks of collecting
// and computing hosts a little apart (a wider touched set is harmless).
var watermarkSlack = time.Minute

// checkpointHook, when set (by tests), is called at the points of a
// compute named by checkpoint: a test cancels the compute's context there
// to abort it.
var checkpointHook func(point string)

func checkpoint(point string) {
	if checkpointHook != nil {
		checkpointHook(point)
	}
}

// computePlan says how a compute runs.
type computePlan struct {
	full bool
	why  string
	// Incremental only: the base, the live generations (ascending), the
	// number of change rows of the base, and the instant from which the
	// raw facts are new (see planCompute).
	base      uint64
	live      []uint64
	changes   uint64
	since     time.Time // when the previous compute started
	host      string    // where it ran ("" when not known)
	watermark time.Time
}

func fullPlan(why string) computePlan { return computePlan{full: true, why: why} }

// tooMany tells whether n units out of changes make a full compute
// cheaper than a layer.
func tooMany(n, changes uint64) bool { return n > minTouched && n*maxShare > changes }

// planCompute decides whether the compute is full or incremental. It is
// full when asked (ComputeOptions.Full), when there is no compute yet,
// when the fingerprint changed (settings, people, calendars, codepace),
// when the UTC day of the previous compute or of Now is not today's, or
// when the layers grew past maxLayers or the masks past the share bound;
// touchedChanges may still make it full.
func (s *Store) planCompute(ctx context.Context, o ComputeOptions, started time.Time) (computePlan, error) {
	if o.Full {
		return fullPlan("a full compute was asked for"), nil
	}
	p := computePlan{}
	var prev uint64
	var fp string
	err := s.conn.QueryRow(ctx, `SELECT generation, started_at, if(base = 0, generation, base), host, fingerprint
		FROM (SELECT generation, started_at, base, host FROM compute_runs ORDER BY generation DESC LIMIT 1)
		ANY LEFT JOIN (SELECT generation, fingerprint FROM compute_inputs) USING generation`).Scan(&prev, &p.since, &p.base, &p.host, &fp)
	if errors.Is(err, sql.ErrNoRows) {
		return fullPlan("no compute yet"), nil
	}
	if err != nil {
		return p, fmt.Errorf("read the last compute: %w", err)
	}
	// A generation is the instant its compute started, in nanoseconds
	// (started_at holds whole seconds).
	if g := time.Unix(0, int64(prev)).UTC(); g.Truncate(time.Second).Equal(p.since) {
		p.since = g
	}
	p.since = p.since.UTC()
	day := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }
	switch {
	case fp != o.Fingerprint:
		return fullPlan("settings or codepace changed since the last compute"), nil
	case day(p.since) != day(started) || day(o.Now) != day(started):
		return fullPlan("the UTC day changed since the last compute"), nil
	}
	if p.live, err = column[uint64](ctx, s, `SELECT generation FROM live_generations ORDER BY generation`); err != nil {
		return p, fmt.Errorf("read the live generations: %w", err)
	}
	if len(p.live) >= maxLayers {
		return fullPlan(fmt.Sprintf("%d layers over the last full compute", len(p.live))), nil
	}
	// A catalog written since migration 022 has present = 0 in every row.
	var masks, builds, catalog uint64
	err = s.conn.QueryRow(ctx, `SELECT (SELECT count() FROM change_metrics_data WHERE generation = ?),
		(SELECT count() FROM change_masks WHERE base = ?), (SELECT count() FROM builds_data WHERE generation = ?),
		(SELECT count() FROM catalog_data WHERE generation = ? AND present = 0)`, p.base, p.base, p.base, p.base).Scan(&p.changes, &masks, &builds, &catalog)
	if err != nil {
		return p, fmt.Errorf("read the size of the layers: %w", err)
	}
	if tooMany(masks, p.changes) {
		return fullPlan("the masks of the layers outgrew the changes' share"), nil
	}
	if catalog == 0 && p.changes+builds > 0 {
		return fullPlan("the last full compute wrote no catalog counts (it ran before migration 022)"), nil
	}
	return p, s.watermark(ctx, &p)
}

// watermark sets p.watermark, from which on every raw row the previous
// compute (started at p.since on p.host) may not have read was collected.
// A collector run stamps its rows (collected_at) after it starts, on its
// host's clock, so the watermark is p.since, or the start of a run not
// over before p.since, if earlier. A run is over before p.since when its
// outcome was recorded (its version) before p.since on p.host's clock: on
// that host, or watermarkSlack before it on another, against clocks
// apart. Rows are stored by collector runs (cmd/codepace); when p.host is
// not known, the watermark is watermarkSlack before p.since.
func (s *Store) watermark(ctx context.Context, p *computePlan) error {
	since := p.since.UnixNano()
	var n uint64
	var first time.Time
	// argMax rather than FINAL with a WHERE on status, which a server may
	// apply before it collapses the versions (as in RunningOn).
	err := s.conn.QueryRow(ctx, `SELECT count(), min(started) FROM (
			SELECT min(started_at) AS started, argMax(status, version) AS state, max(version) AS recorded, any(host) AS ran_on
			FROM collector_runs_log GROUP BY source, run_id)
		WHERE NOT (state != ? AND recorded < ? AND (ran_on = ? AND ran_on != '' OR recorded < ?))`,
		RunRunning, uint64(since), p.host, uint64(since-int64(watermarkSlack))).Scan(&n, &first)
	if err != nil {
		return fmt.Errorf("read the collector runs: %w", err)
	}
	p.watermark = p.since
	if p.host == "" {
		p.watermark = p.since.Add(-watermarkSlack)
	}
	if n > 0 && first.Before(p.watermark) {
		p.watermark = first.UTC()
	}
	// collected_at holds whole seconds. When no run but those over
	// before p.since started in p.since's second or earlier, every row
	// stamped in that second was there for the previous compute: the
	// watermark is the next second (else the last second of a backfill,
	// 1,700 changes at 200k, counted as touched).
	next := p.host != "" && p.watermark.Equal(p.since) && (n == 0 || first.After(p.since.Truncate(time.Second)))
	p.watermark = p.watermark.Truncate(time.Second)
	if next && !p.since.Equal(p.watermark) {
		p.watermark = p.watermark.Add(time.Second)
	}
	return nil
}

// column returns the one column of a query's rows, of type T.
func column[T any](ctx context.Context, s *Store, query string, args ...any) ([]T, error) {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// touchedChanges returns the changes whose derived rows may differ from
// those the views show: those collected since the watermark, those with
// GitHub Actions builds stored since (whose turn reads their verdicts),
// and every change of a person whose first change moved (their cohort);
// and the owner accounts (see ownerFirst) the latest compute stored, with
// those of the changes collected since read again. It makes p full when
// the changes are too many, or when the latest compute stored no owners.
func (s *Store) touchedChanges(ctx context.Context, o ComputeOptions, p *computePlan) (map[changeKey]struct{}, map[[2]string]ownerFirst, error) {
	out := map[changeKey]struct{}{}
	oc := ownerChanges{since: map[changeKey][]string{}, before: map[changeKey][]ownerState{}, latest: map[changeKey]ownerState{}}
	err := s.eachOwned(ctx, out, oc.since, `SELECT DISTINCT source, project, number, owner_id FROM raw_changes
		WHERE collected_at >= toDateTime(?)`, p.watermark.Unix())
	if err == nil && len(out) > 0 {
		err = s.readOwnerStates(ctx, out, &oc)
	}
	if err == nil {
		err = s.eachKey(ctx, out, `SELECT DISTINCT source, project, number FROM raw_builds
			WHERE version >= ? AND system = ? AND number > 0`,
			uint64(p.watermark.UnixNano()), collectors.SystemGitHubActions)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read the changes collected since %s: %w", p.watermark.Format(time.RFC3339), err)
	}
	var prev map[[2]string]ownerFirst
	ok := false
	if len(p.live) > 0 {
		if prev, ok, err = s.storedOwnerFirsts(ctx, p.live[len(p.live)-1]); err != nil {
			return nil, nil, err
		}
	}
	if !ok && p.changes > 0 {
		*p = fullPlan("the latest compute stored no first changes")
		return out, nil, nil
	}
	owners, moved, err := s.updatedOwners(ctx, o.People, prev, oc)
	if err != nil {
		return nil, nil, err
	}
	if moved != nil {
		err = s.eachKey(clickhouse.Context(ctx, clickhouse.WithExternalTable(moved)), out,
			`SELECT source, project, number FROM change_metrics_data WHERE `+liveChangeRows+`
			AND (source, `+personKey+`) GLOBAL IN (SELECT source, person FROM moved)`)
		if err != nil {
			return nil, nil, fmt.Errorf("read the changes of people whose first change moved: %w", err)
		}
	}
	if tooMany(uint64(len(out)), p.changes) {
		*p = fullPlan(fmt.Sprintf("%d changes touched since the last compute", len(out)))
	}
	return out, owners, nil
}

// personKey is the person key (metrics.People.Resolve) of a change_metrics
// row's owner: the people: name's, else the account id.
const personKey = `if(owner_person != '', concat('person:', owner_person), owner_id)`

// eachOwned adds to out the change keys (source, project, number) a query
// returns, and to owners the owner ids (fourth column) of each.
func (s *Store) eachOwned(ctx context.Context, out map[changeKey]struct{}, owners map[changeKey][]string, query string, args ...any) error {
	rows, err := s.conn.Query(ctx, s.local(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k changeKey
		var owner string
		if err := rows.Scan(&k.source, &k.project, &k.number, &owner); err != nil {
			return err
		}
		out[k] = struct{}{}
		owners[k] = append(owners[k], owner)
	}
	return rows.Err()
}

// eachKey adds to out the change keys (source, project, number) a query
// returns.
func (s *Store) eachKey(ctx context.Context, out map[changeKey]struct{}, query string, args ...any) error {
	rows, err := s.conn.Query(ctx, s.local(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k changeKey
		if err := rows.Scan(&k.source, &k.project, &k.number); err != nil {
			return err
		}
		out[k] = struct{}{}
	}
	return rows.Err()
}

// keysTable is an external table "touched" of the change keys of keys.
func keysTable[V any](keys map[changeKey]V) (*ext.Table, error) {
	t, err := ext.NewTable("touched", ext.Column("source", "String"), ext.Column("project", "String"),
		ext.Column("number", "Int64"))
	if err != nil {
		return nil, err
	}
	for k := range keys {
		if err := t.Append(k.source, k.project, k.number); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// local returns query as it runs best where it runs: on one server, GLOBAL
// IN and GLOBAL NOT IN become IN and NOT IN, which mean the same there,
// because ClickHouse (18.16 at least) reads only the granules of a set's
// keys by a table's primary key for a plain IN (a GLOBAL IN of three
// changes read all 2.4M rows of raw_messages at 200k changes, 8,192 with
// IN). On a cluster the tables are Distributed and GLOBAL IN stays: each
// shard then gets the set as a table, whose plain IN uses its key.
func (s *Store) local(query string) string {
	if s.cluster != "" {
		return query
	}
	return strings.ReplaceAll(query, "GLOBAL ", "")
}

// inTouched keeps the rows of the changes of the external table touched.
const inTouched = `(source, project, number) GLOBAL IN (SELECT source, project, number FROM touched)`

// computeIncremental writes generation gen as a layer over plan's live
// generations: the rows of the touched changes, of the backlog days and
// newcomers they can change, and of the builds of the jobs with builds
// stored since the watermark, each with masks over its older rows.
func (s *Store) computeIncremental(ctx context.Context, gen uint64, o ComputeOptions, firsts map[[2]string]time.Time, plan computePlan, touched map[changeKey]struct{}, st *ComputeStats, clock *stepClock) error {
	m := masker{s: s, base: plan.base, gen: gen, live: plan.live}
	// The builds do not depend on the changes: they are judged again
	// while the changes, the backlog and the newcomers are computed (at
	// 1,000,000 changes, 0.1% touched, the builds' 1.0 s came after the
	// changes' 2.0 s, BENCHMARKS.md).
	var rebuilt rebuiltBuilds
	builds := startTask(ctx, func(ctx context.Context) (err error) {
		rebuilt, err = s.incrementalBuilds(ctx, m, o.Spike, uint64(plan.watermark.UnixNano()))
		return err
	})
	defer builds.stop()
	masked, err := m.changes(ctx, touched)
	if err != nil {
		return fmt.Errorf("compute changes: %w", err)
	}
	checkpoint("change masks")
	clock.done("masks")
	tt, err := keysTable(touched)
	if err != nil {
		return err
	}
	tctx := clickhouse.Context(ctx, clickhouse.WithExternalTable(tt))
	var ci map[changeKey][]metrics.CIRun
	if len(touched) > 0 { // its subquery reads every GitHub Actions build
		if ci, err = s.actionsRuns(tctx, s.local(inTouched)); err != nil {
			return err
		}
	}
	pass := s.newChangePass(gen, o, firsts)
	pass.ci, pass.fresh = ci, map[changeKey]metrics.BacklogItem{}
	defer pass.abort()
	err = s.eachChange(tctx, s.local(inTouched), func(c collectors.Change) error {
		checkpoint("change")
		return pass.add(ctx, c)
	})
	if err == nil {
		err = pass.finish(ctx)
	}
	if err != nil {
		return fmt.Errorf("compute changes: %w", err)
	}
	st.Changes, st.ReviewActions = pass.changes.rows, pass.actions.rows
	checkpoint("changes")
	clock.done("changes")
	// The newcomers and the backlog both follow from the changes, not
	// from each other.
	newcomers := startTask(ctx, func(ctx context.Context) (err error) {
		st.Newcomers, err = s.incrementalNewcomers(ctx, m, pass.owners, touched)
		return err
	})
	defer newcomers.stop()
	// The previous compute took the backlog on the same UTC day (see
	// planCompute): recomputing from that day's start on is enough.
	if st.BacklogDays, err = s.writeBacklogUpdate(ctx, m, pass.fresh, metrics.BacklogFirstDay(o.Now), o.Now); err != nil {
		return fmt.Errorf("compute backlog: %w", err)
	}
	checkpoint("backlog")
	clock.done("backlog")
	if err := newcomers.wait(); err != nil {
		return fmt.Errorf("compute newcomers: %w", err)
	}
	clock.alongside("newcomers", newcomers.took)
	clock.done("wait")
	if err := builds.wait(); err != nil {
		return fmt.Errorf("compute builds: %w", err)
	}
	st.Builds = rebuilt.written
	checkpoint("builds")
	clock.alongside("builds", builds.took)
	clock.done("wait")
	for k, n := range rebuilt.masked {
		masked[k] += n
	}
	if err := s.writeCatalog(ctx, gen, masked); err != nil {
		return fmt.Errorf("compute catalog: %w", err)
	}
	clock.done("catalog")
	return nil
}

// writeBacklogUpdate writes the backlog days incrementalBacklog gives, and
// masks every day of their projects from the first recomputed one to the
// day of now; it returns how many days it wrote.
func (s *Store) writeBacklogUpdate(ctx context.Context, m masker, fresh map[changeKey]metrics.BacklogItem, since, now time.Time) (int, error) {
	up, err := s.incrementalBacklog(ctx, fresh, since, now)
	if err != nil {
		return 0, err
	}
	if _, err := s.writeBacklogDayMasks(ctx, m.base, m.gen, up.From); err != nil {
		return 0, err
	}
	w := s.backlogWriter()
	defer w.abort()
	for _, d := range up.Days {
		if err := writeBacklogDay(ctx, w, m.gen, d); err != nil {
			return w.rows, err
		}
	}
	return w.rows, w.flush()
}
