// Package jenkinstest is a fake Jenkins JSON API for tests and demos. It
// serves /api/json of the root, of folders, multibranch projects and jobs
// (nested as /job/A/job/B/, names %-encoded as Jenkins does) from an
// in-memory model, and answers as Jenkins does: the `tree` parameter picks
// the properties (jobs[name,url,_class], builds and allBuilds with their
// fields and {M,N} ranges; `builds` stops at the newest 100), every object
// carries its _class, HTTP Basic authentication with a user's API token,
// 403 with an HTML page for anonymous requests and 401 for a wrong token,
// 404 with an HTML page for an unknown job. A FaultFunc injects login
// pages, truncated answers, 5xx, throttling and the like.
package jenkinstest

import (
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

// Classes Jenkins reports in _class.
const (
	ClassRoot        = "hudson.model.Hudson"
	ClassFolder      = "com.cloudbees.hudson.plugins.folder.Folder"
	ClassOrgFolder   = "jenkins.branch.OrganizationFolder"
	ClassMultiBranch = "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject"
	ClassFreestyle   = "hudson.model.FreeStyleProject"
	ClassPipeline    = "org.jenkinsci.plugins.workflow.job.WorkflowJob"
	ClassFreeBuild   = "hudson.model.FreeStyleBuild"
	ClassPipeRun     = "org.jenkinsci.plugins.workflow.job.WorkflowRun"
)

// Item is a folder (Items not nil, or a folder Class) or a job.
type Item struct {
	// Name is the item's name as Jenkins stores it: a multibranch branch
	// "feature/x" is "feature%2Fx".
	Name string
	// Class is the _class; empty means ClassFolder for an item with
	// Items, else ClassFreestyle.
	Class string
	Items []*Item
	// Builds in any order; they are listed newest (highest number) first.
	Builds []Build
}

// Build is one run of a job.
type Build struct {
	Number   int64
	Started  time.Time
	Duration time.Duration // 0 while building
	// Result is SUCCESS, FAILURE, UNSTABLE, ABORTED, NOT_BUILT; empty
	// while the build runs.
	Result string
	Params []Param
	// Queued is the metrics plugin's queuingDurationMillis; negative when
	// the build has no TimeInQueueAction.
	Queued  time.Duration
	QueueID int64
}

// Param is a build parameter; Value is rendered as JSON (a string, a
// boolean, a number).
type Param struct {
	Name  string
	Value any
}

// FaultFunc sees every request before the server does. When it returns
// true it has answered the request itself.
type FaultFunc = testserver.FaultFunc

// Server is the fake Jenkins on a local HTTP server; it serves under / and
// under /jenkins/ (a Jenkins behind a path prefix). The embedded
// testserver.Base gives SetFault, Requests (every request, faults
// included), Log (the escaped path and query of every request) and
// ResetCounters.
type Server struct {
	testserver.Base
	ts    *httptest.Server
	user  string
	token string

	mu   sync.Mutex
	root []*Item
}

// New starts a server holding the top-level items. When user is not empty
// every request must authenticate as user with token (HTTP Basic).
func New(user, token string, root ...*Item) *Server {
	s := &Server{user: user, token: token, root: root}
	s.ts = httptest.NewServer(s)
	return s
}

// URL is the server's root URL with a trailing slash.
func (s *Server) URL() string { return s.ts.URL + "/" }

// Close shuts the server down.
func (s *Server) Close() { s.ts.Close() }

// Update runs fn with the model locked, so a test can change the items
// between or during collections.
func (s *Server) Update(fn func(root []*Item) []*Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.root = fn(s.root)
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Record(r)
	if s.Fault(w, r) {
		return
	}
	w.Header().Set("X-Jenkins", "2.462.3")
	if s.user != "" {
		u, p, ok := r.BasicAuth()
		switch {
		case !ok:
			LoginPage(w, http.StatusForbidden, r.URL.Path)
			return
		case u != s.user || p != s.token:
			w.Header().Set("WWW-Authenticate", `Basic realm="Jenkins"`)
			HTMLError(w, http.StatusUnauthorized, "Invalid password/token for user: "+u)
			return
		}
	}
	if r.Method != http.MethodGet {
		HTMLError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	raw := strings.TrimPrefix(r.URL.EscapedPath(), "/jenkins")
	parts := strings.Split(strings.Trim(raw, "/"), "/")
	if len(parts) < 2 || parts[len(parts)-2] != "api" || parts[len(parts)-1] != "json" {
		HTMLError(w, http.StatusNotFound, "Not Found")
		return
	}
	parts = parts[:len(parts)-2]
	tree, err := parseTree(r.URL.Query().Get("tree"))
	if err != nil {
		HTMLError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	v, ok := s.render(r, parts, tree)
	s.mu.Unlock()
	if !ok {
		HTMLError(w, http.StatusNotFound, "Not Found")
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		panic(err) // the model renders only JSON-safe values
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Write(body)
}

// render answers the item at the escaped path parts ("job", name, "job",
// name, ...); it runs with s.mu held.
func (s *Server) render(r *http.Request, parts []string, tree []node) (map[string]any, bool) {
	if len(parts)%2 != 0 {
		return nil, false
	}
	base := "http://" + r.Host + "/"
	if strings.HasPrefix(r.URL.EscapedPath(), "/jenkins/") {
		base += "jenkins/"
	}
	items := s.root
	var it *Item
	itemURL := base
	for i := 0; i < len(parts); i += 2 {
		if parts[i] != "job" {
			return nil, false
		}
		name, err := url.PathUnescape(parts[i+1])
		if err != nil {
			return nil, false
		}
		it = nil
		for _, c := range items {
			if c.Name == name {
				it = c
			}
		}
		if it == nil {
			return nil, false
		}
		itemURL += "job/" + url.PathEscape(name) + "/"
		items = it.Items
	}
	class := ClassRoot
	folder := true
	if it != nil {
		class, folder = it.class(), it.folder()
	}
	out := map[string]any{"_class": class}
	for _, n := range tree {
		switch {
		case n.name == "jobs" && folder:
			jobs := []any{}
			for _, c := range items {
				jobs = append(jobs, pick(map[string]any{
					"_class": c.class(), "name": c.Name, "url": itemURL + "job/" + url.PathEscape(c.Name) + "/",
				}, n.children))
			}
			out["jobs"] = jobs
		case (n.name == "builds" || n.name == "allBuilds") && !folder:
			bs := slices.Clone(it.Builds)
			slices.SortFunc(bs, func(a, b Build) int { return int(b.Number - a.Number) })
			if n.name == "builds" && len(bs) > 100 {
				bs = bs[:100]
			}
			lo, hi := n.lo, n.hi
			if hi < 0 || hi > len(bs) {
				hi = len(bs)
			}
			lo = min(lo, hi)
			list := []any{}
			for _, b := range bs[lo:hi] {
				list = append(list, pick(buildJSON(itemURL, it, b), n.children))
			}
			out[n.name] = list
		case n.name == "name" && it != nil:
			out["name"] = it.Name
		case n.name == "url":
			out["url"] = itemURL
		}
	}
	return out, true
}

func (it *Item) folder() bool {
	switch it.Class {
	case ClassFolder, ClassOrgFolder, ClassMultiBranch:
		return true
	case "":
		return it.Items != nil
	}
	return false
}

func (it *Item) class() string {
	if it.Class != "" {
		return it.Class
	}
	if it.Items != nil {
		return ClassFolder
	}
	return ClassFreestyle
}

// buildJSON renders a build with every property the fake knows.
func buildJSON(jobURL string, it *Item, b Build) map[string]any {
	class := ClassFreeBuild
	if it.Class == ClassPipeline {
		class = ClassPipeRun
	}
	var result any
	if b.Result != "" {
		result = b.Result
	}
	actions := []any{map[string]any{"_class": "hudson.model.CauseAction"}}
	if len(b.Params) > 0 {
		ps := []any{}
		for _, p := range b.Params {
			pc := "hudson.model.StringParameterValue"
			if _, ok := p.Value.(bool); ok {
				pc = "hudson.model.BooleanParameterValue"
			}
			ps = append(ps, map[string]any{"_class": pc, "name": p.Name, "value": p.Value})
		}
		actions = append(actions, map[string]any{"_class": "hudson.model.ParametersAction", "parameters": ps})
	}
	actions = append(actions, map[string]any{}, map[string]any{"_class": "hudson.plugins.git.util.BuildData"})
	if b.Queued >= 0 {
		actions = append(actions, map[string]any{"_class": "jenkins.metrics.impl.TimeInQueueAction",
			"queuingDurationMillis": b.Queued.Milliseconds(), "blockedDurationMillis": 0,
			"buildableDurationMillis": b.Queued.Milliseconds(), "waitingDurationMillis": 0})
	}
	duration := b.Duration.Milliseconds()
	if b.Result == "" {
		duration = 0
	}
	return map[string]any{
		"_class":    class,
		"number":    b.Number,
		"timestamp": b.Started.UnixMilli(),
		"duration":  duration,
		"result":    result,
		"building":  b.Result == "",
		"url":       jobURL + strconv.FormatInt(b.Number, 10) + "/",
		"queueId":   b.QueueID,
		"actions":   actions,
	}
}

// pick keeps the properties a tree asks for (and _class, always there);
// nested objects and lists of objects are picked by the children's
// subtrees. No children keeps everything.
func pick(v map[string]any, tree []node) map[string]any {
	if len(tree) == 0 {
		return v
	}
	out := map[string]any{}
	if c, ok := v["_class"]; ok {
		out["_class"] = c
	}
	for _, n := range tree {
		x, ok := v[n.name]
		if !ok {
			continue
		}
		switch t := x.(type) {
		case []any:
			list := []any{}
			for _, e := range t {
				if m, ok := e.(map[string]any); ok {
					list = append(list, pick(m, n.children))
				} else {
					list = append(list, e)
				}
			}
			out[n.name] = list
		case map[string]any:
			out[n.name] = pick(t, n.children)
		default:
			out[n.name] = x
		}
	}
	return out
}

// node is one property of a tree parameter, with its subtree and range.
type node struct {
	name     string
	children []node
	lo, hi   int // hi < 0: to the end
}

// parseTree reads Jenkins' tree syntax: a,b[c,d]{0,10},e{5}.
func parseTree(s string) ([]node, error) {
	nodes, rest, err := parseNodes(s)
	if err != nil {
		return nil, err
	}
	if rest != "" {
		return nil, fmt.Errorf("bad tree: unexpected %q", rest)
	}
	return nodes, nil
}

func parseNodes(s string) ([]node, string, error) {
	var out []node
	for s != "" && s[0] != ']' {
		i := strings.IndexAny(s, ",[]{")
		if i < 0 {
			i = len(s)
		}
		n := node{name: strings.TrimSpace(s[:i]), hi: -1}
		s = s[i:]
		if s != "" && s[0] == '[' {
			kids, rest, err := parseNodes(s[1:])
			if err != nil {
				return nil, "", err
			}
			if rest == "" || rest[0] != ']' {
				return nil, "", fmt.Errorf("bad tree: missing ]")
			}
			n.children, s = kids, rest[1:]
		}
		if s != "" && s[0] == '{' {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return nil, "", fmt.Errorf("bad tree: missing }")
			}
			r := s[1:end]
			s = s[end+1:]
			a, b, comma := strings.Cut(r, ",")
			var err error
			if a != "" {
				if n.lo, err = strconv.Atoi(a); err != nil {
					return nil, "", fmt.Errorf("bad tree range {%s}", r)
				}
			}
			switch {
			case !comma:
				n.hi = n.lo + 1
			case b != "":
				if n.hi, err = strconv.Atoi(b); err != nil {
					return nil, "", fmt.Errorf("bad tree range {%s}", r)
				}
			}
		}
		if n.name == "" {
			return nil, "", fmt.Errorf("bad tree: empty property name")
		}
		out = append(out, n)
		if s != "" && s[0] == ',' {
			s = s[1:]
		}
	}
	return out, s, nil
}

// LoginPage answers as Jenkins does when an anonymous request needs to log
// in: an HTML page that sends the browser to the login form.
func LoginPage(w http.ResponseWriter, status int, from string) {
	w.Header().Set("X-You-Are-Authenticated-As", "anonymous")
	w.Header().Set("X-Required-Permission", "hudson.model.Hudson.Read")
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<html><head><meta http-equiv='refresh' content='1;url=/login?from=%s'/><script>window.location.replace('/login?from=%s');</script></head><body style='background-color:white; color:white;'>

Authentication required
<!--
-->

</body></html>`, url.QueryEscape(from), url.QueryEscape(from))
}

// SignInPage answers 200 with Jenkins' sign-in form, as a single sign-on
// proxy in front of Jenkins does for a request without a session.
func SignInPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, `<!DOCTYPE html><html><head><title>Sign in [Jenkins]</title></head><body><form method="post" action="j_spring_security_check"><input name="j_username"/><input name="j_password" type="password"/></form></body></html>`)
}

// HTMLError answers with Jenkins' HTML error page.
func HTMLError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html;charset=iso-8859-1")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<html><head><meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/><title>Error %d %s</title></head><body><h2>HTTP ERROR %d %s</h2></body></html>`,
		status, msg, status, msg)
}
