package zuul

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
)

// Report texts in the shapes Zuul and Wikimedia's jenkins-bot post; names and
// URLs are made up.
const (
	zuulGateReport = "Patch Set 4: Verified+2\n\n" +
		"Build succeeded (gate pipeline).\n\n" +
		"- tox-py38 https://zuul.example.org/t/demo/build/6f1c2a9e : SUCCESS in 7m 03s\n" +
		"- demo-docs https://zuul.example.org/t/demo/build/77ab01cd : FAILURE in 1h 02m 03s (non-voting)\n" +
		"- build-image https://zuul.example.org/t/demo/build/0d0e0f10 : POST_FAILURE in 14s\n" +
		"- job-x : SKIPPED\n"

	zuulCheckFailure = "Patch Set 2: Verified-1\n\n" +
		"Build failed (check pipeline).  For information on how to proceed, see\n" +
		"https://docs.example.org/infra/manual/developers.html#automated-testing\n" +
		"https://zuul.example.org/t/demo/buildset/5e5e5e5e\n\n" +
		"- job-y https://zuul.example.org/t/demo/build/aaaa0001 : ERROR Project demo/foo does not have the default branch master\n" +
		"- job-z https://zuul.example.org/t/demo/build/aaaa0002 : TIMED_OUT in 30m 00s\n" +
		"- job-q : NODE_FAILURE Node request failed\n" +
		"- job-r https://zuul.example.org/t/demo/build/aaaa0003 : RETRY_LIMIT in 2h 0m 5s\n"

	zuulShortReport = "Patch Set 7: Verified-1\n\n" +
		"Build failed (check pipeline).\n\n" +
		"- unit-tests https://zuul.example.org/t/demo/build/bbbb0001 : FAILURE in 12m 40s\n" +
		"Skipped 3 jobs\n" +
		"Successful jobs omitted due to length restrictions\n"

	wikimediaTestReport = "Patch Set 1: Verified+1\n\n" +
		"Main test build succeeded.\n\n" +
		"- mwext-php72-phan-docker https://integration.example.org/ci/job/mwext-php72-phan-docker/12345/console : SUCCESS in 4m 30s\n" +
		"- mwext-node10-docker https://integration.example.org/ci/job/mwext-node10-docker/6789/console : SUCCESS in 1m 02s\n"

	wikimediaGateReport = "Patch Set 3: Verified+2\n\n" +
		"Gate pipeline build failed.\n\n" +
		"- quibble-vendor-mysql-php72-docker https://integration.example.org/ci/job/quibble-vendor-mysql-php72-docker/4242/console : FAILURE in 13m 22s\n"
)

// job builds an expected Job; d < 0 means no duration.
func zuulJobOf(name, url, result, detail string, d time.Duration, voting bool) Job {
	j := Job{Name: name, URL: url, Result: result, Detail: detail, Voting: voting}
	if d >= 0 {
		j.Duration, j.HasDuration = d, true
	}
	return j
}

const zuulNoDur = -1

func zuulDur(h, m, s int) time.Duration {
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
}

func TestParseJobLine(t *testing.T) {
	const u = "https://zuul.example.org/t/demo/build/1234abcd"
	tests := []struct {
		name string
		line string
		want *Job // nil: not a job line
	}{
		{"success seconds", "- a " + u + " : SUCCESS in 14s", zuulPtr(zuulJobOf("a", u, "SUCCESS", "", zuulDur(0, 0, 14), true))},
		{"zero seconds", "- noop " + u + " : SUCCESS in 0s", zuulPtr(zuulJobOf("noop", u, "SUCCESS", "", 0, true))},
		{"minutes seconds", "- a " + u + " : SUCCESS in 3m 09s", zuulPtr(zuulJobOf("a", u, "SUCCESS", "", zuulDur(0, 3, 9), true))},
		{"hours minutes seconds", "- a " + u + " : FAILURE in 1h 02m 03s", zuulPtr(zuulJobOf("a", u, "FAILURE", "", zuulDur(1, 2, 3), true))},
		{"unpadded components", "- a " + u + " : SUCCESS in 2h 0m 5s", zuulPtr(zuulJobOf("a", u, "SUCCESS", "", zuulDur(2, 0, 5), true))},
		{"non-voting", "- a " + u + " : FAILURE in 1h 02m 03s (non-voting)", zuulPtr(zuulJobOf("a", u, "FAILURE", "", zuulDur(1, 2, 3), false))},
		{"non-voting no duration", "- a " + u + " : SKIPPED (non-voting)", zuulPtr(zuulJobOf("a", u, "SKIPPED", "", zuulNoDur, false))},
		{"post failure", "- a " + u + " : POST_FAILURE in 14s", zuulPtr(zuulJobOf("a", u, "POST_FAILURE", "", zuulDur(0, 0, 14), true))},
		{"timed out", "- a " + u + " : TIMED_OUT in 30m 00s", zuulPtr(zuulJobOf("a", u, "TIMED_OUT", "", zuulDur(0, 30, 0), true))},
		{"retry limit", "- a " + u + " : RETRY_LIMIT in 5m 01s", zuulPtr(zuulJobOf("a", u, "RETRY_LIMIT", "", zuulDur(0, 5, 1), true))},
		{"node failure detail no url", "- job-q : NODE_FAILURE Node request failed", zuulPtr(zuulJobOf("job-q", "", "NODE_FAILURE", "Node request failed", zuulNoDur, true))},
		{"merger failure", "- a : MERGER_FAILURE", zuulPtr(zuulJobOf("a", "", "MERGER_FAILURE", "", zuulNoDur, true))},
		{"canceled", "- a " + u + " : CANCELED", zuulPtr(zuulJobOf("a", u, "CANCELED", "", zuulNoDur, true))},
		{"aborted", "- a " + u + " : ABORTED in 1m 00s", zuulPtr(zuulJobOf("a", u, "ABORTED", "", zuulDur(0, 1, 0), true))},
		{"lost", "- a " + u + " : LOST", zuulPtr(zuulJobOf("a", u, "LOST", "", zuulNoDur, true))},
		{"unknown upper-case result", "- a " + u + " : CONFIG_ERROR", zuulPtr(zuulJobOf("a", u, "CONFIG_ERROR", "", zuulNoDur, true))},
		{"error detail", "- job-y " + u + " : ERROR Project foo does not have the default branch master",
			zuulPtr(zuulJobOf("job-y", u, "ERROR", "Project foo does not have the default branch master", zuulNoDur, true))},
		{"detail then duration", "- a " + u + " : FAILURE Some detail in 3m 09s", zuulPtr(zuulJobOf("a", u, "FAILURE", "Some detail", zuulDur(0, 3, 9), true))},
		{"detail with in but no duration", "- a " + u + " : ERROR Project foo in tenant bar",
			zuulPtr(zuulJobOf("a", u, "ERROR", "Project foo in tenant bar", zuulNoDur, true))},
		{"skipped no url", "- job-x : SKIPPED", zuulPtr(zuulJobOf("job-x", "", "SKIPPED", "", zuulNoDur, true))},
		{"skipped empty url", "- job-x  : SKIPPED", zuulPtr(zuulJobOf("job-x", "", "SKIPPED", "", zuulNoDur, true))},
		{"name in place of url", "- job-x job-x : SKIPPED", zuulPtr(zuulJobOf("job-x", "", "SKIPPED", "", zuulNoDur, true))},
		{"trailing spaces", "- a " + u + " : SUCCESS in 14s   ", zuulPtr(zuulJobOf("a", u, "SUCCESS", "", zuulDur(0, 0, 14), true))},
		{"carriage return", "- a " + u + " : SUCCESS in 14s\r", zuulPtr(zuulJobOf("a", u, "SUCCESS", "", zuulDur(0, 0, 14), true))},
		{"malformed duration kept as detail", "- a " + u + " : SUCCESS in 3x", zuulPtr(zuulJobOf("a", u, "SUCCESS", "in 3x", zuulNoDur, true))},
		{"units out of order", "- a " + u + " : SUCCESS in 3s 2m", zuulPtr(zuulJobOf("a", u, "SUCCESS", "in 3s 2m", zuulNoDur, true))},
		{"huge duration", "- a " + u + " : SUCCESS in 99999999999h", zuulPtr(zuulJobOf("a", u, "SUCCESS", "in 99999999999h", zuulNoDur, true))},

		{"no separator", "- a " + u + " SUCCESS in 14s", nil},
		{"no space before colon", "- a " + u + ": SUCCESS", nil},
		{"lower-case result", "- a " + u + " : success in 14s", nil},
		{"empty result", "- a " + u + " : ", nil},
		{"only non-voting", "- a " + u + " : (non-voting)", nil},
		{"only duration", "- a " + u + " : in 14s", nil},
		{"no dash space", "-a " + u + " : SUCCESS", nil},
		{"indented", "  - a " + u + " : SUCCESS", nil},
		{"no name", "-  : SUCCESS", nil},
		{"too many fields", "- a b c : SUCCESS", nil},
		{"skipped count", "Skipped 3 jobs", nil},
		{"omitted", "Successful jobs omitted due to length restrictions", nil},
		{"header", "Build succeeded (gate pipeline).", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "Patch Set 1:\n\nBuild succeeded.\n\n" + tt.line + "\n"
			r, ok := ParseReport("autogenerated:zuul:check", text, true)
			if tt.want == nil {
				if ok {
					t.Fatalf("line %q parsed as %+v, want no job", tt.line, r.Jobs)
				}
				return
			}
			if !ok || len(r.Jobs) != 1 {
				t.Fatalf("line %q: ok=%v jobs=%+v, want one job", tt.line, ok, r.Jobs)
			}
			if r.Jobs[0] != *tt.want {
				t.Errorf("line %q:\n got %+v\nwant %+v", tt.line, r.Jobs[0], *tt.want)
			}
		})
	}
}

func zuulPtr[T any](v T) *T { return &v }

func TestParseReport(t *testing.T) {
	const u = "https://zuul.example.org/t/demo/build/"
	tests := []struct {
		name    string
		tag     string
		text    string
		fromBot bool
		want    Report
	}{
		{
			name: "zuul tag gate", tag: "autogenerated:zuul:gate", text: zuulGateReport,
			want: Report{Pipeline: "gate", Jobs: []Job{
				zuulJobOf("tox-py38", u+"6f1c2a9e", "SUCCESS", "", zuulDur(0, 7, 3), true),
				zuulJobOf("demo-docs", u+"77ab01cd", "FAILURE", "", zuulDur(1, 2, 3), false),
				zuulJobOf("build-image", u+"0d0e0f10", "POST_FAILURE", "", zuulDur(0, 0, 14), true),
				zuulJobOf("job-x", "", "SKIPPED", "", zuulNoDur, true),
			}},
		},
		{
			name: "tag pipeline wins over header", tag: "autogenerated:zuul:check", text: zuulGateReport, fromBot: true,
			want: Report{Pipeline: "check", Jobs: []Job{
				zuulJobOf("tox-py38", u+"6f1c2a9e", "SUCCESS", "", zuulDur(0, 7, 3), true),
				zuulJobOf("demo-docs", u+"77ab01cd", "FAILURE", "", zuulDur(1, 2, 3), false),
				zuulJobOf("build-image", u+"0d0e0f10", "POST_FAILURE", "", zuulDur(0, 0, 14), true),
				zuulJobOf("job-x", "", "SKIPPED", "", zuulNoDur, true),
			}},
		},
		{
			name: "untagged bot, pipeline from header with trailing text", text: zuulCheckFailure, fromBot: true,
			want: Report{Pipeline: "check", Jobs: []Job{
				zuulJobOf("job-y", u+"aaaa0001", "ERROR", "Project demo/foo does not have the default branch master", zuulNoDur, true),
				zuulJobOf("job-z", u+"aaaa0002", "TIMED_OUT", "", zuulDur(0, 30, 0), true),
				zuulJobOf("job-q", "", "NODE_FAILURE", "Node request failed", zuulNoDur, true),
				zuulJobOf("job-r", u+"aaaa0003", "RETRY_LIMIT", "", zuulDur(2, 0, 5), true),
			}},
		},
		{
			name: "zuul tag without pipeline falls back to header", tag: "autogenerated:zuul:", text: zuulGateReport,
			want: Report{Pipeline: "gate", Jobs: []Job{
				zuulJobOf("tox-py38", u+"6f1c2a9e", "SUCCESS", "", zuulDur(0, 7, 3), true),
				zuulJobOf("demo-docs", u+"77ab01cd", "FAILURE", "", zuulDur(1, 2, 3), false),
				zuulJobOf("build-image", u+"0d0e0f10", "POST_FAILURE", "", zuulDur(0, 0, 14), true),
				zuulJobOf("job-x", "", "SKIPPED", "", zuulNoDur, true),
			}},
		},
		{
			name: "omitted and skipped lines are not jobs", tag: "autogenerated:zuul:check", text: zuulShortReport,
			want: Report{Pipeline: "check", Jobs: []Job{
				zuulJobOf("unit-tests", u+"bbbb0001", "FAILURE", "", zuulDur(0, 12, 40), true),
			}},
		},
		{
			name: "crlf", text: strings.ReplaceAll(zuulShortReport, "\n", "\r\n"), fromBot: true,
			want: Report{Pipeline: "check", Jobs: []Job{
				zuulJobOf("unit-tests", u+"bbbb0001", "FAILURE", "", zuulDur(0, 12, 40), true),
			}},
		},
		{
			name: "untagged bot, no pipeline", fromBot: true,
			text: "Patch Set 3: Verified+1\n\nBuild succeeded.\n\n- noop https://zuul.example.org/t/local/build/c0ffee : SUCCESS in 0s",
			want: Report{Jobs: []Job{zuulJobOf("noop", "https://zuul.example.org/t/local/build/c0ffee", "SUCCESS", "", 0, true)}},
		},
		{
			name: "pipeline line after the jobs is ignored", fromBot: true,
			text: "Patch Set 3:\n\nBuild succeeded.\n\n- noop : SUCCESS\n\nBuild succeeded (gate pipeline).",
			want: Report{Jobs: []Job{zuulJobOf("noop", "", "SUCCESS", "", zuulNoDur, true)}},
		},
		{
			name: "wikimedia ci-test tag", tag: "autogenerated:ci-test", text: wikimediaTestReport,
			want: Report{Pipeline: "test", Jobs: []Job{
				zuulJobOf("mwext-php72-phan-docker", "https://integration.example.org/ci/job/mwext-php72-phan-docker/12345/console", "SUCCESS", "", zuulDur(0, 4, 30), true),
				zuulJobOf("mwext-node10-docker", "https://integration.example.org/ci/job/mwext-node10-docker/6789/console", "SUCCESS", "", zuulDur(0, 1, 2), true),
			}},
		},
		{
			name: "wikimedia tag pipeline wins", tag: "autogenerated:ci-gate-and-submit", text: wikimediaGateReport,
			want: Report{Pipeline: "gate-and-submit", Jobs: []Job{
				zuulJobOf("quibble-vendor-mysql-php72-docker", "https://integration.example.org/ci/job/quibble-vendor-mysql-php72-docker/4242/console", "FAILURE", "", zuulDur(0, 13, 22), true),
			}},
		},
		{
			name: "wikimedia plain ci tag, gate header", tag: "autogenerated:ci", text: wikimediaGateReport,
			want: Report{Pipeline: "gate", Jobs: []Job{
				zuulJobOf("quibble-vendor-mysql-php72-docker", "https://integration.example.org/ci/job/quibble-vendor-mysql-php72-docker/4242/console", "FAILURE", "", zuulDur(0, 13, 22), true),
			}},
		},
		{
			name: "wikimedia untagged, main test header", text: wikimediaTestReport, fromBot: true,
			want: Report{Pipeline: "test", Jobs: []Job{
				zuulJobOf("mwext-php72-phan-docker", "https://integration.example.org/ci/job/mwext-php72-phan-docker/12345/console", "SUCCESS", "", zuulDur(0, 4, 30), true),
				zuulJobOf("mwext-node10-docker", "https://integration.example.org/ci/job/mwext-node10-docker/6789/console", "SUCCESS", "", zuulDur(0, 1, 2), true),
			}},
		},
		{
			name: "wikimedia main test failed", fromBot: true,
			text: "Patch Set 2: Verified-1\n\nMain test build failed.\n\n- a https://integration.example.org/ci/job/a/1/console : FAILURE in 2m 05s\n",
			want: Report{Pipeline: "test", Jobs: []Job{zuulJobOf("a", "https://integration.example.org/ci/job/a/1/console", "FAILURE", "", zuulDur(0, 2, 5), true)}},
		},
		{
			name: "wikimedia postmerge", fromBot: true,
			text: "Patch Set 5:\n\nPostmerge build succeeded.\n\n- a https://integration.example.org/ci/job/a/2/console : SUCCESS in 50s\n",
			want: Report{Pipeline: "postmerge", Jobs: []Job{zuulJobOf("a", "https://integration.example.org/ci/job/a/2/console", "SUCCESS", "", zuulDur(0, 0, 50), true)}},
		},
		{
			name: "wikimedia experimental", tag: "autogenerated:ci",
			text: "Patch Set 5:\n\nExperimental build succeeded.\n\n- a https://integration.example.org/ci/job/a/3/console : SUCCESS in 1m 50s (non-voting)\n",
			want: Report{Pipeline: "experimental", Jobs: []Job{zuulJobOf("a", "https://integration.example.org/ci/job/a/3/console", "SUCCESS", "", zuulDur(0, 1, 50), false)}},
		},
		{
			name: "wikimedia gate pipeline succeeded", fromBot: true,
			text: "Patch Set 5: Verified+2\n\nGate pipeline build succeeded.\n\n- a https://integration.example.org/ci/job/a/4/console : SUCCESS in 9m 59s\n",
			want: Report{Pipeline: "gate", Jobs: []Job{zuulJobOf("a", "https://integration.example.org/ci/job/a/4/console", "SUCCESS", "", zuulDur(0, 9, 59), true)}},
		},
		{
			name: "malformed lines skipped, good ones kept", tag: "autogenerated:zuul:check",
			text: "Patch Set 1:\n\nBuild failed.\n\n- broken line without result\n- a : FAILURE in 1m 01s\n- b https://x : lower\n",
			want: Report{Pipeline: "check", Jobs: []Job{zuulJobOf("a", "", "FAILURE", "", zuulDur(0, 1, 1), true)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseReport(tt.tag, tt.text, tt.fromBot)
			if !ok {
				t.Fatalf("ParseReport(%q, ...) not a report", tt.tag)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseReport(%q, ...)\n got %+v\nwant %+v", tt.tag, got, tt.want)
			}
		})
	}
}

func TestParseReportNotAReport(t *testing.T) {
	jobLike := "Patch Set 2: Code-Review-1\n\nBuild failed (check pipeline).\n\n- tox-py38 https://zuul.example.org/t/demo/build/1 : FAILURE in 3m 09s\n"
	tests := []struct {
		name    string
		tag     string
		text    string
		fromBot bool
	}{
		{"human untagged with job-like text", "", jobLike, false},
		{"gerrit tag from a bot", "autogenerated:gerrit:newPatchSet", jobLike, true},
		{"gerrit merged tag", "autogenerated:gerrit:merged", "Change has been successfully merged by Example CI", true},
		{"jenkins gerrit trigger tag", "autogenerated:jenkins-gerrit-trigger", jobLike, true},
		{"other ci-like tag", "autogenerated:circleci", jobLike, true},
		{"zuul prefix without colon", "autogenerated:zuul", jobLike, true},
		{"start message", "", "Patch Set 3:\n\nStarting check jobs. https://zuul.example.org/t/demo/status/change/1,3", true},
		{"start message tagged", "autogenerated:zuul:gate", "Patch Set 3: -Verified\n\nStarting gate jobs.", true},
		{"wikimedia start message", "autogenerated:ci-gate-and-submit", "Patch Set 3:\n\nStarting gate-and-submit jobs.", true},
		{"empty", "", "", true},
		{"empty tagged", "autogenerated:zuul:check", "", true},
		{"vote only", "", "Patch Set 3: Verified+1", true},
		{"merge failure", "autogenerated:zuul:gate", "Patch Set 3: Verified-2\n\nMerge Failed.\n\nThis change or one of its cross-repo dependencies was unable to be automatically merged with the current state of its repository.", true},
		{"only malformed lines", "autogenerated:zuul:check", "Patch Set 1:\n\nBuild failed.\n\n- a https://x SUCCESS\n- b : success\n", true},
		{"only omitted lines", "autogenerated:zuul:check", "Patch Set 1:\n\nBuild failed.\n\nSkipped 3 jobs\nSuccessful jobs omitted due to length restrictions\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := ParseReport(tt.tag, tt.text, tt.fromBot)
			if ok {
				t.Fatalf("ParseReport(%q, %q, %v) = %+v, want not a report", tt.tag, tt.text, tt.fromBot, r)
			}
			if !reflect.DeepEqual(r, Report{}) {
				t.Errorf("not a report but r = %+v, want zero", r)
			}
		})
	}
}

func TestParseZuulDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"14s", zuulDur(0, 0, 14), true},
		{"0s", 0, true},
		{"3m 09s", zuulDur(0, 3, 9), true},
		{"1h 02m 03s", zuulDur(1, 2, 3), true},
		{"2h 0m 5s", zuulDur(2, 0, 5), true},
		{"1h", zuulDur(1, 0, 0), true},
		{"", 0, false},
		{"s", 0, false},
		{"3", 0, false},
		{"3x", 0, false},
		{"-3s", 0, false},
		{"+3s", 0, false},
		{"3s 2m", 0, false},
		{"1m 1m", 0, false},
		{"1h 2m 3s 4s", 0, false},
		{"1234567890s", 0, false},
		{"2562047h 47m 16s", zuulDur(2562047, 47, 16), true}, // the largest time.Duration in whole seconds
		{"2562047h 47m 17s", 0, false},
		{"999999999h 999999999m 999999999s", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseZuulDuration(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseZuulDuration(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestZuulPatchsetFromText(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"Patch Set 3: Verified+1\n\nBuild succeeded.", 3},
		{"Patch Set 12:\n\nBuild succeeded.", 12},
		{"Patch Set 7", 7},
		{"Patch Set 7\r\n", 7},
		{"Patch Set x:", 0},
		{"Patch Set 3x:", 0},
		{"Patch Set 12345678901: too long", 0},
		{"Build succeeded.", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := zuulPatchset(tt.in); got != tt.want {
			t.Errorf("zuulPatchset(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestBuilds(t *testing.T) {
	zuul := collectors.Account{ID: "1000001", Name: "Example CI", Username: "zuul"}
	alice := collectors.Account{ID: "1000002", Name: "Alice Example", Username: "alice"}
	isBot := func(a collectors.Account) bool { return a.Username == "zuul" }
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const u = "https://zuul.example.org/t/demo/build/"

	c := collectors.Change{
		Source:  "example",
		Project: "demo/widgets",
		Number:  4711,
		Messages: []collectors.Message{
			{ID: "m1", Author: alice, Date: at("2024-03-01T10:00:00Z"), Tag: "autogenerated:gerrit:newPatchSet", Text: "Uploaded patch set 2.", Revision: 2},
			{ID: "m2", Author: zuul, Date: at("2024-03-01T10:00:05Z"), Text: "Patch Set 2:\n\nStarting check jobs.", Revision: 2},
			{ID: "m3", Author: zuul, Date: at("2024-03-01T10:20:00Z"), Text: "Patch Set 2: Verified+1\n\n" +
				"Build succeeded (check pipeline).\n\n" +
				"- tox-py38 " + u + "c1 : SUCCESS in 3m 09s\n" +
				"- lint : SKIPPED\n" +
				"- tox-py38 " + u + "c1 : SUCCESS in 3m 09s\n"},
			{ID: "m4", Author: alice, Date: at("2024-03-01T11:00:00Z"), Text: "Patch Set 2: Code-Review+2\n\n" +
				"Build succeeded (check pipeline).\n\n- tox-py38 " + u + "fake : SUCCESS in 1s\n", Revision: 2},
			{ID: "m5", Author: alice, Date: at("2024-03-01T12:00:00Z"), Tag: "autogenerated:zuul:gate", Revision: 3, Text: "Patch Set 3: Verified+2\n\n" +
				"Build succeeded (gate pipeline).\n\n" +
				"- demo-docs " + u + "g1 : FAILURE in 1h 02m 03s (non-voting)\n" +
				"- demo-docs-publish " + u + "g1 : SUCCESS in 14s\n" +
				"- lint : SUCCESS\n"},
		},
	}
	finished3 := at("2024-03-01T10:20:00Z")
	finished5 := at("2024-03-01T12:00:00Z")
	want := []collectors.Build{
		{Source: "src", System: collectors.SystemZuul, Pipeline: "check", Job: "tox-py38", BuildID: u + "c1", URL: u + "c1",
			Project: "demo/widgets", Change: 4711, Patchset: 2, Result: "SUCCESS", Voting: true,
			Started: finished3.Add(-189 * time.Second), Finished: finished3, DurationS: 189},
		{Source: "src", System: collectors.SystemZuul, Pipeline: "check", Job: "lint", BuildID: "m3/lint",
			Project: "demo/widgets", Change: 4711, Patchset: 2, Result: "SKIPPED", Voting: true,
			Started: finished3, Finished: finished3},
		{Source: "src", System: collectors.SystemZuul, Pipeline: "gate", Job: "demo-docs", BuildID: u + "g1", URL: u + "g1",
			Project: "demo/widgets", Change: 4711, Patchset: 3, Result: "FAILURE", Voting: false,
			Started: finished5.Add(-3723 * time.Second), Finished: finished5, DurationS: 3723},
		{Source: "src", System: collectors.SystemZuul, Pipeline: "gate", Job: "demo-docs-publish", BuildID: u + "g1#demo-docs-publish", URL: u + "g1",
			Project: "demo/widgets", Change: 4711, Patchset: 3, Result: "SUCCESS", Voting: true,
			Started: finished5.Add(-14 * time.Second), Finished: finished5, DurationS: 14},
		{Source: "src", System: collectors.SystemZuul, Pipeline: "gate", Job: "lint", BuildID: "m5/lint",
			Project: "demo/widgets", Change: 4711, Patchset: 3, Result: "SUCCESS", Voting: true,
			Started: finished5, Finished: finished5},
	}
	got := Builds("src", c, isBot)
	if len(got) != len(want) {
		t.Fatalf("Builds returned %d builds, want %d:\n%s", len(got), len(want), zuulBuildsString(got))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("build %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
		if !got[i].Finished.Add(-time.Duration(got[i].DurationS) * time.Second).Equal(got[i].Started) {
			t.Errorf("build %d: started %v != finished %v - %ds", i, got[i].Started, got[i].Finished, got[i].DurationS)
		}
		if got[i].QueuedS != nil {
			t.Errorf("build %d: QueuedS = %v, want nil", i, *got[i].QueuedS)
		}
	}

	// Without a bot predicate, untagged messages are never reports.
	if got := Builds("src", c, nil); len(got) != 3 {
		t.Errorf("Builds with nil isBot returned %d builds, want the 3 of the tagged report:\n%s", len(got), zuulBuildsString(got))
	}
	if got := Builds("src", collectors.Change{}, isBot); got != nil {
		t.Errorf("Builds of an empty change = %v, want nil", got)
	}
}

func zuulBuildsString(bs []collectors.Build) string {
	var b strings.Builder
	for _, x := range bs {
		fmt.Fprintf(&b, "  %+v\n", x)
	}
	return b.String()
}
