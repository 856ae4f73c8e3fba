package gitlabtest

// The contract between this fake and a real GitLab. No GitLab server runs
// where codepace is tested, so the fake is held to the shapes GitLab's API
// documentation gives: testdata/ keeps the documented answer of each
// endpoint codepace reads (see testdata/NOTICE), and for every kind of
// object in it (a merge request, its author, a note, a diff position, a
// job's pipeline, ...) the fake must send the same keys, with values of the
// same JSON type and timestamps in GitLab's format. A key that one side
// sends and the other does not fails the test, both ways, unless
// ctNotModelled lists it. The paging headers, the keyset links, the
// rate-limit headers and the error answers are checked against the
// documentation's descriptions.

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// documented holds the documented answers.
//
//go:embed testdata/*.json
var documented embed.FS

// ctNotModelled lists what the documentation shows and the fake
// legitimately does not send, as "kind.key".
var ctNotModelled = map[string]string{
	"merge_request.approvals_before_merge": "a paid tier's field, not read by codepace",
}

// ctEndpoints are the requests compared: the fake's path, the documented
// answer, and the kind of its top-level objects.
var ctEndpoints = []struct{ path, file, kind string }{
	{"/api/v4/projects/wm%2Fcore%2Fwidgets/merge_requests?state=all&per_page=100", "merge_requests.json", "merge_request"},
	{"/api/v4/groups/wm/merge_requests?state=all&per_page=100", "merge_requests.json", "merge_request"},
	{"/api/v4/projects/11/merge_requests/1/discussions?per_page=100", "discussions.json", "discussion"},
	{"/api/v4/projects/11/merge_requests/1/commits", "commits.json", "commit"},
	{"/api/v4/projects/11/merge_requests/1/resource_state_events", "state_events.json", "state_event"},
	{"/api/v4/projects/11/pipelines", "pipelines.json", "pipeline"},
	{"/api/v4/projects/11/pipelines/100/jobs?include_retried=true", "jobs.json", "job"},
	{"/api/v4/users/1002", "user.json", "user"},
	{"/api/v4/groups/wm/projects?include_subgroups=true&simple=true", "projects.json", "project"},
}

// timestamp is GitLab's time format: ISO 8601 with milliseconds (and Z or
// an offset), or whole seconds in some older answers.
var timestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?(Z|[+-]\d\d:\d\d)$`)

func TestContractShapes(t *testing.T) {
	s := New("", ctModel()...)
	defer s.Close()
	for _, ep := range ctEndpoints {
		t.Run(ep.file+" "+ep.path, func(t *testing.T) {
			doc, err := documented.ReadFile("testdata/" + ep.file)
			if err != nil {
				t.Fatal(err)
			}
			status, _, body := ctGet(t, s, s.URL()+ep.path, "")
			if status != http.StatusOK {
				t.Fatalf("HTTP %d: %s", status, body)
			}
			want, got := shapes{}, shapes{}
			want.add(t, ep.kind, ctDecode(t, doc))
			got.add(t, ep.kind, ctDecode(t, []byte(body)))
			if len(got) == 0 {
				t.Fatal("the fake answered no object to compare")
			}
			for _, problem := range want.compare(got) {
				t.Error(problem)
			}
		})
	}
}

// shapes maps "kind.key" to the JSON types its values had ("null" among
// them when null).
type shapes map[string]map[string]bool

func ctDecode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// add records the keys of every object in v, naming nested objects
// kind.key (an array's elements keep the array's name).
func (s shapes) add(t *testing.T, kind string, v any) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			s.add(t, kind, e)
		}
	case map[string]any:
		if s[kind] == nil {
			s[kind] = map[string]bool{}
		}
		s[kind][anObject] = true
		for k, e := range x {
			name := kind + "." + k
			if s[name] == nil {
				s[name] = map[string]bool{}
			}
			s[name][jsonType(e)] = true
			if str, ok := e.(string); ok && (strings.HasSuffix(k, "_at") || strings.HasSuffix(k, "_date")) && k != "due_date" && k != "start_date" {
				if !timestamp.MatchString(str) {
					t.Errorf("%s = %q is not a GitLab timestamp", name, str)
				}
			}
			s.add(t, name, e)
		}
	}
}

// anObject marks, among a key's types, that objects were seen there (not
// only null or empty arrays), so that their keys can be compared.
const anObject = "<object>"

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// compare lists the differences between the documented shapes (s) and
// the fake's: keys only one side has, and values of different types where
// both are non-null.
func (s shapes) compare(fake shapes) []string {
	var out []string
	for name, types := range s {
		parent := name[:max(strings.LastIndex(name, "."), 0)]
		if !fake[parent][anObject] && parent != "" {
			continue // the fake sent no such object to compare (a null milestone, no reviewers)
		}
		ftypes, ok := fake[name]
		if !ok {
			if ctNotModelled[name] == "" {
				out = append(out, fmt.Sprintf("%s: documented, the fake never sends it", name))
			}
			continue
		}
		if a, b := nonNull(types), nonNull(ftypes); a != "" && b != "" && a != b {
			out = append(out, fmt.Sprintf("%s: documented as %s, the fake sends %s", name, a, b))
		}
	}
	for name := range fake {
		parent := name[:max(strings.LastIndex(name, "."), 0)]
		if _, ok := s[name]; !ok {
			if s[parent][anObject] || parent == "" {
				out = append(out, fmt.Sprintf("%s: the fake sends it, the documentation does not", name))
			}
		}
	}
	slices.Sort(out)
	return out
}

// nonNull returns the non-null types as one string.
func nonNull(types map[string]bool) string {
	var out []string
	for t := range types {
		if t != "null" && t != anObject {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return strings.Join(out, "|")
}

// ctGet asks the server for url (absolute, on the server) and returns
// the answer's status, headers and body.
func ctGet(t *testing.T, s *Server, url, token string) (int, http.Header, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("PRIVATE-TOKEN", token)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.String()
}

// ctModel is a model with every kind of object the endpoints answer.
func ctModel() []*Project {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)
	al := &User{ID: 1001, Username: "alice", Name: "Alice"}
	bo := &User{ID: 1002, Username: "bob", Name: "Bob", Bot: false}
	sha := strings.Repeat("a", 40)
	var projects []*Project
	for i, path := range []string{"wm/core/widgets", "wm/core/gadgets", "wm/tools/lint", "wm/top"} {
		projects = append(projects, &Project{ID: int64(11 + i), Path: path})
	}
	projects[0].MergeRequests = []*MergeRequest{{ID: 1, IID: 1, Title: "t", Author: al, State: "merged", SourceBranch: "f",
		TargetBranch: "main", Created: t0, Updated: t0, Merged: t0, MergedBy: bo,
		Commits: []Commit{{SHA: sha, Title: "c", AuthorName: "A", AuthorEmail: "a@example.org", Authored: t0, Committed: t0}},
		Discussions: []Discussion{
			{Notes: []Note{{ID: 1, Author: bo, Body: "x", Created: t0, Type: "DiscussionNote"}}},
			{Individual: true, Notes: []Note{{ID: 2, Author: bo, Body: "approved this merge request", Created: t0, System: true}}},
			{Notes: []Note{{ID: 3, Author: bo, Body: "y", Created: t0, Type: "DiffNote", HeadSHA: sha}}},
		},
		States: []StateEvent{{ID: 1, User: bo, State: "merged", Created: t0}}}}
	projects[0].Pipelines = []*Pipeline{{ID: 100, IID: 1, Source: "push", Ref: "main", SHA: sha, Status: "failed",
		Created: t0, Updated: t0, Jobs: []Job{{ID: 6, Name: "rspec", Stage: "test", Status: "failed", Created: t0,
			Started: t0, Finished: t0.Add(time.Minute), Duration: 60, Queued: 1, User: al}}}}
	return projects
}

// TestOffsetPaging checks the offset pagination headers as the
// documentation shows them: X-Page, X-Per-Page, X-Prev-Page, X-Next-Page
// (empty on the last page), X-Total, X-Total-Pages and a Link header with
// prev, next, first and last.
func TestOffsetPaging(t *testing.T) {
	s := New("", ctModel()...)
	defer s.Close()
	_, h, body := ctGet(t, s, s.URL()+"/api/v4/groups/wm/projects?include_subgroups=true&per_page=1&page=2", "")
	for k, want := range map[string]string{"X-Page": "2", "X-Per-Page": "1", "X-Prev-Page": "1", "X-Next-Page": "3",
		"X-Total": "4", "X-Total-Pages": "4"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	link := h.Get("Link")
	for _, rel := range []string{"prev", "next", "first", "last"} {
		if !strings.Contains(link, `rel="`+rel+`"`) {
			t.Errorf("Link %q lacks rel=%q", link, rel)
		}
	}
	if !strings.Contains(link, "page=3&per_page=1") || !strings.HasPrefix(link, "<http://") {
		t.Errorf("Link %q does not point at page 3 with an absolute URL", link)
	}
	if n := len(ctDecode(t, []byte(body)).([]any)); n != 1 {
		t.Errorf("page of %d projects, want 1", n)
	}
	_, h, _ = ctGet(t, s, s.URL()+"/api/v4/groups/wm/projects?include_subgroups=true&per_page=1&page=4", "")
	if _, ok := h["X-Next-Page"]; !ok || h.Get("X-Next-Page") != "" || strings.Contains(h.Get("Link"), `rel="next"`) {
		t.Errorf("last page: X-Next-Page %q, Link %q; want an empty X-Next-Page and no next link", h.Get("X-Next-Page"), h.Get("Link"))
	}
	_, _, body = ctGet(t, s, s.URL()+"/api/v4/groups/wm/projects", "")
	if n := len(ctDecode(t, []byte(body)).([]any)); n != 1 {
		t.Errorf("without include_subgroups %d projects, want wm/top only", n)
	}
}

// TestKeysetPaging follows the keyset links (id_after) to the end, which
// is an empty page without a Link header, and checks that an order
// keyset pagination does not support is refused with 405.
func TestKeysetPaging(t *testing.T) {
	s := New("", ctModel()...)
	defer s.Close()
	next := s.URL() + "/api/v4/groups/wm/projects?include_subgroups=true&pagination=keyset&order_by=id&sort=asc&per_page=2"
	var ids []string
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("keyset paging does not end")
		}
		status, h, body := ctGet(t, s, next, "")
		if status != http.StatusOK || h.Get("X-Page") != "" || h.Get("X-Total") != "" {
			t.Fatalf("keyset page: HTTP %d, X-Page %q, X-Total %q: keyset answers carry no offset headers", status, h.Get("X-Page"), h.Get("X-Total"))
		}
		for _, p := range ctDecode(t, []byte(body)).([]any) {
			ids = append(ids, fmt.Sprint(p.(map[string]any)["id"]))
		}
		next = ""
		if m := regexp.MustCompile(`^<([^>]+)>; rel="next"$`).FindStringSubmatch(h.Get("Link")); m != nil {
			next = m[1]
			if !strings.Contains(next, "id_after=") {
				t.Errorf("next link %q lacks id_after", next)
			}
		}
	}
	if strings.Join(ids, ",") != "11,12,13,14" {
		t.Errorf("keyset paging gave ids %v, want 11,12,13,14", ids)
	}
	status, _, body := ctGet(t, s, s.URL()+"/api/v4/groups/wm/projects?pagination=keyset&order_by=name", "")
	if status != http.StatusMethodNotAllowed || !strings.Contains(body, "Keyset pagination is not yet available for this type of request") {
		t.Errorf("keyset by name: HTTP %d %s, want 405 and GitLab's message", status, body)
	}
}

// TestErrorsAndLimits checks the answers to a wrong token (401), an
// unknown project (404), and the rate-limit headers and 429.
func TestErrorsAndLimits(t *testing.T) {
	s := New("glpat-right", ctModel()...)
	defer s.Close()
	status, h, body := ctGet(t, s, s.URL()+"/api/v4/projects/11/pipelines", "glpat-wrong")
	if status != http.StatusUnauthorized || body != `{"message":"401 Unauthorized"}` || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Errorf("wrong token: HTTP %d %s", status, body)
	}
	status, _, body = ctGet(t, s, s.URL()+"/api/v4/projects/wm%2Fnothing/merge_requests", "glpat-right")
	if status != http.StatusNotFound || body != `{"message":"404 Project Not Found"}` {
		t.Errorf("unknown project: HTTP %d %s", status, body)
	}
	s.SetRateLimit(2)
	for i := 1; i <= 3; i++ {
		status, h, body = ctGet(t, s, s.URL()+"/api/v4/projects/11/pipelines", "glpat-right")
		for _, k := range []string{"RateLimit-Limit", "RateLimit-Observed", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-ResetTime"} {
			if h.Get(k) == "" {
				t.Errorf("request %d: no %s header", i, k)
			}
		}
		var reset int64
		if _, err := fmt.Sscan(h.Get("RateLimit-Reset"), &reset); err != nil || time.Until(time.Unix(reset, 0)) > time.Minute {
			t.Errorf("RateLimit-Reset %q is not a Unix time within the minute", h.Get("RateLimit-Reset"))
		}
	}
	if status != http.StatusTooManyRequests || body != "Retry later\n" || h.Get("Retry-After") == "" || h.Get("RateLimit-Remaining") != "0" {
		t.Errorf("past the limit: HTTP %d %q, Retry-After %q, remaining %q", status, body, h.Get("Retry-After"), h.Get("RateLimit-Remaining"))
	}
}
