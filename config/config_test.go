package config_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors/gerrit"
	"github.com/codepace/codepace/collectors/github"
	"github.com/codepace/codepace/collectors/jenkins"
	"github.com/codepace/codepace/collectors/sources"
	. "github.com/codepace/codepace/config"
	"github.com/codepace/codepace/keyresults/figure"
)

// types are the source types the tests parse with.
var types = sources.Config()

// typeNames returns the registered types' names joined by sep, and the
// names of those that have key when key is not empty: what the decoder's
// messages list, whatever types are registered.
func typeNames(key, sep string) string {
	var names []string
	for _, t := range types {
		if key == "" || slices.Contains(Keys(t), key) {
			names = append(names, t.Name())
		}
	}
	return strings.Join(names, sep)
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestSpecExample parses testdata/spec.yaml, the configuration example
// codepace was specified with, kept verbatim, and checks what it sets.
func TestSpecExample(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "spec.yaml"), types)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	wantCH := ClickHouse{
		Addr:        "127.0.0.1:9000",
		Database:    "codepace",
		Username:    "default",
		Password:    Secret{Env: "CLICKHOUSE_PASSWORD"},
		DialTimeout: 10 * time.Second,
	}
	if cfg.ClickHouse != wantCH {
		t.Errorf("ClickHouse = %+v, want %+v", cfg.ClickHouse, wantCH)
	}

	if len(cfg.Sources) != 3 {
		t.Fatalf("got %d sources, want 3", len(cfg.Sources))
	}
	g := cfg.Sources[0].Settings.(*gerrit.Config)
	gh := cfg.Sources[1].Settings.(*github.Config)
	j := cfg.Sources[2].Settings.(*jenkins.Config)
	checks := []struct {
		name      string
		got, want any
	}{
		{"gerrit name", g.Name, "wikimedia"},
		{"gerrit type", g.Type, "gerrit"},
		{"gerrit url", g.URL, URL("https://gerrit.example.org/")},
		{"gerrit projects", len(g.Projects), 0},
		{"gerrit since", g.Since, date("2019-07-01")},
		{"gerrit schedule", g.Schedule, "*/30 * * * *"},
		{"gerrit bots", strings.Join(g.Bots, ","), "jenkins-bot,*-bot,zuul"},
		{"gerrit username", g.Username, "collector"},
		{"gerrit password", g.Password, Secret{Env: "GERRIT_HTTP_PASSWORD"}},
		{"gerrit page size", g.PageSize, 500},
		{"gerrit window", g.Window, 720 * time.Hour},
		{"gerrit overlap", g.Overlap, 10 * time.Minute},
		{"gerrit timeout", g.Timeout, 60 * time.Second},
		{"gerrit retries", g.Retries, 5},

		{"github name", gh.Name, "github-acme"},
		{"github type", gh.Type, "github"},
		{"github owner", gh.Owner, "acme"},
		{"github repos", len(gh.Repos), 0},
		{"github token", gh.Token, Secret{Env: "GITHUB_TOKEN"}},
		{"github base url", gh.BaseURL, URL("")},
		{"github since", gh.Since, date("2019-07-01")},
		{"github schedule", gh.Schedule, DefaultSchedule},
		{"github page size", gh.PageSize, 100},
		{"github api", gh.API, "graphql"},

		{"jenkins name", j.Name, "ci"},
		{"jenkins type", j.Type, "jenkins"},
		{"jenkins url", j.URL, URL("https://jenkins.example.org/")},
		{"jenkins jobs", len(j.Jobs), 0},
		{"jenkins username", j.Username, "collector"},
		{"jenkins token", j.Token, Secret{Env: "JENKINS_TOKEN"}},
		{"jenkins page size", j.PageSize, 100},
		{"max answer bytes", j.MaxAnswerBytes, ByteSize(64 << 20)},

		{"metrics", cfg.Metrics, Metrics{NewcomerDays: 90, Spike: Spike{Ratio: 1.5, FloorS: 120, WindowDays: 14, MinBuilds: 5}}},
		{"grafana", cfg.Grafana, Grafana{URL: "http://127.0.0.1:3000", Token: Secret{Env: "GRAFANA_TOKEN"}, Folder: "codepace"}},
		{"daemon", cfg.Daemon, Daemon{Listen: "127.0.0.1:9464", TimeZone: "UTC", Jitter: 30 * time.Second, GracePeriod: 30 * time.Second}},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	if len(cfg.Targets) != 1 {
		t.Fatalf("got %d targets, want 1", len(cfg.Targets))
	}
	fig, _ := figure.Parse("cycle_time_p50_days")
	wantT := Target{
		Metric:       "cycle_time_p50_days",
		Figure:       fig,
		MinN:         DefaultMinN,
		Baseline:     11.6,
		Goal:         -10,
		GoalRelative: true,
		Due:          date("2020-06-30"),
		Filter:       Filter{Source: "wikimedia", Cohort: CohortNew},
	}
	if cfg.Targets[0] != wantT {
		t.Errorf("target = %+v, want %+v", cfg.Targets[0], wantT)
	}
	if cfg.Targets[0].HasBaselinePeriod() {
		t.Error("HasBaselinePeriod = true for a numeric baseline")
	}
	if got := cfg.Targets[0].GoalValue(11.6); got < 10.439 || got > 10.441 {
		t.Errorf("GoalValue(11.6) = %v, want 10.44", got)
	}
	if s, ok := cfg.Source("ci"); !ok || s.Type != "jenkins" {
		t.Errorf("Source(ci) = %+v, %v", s, ok)
	}
	if _, ok := cfg.Source("nope"); ok {
		t.Error("Source(nope) found")
	}
}

func TestExample(t *testing.T) {
	cfg, err := Parse(Example(types), "example.yaml", types)
	if err != nil {
		t.Fatalf("Example does not parse: %v", err)
	}
	if len(cfg.Sources) != len(types) || len(cfg.Targets) != 4 {
		t.Fatalf("got %d sources and %d targets, want %d (one per type) and 4", len(cfg.Sources), len(cfg.Targets), len(types))
	}
	tg := cfg.Targets[1]
	if !tg.HasBaselinePeriod() || tg.BaselineFrom != date("2019-04-01") || tg.BaselineTo != date("2019-06-30") || tg.Baseline != 0 {
		t.Errorf("baseline period target = %+v", tg)
	}
	if tg.Goal != -10 || !tg.GoalRelative || tg.GoalValue(30) != 27 || tg.Filter.Team != "platform" || tg.Figure.Stat.Name != "mean" {
		t.Errorf("relative goal target = %+v", tg)
	}
	if m := cfg.Targets[3]; !m.Manual || m.Figure.Measure != nil || cfg.People[0].Team != "platform" {
		t.Errorf("manual target = %+v, people %+v", m, cfg.People)
	}
	if tg := cfg.Targets[2]; tg.Filter.Job != "mediawiki-quibble" || tg.Filter.System != "jenkins" {
		t.Errorf("build filter = %+v", tg.Filter)
	}
	if i := slices.IndexFunc(cfg.Sources, func(s Source) bool { return s.Type == "jenkins" }); i < 0 || cfg.Sources[i].Schedule != "@hourly" {
		t.Errorf("no jenkins source with schedule @hourly in %+v", cfg.Sources)
	}
	// Every key of every source type appears in the example, so it
	// documents all (the sections' keys: TestExampleShowsSectionKeys).
	ex := string(Example(types))
	common := map[string]int{} // key -> how many types have it
	for _, typ := range types {
		for _, k := range Keys(typ) {
			common[k]++
		}
	}
	for _, typ := range types {
		for _, k := range Keys(typ) {
			// A key of every type may be shown on any; the others in the
			// type's own example.
			shown := typ.Example()
			if common[k] == len(types) {
				shown = ex
			}
			if !strings.Contains(shown, k+":") {
				t.Errorf("example does not show key %q of %s sources", k, typ.Name())
			}
		}
	}
	// Example returns a copy.
	b := Example(types)
	b[0] = 'X'
	if Example(types)[0] == 'X' {
		t.Error("Example returns shared bytes")
	}
}

// head is a minimal valid configuration of 7 lines; cases append to it, so
// their first line is line 8.
const head = `clickhouse:
  addr: 127.0.0.1:9000
sources:
  - name: g
    type: gerrit
    url: https://gerrit.example.org/
    since: 2019-07-01
`

// github and jenkins are valid second sources, appended after head (lines
// 8-12 and 8-13).
const (
	ghSrc = `  - name: gh
    type: github
    owner: acme
    token_env: GITHUB_TOKEN
    since: 2019-07-01
`
	jenkinsSrc = `  - name: ci
    type: jenkins
    url: https://jenkins.example.org/
    username: u
    token_env: JENKINS_TOKEN
    since: 2019-07-01
`
)

func TestHeadIsValid(t *testing.T) {
	for _, y := range []string{head, head + ghSrc, head + jenkinsSrc, head + ghSrc + jenkinsSrc} {
		if _, err := Parse([]byte(y), "t.yaml", types); err != nil {
			t.Errorf("valid config rejected: %v\n%s", err, y)
		}
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error
		not  []string // must not appear in the error
	}{
		// File shape.
		{"empty file", "", []string{"t.yaml: empty configuration"}, nil},
		{"only comments", "# nothing\n", []string{"t.yaml: empty configuration"}, nil},
		{"not a mapping", "- a\n- b\n", []string{"t.yaml:1: the configuration must be a mapping", "not a list"}, nil},
		{"scalar", "hello\n", []string{"t.yaml:1: the configuration must be a mapping"}, nil},
		{"syntax error", head + "  bad: [\n", []string{"t.yaml:", "invalid YAML"}, nil},
		{"tab", head + "\tschedule: x\n", []string{"t.yaml:", "invalid YAML", "tab"}, nil},
		{"two documents", head + "---\nsources: []\n", []string{"t.yaml:8: more than one YAML document"}, nil},
		{"no sources", "clickhouse:\n  addr: 127.0.0.1:9000\n", []string{"t.yaml:1: sources: at least one source is required"}, nil},
		{"empty sources", "sources: []\n", []string{"t.yaml:1: sources: at least one source is required"}, nil},
		{"sources not a list", "sources:\n  name: g\n", []string{"t.yaml:2: sources: want a list of sources"}, nil},
		{"section not a mapping", head + "daemon: yes\n", []string{`t.yaml:8: daemon: want a mapping with keys listen, time_zone, jitter, grace_period, report_html, got "yes"`}, nil},

		// People.
		{"people not a list", head + "people: {a: b}\n", []string{"t.yaml:8: people: want a list of people"}, nil},
		{"person without accounts", head + "people:\n  - name: A\n", []string{"t.yaml:9: people[0].accounts: required"}, nil},
		{"person account of an unknown source", head + "people:\n  - {name: A, accounts: [\"zz:1\"]}\n", []string{`t.yaml:9: people[0].accounts[0]: "zz:1" names no configured source`}, nil},
		{"person account neither", head + "people:\n  - {name: A, accounts: [alice]}\n", []string{`people[0].accounts[0]: "alice" is neither source:id-or-username nor an email`}, nil},
		{"account of two people", head + "people:\n  - {name: A, accounts: [a@x.org]}\n  - {name: B, accounts: [A@X.org]}\n", []string{`t.yaml:10: people[1].accounts[0]: "A@X.org" is already mapped to a person (line 9)`}, nil},
		{"two people of one name", head + "people:\n  - {name: A, accounts: [a@x.org]}\n  - {name: A, accounts: [b@x.org]}\n", []string{`t.yaml:10: people[1].name: "A" is already a person (line 9)`}, nil},

		// Unknown and duplicate keys.
		{"unknown source key", head + "    pasword_env: X\n", []string{`t.yaml:8: sources[0].pasword_env: unknown key "pasword_env" (did you mean "password_env"?)`}, nil},
		{"unknown root key", head + "grafna:\n  url: http://g/\n", []string{`t.yaml:8: grafna: unknown key "grafna" (did you mean "grafana"?)`}, nil},
		{"unknown key listed", head + "metrics:\n  zzzzzzzz: 1\n", []string{`t.yaml:9: metrics.zzzzzzzz: unknown key "zzzzzzzz"; known keys: newcomer_days, spike`}, nil},
		{"unknown nested key", head + "metrics:\n  spike: {ratio: 2, flor_s: 3}\n", []string{`t.yaml:9: metrics.spike.flor_s: unknown key "flor_s" (did you mean "floor_s"?)`}, nil},
		{"duplicate key", head + "    since: 2020-01-01\n", []string{"t.yaml:8: sources[0].since: duplicate key (first set on line 7)"}, nil},

		// Inline secrets.
		{"inline password", head + "    username: u\n    password: hunter2\n",
			[]string{"t.yaml:9: sources[0].password: inline secrets are not allowed; use password_env or password_file"}, []string{"hunter2"}},
		{"inline token", head + "grafana:\n  url: http://g:3000\n  token: glsa_abc123\n",
			[]string{"t.yaml:10: grafana.token: inline secrets are not allowed; use token_env or token_file"}, []string{"glsa_abc123"}},
		{"inline api_token", head + ghSrc + "    api_token: ghp_s3cr3t\n",
			[]string{"t.yaml:13: sources[1].api_token: inline secrets are not allowed"}, []string{"ghp_s3cr3t"}},
		{"inline secret under unknown key", head + "extra:\n  nested:\n    - secret: sh-h-h\n",
			[]string{"t.yaml:10: extra.nested[0].secret: inline secrets are not allowed", `t.yaml:8: extra: unknown key "extra"`}, []string{"sh-h-h"}},
		{"inline clickhouse password", "clickhouse:\n  password: chpass\n" + head[len("clickhouse:\n"):],
			[]string{"t.yaml:2: clickhouse.password: inline secrets are not allowed; use password_env or password_file"}, []string{"chpass"}},
		{"credentials in url", strings.Replace(head, "https://gerrit", "https://bob:pa55word@gerrit", 1),
			[]string{"t.yaml:6: sources[0].url: inline secrets are not allowed in a URL", "password_env"}, []string{"pa55word", "bob"}},
		{"credentials in unparsable url", strings.Replace(head, "https://gerrit.example.org/", "https://bob:pa55 word@gerrit:x/", 1),
			[]string{"t.yaml:6: sources[0].url: inline secrets are not allowed in a URL"}, []string{"pa55"}},
		{"secret in _env", head + "    username: u\n    password_env: \"hunter2!\"\n",
			[]string{"t.yaml:9: sources[0].password_env: not a valid environment variable name"}, []string{"hunter2"}},
		{"env and file", head + "    username: u\n    password_env: P\n    password_file: /run/p\n",
			[]string{"t.yaml:10: sources[0].password_file: set only one of password_env and password_file"}, nil},
		{"empty _file", head + "    username: u\n    password_file: \"\"\n",
			[]string{"t.yaml:9: sources[0].password_file: must name a file"}, nil},
		{"gerrit password without username", head + "    password_env: P\n",
			[]string{"t.yaml:8: sources[0].password_env: needs username"}, nil},
		{"gerrit username without password", head + "    username: u\n",
			[]string{"t.yaml:8: sources[0].username: needs password_env or password_file"}, nil},
		{"jenkins token without username", head + strings.Replace(jenkinsSrc, "    username: u\n", "", 1),
			[]string{"t.yaml:11: sources[1].token_env: needs username"}, nil},
		{"github without token", head + strings.Replace(ghSrc, "    token_env: GITHUB_TOKEN\n", "", 1),
			[]string{"t.yaml:8: sources[1].token_env: required: a GitHub source needs token_env or token_file"}, nil},

		// Sources.
		{"missing name", strings.Replace(head, "  - name: g\n    type", "  - type", 1),
			[]string{"t.yaml:4: sources[0].name: required"}, nil},
		{"bad name", strings.Replace(head, "name: g", "name: \"a b\"", 1),
			[]string{`t.yaml:4: sources[0].name: bad source name "a b"`}, nil},
		{"duplicate name", head + strings.Replace(ghSrc, "name: gh", "name: g", 1),
			[]string{`t.yaml:8: sources[1].name: duplicate source name "g" (also on line 4)`}, nil},
		{"missing type", strings.Replace(head, "    type: gerrit\n", "", 1),
			[]string{"t.yaml:4: sources[0].type: required: " + typeNames("", ", ")}, nil},
		{"bad type", strings.Replace(head, "type: gerrit", "type: svn", 1),
			[]string{`t.yaml:5: sources[0].type: unknown source type "svn"; want one of ` + typeNames("", ", ")}, nil},
		{"owner on gerrit", head + "    owner: acme\n",
			[]string{"t.yaml:8: sources[0].owner: owner is not a key of a gerrit source (it belongs to github sources)"}, nil},
		{"jobs on github", head + ghSrc + "    jobs: [a]\n",
			[]string{"t.yaml:13: sources[1].jobs: jobs is not a key of a github source (it belongs to jenkins sources)"}, nil},
		{"url on github", head + ghSrc + "    url: https://github.com/\n",
			[]string{"t.yaml:13: sources[1].url: url is not a key of a github source (it belongs to " + typeNames("url", " and ") + " sources)"}, nil},
		{"bots on jenkins", head + jenkinsSrc + "    bots: [x]\n",
			[]string{"t.yaml:14: sources[1].bots: bots is not a key of a jenkins source"}, nil},
		{"missing url", strings.Replace(head, "    url: https://gerrit.example.org/\n", "", 1),
			[]string{"t.yaml:4: sources[0].url: required"}, nil},
		{"jenkins missing url", head + strings.Replace(jenkinsSrc, "    url: https://jenkins.example.org/\n", "", 1),
			[]string{"t.yaml:8: sources[1].url: required"}, nil},
		{"url not http", strings.Replace(head, "https://gerrit.example.org/", "ftp://gerrit.example.org/", 1),
			[]string{`t.yaml:6: sources[0].url: want an absolute http:// or https:// URL, got "ftp://gerrit.example.org/"`}, nil},
		{"url relative", strings.Replace(head, "https://gerrit.example.org/", "gerrit.example.org", 1),
			[]string{`t.yaml:6: sources[0].url: want an absolute http:// or https:// URL`}, nil},
		{"url with query", strings.Replace(head, "https://gerrit.example.org/", "https://gerrit.example.org/?token=abc", 1),
			[]string{`t.yaml:6: sources[0].url: must not have a query`}, []string{"abc"}},
		{"bad base_url", head + ghSrc + "    base_url: api.example.com\n",
			[]string{"t.yaml:13: sources[1].base_url: want an absolute http:// or https:// URL"}, nil},
		{"missing owner", head + strings.Replace(ghSrc, "    owner: acme\n", "", 1),
			[]string{"t.yaml:8: sources[1].owner: required"}, nil},
		{"bad repo", head + ghSrc + "    repos: [ok, acme/ok, a/b/c]\n",
			[]string{`t.yaml:13: sources[1].repos[2]: bad repository "a/b/c"`}, nil},
		{"missing since", strings.Replace(head, "    since: 2019-07-01\n", "", 1),
			[]string{"t.yaml:4: sources[0].since: required"}, nil},
		{"bad since", strings.Replace(head, "since: 2019-07-01", "since: 07/01/2019", 1),
			[]string{`t.yaml:7: sources[0].since: bad date "07/01/2019"`}, nil},
		{"bad cron", head + "    schedule: \"*/x * * * *\"\n",
			[]string{`t.yaml:8: sources[0].schedule: bad cron spec "*/x * * * *": `}, nil},
		{"cron too many fields", head + "    schedule: \"0 */30 * * * *\"\n",
			[]string{`t.yaml:8: sources[0].schedule: bad cron spec "0 */30 * * * *"`}, nil},
		{"bad bot glob", head + "    bots: [ok, \"[\"]\n",
			[]string{`t.yaml:8: sources[0].bots[1]: bad glob "[": syntax error in pattern`}, nil},
		{"bots not a list", head + "    bots: zuul\n",
			[]string{`t.yaml:8: sources[0].bots: want a list such as [a, b], got "zuul"`}, nil},
		{"empty project", head + "    projects: [\"\"]\n",
			[]string{`t.yaml:8: sources[0].projects[0]: must not be empty`}, nil},
		{"bad duration", head + "    window: 30x\n",
			[]string{`t.yaml:8: sources[0].window: bad duration "30x"`}, nil},
		{"duration without unit", head + "    timeout: 60\n",
			[]string{`t.yaml:8: sources[0].timeout: bad duration "60"`}, nil},
		{"negative duration", head + "    overlap: -5m\n",
			[]string{`t.yaml:8: sources[0].overlap: must not be negative, got "-5m"`}, nil},
		{"zero timeout", head + "    timeout: 0s\n",
			[]string{`t.yaml:8: sources[0].timeout: must be more than zero`}, nil},
		{"overlap not below window", head + "    window: 1h\n    overlap: 2h\n",
			[]string{`t.yaml:9: sources[0].overlap: overlap (2h0m0s) must be shorter than window (1h0m0s)`}, nil},
		{"page_size zero", head + "    page_size: 0\n",
			[]string{"t.yaml:8: sources[0].page_size: must be between 1 and 10000, got 0"}, nil},
		{"page_size too big", head + "    page_size: 20000\n",
			[]string{"t.yaml:8: sources[0].page_size: must be between 1 and 10000, got 20000"}, nil},
		{"github page_size", head + ghSrc + "    page_size: 500\n",
			[]string{"t.yaml:13: sources[1].page_size: must be between 1 and 100, got 500"}, nil},
		{"github api", head + ghSrc + "    api: soap\n",
			[]string{`t.yaml:13: sources[1].api: want graphql or rest, got "soap"`}, nil},
		{"page_size not int", head + "    page_size: lots\n",
			[]string{`t.yaml:8: sources[0].page_size: want an integer, got "lots"`}, nil},
		{"retries", head + "    retries: 21\n",
			[]string{"t.yaml:8: sources[0].retries: must be between 0 and 20, got 21"}, nil},

		// Metrics.
		{"newcomer_days", head + "metrics:\n  newcomer_days: 0\n", []string{"t.yaml:9: metrics.newcomer_days: must be between 1 and"}, nil},
		{"spike ratio", head + "metrics:\n  spike:\n    ratio: 1\n", []string{"t.yaml:10: metrics.spike.ratio: must be more than 1"}, nil},
		{"spike ratio not number", head + "metrics:\n  spike: {ratio: big}\n", []string{`t.yaml:9: metrics.spike.ratio: want a number, got "big"`}, nil},
		{"spike floor_s", head + "metrics:\n  spike: {floor_s: -1}\n", []string{"t.yaml:9: metrics.spike.floor_s: must be at least 0, got -1"}, nil},
		{"spike window_days", head + "metrics:\n  spike: {window_days: 0}\n", []string{"t.yaml:9: metrics.spike.window_days: must be between 1 and"}, nil},
		{"spike min_builds", head + "metrics:\n  spike: {min_builds: 0}\n", []string{"t.yaml:9: metrics.spike.min_builds: must be at least 1"}, nil},

		// Targets.
		{"unknown metric", head + "targets:\n  - {metric: cycle_time_p50_day, baseline: 1, goal: 2, due: 2020-01-01}\n",
			[]string{`t.yaml:9: targets[0].metric: figure "cycle_time_p50_day": unknown unit "day" for cycle_time; units: seconds, minutes, hours, days`}, nil},
		{"unknown measure", head + "targets:\n  - {metric: cycle_tim_p50_days, baseline: 1, goal: 2, due: 2020-01-01}\n",
			[]string{`t.yaml:9: targets[0].metric: unknown figure "cycle_tim_p50_days" (did you mean "cycle_time_p50_days"?)`, "measures: time_to_first_review, ", "build_spikes"}, nil},
		{"unknown stat", head + "targets:\n  - {metric: time_to_merge_avg_days, baseline: 1, goal: 2, due: 2020-01-01}\n",
			[]string{`t.yaml:9: targets[0].metric: figure "time_to_merge_avg_days": unknown statistic "avg"; statistics: mean, p50, p75, p90, p95, max`}, nil},
		{"manual computed name", head + "targets:\n  - {metric: build_spikes, manual: true, baseline: 1, goal: 2, due: 2020-01-01}\n",
			[]string{`t.yaml:9: targets[0].metric: "build_spikes" is a computed figure`}, nil},
		{"manual filter", head + "targets:\n  - {metric: satisfaction, manual: true, baseline: 1, goal: 2, due: 2020-01-01, filter: {source: s}}\n",
			[]string{`t.yaml:9: targets[0].filter.source: a manual target takes no filter`}, nil},
		{"filter not taken", head + "targets:\n  - {metric: build_spikes, baseline: 1, goal: 2, due: 2020-01-01, filter: {cohort: new}}\n",
			[]string{`t.yaml:9: targets[0].filter.cohort: build_spikes does not take the filter cohort; it takes source, project, system, pipeline, job`}, nil},
		{"filter unknown key", head + "targets:\n  - {metric: build_spikes, baseline: 1, goal: 2, due: 2020-01-01, filter: {colour: red}}\n",
			[]string{`t.yaml:9: targets[0].filter.colour: unknown key`}, nil},
		{"filter unknown team", head + "targets:\n  - {metric: changes_merged, baseline: 1, goal: 2, due: 2020-01-01, filter: {team: core}}\n",
			[]string{`t.yaml:9: targets[0].filter.team: no person under people: has team "core"; teams: (none)`}, nil},
		{"start after due", head + "targets:\n  - {metric: changes_merged, baseline: 1, goal: 2, due: 2020-01-01, start: 2020-01-02}\n",
			[]string{`t.yaml:9: targets[0].start: must be before the end of the due day`}, nil},
		{"min_n negative", head + "targets:\n  - {metric: changes_merged, baseline: 1, goal: 2, due: 2020-01-01, min_n: -1}\n",
			[]string{`t.yaml:9: targets[0].min_n:`}, nil},
		{"missing metric", head + "targets:\n  - {baseline: 1, goal: 2, due: 2020-01-01}\n",
			[]string{"t.yaml:9: targets[0].metric: required"}, nil},
		{"bad goal", head + "targets:\n  - metric: build_spikes\n    baseline: 10\n    goal: ten\n    due: 2020-01-01\n",
			[]string{`t.yaml:11: targets[0].goal: want a number such as 10.44 or a signed percentage such as "-10%" or "+5%", got "ten"`}, nil},
		{"unsigned percentage", head + "targets:\n  - {metric: build_spikes, baseline: 10, goal: 10%, due: 2020-01-01}\n",
			[]string{`t.yaml:9: targets[0].goal: want a number`, `"10%"`}, nil},
		{"goal equals baseline", head + "targets:\n  - {metric: build_spikes, baseline: 10, goal: 10, due: 2020-01-01}\n",
			[]string{`t.yaml:9: targets[0].goal: equals the baseline`}, nil},
		{"zero percent goal", head + "targets:\n  - {metric: build_spikes, baseline: 10, goal: \"+0%\", due: 2020-01-01}\n",
			[]string{`t.yaml:9: targets[0].goal: a change of 0% leaves the baseline where it is`}, nil},
		{"missing goal", head + "targets:\n  - {metric: build_spikes, baseline: 10, due: 2020-01-01}\n",
			[]string{`t.yaml:9: targets[0].goal: required`}, nil},
		{"bad due", head + "targets:\n  - {metric: build_spikes, baseline: 10, goal: 5, due: soon}\n",
			[]string{`t.yaml:9: targets[0].due: bad date "soon"`}, nil},
		{"missing due", head + "targets:\n  - {metric: build_spikes, baseline: 10, goal: 5}\n",
			[]string{`t.yaml:9: targets[0].due: required`}, nil},
		{"missing baseline", head + "targets:\n  - {metric: build_spikes, goal: 5, due: 2020-01-01}\n",
			[]string{`t.yaml:9: targets[0].baseline: required`}, nil},
		{"bad baseline", head + "targets:\n  - {metric: build_spikes, baseline: [1], goal: 5, due: 2020-01-01}\n",
			[]string{`t.yaml:9: targets[0].baseline: want a number or {from: DATE, to: DATE}, got a list`}, nil},
		{"baseline from after to", head + "targets:\n  - metric: build_spikes\n    baseline: {from: 2019-06-30, to: 2019-04-01}\n    goal: 5\n    due: 2020-01-01\n",
			[]string{`t.yaml:10: targets[0].baseline.to: must be after from`}, nil},
		{"baseline period missing to", head + "targets:\n  - metric: build_spikes\n    baseline: {from: 2019-06-30}\n    goal: 5\n    due: 2020-01-01\n",
			[]string{`t.yaml:10: targets[0].baseline.to: required`}, nil},
		{"baseline period unknown key", head + "targets:\n  - metric: build_spikes\n    baseline: {from: 2019-04-01, until: 2019-06-30}\n    goal: 5\n    due: 2020-01-01\n",
			[]string{`t.yaml:10: targets[0].baseline.until: unknown key "until"`}, nil},
		{"due inside baseline period", head + "targets:\n  - metric: build_spikes\n    baseline: {from: 2019-04-01, to: 2019-06-30}\n    goal: 5\n    due: 2019-05-01\n",
			[]string{`t.yaml:12: targets[0].due: must be after the baseline period`}, nil},
		{"filter unknown source", head + "targets:\n  - metric: build_spikes\n    baseline: 10\n    goal: 5\n    due: 2020-01-01\n    filter: {source: nope}\n",
			[]string{`t.yaml:13: targets[0].filter.source: no source named "nope"; configured sources: g`}, nil},
		{"filter bad cohort", head + "targets:\n  - metric: changes_merged\n    baseline: 10\n    goal: 5\n    due: 2020-01-01\n    filter:\n      cohort: old\n",
			[]string{`t.yaml:14: targets[0].filter.cohort: unknown cohort "old"; want new or ramped`}, nil},
		{"targets not a list", head + "targets: {metric: x}\n", []string{"t.yaml:8: targets: want a list of targets"}, nil},

		// ClickHouse, Grafana, daemon.
		{"clickhouse addr", strings.Replace(head, "addr: 127.0.0.1:9000", "addr: clickhouse://db:9000", 1),
			[]string{`t.yaml:2: clickhouse.addr: want host:port, got "clickhouse://db:9000"`}, nil},
		{"clickhouse addr port", strings.Replace(head, "addr: 127.0.0.1:9000", "addr: db:native", 1),
			[]string{`t.yaml:2: clickhouse.addr: bad port in "db:native"`}, nil},
		{"clickhouse database", head + "clickhouse:\n", []string{"t.yaml:8: clickhouse: duplicate key (first set on line 1)"}, nil},
		{"clickhouse bad database", strings.Replace(head, "addr: 127.0.0.1:9000", "database: code-pace", 1),
			[]string{`t.yaml:2: clickhouse.database: bad database name "code-pace"`}, nil},
		{"clickhouse dial_timeout", strings.Replace(head, "addr: 127.0.0.1:9000", "dial_timeout: 5", 1),
			[]string{`t.yaml:2: clickhouse.dial_timeout: bad duration "5"`}, nil},
		{"grafana url", head + "grafana:\n  url: localhost:3000\n", []string{"t.yaml:9: grafana.url: want an absolute http:// or https:// URL"}, nil},
		{"grafana url credentials", head + "grafana:\n  url: http://admin:admin123@localhost:3000\n",
			[]string{"t.yaml:9: grafana.url: inline secrets are not allowed in a URL; remove user:password@ and use token_env or token_file"}, []string{"admin123"}},
		{"grafana token both", head + "grafana:\n  token_env: T\n  token_file: /t\n", []string{"t.yaml:10: grafana.token_file: set only one of token_env and token_file"}, nil},
		{"grafana empty folder", head + "grafana:\n  folder: \"\"\n", []string{"t.yaml:9: grafana.folder: must not be empty"}, nil},
		{"daemon time_zone", head + "daemon:\n  time_zone: Mars/Olympus\n", []string{`t.yaml:9: daemon.time_zone: unknown time zone "Mars/Olympus"`}, nil},
		{"daemon listen", head + "daemon:\n  listen: 9464\n", []string{`t.yaml:9: daemon.listen: want host:port, got "9464"`}, nil},
		{"daemon jitter", head + "daemon:\n  jitter: soon\n", []string{`t.yaml:9: daemon.jitter: bad duration "soon"`}, nil},
		{"daemon grace_period", head + "daemon:\n  grace_period: -1s\n", []string{`t.yaml:9: daemon.grace_period: must not be negative`}, nil},
		{"daemon report_html a directory", head + "daemon:\n  report_html: /var/www/\n", []string{`t.yaml:9: daemon.report_html: want the path of a file, such as /var/lib/codepace/key-results.html`}, nil},
		// Working-time calendars.
		{"calendar time zone", head + "calendar:\n  time_zone: Mars/Olympus\n", []string{`t.yaml:9: calendar.time_zone: unknown time zone "Mars/Olympus"`}, nil},
		{"calendar time zone Local", head + "calendar:\n  time_zone: Local\n", []string{`t.yaml:9: calendar.time_zone: unknown time zone "Local"`}, nil},
		{"calendar hours backwards", head + "calendar:\n  hours: \"17:00-09:00\"\n", []string{`t.yaml:9: calendar.hours: bad hours "17:00-09:00": the end must be after the start`}, nil},
		{"calendar hours past 24", head + "calendar:\n  hours: \"09:00-24:30\"\n", []string{`t.yaml:9: calendar.hours: bad hours "09:00-24:30": "24:30" is not a time from 00:00 to 24:00`}, nil},
		{"calendar hours shape", head + "calendar:\n  hours: 9-17\n", []string{`t.yaml:9: calendar.hours: bad hours "9-17"`}, nil},
		{"calendar workday", head + "calendar:\n  workdays: [mon, tues]\n", []string{`t.yaml:9: calendar.workdays[1]: unknown day "tues"`}, nil},
		{"calendar workday twice", head + "calendar:\n  workdays: [mon, Mon]\n", []string{`t.yaml:9: calendar.workdays[1]: "Mon" is listed twice`}, nil},
		{"calendar holiday", head + "calendar:\n  holidays:\n    - 2024-12-25\n    - 2024-13-01\n", []string{`t.yaml:11: calendar.holidays[1]: bad date "2024-13-01"`}, nil},
		{"calendar holidays not a list", head + "calendar:\n  holidays: 2024-12-25\n", []string{`t.yaml:9: calendar.holidays: want a list of dates`}, nil},
		{"calendar unknown key", head + "calendar:\n  timezone: UTC\n", []string{`t.yaml:9: calendar.timezone: unknown key "timezone" (did you mean "time_zone"?)`}, nil},
		{"team of nobody", head + "people:\n  - {name: A, accounts: [a@x.org], team: core}\nteams:\n  cor:\n    calendar: {time_zone: UTC}\n", []string{`t.yaml:11: teams.cor: no person has team "cor"`}, nil},
		{"team calendar zone", head + "people:\n  - {name: A, accounts: [a@x.org], team: core}\nteams:\n  core:\n    calendar:\n      time_zone: Europe/Berln\n", []string{`t.yaml:13: teams.core.calendar.time_zone: unknown time zone "Europe/Berln"`}, nil},
		{"teams not a mapping", head + "teams: [core]\n", []string{`t.yaml:8: teams: want a mapping of team names`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.yaml), "t.yaml", types)
			if err == nil {
				t.Fatalf("no error; config %+v\nfrom:\n%s", cfg, tt.yaml)
			}
			if cfg != nil {
				t.Errorf("config returned with an error")
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not contain %q:\n%s", w, msg)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(msg, n) {
					t.Errorf("error contains %q:\n%s", n, msg)
				}
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error is not a *config.Error: %T", err)
			} else if ce.File != "t.yaml" {
				t.Errorf("Error.File = %q", ce.File)
			}
		})
	}
}

// TestAllErrors checks that every problem is reported, in line order.
func TestCalendars(t *testing.T) {
	cfg, err := Parse([]byte(head+`people:
  - {name: A, accounts: [a@x.org], team: core}
  - {name: B, accounts: [b@x.org], team: web}
calendar:
  time_zone: America/Los_Angeles
  hours: "09:00-17:30"
  holidays: [2024-12-25, 2024-07-04, 2024-12-25]
teams:
  core:
    calendar: {time_zone: Europe/Berlin, workdays: [mon, tue, wed, thu], holidays: [2024-12-26]}
  web: {}
`), "t.yaml", types)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Calendar
	if c.TimeZone != "America/Los_Angeles" || c.Location.String() != "America/Los_Angeles" || c.Start != 9*3600 || c.End != 17*3600+1800 ||
		len(c.Workdays) != 5 || !slices.Equal(c.Holidays, []time.Time{date("2024-07-04"), date("2024-12-25")}) {
		t.Errorf("calendar = %+v", c)
	}
	core := cfg.Teams["core"].Calendar
	if core == nil || core.TimeZone != "Europe/Berlin" || core.Start != 9*3600 || core.End != 17*3600+1800 ||
		!slices.Equal(core.Workdays, []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday}) ||
		!slices.Equal(core.Holidays, []time.Time{date("2024-12-26")}) {
		t.Errorf("team core's calendar (its keys, else calendar:'s) = %+v", core)
	}
	if web, ok := cfg.Teams["web"]; !ok || web.Calendar != nil {
		t.Errorf("team web = %+v, %v; want no calendar of its own", web, ok)
	}
	def, err := Parse([]byte(head), "t.yaml", types)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(def.Calendar, DefaultCalendar()) || def.Calendar.End != 86400 || len(def.Calendar.Workdays) != 5 {
		t.Errorf("default calendar = %+v", def.Calendar)
	}
}

func TestAllErrors(t *testing.T) {
	y := head + "    schedule: \"bad\"\n" + // 8
		"    retries: -1\n" + // 9
		"daemon:\n" + // 10
		"  jitter: 1x\n" // 11
	_, err := Parse([]byte(y), "t.yaml", types)
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{"t.yaml:8: sources[0].schedule:", "t.yaml:9: sources[0].retries:", "t.yaml:11: daemon.jitter:"}
	if len(lines) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d = %q, want prefix %q", i, lines[i], w)
		}
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse([]byte("sources:\n  - {name: g, type: gerrit, url: \"http://g/\", since: 2019-07-01T12:30:00+02:00}\n"), "t.yaml", types)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		ClickHouse: ClickHouse{Addr: "127.0.0.1:9000", Database: "codepace", Username: "default", DialTimeout: 10 * time.Second},
		Metrics:    Metrics{NewcomerDays: 90, Spike: Spike{Ratio: 1.5, FloorS: 120, WindowDays: 14, MinBuilds: 5}},
		Grafana:    Grafana{Folder: "codepace"},
		Daemon:     Daemon{Listen: "127.0.0.1:9464", TimeZone: "UTC", Jitter: 30 * time.Second, GracePeriod: 30 * time.Second},
	}
	wantSrc := gerrit.DefaultConfig()
	wantSrc.Name, wantSrc.URL = "g", "http://g/"
	wantSrc.Since = time.Date(2019, 7, 1, 10, 30, 0, 0, time.UTC)
	if got := cfg.Sources[0].Since; !got.Equal(wantSrc.Since) || got.Location() != time.UTC {
		t.Errorf("Since = %v, want %v in UTC", got, wantSrc.Since)
	}
	if cfg.ClickHouse != want.ClickHouse || cfg.Metrics != want.Metrics || cfg.Grafana != want.Grafana || cfg.Daemon != want.Daemon {
		t.Errorf("got %+v\nwant %+v", cfg, want)
	}
	wantSrc.Since = cfg.Sources[0].Since
	if s := cfg.Sources[0].Settings.(*gerrit.Config); !reflect.DeepEqual(*s, wantSrc) {
		t.Errorf("source = %+v\nwant %+v", *s, wantSrc)
	}
	if w := (SourceCommon{Name: "g", Type: "gerrit", Since: wantSrc.Since, Schedule: "*/30 * * * *", PageSize: 500,
		Window: 720 * time.Hour, Overlap: 10 * time.Minute, Timeout: time.Minute, Retries: 5, MaxAnswerBytes: 64 << 20}); *cfg.Sources[0].SourceCommon != w {
		t.Errorf("common settings = %+v\nwant %+v", *cfg.Sources[0].SourceCommon, w)
	}
	if len(cfg.Targets) != 0 {
		t.Errorf("targets = %v", cfg.Targets)
	}
}

func TestValues(t *testing.T) {
	y := `clickhouse:
  addr: "db1:9000, db2:9000"
  cluster: main-cluster
  password_file: /run/secrets/ch
sources:
  - name: gh
    type: github
    owner: acme
    repos: [api, other/web]
    token_file: /run/secrets/gh
    base_url: https://ghe.example.com/api/v3/
    since: 2020-01-01
    schedule: "@every 2h"
    window: 1d12h
    overlap: 1h
    timeout: 90s
    retries: 0
    page_size: 50
targets:
  - metric: review_backlog_open
    baseline: 120
    goal: "+5.5%"
    due: 2021-01-01T00:00:00Z
    filter: {source: gh, project: acme/api, cohort: ramped}
daemon:
  listen: ":9464"
  time_zone: Europe/Berlin
  jitter: 0s
  report_html: /srv/www/key-results.html
`
	cfg, err := Parse([]byte(y), "t.yaml", types)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.ClickHouse.Addrs(); !slices.Equal(got, []string{"db1:9000", "db2:9000"}) {
		t.Errorf("Addrs = %q", got)
	}
	if cfg.ClickHouse.Cluster != "main-cluster" || cfg.ClickHouse.Password != (Secret{File: "/run/secrets/ch"}) {
		t.Errorf("clickhouse = %+v", cfg.ClickHouse)
	}
	s := cfg.Sources[0].Settings.(*github.Config)
	if !slices.Equal(s.Repos, []string{"api", "other/web"}) || s.Token != (Secret{File: "/run/secrets/gh"}) ||
		s.BaseURL != URL("https://ghe.example.com/api/v3/") || s.Schedule != "@every 2h" || s.Window != 36*time.Hour ||
		s.Overlap != time.Hour || s.Timeout != 90*time.Second || s.Retries != 0 || s.PageSize != 50 {
		t.Errorf("source = %+v", s)
	}
	tg := cfg.Targets[0]
	if tg.Goal != 5.5 || !tg.GoalRelative || tg.Baseline != 120 || !tg.Due.Equal(date("2021-01-01")) ||
		tg.Filter != (Filter{Source: "gh", Project: "acme/api", Cohort: CohortRamped}) {
		t.Errorf("target = %+v", tg)
	}
	if got := tg.GoalValue(100); got != 105.5 {
		t.Errorf("GoalValue(100) = %v", got)
	}
	if cfg.Daemon != (Daemon{Listen: ":9464", TimeZone: "Europe/Berlin", Jitter: 0, GracePeriod: 30 * time.Second, ReportHTML: "/srv/www/key-results.html"}) {
		t.Errorf("daemon = %+v", cfg.Daemon)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	if _, err := Load(missing, types); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(missing, types) error = %v, want one naming %s", err, missing)
	}
	p := filepath.Join(dir, "codepace.yaml")
	if err := os.WriteFile(p, []byte(head+"    schedule: \"*/x * * * *\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p, types)
	if err == nil || !strings.HasPrefix(err.Error(), p+`:8: sources[0].schedule: bad cron spec "*/x * * * *": `) {
		t.Errorf("Load error = %v, want one starting with %s:8:", err, p)
	}
	if err := os.WriteFile(p, []byte(head), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, types); err != nil {
		t.Errorf("Load valid: %v", err)
	}
}

func TestSecretValue(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "secret")
	if err := os.WriteFile(file, []byte("s3cret value \n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CODEPACE_TEST_SECRET", "from-env")
	t.Setenv("CODEPACE_TEST_EMPTY", "")

	tests := []struct {
		name    string
		secret  Secret
		want    string
		wantErr string
	}{
		{"env", Secret{Env: "CODEPACE_TEST_SECRET"}, "from-env", ""},
		{"env unset", Secret{Env: "CODEPACE_TEST_UNSET_XYZ"}, "", "environment variable CODEPACE_TEST_UNSET_XYZ is not set"},
		{"env empty", Secret{Env: "CODEPACE_TEST_EMPTY"}, "", "environment variable CODEPACE_TEST_EMPTY is not set"},
		{"file", Secret{File: file}, "s3cret value", ""},
		{"file missing", Secret{File: filepath.Join(dir, "nope")}, "", filepath.Join(dir, "nope")},
		{"file empty", Secret{File: empty}, "", "secret file " + empty + " is empty"},
		{"unset", Secret{}, "", ErrNoSecret.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.secret.Value()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Value() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Value() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := (Secret{}).Value(); !errors.Is(err, ErrNoSecret) {
		t.Errorf("unset Value error = %v, want ErrNoSecret", err)
	}
	if s := (Secret{File: file}); !s.IsSet() || strings.Contains(s.String(), "s3cret") || s.String() != "file:"+file {
		t.Errorf("file secret String = %q", s.String())
	}
	if s := (Secret{Env: "X"}); !s.IsSet() || s.String() != "env:X" {
		t.Errorf("env secret String = %q", s.String())
	}
	if (Secret{}).IsSet() || (Secret{}).String() != "unset" {
		t.Error("zero Secret is set")
	}
}

// TestSecretsNeverInErrors puts secrets wherever a user might, with other
// mistakes around them, and checks no error message repeats one.
func TestSecretsNeverInErrors(t *testing.T) {
	const pw = "Tr0ub4dor&3"
	y := `clickhouse:
  password: "` + pw + `"
  password_env: "` + pw + `"
sources:
  - name: g
    type: gerrit
    url: https://collector:` + pw + `@gerrit.example.org/
    since: 2019-07-01
    username: collector
    password: ` + pw + `
    gerrit_password: ` + pw + `
  - name: gh
    type: github
    owner: acme
    token: "` + pw + `"
    token_file: ""
    since: 2019-07-01
    base_url: https://x:` + pw + `@ghe/
grafana:
  url: http://admin:` + pw + `@localhost:3000
  secret: {value: "` + pw + `"}
`
	_, err := Parse([]byte(y), "t.yaml", types)
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), "Tr0ub") {
		t.Fatalf("error reveals the secret:\n%s", err)
	}
	for _, w := range []string{
		"t.yaml:2: clickhouse.password: inline secrets",
		"t.yaml:3: clickhouse.password_env: not a valid environment variable name",
		"t.yaml:7: sources[0].url: inline secrets are not allowed in a URL",
		"t.yaml:10: sources[0].password: inline secrets",
		"t.yaml:11: sources[0].gerrit_password: inline secrets",
		"t.yaml:15: sources[1].token: inline secrets",
		"t.yaml:18: sources[1].base_url: inline secrets",
		"t.yaml:20: grafana.url: inline secrets",
		"t.yaml:21: grafana.secret: inline secrets",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not contain %q:\n%s", w, err)
		}
	}
}

// TestUserinfoNeverEchoed puts credentials in addresses and URLs in forms
// the URL parser does not see as credentials (issue 18.6): no error repeats
// them, and each names the key and its line.
func TestUserinfoNeverEchoed(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"clickhouse addr", strings.Replace(head, "addr: 127.0.0.1:9000", `addr: "bob:S3cr3tPw@db:9000"`, 1),
			"t.yaml:2: clickhouse.addr: inline secrets are not allowed"},
		{"second clickhouse addr", strings.Replace(head, "addr: 127.0.0.1:9000", `addr: "db1:9000,bob:S3cr3tPw@db2:9000"`, 1),
			"t.yaml:2: clickhouse.addr: inline secrets are not allowed"},
		{"addr without port", strings.Replace(head, "addr: 127.0.0.1:9000", `addr: "bob:S3cr3tPw@db"`, 1),
			"t.yaml:2: clickhouse.addr: inline secrets are not allowed"},
		{"url without slashes", strings.Replace(head, "https://gerrit.example.org/", "http:bob:S3cr3tPw@gerrit.example.org/", 1),
			"t.yaml:6: sources[0].url: inline secrets are not allowed in a URL"},
		{"grafana url without slashes", head + "grafana:\n  url: \"https:admin:S3cr3tPw@localhost:3000\"\n",
			"t.yaml:9: grafana.url: inline secrets are not allowed in a URL"},
		{"token as user", head + "grafana:\n  url: \"ftp://S3cr3tPw@localhost:3000\"\n",
			"t.yaml:9: grafana.url: inline secrets are not allowed in a URL"},
		{"daemon listen", head + "daemon:\n  listen: \"bob:S3cr3tPw@0.0.0.0:9464\"\n",
			"t.yaml:9: daemon.listen: inline secrets are not allowed"},
		{"cluster", strings.Replace(head, "addr: 127.0.0.1:9000", `cluster: "bob:S3cr3tPw@c"`, 1),
			"t.yaml:2: clickhouse.cluster:"},
		{"schedule", head + "    schedule: \"https://bob:S3cr3tPw@x\"\n",
			"t.yaml:8: sources[0].schedule:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "t.yaml", types)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "S3cr3tPw") {
				t.Errorf("error echoes the password:\n%s", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not contain %q:\n%s", tt.want, err)
			}
		})
	}
}

// TestUnreadableFilesStop checks that secret files and the configuration
// file are read only when they are regular files of a bounded size (issue
// 18.8): /dev/zero or a FIFO without a writer would be read for ever.
func TestUnreadableFilesStop(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	bigConfig := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(bigConfig, append([]byte(head), bytes.Repeat([]byte("# padding\n"), 1<<20)...), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		read func() error
		want string
	}{
		{"secret /dev/zero", func() error { _, err := (Secret{File: "/dev/zero"}).Value(); return err }, "/dev/zero is not a regular file"},
		{"secret fifo", func() error { _, err := (Secret{File: fifo}).Value(); return err }, fifo + " is not a regular file"},
		{"secret directory", func() error { _, err := (Secret{File: dir}).Value(); return err }, dir + " is not a regular file"},
		{"secret too big", func() error { _, err := (Secret{File: big}).Value(); return err }, "secret file " + big + " is larger than"},
		{"config /dev/zero", func() error { _, err := Load("/dev/zero", types); return err }, "/dev/zero is not a regular file"},
		{"config fifo", func() error { _, err := Load(fifo, types); return err }, fifo + " is not a regular file"},
		{"config too big", func() error { _, err := Load(bigConfig, types); return err }, bigConfig + " is larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- c.read() }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("error = %v, want one containing %q", err, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("still reading after 10 s")
			}
		})
	}
}

// TestManyErrorsStop checks that a configuration with a great many
// problems reports the first ones in line order and counts the rest, not
// one line per problem (issue 18.8).
func TestManyErrorsStop(t *testing.T) {
	var b strings.Builder
	b.WriteString(head)
	const n = 100000
	for i := range n {
		fmt.Fprintf(&b, "    unknown_%d: x\n", i)
	}
	_, err := Parse([]byte(b.String()), "t.yaml", types)
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) > 51 {
		t.Fatalf("%d lines of errors, want at most 51", len(lines))
	}
	if !strings.HasPrefix(lines[0], "t.yaml:8: sources[0].unknown_0: unknown key") {
		t.Errorf("first error = %q, want the first line's", lines[0])
	}
	if want := fmt.Sprintf("t.yaml: and %d more problems", n-50); lines[len(lines)-1] != want {
		t.Errorf("last line = %q, want %q", lines[len(lines)-1], want)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Errorf("error is not a *config.Error: %T", err)
	}
}
