package jenkinstest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, s *Server, path string, auth bool) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(s.URL(), "/")+path, nil)
	if auth {
		req.SetBasicAuth("u", "tok")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var v map[string]any
	_ = json.Unmarshal(body, &v)
	return resp.StatusCode, resp.Header.Get("Content-Type"), v
}

func TestServer(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var builds []Build
	for i := 1; i <= 130; i++ {
		builds = append(builds, Build{Number: int64(i), Started: t0.Add(time.Duration(i) * time.Minute), Duration: time.Second, Result: "SUCCESS", Queued: -1})
	}
	s := New("u", "tok",
		&Item{Name: "f", Items: []*Item{{Name: "b%2Fx", Class: ClassPipeline, Builds: builds}}})
	defer s.Close()

	if code, ct, _ := get(t, s, "/api/json", false); code != 403 || !strings.HasPrefix(ct, "text/html") {
		t.Errorf("anonymous: %d %s", code, ct)
	}
	code, _, v := get(t, s, "/api/json?tree="+url.QueryEscape("jobs[name,_class]"), true)
	if code != 200 || v["_class"] != ClassRoot {
		t.Fatalf("root: %d %v", code, v)
	}
	if jobs := v["jobs"].([]any); len(jobs) != 1 || jobs[0].(map[string]any)["name"] != "f" || jobs[0].(map[string]any)["url"] != nil {
		t.Errorf("root jobs: %v", jobs)
	}
	job := "/job/f/job/b%252Fx/api/json?tree="
	_, _, v = get(t, s, job+url.QueryEscape("builds[number]"), true)
	if bs := v["builds"].([]any); len(bs) != 100 || bs[0].(map[string]any)["number"] != float64(130) {
		t.Errorf("builds: %d, first %v", len(bs), bs[0])
	}
	_, _, v = get(t, s, job+url.QueryEscape("allBuilds[number,result,actions[queuingDurationMillis]]{120,}"), true)
	bs := v["allBuilds"].([]any)
	first := bs[0].(map[string]any)
	if len(bs) != 10 || first["number"] != float64(10) || first["result"] != "SUCCESS" || first["timestamp"] != nil || first["_class"] != ClassPipeRun {
		t.Errorf("allBuilds{120,}: %d, first %v", len(bs), first)
	}
	_, _, v = get(t, s, job+url.QueryEscape("allBuilds[number]{5}"), true)
	if bs := v["allBuilds"].([]any); len(bs) != 1 || bs[0].(map[string]any)["number"] != float64(125) {
		t.Errorf("allBuilds{5}: %v", bs)
	}
	if code, _, _ := get(t, s, "/job/f/job/b%2Fx/api/json", true); code != 404 {
		t.Errorf("a branch name escaped once: %d, want 404", code)
	}
	if _, err := parseTree("a[b{0,1}"); err == nil {
		t.Error("parseTree accepted a missing ]")
	}
}
