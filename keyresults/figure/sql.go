package figure

import (
	"regexp"
	"strings"
	"time"
)

// Filter narrows a figure's items; empty fields match everything.
type Filter struct {
	Source   string `json:"source,omitempty"`
	Project  string `json:"project,omitempty"`
	Cohort   string `json:"cohort,omitempty"`
	Team     string `json:"team,omitempty"`
	System   string `json:"system,omitempty"`
	Pipeline string `json:"pipeline,omitempty"`
	Job      string `json:"job,omitempty"`
}

// Fields returns the filter's set fields as (name, value) pairs, in
// Filters' order.
func (f Filter) Fields() [][2]string {
	var out [][2]string
	for _, kv := range [][2]string{{Source, f.Source}, {Project, f.Project}, {Cohort, f.Cohort}, {Team, f.Team},
		{System, f.System}, {Pipeline, f.Pipeline}, {Job, f.Job}} {
		if kv[1] != "" {
			out = append(out, kv)
		}
	}
	return out
}

// String is the filter as "source=x project=y", empty when unfiltered.
func (f Filter) String() string {
	var parts []string
	for _, kv := range f.Fields() {
		parts = append(parts, kv[0]+"="+kv[1])
	}
	return strings.Join(parts, " ")
}

// Query asks for a figure's items over a period.
type Query struct {
	Measure *Measure
	Filter  Filter
	// Members are the people of Filter.Team (ignored without a team).
	Members []string
	// From and To bound the period [From, To); AtInstant measures are
	// taken at To.
	From, To time.Time
}

// SQL renders the query with ? placeholders and their arguments. For a
// Duration or Number measure it selects one Float64 per item (seconds, or
// the count); for a Count measure one row, the number of items. The
// filters must be ones the measure takes (see Figure.CheckFilter).
func (q Query) SQL() (string, []any) {
	m := q.Measure
	var conds []string
	var args []any
	value := "toFloat64(" + m.Value + ")"
	if m.AtInstant {
		// The instant is bound once per use: 18.16 has no named parameters.
		value = "toFloat64(" + strings.ReplaceAll(m.Value, "{t}", "?") + ")"
		for range strings.Count(m.Value, "{t}") {
			args = append(args, q.To.UTC())
		}
		conds = append(conds, "from_at <= ?", "(to_at IS NULL OR to_at > ?)")
		args = append(args, q.To.UTC(), q.To.UTC())
	} else {
		conds = append(conds, m.Period+" >= ?", m.Period+" < ?")
		args = append(args, q.From.UTC(), q.To.UTC())
	}
	if m.Where != "" {
		conds = append(conds, m.Where)
	}
	for _, kv := range q.Filter.Fields() {
		col := m.Columns[kv[0]]
		switch kv[0] {
		case Project:
			conds = append(conds, "match("+col+", ?)")
			args = append(args, GlobRegexp(kv[1]))
		case Team:
			if len(q.Members) == 0 {
				conds = append(conds, "0")
				continue
			}
			conds = append(conds, col+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(q.Members)), ", ")+")")
			for _, p := range q.Members {
				args = append(args, p)
			}
		default:
			conds = append(conds, col+" = ?")
			args = append(args, kv[1])
		}
	}
	if m.Kind == Count {
		value = "toFloat64(count())"
	}
	return "SELECT " + value + " FROM " + m.View + " WHERE " + strings.Join(conds, " AND "), args
}

// GlobRegexp turns a project glob into an anchored RE2 regular expression
// (ClickHouse's match, RE2): * matches any run of characters, / included; ?
// matches one character; everything else matches itself.
func GlobRegexp(glob string) string {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range glob {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	// \z rather than $: the same in RE2, and no $ for Grafana to take
	// for a variable in a dashboard query.
	b.WriteString(`\z`)
	return b.String()
}
