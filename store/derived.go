package store

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/metrics"
)

// writeBatchRows is how many rows one derived insert takes before it
// ends; ClickHouse squashes an insert's blocks into one part (up to
// min_insert_block_size_rows), so it sets the size of the parts compute
// writes and the merges they cost, and what ClickHouse holds for each
// open insert. A full compute of 200,000 changes took 19–24 s and 20–27 s
// of ClickHouse's CPU with inserts of 10,000 rows, 17–20 s and 17–20 s
// with 50,000, and no less with 200,000; ClickHouse's memory for one
// change_metrics_data insert was 99, 119 and 193 MiB (BENCHMARKS.md).
const writeBatchRows = 50000

// writeBlockRows is how many rows a derived insert sends per block. The
// client holds each open insert's columns, and each connection keeps send
// and compression buffers as large as the largest block it carried (idle
// ones in the pool too), so the block, not the insert, is what sets
// compute's memory per table: blocks of 10,000 rows left 64 of the 135 MB
// of heap at the peak of a full compute of 200,000 changes in those
// buffers (BENCHMARKS.md).
const writeBlockRows = 2048

// rowWriter appends rows straight into an open batch insert into one
// table, sends them as a block every writeBlockRows rows and ends the
// insert every writeBatchRows rows, so no row is held twice.
type rowWriter struct {
	s               *Store
	tableAndColumns string
	b               driver.Batch
	rows            int // rows appended in all
	inserted        int // rows appended to the open insert
}

func (s *Store) rowWriter(tableAndColumns string) *rowWriter {
	return &rowWriter{s: s, tableAndColumns: tableAndColumns}
}

// open starts an insert unless one is open.
func (w *rowWriter) open(ctx context.Context) error {
	if w.b != nil {
		return nil
	}
	b, err := w.s.conn.PrepareBatch(ctx, "INSERT INTO "+w.tableAndColumns)
	if err != nil {
		return err
	}
	w.b, w.inserted = b, 0
	return nil
}

// add appends one row, sending the block when it is full and ending the
// insert when it took writeBatchRows rows.
func (w *rowWriter) add(ctx context.Context, values ...any) error {
	if err := w.open(ctx); err != nil {
		return err
	}
	if err := w.b.Append(values...); err != nil {
		return err
	}
	w.rows++
	w.inserted++
	switch {
	case w.inserted >= writeBatchRows:
		return w.flush()
	case w.b.Rows() >= writeBlockRows:
		return w.b.Flush()
	}
	return nil
}

// addColumns appends n rows given column by column, a slice of n values
// per column in the insert's order, and sends them as a block, ending the
// insert once it took writeBatchRows rows or more.
func (w *rowWriter) addColumns(ctx context.Context, n int, columns ...any) error {
	if err := w.open(ctx); err != nil {
		return err
	}
	for i, c := range columns {
		if err := w.b.Column(i).Append(c); err != nil {
			return err
		}
	}
	w.rows += n
	w.inserted += n
	if w.inserted >= writeBatchRows {
		return w.flush()
	}
	return w.b.Flush()
}

// flush sends the rows appended since the last send.
func (w *rowWriter) flush() error {
	if w.b == nil {
		return nil
	}
	b := w.b
	w.b = nil
	return b.Send()
}

// abort drops rows not sent yet and frees the batch's connection; it is
// safe after flush.
func (w *rowWriter) abort() {
	if w.b != nil {
		_ = w.b.Abort()
		w.b = nil
	}
}

func (s *Store) changeWriter() *rowWriter {
	return s.rowWriter(`change_metrics_data (generation, source, project, branch, number, url, subject,
		owner, owner_id, owner_person, owner_is_bot, status, is_wip, created_at, updated_at, ready_at, first_review_at,
		merged_at, closed_at, time_to_first_review_s, time_to_merge_s, cycle_time_s, patchsets,
		review_rounds, insertions, deletions, owner_cohort, time_to_first_review_work_s,
		time_to_merge_work_s, cycle_time_work_s, waiting_on, waiting_since)`)
}

// changeRow is what a change_metrics row holds beyond the change itself.
type changeRow struct {
	metrics.Figures
	work  metrics.WorkDurations
	isBot bool
	// person is the people: name the owner maps to, empty for none.
	person string
	// now is the span the change is in at the compute's instant, when it
	// is open and ready then.
	now *metrics.TurnSpan
}

func writeChange(ctx context.Context, w *rowWriter, gen uint64, c collectors.Change, r changeRow) error {
	waitingOn, waitingSince := "", (*time.Time)(nil)
	if r.now != nil {
		waitingOn, waitingSince = r.now.WaitingOn(), nullTime(r.now.Since)
	}
	return w.add(ctx, gen, c.Source, c.Project, c.Branch, c.Number, c.URL, c.Subject,
		person(c.Owner), c.Owner.ID, r.person, b8(r.isBot), c.Status, b8(c.WIP), c.Created, c.Updated,
		nullTime(r.ReadyAt), nullTime(r.FirstReviewAt), nullTime(r.MergedAt), nullTime(r.ClosedAt),
		r.TimeToFirstReviewS, r.TimeToMergeS, r.CycleTimeS, int32(r.Patchsets), int32(r.ReviewRounds),
		c.Insertions, c.Deletions, r.Cohort, r.work.TimeToFirstReviewS, r.work.TimeToMergeS, r.work.CycleTimeS,
		waitingOn, waitingSince)
}

func (s *Store) actionWriter() *rowWriter {
	return s.rowWriter(`review_actions_data (generation, source, project, number, message_id, at,
		actor, actor_id, kind, value, is_first_review)`)
}

func writeAction(ctx context.Context, w *rowWriter, gen uint64, a metrics.ReviewAction) error {
	return w.add(ctx, gen, a.Source, a.Project, a.Number, a.MessageID, a.At, person(a.Actor), a.Actor.ID, a.Kind, a.Value,
		b8(a.IsFirstReview))
}

func (s *Store) backlogWriter() *rowWriter {
	return s.rowWriter(`review_backlog_daily_data (generation, day, source, project, open_ready,
		mean_age_days, median_age_days, older_than_7d, waiting_on_reviewer, waiting_on_author,
		reviewer_wait_mean_days)`)
}

func writeBacklogDay(ctx context.Context, w *rowWriter, gen uint64, d metrics.BacklogDay) error {
	return w.add(ctx, gen, d.Day, d.Source, d.Project, uint32(d.OpenReady), d.MeanAgeDays, d.MedianAgeDays,
		uint32(d.OlderThan7d), uint32(d.WaitingOnReviewer), uint32(d.WaitingOnAuthor), d.ReviewerWaitMeanDays)
}

func (s *Store) backlogChangeWriter() *rowWriter {
	return s.rowWriter(`review_backlog_changes_data (generation, source, project, number, owner_person,
		owner_cohort, ready_at, from_at, to_at, ready_at_ns, from_at_ns, to_at_ns)`)
}

// writeBacklogChange writes one row per ready span of a change (see the
// review_backlog_changes view); the age's origin is its ready_at, or its
// first span's start when earlier, as metrics.Backlog takes it. Each
// instant is stored whole: its second and its nanoseconds (subsecond).
func writeBacklogChange(ctx context.Context, w *rowWriter, gen uint64, c collectors.Change, f metrics.Figures, ownerPerson string, spans []metrics.Interval) error {
	if len(spans) == 0 {
		return nil
	}
	ready := f.ReadyAt
	if spans[0].From.Before(ready) {
		ready = spans[0].From
	}
	for _, iv := range spans {
		if err := w.add(ctx, gen, c.Source, c.Project, c.Number, ownerPerson, f.Cohort, ready, iv.From, nullTime(iv.To),
			subsecond(ready), subsecond(iv.From), subsecond(iv.To)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) waitWriter() *rowWriter {
	return s.rowWriter(`reviewer_waits_data (generation, source, project, number, owner_person, owner_cohort,
		owner_is_bot, waiting_since, from_at, to_at, waiting_since_ns, from_at_ns, to_at_ns)`)
}

// writeReviewerWaits writes one row per span during which the change
// waited on a reviewer (docs/definitions.md §19); ownerPerson is the
// people: name its owner maps to, empty for none. Each instant is stored
// whole: its second and its nanoseconds (subsecond).
func writeReviewerWaits(ctx context.Context, w *rowWriter, gen uint64, c collectors.Change, r changeRow, ownerPerson string, turns []metrics.TurnSpan) error {
	for _, t := range turns {
		if t.OnAuthor {
			continue
		}
		if err := w.add(ctx, gen, c.Source, c.Project, c.Number, ownerPerson, r.Cohort, b8(r.isBot),
			t.Since, t.From, nullTime(t.To), subsecond(t.Since), subsecond(t.From), subsecond(t.To)); err != nil {
			return err
		}
	}
	return nil
}

// subsecond is the nanoseconds of t past its second, stored in an X_ns
// column beside the DateTime X (whole seconds, floored), so that
// time.Unix(X, X_ns) gives t back; 0 for the zero time (NULL).
func subsecond(t time.Time) uint32 { return uint32(t.Nanosecond()) }

func (s *Store) newcomerWriter() *rowWriter {
	return s.rowWriter(`newcomers_data (generation, source, person, person_id, first_change_at,
		first_review_at, first_merge_at, time_to_first_review_s, time_to_first_merge_s)`)
}

func writeNewcomer(ctx context.Context, w *rowWriter, gen uint64, p metrics.Newcomer, name string) error {
	return w.add(ctx, gen, p.Source, name, p.Person, p.FirstChangeAt,
		nullTime(p.FirstReviewAt), nullTime(p.FirstMergeAt), p.TimeToFirstReviewS, p.TimeToFirstMergeS)
}

// computeBuilds reads the stored builds job by job in finish order, judges
// each against its job's spike window (metrics.SpikeWindow), and writes
// them to the generation as they come, so memory does not grow with a
// job's history; it returns how many it wrote.
func (s *Store) computeBuilds(ctx context.Context, gen uint64, spike metrics.SpikeConfig) (int, error) {
	// One query sorted by a hash of the job, then by finish, the order the
	// windows need, which the table's key (build_id) does not give: its
	// rows come for as long as judging and writing them takes
	// (docs/reliability.md). ClickHouse sorts a number faster than three
	// strings (the 15M builds of a million changes: 17 s against 25 s to
	// read them all).
	qctx, cancel := longRead(ctx, buildsReadLimit)
	defer cancel()
	rows, err := s.conn.Query(qctx, `SELECT `+buildColumns+`, `+jobGroup+` AS job_group
		FROM raw_builds FINAL ORDER BY job_group, finished_at, build_id`)
	if err != nil {
		return 0, readError("builds", err)
	}
	defer rows.Close()
	w := s.buildWriter()
	defer w.abort()
	// A group's builds are consecutive, in finish order; a group is one
	// job but when two jobs' hashes collide, so each job of the group has
	// its window, and a new group starts afresh.
	var group uint64
	var job [3]string // source, system, job of window
	var window *metrics.SpikeWindow
	windows := map[[3]string]*metrics.SpikeWindow{}
	var g uint64
	sc := newBuildScanner(&g)
	for rows.Next() {
		b, err := sc.scan(rows)
		if err != nil {
			return w.rows(), err
		}
		if g != group || window == nil {
			group, window = g, nil
			clear(windows)
		}
		if k := [3]string{b.Source, b.System, b.Job}; window == nil || k != job {
			if window, job = windows[k], k; window == nil {
				window = metrics.NewSpikeWindow(spike)
				windows[k] = window
			}
		}
		if err := w.add(ctx, gen, b, window.Judge(b)); err != nil {
			return w.rows(), err
		}
	}
	if err := rows.Err(); err != nil {
		return w.rows(), readError("builds", err)
	}
	return w.rows(), w.flush(ctx)
}

// jobGroup is the SQL of the number computeBuilds groups builds by: one
// per job, but for hash collisions (tests set a constant, to make every
// job collide).
var jobGroup = "cityHash64(source, system, job)"

// buildsReadLimit bounds computeBuilds' read of every build: 14.6M builds
// (1,000,000 changes) take minutes.
const buildsReadLimit = time.Hour

// buildColumns are the columns of raw_builds a buildScanner reads.
const buildColumns = `source, system, pipeline, job, build_id, url, project, number,
	patchset, result, voting, started_at, finished_at, duration_s, queued_s`

// buildScanner reads rows of buildColumns, then of more columns, into one
// Build it reuses, so that a row costs no allocation but its values'.
type buildScanner struct {
	b        collectors.Build
	patchset int32
	voting   uint8
	dest     []any
}

// newBuildScanner reads the columns after buildColumns into more, the
// same pointers for every row.
func newBuildScanner(more ...any) *buildScanner {
	sc := &buildScanner{}
	b := &sc.b
	sc.dest = append([]any{&b.Source, &b.System, &b.Pipeline, &b.Job, &b.BuildID, &b.URL, &b.Project,
		&b.Change, &sc.patchset, &b.Result, &sc.voting, &b.Started, &b.Finished, &b.DurationS, &b.QueuedS}, more...)
	return sc
}

// scan reads the current row.
func (sc *buildScanner) scan(rows driver.Rows) (collectors.Build, error) {
	if err := rows.Scan(sc.dest...); err != nil {
		return collectors.Build{}, err
	}
	b := sc.b
	b.Patchset, b.Voting = int(sc.patchset), sc.voting == 1
	b.Started, b.Finished = b.Started.UTC(), b.Finished.UTC()
	return b, nil
}

// buildWriter writes builds with their spike verdicts into builds_data.
// It gathers them column by column and appends a block of writeBlockRows
// at a time: appending a row's values one by one boxed each of them, and
// inspected the nullable ones by reflection (a quarter of the CPU of
// writing the 14.6M builds of a million changes).
type buildWriter struct {
	w                                                            *rowWriter
	gen                                                          []uint64
	source, system, pipeline, job, buildID, url, project, result []string
	number                                                       []int64
	patchset                                                     []int32
	voting, spike                                                []uint8
	started, finished                                            []time.Time
	duration                                                     []int64
	queued, baseline                                             []*int64
}

func (s *Store) buildWriter() *buildWriter {
	return &buildWriter{w: s.rowWriter(`builds_data (generation, source, system, pipeline, job, build_id, url,
		project, number, patchset, result, voting, started_at, finished_at, duration_s, queued_s, is_spike,
		baseline_s)`)}
}

// add writes a build with its spike verdict.
func (bw *buildWriter) add(ctx context.Context, gen uint64, b collectors.Build, sp metrics.Spike) error {
	bw.gen = append(bw.gen, gen)
	bw.source = append(bw.source, b.Source)
	bw.system = append(bw.system, b.System)
	bw.pipeline = append(bw.pipeline, b.Pipeline)
	bw.job = append(bw.job, b.Job)
	bw.buildID = append(bw.buildID, b.BuildID)
	bw.url = append(bw.url, b.URL)
	bw.project = append(bw.project, b.Project)
	bw.number = append(bw.number, b.Change)
	bw.patchset = append(bw.patchset, int32(b.Patchset))
	bw.result = append(bw.result, b.Result)
	bw.voting = append(bw.voting, b8(b.Voting))
	bw.started = append(bw.started, b.Started)
	bw.finished = append(bw.finished, b.Finished)
	bw.duration = append(bw.duration, b.DurationS)
	bw.queued = append(bw.queued, b.QueuedS)
	bw.spike = append(bw.spike, b8(sp.IsSpike))
	bw.baseline = append(bw.baseline, sp.MedianS)
	if len(bw.gen) < writeBlockRows {
		return nil
	}
	return bw.send(ctx)
}

// send appends the gathered builds to the insert as a block.
func (bw *buildWriter) send(ctx context.Context) error {
	if len(bw.gen) == 0 {
		return nil
	}
	err := bw.w.addColumns(ctx, len(bw.gen), bw.gen, bw.source, bw.system, bw.pipeline, bw.job, bw.buildID,
		bw.url, bw.project, bw.number, bw.patchset, bw.result, bw.voting, bw.started, bw.finished, bw.duration,
		bw.queued, bw.spike, bw.baseline)
	bw.gen, bw.source, bw.system, bw.pipeline = bw.gen[:0], bw.source[:0], bw.system[:0], bw.pipeline[:0]
	bw.job, bw.buildID, bw.url, bw.project = bw.job[:0], bw.buildID[:0], bw.url[:0], bw.project[:0]
	bw.number, bw.patchset, bw.result, bw.voting = bw.number[:0], bw.patchset[:0], bw.result[:0], bw.voting[:0]
	bw.started, bw.finished, bw.duration = bw.started[:0], bw.finished[:0], bw.duration[:0]
	bw.queued, bw.spike, bw.baseline = bw.queued[:0], bw.spike[:0], bw.baseline[:0]
	return err
}

// flush sends what is gathered and ends the insert.
func (bw *buildWriter) flush(ctx context.Context) error {
	if err := bw.send(ctx); err != nil {
		return err
	}
	return bw.w.flush()
}

// abort drops the builds not sent yet (see rowWriter.abort).
func (bw *buildWriter) abort() { bw.w.abort() }

// rows is how many builds were added.
func (bw *buildWriter) rows() int { return bw.w.rows + len(bw.gen) }
