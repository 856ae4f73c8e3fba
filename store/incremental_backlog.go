package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/metrics"
)

// backlogUpdate is the review backlog an incremental compute writes: for
// each project whose rows may change, the instant from which they may
// (From), and the new rows of the days ending at or after it (Days). The
// rows of a project's days from metrics.BacklogFirstDay(From) on, in
// earlier generations, are replaced by Days: a day there with no row in
// Days has none any more.
type backlogUpdate struct {
	From map[[2]string]time.Time
	Days []metrics.BacklogDay
}

// incrementalBacklog recomputes the review backlog after the changes in
// fresh were computed again (fresh holds each one's new backlog item, the
// zero item for a change that has none now), taking the backlog at now.
// A project's rows may change from the first instant a touched change's
// backlog differs from what the views hold of it
// (metrics.BacklogChangedAt), and, for every project, from the start of
// the views' last day, whose rows the latest compute took at its instant
// (or from since, when earlier), to the day of now. Its items are the fresh ones
// and those the views hold of the other changes not ended before that
// instant (storedBacklogItems); see metrics.BacklogBuilder.DaysFrom.
func (s *Store) incrementalBacklog(ctx context.Context, fresh map[changeKey]metrics.BacklogItem, since, now time.Time) (backlogUpdate, error) {
	up := backlogUpdate{From: map[[2]string]time.Time{}}
	lower := func(p [2]string, at time.Time) {
		if f, ok := up.From[p]; !ok || at.Before(f) {
			up.From[p] = at
		}
	}
	starts, err := s.backlogStarts(ctx)
	if err != nil {
		return up, err
	}
	// The last day's rows were taken at the latest compute's instant, on
	// the day of the views' last row: from then on every row is new.
	var last time.Time
	// The newest live generation's rows, which no mask hides, hold it.
	if err := s.conn.QueryRow(ctx, s.local(`SELECT max(day) FROM review_backlog_daily_data
		WHERE generation GLOBAL IN (SELECT generation FROM live_generations)`)).Scan(&last); err != nil {
		return up, err
	}
	if last = last.UTC(); last.Unix() > 0 && last.Before(since) {
		since = last.Add(time.Nanosecond)
	}
	for p := range starts {
		lower(p, since)
	}
	touched, err := keysTable(fresh)
	if err != nil {
		return up, err
	}
	old, err := s.storedBacklogItems(clickhouse.Context(ctx, clickhouse.WithExternalTable(touched)),
		`(source, project, number) GLOBAL IN (SELECT source, project, number FROM touched)`)
	if err != nil {
		return up, err
	}
	for k, it := range fresh {
		if at, ok := metrics.BacklogChangedAt(old[k], it); ok {
			lower([2]string{k.source, k.project}, at)
		}
	}
	return up, s.backlogDays(ctx, &up, fresh, starts, since, now)
}

// backlogDays sets up.Days: each project's days from up.From[p] to now,
// from the items of its fresh changes and of its untouched ones, a
// project at a time; starts are the projects' earliest ready starts.
func (s *Store) backlogDays(ctx context.Context, up *backlogUpdate, fresh map[changeKey]metrics.BacklogItem, starts map[[2]string]time.Time, since, now time.Time) error {
	freshOf := map[[2]string][]metrics.BacklogItem{}
	for k, it := range fresh {
		p := [2]string{k.source, k.project}
		freshOf[p] = append(freshOf[p], it)
	}
	projects := make([][2]string, 0, len(up.From))
	for p := range up.From {
		projects = append(projects, p)
	}
	slices.SortFunc(projects, compareProjects)
	// Each project's days from its items: those of the untouched changes
	// come a project at a time, in the same order.
	var b metrics.BacklogBuilder
	days := func(p [2]string, untouched map[changeKey]metrics.BacklogItem) {
		from := up.From[p]
		if start, ok := starts[p]; ok && start.Before(from) {
			b.AddStart(p[0], p[1], start)
		}
		for _, it := range untouched { // the query left the fresh ones out
			b.Add(it)
		}
		for _, it := range freshOf[p] {
			b.Add(it)
		}
		up.Days = append(up.Days, b.DaysFrom(from, now)...)
	}
	err := s.eachUntouchedProject(ctx, fresh, up.From, since, func(p [2]string, untouched map[changeKey]metrics.BacklogItem) error {
		for len(projects) > 0 && compareProjects(projects[0], p) < 0 {
			days(projects[0], nil) // no untouched change there
			projects = projects[1:]
		}
		if len(projects) > 0 && projects[0] == p {
			days(p, untouched)
			projects = projects[1:]
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range projects {
		days(p, nil)
	}
	return nil
}

// compareProjects orders (source, project) pairs.
func compareProjects(a, b [2]string) int {
	return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
}

// eachUntouchedProject calls f, in the order of compareProjects, with
// the items the views hold of a project's changes not in fresh that have
// a span or reviewer wait not ended before the instant from which their
// project's rows are recomputed (items may hold more), a project at a
// time: at a million changes, holding every project's (the open changes)
// made an incremental compute that touched nothing hold 80 MB. Spans
// ended before since are read only for the projects recomputed from
// earlier on.
func (s *Store) eachUntouchedProject(ctx context.Context, fresh map[changeKey]metrics.BacklogItem, from map[[2]string]time.Time, since time.Time, f func(p [2]string, items map[changeKey]metrics.BacklogItem) error) error {
	touched, err := keysTable(fresh)
	if err != nil {
		return err
	}
	early, err := ext.NewTable("early", ext.Column("source", "String"), ext.Column("project", "String"))
	if err != nil {
		return err
	}
	earliest := since
	for p, f := range from {
		if f.Before(since) {
			if err := early.Append(p[0], p[1]); err != nil {
				return err
			}
			if f.Before(earliest) {
				earliest = f
			}
		}
	}
	// The spans ended before earliest are left out first, by their to_at
	// alone: the others hold most of the tables and all of the keys.
	return s.eachBacklogProject(clickhouse.Context(ctx, clickhouse.WithExternalTable(touched, early)),
		s.prewhere(`to_at IS NULL OR to_at >= toDateTime(?)`, `(source, project, number) GLOBAL NOT IN (SELECT source, project, number FROM touched)
		AND (to_at IS NULL OR to_at >= toDateTime(?) OR (to_at >= toDateTime(?) AND (source, project) GLOBAL IN (SELECT source, project FROM early)))`),
		[]any{earliest.Unix(), since.Unix(), earliest.Unix()}, f)
}

// backlogStarts returns, per source and project, the earliest start of a
// ready span the review_backlog_changes view holds, in whole seconds: only
// its UTC day counts (metrics.BacklogBuilder.AddStart), which the second
// gives.
func (s *Store) backlogStarts(ctx context.Context) (map[[2]string]time.Time, error) {
	rows, err := s.conn.Query(ctx, s.local(`SELECT source, project, min(from_at) FROM review_backlog_changes_data
		WHERE `+liveChangeRows+` GROUP BY source, project`))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[[2]string]time.Time{}
	for rows.Next() {
		var p [2]string
		var at time.Time
		if err := rows.Scan(&p[0], &p[1], &at); err != nil {
			return nil, err
		}
		out[p] = at.UTC()
	}
	return out, rows.Err()
}

// liveChangeRows is the condition of the views over the tables of a
// change (sql/README.md, section 1): the rows of the live generations
// that no live mask hides.
const liveChangeRows = `generation GLOBAL IN (SELECT generation FROM live_generations)
	AND (unit, generation) GLOBAL NOT IN
	    (SELECT unit, hidden FROM change_masks
	     WHERE generation GLOBAL IN (SELECT generation FROM live_generations))`

// storedBacklogItems rebuilds, from the rows the review_backlog_changes
// and reviewer_waits views show, the backlog items of the changes with a
// row that meets the condition where (on columns source, project, number,
// from_at and to_at; args are its parameters), from those rows only:
// ReadyAt is the stored ready_at, Intervals the ready spans, Turns the
// waits on a reviewer. It reads the views' tables, whose X_ns columns
// give the instants to the nanosecond, as a full compute takes them
// (rows written before migration 014 have 0 there: whole seconds). The
// waits on the author are not needed: metrics.Backlog counts a change
// open and ready that no reviewer span covers as waiting on its author.
func (s *Store) storedBacklogItems(ctx context.Context, where string, args ...any) (map[changeKey]metrics.BacklogItem, error) {
	return s.backlogItemsWhere(ctx, " WHERE "+liveChangeRows+" AND ("+where+")", args...)
}

// prewhere returns the clauses that keep the rows meeting pre and where
// of the visible rows of a change table (liveChangeRows): on one server
// pre is a PREWHERE, whose columns ClickHouse reads first and the others
// only in the granules that meet it; on a cluster, whose Distributed
// tables ClickHouse 18.16 reads with no PREWHERE, it joins the WHERE.
func (s *Store) prewhere(pre, where string) string {
	if s.cluster != "" {
		return " WHERE (" + pre + ") AND " + liveChangeRows + " AND (" + where + ")"
	}
	return " PREWHERE " + pre + " WHERE " + liveChangeRows + " AND (" + where + ")"
}

// backlogItemsWhere is storedBacklogItems with the clauses (WHERE and
// maybe PREWHERE) given whole.
func (s *Store) backlogItemsWhere(ctx context.Context, clauses string, args ...any) (map[changeKey]metrics.BacklogItem, error) {
	out := map[changeKey]metrics.BacklogItem{}
	err := s.eachBacklogProject(ctx, clauses, args, func(_ [2]string, items map[changeKey]metrics.BacklogItem) error {
		maps.Copy(out, items)
		return nil
	})
	return out, err
}

// eachBacklogProject calls f, in the order of compareProjects, with the
// backlog items (as storedBacklogItems rebuilds them) of each project's
// changes that have a row meeting clauses (WHERE and maybe PREWHERE),
// from those rows: both tables are read sorted by change, side by side.
func (s *Store) eachBacklogProject(ctx context.Context, clauses string, args []any, f func(p [2]string, items map[changeKey]metrics.BacklogItem) error) error {
	spans, err := s.openInstants(ctx, `SELECT source, project, number, ready_at, ready_at_ns, from_at, from_at_ns, to_at, to_at_ns
		FROM review_backlog_changes_data`+clauses+`
		ORDER BY source, project, number, from_at, from_at_ns`, args)
	if err != nil {
		return err
	}
	defer spans.rows.Close()
	waits, err := s.openInstants(ctx, `SELECT source, project, number, waiting_since, waiting_since_ns, from_at, from_at_ns, to_at, to_at_ns
		FROM reviewer_waits_data`+clauses+`
		ORDER BY source, project, number, from_at, from_at_ns`, args)
	if err != nil {
		return err
	}
	defer waits.rows.Close()
	var last *[2]string
	for spans.ok || waits.ok {
		p := spans.project()
		if !spans.ok || (waits.ok && compareProjects(waits.project(), p) < 0) {
			p = waits.project()
		}
		if last != nil && compareProjects(*last, p) >= 0 { // the days would go wrong
			return fmt.Errorf("backlog rows sorted %s/%s before %s/%s", last[0], last[1], p[0], p[1])
		}
		last = &p
		items := map[changeKey]metrics.BacklogItem{}
		item := func(k changeKey) metrics.BacklogItem {
			it, ok := items[k]
			if !ok {
				it = metrics.BacklogItem{Source: k.source, Project: k.project}
			}
			return it
		}
		for ; spans.ok && spans.project() == p; spans.next() {
			it := item(spans.k)
			it.ReadyAt = spans.a
			it.Intervals = append(it.Intervals, metrics.Interval{From: spans.b, To: derefTime(spans.c)})
			items[spans.k] = it
		}
		for ; waits.ok && waits.project() == p; waits.next() {
			it := item(waits.k)
			it.Turns = append(it.Turns, metrics.TurnSpan{Interval: metrics.Interval{From: waits.b, To: derefTime(waits.c)}, Since: waits.a})
			items[waits.k] = it
		}
		if spans.err != nil || waits.err != nil {
			return cmp.Or(spans.err, waits.err)
		}
		if err := f(p, items); err != nil {
			return err
		}
	}
	return cmp.Or(spans.err, waits.err)
}

// instants reads, row by row, a query of a change key and three
// instants, each a DateTime and its nanoseconds (subsecond; the third
// DateTime nullable): ok tells whether it holds a row (k, a, b, c, the
// instants whole), err why not when the rows ended on an error.
type instants struct {
	rows driver.Rows
	ok   bool
	err  error
	k    changeKey
	a, b time.Time
	c    *time.Time
}

// openInstants runs query and reads its first row.
func (s *Store) openInstants(ctx context.Context, query string, args []any) (*instants, error) {
	rows, err := s.conn.Query(streaming(ctx), s.local(query), args...)
	if err != nil {
		return nil, err
	}
	r := &instants{rows: rows}
	r.next()
	return r, nil
}

// next reads the next row.
func (r *instants) next() {
	if r.ok = r.rows.Next(); !r.ok {
		r.err = r.rows.Err()
		return
	}
	var an, bn, cn uint32
	r.c = nil
	if r.err = r.rows.Scan(&r.k.source, &r.k.project, &r.k.number, &r.a, &an, &r.b, &bn, &r.c, &cn); r.err != nil {
		r.ok = false
		return
	}
	if r.c != nil {
		u := withSubsecond(*r.c, cn)
		r.c = &u
	}
	r.a, r.b = withSubsecond(r.a, an), withSubsecond(r.b, bn)
}

// project is the source and project of the row r holds.
func (r *instants) project() [2]string { return [2]string{r.k.source, r.k.project} }

// withSubsecond is the instant of a DateTime t (whole seconds) and its
// nanoseconds ns (subsecond), in UTC.
func withSubsecond(t time.Time, ns uint32) time.Time {
	return time.Unix(t.Unix(), int64(ns)).UTC()
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// writeBacklogDayMasks writes, for generation gen layered on base, the
// masks of the backlog days an update replaces (each project of from, its
// days from metrics.BacklogFirstDay(from) on): one row per day the views
// show, naming the generation that holds it. Older rows of a day are
// masked already, by the masks that made that one visible, so the masks
// grow with the days replaced, not with the layers. It returns how many
// it wrote.
func (s *Store) writeBacklogDayMasks(ctx context.Context, base, gen uint64, from map[[2]string]time.Time) (int, error) {
	if len(from) == 0 {
		return 0, nil
	}
	projects, err := ext.NewTable("projects", ext.Column("source", "String"), ext.Column("project", "String"))
	if err != nil {
		return 0, err
	}
	var earliest time.Time
	for p, at := range from {
		if err := projects.Append(p[0], p[1]); err != nil {
			return 0, err
		}
		if d := metrics.BacklogFirstDay(at); earliest.IsZero() || d.Before(earliest) {
			earliest = d
		}
	}
	// The days replaced are the last of each project's: read by day first
	// (PREWHERE, on one server), they are a few granules of the table.
	first := earliest.Format(time.DateOnly)
	recent, args := "", []any{first}
	if s.cluster == "" {
		recent, args = " PREWHERE day >= toDate(?)", []any{first, first}
	}
	rows, err := s.conn.Query(clickhouse.Context(streaming(ctx), clickhouse.WithExternalTable(projects)),
		s.local(`SELECT source, project, day, generation FROM review_backlog_daily_data`+recent+`
		WHERE generation GLOBAL IN (SELECT generation FROM live_generations)
		  AND (unit, generation) GLOBAL NOT IN
		      (SELECT unit, hidden FROM backlog_day_masks
		       WHERE generation GLOBAL IN (SELECT generation FROM live_generations))
		  AND (source, project) GLOBAL IN (SELECT source, project FROM projects)
		  AND day >= toDate(?)`), args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	w := s.rowWriter("backlog_day_masks (base, generation, hidden, source, project, day)")
	defer w.abort()
	for rows.Next() {
		var p [2]string
		var day time.Time
		var hidden uint64
		if err := rows.Scan(&p[0], &p[1], &day, &hidden); err != nil {
			return w.rows, err
		}
		day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
		if day.Before(metrics.BacklogFirstDay(from[p])) {
			continue
		}
		if err := w.add(ctx, base, gen, hidden, p[0], p[1], day); err != nil {
			return w.rows, err
		}
	}
	if err := rows.Err(); err != nil {
		return w.rows, err
	}
	return w.rows, w.flush()
}
