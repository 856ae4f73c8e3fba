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
		" AND x > $__fromTime AND x < $__toTime GROUP BY intDiv(a, $__interval_s)"
	cases := []struct {
		name string
		vars map[string][]string
		want string
	}{
		{"all", map[string][]string{"source": allValues, "project": allValues},
			"SELECT 1 FROM t WHERE at >= toDateTime(1704067200) AND at <= toDateTime(1706745600) AND 1=1 AND 1=1 AND x > toDateTime(1704067200) AND x < toDateTime(1706745600) GROUP BY intDiv(a, 60)"},
		{"some", map[string][]string{"source": {"a", "b'c"}, "project": {"p"}},
			`SELECT 1 FROM t WHERE at >= toDateTime(1704067200) AND at <= toDateTime(1706745600) AND source IN ('a','b\'c') AND project IN ('p') AND x > toDateTime(1704067200) AND x < toDateTime(1706745600) GROUP BY intDiv(a, 60)`},
		{"empty selection", map[string][]string{"source": {""}, "project": allValues},
			"SELECT 1 FROM t WHERE at >= toDateTime(1704067200) AND at <= toDateTime(1706745600) AND 1=1 AND 1=1 AND x > toDateTime(1704067200) AND x < toDateTime(1706745600) GROUP BY intDiv(a, 60)"},
	}
	for _, c := range cases {
		got, err := expand(sql, expansion{vars: c.vars, from: from, to: to, intervalS: 60})
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
		"SELECT 1 WHERE $__conditionalAll(x IN (${source:singlequote}), ${source})", // the plugin wants $source
		"SELECT 1 WHERE $__conditionalAll(x = 1)",
		"SELECT 1 WHERE x IN (${nosuch:singlequote})",
	} {
		if got, err := expand(bad, expansion{vars: map[string][]string{"source": {"a"}}, from: from, to: to}); err == nil {
			t.Errorf("expand(%q) = %q, want an error", bad, got)
		}
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
