package store

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/metrics"
)

// chunkWriter buffers derived change rows and review actions of one
// generation and sends them in bounded batches.
type chunkWriter struct {
	s       *Store
	gen     uint64
	changes []changeRow
	acts    []metrics.ReviewAction
	actions int
}

type changeRow struct {
	c     collectors.Change
	f     metrics.Figures
	isBot bool
}

func newChunkWriter(s *Store, gen uint64) *chunkWriter { return &chunkWriter{s: s, gen: gen} }

func (w *chunkWriter) change(ctx context.Context, c collectors.Change, f metrics.Figures, isBot bool) error {
	// Keep the change's scalar fields only; its timeline is done with.
	c.Revisions, c.Messages, c.Votes = nil, nil, nil
	w.changes = append(w.changes, changeRow{c, f, isBot})
	if len(w.changes) >= writeBatchRows {
		return w.flushChanges(ctx)
	}
	return nil
}

func (w *chunkWriter) action(ctx context.Context, a metrics.ReviewAction) error {
	w.acts = append(w.acts, a)
	w.actions++
	if len(w.acts) >= writeBatchRows {
		return w.flushActions(ctx)
	}
	return nil
}

func (w *chunkWriter) flush(ctx context.Context) error {
	if err := w.flushChanges(ctx); err != nil {
		return err
	}
	return w.flushActions(ctx)
}

func (w *chunkWriter) flushChanges(ctx context.Context) error {
	err := w.s.insert(ctx, `change_metrics_data (generation, source, project, branch, number, url, subject,
		owner, owner_id, owner_is_bot, status, is_wip, created_at, updated_at, ready_at, first_review_at,
		merged_at, closed_at, time_to_first_review_s, time_to_merge_s, cycle_time_s, patchsets,
		review_rounds, insertions, deletions, owner_cohort)`, func(b driver.Batch) error {
		for _, r := range w.changes {
			c, f := r.c, r.f
			if err := b.Append(w.gen, c.Source, c.Project, c.Branch, c.Number, c.URL, c.Subject,
				person(c.Owner), c.Owner.ID, b8(r.isBot), c.Status, b8(c.WIP), c.Created, c.Updated,
				nullTime(f.ReadyAt), nullTime(f.FirstReviewAt), nullTime(f.MergedAt), nullTime(f.ClosedAt),
				f.TimeToFirstReviewS, f.TimeToMergeS, f.CycleTimeS, int32(f.Patchsets), int32(f.ReviewRounds),
				c.Insertions, c.Deletions, f.Cohort); err != nil {
				return err
			}
		}
		return nil
	})
	w.changes = w.changes[:0]
	return err
}

func (w *chunkWriter) flushActions(ctx context.Context) error {
	err := w.s.insert(ctx, `review_actions_data (generation, source, project, number, message_id, at,
		actor, actor_id, kind, value)`, func(b driver.Batch) error {
		for _, a := range w.acts {
			if err := b.Append(w.gen, a.Source, a.Project, a.Number, a.MessageID, a.At,
				person(a.Actor), a.Actor.ID, a.Kind, a.Value); err != nil {
				return err
			}
		}
		return nil
	})
	w.acts = w.acts[:0]
	return err
}

// judgedBuild is a build with its spike verdict, waiting to be written.
type judgedBuild struct {
	b     collectors.Build
	spike metrics.Spike
}

// computeBuilds reads the stored builds job by job in finish order, judges
// each against its job's spike window (metrics.SpikeWindow), and writes
// them to the generation in bounded batches, so memory does not grow with
// a job's history; it returns how many it wrote.
func (s *Store) computeBuilds(ctx context.Context, gen uint64, spike metrics.SpikeConfig) (int, error) {
	rows, err := s.conn.Query(streaming(ctx), `SELECT source, system, pipeline, job, build_id, url, project, number,
		patchset, result, voting, started_at, finished_at, duration_s, queued_s
		FROM raw_builds FINAL ORDER BY source, system, job, finished_at, build_id`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var batch []judgedBuild
	total := 0
	flush := func() error {
		err := s.insert(ctx, `builds_data (generation, source, system, pipeline, job, build_id, url,
			project, number, patchset, result, voting, started_at, finished_at, duration_s, queued_s, is_spike,
			baseline_s)`,
			func(bt driver.Batch) error {
				for i := range batch {
					b, sp := &batch[i].b, batch[i].spike
					if err := bt.Append(gen, b.Source, b.System, b.Pipeline, b.Job, b.BuildID, b.URL,
						b.Project, b.Change, int32(b.Patchset), b.Result, b8(b.Voting), b.Started, b.Finished,
						&b.DurationS, b.QueuedS, b8(sp.IsSpike), sp.MedianS); err != nil {
						return err
					}
				}
				return nil
			})
		total += len(batch)
		batch = batch[:0]
		return err
	}
	var window *metrics.SpikeWindow
	var job [3]string // source, system, job of the window
	for rows.Next() {
		var b collectors.Build
		var patchset int32
		var voting uint8
		if err := rows.Scan(&b.Source, &b.System, &b.Pipeline, &b.Job, &b.BuildID, &b.URL, &b.Project,
			&b.Change, &patchset, &b.Result, &voting, &b.Started, &b.Finished, &b.DurationS, &b.QueuedS); err != nil {
			return total, err
		}
		b.Patchset, b.Voting = int(patchset), voting == 1
		b.Started, b.Finished = b.Started.UTC(), b.Finished.UTC()
		// A job's builds are consecutive: a new job starts a new window.
		if k := [3]string{b.Source, b.System, b.Job}; window == nil || k != job {
			window, job = metrics.NewSpikeWindow(spike), k
		}
		batch = append(batch, judgedBuild{b, window.Judge(b)})
		if len(batch) >= writeBatchRows {
			if err := flush(); err != nil {
				return total, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return total, err
	}
	if len(batch) == 0 {
		return total, nil
	}
	return total, flush()
}

// insertChunks inserts rows into table (with its column list) in batches
// of at most writeBatchRows; row appends one row to a batch.
func insertChunks[T any](ctx context.Context, s *Store, tableAndColumns string, rows []T, row func(driver.Batch, T) error) error {
	for start := 0; start < len(rows); start += writeBatchRows {
		chunk := rows[start:min(start+writeBatchRows, len(rows))]
		err := s.insert(ctx, tableAndColumns, func(b driver.Batch) error {
			for _, r := range chunk {
				if err := row(b, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) writeBacklog(ctx context.Context, gen uint64, days []metrics.BacklogDay) error {
	return insertChunks(ctx, s, `review_backlog_daily_data (generation, day, source, project, open_ready,
		mean_age_days, median_age_days, older_than_7d)`, days, func(b driver.Batch, d metrics.BacklogDay) error {
		return b.Append(gen, d.Day, d.Source, d.Project, uint32(d.OpenReady),
			d.MeanAgeDays, d.MedianAgeDays, uint32(d.OlderThan7d))
	})
}

func (s *Store) writeNewcomers(ctx context.Context, gen uint64, people []metrics.Newcomer, names map[[2]string]string) error {
	return insertChunks(ctx, s, `newcomers_data (generation, source, person, person_id, first_change_at,
		first_review_at, first_merge_at, time_to_first_review_s, time_to_first_merge_s)`, people, func(b driver.Batch, p metrics.Newcomer) error {
		return b.Append(gen, p.Source, names[[2]string{p.Source, p.Person}], p.Person, p.FirstChangeAt,
			nullTime(p.FirstReviewAt), nullTime(p.FirstMergeAt), p.TimeToFirstReviewS, p.TimeToFirstMergeS)
	})
}
