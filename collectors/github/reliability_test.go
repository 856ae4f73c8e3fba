package github

// Reliability tests of issue 9 for the GitHub collector (pull requests and
// Actions): hostile and broken answers, and faults of the server. Each bad
// item must give a clear error or a logged, counted skip while the rest is
// stored; nothing may be stored that GitHub did not say, and the cursor never
// moves past what was not stored.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	gt "github.com/codepace/codepace/collectors/github/githubtest"
	"github.com/codepace/codepace/internal/testserver"
)

// knownBug fails t: the assertion guards a bug the reliability tests
// found and that is fixed (docs/reliability.md lists them by id).
func knownBug(t *testing.T, id, format string, args ...any) {
	t.Helper()
	t.Fatalf("%s (a fixed bug is back): %s", id, fmt.Sprintf(format, args...))
}

// answering answers the requests match selects with status 200 and body.
func answering(match func(*http.Request) bool, contentType, body string) gt.FaultFunc {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !match(r) {
			return false
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(body))
		return true
	}
}

// pathIs matches requests whose path ends with suffix.
func pathIs(suffix string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, suffix) }
}

const htmlPage = `<!DOCTYPE html><html><head><title>Sign in · Corporate SSO</title></head><body><form>login</form></body></html>`

// collected is what one collection did.
type collected struct {
	changes map[string]collectors.Change
	builds  map[string]collectors.Build
	writes  int
	cursors []time.Time
	st      collectors.Stats
	err     error
	logs    string
	panic   any // what the collection panicked with, if it did
}

// collectFrom runs one collection of pull requests and Actions jobs on
// repos, with fault installed, and returns what it did.
func collectFrom(t *testing.T, repos []*gt.Repo, fault func(*gt.Server) gt.FaultFunc, mod func(*Options)) (got collected) {
	t.Helper()
	srv := gt.New(token, repos...)
	defer srv.Close()
	if fault != nil {
		srv.SetFault(fault(srv))
	}
	sink := newSink()
	c, logs := newCollector(t, srv, func(o *Options) {
		o.Actions = true
		o.Now = func() time.Time { return t0.Add(6 * time.Hour) }
		if mod != nil {
			mod(o)
		}
	})
	defer func() {
		if r := recover(); r != nil {
			got = collected{changes: sink.changes, builds: sink.Builds, cursors: sink.Cursors, logs: logs.String(), panic: r,
				err: fmt.Errorf("panic: %v", r)}
		}
	}()
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
	return collected{changes: sink.changes, builds: sink.Builds, writes: sink.writes, cursors: sink.Cursors, st: st, err: err, logs: logs.String()}
}

// withRuns is the scenario's repository with the Actions runs of
// actionsRepo.
func withRuns() []*gt.Repo {
	repos := scenario()
	repos[0].Runs = actionsRepo(t0).Runs
	return repos
}

// TestBrokenAnswers breaks, one at a time, each kind of answer the
// collector reads (the pull request list, one pull request, its reviews,
// timeline and commits, the workflow runs and a run's jobs) in each way a
// proxy, a cache or a half-dead server breaks answers. The oracle is a clean
// collection of the same data: whatever is stored must be exactly what the
// clean collection stores; a collection that reports neither an error nor
// a skip must have stored all of it; one that fails must not move the
// cursor, and its error must name the source, the repository and the
// request, and say what was wrong.
func TestBrokenAnswers(t *testing.T) {
	// The references: clean collections through each API.
	refs := map[string]collected{}
	for _, api := range []string{APIREST, APIGraphQL} {
		ref := collectFrom(t, withRuns(), nil, func(o *Options) { o.API = api })
		if ref.err != nil || len(ref.changes) != 9 || len(ref.builds) != 6 || len(ref.cursors) != 1 {
			t.Fatalf("%s reference collection: %v, %d changes, %d builds, cursors %v", api, ref.err, len(ref.changes), len(ref.builds), ref.cursors)
		}
		refs[api] = ref
	}
	places := []struct {
		name  string
		match func(*http.Request) bool
		api   string
	}{
		{"pull request list", pathIs("/repos/acme/widgets/pulls"), APIREST},
		{"pull request", pathIs("/pulls/4"), APIREST},
		{"reviews", pathIs("/pulls/8/reviews"), APIREST},
		{"timeline", pathIs("/issues/1/timeline"), APIREST},
		{"commits", pathIs("/pulls/1/commits"), APIREST},
		{"workflow runs", pathIs("/actions/runs"), APIREST},
		{"jobs of a run", pathIs("/actions/runs/100/jobs"), APIREST},
		{"GraphQL query", pathIs("/api/graphql"), APIGraphQL},
	}
	badTime := regexp.MustCompile(`"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)Z"`)
	breakages := []struct {
		name    string
		fault   func(srv *gt.Server, match func(*http.Request) bool) gt.FaultFunc
		say     string // the error must say this (besides the request)
		noError bool   // an answer that may be taken as valid
	}{
		{"malformed JSON", func(srv *gt.Server, m func(*http.Request) bool) gt.FaultFunc {
			return testserver.Rewrite(srv, m, func(b []byte) []byte { return bytes.Replace(b, []byte(`":`), []byte(`"::`), 1) })
		}, "invalid character", false},
		{"HTML page with status 200", func(srv *gt.Server, m func(*http.Request) bool) gt.FaultFunc {
			return answering(m, "text/html; charset=utf-8", htmlPage)
		}, "", false},
		{"body truncated with a matching length", func(srv *gt.Server, m func(*http.Request) bool) gt.FaultFunc {
			return testserver.Rewrite(srv, m, func(b []byte) []byte { return b[:len(b)*2/3] })
		}, "unexpected EOF", false},
		{"timestamps in the wrong format", func(srv *gt.Server, m func(*http.Request) bool) gt.FaultFunc {
			return testserver.Rewrite(srv, m, func(b []byte) []byte { return badTime.ReplaceAll(b, []byte(`"$1 $2"`)) })
		}, "parsing time", false},
		{"empty body", func(srv *gt.Server, m func(*http.Request) bool) gt.FaultFunc {
			return answering(m, "application/json; charset=utf-8", "")
		}, "", false},
		{"JSON null", func(srv *gt.Server, m func(*http.Request) bool) gt.FaultFunc {
			return answering(m, "application/json; charset=utf-8", "null")
		}, "", false},
	}
	for _, p := range places {
		for _, b := range breakages {
			t.Run(p.name+"/"+b.name, func(t *testing.T) {
				ref := refs[p.api]
				got := collectFrom(t, withRuns(), func(srv *gt.Server) gt.FaultFunc { return b.fault(srv, p.match) },
					func(o *Options) { o.API = p.api })
				if got.panic != nil {
					knownBug(t, "B9", "the collector panics on a %s answer to the %s request: %v", b.name, p.name, got.panic)
				}
				// Nothing GitHub did not say is ever stored.
				var wrong []string
				for k, c := range got.changes {
					if r, ok := ref.changes[k]; !ok || !reflect.DeepEqual(c, r) {
						wrong = append(wrong, fmt.Sprintf("change %s (number %d, status %s, %d messages; reference has it: %v)", k, c.Number, c.Status, len(c.Messages), ok))
					}
				}
				for k, x := range got.builds {
					if r, ok := ref.builds[k]; !ok || !reflect.DeepEqual(x, r) {
						wrong = append(wrong, "build "+k)
					}
				}
				slices.Sort(wrong)
				// The reference skips one job GitHub lists as queued in a
				// completed run; more skips are this answer's.
				silent := got.err == nil && got.st.Skipped <= ref.st.Skipped
				if silent && (len(got.changes) != len(ref.changes) || len(got.builds) != len(ref.builds)) {
					wrong = append(wrong, fmt.Sprintf("only %d of %d changes and %d of %d builds stored", len(got.changes), len(ref.changes), len(got.builds), len(ref.builds)))
				}
				if len(wrong) > 0 {
					if silent && (b.name == "empty body" || b.name == "JSON null") {
						knownBug(t, "B4", "an answer %q to the %s request was taken as valid: no error, no skip, cursor saved %v, and stored data differs from GitHub's: %s",
							b.name, p.name, got.cursors, strings.Join(wrong, "; "))
					}
					t.Errorf("stored data differs from GitHub's (error %v, skipped %d): %s", got.err, got.st.Skipped, strings.Join(wrong, "; "))
				}
				if got.err == nil {
					return
				}
				if len(got.cursors) != 0 {
					t.Errorf("the cursor moved after a failed collection: %v", got.cursors)
				}
				msg := got.err.Error()
				for _, s := range []string{`github source "gh"`, "acme/widgets", b.say} {
					if !strings.Contains(msg, s) {
						t.Errorf("error %q does not say %q", msg, s)
					}
				}
				if strings.Contains(msg, token) || strings.Contains(got.logs, token) {
					t.Errorf("the token shows")
				}
				// The request must be named, as the Gerrit and Jenkins
				// collectors do for answers that are not JSON.
				request := "/repos/acme/widgets/"
				if p.api == APIGraphQL {
					request = "/api/graphql"
				}
				if !strings.Contains(msg, request) || (strings.HasPrefix(b.name, "HTML") && !strings.Contains(msg, "HTML")) {
					knownBug(t, "B3", "the error for a %s answer to the %s request names neither the request nor (for an HTML page) what came instead of JSON: %q", b.name, p.name, msg)
				}
			})
		}
	}
}

// TestHostilePullRequests: values meant to break things (quotes and SQL,
// control characters, Unicode, a 1 MB comment), timestamps in the future,
// unknown review states and timeline events. Everything is stored exactly
// as GitHub said it; the cursor is the collection's start, never a
// timestamp from the data.
func TestHostilePullRequests(t *testing.T) {
	evil := &gt.User{Login: "x'); DROP TABLE raw_changes; --\x00\x1b[31m", ID: 6661, Type: "User"}
	uni := &gt.User{Login: "ünïcødé-😀-\u202e", ID: 6662, Type: "User"}
	huge := strings.Repeat("A one megabyte comment. ", 1<<20/24+1)
	future := now.AddDate(1, 0, 0)
	title := "it's \"quoted\"'); DELETE FROM raw_messages WHERE ('1'='1\t\r\n"
	repos := []*gt.Repo{{Owner: org, Name: "widgets", ID: 77001, Pulls: []*gt.Pull{
		{Number: 1, ID: 501, Title: title, User: evil, State: "open", Base: "rel/ü'\"; --",
			Created: t0, Updated: t0.Add(time.Hour),
			Commits:  []gt.Commit{commit("h1", evil, t0, t0)},
			Comments: []gt.Comment{{ID: 11, User: uni, Body: huge, Created: t0.Add(30 * time.Minute)}},
			Reviews:  []gt.Review{{ID: 12, User: uni, State: "SUPER_APPROVED", Body: "\x00\x01\x02", Submitted: t0.Add(40 * time.Minute)}},
			Events:   []gt.Event{{ID: 13, Event: "teleported", Actor: uni, At: t0.Add(50 * time.Minute)}},
		},
		{Number: 2, ID: 502, Title: "From the future", User: uni, State: "open",
			Created: future, Updated: future.Add(time.Hour),
			Commits: []gt.Commit{commit("h2", uni, future, future)},
			Reviews: []gt.Review{{ID: 21, User: evil, State: "APPROVED", Submitted: future.Add(30 * time.Minute)}},
		},
	}}}
	srv := gt.New(token, repos...)
	defer srv.Close()
	sink := newSink()
	c, logs := newCollector(t, srv, func(o *Options) { o.API = APIREST; o.PageSize = 100 })
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changes != 2 || len(sink.changes) != 2 || st.Skipped != 0 {
		t.Fatalf("stats %+v, stored %d", st, len(sink.changes))
	}
	if !slices.Equal(sink.Cursors, []time.Time{now}) {
		t.Errorf("cursors %v, want the collection's start %v (never a timestamp of the data)", sink.Cursors, now)
	}
	one := sink.change(t, 1)
	if one.Subject != title || one.Owner.Username != evil.Login || one.Branch != "rel/ü'\"; --" {
		t.Errorf("values changed on the way: %q %q %q", one.Subject, one.Owner.Username, one.Branch)
	}
	var texts []string
	for _, m := range one.Messages {
		texts = append(texts, m.ID)
		switch m.ID {
		case "comment/11":
			if m.Text != huge || m.Author.Username != uni.Login {
				t.Errorf("the 1 MB comment came back with %d bytes by %q", len(m.Text), m.Author.Username)
			}
		case "review/12":
			if m.Text != "Review SUPER_APPROVED: \x00\x01\x02" {
				t.Errorf("review with an unknown state: %q", m.Text)
			}
		}
	}
	if !slices.Equal(texts, []string{"comment/11", "review/12"}) {
		t.Errorf("messages %v: want the comment and the review, and no message for the unknown event", texts)
	}
	two := sink.change(t, 2)
	if !two.Created.Equal(future) || !two.Updated.Equal(future.Add(time.Hour)) || len(two.Messages) != 1 || !two.Messages[0].Date.Equal(future.Add(30*time.Minute)) {
		t.Errorf("pull request from the future: %+v", two)
	}
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("log:\n%s", logs)
	}
}

// TestUnknownPullRequestState: GitHub's pull request state is "open" or
// "closed". Another value is not a closed pull request: it must not be
// counted as abandoned (nor merged, nor open) without a word; a logged,
// counted skip (as Gerrit's unknown statuses) or an error is expected.
func TestUnknownPullRequestState(t *testing.T) {
	repos := scenario()
	repos[0].Pulls[2].State = "archived" // #3, open in the scenario
	srv := gt.New(token, repos...)
	defer srv.Close()
	sink := newSink()
	c, _ := newCollector(t, srv, restAPI)
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
	if err == nil && st.Skipped == 0 {
		if c, ok := sink.changes["acme/widgets#3"]; ok {
			knownBug(t, "B7", "a pull request with state %q was stored as %q with no error, no skip and no log", "archived", c.Status)
		}
	}
	if len(sink.changes) < 8 {
		t.Errorf("the other pull requests were not all stored: %d", len(sink.changes))
	}
}

// TestRetryAfterOn503: a 503 with Retry-After (a GitHub Enterprise
// appliance in maintenance, a proxy) is waited out for as long as the
// server asks, as a 429 with Retry-After is, and the wait is reported.
func TestRetryAfterOn503(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	var n atomic.Int32
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if n.Add(1) == 3 {
			w.Header().Set("Retry-After", "1")
			gt.ServerError(w, http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	sink := newSink()
	c, logs := newCollector(t, srv, nil)
	start := time.Now()
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changes != 9 || len(sink.Cursors) != 1 || !strings.Contains(logs.String(), "retrying") {
		t.Fatalf("stats %+v, cursors %v; log:\n%s", st, sink.Cursors, logs)
	}
	if took := time.Since(start); took < time.Second {
		knownBug(t, "B8", "a 503 with Retry-After: 1 was retried after %v: the limiter ignores Retry-After on 5xx answers (it honours it only on 403/429)", took)
	}
	if !regexp.MustCompile(`waited=1\.?\d*s`).MatchString(logs.String()) {
		t.Errorf("the collection does not report the second it waited:\n%s", logs)
	}
}

// TestConnectionResets: the server drops the connection without an
// answer, on the list and on a pull request; both are retried and the
// collection completes.
func TestConnectionResets(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	var n atomic.Int32
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if k := n.Add(1); k == 1 || k == 5 || k == 6 {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return true
		}
		return false
	})
	sink := newSink()
	c, logs := newCollector(t, srv, nil)
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changes != 9 || sink.writes != 9 || len(sink.Cursors) != 1 || !strings.Contains(logs.String(), "retrying") {
		t.Errorf("stats %+v, writes %d, cursors %v; log:\n%s", st, sink.writes, sink.Cursors, logs)
	}
}

// TestSlowPageAfterPage: every answer takes a while but comes within the
// timeout: nothing is retried, nothing is lost.
func TestSlowPageAfterPage(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		time.Sleep(25 * time.Millisecond)
		return false
	})
	sink := newSink()
	c, logs := newCollector(t, srv, func(o *Options) { o.Timeout = 2 * time.Second })
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changes != 9 || sink.writes != 9 || len(sink.Cursors) != 1 || st.Requests != srv.Requests() {
		t.Errorf("stats %+v, writes %d, cursors %v, server %d requests", st, sink.writes, sink.Cursors, srv.Requests())
	}
	if strings.Contains(logs.String(), "retrying") {
		t.Errorf("a slow answer within the timeout was retried:\n%s", logs)
	}
}

// TestSamePullOnTwoPages: a pull request updated while the list is paged
// moves to its front, so the next page starts with the last one of the
// page before. It is read once, stored once; the moved one, updated after
// the collection started, is stored by the next collection.
func TestSamePullOnTwoPages(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	var lists atomic.Int32
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/repos/acme/widgets/pulls") && lists.Add(1) == 2 {
			srv.Update(func(repos []*gt.Repo) []*gt.Repo {
				repos[0].Pulls[0].Updated = now.Add(time.Hour) // #1, the oldest, jumps to the front
				return repos
			})
		}
		return false
	})
	sink := newSink()
	c, _ := newCollector(t, srv, restAPI)
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	gets := 0
	for _, p := range srv.Log() {
		if strings.HasPrefix(p, "/api/v3/repos/acme/widgets/pulls/7?") || p == "/api/v3/repos/acme/widgets/pulls/7" {
			gets++
		}
	}
	if st.Changes != 8 || sink.writes != 8 || gets != 1 {
		t.Errorf("stored %d in %d writes, #7 read %d times; want 8 in 8, #7 once", st.Changes, sink.writes, gets)
	}
	if _, ok := sink.changes["acme/widgets#1"]; ok {
		t.Error("#1 stored though it was updated after the collection started and never listed in the window read")
	}
	st, err = c.Collect(context.Background(), collectors.Window{From: sink.Cursors[0].Add(-10 * time.Minute)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changes != 1 || len(sink.changes) != 9 || sink.writes != 9 {
		t.Errorf("the next collection stored %d (%d in all, %d writes), want #1 only", st.Changes, len(sink.changes), sink.writes)
	}
}

// TestFailurePartWayThenResume: the server fails for good on one pull
// request after others were stored. The collection fails naming it, what
// was stored stays, the cursor stays; the next collection from the same
// cursor stores everything, each pull request as GitHub has it.
func TestFailurePartWayThenResume(t *testing.T) {
	ref := collectFrom(t, scenario(), nil, func(o *Options) { o.Actions = false; o.API = APIREST })
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	var failing atomic.Bool
	failing.Store(true)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if failing.Load() && strings.Contains(r.URL.Path, "/pulls/5") {
			gt.ServerError(w, http.StatusInternalServerError)
			return true
		}
		return false
	})
	sink := newSink()
	c, _ := newCollector(t, srv, func(o *Options) {
		o.API = APIREST
		o.Retries = 1
		o.Now = func() time.Time { return t0.Add(6 * time.Hour) }
	})
	_, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
	if err == nil || !strings.Contains(err.Error(), "pull request #5") || !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "gave up after 2 attempts") {
		t.Fatalf("error %v", err)
	}
	if len(sink.changes) != 3 || len(sink.Cursors) != 0 {
		t.Errorf("stored %d (want the first page, #9 #8 #7), cursors %v", len(sink.changes), sink.Cursors)
	}
	failing.Store(false)
	if _, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sink.changes, ref.changes) || len(sink.Cursors) != 1 {
		t.Errorf("after the rerun: %d changes (equal to a clean collection: %v), cursors %v", len(sink.changes), reflect.DeepEqual(sink.changes, ref.changes), sink.Cursors)
	}
}

// TestCommitDatesOutOfRange: git lets a commit carry any date, and some do
// (1970-01-01T00:00:00 from reproducible builds, a clock in the next
// century). Such a date cannot be stored, but it says nothing about the
// pull request: the pull request is kept, without that date.
func TestCommitDatesOutOfRange(t *testing.T) {
	epoch, far := time.Unix(0, 0).UTC(), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	al := &gt.User{Login: "alice", ID: 7001, Type: "User"}
	repos := []*gt.Repo{{Owner: org, Name: "widgets", ID: 77002, Pulls: []*gt.Pull{
		{Number: 1, ID: 601, Title: "Authored at the epoch", User: al, State: "open", Created: t0, Updated: t0.Add(time.Hour),
			Commits: []gt.Commit{commit("e1", al, epoch, t0), commit("e2", al, t0, t0.Add(time.Minute))}},
		{Number: 2, ID: 602, Title: "No storable date at all", User: al, State: "open", Created: t0, Updated: t0.Add(time.Hour),
			Commits: []gt.Commit{commit("f1", al, epoch, far), commit("f2", al, t0, t0.Add(time.Minute))}},
	}}}
	srv := gt.New(token, repos...)
	defer srv.Close()
	sink := newSink()
	c, logs := newCollector(t, srv, nil)
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	// Skipped counts the one commit left out (f1), not a pull request.
	if st.Changes != 2 || len(sink.changes) != 2 || st.Skipped != 1 {
		t.Fatalf("stats %+v, stored %d: want both pull requests stored, one commit skipped\n%s", st, len(sink.changes), logs)
	}
	one := sink.change(t, 1)
	if !one.AuthorDate.IsZero() || len(one.Revisions) != 2 || !one.Revisions[0].Created.Equal(t0) {
		t.Errorf("#1: author date %v (want unknown), revisions %+v (want both, the first committed at %v)", one.AuthorDate, one.Revisions, t0)
	}
	two := sink.change(t, 2)
	if !two.AuthorDate.IsZero() || len(two.Revisions) != 1 || two.Revisions[0].Commit != "f2" {
		t.Errorf("#2: author date %v (want unknown), revisions %+v (want only f2)", two.AuthorDate, two.Revisions)
	}
	if !strings.Contains(logs.String(), `commit \"f1\" without a date ClickHouse can hold`) {
		t.Errorf("the left-out commit is not logged:\n%s", logs)
	}
}
