package store

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/metrics"
)

// buildKey is the unit of build_masks: one build.
type buildKey struct{ source, system, buildID string }

// jobKey identifies a job's spike window.
type jobKey struct{ source, system, job string }

// incrementalBuilds judges again the builds whose verdict the builds
// stored since the watermark (raw_builds.version at or after it) can
// change, and writes them to the generation gen: for each job of such a
// build (in its new state, or in the state the builds view shows), t0 is
// the earliest finish among those states, and every build of the job
// that finished at or after t0 is judged again, by a spike window primed
// with the job's builds of the WindowDays before t0 (a verdict reads only
// the successes of the WindowDays before it: metrics.SpikeWindow). It
// returns the builds written, whose rows in earlier generations the new
// ones replace.
func (s *Store) incrementalBuilds(ctx context.Context, gen uint64, spike metrics.SpikeConfig, watermark uint64) ([]buildKey, error) {
	t0s, err := s.touchedJobs(ctx, watermark)
	if err != nil || len(t0s) == 0 {
		return nil, err
	}
	builds, err := s.windowBuilds(ctx, t0s, spike)
	if err != nil {
		return nil, err
	}
	w := s.buildWriter()
	defer w.abort()
	var out []buildKey
	var window *metrics.SpikeWindow
	var job jobKey
	for _, b := range builds {
		if k := (jobKey{b.Source, b.System, b.Job}); window == nil || k != job {
			window, job = metrics.NewSpikeWindow(spike), k
		}
		t0, ok := t0s[job]
		if !ok || b.Finished.Before(windowStart(t0, spike)) {
			continue // out of the windows
		}
		sp := window.Judge(b)
		if b.Finished.Before(t0) {
			continue // primes the window only
		}
		if err := writeBuild(ctx, w, gen, b, sp); err != nil {
			return nil, err
		}
		out = append(out, buildKey{b.Source, b.System, b.BuildID})
	}
	return out, w.flush()
}

// windowBuilds returns the builds whose newest state is in a job of t0s
// and finished at or after its window's start, or of another job with a
// state there, in their newest state, sorted as computeBuilds reads them.
// It finds them without FINAL, which would merge the whole table: the
// builds with a state there (a scan of two columns), then every state of
// those by their key, keeping the newest. Two states of one version (a
// build stored twice in one batch) leave the choice to FINAL: then it
// reads the jobs' windows with FINAL.
func (s *Store) windowBuilds(ctx context.Context, t0s map[jobKey]time.Time, spike metrics.SpikeConfig) ([]collectors.Build, error) {
	var earliest time.Time
	for _, t0 := range t0s {
		if lo := windowStart(t0, spike); earliest.IsZero() || lo.Before(earliest) {
			earliest = lo
		}
	}
	from := max(earliest.Unix(), 0)
	jobs, err := jobsTable(t0s)
	if err != nil {
		return nil, err
	}
	rows, err := s.conn.Query(clickhouse.Context(streaming(ctx), clickhouse.WithExternalTable(jobs)),
		s.local(`SELECT `+buildColumns+`, version FROM raw_builds
		WHERE (source, system, build_id) GLOBAL IN (SELECT source, system, build_id FROM raw_builds
			WHERE (source, system, job) GLOBAL IN (SELECT source, system, job FROM jobs) AND finished_at >= toDateTime(?))`), from)
	if err != nil {
		return nil, err
	}
	type state struct {
		b       collectors.Build
		version uint64
	}
	newest := map[buildKey]state{}
	tie := false
	for rows.Next() {
		var st state
		if st.b, err = scanBuild(rows, &st.version); err != nil {
			rows.Close()
			return nil, err
		}
		k := buildKey{st.b.Source, st.b.System, st.b.BuildID}
		if was, ok := newest[k]; !ok || was.version < st.version {
			newest[k] = st
		} else if was.version == st.version {
			tie = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if tie {
		return s.finalWindowBuilds(ctx, t0s, from)
	}
	out := make([]collectors.Build, 0, len(newest))
	for _, st := range newest {
		out = append(out, st.b)
	}
	slices.SortFunc(out, func(a, b collectors.Build) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.System, b.System), cmp.Compare(a.Job, b.Job),
			a.Finished.Compare(b.Finished), cmp.Compare(a.BuildID, b.BuildID))
	})
	return out, nil
}

// finalWindowBuilds reads the builds of the jobs of t0s finished at or
// after from (Unix seconds) with FINAL, sorted as computeBuilds reads them.
func (s *Store) finalWindowBuilds(ctx context.Context, t0s map[jobKey]time.Time, from int64) ([]collectors.Build, error) {
	jobs, err := jobsTable(t0s)
	if err != nil {
		return nil, err
	}
	// Not moved to PREWHERE: with FINAL, that would filter the states of
	// a build before the newest is chosen.
	qctx := clickhouse.Context(ctx, clickhouse.WithExternalTable(jobs),
		clickhouse.WithSettings(clickhouse.Settings{"max_block_size": streamBlockRows, "optimize_move_to_prewhere": 0}))
	rows, err := s.conn.Query(qctx, s.local(`SELECT `+buildColumns+` FROM raw_builds FINAL
		WHERE (source, system, job) GLOBAL IN (SELECT source, system, job FROM jobs) AND finished_at >= toDateTime(?)
		ORDER BY source, system, job, finished_at, build_id`), from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []collectors.Build
	for rows.Next() {
		b, err := scanBuild(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// jobsTable is an external table "jobs" of the jobs of t0s.
func jobsTable(t0s map[jobKey]time.Time) (*ext.Table, error) {
	jobs, err := ext.NewTable("jobs", ext.Column("source", "String"), ext.Column("system", "String"),
		ext.Column("job", "String"))
	if err != nil {
		return nil, err
	}
	for k := range t0s {
		if err := jobs.Append(k.source, k.system, k.job); err != nil {
			return nil, err
		}
	}
	return jobs, nil
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

// touchedJobs returns, for each job with a build stored since the
// watermark, the earliest finish of those builds, in any state stored
// since or in the state the builds view shows (a build that moves to a
// later finish, or to another job, leaves the baselines it was in). The
// view shows, of each such build, its newest state stored before the
// watermark or one stored since (a compute reads a build's newest state,
// and one that rejudged it after that state would have made the watermark
// later): it reads every state of those builds by their key, not the
// builds view, whose build_id is no key (the whole table read), and keeps
// those (older states only make t0 earlier, which is harmless, but are
// skipped).
func (s *Store) touchedJobs(ctx context.Context, watermark uint64) (map[jobKey]time.Time, error) {
	rows, err := s.conn.Query(ctx, s.local(`SELECT source, system, build_id, job, finished_at, version FROM raw_builds
		WHERE (source, system, build_id) GLOBAL IN (SELECT source, system, build_id FROM raw_builds WHERE version >= ?)`), watermark)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type state struct {
		job      jobKey
		finished time.Time
		version  uint64
	}
	states := map[buildKey][]state{}
	for rows.Next() {
		var k buildKey
		var st state
		if err := rows.Scan(&k.source, &k.system, &k.buildID, &st.job.job, &st.finished, &st.version); err != nil {
			return nil, err
		}
		st.job.source, st.job.system = k.source, k.system
		states[k] = append(states[k], st)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[jobKey]time.Time{}
	for _, sts := range states {
		var before uint64 // the newest version stored before the watermark
		for _, st := range sts {
			if st.version < watermark {
				before = max(before, st.version)
			}
		}
		for _, st := range sts {
			if st.version < before {
				continue
			}
			if t0, ok := out[st.job]; !ok || st.finished.Before(t0) {
				out[st.job] = st.finished.UTC()
			}
		}
	}
	return out, nil
}

// writeBuildMasks writes, for generation gen layered on base, the masks
// of the builds in keys: one row per build the views show, naming the
// generation that holds it (older rows of a build are masked already). It
// returns how many it wrote.
func (s *Store) writeBuildMasks(ctx context.Context, base, gen uint64, keys []buildKey) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	t, err := ext.NewTable("rebuilt", ext.Column("source", "String"), ext.Column("system", "String"),
		ext.Column("build_id", "String"))
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := t.Append(k.source, k.system, k.buildID); err != nil {
			return 0, err
		}
	}
	rows, err := s.conn.Query(clickhouse.Context(streaming(ctx), clickhouse.WithExternalTable(t)),
		s.local(`SELECT source, system, build_id, generation FROM builds_data
		WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
		  AND (source, system, build_id, generation) GLOBAL NOT IN
		      (SELECT source, system, build_id, hidden FROM build_masks
		       WHERE generation GLOBAL IN (SELECT generation FROM live_generations))
		  AND (source, system, build_id) GLOBAL IN (SELECT source, system, build_id FROM rebuilt)`))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	w := s.rowWriter("build_masks (base, generation, hidden, source, system, build_id)")
	defer w.abort()
	for rows.Next() {
		var k buildKey
		var hidden uint64
		if err := rows.Scan(&k.source, &k.system, &k.buildID, &hidden); err != nil {
			return w.rows, err
		}
		if err := w.add(ctx, base, gen, hidden, k.source, k.system, k.buildID); err != nil {
			return w.rows, err
		}
	}
	if err := rows.Err(); err != nil {
		return w.rows, err
	}
	return w.rows, w.flush()
}
