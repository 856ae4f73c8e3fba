package store

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/codepace/codepace/metrics"
)

// masker writes the masks of an incremental generation: for each unit it
// rewrites, one row per older live generation, whose rows of the unit the
// views then leave out.
type masker struct {
	s         *Store
	base, gen uint64
	live      []uint64
}

// writer opens a writer of the masks of table, whose unit's key columns
// are keyColumns; add each unit with add.
func (m masker) writer(table, keyColumns string) *rowWriter {
	return m.s.rowWriter(table + " (base, generation, hidden, " + keyColumns + ")")
}

// add masks one unit (its key values) in every older live generation.
func (m masker) add(ctx context.Context, w *rowWriter, key ...any) error {
	for _, h := range m.live {
		if err := w.add(ctx, append([]any{m.base, m.gen, h}, key...)...); err != nil {
			return err
		}
	}
	return nil
}

// changes masks the rows of the changes in keys: one mask per change the
// views show, naming the generation that holds its rows (that of its
// change_metrics row: a generation that computes a change writes its rows
// of every table, one in change_metrics). Its rows of older generations
// are masked already, by the masks that made that one visible, so the
// masks grow with the changes rewritten, not with changes × layers.
func (m masker) changes(ctx context.Context, keys map[changeKey]struct{}) error {
	if len(keys) == 0 {
		return nil
	}
	tt, err := keysTable(keys)
	if err != nil {
		return err
	}
	rows, err := m.s.conn.Query(clickhouse.Context(streaming(ctx), clickhouse.WithExternalTable(tt)),
		m.s.local(`SELECT source, project, number, generation FROM change_metrics_data
		WHERE `+liveChangeRows+` AND `+inTouched))
	if err != nil {
		return err
	}
	defer rows.Close()
	w := m.writer("change_masks", "source, project, number")
	defer w.abort()
	for rows.Next() {
		var k changeKey
		var hidden uint64
		if err := rows.Scan(&k.source, &k.project, &k.number, &hidden); err != nil {
			return err
		}
		if err := w.add(ctx, m.base, m.gen, hidden, k.source, k.project, k.number); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return w.flush()
}

// newcomerChange is what a touched change gives the newcomers.
type newcomerChange struct {
	k    changeKey
	in   metrics.NewcomerInput
	name string // how its owner is shown
}

// incrementalNewcomers rewrites the newcomers rows of the owners of the
// touched changes (as read now, and as the views show them): each from
// all of the person's changes, the touched ones as just computed (fresh,
// in key order) and the others as the views show them, in the order a
// full compute reads them. It returns how many rows it wrote.
func (s *Store) incrementalNewcomers(ctx context.Context, m masker, fresh []newcomerChange, touched map[changeKey]struct{}) (int, error) {
	persons := map[[2]string]bool{}
	for _, c := range fresh {
		persons[[2]string{c.in.Source, c.in.Person}] = true
	}
	tt, err := keysTable(touched)
	if err != nil {
		return 0, err
	}
	tctx := clickhouse.Context(ctx, clickhouse.WithExternalTable(tt))
	if err := s.eachPerson(tctx, persons, `SELECT source, `+personKey+` FROM change_metrics_data WHERE `+liveChangeRows+` AND `+inTouched); err != nil {
		return 0, err
	}
	if len(persons) == 0 {
		return 0, nil
	}
	pt, err := ext.NewTable("persons", ext.Column("source", "String"), ext.Column("person", "String"))
	if err != nil {
		return 0, err
	}
	for p := range persons {
		if err := pt.Append(p[0], p[1]); err != nil {
			return 0, err
		}
	}
	tt, err = keysTable(touched)
	if err != nil {
		return 0, err
	}
	rows, err := s.conn.Query(streaming(clickhouse.Context(ctx, clickhouse.WithExternalTable(tt, pt))),
		s.local(`SELECT source, project, number, `+personKey+` AS person, if(owner_person != '', owner_person, owner),
		owner_is_bot, created_at, ready_at, first_review_at, merged_at FROM change_metrics_data
		WHERE `+liveChangeRows+` AND (source, person) GLOBAL IN (SELECT source, person FROM persons)
		AND (source, project, number) GLOBAL NOT IN (SELECT source, project, number FROM touched)
		ORDER BY source, project, number`))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var tally metrics.NewcomerTally
	names := map[[2]string]string{}
	add := func(c newcomerChange) {
		tally.Add(c.in)
		names[[2]string{c.in.Source, c.in.Person}] = c.name
	}
	for rows.Next() {
		c, err := scanNewcomerChange(rows)
		if err != nil {
			return 0, err
		}
		for len(fresh) > 0 && fresh[0].k.less(c.k) {
			add(fresh[0])
			fresh = fresh[1:]
		}
		add(c)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, c := range fresh {
		add(c)
	}
	return s.writeNewcomerLayer(ctx, m, persons, tally.Rows(), names)
}

// writeNewcomerLayer writes the newcomers rows and masks every person's
// older rows.
func (s *Store) writeNewcomerLayer(ctx context.Context, m masker, persons map[[2]string]bool, rows []metrics.Newcomer, names map[[2]string]string) (int, error) {
	w := m.writer("newcomer_masks", "source, person_id")
	defer w.abort()
	for p := range persons {
		if err := m.add(ctx, w, p[0], p[1]); err != nil {
			return 0, err
		}
	}
	if err := w.flush(); err != nil {
		return 0, err
	}
	return s.writeNewcomers(ctx, m.gen, rows, names)
}

// eachPerson adds to persons the (source, person key) rows of a query.
func (s *Store) eachPerson(ctx context.Context, persons map[[2]string]bool, query string) error {
	rows, err := s.conn.Query(ctx, s.local(query))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return err
		}
		persons[p] = true
	}
	return rows.Err()
}

func scanNewcomerChange(rows interface{ Scan(...any) error }) (newcomerChange, error) {
	var c newcomerChange
	var bot uint8
	var ready, review, merged *time.Time
	err := rows.Scan(&c.k.source, &c.k.project, &c.k.number, &c.in.Person, &c.name, &bot, &c.in.Created,
		&ready, &review, &merged)
	c.in.Source, c.in.IsBot, c.in.Created = c.k.source, bot == 1, c.in.Created.UTC()
	c.in.ReadyAt, c.in.FirstReviewAt, c.in.MergedAt = derefUTC(ready), derefUTC(review), derefUTC(merged)
	return c, err
}

func derefUTC(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// less orders change keys as the tables are sorted.
func (k changeKey) less(o changeKey) bool {
	return key{k.source, k.project, k.number}.less(key{o.source, o.project, o.number})
}
