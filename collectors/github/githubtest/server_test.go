package githubtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url, token string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func repoWith(n int) *Repo {
	org := &User{Login: "acme", ID: 1, Type: "Organization"}
	r := &Repo{Owner: org, Name: "widgets", ID: 7}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		r.Pulls = append(r.Pulls, &Pull{Number: i, ID: int64(i), State: "open", User: org,
			Created: t0.Add(time.Duration(i) * time.Hour), Updated: t0.Add(time.Duration(n-i) * time.Hour)})
	}
	return r
}

// TestPaging: Link headers as GitHub writes them (see the octokit
// paginate-issues recording): next and last on the first page; prev, next,
// last and first in the middle; prev and first on the last.
func TestPaging(t *testing.T) {
	s := New("tok", repoWith(7))
	defer s.Close()
	base := s.URL() + "/repos/acme/widgets/pulls?state=all&sort=updated&direction=desc&per_page=3"
	for _, tt := range []struct {
		page    string
		rels    []string
		numbers []int
	}{
		{"1", []string{`rel="next"`, `rel="last"`}, []int{1, 2, 3}},
		{"2", []string{`rel="prev"`, `rel="next"`, `rel="last"`, `rel="first"`}, []int{4, 5, 6}},
		{"3", []string{`rel="prev"`, `rel="first"`}, []int{7}},
	} {
		resp, body := get(t, base+"&page="+tt.page, "tok", nil)
		link := resp.Header.Get("Link")
		parts := strings.Split(link, ", ")
		if len(parts) != len(tt.rels) {
			t.Errorf("page %s: Link %q", tt.page, link)
		}
		for i, rel := range tt.rels {
			if i < len(parts) && (!strings.HasSuffix(parts[i], "; "+rel) || !strings.HasPrefix(parts[i], "<http")) {
				t.Errorf("page %s: Link part %q, want %s", tt.page, parts[i], rel)
			}
		}
		var prs []struct {
			Number int `json:"number"`
		}
		if err := json.Unmarshal(body, &prs); err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, p := range prs {
			got = append(got, p.Number)
		}
		if len(got) != len(tt.numbers) || got[0] != tt.numbers[0] {
			t.Errorf("page %s: numbers %v, want %v (newest update first)", tt.page, got, tt.numbers)
		}
	}
}

func TestConditionalAndBudget(t *testing.T) {
	s := New("tok", repoWith(2))
	defer s.Close()
	url := s.URL() + "/api/v3/repos/acme/widgets/pulls/1"
	resp, _ := get(t, url, "tok", nil)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || etag == "" || resp.Header.Get("X-RateLimit-Remaining") != "4999" ||
		resp.Header.Get("X-RateLimit-Resource") != "core" {
		t.Fatalf("first answer %d, headers %v", resp.StatusCode, resp.Header)
	}
	resp, body := get(t, url, "tok", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("X-RateLimit-Remaining") != "4999" {
		t.Errorf("conditional answer %d, remaining %s", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
	}
	if s.Used() != 1 || s.NotModified() != 1 || s.Requests() != 2 {
		t.Errorf("used %d, not modified %d, requests %d", s.Used(), s.NotModified(), s.Requests())
	}
	if resp, body := get(t, url, "wrong", nil); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "Bad credentials") {
		t.Errorf("wrong token: %d %s", resp.StatusCode, body)
	}
	s.SetBudget(0, time.Now().Add(time.Hour))
	if resp, _ := get(t, url, "tok", nil); resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("budget used up: %d", resp.StatusCode)
	}
}

func TestOwnerKinds(t *testing.T) {
	user := &User{Login: "solo", ID: 2, Type: "User"}
	s := New("", repoWith(1), &Repo{Owner: user, Name: "tool", ID: 8})
	defer s.Close()
	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/orgs/acme/repos", http.StatusOK},
		{"/orgs/solo/repos", http.StatusNotFound},
		{"/users/solo/repos", http.StatusOK},
		{"/users/acme/repos", http.StatusOK},
		{"/orgs/nobody/repos", http.StatusNotFound},
		{"/repos/acme/widgets/pulls/99", http.StatusNotFound},
	} {
		if resp, _ := get(t, s.URL()+tt.path, "", nil); resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
	}
}
