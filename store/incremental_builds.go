package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/metrics"
)

// buildKey is the unit of build_masks: one build.
type buildKey struct{ source, system, buildID string }

// jobKey identifies a job's spike window.
type jobKey struct{ source, system, job string }

// incrementalBuilds judges again the builds whose verdict the builds
// stored since the watermark (raw_builds.version at or after it) can
// change, and writes them to m's generation with their masks. A verdict
// reads only the successes of the WindowDays before it
// (metrics.SpikeWindow), so a state of such a build (its new one, or the
// one the builds view shows) that finished at f can change only the
// verdicts of its job's builds that finished from f to f + WindowDays
// (jobSpans): those are judged again, each stretch by a spike window
// primed with the job's builds of the WindowDays before it. A build
// judged again that was not stored since, whose verdict is the one the
// views show, is left as it is: its row there is already the row a full
// compute would write, and neither it nor a mask is written (most of a
// stretch; at 1M changes, masking them all made the builds view's mask
// set 839k builds after two updates).
//
// The builds come as one stream sorted by job and finish (each job's in
// the order a full compute judges them), and are judged as they come:
// what it holds is the spike windows of a job's open stretches, not the
// builds read. Changed builds spread over history make the stretches
// cover most of it (600 changes' builds made slower at 1M changes: 14.7M
// rows); holding them all took 12.3 GB.
func (s *Store) incrementalBuilds(ctx context.Context, m masker, spike metrics.SpikeConfig, watermark uint64) (rebuiltBuilds, error) {
	r := rebuiltBuilds{masked: catalogCounts{}}
	t, err := s.touchedJobs(ctx, watermark)
	if err != nil || len(t.finishes) == 0 {
		return r, err
	}
	spans := jobSpans(t.finishes, spike)
	w, masks := s.buildWriter(), m.writer("build_masks", "source, system, build_id")
	defer w.abort()
	defer masks.abort()
	var judge *jobJudge
	err = s.eachWindowBuild(ctx, spans, spike, t, func(b collectors.Build, row *shownBuild) error {
		job := jobKey{b.Source, b.System, b.Job}
		if judge == nil || judge.job != job {
			judge = newJobJudge(job, spans[job], spike)
		}
		return judge.judge(b, func(verdict metrics.Spike) error {
			k := buildKey{b.Source, b.System, b.BuildID}
			shown, ok := t.shown[k]
			if row != nil { // not stored since: the row the views show
				if row.same(verdict) {
					return nil // shown as a full compute would write it
				}
				shown, ok = *row, true
			}
			if err := w.add(ctx, m.gen, b, verdict); err != nil {
				return err
			}
			r.written++
			if !ok {
				return nil // a new build: nothing to mask
			}
			r.masked[catalogKey{k.source, "build", shown.project, shown.pipeline}]++
			return masks.add(ctx, m.base, m.gen, shown.generation, k.source, k.system, k.buildID)
		})
	})
	if err == nil {
		err = w.flush(ctx)
	}
	if err == nil {
		err = masks.flush()
	}
	r.masks = masks.rows
	return r, err
}

// rebuiltBuilds is what an incremental compute wrote of the builds: how
// many builds it wrote again and masks it wrote, and how many rows of
// each catalog key those masks hide.
type rebuiltBuilds struct {
	written, masks int
	masked         catalogCounts
}

// jobJudge judges a job's builds, given in order of finish, in each
// stretch of the job that is judged again: a stretch's spike window is
// primed with the builds of the WindowDays before it. Stretches are
// apart, but a stretch's window may reach into the one before: a build
// can go to two windows.
type jobJudge struct {
	job     jobKey
	spans   []buildSpan
	lo      []time.Time // the earliest finish each stretch's window reads
	windows []*metrics.SpikeWindow
	spike   metrics.SpikeConfig
	first   int // the first stretch not ended yet
}

// newJobJudge returns the judge of job's builds in its stretches spans.
func newJobJudge(job jobKey, spans []buildSpan, spike metrics.SpikeConfig) *jobJudge {
	j := &jobJudge{job: job, spans: spans, windows: make([]*metrics.SpikeWindow, len(spans)), spike: spike}
	for _, sp := range spans {
		j.lo = append(j.lo, windowStart(sp.from, spike))
	}
	return j
}

// judge gives b to the windows of the stretches whose window reads it,
// and calls judged with its verdict if it lies in one of them.
func (j *jobJudge) judge(b collectors.Build, judged func(metrics.Spike) error) error {
	for i := j.first; i < len(j.spans) && !b.Finished.Before(j.lo[i]); i++ {
		sp := j.spans[i]
		if b.Finished.After(sp.to) { // ended: so did every one before it
			j.windows[i], j.first = nil, i+1
			continue
		}
		if j.windows[i] == nil {
			j.windows[i] = metrics.NewSpikeWindow(j.spike)
		}
		verdict := j.windows[i].Judge(b)
		if b.Finished.Before(sp.from) {
			continue // primes the window only
		}
		// Stretches are apart: in a later one's window, b only primes it.
		if err := judged(verdict); err != nil {
			return err
		}
	}
	return nil
}

// shownBuild is what incremental compute needs of the row the builds view
// shows of a build: the generation that holds it, its verdict, and its
// project and pipeline (the catalog's key).
type shownBuild struct {
	generation        uint64
	isSpike           bool
	baselineS         *int64
	project, pipeline string
}

// same tells whether the row's verdict is sp's.
func (v shownBuild) same(sp metrics.Spike) bool {
	if v.isSpike != sp.IsSpike || (v.baselineS == nil) != (sp.MedianS == nil) {
		return false
	}
	return v.baselineS == nil || *v.baselineS == *sp.MedianS
}

// maxSpanTerms bounds the stretches a query names (spanCond): past it,
// the nearest ones are read as one.
const maxSpanTerms = 100

// spanCond is a condition that keeps the rows of a table sorted by
// (source, system, job, finished_at) within its partitions (builds_data)
// of the jobs' stretches, each widened to start early before it: one
// range of the key per stretch, so ClickHouse reads only their granules.
// Stretches closer than their gaps allow are read as one (more rows is
// harmless to its callers, which keep the builds they need).
func spanCond(spans map[jobKey][]buildSpan, early func(time.Time) time.Time) (string, []any) {
	var terms []string
	var args []any
	type term struct {
		job    jobKey
		lo, hi int64
	}
	var all []term
	for job, sps := range spans {
		for _, sp := range sps {
			all = append(all, term{job, max(early(sp.from).Unix(), 0), sp.to.Unix()})
		}
	}
	slices.SortFunc(all, func(a, b term) int {
		return cmp.Or(cmp.Compare(a.job.source, b.job.source), cmp.Compare(a.job.system, b.job.system),
			cmp.Compare(a.job.job, b.job.job), cmp.Compare(a.lo, b.lo))
	})
	// Merge the nearest of a job's ranges until few enough are left.
	for gap := int64(0); len(all) > maxSpanTerms; gap = max(2*gap, 86400) {
		merged := all[:1]
		for _, t := range all[1:] {
			if p := &merged[len(merged)-1]; p.job == t.job && t.lo <= p.hi+gap {
				p.hi = max(p.hi, t.hi)
				continue
			}
			merged = append(merged, t)
		}
		all = merged
		if gap > 1<<40 {
			break
		}
	}
	for _, t := range all {
		terms = append(terms, "(source = ? AND system = ? AND job = ? AND finished_at >= toDateTime(?) AND finished_at <= toDateTime(?))")
		args = append(args, t.job.source, t.job.system, t.job.job, t.lo, min(t.hi, math.MaxUint32))
	}
	if len(terms) == 0 {
		return "0", nil
	}
	return "(" + strings.Join(terms, " OR ") + ")", args
}

// buildSpan is a stretch of a job's builds judged again: those that
// finished from from to to, both included.
type buildSpan struct{ from, to time.Time }

// endOfTime bounds the stretches of a window with no bound.
var endOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// jobSpans returns, per job, the stretches of builds whose verdicts a
// state finished at one of the job's finishes can change, from it to
// WindowDays after it, overlapping ones merged, in order.
func jobSpans(finishes map[jobKey][]time.Time, spike metrics.SpikeConfig) map[jobKey][]buildSpan {
	out := make(map[jobKey][]buildSpan, len(finishes))
	for job, fs := range finishes {
		slices.SortFunc(fs, time.Time.Compare)
		var spans []buildSpan
		for _, f := range fs {
			to := endOfTime
			if lo := windowStart(f, spike); !lo.IsZero() {
				to = f.Add(f.Sub(lo))
			}
			if n := len(spans); n > 0 && !f.After(spans[n-1].to) {
				spans[n-1].to = maxTime(spans[n-1].to, to)
				continue
			}
			spans = append(spans, buildSpan{f, to})
		}
		out[job] = spans
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// eachWindowBuild calls each, by job, finish and build (each job's builds
// in the order computeBuilds judges them), with the newest state of the
// builds that finished in one of the stretches of spans or in the window
// before it (others may come too): the rows the builds view shows there
// (spanCond: a few ranges of builds_data's key), with row set to what the
// view shows, for the builds not stored since the watermark; and the
// newest states of those stored since that changed (t), with row nil.
func (s *Store) eachWindowBuild(ctx context.Context, spans map[jobKey][]buildSpan, spike metrics.SpikeConfig, t touchedBuilds, each func(b collectors.Build, row *shownBuild) error) error {
	changed := slices.SortedFunc(maps.Values(t.changed), buildOrder)
	cond, args := spanCond(spans, func(from time.Time) time.Time { return windowStart(from, spike) })
	qctx, cancel := longRead(ctx, buildsReadLimit)
	defer cancel()
	rows, err := s.conn.Query(qctx, s.local(`SELECT source, system, pipeline, job, build_id, url, project, number,
		patchset, result, voting, started_at, finished_at, ifNull(duration_s, 0), queued_s, generation, is_spike,
		baseline_s FROM builds_data
		WHERE `+cond+` AND `+liveBuildRows+`
		ORDER BY source, system, job, finished_at, build_id`), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var last collectors.Build
	var scanned shownBuild
	var isSpike uint8
	sc := newBuildScanner(&scanned.generation, &isSpike, &scanned.baselineS)
	for rows.Next() {
		b, err := sc.scan(rows)
		if err != nil {
			return err
		}
		if buildOrder(last, b) > 0 { // the judging would go wrong
			return fmt.Errorf("builds_data sorted %s/%s/%s at %v before %s/%s/%s at %v", last.Source, last.System,
				last.Job, last.Finished, b.Source, b.System, b.Job, b.Finished)
		}
		last = b
		if _, ok := t.changed[buildKey{b.Source, b.System, b.BuildID}]; ok {
			continue // its newest state comes from changed
		}
		for len(changed) > 0 && buildOrder(changed[0], b) < 0 {
			if err := each(changed[0], nil); err != nil {
				return err
			}
			changed = changed[1:]
		}
		v := scanned // each may keep it
		v.isSpike, v.project, v.pipeline = isSpike == 1, b.Project, b.Pipeline
		if err := each(b, &v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, b := range changed {
		if err := each(b, nil); err != nil {
			return err
		}
	}
	return nil
}

// buildOrder orders builds by job, finish and build: each job's builds in
// the order computeBuilds judges them.
func buildOrder(a, b collectors.Build) int {
	return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.System, b.System), cmp.Compare(a.Job, b.Job),
		a.Finished.Compare(b.Finished), cmp.Compare(a.BuildID, b.BuildID))
}

// windowStart is the earliest finish of a build a verdict at t0 or later
// can read (the zero time when the window has no bound).
func windowStart(t0 time.Time, spike metrics.SpikeConfig) time.Time {
	const maxDays = 100 * 366
	if spike.WindowDays > maxDays {
		return time.Time{}
	}
	return t0.Add(-time.Duration(max(spike.WindowDays, 0)) * 24 * time.Hour)
}

// liveBuildRows is the condition of the builds views (sql/README.md,
// section 1): the rows of builds_data of the live generations that no
// live mask hides.
const liveBuildRows = `generation GLOBAL IN (SELECT generation FROM live_generations)
	AND (unit, generation) GLOBAL NOT IN
	    (SELECT unit, hidden FROM build_masks
	     WHERE generation GLOBAL IN (SELECT generation FROM live_generations))`

// buildStateHash is the SQL of a 64-bit hash of what a build's row holds
// besides its key (source, system, build_id) and verdict: every column
// a buildScanner reads. Of a raw_builds row it is the hash migration 021
// stores in builds_data.state (a test checks that both are the same text); two
// builds with equal hashes are, but for a chance of about 1e-14 per
// compute at 150k builds, the same build state.
const buildStateHash = `cityHash64(pipeline, job, url, project, number, patchset, result, voting, started_at, finished_at, ifNull(duration_s, 0), isNull(queued_s), ifNull(queued_s, 0))`

// touchedJobs returns, for each job with a build stored since the
// watermark, the finishes of those builds, in every state stored since
// and in the state the builds view shows (a build that moves to another
// finish, or to another job, leaves the baselines it was in). The states
// stored since are read by version (raw_builds.version at or after the
// watermark: a scan of one column), as their job, finish and state hash;
// the rows the view shows of them likewise from builds_data by their unit
// key, not from the older states in raw_builds: those may be merged away
// already, and reading them by key read every granule of raw_builds for
// builds of random ids (14.9M rows, 4.3–25 s for the builds of 1,000
// changes at 1M); reading every column of the shown rows read every
// granule of builds_data (3.4 s for the 150k builds of 10,000 changes).
// A build whose states since all hash as the row the view shows (a
// collector stores again every build of a change it collects again)
// changes nothing and is left out; the newest state of each other one is
// then read whole. Both reads come sorted by unit key and are merged one
// build at a time (eachStoredBuild), so what touchedJobs holds is the
// builds that changed, not every build stored since.
func (s *Store) touchedJobs(ctx context.Context, watermark uint64) (touchedBuilds, error) {
	t := touchedBuilds{finishes: map[jobKey][]time.Time{}, changed: map[buildKey]collectors.Build{},
		shown: map[buildKey]shownBuild{}}
	tied := map[buildKey]struct{}{}
	newest := map[buildKey]uint64{}
	err := s.eachStoredBuild(ctx, watermark, func(k buildKey, sts []buildState, v *shownState) {
		if v != nil && !slices.ContainsFunc(sts, func(st buildState) bool { return st.hash != v.state.hash }) {
			return // stored again as the view shows it: no verdict can change
		}
		finished := func(st buildState) {
			job := jobKey{k.source, k.system, st.job}
			t.finishes[job] = append(t.finishes[job], st.finished)
		}
		if v != nil {
			finished(v.state)
			t.shown[k] = v.row
		}
		top := sts[0]
		for _, st := range sts {
			finished(st)
			if st.version > top.version {
				top = st
			}
		}
		newest[k] = top.version
		for _, st := range sts {
			if st.version == top.version && st.hash != top.hash {
				tied[k] = struct{}{}
			}
		}
	})
	if err != nil {
		return t, err
	}
	if err := s.newestStates(ctx, watermark, newest, t.changed); err != nil {
		return t, err
	}
	return t, s.finalStates(ctx, tied, t.changed)
}

// buildState is a state of a build: its job, finish and state hash
// (buildStateHash), and, stored in raw_builds, its version.
type buildState struct {
	job      string
	finished time.Time
	hash     uint64
	version  uint64
}

// eachStoredBuild calls each, once per build stored since the watermark,
// with its states stored since (sts, which each must not keep) and the
// row the builds view shows of it (nil when none). builds_data is sorted
// by job and finish, not build: the unit key of every row is read, the
// rows found sorted by it and given to the builds of that unit key (not
// read from builds_data: 1.0 → 0.4 s for the 14k builds of 1,000 changes
// at 1M). Two builds with one unit key would only make a build look
// changed, or add a stretch to judge again: never hide a change.
func (s *Store) eachStoredBuild(ctx context.Context, watermark uint64, each func(k buildKey, sts []buildState, v *shownState)) error {
	const since = `FROM raw_builds WHERE version >= ?`
	rows, err := s.conn.Query(streaming(ctx), s.local(`SELECT cityHash64(source, system, build_id) AS unit,
		source, system, build_id, job, finished_at, `+buildStateHash+`, version `+since+`
		ORDER BY unit, source, system, build_id`), watermark)
	if err != nil {
		return err
	}
	defer rows.Close()
	// On one server the unit keys are looked up first (PREWHERE: that one
	// UInt64 column of every row is read, the others in the granules
	// found).
	find, where := "WHERE ", " AND "
	if s.cluster == "" {
		find, where = "PREWHERE ", " WHERE "
	}
	shown, err := s.conn.Query(streaming(ctx), s.local(`SELECT unit, job, finished_at, state, generation, project,
		pipeline FROM builds_data
		`+find+`unit GLOBAL IN (SELECT cityHash64(source, system, build_id) `+since+`)`+where+liveBuildRows+`
		ORDER BY unit`), watermark)
	if err != nil {
		return err
	}
	defer shown.Close()
	views := shownCursor{rows: shown}
	views.next()
	var k buildKey
	var unit uint64
	var sts []buildState
	give := func() error {
		v, err := views.at(unit)
		if err == nil && len(sts) > 0 {
			each(k, sts, v)
		}
		return err
	}
	for rows.Next() {
		var u uint64
		var nk buildKey
		var st buildState
		if err := rows.Scan(&u, &nk.source, &nk.system, &nk.buildID, &st.job, &st.finished, &st.hash, &st.version); err != nil {
			return err
		}
		st.finished = st.finished.UTC()
		if nk != k && len(sts) > 0 {
			if err := give(); err != nil {
				return err
			}
			sts = sts[:0]
		}
		k, unit, sts = nk, u, append(sts, st)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return give()
}

// shownCursor reads the rows the builds view shows, sorted by unit key,
// for builds asked in that order.
type shownCursor struct {
	rows driver.Rows
	// the row read ahead, if ok
	unit uint64
	row  shownState
	ok   bool
	err  error
	// the unit key asked last and its row
	asked     bool
	lastUnit  uint64
	lastFound *shownState
}

func (c *shownCursor) next() {
	c.ok = false
	if !c.rows.Next() {
		c.err = c.rows.Err()
		return
	}
	var v shownState
	c.err = c.rows.Scan(&c.unit, &v.state.job, &v.state.finished, &v.state.hash,
		&v.row.generation, &v.row.project, &v.row.pipeline)
	v.state.finished = v.state.finished.UTC()
	c.row, c.ok = v, c.err == nil
}

// at returns the row shown of unit key unit (of several, the last read),
// or nil; unit is at least the one asked before.
func (c *shownCursor) at(unit uint64) (*shownState, error) {
	if c.asked && unit == c.lastUnit {
		return c.lastFound, c.err
	}
	for c.ok && c.unit < unit {
		c.next()
	}
	var found *shownState
	for c.ok && c.unit == unit {
		v := c.row
		found = &v
		c.next()
	}
	c.asked, c.lastUnit, c.lastFound = true, unit, found
	return found, c.err
}

// shownState is the row the builds view shows of a build: as a state,
// and as the row a mask hides.
type shownState struct {
	state buildState
	row   shownBuild
}

// newestStates sets, in changed, the newest state of each build k of
// newest stored since the watermark: that of version newest[k], or of a
// later one stored since touchedJobs read them (of two states with one
// version, either: finalStates then chooses).
func (s *Store) newestStates(ctx context.Context, watermark uint64, newest map[buildKey]uint64, changed map[buildKey]collectors.Build) error {
	if len(newest) == 0 {
		return nil
	}
	keys, err := buildKeysTable("changed", newest)
	if err != nil {
		return err
	}
	rows, err := s.conn.Query(clickhouse.Context(ctx, clickhouse.WithExternalTable(keys)), s.local(`SELECT `+buildColumns+`, version
		FROM raw_builds WHERE version >= ? AND (source, system, build_id) GLOBAL IN (SELECT source, system, build_id FROM changed)`), watermark)
	if err != nil {
		return err
	}
	defer rows.Close()
	var version uint64
	sc := newBuildScanner(&version)
	for rows.Next() {
		b, err := sc.scan(rows)
		if err != nil {
			return err
		}
		if k := (buildKey{b.Source, b.System, b.BuildID}); version >= newest[k] {
			changed[k], newest[k] = b, version
		}
	}
	return rows.Err()
}

// finalStates sets, in changed, the newest state of each build of tied,
// two different states of which share their newest version (a build
// stored twice in one batch, as a Zuul report on two comments of a
// change): the state FINAL keeps, which a full compute reads. FINAL
// merges the rows of a key alike whatever else the query reads, so only
// those builds are read, by key.
func (s *Store) finalStates(ctx context.Context, tied map[buildKey]struct{}, changed map[buildKey]collectors.Build) error {
	if len(tied) == 0 {
		return nil
	}
	t, err := buildKeysTable("tied", tied)
	if err != nil {
		return err
	}
	// Not moved to PREWHERE: with FINAL, that would filter the states of
	// a build before the newest is chosen.
	qctx := clickhouse.Context(ctx, clickhouse.WithExternalTable(t),
		clickhouse.WithSettings(clickhouse.Settings{"optimize_move_to_prewhere": 0}))
	rows, err := s.conn.Query(qctx, s.local(`SELECT `+buildColumns+` FROM raw_builds FINAL
		WHERE (source, system, build_id) GLOBAL IN (SELECT source, system, build_id FROM tied)`))
	if err != nil {
		return err
	}
	defer rows.Close()
	sc := newBuildScanner()
	for rows.Next() {
		b, err := sc.scan(rows)
		if err != nil {
			return err
		}
		changed[buildKey{b.Source, b.System, b.BuildID}] = b
	}
	return rows.Err()
}

// buildKeysTable is an external table name (source, system, build_id) of
// the builds keyed in keys.
func buildKeysTable[V any](name string, keys map[buildKey]V) (*ext.Table, error) {
	t, err := ext.NewTable(name, ext.Column("source", "String"), ext.Column("system", "String"),
		ext.Column("build_id", "String"))
	if err != nil {
		return nil, err
	}
	for k := range keys {
		if err := t.Append(k.source, k.system, k.buildID); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// touchedBuilds are the builds stored since the watermark that changed:
// per job, the finishes of their states (new, or as the views show them),
// and each one's newest state.
type touchedBuilds struct {
	finishes map[jobKey][]time.Time
	changed  map[buildKey]collectors.Build
	// shown gives the row the views show of each build of changed that
	// has one (its verdict left unset).
	shown map[buildKey]shownBuild
}
