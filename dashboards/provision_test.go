package dashboards

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

const testToken = "glsa_s3cr3t-T0ken_value"

func provisionOptions(t *testing.T, g *fakeGrafana) ProvisionOptions {
	t.Helper()
	boards, err := Build(Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ProvisionOptions{
		URL: g.URL(), Token: testToken, FolderTitle: "codepace",
		ClickHouse: ClickHouse{Addr: "clickhouse.internal:9000", Database: "codepace", Username: "grafana", Password: "ch-pass"},
		Dashboards: boards, Alerts: true,
	}
}

func actions(changes []Change) map[string]Action {
	out := map[string]Action{}
	for _, c := range changes {
		out[c.Kind+" "+c.UID] = c.Action
	}
	return out
}

func TestProvisionCreatesThenChangesNothing(t *testing.T) {
	g := newFakeGrafana(t, testToken)
	o := provisionOptions(t, g)
	ctx := context.Background()

	changes, err := Provision(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1+1+5+1 {
		t.Fatalf("changes %+v", changes)
	}
	for _, c := range changes {
		if c.Action != Created {
			t.Errorf("first run: %s %s %s, want created", c.Kind, c.UID, c.Action)
		}
	}
	for _, r := range g.requests {
		if r.auth != "Bearer "+testToken {
			t.Errorf("%s %s: Authorization %q", r.method, r.path, r.auth)
		}
		if r.method != http.MethodGet && r.contentType != "application/json" {
			t.Errorf("%s %s: Content-Type %q", r.method, r.path, r.contentType)
		}
	}
	var paths []string
	for _, r := range g.writes() {
		paths = append(paths, r.method+" "+r.path)
	}
	want := []string{"POST /api/datasources", "POST /api/folders",
		"POST /api/dashboards/db", "POST /api/dashboards/db", "POST /api/dashboards/db", "POST /api/dashboards/db", "POST /api/dashboards/db",
		"PUT /api/v1/provisioning/folder/codepace/rule-groups/codepace"}
	if strings.Join(paths, ", ") != strings.Join(want, ", ") {
		t.Errorf("writes:\n got %q\nwant %q", paths, want)
	}

	// The data source, as the plugin reads it.
	w := g.writes()
	ds := w[0].body
	jd := obj(ds["jsonData"])
	if ds["uid"] != DataSourceUID || ds["type"] != PluginID || ds["name"] != DataSourceName || ds["access"] != "proxy" {
		t.Errorf("data source %v", ds)
	}
	if jd["host"] != "clickhouse.internal" || jd["port"] != 9000.0 || jd["protocol"] != "native" ||
		jd["username"] != "grafana" || jd["defaultDatabase"] != "codepace" {
		t.Errorf("jsonData %v", jd)
	}
	if obj(ds["secureJsonData"])["password"] != "ch-pass" || jd["password"] != nil {
		t.Errorf("the password goes in secureJsonData only: %v", ds)
	}
	if f := w[1].body; f["uid"] != FolderUID || f["title"] != "codepace" {
		t.Errorf("folder %v", f)
	}
	for i, d := range o.Dashboards {
		b := w[2+i].body
		if b["overwrite"] != true || b["folderUid"] != FolderUID || path(b, "dashboard", "uid") != d.UID() || path(b, "dashboard", "id") != nil {
			t.Errorf("dashboard save %v %v %v %v", b["overwrite"], b["folderUid"], path(b, "dashboard", "uid"), path(b, "dashboard", "id"))
		}
		if g.dashboards[d.UID()] == nil || g.dashboards[d.UID()].folderUID != FolderUID {
			t.Errorf("dashboard %s not stored in the folder", d.UID())
		}
	}
	rules := list(w[7].body["rules"])
	if len(rules) != 2 || obj(rules[0])["uid"] != UIDAlertBuildSpikes || obj(rules[1])["uid"] != UIDAlertBacklogGrowing {
		t.Errorf("rules %v", rules)
	}
	for _, r := range rules {
		data := list(obj(r)["data"])
		if len(data) != 2 || obj(data[0])["datasourceUid"] != DataSourceUID || path(data[0], "model", "rawSql") == "" ||
			path(data[0], "model", "datasource", "type") != PluginID || path(data[0], "model", "format") != 1.0 {
			t.Errorf("rule %v: data %v", obj(r)["title"], data)
		}
		if path(data[0], "relativeTimeRange", "from") == 0.0 {
			t.Errorf("rule %v: no time range", obj(r)["title"])
		}
	}

	// Again: nothing changed, nothing written.
	g.reset()
	changes, err = Provision(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if c.Action != Unchanged {
			t.Errorf("second run: %s %s %s, want unchanged", c.Kind, c.UID, c.Action)
		}
	}
	if w := g.writes(); len(w) != 0 {
		t.Errorf("second run wrote %d times: %v %v", len(w), w[0].method, w[0].path)
	}
	if v := g.dashboards[UIDCI].version; v != 1 {
		t.Errorf("CI dashboard version %v after two runs, want 1", v)
	}
}

func TestProvisionUpdatesWhatChanged(t *testing.T) {
	g := newFakeGrafana(t, testToken)
	o := provisionOptions(t, g)
	ctx := context.Background()
	if _, err := Provision(ctx, o); err != nil {
		t.Fatal(err)
	}

	// A dashboard changed in the code (here: new targets on key results).
	withTargets, err := Build(Options{Targets: []Target{{Metric: "build_spikes"}}})
	if err != nil {
		t.Fatal(err)
	}
	o.Dashboards = withTargets
	// The folder renamed in the config, the ClickHouse database too.
	o.FolderTitle = "Engineering metrics"
	o.ClickHouse.Database = "codepace_prod"
	o.ClickHouse.Password = "" // not given this time: Grafana keeps the stored one
	// Someone edited the CI dashboard and paused nothing else.
	g.mu.Lock()
	obj(list(g.dashboards[UIDCI].model["panels"])[1])["title"] = "edited by hand"
	g.mu.Unlock()

	g.reset()
	changes, err := Provision(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	got := actions(changes)
	want := map[string]Action{
		"data source " + DataSourceUID: Updated, "folder " + FolderUID: Updated,
		"dashboard " + UIDKeyResults: Updated, "dashboard " + UIDCI: Updated,
		"dashboard " + UIDCodeReview: Unchanged, "dashboard " + UIDNewcomers: Unchanged,
		"dashboard " + UIDCollectorHealth: Unchanged, "alert rule group codepace/codepace": Unchanged,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	var paths []string
	for _, r := range g.writes() {
		paths = append(paths, r.method+" "+r.path)
	}
	wantPaths := "PUT /api/datasources/uid/codepace-clickhouse, PUT /api/folders/codepace, POST /api/dashboards/db, POST /api/dashboards/db"
	if strings.Join(paths, ", ") != wantPaths {
		t.Errorf("writes %q, want %s", paths, wantPaths)
	}
	if g.secrets[DataSourceUID]["password"] != "ch-pass" {
		t.Errorf("the stored password was lost: %v", g.secrets[DataSourceUID])
	}
	if g.folders[FolderUID]["title"] != "Engineering metrics" || obj(g.datasources[DataSourceUID]["jsonData"])["defaultDatabase"] != "codepace_prod" {
		t.Errorf("not updated in place: %v %v", g.folders[FolderUID], g.datasources[DataSourceUID])
	}
	if g.dashboards[UIDCI].version != 2 || obj(list(g.dashboards[UIDCI].model["panels"])[1])["title"] == "edited by hand" {
		t.Errorf("the hand-edited CI dashboard was not restored")
	}

	// --update-password: the only way to change a password Grafana hides.
	o.ClickHouse.Password = "new-pass"
	g.reset()
	if _, err := Provision(ctx, o); err != nil {
		t.Fatal(err)
	}
	if len(g.writes()) != 0 || g.secrets[DataSourceUID]["password"] != "ch-pass" {
		t.Errorf("a password alone is not seen as a change: %d writes", len(g.writes()))
	}
	o.UpdatePassword = true
	changes, err = Provision(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if actions(changes)["data source "+DataSourceUID] != Updated || g.secrets[DataSourceUID]["password"] != "new-pass" {
		t.Errorf("update password: %v, stored %v", actions(changes), g.secrets[DataSourceUID])
	}

	// A rule changed in Grafana is put back.
	g.mu.Lock()
	rg := g.ruleGroups["codepace/codepace"]
	obj(list(rg["rules"])[0])["for"] = "5m"
	g.mu.Unlock()
	o.UpdatePassword = false
	changes, err = Provision(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if actions(changes)["alert rule group codepace/codepace"] != Updated {
		t.Errorf("rules: %v", actions(changes))
	}
}

func TestProvisionErrorsNameGrafanaNotTheToken(t *testing.T) {
	ctx := context.Background()
	g := newFakeGrafana(t, testToken)
	o := provisionOptions(t, g)

	// Grafana refuses, echoing the Authorization header in its body.
	g.fail["POST /api/dashboards/db"] = fakeAnswer{http.StatusForbidden,
		`{"message":"Access denied to save dashboard","error":"token Bearer ` + testToken + ` lacks dashboards:write"}`}
	changes, err := Provision(ctx, o)
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	for _, want := range []string{g.URL(), "save dashboard " + UIDKeyResults, "HTTP 403", "Access denied to save dashboard"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, testToken) {
		t.Errorf("error %q carries the token", msg)
	}
	var pe *Error
	if !errors.As(err, &pe) || pe.URL != g.URL() {
		t.Errorf("error %T is not an *Error naming the URL", err)
	}
	if len(changes) != 2 { // data source and folder done, reported
		t.Errorf("changes before the failure: %+v", changes)
	}

	// A wrong token.
	o.Token = "wrong"
	if _, err := Provision(ctx, o); err == nil || !strings.Contains(err.Error(), "HTTP 401: Unauthorized") || !strings.Contains(err.Error(), g.URL()) {
		t.Errorf("wrong token: %v", err)
	}

	// Grafana is not there: the URL is named, not the token.
	o.Token = testToken
	o.URL = "http://127.0.0.1:1"
	if _, err := Provision(ctx, o); err == nil || !strings.Contains(err.Error(), "http://127.0.0.1:1") || strings.Contains(err.Error(), testToken) {
		t.Errorf("unreachable Grafana: %v", err)
	}

	// Credentials in the URL are refused without being repeated.
	o.URL = "http://admin:hunter2@grafana.example.org"
	if _, err := Provision(ctx, o); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("URL with credentials: %v", err)
	}
	o.URL = g.URL()
	o.Token = ""
	if _, err := Provision(ctx, o); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("no token: %v", err)
	}

	// GF_LOG would make the client log the password.
	o.Token = testToken
	t.Setenv("GF_LOG", "1")
	if _, err := Provision(ctx, o); err == nil || !strings.Contains(err.Error(), "GF_LOG") {
		t.Errorf("GF_LOG: %v", err)
	}
}

func TestProvisionStopsWithTheContext(t *testing.T) {
	g := newFakeGrafana(t, testToken)
	o := provisionOptions(t, g)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Provision(ctx, o); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
	if len(g.requests) != 0 {
		t.Errorf("%d requests after cancel", len(g.requests))
	}
}

func TestSubset(t *testing.T) {
	cases := []struct {
		want, have any
		ok         bool
	}{
		{map[string]any{"a": 1.0}, map[string]any{"a": 1.0, "id": 3.0}, true},
		{map[string]any{"a": 1.0}, map[string]any{"a": 2.0}, false},
		{map[string]any{"a": []any{1.0}}, map[string]any{"a": []any{1.0, 2.0}}, false},
		{map[string]any{"a": nil}, map[string]any{}, false},
		{map[string]any{"a": map[string]any{"b": "x"}}, map[string]any{"a": map[string]any{"b": "x", "c": true}}, true},
	}
	for _, c := range cases {
		if got := subset(c.want, c.have); got != c.ok {
			t.Errorf("subset(%v, %v) = %v", c.want, c.have, got)
		}
	}
}
