package main

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/dashboards"
)

// latencyTarget is issue 8's target for every dashboard query: its median
// over the 200k history on ClickHouse 18.16.
const latencyTarget = 300 * time.Millisecond

// queryTime is the latency of one dashboard query.
type queryTime struct {
	name   string
	rows   int
	median time.Duration
	worst  time.Duration
}

// latency is the latency of every dashboard query over one database.
type latency struct {
	changes uint64
	runs    int
	queries []queryTime // slowest median first
}

// measureLatency runs every query of the committed dashboards (each panel,
// variable and annotation query, with every variable All and then with
// every variable set, over the dashboard's default time range ending now)
// and of the alert rules against database db, as Grafana sends them through
// the ClickHouse plugin: once to warm up, then runs times, reading every
// row of the result.
func measureLatency(ctx context.Context, addr, db string, runs int) (latency, error) {
	l := latency{runs: runs}
	// Connected as the plugin connects: native protocol, LZ4.
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, Auth: clickhouse.Auth{Database: db, Username: "default"},
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionLZ4}, DialTimeout: 10 * time.Second})
	if err != nil {
		return l, err
	}
	defer conn.Close()
	if err := conn.QueryRow(ctx, "SELECT count() FROM change_metrics").Scan(&l.changes); err != nil {
		return l, fmt.Errorf("database %s (migrated and computed by codepace run?): %w", db, err)
	}

	// The values of the pass with every variable set: every source, and
	// the busiest project and pipeline.
	sources, err := column(ctx, conn, "SELECT DISTINCT source FROM change_metrics ORDER BY source")
	if err != nil {
		return l, err
	}
	project, err := column(ctx, conn, "SELECT project FROM change_metrics GROUP BY project ORDER BY count() DESC, project LIMIT 1")
	if err != nil {
		return l, err
	}
	pipeline, err := column(ctx, conn, "SELECT pipeline FROM builds GROUP BY pipeline ORDER BY count() DESC, pipeline LIMIT 1")
	if err != nil {
		return l, err
	}
	orNone := func(v []string) []string {
		if len(v) == 0 {
			return []string{"none"}
		}
		return v
	}

	boards, err := dashboards.Build(dashboards.Options{})
	if err != nil {
		return l, err
	}
	qs, err := dashboards.PanelQueries(boards, time.Now().UTC(),
		dashboards.AllPass(), dashboards.SelectedPass(orNone(sources), orNone(project)[0], orNone(pipeline)[0]))
	if err != nil {
		return l, err
	}
	for _, q := range qs {
		qt := queryTime{name: q.Name()}
		times := make([]time.Duration, 0, runs)
		for i := 0; i <= runs; i++ {
			began := time.Now()
			n, err := readAll(ctx, conn, q.SQL)
			took := time.Since(began)
			if err != nil {
				return l, fmt.Errorf("%s: %w\n%s", qt.name, err, q.SQL)
			}
			if i == 0 {
				qt.rows = n // the warm-up
				continue
			}
			times = append(times, took)
		}
		slices.Sort(times)
		qt.median = median(times)
		qt.worst = times[len(times)-1]
		l.queries = append(l.queries, qt)
	}
	sort.SliceStable(l.queries, func(i, j int) bool { return l.queries[i].median > l.queries[j].median })
	return l, nil
}

// median of sorted durations.
func median(d []time.Duration) time.Duration {
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}

// readAll runs a query and scans every row, as Grafana's plugin reads a
// result into a data frame; it returns the number of rows.
func readAll(ctx context.Context, conn driver.Conn, sql string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cts := rows.ColumnTypes()
	dest := make([]any, len(cts))
	for i, ct := range cts {
		dest[i] = reflect.New(ct.ScanType()).Interface()
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// column returns the first column of a query's rows, as strings.
func column(ctx context.Context, conn driver.Conn, sql string) ([]string, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sql, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// reportLatency prints, per database, the number of dashboard queries, the
// median of their medians, the worst median and its query; then the
// slowest queries of the last one (all of them with all).
func reportLatency(w io.Writer, ls []latency, all bool) {
	if len(ls) == 0 {
		return
	}
	last := ls[len(ls)-1]
	fmt.Fprintf(w, "dashboard queries (every panel, variable and annotation query, variables All and set, and the alert rules; 1 warm-up + %d timed runs each, every row read):\n", last.runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "changes\tqueries\tmedian of medians ms\tworst median ms\tover 300 ms\t  worst query")
	for _, l := range ls {
		medians := make([]time.Duration, len(l.queries))
		over := 0
		for i, q := range l.queries {
			medians[i] = q.median
			if q.median > latencyTarget {
				over++
			}
		}
		slices.Sort(medians)
		worst := queryTime{}
		if len(l.queries) > 0 {
			worst = l.queries[0]
		}
		fmt.Fprintf(tw, "%d\t%d\t%.1f\t%.1f\t%d\t  %s\n", l.changes, len(l.queries), ms(median(medians)), ms(worst.median), over, worst.name)
	}
	tw.Flush()

	shown := last.queries
	if !all && len(shown) > 5 {
		shown = shown[:5]
		fmt.Fprintf(w, "\nslowest 5 of %d queries at %d changes (-queries lists them all):\n", len(last.queries), last.changes)
	} else {
		fmt.Fprintf(w, "\nevery query at %d changes, slowest first:\n", last.changes)
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "median ms\tworst ms\trows\t  query")
	for _, q := range shown {
		fmt.Fprintf(tw, "%.1f\t%.1f\t%d\t  %s\n", ms(q.median), ms(q.worst), q.rows, q.name)
	}
	tw.Flush()
	fmt.Fprintln(w)
}
