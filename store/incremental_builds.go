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
// change, and writes them to the generation gen. A verdict reads only the
// successes of the WindowDays before it (metrics.SpikeWindow), so a state
// of such a build (its new one, or the one the builds view shows) that
// finished at f can change only the verdicts of its job's builds that
// finished from f to f + WindowDays (jobSpans): those are judged again,
// each stretch by a spike window primed with the job's builds of the
// WindowDays before it. It returns the builds written, whose rows in
// earlier generations the new ones replace.
func (s *Store) incrementalBuilds(ctx context.Context, gen uint64, spike metrics.SpikeConfig, watermark uint64) ([]buildKey, error) {
	finishes, err := s.touchedJobs(ctx, watermark)
	if err != nil || len(finishes) == 0 {
		return nil, err
	}
	spans := jobSpans(finishes, spike)
	builds, err := s.windowBuilds(ctx, spans, spike)
	if err != nil {
		return nil, err
	}
	w := s.buildWriter()
	defer w.abort()
	var out []buildKey
	for len(builds) > 0 {
		job := jobKey{builds[0].Source, builds[0].System, builds[0].Job}
		n := 1
		for n < len(builds) && (jobKey{builds[n].Source, builds[n].System, builds[n].Job}) == job {
			n++
		}
		for _, sp := range spans[job] {
			window := metrics.NewSpikeWindow(spike)
			lo := windowStart(sp.from, spike)
			for _, b := range builds[:n] {
				if b.Finished.Before(lo) || b.Finished.After(sp.to) {
					continue // out of the stretch and its window
				}
				verdict := window.Judge(b)
				if b.Finished.Before(sp.from) {
					continue // primes the window only
				}
				if err := writeBuild(ctx, w, gen, b, verdict); err != nil {
					return nil, err
				}
				out = append(out, buildKey{b.Source, b.System, b.BuildID})
			}
		}
		builds = builds[n:]
	}
	return out, w.flush()
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

// windowBuilds returns, in their newest state and sorted as computeBuilds
// reads them, the builds with a state in one of the stretches of spans or
// in the window before it (others may come too). It finds them without
// FINAL, which would merge the whole table: the builds with a state there
// (a scan of a few columns joined with the stretches), then every state
// of those by their key, keeping the newest. Two states of one version (a
// build stored twice in one batch) leave the choice to FINAL: then it
// reads the jobs' builds from the earliest window on with FINAL.
func (s *Store) windowBuilds(ctx context.Context, spans map[jobKey][]buildSpan, spike metrics.SpikeConfig) ([]collectors.Build, error) {
	table, err := ext.NewTable("spans", ext.Column("source", "String"), ext.Column("system", "String"),
		ext.Column("job", "String"), ext.Column("lo", "Int64"), ext.Column("hi", "Int64"))
	if err != nil {
		return nil, err
	}
	var earliest time.Time
	for job, sps := range spans {
		for _, sp := range sps {
			lo := windowStart(sp.from, spike)
			if earliest.IsZero() || lo.Before(earliest) {
				earliest = lo
			}
			if err := table.Append(job.source, job.system, job.job, max(lo.Unix(), 0), sp.to.Unix()); err != nil {
				return nil, err
			}
		}
	}
	rows, err := s.conn.Query(clickhouse.Context(streaming(ctx), clickhouse.WithExternalTable(table)),
		s.local(`SELECT `+buildColumns+`, version FROM raw_builds
		WHERE (source, system, build_id) GLOBAL IN (SELECT source, system, build_id FROM raw_builds
			GLOBAL ALL INNER JOIN spans USING (source, system, job)
			WHERE toInt64(finished_at) >= lo AND toInt64(finished_at) <= hi)`))
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
		return s.finalWindowBuilds(ctx, spans, max(earliest.Unix(), 0))
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

// finalWindowBuilds reads the builds of the jobs of spans finished at or
// after from (Unix seconds) with FINAL, sorted as computeBuilds reads them.
func (s *Store) finalWindowBuilds(ctx context.Context, spans map[jobKey][]buildSpan, from int64) ([]collectors.Build, error) {
	jobs, err := jobsTable(spans)
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

// jobsTable is an external table "jobs" of the jobs of spans.
func jobsTable(spans map[jobKey][]buildSpan) (*ext.Table, error) {
	jobs, err := ext.NewTable("jobs", ext.Column("source", "String"), ext.Column("system", "String"),
		ext.Column("job", "String"))
	if err != nil {
		return nil, err
	}
	for k := range spans {
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
// watermark, the finishes of those builds, in every state stored since
// and in the state the builds view shows (a build that moves to another
// finish, or to another job, leaves the baselines it was in). The view
// shows, of each such build, its newest state stored before the
// watermark or one stored since (a compute reads each build's newest
// state, and every state stored after one compute's start is touched by
// the next): it reads every state of those builds by their key, not the
// builds view, whose build_id is no key (the whole table read), and keeps
// those states (the older ones are left out: more would be harmless).
func (s *Store) touchedJobs(ctx context.Context, watermark uint64) (map[jobKey][]time.Time, error) {
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
	out := map[jobKey][]time.Time{}
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
			out[st.job] = append(out[st.job], st.finished.UTC())
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
