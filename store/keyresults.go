package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/keyresults"
	"github.com/codepace/codepace/keyresults/figure"
)

// Values runs a figure query over the views (see figure.Query.SQL): one
// value per item, or for a count the count. It makes *Store a
// keyresults.Source.
func (s *Store) Values(ctx context.Context, q figure.Query) ([]float64, error) {
	query, args := q.SQL()
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("figure %s: %w (has `codepace migrate` been run on this database?)", q.Measure.Name, err)
	}
	defer rows.Close()
	var out []float64
	for rows.Next() {
		var v float64
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("figure %s: %w", q.Measure.Name, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Recorded returns the values recorded for a manual metric, oldest first
// (the latest recording of each day; recorded_values in sql/README.md).
func (s *Store) Recorded(ctx context.Context, metric string) ([]keyresults.Record, error) {
	rows, err := s.conn.Query(ctx, `SELECT metric, at, value, note FROM recorded_values FINAL
		WHERE metric = ? ORDER BY at`, metric)
	if err != nil {
		return nil, fmt.Errorf("read recorded values of %s: %w", metric, err)
	}
	defer rows.Close()
	var out []keyresults.Record
	for rows.Next() {
		var r keyresults.Record
		if err := rows.Scan(&r.Metric, &r.At, &r.Value, &r.Note); err != nil {
			return nil, err
		}
		r.At = r.At.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Record stores values of manual metrics in one insert; a value for a
// metric and day already recorded replaces it. Each At must be 00:00 UTC.
func (s *Store) Record(ctx context.Context, recs []keyresults.Record) error {
	now := time.Now().UTC()
	version := uint64(now.UnixNano())
	err := s.insert(ctx, "recorded_values (metric, at, value, note, recorded_at, version)", func(b driver.Batch) error {
		for i, r := range recs {
			// Later lines of one call win over earlier ones for the same day.
			if err := b.Append(r.Metric, r.At.UTC(), r.Value, r.Note, now, version+uint64(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record values: %w", err)
	}
	return nil
}

// WriteKeyResults stores one evaluation of the scoreboard in
// key_results_log, in one insert (so the key_results view never shows
// half of it); evaluation numbers its rows, later evaluations higher.
func (s *Store) WriteKeyResults(ctx context.Context, evaluation uint64, results []keyresults.Result) error {
	err := s.insert(ctx, `key_results_log (evaluation, position, metric, filter, manual, unit, baseline, baseline_n,
		goal, current, n, ci_low, ci_high, expected, status, on_track, min_n, at, start, due, trend_at, trend, trend_n)`,
		func(b driver.Batch) error {
			for i, r := range results {
				var onTrack *uint8
				if r.OnTrack != nil {
					onTrack = valuePtr(b8(*r.OnTrack))
				}
				var trendAt []time.Time
				var trend []*float64
				var trendN []*uint32
				for _, p := range r.Trend {
					trendAt = append(trendAt, p.At)
					trend = append(trend, p.Value)
					trendN = append(trendN, count32(p.N))
				}
				if err := b.Append(evaluation, uint32(i), r.Metric, r.Filter.String(), b8(r.Manual), r.Unit,
					r.Baseline, count32(r.BaselineN), r.Goal, r.Current, count32(r.N), r.CILow, r.CIHigh, r.Expected,
					string(r.Status), onTrack, uint32(r.MinN), r.At, r.Start, r.DueAt.AddDate(0, 0, -1), trendAt, trend, trendN); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("write key results: %w", err)
	}
	return nil
}

func count32(n *int) *uint32 {
	if n == nil {
		return nil
	}
	return valuePtr(uint32(*n))
}

func valuePtr[T any](v T) *T { return &v }

// HasCompute reports whether a compute has finished, so that the views
// figures read are there; false on any error.
func (s *Store) HasCompute(ctx context.Context) bool {
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM compute_runs").Scan(&n)
	return err == nil && n > 0
}
