package gitlabtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/codepace/codepace/internal/testserver"
)

// RateLimit is how many requests a minute the server allows by default, as
// GitLab.com's authenticated API limit.
const RateLimit = 2000

// Server is the fake GitLab on a local HTTP server. It serves, under
// /api/v4:
//
//   - GET /groups/:id/projects with include_subgroups, archived and simple;
//     keyset pagination (pagination=keyset, order_by=id only, else 405)
//     or offset pagination;
//   - GET /groups/:id/merge_requests (the subgroups' included) and
//     /projects/:id/merge_requests with state, order_by (created_at,
//     updated_at), sort, updated_after, updated_before;
//   - GET /projects/:id/merge_requests/:iid/discussions, /commits
//     (newest first) and /resource_state_events;
//   - GET /projects/:id/pipelines with updated_after, updated_before,
//     order_by (id, updated_at), sort; /pipelines/:id/jobs with
//     include_retried;
//   - GET /users/:id.
//
// A group or project id is its full path, URL-encoded, or a project's
// number. Lists use offset pagination (page, per_page: 20 by default, at
// most 100) with X-Page, X-Per-Page, X-Next-Page, X-Prev-Page, X-Total,
// X-Total-Pages and a Link header, or keyset pagination with a Link
// rel="next" only. Every answer carries RateLimit-* headers; past the
// limit of a minute a request gets 429 "Retry later" with Retry-After.
// A wrong token gets 401, an unknown path 404, both with GitLab's
// {"message": ...} body.
type Server struct {
	testserver.Base
	ts    *httptest.Server
	token string

	mu       sync.Mutex
	projects []*Project
	limit    int
	used     int
	window   time.Time // the start of the rate-limit minute
}

// New starts a server holding projects. When token is not empty every
// request must send it (PRIVATE-TOKEN or Authorization: Bearer).
func New(token string, projects ...*Project) *Server {
	s := &Server{token: token, projects: projects, limit: RateLimit}
	s.ts = httptest.NewServer(s)
	return s
}

// URL is the server's base URL, without /api/v4.
func (s *Server) URL() string { return s.ts.URL }

// Close shuts the server down.
func (s *Server) Close() { s.ts.Close() }

// SetRateLimit sets how many requests a minute are answered before 429.
func (s *Server) SetRateLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit, s.used, s.window = n, 0, time.Time{}
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Record(r)
	if s.Fault(w, r) || s.throttled(w) {
		return
	}
	if s.token != "" && r.Header.Get("PRIVATE-TOKEN") != s.token && r.Header.Get("Authorization") != "Bearer "+s.token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	path, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v4/")
	if !ok || r.Method != http.MethodGet {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.route(w, r, strings.Split(path, "/"))
}

// Update runs fn with the model locked, so a test can change the projects
// between collections.
func (s *Server) Update(fn func(projects []*Project) []*Project) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projects = fn(s.projects)
}

// throttled sets the RateLimit-* headers and answers 429 past the limit.
func (s *Server) throttled(w http.ResponseWriter) bool {
	s.mu.Lock()
	now := time.Now()
	if now.Sub(s.window) >= time.Minute {
		s.window, s.used = now.Truncate(time.Second), 0
	}
	s.used++
	used, limit, reset := s.used, s.limit, s.window.Add(time.Minute)
	s.mu.Unlock()
	h := w.Header()
	h.Set("RateLimit-Name", "throttle_authenticated_api")
	h.Set("RateLimit-Limit", strconv.Itoa(limit))
	h.Set("RateLimit-Observed", strconv.Itoa(used))
	h.Set("RateLimit-Remaining", strconv.Itoa(max(limit-used, 0)))
	h.Set("RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("RateLimit-ResetTime", reset.UTC().Format(http.TimeFormat))
	if used <= limit {
		return false
	}
	h.Set("Retry-After", strconv.Itoa(max(int(time.Until(reset).Seconds()), 1)))
	h.Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusTooManyRequests)
	fmt.Fprint(w, "Retry later\n")
	return true
}

// route answers the request for the path's segments (escaped).
func (s *Server) route(w http.ResponseWriter, r *http.Request, seg []string) {
	q := r.URL.Query()
	switch {
	case len(seg) == 2 && seg[0] == "users":
		u := s.user(seg[1])
		if u == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 User Not Found"})
			return
		}
		writeJSON(w, http.StatusOK, renderUser(u))
	case len(seg) == 3 && seg[0] == "groups":
		group, ok := s.group(seg[1])
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Group Not Found"})
			return
		}
		switch seg[2] {
		case "projects":
			s.groupProjects(w, r, group)
		case "merge_requests":
			var mrs []mrOf
			for _, p := range s.projects {
				if strings.HasPrefix(p.Path, group+"/") {
					mrs = appendMRs(mrs, p)
				}
			}
			s.mergeRequests(w, r, mrs)
		default:
			notFound(w)
		}
	case len(seg) >= 3 && seg[0] == "projects":
		p := s.project(seg[1])
		if p == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
			return
		}
		s.projectRoute(w, r, p, seg[2:], q)
	default:
		notFound(w)
	}
}

// projectRoute answers what is under /projects/:id/.
func (s *Server) projectRoute(w http.ResponseWriter, r *http.Request, p *Project, seg []string, q url.Values) {
	switch {
	case len(seg) == 1 && seg[0] == "merge_requests":
		s.mergeRequests(w, r, appendMRs(nil, p))
	case len(seg) == 3 && seg[0] == "merge_requests":
		mr := findMR(p, seg[1])
		if mr == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
			return
		}
		switch seg[2] {
		case "discussions":
			list := make([]any, len(mr.Discussions))
			for i, d := range mr.Discussions {
				list[i] = renderDiscussion(p, mr, d)
			}
			writePage(w, r, list)
		case "resource_state_events":
			list := make([]any, len(mr.States))
			for i, e := range mr.States {
				list[i] = renderStateEvent(mr, e)
			}
			writePage(w, r, list)
		case "commits":
			list := make([]any, len(mr.Commits))
			for i, c := range mr.Commits {
				list[len(list)-1-i] = renderCommit(p, c)
			}
			writePage(w, r, list)
		default:
			notFound(w)
		}
	case len(seg) == 1 && seg[0] == "pipelines":
		s.pipelines(w, r, p)
	case len(seg) == 3 && seg[0] == "pipelines" && seg[2] == "jobs":
		pl := findPipeline(p, seg[1])
		if pl == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
			return
		}
		var list []any
		for _, j := range pl.Jobs {
			if !j.Retried || q.Get("include_retried") == "true" {
				list = append(list, renderJob(p, pl, j))
			}
		}
		writePage(w, r, list)
	default:
		notFound(w)
	}
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
}

// writeJSON answers v as GitLab does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic(err) // the model renders only JSON-safe values
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=0, private, must-revalidate")
	w.WriteHeader(status)
	w.Write(body)
}
