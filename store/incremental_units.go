package store

import (
	"context"
	"slices"
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
// masks grow with the changes rewritten, not with changes × layers. It
// returns how many rows of each catalog key the masks hide.
func (m masker) changes(ctx context.Context, keys map[changeKey]struct{}) (catalogCounts, error) {
	masked := catalogCounts{}
	if len(keys) == 0 {
		return masked, nil
	}
	tt, err := keysTable(keys)
	if err != nil {
		return nil, err
	}
	rows, err := m.s.conn.Query(clickhouse.Context(streaming(ctx), clickhouse.WithExternalTable(tt)),
		m.s.local(`SELECT source, project, number, generation FROM change_metrics_data
		WHERE `+liveChangeRows+` AND `+inTouched))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	w := m.writer("change_masks", "source, project, number")
	defer w.abort()
	for rows.Next() {
		var k changeKey
		var hidden uint64
		if err := rows.Scan(&k.source, &k.project, &k.number, &hidden); err != nil {
			return nil, err
		}
		if err := w.add(ctx, m.base, m.gen, hidden, k.source, k.project, k.number); err != nil {
			return nil, err
		}
		masked[catalogKey{k.source, "change", k.project, ""}]++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return masked, w.flush()
}

// newcomerChange is what a touched change gives the newcomers.
type newcomerChange struct {
	k    changeKey
	in   metrics.NewcomerInput
	name string // how its owner is shown
}

// incrementalNewcomers rewrites the newcomers rows of the owners of the
// touched changes (as read now, and as the views show them): each from
// all of the person's changes in the order a full compute reads them, the
// touched ones as just computed (fresh, in key order) and, of the others,
// the two the views show that stand for them all (storedNewcomerChanges).
// It returns how many rows it wrote.
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
	stored, err := s.storedNewcomerChanges(clickhouse.Context(ctx, clickhouse.WithExternalTable(tt, pt)))
	if err != nil {
		return 0, err
	}
	var tally metrics.NewcomerTally
	names := map[[2]string]string{}
	add := func(c newcomerChange) {
		tally.Add(c.in)
		names[[2]string{c.in.Source, c.in.Person}] = c.name
	}
	for _, c := range stored {
		for len(fresh) > 0 && fresh[0].k.less(c.k) {
			add(fresh[0])
			fresh = fresh[1:]
		}
		add(c)
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

// storedNewcomerChanges returns, in key order, what the newcomers take
// from the changes the views show of the people of the external table
// "persons" (source, person) but those of the external table "touched":
// of each person, not every change (at 1M changes, the people of 1,000
// touched ones own 570k) but the two that give a NewcomerTally the same
// row and name as all of them in key order would: the first change (the
// earliest created among those not a bot's, the first in key order of
// equal ones) carrying the earliest merge, and the last change in key
// order, for the name (marked a bot's, so that the tally counts it only
// for the name).
func (s *Store) storedNewcomerChanges(ctx context.Context) ([]newcomerChange, error) {
	rows, err := s.conn.Query(ctx, s.local(`SELECT source, person, countIf(owner_is_bot = 0),
		tupleElement(argMinIf((project, number, created_at, ready_at, first_review_at), (created_at, project, number),
			owner_is_bot = 0) AS first, 1),
		tupleElement(first, 2), tupleElement(first, 3), tupleElement(first, 4), tupleElement(first, 5),
		minIf(merged_at, owner_is_bot = 0),
		tupleElement(argMax((project, number, shown), (project, number)) AS last, 1),
		tupleElement(last, 2), tupleElement(last, 3)
		FROM (SELECT source, project, number, `+personKey+` AS person, if(owner_person != '', owner_person, owner) AS shown,
			owner_is_bot, created_at, ready_at, first_review_at, merged_at FROM change_metrics_data
			WHERE `+liveChangeRows+` AND (source, person) GLOBAL IN (SELECT source, person FROM persons)
			AND (source, project, number) GLOBAL NOT IN (SELECT source, project, number FROM touched))
		GROUP BY source, person`))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []newcomerChange
	for rows.Next() {
		var humans uint64
		var first, last newcomerChange
		var ready, review, merged *time.Time
		if err := rows.Scan(&first.k.source, &first.in.Person, &humans, &first.k.project, &first.k.number,
			&first.in.Created, &ready, &review, &merged, &last.k.project, &last.k.number, &last.name); err != nil {
			return nil, err
		}
		last.k.source, last.in = first.k.source, metrics.NewcomerInput{Source: first.k.source, Person: first.in.Person, IsBot: true}
		out = append(out, last)
		if humans > 0 {
			first.in.Source, first.in.Created, first.name = first.k.source, first.in.Created.UTC(), last.name
			first.in.ReadyAt, first.in.FirstReviewAt, first.in.MergedAt = derefUTC(ready), derefUTC(review), derefUTC(merged)
			out = append(out, first)
		}
	}
	slices.SortStableFunc(out, func(a, b newcomerChange) int {
		switch {
		case a.k.less(b.k):
			return -1
		case b.k.less(a.k):
			return 1
		}
		return 0
	})
	return out, rows.Err()
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
