package githubtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/codepace/codepace/internal/testserver"
)

// RateLimit is the primary rate limit the server starts with, as GitHub
// gives an authenticated user.
const RateLimit = 5000

// FaultFunc sees every request before the server does. When it returns true
// it has answered the request itself: a rate limit, a 5xx, a stall.
type FaultFunc = testserver.FaultFunc

// Server is the fake GitHub on a local HTTP server. It answers GraphQL
// queries at /graphql and /api/graphql (see graphql.go) and serves, under /
// and under /api/v3/ (GitHub Enterprise):
//
//   - GET /orgs/{org}/repos (404 when the owner is a user) and
//     /users/{user}/repos;
//   - GET /repos/{owner}/{repo}/pulls with state (open, closed, all; open
//     by default), sort (created, updated; created by default) and
//     direction (desc by default);
//   - GET /repos/{owner}/{repo}/pulls/{n}: the full pull request, with
//     counts and line totals the list lacks;
//   - GET /repos/{owner}/{repo}/pulls/{n}/reviews, /comments (review
//     comments) and /commits (at most 250, as GitHub);
//   - GET /repos/{owner}/{repo}/issues/{n}/comments and /timeline;
//   - GET /repos/{owner}/{repo}/actions/runs with created and status
//     filters (at most 1,000 runs for a filtered query, total_count
//     counting them all), /actions/runs/{id} and
//     /actions/runs/{id}/jobs with filter latest or all.
//
// Lists page with per_page (30 by default, at most 100) and page, and carry
// GitHub's Link header. Every answer carries x-ratelimit-* headers; each
// request but a 304 uses one unit of the budget. A 200 carries an ETag;
// a request whose If-None-Match names it gets 304 Not Modified.
//
// The embedded testserver.Base gives SetFault, Requests (every request,
// faults included) and Log (the path and query of every request).
type Server struct {
	testserver.Base
	ts    *httptest.Server
	token string

	mu          sync.Mutex
	repos       []*Repo
	notModified int
	remaining   int
	reset       time.Time

	// GraphQL (graphql.go): the requests, the points spent, the budget,
	// and the fault.
	gqlRequests  int
	points       int
	gqlRemaining int
	gqlReset     time.Time
	partial      func(number int) error
}

// New starts a server holding repos. When token is not empty every request
// must send it (Authorization: Bearer or token); otherwise anything goes.
func New(token string, repos ...*Repo) *Server {
	reset := time.Now().Add(time.Hour).Truncate(time.Second)
	s := &Server{token: token, repos: repos, remaining: RateLimit, reset: reset,
		gqlRemaining: GraphQLLimit, gqlReset: reset}
	s.ts = httptest.NewServer(s)
	return s
}

// URL is the server's base URL, without a trailing slash.
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the server down.
func (s *Server) Close() { s.ts.Close() }

// Update runs fn with the model locked, so a test can change the
// repositories between or during collections.
func (s *Server) Update(fn func(repos []*Repo) []*Repo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos = fn(s.repos)
}

// NotModified is how many requests were answered 304 Not Modified.
func (s *Server) NotModified() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notModified
}

// Used is how much of the primary rate limit the requests used: every
// request but a 304.
func (s *Server) Used() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return RateLimit - s.remaining
}

// ResetCounters sets the request counters, the log and the budget back to
// their initial values.
func (s *Server) ResetCounters() {
	s.Base.ResetCounters()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notModified, s.remaining = 0, RateLimit
	s.gqlRequests, s.points, s.gqlRemaining = 0, 0, GraphQLLimit
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Record(r)
	if s.Fault(w, r) {
		return
	}
	if r.URL.Path == "/graphql" || r.URL.Path == "/api/graphql" {
		s.serveGraphQL(w, r)
		return
	}
	if s.exhausted(w) {
		return
	}
	if s.token != "" && !s.authorized(r) {
		s.spend(w.Header(), true)
		writeJSON(w, http.StatusUnauthorized, errorBody("Bad credentials", "https://docs.github.com/rest"))
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	if r.Method != http.MethodGet {
		s.spend(w.Header(), true)
		writeJSON(w, http.StatusNotFound, errorBody("Not Found", "https://docs.github.com/rest"))
		return
	}
	s.mu.Lock()
	v, link, status := s.route(strings.Split(strings.Trim(path, "/"), "/"), r)
	s.mu.Unlock()
	if status != http.StatusOK {
		s.spend(w.Header(), true)
		writeJSON(w, status, v)
		return
	}
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // the model renders only JSON-safe values
	}
	sum := sha256.Sum256(body)
	etag := `W/"` + hex.EncodeToString(sum[:]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
	h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
	if link != "" {
		h.Set("Link", link)
	}
	if matches(r.Header.Get("If-None-Match"), etag) {
		s.spend(h, false)
		s.mu.Lock()
		s.notModified++
		s.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.spend(h, true)
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (s *Server) authorized(r *http.Request) bool {
	a := r.Header.Get("Authorization")
	for _, scheme := range []string{"Bearer ", "token "} {
		if t, ok := strings.CutPrefix(a, scheme); ok && t == s.token {
			return true
		}
	}
	return false
}

// SetBudget sets what is left of the primary rate limit and when it resets.
// Once nothing is left the server answers 403 with x-ratelimit-remaining 0,
// as GitHub does, until the reset, when the budget is whole again.
func (s *Server) SetBudget(remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remaining, s.reset = remaining, reset.Truncate(time.Second)
}

// exhausted answers a request that comes when the budget is used up.
func (s *Server) exhausted(w http.ResponseWriter) bool {
	s.mu.Lock()
	if s.remaining > 0 {
		s.mu.Unlock()
		return false
	}
	if !time.Now().Before(s.reset) {
		s.remaining, s.reset = RateLimit, time.Now().Add(time.Hour).Truncate(time.Second)
		s.mu.Unlock()
		return false
	}
	reset := s.reset
	s.mu.Unlock()
	PrimaryLimit(w, http.StatusForbidden, reset)
	return true
}

// spend takes one unit of the budget (unless cost is false) and sets the
// rate limit headers.
func (s *Server) spend(h http.Header, cost bool) {
	s.mu.Lock()
	if cost && s.remaining > 0 {
		s.remaining--
	}
	remaining, reset := s.remaining, s.reset
	s.mu.Unlock()
	RateHeaders(h, remaining, reset)
	h.Set("X-GitHub-Request-Id", "0685:5DDC:10B68F9:25FA1BE:"+strconv.Itoa(remaining))
}

// RateHeaders sets GitHub's x-ratelimit-* headers for the core resource.
func RateHeaders(h http.Header, remaining int, reset time.Time) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(RateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(RateLimit-remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

// matches reports whether an If-None-Match header names etag (weak
// comparison, as GitHub does).
func matches(ifNoneMatch, etag string) bool {
	if ifNoneMatch == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

func errorBody(msg, doc string) map[string]any {
	return map[string]any{"message": msg, "documentation_url": doc}
}

var notFound = errorBody("Not Found", "https://docs.github.com/rest")

// route answers a GET path; it runs with s.mu held.
func (s *Server) route(p []string, r *http.Request) (v any, link string, status int) {
	switch {
	case len(p) == 3 && p[0] == "orgs" && p[2] == "repos":
		return s.repoList(p[1], "Organization", r)
	case len(p) == 3 && p[0] == "users" && p[2] == "repos":
		return s.repoList(p[1], "", r)
	case len(p) >= 4 && p[0] == "repos":
		repo := s.repo(p[1], p[2])
		if repo == nil {
			return notFound, "", http.StatusNotFound
		}
		if len(p) == 4 && p[3] == "pulls" {
			return s.pullList(repo, r)
		}
		if p[3] == "actions" {
			return s.actions(repo, p[4:], r)
		}
		if len(p) < 5 || (p[3] != "pulls" && p[3] != "issues") {
			return notFound, "", http.StatusNotFound
		}
		n, err := strconv.Atoi(p[4])
		pr := repo.pull(n)
		if err != nil || pr == nil {
			return notFound, "", http.StatusNotFound
		}
		switch {
		case len(p) == 5 && p[3] == "pulls":
			return pullJSON(repo, pr, true), "", http.StatusOK
		case len(p) == 6 && p[3] == "pulls" && p[5] == "reviews":
			return paged(r, mapAll(pr.Reviews, func(rv Review) any { return reviewJSON(repo, pr, rv) }))
		case len(p) == 6 && p[3] == "pulls" && p[5] == "comments":
			return paged(r, mapAll(pr.ReviewComments, func(c ReviewComment) any { return reviewCommentJSON(repo, pr, c) }))
		case len(p) == 6 && p[3] == "pulls" && p[5] == "commits":
			cs := pr.Commits[:min(len(pr.Commits), 250)]
			return paged(r, mapAll(cs, func(c Commit) any { return commitJSON(repo, c) }))
		case len(p) == 6 && p[3] == "issues" && p[5] == "comments":
			return paged(r, mapAll(pr.Comments, func(c Comment) any { return commentJSON(repo, pr, c) }))
		case len(p) == 6 && p[3] == "issues" && p[5] == "timeline":
			return paged(r, timelineJSON(repo, pr))
		}
	}
	return notFound, "", http.StatusNotFound
}

func (s *Server) repo(owner, name string) *Repo {
	for _, r := range s.repos {
		if strings.EqualFold(r.Owner.Login, owner) && strings.EqualFold(r.Name, name) {
			return r
		}
	}
	return nil
}

func (r *Repo) pull(n int) *Pull {
	for _, p := range r.Pulls {
		if p.Number == n {
			return p
		}
	}
	return nil
}

// repoList lists the repositories of owner; wantType "Organization" answers
// 404 unless the owner is an organisation.
func (s *Server) repoList(owner, wantType string, r *http.Request) (any, string, int) {
	var out []any
	known := false
	for _, repo := range s.repos {
		if !strings.EqualFold(repo.Owner.Login, owner) {
			continue
		}
		known = true
		if wantType != "" && repo.Owner.Type != wantType {
			return notFound, "", http.StatusNotFound
		}
		out = append(out, repoJSON(repo))
	}
	if !known {
		return notFound, "", http.StatusNotFound
	}
	return paged(r, out)
}

func (s *Server) pullList(repo *Repo, r *http.Request) (any, string, int) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var prs []*Pull
	for _, p := range repo.Pulls {
		if state == "all" || p.State == state {
			prs = append(prs, p)
		}
	}
	key := func(p *Pull) time.Time { return p.Created }
	if q.Get("sort") == "updated" {
		key = func(p *Pull) time.Time { return p.Updated }
	}
	asc := q.Get("direction") == "asc"
	slices.SortStableFunc(prs, func(a, b *Pull) int {
		c := key(a).Compare(key(b))
		if c == 0 {
			c = a.Number - b.Number
		}
		if asc {
			return c
		}
		return -c
	})
	return paged(r, mapAll(prs, func(p *Pull) any { return pullJSON(repo, p, false) }))
}

func mapAll[T any](in []T, f func(T) any) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// paged cuts one page out of items and builds GitHub's Link header.
func paged(r *http.Request, items []any) (any, string, int) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max(1, (len(items)+per-1)/per)
	lo := min((page-1)*per, len(items))
	hi := min(lo+per, len(items))
	out := items[lo:hi]
	if out == nil {
		out = []any{}
	}
	link := func(n int) string {
		q.Set("page", strconv.Itoa(n))
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
		return "<" + u.String() + ">"
	}
	var parts []string
	if page > 1 {
		parts = append(parts, link(page-1)+`; rel="prev"`)
	}
	if page < last {
		parts = append(parts, link(page+1)+`; rel="next"`, link(last)+`; rel="last"`)
	}
	if page > 1 {
		parts = append(parts, link(1)+`; rel="first"`)
	}
	return out, strings.Join(parts, ", "), http.StatusOK
}

// PrimaryLimit answers as GitHub does when the primary rate limit is used
// up: the given status (403 or 429), x-ratelimit-remaining 0 and the reset
// time.
func PrimaryLimit(w http.ResponseWriter, status int, reset time.Time) {
	RateHeaders(w.Header(), 0, reset)
	writeJSON(w, status, errorBody("API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID 0685:5DDC:10B68F9:25FA1BE:62D6354D.",
		"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"))
}

// SecondaryLimit answers as GitHub does when a secondary rate limit is hit:
// the given status (403 or 429), budget left, and a Retry-After header when
// retryAfter is not empty.
func SecondaryLimit(w http.ResponseWriter, status int, retryAfter string) {
	RateHeaders(w.Header(), 4000, time.Now().Add(time.Hour))
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeJSON(w, status, errorBody("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0685:5DDC:10B68F9:25FA1BE:62D6354D.",
		"https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"))
}

// ServerError answers with a 5xx as GitHub's front end does when a backend
// is unavailable.
func ServerError(w http.ResponseWriter, status int) {
	writeJSON(w, status, map[string]any{"message": fmt.Sprintf("Server Error (%d)", status)})
}
