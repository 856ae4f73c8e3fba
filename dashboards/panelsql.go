package dashboards

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file expands panel SQL the way Grafana and the ClickHouse plugin do,
// so that tests and codepace-bench can run every query of the dashboards on
// ClickHouse as Grafana would:
//
//  1. the plugin's frontend replaces $__conditionalAll(cond, $var) by 1=1
//     when $var is All (or empty), else by cond (CHDatasource.applyConditionalAll);
//  2. Grafana's template service substitutes the variables; the plugin's
//     format (CHDatasource.format) quotes and joins an array value as
//     'a','b' (a multi-value variable's value is an array, so one selected
//     value is 'p' too) and leaves a single value as it is, and
//     ${var:singlequote} quotes each value, escaping ' as \';
//  3. the plugin's backend expands its macros (pkg/macros): $__timeFilter(c)
//     -> c >= toDateTime(FROM) AND c <= toDateTime(TO), $__fromTime and
//     $__toTime -> toDateTime(UNIX), $__interval_s -> the query's interval
//     in whole seconds (at least 1), the interval being Grafana's: the time
//     range divided by the panel's width in pixels, rounded to a standard
//     step (panelInterval).
//
// This is the behaviour of plugin 4.0.3 and later (4.0.0 to 4.0.2 expand
// $__timeFilter to toDateTime64, which ClickHouse 18.16 lacks).
//
// Any other macro is an error: the expansion only knows those that run on
// ClickHouse 18.16 ($__timeInterval and the _ms macros do not).

// Pass is one setting of the dashboards' template variables.
type Pass struct {
	Name string
	// Vars maps each variable (source, project, cohort, pipeline) to its
	// selected values; a nil slice is All.
	Vars map[string][]string
}

// AllPass sets every variable to All, as the dashboards open.
func AllPass() Pass {
	return Pass{Name: "all", Vars: map[string][]string{varSource: allValues, varProject: allValues,
		varCohort: allValues, varPipeline: allValues}}
}

// SelectedPass sets every variable: the given sources, one project, the
// cohort new and one pipeline.
func SelectedPass(sources []string, project, pipeline string) Pass {
	return Pass{Name: "selected", Vars: map[string][]string{varSource: sources, varProject: {project},
		varCohort: {"new"}, varPipeline: {pipeline}}}
}

// PanelQuery is one query of a dashboard (a panel's, a variable's or an
// annotation's) or of an alert rule, expanded as Grafana runs it.
type PanelQuery struct {
	// Board is the dashboard's file name (e.g. ci.json), or "alert rules".
	Board string
	// Where names the query in its board: "panel TITLE", "variable NAME",
	// "annotation NAME", or the alert rule's title.
	Where string
	// Kind is panel, variable, annotation or alert.
	Kind string
	// Pass is the name of the variables' setting; empty for alert rules,
	// which have no variables.
	Pass string
	// From and To are the dashboard's default time range ending at now;
	// zero for alert rules, which read now() themselves.
	From, To time.Time
	// SQL is the query as ClickHouse receives it.
	SQL string
	// Err says why the query could not be expanded (then SQL is empty).
	Err error

	ref sqlRef
}

// Name is board/where/pass, unique among the queries of PanelQueries.
func (q PanelQuery) Name() string {
	if q.Pass == "" {
		return q.Board + "/" + q.Where
	}
	return q.Board + "/" + q.Where + "/" + q.Pass
}

// PanelQueries returns every query of the dashboards, once per pass, each
// over its dashboard's default time range ending at now, and every query of
// the alert rules once; it fails if one of them cannot be expanded.
func PanelQueries(ds []Dashboard, now time.Time, passes ...Pass) ([]PanelQuery, error) {
	boards, err := jsonBoards(ds)
	if err != nil {
		return nil, err
	}
	qs := expandQueries(boards, now, passes)
	var errs []error
	for _, q := range qs {
		if q.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", q.Name(), q.Err))
		}
	}
	return qs, errors.Join(errs...)
}

// expandQueries expands the queries of boards for each pass, and those of
// the alert rules; a query that cannot be expanded carries its error.
func expandQueries(boards []jsonBoard, now time.Time, passes []Pass) []PanelQuery {
	var out []PanelQuery
	for _, b := range boards {
		from, to, err := timeRange(b, now)
		for _, q := range queries([]jsonBoard{b}) {
			if q.kind == "alert" {
				continue
			}
			for _, pass := range passes {
				pq := PanelQuery{Board: q.board, Where: q.where, Kind: q.kind, Pass: pass.Name, From: from, To: to, Err: err, ref: q}
				if err == nil {
					e := expansion{vars: pass.Vars, from: from, to: to, interval: panelInterval(to.Sub(from), q.widthPx())}
					pq.SQL, pq.Err = expand(q.sql, e)
				}
				out = append(out, pq)
			}
		}
	}
	for _, q := range queries(nil) {
		pq := PanelQuery{Board: q.board, Where: q.where, Kind: q.kind, ref: q}
		pq.SQL, pq.Err = expand(q.sql, expansion{})
		out = append(out, pq)
	}
	return out
}

// jsonBoard is a dashboard's JSON as Grafana reads it.
type jsonBoard struct {
	file string
	m    map[string]any
}

func (b jsonBoard) str(k string) string { s, _ := b.m[k].(string); return s }

// jsonBoards renders dashboards as Grafana reads them.
func jsonBoards(ds []Dashboard) ([]jsonBoard, error) {
	out := make([]jsonBoard, 0, len(ds))
	for _, d := range ds {
		m, err := d.Map()
		if err != nil {
			return nil, err
		}
		out = append(out, jsonBoard{file: d.File, m: m})
	}
	return out, nil
}

func list(v any) []any         { l, _ := v.([]any); return l }
func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func str(v any) string         { s, _ := v.(string); return s }
func path(v any, keys ...string) any {
	for _, k := range keys {
		v = obj(v)[k]
	}
	return v
}

// sqlRef is one query of a dashboard or alert rule, as written.
type sqlRef struct {
	board, where, kind string // kind: panel, variable, annotation, alert
	sql                string
	format             float64
	panelType          string
	panel              map[string]any
}

func (r sqlRef) String() string { return r.board + ": " + r.where }

// dashboardWidthPx is the width in pixels of the dashboard the expansion
// assumes (a 1920-pixel screen); Grafana lays panels out on a grid of 24
// columns of it.
const dashboardWidthPx = 1920

// widthPx is the width in pixels of the query's panel (gridPos.w columns of
// the dashboard), which Grafana passes as the query's maxDataPoints; a
// variable's or annotation's query gets the dashboard's width.
func (r sqlRef) widthPx() int {
	w, ok := path(r.panel, "gridPos", "w").(float64)
	if !ok || w <= 0 {
		w = 24
	}
	return int(w) * dashboardWidthPx / 24
}

// intervalSteps are Grafana's standard panel intervals (rangeutil's
// roundInterval): an interval under below rounds to step.
var intervalSteps = []struct{ below, step time.Duration }{
	{10 * time.Millisecond, time.Millisecond},
	{15 * time.Millisecond, 10 * time.Millisecond},
	{35 * time.Millisecond, 20 * time.Millisecond},
	{75 * time.Millisecond, 50 * time.Millisecond},
	{150 * time.Millisecond, 100 * time.Millisecond},
	{350 * time.Millisecond, 200 * time.Millisecond},
	{750 * time.Millisecond, 500 * time.Millisecond},
	{1500 * time.Millisecond, time.Second},
	{3500 * time.Millisecond, 2 * time.Second},
	{7500 * time.Millisecond, 5 * time.Second},
	{12500 * time.Millisecond, 10 * time.Second},
	{17500 * time.Millisecond, 15 * time.Second},
	{25 * time.Second, 20 * time.Second},
	{45 * time.Second, 30 * time.Second},
	{90 * time.Second, time.Minute},
	{210 * time.Second, 2 * time.Minute},
	{450 * time.Second, 5 * time.Minute},
	{750 * time.Second, 10 * time.Minute},
	{1050 * time.Second, 15 * time.Minute},
	{1500 * time.Second, 20 * time.Minute},
	{45 * time.Minute, 30 * time.Minute},
	{90 * time.Minute, time.Hour},
	{150 * time.Minute, 2 * time.Hour},
	{270 * time.Minute, 3 * time.Hour},
	{9 * time.Hour, 6 * time.Hour},
	{24 * time.Hour, 12 * time.Hour},
	{7 * 24 * time.Hour, 24 * time.Hour},
	{21 * 24 * time.Hour, 7 * 24 * time.Hour},
	{42 * 24 * time.Hour, 30 * 24 * time.Hour},
}

// panelInterval is the interval Grafana gives a panel's query
// (rangeutil.calculateInterval without a minimum interval): the time range
// divided by the panel's width in pixels, rounded to a standard step; a
// year beyond the steps.
func panelInterval(timeRange time.Duration, widthPx int) time.Duration {
	raw := time.Duration(float64(timeRange) / float64(widthPx))
	for _, s := range intervalSteps {
		if raw < s.below {
			return s.step
		}
	}
	return 365 * 24 * time.Hour
}

// queries lists every SQL query of the boards, then those of the alert
// rules.
func queries(boards []jsonBoard) []sqlRef {
	var out []sqlRef
	for _, b := range boards {
		for _, p := range list(b.m["panels"]) {
			p := obj(p)
			for _, q := range list(p["targets"]) {
				q := obj(q)
				f, _ := q["format"].(float64)
				out = append(out, sqlRef{board: b.file, where: "panel " + str(p["title"]), kind: "panel",
					sql: str(q["rawSql"]), format: f, panelType: str(p["type"]), panel: p})
			}
		}
		for _, v := range list(path(b.m, "templating", "list")) {
			v := obj(v)
			if q := str(v["query"]); v["type"] == "query" {
				out = append(out, sqlRef{board: b.file, where: "variable " + str(v["name"]), kind: "variable", sql: q, format: 1})
			}
		}
		for _, a := range list(path(b.m, "annotations", "list")) {
			a := obj(a)
			out = append(out, sqlRef{board: b.file, where: "annotation " + str(a["name"]), kind: "annotation",
				sql: str(path(a, "target", "rawSql")), format: 1})
		}
	}
	for _, r := range AlertRules(FolderUID, DataSourceUID).Rules {
		for _, d := range r.Data {
			if d.DatasourceUID == DataSourceUID {
				out = append(out, sqlRef{board: "alert rules", where: r.Title, kind: "alert",
					sql: str(obj(d.Model)["rawSql"]), format: 1})
			}
		}
	}
	return out
}

var relativeFrom = regexp.MustCompile(`^now-(\d+)([dy])$`)

// timeRange is a dashboard's default time range (now-Nd .. now, or
// now-Ny .. now).
func timeRange(b jsonBoard, now time.Time) (time.Time, time.Time, error) {
	from := str(path(b.m, "time", "from"))
	m := relativeFrom.FindStringSubmatch(from)
	if m == nil || str(path(b.m, "time", "to")) != "now" {
		return time.Time{}, time.Time{}, fmt.Errorf("%s: time range %v not emulated", b.file, b.m["time"])
	}
	n, _ := strconv.Atoi(m[1])
	if m[2] == "y" {
		return now.AddDate(-n, 0, 0), now, nil
	}
	return now.AddDate(0, 0, -n), now, nil
}

// allValues marks a variable set to All.
var allValues []string

// expansion is what a query is expanded with.
type expansion struct {
	// vars are the variables' values; nil (allValues) is All.
	vars     map[string][]string
	from, to time.Time
	// interval is the query's interval (panelInterval).
	interval time.Duration
}

// expand expands sql as Grafana and the plugin would.
func expand(sql string, e expansion) (string, error) {
	s, err := applyConditionalAll(sql, e.vars)
	if err != nil {
		return "", err
	}
	s, err = substituteVariables(s, e.vars)
	if err != nil {
		return "", err
	}
	s, err = expandMacros(s, e)
	if err != nil {
		return "", err
	}
	if strings.Contains(s, "$") {
		return "", fmt.Errorf("unexpanded $ left in %q", s)
	}
	return s, nil
}

const conditionalAll = "$__conditionalAll("

// conditionalAllVar is how the plugin finds the variable in the second
// argument of $__conditionalAll: ${name} or $name.
var conditionalAllVar = regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)`)

// applyConditionalAll ports the plugin's applyConditionalAll: from the last
// occurrence backwards, split the two arguments at top-level commas, and
// replace the macro by 1=1 when the variable is All or empty, else by its
// condition. Where the plugin would keep the condition whatever the
// selection (a second argument naming no variable, e.g. ${name:format}, or
// an unknown variable), this is an error: with All the condition would
// filter on every value instead of costing nothing.
func applyConditionalAll(sql string, vars map[string][]string) (string, error) {
	for i := strings.LastIndex(sql, conditionalAll); i != -1; i = strings.LastIndex(sql, conditionalAll) {
		args, ok := macroArgs(sql[i+len(conditionalAll)-1:])
		if !ok || len(args) != 2 {
			return "", fmt.Errorf("$__conditionalAll at %d: want two arguments, got %q", i, args)
		}
		m := conditionalAllVar.FindStringSubmatch(strings.TrimSpace(args[1]))
		if m == nil {
			return "", fmt.Errorf("$__conditionalAll second argument %q names no variable as the plugin reads it ($name or ${name})", args[1])
		}
		name := m[1] + m[2]
		values, known := vars[name]
		if !known {
			return "", fmt.Errorf("$__conditionalAll on unknown variable %s", name)
		}
		phrase := args[0]
		if len(values) == 0 || (len(values) == 1 && values[0] == "") {
			phrase = "1=1"
		}
		sql = strings.Replace(sql, conditionalAll+args[0]+","+args[1]+")", phrase, 1)
	}
	return sql, nil
}

// macroArgs splits "(a, f(b, c))..." into its top-level arguments, as the
// plugin's getMacroArgs does (arguments keep their spaces).
func macroArgs(s string) ([]string, bool) {
	depth, start := 0, 1
	var args []string
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 1 {
				args = append(args, s[start:i])
				start = i + 1
			}
		}
		if depth == 0 {
			return append(args, s[start:i]), true
		}
	}
	return nil, false
}

var variableRef = regexp.MustCompile(`\$\{(\w+)(?::(\w+))?\}|\$(\w+)`)

// substituteVariables replaces $var, ${var} and ${var:singlequote}.
func substituteVariables(sql string, vars map[string][]string) (string, error) {
	var err error
	out := variableRef.ReplaceAllStringFunc(sql, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		name, format := m[1], m[2]
		if name == "" {
			name = m[3]
		}
		if strings.HasPrefix(name, "__") {
			return ref // a macro, for the backend
		}
		values, known := vars[name]
		if !known {
			err = fmt.Errorf("unknown variable %s", ref)
			return ref
		}
		if values == nil {
			err = fmt.Errorf("variable %s is All outside $__conditionalAll: the query would get every value", ref)
			return ref
		}
		switch format {
		case "singlequote": // Grafana's formatter escapes quotes
			quoted := make([]string, len(values))
			for i, v := range values {
				quoted[i] = "'" + strings.ReplaceAll(v, "'", `\'`) + "'"
			}
			return strings.Join(quoted, ",")
		case "": // the plugin's format; every variable of the dashboards is multi-value, so its value is an array
			return "'" + strings.Join(values, "','") + "'"
		default:
			err = fmt.Errorf("variable format %s not emulated", ref)
			return ref
		}
	})
	return out, err
}

var macroRef = regexp.MustCompile(`\$__(\w+)\b(\(([^()]*)\))?`)

// expandMacros expands the plugin's backend macros that run on ClickHouse
// 18.16; any other macro is an error.
func expandMacros(sql string, e expansion) (string, error) {
	dt := func(t time.Time) string { return "toDateTime(" + strconv.FormatInt(t.Unix(), 10) + ")" }
	var err error
	out := macroRef.ReplaceAllStringFunc(sql, func(ref string) string {
		m := macroRef.FindStringSubmatch(ref)
		name, hasArgs, arg := m[1], m[2] != "", strings.TrimSpace(m[3])
		switch {
		case name == "timeFilter" && hasArgs:
			return arg + " >= " + dt(e.from) + " AND " + arg + " <= " + dt(e.to)
		case name == "fromTime" && !hasArgs:
			return dt(e.from)
		case name == "toTime" && !hasArgs:
			return dt(e.to)
		case name == "interval_s" && !hasArgs:
			return strconv.Itoa(max(int(e.interval/time.Second), 1))
		}
		err = fmt.Errorf("macro %s is not expanded here (and may not run on ClickHouse 18.16)", ref)
		return ref
	})
	return out, err
}
