package dashboards

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/gerrit"
	"github.com/codepace/codepace/collectors/gerrit/gerrittest"
	"github.com/codepace/codepace/internal/chtest"
	"github.com/codepace/codepace/keyresults"
	kfigure "github.com/codepace/codepace/keyresults/figure"
	"github.com/codepace/codepace/metrics"
	"github.com/codepace/codepace/store"
)

// history fills a fresh database with two years of generated Gerrit
// history ending now (the same history every run), collected and computed
// as `codepace run` does, and a few collector runs; it returns a
// connection to it and the store.
func history(t *testing.T) (driver.Conn, *store.Store) {
	t.Helper()
	ctx := context.Background()
	addr, db := chtest.Database(t)
	s, err := store.Open(ctx, store.Options{Addr: addr, Database: db, Username: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// The same history every run, moved to end now: one generated from two
	// years before now differs with the weekday and the hour, and about one
	// hour in twenty left no newcomer reviewed in the last 28 days (an empty
	// panel). This one has five.
	gen := gerrittest.GenOptions{Seed: 1, Changes: 2000, Start: time.Date(2024, 12, 2, 0, 0, 0, 0, time.UTC), Years: 2, Owners: 200}
	shift := time.Now().UTC().Truncate(time.Second).Sub(gen.End())
	changes := gerrittest.Generate(gen)
	gerrittest.Shift(changes, shift)
	start := gen.Start.Add(shift)
	srv := gerrittest.New(changes)
	t.Cleanup(srv.Close)
	bots, err := metrics.NewBots([]string{"*-bot"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gerrit.New(gerrit.Options{Name: "demo", URL: srv.URL(), IsBot: bots.IsBot})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now().UTC()
	st, err := g.Collect(ctx, collectors.Window{From: start}, s)
	if err != nil {
		t.Fatal(err)
	}
	runs := []store.Run{
		{ID: "r1", Source: "demo", Started: began.Add(-26 * time.Hour), Finished: began.Add(-26*time.Hour + time.Minute), Status: "ok", Items: 12, Requests: 3},
		{ID: "r2", Source: "demo", Started: began.Add(-2 * time.Hour), Finished: began.Add(-2*time.Hour + time.Minute), Status: "failed", Requests: 1,
			Error: `gerrit source "demo": GET /changes/: 503 Service Unavailable`},
		{ID: "r3", Source: "demo", Started: began, Finished: time.Now().UTC(), Status: "ok", Items: st.Changes + st.Builds, Requests: st.Requests},
	}
	for _, r := range runs {
		if err := s.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Compute(ctx, store.ComputeOptions{
		Bots: map[string]metrics.Bots{"demo": bots}, NewcomerDays: 90,
		Spike: metrics.SpikeConfig{Ratio: 1.5, FloorS: 120, WindowDays: 14, MinBuilds: 5},
	}); err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, Auth: clickhouse.Auth{Database: db, Username: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, s
}

// result is what a query returned.
type result struct {
	columns []string
	types   []string
	rows    [][]any
}

func (r result) column(name string) int {
	for i, c := range r.columns {
		if c == name {
			return i
		}
	}
	return -1
}

func run(ctx context.Context, conn driver.Conn, sql string) (result, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return result{}, err
	}
	defer rows.Close()
	var r result
	for _, ct := range rows.ColumnTypes() {
		r.columns = append(r.columns, ct.Name())
		r.types = append(r.types, ct.DatabaseTypeName())
	}
	cts := rows.ColumnTypes()
	for rows.Next() {
		dest := make([]any, len(cts))
		for i, ct := range cts {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return r, err
		}
		row := make([]any, len(dest))
		for i, d := range dest {
			row[i] = reflect.ValueOf(d).Elem().Interface()
		}
		r.rows = append(r.rows, row)
	}
	return r, rows.Err()
}

var fieldRef = regexp.MustCompile(`\$\{__data\.fields\.(\w+)\}`)

func TestQueriesOnClickHouse(t *testing.T) {
	conn, s := history(t)
	ctx := context.Background()
	now := time.Now().UTC()

	// Values for the second pass, with every variable set.
	pick := func(sql string) string {
		r, err := run(ctx, conn, sql)
		if err != nil || len(r.rows) == 0 {
			t.Fatalf("%s: %v", sql, err)
		}
		return fmt.Sprint(r.rows[0][0])
	}
	project := pick("SELECT project FROM change_metrics GROUP BY project ORDER BY count() DESC LIMIT 1")
	pipeline := pick("SELECT pipeline FROM builds GROUP BY pipeline ORDER BY count() DESC LIMIT 1")

	boards := loadGenerated(t)
	// The scoreboard of a few targets, as compute writes it.
	targets := scoreboardTargets(t, project, now)
	results := writeScoreboard(t, s, targets, now)
	withTargets, err := Build(Options{Targets: dashboardTargets(targets)})
	if err != nil {
		t.Fatal(err)
	}
	kr := toBoards(t, withTargets)[0]
	kr.file = "key-results.json (with targets)"
	boards = append(boards, kr)
	passes := []Pass{AllPass(), SelectedPass([]string{"demo", "other"}, project, pipeline)}
	// With every variable All, every query must return rows.
	wantRows := map[string]bool{"all": true}
	dump := os.Getenv("CODEPACE_DASHBOARDS_SQL_OUT") // write the expanded SQL there, to try on other servers
	for n, q := range expandQueries(boards, now, passes) {
		name := q.Name()
		if q.Err != nil {
			t.Errorf("%s: %v", name, q.Err)
			continue
		}
		if dump != "" {
			f := filepath.Join(dump, fmt.Sprintf("%03d.sql", n+1))
			if err := os.WriteFile(f, []byte("-- "+name+"\n"+q.SQL+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r, err := run(ctx, conn, q.SQL)
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, q.SQL)
			continue
		}
		if q.Kind == "alert" {
			// Grafana alerting reads a table as one number per row,
			// labelled by the string columns.
			if last := r.types[len(r.types)-1]; last != "Float64" {
				t.Errorf("%s: last column is %s, want the Float64 alert value", name, last)
			}
			continue
		}
		if wantRows[q.Pass] && len(r.rows) == 0 {
			t.Errorf("%s: no rows over %s .. %s\n%s", name, q.From.Format(time.DateOnly), q.To.Format(time.DateOnly), q.SQL)
			continue
		}
		checkShape(t, name, q.ref, r)
	}

	t.Run("scoreboard panels show the report's numbers", func(t *testing.T) {
		scoreboardMatchesReport(t, conn, kr, results, now)
	})
	t.Run("figures match the scoreboard", func(t *testing.T) {
		figuresMatchStore(t, conn, s, now, project)
	})
	t.Run("trends match the report at each point", func(t *testing.T) {
		trendsMatchStore(t, conn, s, now, project)
	})
}

// narrowFilter is the narrowest filter of the test data that f takes:
// source demo, and project and cohort ramped where f takes them.
func narrowFilter(f figure, project string) kfigure.Filter {
	narrow := kfigure.Filter{Source: "demo"}
	if f.project() {
		narrow.Project = project
	}
	if f.cohort() {
		narrow.Cohort = "ramped"
	}
	return narrow
}

// sqlFilters are f's SQL conditions for filter: the dashboard variables
// (expanded with All) for the zero filter, literals otherwise.
func sqlFilters(t *testing.T, f figure, filter kfigure.Filter) filters {
	t.Helper()
	if filter == (kfigure.Filter{}) {
		return f.variableFilters()
	}
	fl, err := f.literalFilters(filter.Source, filter.Project, filter.Cohort)
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

// trendsMatchStore checks that each figure's trend is, at each of its
// points over a 180-day range, what `codepace report` computes
// (keyresults over store.Values): a figure taken at an instant at the end
// of each day (runningSQL), the others over the 28 days before each
// Monday; a point with no item is left out (a count's too).
func trendsMatchStore(t *testing.T, conn driver.Conn, s *store.Store, now time.Time, project string) {
	ctx := context.Background()
	now = now.Truncate(time.Second)
	from := now.AddDate(0, 0, -180)
	all := map[string][]string{varSource: allValues, varProject: allValues, varCohort: allValues}
	checked := map[string]int{}
	for _, f := range figures {
		narrow := narrowFilter(f, project)
		for _, filter := range []kfigure.Filter{{}, narrow} {
			fl := sqlFilters(t, f, filter)
			sql, err := expand(f.trendSQL(fl)+querySettings, expansion{vars: all, from: from, to: now})
			if err != nil {
				t.Fatal(err)
			}
			r, err := run(ctx, conn, sql)
			if err != nil {
				t.Fatalf("%s: %v\n%s", f.name, err, sql)
			}
			got := map[string]float64{}
			for _, row := range r.rows {
				v, _ := value(row[1])
				got[row[0].(time.Time).Format(time.DateOnly)] = v
			}
			for _, p := range trendPoints(f, from, now) {
				vals, err := s.Values(ctx, kfigure.Query{Measure: f.fig.Measure, Filter: filter, From: p.end.Add(-keyresults.Period), To: p.end})
				if err != nil {
					t.Fatal(err)
				}
				want, ok := 0.0, len(vals) > 0
				if f.fig.IsCount() {
					want, ok = vals[0], vals[0] > 0
				} else if sum := keyresults.Summarise(vals, f.fig.Stat, f.fig.Unit.Seconds); sum.Value != nil {
					want = *sum.Value
				}
				g, has := got[p.at.Format(time.DateOnly)]
				switch {
				case has != ok:
					t.Errorf("%s %+v at %s: dashboard point %v (%v), report %v (%v)", f.name, filter, p.at.Format(time.DateOnly), has, g, ok, want)
				case has && math.Abs(g-want) > 1e-9*math.Max(1, math.Abs(want)):
					t.Errorf("%s %+v at %s: dashboard %v, report %v", f.name, filter, p.at.Format(time.DateOnly), g, want)
				case has:
					checked[f.name]++
				}
			}
		}
	}
	for _, f := range figures {
		if checked[f.name] < 10 {
			t.Errorf("%s: only %d trend points with a value checked: the data tests too little", f.name, checked[f.name])
		}
	}
	t.Logf("trend points with a value checked: %v", checked)
}

// trendPoint is a point of a figure's trend: shown at at, the figure as
// the report computes it to end.
type trendPoint struct{ at, end time.Time }

// trendPoints lists the points of f's trend over [from, to]: the end of
// each day for a figure at an instant, each Monday 00:00 UTC otherwise.
func trendPoints(f figure, from, to time.Time) []trendPoint {
	var out []trendPoint
	for day := from.Truncate(24 * time.Hour); !day.After(to); day = day.AddDate(0, 0, 1) {
		switch {
		case f.onDay():
			out = append(out, trendPoint{day, day.AddDate(0, 0, 1)})
		case day.Weekday() == time.Monday && !day.Before(from.Truncate(24*time.Hour)):
			out = append(out, trendPoint{day, day})
		}
	}
	return out
}

// checkShape checks what Grafana needs from a panel's result.
func checkShape(t *testing.T, name string, q sqlRef, r result) {
	t.Helper()
	switch {
	case q.kind == "annotation":
		for _, c := range []string{"time", "timeEnd", "text", "tags"} {
			if r.column(c) < 0 {
				t.Errorf("%s: annotation lacks column %s (has %v)", name, c, r.columns)
			}
		}
	case q.kind == "variable":
		if len(r.columns) != 1 {
			t.Errorf("%s: a variable query returns one column, got %v", name, r.columns)
		}
	case q.format == float64(FormatTimeSeries):
		// The plugin turns a long result into series: time first, sorted.
		if !strings.HasPrefix(r.types[0], "Date") {
			t.Errorf("%s: first column %s is %s, want a Date or DateTime", name, r.columns[0], r.types[0])
		}
		for i := 1; i < len(r.rows); i++ {
			if r.rows[i][0].(time.Time).Before(r.rows[i-1][0].(time.Time)) {
				t.Errorf("%s: not sorted by time", name)
				break
			}
		}
		numeric := 0
		for _, ty := range r.types[1:] {
			if strings.Contains(ty, "Int") || strings.Contains(ty, "Float") {
				numeric++
			}
		}
		if numeric == 0 {
			t.Errorf("%s: no value column in %v", name, r.types)
		}
	}
	if q.panel == nil {
		return
	}
	// Overrides and links name columns that exist.
	for _, o := range list(path(q.panel, "fieldConfig", "overrides")) {
		o := obj(o)
		if path(o, "matcher", "id") == "byName" {
			col := str(path(o, "matcher", "options"))
			if r.column(col) < 0 {
				t.Errorf("%s: override for column %q, which the query does not return (%v)", name, col, r.columns)
			}
		}
		for _, p := range list(o["properties"]) {
			for _, l := range list(obj(p)["value"]) {
				for _, m := range fieldRef.FindAllStringSubmatch(str(obj(l)["url"]), -1) {
					if r.column(m[1]) < 0 {
						t.Errorf("%s: link to ${__data.fields.%s}, which the query does not return (%v)", name, m[1], r.columns)
					}
				}
			}
		}
	}
}

// value is a scanned Float64 or Nullable(Float64).
func value(v any) (f float64, isNull bool) {
	switch x := v.(type) {
	case float64:
		return x, false
	case *float64:
		if x == nil {
			return 0, true
		}
		return *x, false
	}
	panic(fmt.Sprintf("%T is not a float", v))
}

// figuresMatchStore checks that each figure's current value on the key
// results dashboard is what `codepace report` computes (keyresults over
// store.Values).
func figuresMatchStore(t *testing.T, conn driver.Conn, s *store.Store, now time.Time, project string) {
	ctx := context.Background()
	now = now.Truncate(time.Second)
	all := map[string][]string{varSource: allValues, varProject: allValues, varCohort: allValues}
	for _, f := range figures {
		narrow := narrowFilter(f, project)
		for _, filter := range []kfigure.Filter{{}, {Source: "demo"}, narrow} {
			fl := sqlFilters(t, f, filter)
			// As the panel runs it, with querySettings.
			sql, err := expand(f.currentSQL(fl)+querySettings, expansion{vars: all, from: now.AddDate(0, 0, -180), to: now})
			if err != nil {
				t.Fatal(err)
			}
			r, err := run(ctx, conn, sql)
			if err != nil {
				t.Fatalf("%s: %v\n%s", f.name, err, sql)
			}
			vals, err := s.Values(ctx, kfigure.Query{Measure: f.fig.Measure, Filter: filter, From: now.Add(-keyresults.Period), To: now})
			if err != nil {
				t.Fatal(err)
			}
			want, ok := 0.0, true
			if f.fig.IsCount() {
				want = vals[0]
			} else if sum := keyresults.Summarise(vals, f.fig.Stat, f.fig.Unit.Seconds); sum.Value != nil {
				want = *sum.Value
			} else {
				ok = false
			}
			if !ok {
				if len(r.rows) != 0 {
					t.Errorf("%s %+v: dashboard %v, report has no value", f.name, filter, r.rows)
				}
				continue
			}
			if len(r.rows) != 1 {
				t.Errorf("%s %+v: dashboard has no value, report %v", f.name, filter, want)
				continue
			}
			got, isNull := value(r.rows[0][0])
			if isNull {
				t.Errorf("%s %+v: dashboard NULL, report %v", f.name, filter, want)
			} else if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("%s %+v: dashboard %v, report %v", f.name, filter, got, want)
			} else {
				t.Logf("%s %+v: %v on both", f.name, filter, got)
			}
		}
	}
}

// literalFilters filters a figure by a target's filter; it fails when the
// figure does not take one of them, as config validation does. A project
// is a glob (keyresults/figure.GlobRegexp).
func (f figure) literalFilters(source, project, cohort string) (filters, error) {
	var c []string
	for _, kv := range [][2]string{{kfigure.Source, source}, {kfigure.Project, project}, {kfigure.Cohort, cohort}} {
		if kv[1] == "" {
			continue
		}
		if err := f.fig.CheckFilter(kv[0]); err != nil {
			return filters{}, err
		}
		col := f.fig.Measure.Columns[kv[0]]
		if kv[0] == kfigure.Project {
			c = append(c, "match("+col+", "+quote(kfigure.GlobRegexp(kv[1]))+")")
			continue
		}
		c = append(c, col+" = "+quote(kv[1]))
	}
	return filters{conds: c}, nil
}
