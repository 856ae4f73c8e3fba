package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/collectors"
)

// Write stores a batch of changes (with their revisions, messages and
// votes) and builds. Rows are keyed so that writing the same batch again
// replaces rather than adds.
func (s *Store) Write(ctx context.Context, b collectors.Batch) error {
	b, err := s.unstored(ctx, b)
	if err != nil {
		return err
	}
	return writeBatch(ctx, s.insert, b)
}

// inserter fills one insert into a table: Store.insert stores it at once,
// a Stream's adds a block to its open insert.
type inserter func(ctx context.Context, tableAndColumns string, fill func(driver.Batch) error) error

func writeBatch(ctx context.Context, insert inserter, b collectors.Batch) error {
	if err := writeRecords(ctx, insert, b); err != nil {
		return err
	}
	return writeChangeRows(ctx, insert, b.Changes)
}

// writeRecords stores a batch but its change rows: the changes'
// revisions, messages and votes, and the builds. A change's row goes
// last (writeChangeRows): compute reads changes and then their rows, and
// a change whose row is stored is not collected again (unstored), so a
// crash half-way leaves nothing visible half-written.
func writeRecords(ctx context.Context, insert inserter, b collectors.Batch) error {
	if err := storable(b); err != nil {
		return err
	}
	if len(b.Changes) > 0 {
		if err := writeChildren(ctx, insert, b.Changes); err != nil {
			return err
		}
	}
	if len(b.Builds) > 0 {
		if err := writeBuilds(ctx, insert, b.Builds); err != nil {
			return err
		}
	}
	return nil
}

// writeChildren stores the changes' revisions, messages and votes.
func writeChildren(ctx context.Context, insert inserter, changes []collectors.Change) error {
	err := insert(ctx, `raw_revisions (source, project, number, revision, created_at,
		uploader_id, uploader_name, uploader_username, uploader_email, uploader_service, kind, commit, version)`,
		func(bt driver.Batch) error {
			for _, c := range changes {
				for _, r := range c.Revisions {
					u := r.Uploader
					if err := bt.Append(c.Source, c.Project, c.Number, int32(r.Number), r.Created,
						u.ID, u.Name, u.Username, u.Email, b8(u.Service), r.Kind, r.Commit, version(c)); err != nil {
						return err
					}
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("store revisions: %w", err)
	}
	err = insert(ctx, `raw_messages (source, project, number, message_id, seq,
		author_id, author_name, author_username, author_email, author_service,
		at, at_ns, tag, text, revision, version)`,
		func(bt driver.Batch) error {
			for _, c := range changes {
				for i, m := range c.Messages {
					a := m.Author
					if err := bt.Append(c.Source, c.Project, c.Number, m.ID, uint32(i),
						a.ID, a.Name, a.Username, a.Email, b8(a.Service),
						m.Date, uint32(m.Date.Nanosecond()), m.Tag, m.Text, int32(m.Revision), version(c)); err != nil {
						return err
					}
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("store messages: %w", err)
	}
	err = insert(ctx, `raw_votes (source, project, number, label, account_id, account_name,
		account_username, account_email, account_service, value, at, version)`,
		func(bt driver.Batch) error {
			for _, c := range changes {
				for _, v := range c.Votes {
					a := v.Account
					if err := bt.Append(c.Source, c.Project, c.Number, v.Label, a.ID, a.Name,
						a.Username, a.Email, b8(a.Service), int32(v.Value), nullTime(v.Date), version(c)); err != nil {
						return err
					}
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("store votes: %w", err)
	}
	return nil
}

// writeChangeRows stores the changes' own rows, stamped with the time
// they are stored (collected_at).
func writeChangeRows(ctx context.Context, insert inserter, changes []collectors.Change) error {
	if len(changes) == 0 {
		return nil
	}
	now := time.Now().UTC()
	err := insert(ctx, `raw_changes (source, project, branch, number, change_id, url, subject,
		owner_id, owner_name, owner_username, owner_email, owner_service, status, is_wip,
		created_at, updated_at, merged_at, insertions, deletions, author_date, version, collected_at)`,
		func(bt driver.Batch) error {
			for _, c := range changes {
				o := c.Owner
				if err := bt.Append(c.Source, c.Project, c.Branch, c.Number, c.ChangeID, c.URL, c.Subject,
					o.ID, o.Name, o.Username, o.Email, b8(o.Service), c.Status, b8(c.WIP),
					c.Created, c.Updated, nullTime(c.Merged), c.Insertions, c.Deletions,
					nullTime(c.AuthorDate), version(c), now); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("store changes: %w", err)
	}
	return nil
}

func writeBuilds(ctx context.Context, insert inserter, builds []collectors.Build) error {
	v := uint64(time.Now().UnixNano())
	err := insert(ctx, `raw_builds (source, system, pipeline, job, build_id, url, project, number,
		patchset, commit, result, voting, started_at, finished_at, duration_s, queued_s, version)`,
		func(bt driver.Batch) error {
			for _, b := range builds {
				if err := bt.Append(b.Source, b.System, b.Pipeline, b.Job, b.BuildID, b.URL, b.Project,
					b.Change, int32(b.Patchset), b.Commit, b.Result, b8(b.Voting), b.Started, b.Finished,
					b.DurationS, b.QueuedS, v); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("store builds: %w", err)
	}
	return nil
}

// storable refuses a batch holding a time ClickHouse's DateTime cannot
// hold (or a required time the source did not send): stored, it would
// become another date without a word. Collectors skip such records first;
// this is the last guard.
func storable(b collectors.Batch) error {
	check := func(what, field string, t time.Time, required bool) error {
		if t.IsZero() && required {
			return fmt.Errorf("%s: %s is missing", what, field)
		}
		if err := collectors.CheckTime(field, t); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	for _, c := range b.Changes {
		if changeStorable(c) {
			continue
		}
		what := fmt.Sprintf("change %d of %s in %s", c.Number, c.Project, c.Source)
		errs := []error{check(what, "created", c.Created, true), check(what, "updated", c.Updated, true),
			check(what, "merged", c.Merged, false), check(what, "author date", c.AuthorDate, false)}
		for _, r := range c.Revisions {
			errs = append(errs, check(what, fmt.Sprintf("patch set %d created", r.Number), r.Created, true))
		}
		for _, m := range c.Messages {
			errs = append(errs, check(what, "message "+m.ID+" date", m.Date, true))
		}
		for _, v := range c.Votes {
			errs = append(errs, check(what, "vote date", v.Date, false))
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("not stored: %w", err)
		}
	}
	for _, bd := range b.Builds {
		if timeStorable(bd.Started, true) && timeStorable(bd.Finished, true) {
			continue
		}
		what := fmt.Sprintf("build %s of %s in %s", bd.BuildID, bd.Job, bd.Source)
		if err := errors.Join(check(what, "started", bd.Started, true), check(what, "finished", bd.Finished, true)); err != nil {
			return fmt.Errorf("not stored: %w", err)
		}
	}
	return nil
}

// changeStorable tells, without building any message, that storable
// finds nothing wrong with c: the messages of a refused change are built
// only for the few changes that have one (at 200,000 changes, formatting
// them for every change cost 3% of a collection's CPU).
func changeStorable(c collectors.Change) bool {
	ok := timeStorable(c.Created, true) && timeStorable(c.Updated, true) &&
		timeStorable(c.Merged, false) && timeStorable(c.AuthorDate, false)
	for _, r := range c.Revisions {
		ok = ok && timeStorable(r.Created, true)
	}
	for _, m := range c.Messages {
		ok = ok && timeStorable(m.Date, true)
	}
	for _, v := range c.Votes {
		ok = ok && timeStorable(v.Date, false)
	}
	return ok
}

// timeStorable is storable's check of one time, true when it passes.
func timeStorable(t time.Time, required bool) bool {
	if t.IsZero() {
		return !required
	}
	return collectors.CheckTime("", t) == nil
}

// version orders the stored states of one change: its update time.
func version(c collectors.Change) uint64 { return uint64(c.Updated.UnixNano()) }

func b8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// SaveCursor records that source is stored up to at.
func (s *Store) SaveCursor(ctx context.Context, source string, at time.Time) error {
	err := s.insert(ctx, "cursors (source, cursor, version)", func(b driver.Batch) error {
		return b.Append(source, at.UTC(), uint64(time.Now().UnixNano()))
	})
	if err != nil {
		return fmt.Errorf("save cursor of %s: %w", source, err)
	}
	return nil
}

// Cursor returns where source's next incremental collection starts; ok is
// false when the source was never collected.
func (s *Store) Cursor(ctx context.Context, source string) (at time.Time, ok bool, err error) {
	rows, err := s.conn.Query(ctx, "SELECT cursor FROM cursors FINAL WHERE source = ?", source)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read cursor of %s: %w", source, err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&at); err != nil {
			return time.Time{}, false, err
		}
		return at.UTC(), true, nil
	}
	return time.Time{}, false, rows.Err()
}

// Run is one collector run as collector_runs shows it, with the process
// that runs it.
type Run struct {
	ID       string
	Source   string
	Started  time.Time
	Finished time.Time // zero while running
	Status   string    // one of the Run* statuses
	Items    int
	Requests int
	Skipped  int
	Error    string
	// Host and PID name the codepace process that runs it.
	Host string
	PID  int
}

// The statuses of a collector run (sql/README.md, collector_runs).
const (
	RunRunning = "running"
	RunOK      = "ok"
	RunFailed  = "failed"
	// RunInterrupted is a run stopped by a signal (SIGTERM, SIGINT,
	// SIGHUP) or whose process died: what it stored is kept, its cursor
	// is where its last stored page put it.
	RunInterrupted = "interrupted"
)

// RecordRun writes the current state of a collector run.
func (s *Store) RecordRun(ctx context.Context, r Run) error {
	err := s.insert(ctx, `collector_runs_log (run_id, source, started_at, finished_at, status,
		items, requests, skipped, error, host, pid, version)`, func(b driver.Batch) error {
		return b.Append(r.ID, r.Source, r.Started.UTC(), nullTime(r.Finished), r.Status,
			uint64(r.Items), uint64(r.Requests), uint64(r.Skipped), r.Error, r.Host, uint32(r.PID),
			uint64(time.Now().UnixNano()))
	})
	if err != nil {
		return fmt.Errorf("record run of %s: %w", r.Source, err)
	}
	return nil
}

// RunningOn returns the runs whose latest state is running and that a
// process on host wrote.
func (s *Store) RunningOn(ctx context.Context, host string) ([]Run, error) {
	// argMax rather than FINAL with a WHERE on status, which a server may
	// apply before it collapses the versions. Every state of a run has the
	// host of the process that started it.
	rows, err := s.conn.Query(ctx, `SELECT run_id, source, min(started_at), argMax(items, version),
			argMax(requests, version), argMax(skipped, version), argMax(pid, version)
		FROM collector_runs_log WHERE host = ?
		GROUP BY source, run_id
		HAVING argMax(status, version) = ?`, host, RunRunning)
	if err != nil {
		return nil, fmt.Errorf("read running collector runs: %w", err)
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r := Run{Status: RunRunning, Host: host}
		var items, requests, skipped uint64
		var pid uint32
		if err := rows.Scan(&r.ID, &r.Source, &r.Started, &items, &requests, &skipped, &pid); err != nil {
			return nil, err
		}
		r.Started = r.Started.UTC()
		r.Items, r.Requests, r.Skipped, r.PID = int(items), int(requests), int(skipped), int(pid)
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// LastSuccess returns when source last finished a successful collector
// run; zero when it never did.
func (s *Store) LastSuccess(ctx context.Context, source string) (time.Time, error) {
	var at *time.Time
	err := s.conn.QueryRow(ctx, `SELECT max(finished_at) FROM collector_runs WHERE source = ? AND status = ?`, source, RunOK).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("last successful run of %s: %w", source, err)
	}
	if at == nil || at.Unix() <= 0 {
		return time.Time{}, nil
	}
	return at.UTC(), nil
}
