package dashboards

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGrafana answers as Grafana's HTTP API does for what codepace uses:
// /api/datasources, /api/folders, /api/dashboards/db and /uid/...,
// /api/v1/provisioning/.../rule-groups/..., with Grafana's status codes and
// `{"message": ...}` error bodies. It keeps state, so that provisioning
// twice can be checked to change nothing, and records every request.
type fakeGrafana struct {
	t     *testing.T
	token string
	srv   *httptest.Server

	mu          sync.Mutex
	nextID      int
	datasources map[string]map[string]any // by uid, as GET answers (without secrets)
	secrets     map[string]map[string]any // secureJsonData by data source uid
	folders     map[string]map[string]any
	dashboards  map[string]*fakeDashboard
	ruleGroups  map[string]map[string]any // by folder uid + "/" + title
	requests    []fakeRequest
	// fail answers a request ("METHOD /path") with a status and body.
	fail map[string]fakeAnswer
}

type fakeDashboard struct {
	model     map[string]any
	folderUID string
	version   float64
}

type fakeRequest struct {
	method, path, auth, contentType string
	body                            map[string]any
}

type fakeAnswer struct {
	status int
	body   string
}

func newFakeGrafana(t *testing.T, token string) *fakeGrafana {
	g := &fakeGrafana{t: t, token: token, nextID: 1,
		datasources: map[string]map[string]any{}, secrets: map[string]map[string]any{},
		folders: map[string]map[string]any{}, dashboards: map[string]*fakeDashboard{},
		ruleGroups: map[string]map[string]any{}, fail: map[string]fakeAnswer{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGrafana) URL() string { return g.srv.URL }

// writes returns the requests that change something.
func (g *fakeGrafana) writes() []fakeRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []fakeRequest
	for _, r := range g.requests {
		if r.method != http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

func (g *fakeGrafana) reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = nil
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func message(w http.ResponseWriter, status int, msg string) {
	reply(w, status, map[string]any{"message": msg})
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func (g *fakeGrafana) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	req := fakeRequest{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type")}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &req.body); err != nil {
			g.requests = append(g.requests, req)
			message(w, http.StatusBadRequest, "bad request data")
			return
		}
	}
	g.requests = append(g.requests, req)
	if req.auth != "Bearer "+g.token {
		message(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if a, ok := g.fail[r.Method+" "+r.URL.Path]; ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
		return
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/api/datasources"):
		g.serveDataSource(w, r.Method, strings.TrimPrefix(p, "/api/datasources"), req.body)
	case strings.HasPrefix(p, "/api/folders"):
		g.serveFolder(w, r.Method, strings.TrimPrefix(p, "/api/folders"), req.body)
	case p == "/api/dashboards/db" && r.Method == http.MethodPost:
		g.saveDashboard(w, req.body)
	case strings.HasPrefix(p, "/api/dashboards/uid/") && r.Method == http.MethodGet:
		g.getDashboard(w, strings.TrimPrefix(p, "/api/dashboards/uid/"))
	case strings.HasPrefix(p, "/api/v1/provisioning/folder/"):
		g.serveRuleGroup(w, r, req.body)
	default:
		message(w, http.StatusNotFound, "Not found")
	}
}

func (g *fakeGrafana) id() float64 {
	g.nextID++
	return float64(g.nextID)
}

func (g *fakeGrafana) serveDataSource(w http.ResponseWriter, method, rest string, body map[string]any) {
	switch {
	case method == http.MethodGet && strings.HasPrefix(rest, "/uid/"):
		ds, ok := g.datasources[strings.TrimPrefix(rest, "/uid/")]
		if !ok {
			message(w, http.StatusNotFound, "Data source not found")
			return
		}
		reply(w, http.StatusOK, ds)
	case method == http.MethodPost && rest == "":
		name, _ := body["name"].(string)
		uid, _ := body["uid"].(string)
		if name == "" || body["type"] == nil || body["access"] == nil {
			message(w, http.StatusBadRequest, "bad request data")
			return
		}
		for _, ds := range g.datasources {
			if ds["name"] == name {
				message(w, http.StatusConflict, "data source with the same name already exists")
				return
			}
		}
		if _, dup := g.datasources[uid]; dup {
			message(w, http.StatusConflict, "data source with the same uid already exists")
			return
		}
		ds := g.storeDataSource(uid, body, g.id(), nil)
		reply(w, http.StatusOK, map[string]any{"datasource": ds, "id": ds["id"], "message": "Datasource added", "name": name})
	case method == http.MethodPut && strings.HasPrefix(rest, "/uid/"):
		uid := strings.TrimPrefix(rest, "/uid/")
		old, ok := g.datasources[uid]
		if !ok {
			message(w, http.StatusNotFound, "Data source not found")
			return
		}
		if old["readOnly"] == true {
			message(w, http.StatusForbidden, "Cannot modify read-only data source")
			return
		}
		ds := g.storeDataSource(uid, body, old["id"].(float64), old)
		reply(w, http.StatusOK, map[string]any{"datasource": ds, "id": ds["id"], "message": "Datasource updated", "name": ds["name"]})
	default:
		message(w, http.StatusNotFound, "Not found")
	}
}

// storeDataSource stores a data source as Grafana does: secrets apart
// (kept when an update does not send them), shown only as secureJsonFields.
func (g *fakeGrafana) storeDataSource(uid string, body map[string]any, id float64, old map[string]any) map[string]any {
	ds := clone(body)
	delete(ds, "secureJsonData")
	ds["id"], ds["uid"], ds["orgId"] = id, uid, 1.0
	if ds["jsonData"] == nil {
		ds["jsonData"] = map[string]any{}
	}
	version := 1.0
	if old != nil {
		version = old["version"].(float64) + 1
	}
	ds["version"] = version
	if sec, ok := body["secureJsonData"].(map[string]any); ok {
		if g.secrets[uid] == nil {
			g.secrets[uid] = map[string]any{}
		}
		for k, v := range sec {
			g.secrets[uid][k] = v
		}
	}
	fields := map[string]any{}
	for k := range g.secrets[uid] {
		fields[k] = true
	}
	ds["secureJsonFields"] = fields
	ds["readOnly"] = old != nil && old["readOnly"] == true
	g.datasources[uid] = ds
	return ds
}

func (g *fakeGrafana) serveFolder(w http.ResponseWriter, method, rest string, body map[string]any) {
	uid := strings.TrimPrefix(rest, "/")
	switch {
	case method == http.MethodGet && uid != "":
		f, ok := g.folders[uid]
		if !ok {
			message(w, http.StatusNotFound, "folder not found")
			return
		}
		reply(w, http.StatusOK, f)
	case method == http.MethodPost && uid == "":
		uid, _ := body["uid"].(string)
		title, _ := body["title"].(string)
		if title == "" {
			message(w, http.StatusBadRequest, "folder title cannot be empty")
			return
		}
		if _, dup := g.folders[uid]; dup {
			message(w, http.StatusConflict, "a folder with the same uid already exists")
			return
		}
		f := map[string]any{"id": g.id(), "uid": uid, "title": title, "url": "/dashboards/f/" + uid + "/", "version": 1.0}
		g.folders[uid] = f
		reply(w, http.StatusOK, f)
	case method == http.MethodPut && uid != "":
		f, ok := g.folders[uid]
		if !ok {
			message(w, http.StatusNotFound, "folder not found")
			return
		}
		if body["overwrite"] != true && body["version"] != f["version"] {
			message(w, http.StatusPreconditionFailed, "the folder has been changed by someone else")
			return
		}
		f["title"] = body["title"]
		f["version"] = f["version"].(float64) + 1
		reply(w, http.StatusOK, f)
	default:
		message(w, http.StatusNotFound, "Not found")
	}
}

func (g *fakeGrafana) saveDashboard(w http.ResponseWriter, body map[string]any) {
	model, _ := body["dashboard"].(map[string]any)
	uid, _ := model["uid"].(string)
	folderUID, _ := body["folderUid"].(string)
	if model == nil || model["title"] == nil {
		message(w, http.StatusBadRequest, "Dashboard title cannot be empty")
		return
	}
	if folderUID != "" && g.folders[folderUID] == nil {
		message(w, http.StatusBadRequest, "folder not found")
		return
	}
	old := g.dashboards[uid]
	if old != nil && body["overwrite"] != true && model["version"] != old.version {
		reply(w, http.StatusPreconditionFailed, map[string]any{"message": "The dashboard has been changed by someone else", "status": "version-mismatch"})
		return
	}
	d := &fakeDashboard{model: clone(model), folderUID: folderUID, version: 1}
	id := g.id()
	if old != nil {
		d.version = old.version + 1
		id = old.model["id"].(float64)
	}
	d.model["id"], d.model["version"] = id, d.version
	g.dashboards[uid] = d
	reply(w, http.StatusOK, map[string]any{"id": id, "uid": uid, "url": "/d/" + uid + "/x", "status": "success", "version": d.version, "slug": "x"})
}

func (g *fakeGrafana) getDashboard(w http.ResponseWriter, uid string) {
	d, ok := g.dashboards[uid]
	if !ok {
		message(w, http.StatusNotFound, "Dashboard not found")
		return
	}
	var folderID any = 0.0
	if f := g.folders[d.folderUID]; f != nil {
		folderID = f["id"]
	}
	reply(w, http.StatusOK, map[string]any{"dashboard": d.model, "meta": map[string]any{
		"slug": "x", "url": "/d/" + uid + "/x", "folderUid": d.folderUID, "folderId": folderID, "version": d.version,
		"created": "2024-01-01T00:00:00Z", "updated": time.Now().UTC().Format(time.RFC3339)}})
}

func (g *fakeGrafana) serveRuleGroup(w http.ResponseWriter, r *http.Request, body map[string]any) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v1/provisioning/folder/"), "/")
	if len(parts) != 3 || parts[1] != "rule-groups" {
		message(w, http.StatusNotFound, "Not found")
		return
	}
	key := parts[0] + "/" + parts[2]
	switch r.Method {
	case http.MethodGet:
		rg, ok := g.ruleGroups[key]
		if !ok {
			message(w, http.StatusNotFound, "rule group does not exist")
			return
		}
		reply(w, http.StatusOK, rg)
	case http.MethodPut:
		if g.folders[parts[0]] == nil {
			message(w, http.StatusBadRequest, "folder does not exist")
			return
		}
		rg := clone(body)
		rg["folderUid"], rg["title"] = parts[0], parts[2]
		for _, rule := range rg["rules"].([]any) {
			rule := rule.(map[string]any)
			refs := map[string]bool{}
			for _, q := range rule["data"].([]any) {
				q := q.(map[string]any)
				refs[q["refId"].(string)] = true
				ds := q["datasourceUid"].(string)
				if ds != "__expr__" && g.datasources[ds] == nil {
					message(w, http.StatusBadRequest, fmt.Sprintf("invalid alert rule: data source %s not found", ds))
					return
				}
				// Grafana fills the query model's defaults when it stores a rule.
				model := q["model"].(map[string]any)
				if model["intervalMs"] == nil {
					model["intervalMs"] = 1000.0
				}
				if model["maxDataPoints"] == nil {
					model["maxDataPoints"] = 43200.0
				}
			}
			if !refs[rule["condition"].(string)] {
				message(w, http.StatusBadRequest, "invalid alert rule: condition "+rule["condition"].(string)+" does not exist")
				return
			}
			rule["id"], rule["orgID"], rule["provenance"] = g.id(), 1.0, "api"
			rule["updated"] = time.Now().UTC().Format(time.RFC3339)
			rule["folderUID"], rule["ruleGroup"] = parts[0], parts[2]
		}
		g.ruleGroups[key] = rg
		reply(w, http.StatusOK, rg)
	default:
		message(w, http.StatusMethodNotAllowed, "Method not allowed")
	}
}
