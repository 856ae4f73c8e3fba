package dashboards

import (
	"strings"
	"testing"
	"time"
)

// The expansion itself is in panelsql.go.

func TestExpandAsThePluginDoes(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	sql := "SELECT 1 FROM t WHERE $__timeFilter(at) AND " + in("source", "source") + " AND " + in("project", "project") +
		" AND x > $__fromTime AND x < $__toTime GROUP BY intDiv(a, $__interval_s)" +
		" HAVING $__conditionalAll(p IN ($project), ${project})"
	cases := []struct {
		name string
		vars map[string][]string
		want string
	}{
		{"all", map[string][]string{"source": allValues, "project": allValues},
			"SELECT 1 FROM t WHERE at >= toDateTime(1704067200) AND at <= toDateTime(1706745600) AND 1=1 AND 1=1 AND x > toDateTime(1704067200) AND x < toDateTime(1706745600) GROUP BY intDiv(a, 60) HAVING 1=1"},
		{"some", map[string][]string{"source": {"a", "b'c"}, "project": {"p"}},
			`SELECT 1 FROM t WHERE at >= toDateTime(1704067200) AND at <= toDateTime(1706745600) AND source IN ('a','b\'c') AND project IN ('p') AND x > toDateTime(1704067200) AND x < toDateTime(1706745600) GROUP BY intDiv(a, 60) HAVING p IN ('p')`},
		{"two projects, plain format", map[string][]string{"source": allValues, "project": {"p", "q"}},
			`SELECT 1 FROM t WHERE at >= toDateTime(1704067200) AND at <= toDateTime(1706745600) AND 1=1 AND project IN ('p','q') AND x > toDateTime(1704067200) AND x < toDateTime(1706745600) GROUP BY intDiv(a, 60) HAVING p IN ('p','q')`},
		{"empty selection", map[string][]string{"source": {""}, "project": allValues},
			"SELECT 1 FROM t WHERE at >= toDateTime(1704067200) AND at <= toDateTime(1706745600) AND 1=1 AND 1=1 AND x > toDateTime(1704067200) AND x < toDateTime(1706745600) GROUP BY intDiv(a, 60) HAVING 1=1"},
	}
	for _, c := range cases {
		got, err := expand(sql, expansion{vars: c.vars, from: from, to: to, interval: time.Minute})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	for _, bad := range []string{
		"SELECT $__timeInterval(at)",  // toStartOfInterval: not on 18.16
		"SELECT $__timeFilter_ms(at)", // DateTime64: not on 18.16
		"SELECT 1 WHERE $__conditionalAll(x IN (${source:singlequote}), ${source:singlequote})", // the plugin would never give 1=1
		"SELECT 1 WHERE $__conditionalAll(x IN (${source:singlequote}), source)",
		"SELECT 1 WHERE $__conditionalAll(x = 1)",
		"SELECT 1 WHERE x IN (${nosuch:singlequote})",
	} {
		if got, err := expand(bad, expansion{vars: map[string][]string{"source": {"a"}}, from: from, to: to}); err == nil {
			t.Errorf("expand(%q) = %q, want an error", bad, got)
		}
	}
}

// Grafana's panel interval: range / width in pixels, rounded to its steps.
func TestPanelInterval(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		rng   time.Duration
		width int
		want  time.Duration
	}{
		{7 * day, 960, 10 * time.Minute},   // 630 s
		{7 * day, 1920, 5 * time.Minute},   // 315 s
		{90 * day, 960, 2 * time.Hour},     // 2.25 h
		{365 * day, 1920, 6 * time.Hour},   // 4.56 h
		{365 * day, 640, 12 * time.Hour},   // 13.7 h
		{time.Hour, 1920, 2 * time.Second}, // 1.875 s
		{time.Second, 1920, time.Millisecond},
		{10 * 365 * day, 100, 30 * day}, // 36.5 days
		{20 * 365 * day, 100, 365 * day},
	} {
		if got := panelInterval(c.rng, c.width); got != c.want {
			t.Errorf("panelInterval(%v, %d px) = %v, want %v", c.rng, c.width, got, c.want)
		}
	}
	// The collector health panel's interval over its 7 days, 12 of 24 columns.
	e := expansion{from: time.Unix(0, 0), to: time.Unix(7*86400, 0), interval: panelInterval(7*day, sqlRef{panel: map[string]any{"gridPos": map[string]any{"w": 12.0}}}.widthPx())}
	if got, err := expand("SELECT $__interval_s", e); err != nil || got != "SELECT 600" {
		t.Errorf("$__interval_s on a half-width panel over 7 days = %q, %v; want 600", got, err)
	}
}

func TestPanelQueriesExpandEveryQuery(t *testing.T) {
	ds, err := Build(Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	qs, err := PanelQueries(ds, now, AllPass(), SelectedPass([]string{"a", "b"}, "p", "check"))
	if err != nil {
		t.Fatal(err)
	}
	raw := queries(toBoards(t, ds))
	alerts := 0
	for _, q := range raw {
		if q.kind == "alert" {
			alerts++
		}
	}
	if want := 2*(len(raw)-alerts) + alerts; len(qs) != want || alerts == 0 {
		t.Errorf("%d queries, want %d (%d alert rules)", len(qs), want, alerts)
	}
	names := map[string]bool{}
	for _, q := range qs {
		if names[q.Name()] {
			t.Errorf("%s: name repeated", q.Name())
		}
		names[q.Name()] = true
		if q.SQL == "" || strings.Contains(q.SQL, "$") {
			t.Errorf("%s: not expanded: %q", q.Name(), q.SQL)
		}
		if q.Kind != "alert" && (!q.To.Equal(now) || !q.From.Before(now)) {
			t.Errorf("%s: time range %v .. %v", q.Name(), q.From, q.To)
		}
		if q.Pass == "selected" && q.Kind == "panel" && q.Board == "ci.json" && !strings.Contains(q.SQL, "source IN ('a','b')") {
			t.Errorf("%s: the selected sources are not filtered on:\n%s", q.Name(), q.SQL)
		}
	}
}
