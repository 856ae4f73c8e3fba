package dashboards

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file expands panel SQL the way Grafana and the ClickHouse plugin do,
// so tests can run it on ClickHouse:
//
//  1. the plugin's frontend replaces $__conditionalAll(cond, $var) by 1=1
//     when $var is All (or empty), else by cond (CHDatasource.applyConditionalAll);
//  2. Grafana's template service substitutes the variables; the plugin's
//     format joins a multi-value as 'a','b', and ${var:singlequote} quotes
//     each value;
//  3. the plugin's backend expands its macros (pkg/macros): $__timeFilter(c)
//     -> c >= toDateTime(FROM) AND c <= toDateTime(TO), $__fromTime and
//     $__toTime -> toDateTime(UNIX), $__interval_s -> the interval in
//     seconds (at least 1).

// allValues marks a variable set to All.
var allValues []string

// expansion is what a query is expanded with.
type expansion struct {
	// vars are the variables' values; nil (allValues) is All.
	vars     map[string][]string
	from, to time.Time
	// intervalS is the panel interval in seconds.
	intervalS int
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

// applyConditionalAll ports the plugin's applyConditionalAll: from the last
// occurrence backwards, split the two arguments at top-level commas, and
// replace the macro by 1=1 when the variable is All or empty, else by its
// condition.
func applyConditionalAll(sql string, vars map[string][]string) (string, error) {
	for i := strings.LastIndex(sql, conditionalAll); i != -1; i = strings.LastIndex(sql, conditionalAll) {
		args, ok := macroArgs(sql[i+len(conditionalAll)-1:])
		if !ok || len(args) != 2 {
			return "", fmt.Errorf("$__conditionalAll at %d: want two arguments, got %q", i, args)
		}
		name := strings.TrimSpace(args[1])
		if !strings.HasPrefix(name, "$") || strings.HasPrefix(name, "${") {
			return "", fmt.Errorf("$__conditionalAll second argument %q: the plugin wants $name", name)
		}
		values, known := vars[name[1:]]
		if !known {
			return "", fmt.Errorf("$__conditionalAll on unknown variable %s", name)
		}
		phrase := args[0]
		if values == nil || len(values) == 0 || (len(values) == 1 && values[0] == "") {
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
		quoted := make([]string, len(values))
		for i, v := range values {
			quoted[i] = "'" + strings.ReplaceAll(v, "'", `\'`) + "'"
		}
		switch {
		case format == "singlequote":
			return strings.Join(quoted, ",")
		case format != "":
			err = fmt.Errorf("variable format %s not emulated", ref)
			return ref
		case len(values) == 1:
			return values[0] // the plugin's format leaves a single value as is
		default:
			return strings.Join(quoted, ",")
		}
	})
	return out, err
}

var macroRef = regexp.MustCompile(`\$__(\w+)\b(\(([^()]*)\))?`)

// expandMacros expands the plugin's backend macros the tests allow; any
// other macro is an error.
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
			return strconv.Itoa(max(e.intervalS, 1))
		}
		err = fmt.Errorf("macro %s is not expanded by this test (and may not run on ClickHouse 18.16)", ref)
		return ref
	})
	return out, err
}

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
