package jenkins

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
)

func TestDecodeBuilds(t *testing.T) {
	body, err := os.ReadFile("testdata/builds.json")
	if err != nil {
		t.Fatal(err)
	}
	var item itemJSON
	if err := decode(body, "https://jenkins.example.org/job/quibble/job/main/api/json", &item); err != nil {
		t.Fatal(err)
	}
	if item.Jobs != nil || len(item.AllBuilds) != 2 {
		t.Fatalf("item: jobs %v, %d builds", item.Jobs, len(item.AllBuilds))
	}
	if !item.AllBuilds[1].running() || item.AllBuilds[0].running() {
		t.Error("running() is wrong")
	}
	p := item.AllBuilds[0].params()
	if p["SKIP_TESTS"] != "false" || p["PATCH"] != "" || p["UPSTREAM"] != "" || p["GERRIT_CHANGE_NUMBER"] != "1045112" {
		t.Errorf("params: %q", p)
	}
	b, err := toBuild("ci", "https://jenkins.example.org/", job{"quibble", "main"}, &item.AllBuilds[0])
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 3, 4, 9, 0, 0, 123e6, time.UTC)
	q := int64(65)
	want := collectors.Build{Source: "ci", System: collectors.SystemJenkins, Pipeline: "quibble", Job: "quibble/main",
		BuildID: "https://jenkins.example.org/job/quibble/job/main/2217/", URL: "https://jenkins.example.org/job/quibble/job/main/2217/",
		Project: "integration/config", Change: 1045112, Patchset: 4, Result: "SUCCESS", Voting: true,
		Started: start, Finished: start.Add(754321 * time.Millisecond), DurationS: 754}
	if b.QueuedS == nil || *b.QueuedS != q {
		t.Errorf("queued %v, want 65", b.QueuedS)
	}
	b.QueuedS = nil
	if b != want {
		t.Errorf("build:\n got %+v\nwant %+v", b, want)
	}
}

func TestToBuildEdges(t *testing.T) {
	res := "FAILURE"
	for _, tt := range []struct {
		name string
		b    buildJSON
		ok   bool
	}{
		{"no timestamp", buildJSON{Number: 1, Result: &res}, false},
		{"negative duration", buildJSON{Number: 1, Result: &res, Timestamp: 1, Duration: -5}, false},
		{"no url", buildJSON{Number: 7, Result: &res, Timestamp: 1}, true},
	} {
		b, err := toBuild("ci", "https://ci/", job{"a b", "c"}, &tt.b)
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v", tt.name, err)
		}
		if tt.ok && b.BuildID != "https://ci/job/a%20b/job/c/7/" {
			t.Errorf("%s: id %q", tt.name, b.BuildID)
		}
	}
}

func TestHelpers(t *testing.T) {
	for class, folder := range map[string]bool{
		"com.cloudbees.hudson.plugins.folder.Folder":                                    true,
		"jenkins.branch.OrganizationFolder":                                             true,
		"org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject":         true,
		"com.github.mjdetullio.jenkins.plugins.multibranch.FreeStyleMultiBranchProject": true,
		"hudson.model.FreeStyleProject":                                                 false,
		"org.jenkinsci.plugins.workflow.job.WorkflowJob":                                false,
		"hudson.matrix.MatrixProject":                                                   false,
		"":                                                                              false,
	} {
		if isFolder(class) != folder {
			t.Errorf("isFolder(%q) = %v", class, !folder)
		}
	}
	if got := (job{"app", "feature%2Fx y"}).path(); got != "job/app/job/feature%252Fx%20y/" {
		t.Errorf("path %q", got)
	}
	for raw, want := range map[string]string{`"a"`: "a", `12`: "12", `true`: "true", `null`: "", `{"x":1}`: "", `[1]`: "", ``: ""} {
		if got := paramText(json.RawMessage(raw)); got != want {
			t.Errorf("paramText(%s) = %q, want %q", raw, got, want)
		}
	}
}
