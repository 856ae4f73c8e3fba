package githubtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestActionsEndpoints(t *testing.T) {
	org := &User{Login: "acme", ID: 1, Type: "Organization"}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &Repo{Owner: org, Name: "widgets", ID: 7}
	for i := range 1200 {
		r.Runs = append(r.Runs, &Run{ID: int64(i + 1), Name: "CI", Attempt: 2, Status: "completed", Conclusion: "success",
			Created: t0.Add(time.Duration(i) * time.Minute), Updated: t0.Add(time.Duration(i) * time.Minute),
			Jobs: []Job{{ID: 10, Name: "a", Attempt: 1, Status: "completed"}, {ID: 11, Name: "a", Attempt: 2, Status: "completed"}}})
	}
	s := New("tok", r)
	defer s.Close()
	base := s.URL() + "/repos/acme/widgets/actions/runs"
	var page struct {
		Total int              `json:"total_count"`
		Runs  []map[string]any `json:"workflow_runs"`
		Jobs  []map[string]any `json:"jobs"`
	}
	decode := func(u string) *http.Response {
		t.Helper()
		page.Runs, page.Jobs = nil, nil
		resp, body := get(t, u, "tok", nil)
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("%s: %v: %s", u, err, body)
		}
		return resp
	}
	resp := decode(base + "?per_page=100&page=11&created=" + url.QueryEscape(">=2024-01-01"))
	if page.Total != 1200 || len(page.Runs) != 0 || resp.Header.Get("Link") == "" {
		t.Errorf("filtered page 11: total %d, %d runs", page.Total, len(page.Runs))
	}
	decode(base + "?per_page=100&page=11")
	if len(page.Runs) != 100 || page.Runs[0]["id"] != float64(200) {
		t.Errorf("unfiltered page 11: %d runs, first %v", len(page.Runs), page.Runs[0]["id"])
	}
	decode(base + "?created=" + url.QueryEscape("2024-01-01T00:10:00Z..2024-01-01T00:12:00Z"))
	if page.Total != 3 || page.Runs[0]["id"] != float64(13) || page.Runs[0]["run_attempt"] != float64(2) {
		t.Errorf("range: %d, %v", page.Total, page.Runs)
	}
	decode(base + "/5/jobs")
	if len(page.Jobs) != 1 || page.Jobs[0]["id"] != float64(11) {
		t.Errorf("latest jobs: %v", page.Jobs)
	}
	decode(base + "/5/jobs?filter=all")
	if len(page.Jobs) != 2 {
		t.Errorf("all jobs: %v", page.Jobs)
	}
	if resp, _ := get(t, base+"?created=junk", "tok", nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad created filter: %d", resp.StatusCode)
	}
}
