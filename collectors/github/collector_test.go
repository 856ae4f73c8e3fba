package github

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	gt "github.com/codepace/codepace/collectors/github/githubtest"
	"github.com/codepace/codepace/collectors/httpx"
)

func TestCollectScenario(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	sink := newSink()
	c, _ := newCollector(t, srv, nil)
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.changes) != 9 || st.Changes != 9 || sink.writes != 9 {
		t.Errorf("stored %d changes in %d writes, stats %+v; want 9", len(sink.changes), sink.writes, st)
	}
	if st.Requests != srv.Requests() {
		t.Errorf("stats say %d requests, the server saw %d", st.Requests, srv.Requests())
	}
	if !slices.Equal(sink.Cursors, []time.Time{now}) {
		t.Errorf("cursors %v, want [%v]", sink.Cursors, now)
	}
	for _, p := range srv.Log() {
		if !strings.HasPrefix(p, "/api/v3/") && p != "/api/graphql" {
			t.Errorf("request %s is not under the Enterprise API path", p)
		}
	}

	tests := []struct {
		n      int64
		status string
		wip    bool
		owner  string // owner's ID
		tags   []string
	}{
		{1, collectors.StatusMerged, false, "1001",
			[]string{"opened_draft", "ready_for_review", "review_requested", "review_comment", "review", "comment", "merged"}},
		{2, collectors.StatusOpen, false, "1001", []string{"review", "comment", "comment"}},
		{3, collectors.StatusOpen, false, "1001", []string{"comment"}},
		{4, collectors.StatusMerged, false, "1001", []string{"merged"}},
		{5, collectors.StatusAbandoned, false, "1003", []string{"comment", "comment", "comment", "comment", "comment", "closed"}},
		{6, collectors.StatusOpen, false, "", []string{"comment", "review", "review"}},
		{7, collectors.StatusOpen, true, "1002", []string{"opened_draft", "review"}},
		{8, collectors.StatusOpen, false, "1003",
			[]string{"review_requested", "convert_to_draft", "review", "ready_for_review", "review"}},
		{9, collectors.StatusOpen, false, "1002", []string{"closed", "reopened"}},
	}
	for _, tt := range tests {
		ch := sink.change(t, tt.n)
		if ch.Status != tt.status || ch.WIP != tt.wip || ch.Owner.ID != tt.owner {
			t.Errorf("#%d: status %s wip %v owner %q; want %s %v %q", tt.n, ch.Status, ch.WIP, ch.Owner.ID, tt.status, tt.wip, tt.owner)
		}
		if got := tags(ch); !slices.Equal(got, tt.tags) {
			t.Errorf("#%d: messages %v, want %v", tt.n, got, tt.tags)
		}
		if ch.Source != "gh" || ch.Project != "acme/widgets" || ch.Branch != "main" || ch.ChangeID == "" ||
			ch.URL != "https://github.com/acme/widgets/pull/"+strconv.FormatInt(tt.n, 10) {
			t.Errorf("#%d: identity %q %q %q %q %q", tt.n, ch.Source, ch.Project, ch.Branch, ch.ChangeID, ch.URL)
		}
	}

	one := sink.change(t, 1)
	if one.Insertions != 120 || one.Deletions != 30 || !one.AuthorDate.Equal(t0.Add(-2*time.Hour)) ||
		!one.Merged.Equal(t0.Add(8*time.Hour)) || !one.Created.Equal(t0) {
		t.Errorf("#1: +%d -%d author date %v merged %v created %v", one.Insertions, one.Deletions, one.AuthorDate, one.Merged, one.Created)
	}
	if len(one.Revisions) != 2 || one.Revisions[1].Number != 2 || !one.Revisions[1].Created.Equal(t0.Add(6*time.Hour)) ||
		one.Revisions[0].Commit != "c1a0000000000000000000000000000000000001" || one.Revisions[0].Uploader.Username != "alice" {
		t.Errorf("#1 revisions: %+v", one.Revisions)
	}
	for _, m := range one.Messages {
		switch m.ID {
		case "review_comment/121":
			// Drafted at 4h48, published with its review at 5h.
			if !m.Date.Equal(t0.Add(5*time.Hour)) || m.Revision != 1 || m.Author.Username != "bob" {
				t.Errorf("#1 review comment: %+v", m)
			}
		case "review/112":
			if m.Text != "Review APPROVED: Looks good" || m.Revision != 2 || m.Tag != "" {
				t.Errorf("#1 approval: %+v", m)
			}
		case "event/102":
			if m.Text != "Review requested from bob" {
				t.Errorf("#1 review request: %+v", m)
			}
		}
	}
	for _, m := range sink.change(t, 8).Messages {
		if m.ID == "event/801" && m.Text != "Review requested from team core" {
			t.Errorf("#8 team review request: %+v", m)
		}
	}
	six := sink.change(t, 6)
	if six.Owner.Present() || six.Owner.Username != "ghost" {
		t.Errorf("#6 ghost owner: %+v", six.Owner)
	}
	for _, m := range six.Messages {
		if m.ID != "review/612" && m.Author.Present() {
			t.Errorf("#6: %s by %+v should have no present author", m.ID, m.Author)
		}
	}
	for _, m := range sink.change(t, 2).Messages {
		if m.Author.Username == "lint-bot[bot]" && !m.Author.Service {
			t.Errorf("#2: bot account not flagged: %+v", m.Author)
		}
	}
}

func TestPagingAcrossPages(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	c, _ := newCollector(t, srv, restAPI) // PageSize 3: 9 PRs are 3 pages
	if _, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, newSink()); err != nil {
		t.Fatal(err)
	}
	var listPages, commentPages []string
	for _, p := range srv.Log() {
		switch {
		case strings.HasPrefix(p, "/api/v3/repos/acme/widgets/pulls?"):
			listPages = append(listPages, p)
			for _, want := range []string{"state=all", "sort=updated", "direction=desc", "per_page=3"} {
				if !strings.Contains(p, want) {
					t.Errorf("%s lacks %s", p, want)
				}
			}
		case strings.HasPrefix(p, "/api/v3/repos/acme/widgets/issues/5/comments"):
			commentPages = append(commentPages, p)
		case strings.HasPrefix(p, "/api/v3/repos/acme/widgets/issues/4/comments"),
			strings.HasPrefix(p, "/api/v3/repos/acme/widgets/pulls/5/comments"):
			t.Errorf("%s: the pull request has no such comments, the request is wasted", p)
		}
	}
	if len(listPages) != 3 || !strings.Contains(listPages[2], "page=3") {
		t.Errorf("list pages %v, want 3", listPages)
	}
	if len(commentPages) != 2 || !strings.Contains(commentPages[1], "page=2") {
		t.Errorf("#5 comment pages %v, want 2 (5 comments, 3 a page)", commentPages)
	}
}

func TestStopAtCursor(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	c, _ := newCollector(t, srv, restAPI)
	sink := newSink()
	// #9 (updated day 9 +2h) and #8 (day 8 +4h) are in the window; #7
	// (day 7 +1h), third on the first page, is not: paging stops there.
	from := t0.AddDate(0, 0, 8).Add(3 * time.Hour)
	st, err := c.Collect(context.Background(), collectors.Window{From: from}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changes != 2 || len(sink.changes) != 2 {
		t.Fatalf("stored %d, want #8 and #9", st.Changes)
	}
	sink.change(t, 8)
	sink.change(t, 9)
	lists := 0
	for _, p := range srv.Log() {
		if strings.HasPrefix(p, "/api/v3/repos/acme/widgets/pulls?") {
			lists++
		}
		for _, n := range []string{"/1", "/2", "/3", "/4", "/5", "/6", "/7"} {
			if strings.Contains(p, "/pulls"+n) || strings.Contains(p, "/issues"+n) {
				t.Errorf("%s: read a pull request older than the cursor", p)
			}
		}
	}
	if lists != 1 {
		t.Errorf("%d list requests, want 1", lists)
	}
	if !slices.Equal(sink.Cursors, []time.Time{now}) {
		t.Errorf("cursors %v", sink.Cursors)
	}
}

func TestAllReposOfOwner(t *testing.T) {
	for _, tt := range []struct {
		name      string
		ownerType string
		want      []string // list requests, in order
	}{
		{"organisation", "Organization", []string{"/api/v3/orgs/acme/repos"}},
		{"user", "User", []string{"/api/v3/orgs/acme/repos", "/api/v3/users/acme/repos"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			repos := scenario()
			owner := *org
			owner.Type = tt.ownerType
			repos[0].Owner = &owner
			repos = append(repos, &gt.Repo{Owner: &owner, Name: "empty", ID: 77002})
			srv := gt.New(token, repos...)
			defer srv.Close()
			c, _ := newCollector(t, srv, func(o *Options) { o.Repos = nil; o.API = APIREST })
			sink := newSink()
			if _, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink); err != nil {
				t.Fatal(err)
			}
			if len(sink.changes) != 9 {
				t.Errorf("stored %d changes, want 9", len(sink.changes))
			}
			var got []string
			for _, p := range srv.Log() {
				if path, _, _ := strings.Cut(p, "?"); strings.HasSuffix(path, "/repos") {
					got = append(got, path)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("repository listing %v, want %v", got, tt.want)
			}
			emptyLists := 0
			for _, p := range srv.Log() {
				if strings.HasPrefix(p, "/api/v3/repos/acme/empty/pulls?") {
					emptyLists++
				}
			}
			if emptyLists != 1 {
				t.Errorf("%d list requests for the empty repository, want 1", emptyLists)
			}
		})
	}
}

func TestMissingRepoLeavesCursor(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	c, _ := newCollector(t, srv, func(o *Options) { o.Repos = []string{"acme/gone", "widgets"} })
	sink := newSink()
	_, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status != http.StatusNotFound || !strings.Contains(err.Error(), "acme/gone") {
		t.Fatalf("error %v, want a 404 naming acme/gone", err)
	}
	if len(sink.changes) != 9 {
		t.Errorf("the other repository was not collected: %d changes", len(sink.changes))
	}
	if len(sink.Cursors) != 0 {
		t.Errorf("cursor saved after a failure: %v", sink.Cursors)
	}
}

func TestSinkFailure(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	c, _ := newCollector(t, srv, func(o *Options) { o.Repos = []string{"widgets", "widgets"}; o.API = APIREST })
	sink := newSink()
	sink.Fail = true
	if _, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink); err == nil ||
		!strings.Contains(err.Error(), "clickhouse is down") {
		t.Fatalf("error %v, want the sink's", err)
	}
	if len(sink.Cursors) != 0 {
		t.Errorf("cursor saved after a failed write: %v", sink.Cursors)
	}
	// The first failed write stops the run: one page of the list, no more.
	lists := 0
	for _, p := range srv.Log() {
		if strings.Contains(p, "/pulls?") {
			lists++
		}
	}
	if lists != 1 {
		t.Errorf("%d list requests after a failed write, want 1", lists)
	}
}

func TestUnauthorized(t *testing.T) {
	srv := gt.New("another-token", scenario()...)
	defer srv.Close()
	c, logs := newCollector(t, srv, restAPI)
	sink := newSink()
	_, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status != http.StatusUnauthorized {
		t.Fatalf("error %v, want a 401", err)
	}
	msg := err.Error()
	for _, want := range []string{srv.URL() + "/api/v3/repos/acme/widgets/pulls?", "401", "Bad credentials", "token_env"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, token) || strings.Contains(logs.String(), token) {
		t.Errorf("the token leaks: %q", msg)
	}
	if srv.Requests() != 1 {
		t.Errorf("%d requests; a 401 is not worth retrying", srv.Requests())
	}
	if len(sink.Cursors) != 0 {
		t.Errorf("cursor saved: %v", sink.Cursors)
	}
}

func TestNewValidates(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    Options
		want string
	}{
		{"no name", Options{Owner: "acme"}, "no name"},
		{"no owner", Options{Name: "g"}, "no owner"},
		{"bare repo without owner", Options{Name: "g", Repos: []string{"widgets"}}, `"widgets"`},
		{"bad repo", Options{Name: "g", Owner: "acme", Repos: []string{"a/b/c"}}, `"a/b/c"`},
		{"bad base url", Options{Name: "g", Owner: "acme", BaseURL: "https://user:hunter2@/x"}, "base_url"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one mentioning %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows a password: %v", err)
			}
		})
	}
	if _, err := New(Options{Name: "g", Repos: []string{"acme/widgets"}}); err != nil {
		t.Errorf("owner/name without owner: %v", err)
	}
}

// TestRetries5xx: a 5xx is retried, each attempt counted; when it does not
// stop the error names the request and the attempts.
func TestRetries5xx(t *testing.T) {
	t.Run("recovers", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		var failures atomic.Int32
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/pulls/4/reviews") && failures.Add(1) <= 2 {
				gt.ServerError(w, http.StatusBadGateway)
				return true
			}
			return false
		})
		c, logs := newCollector(t, srv, restAPI)
		st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, newSink())
		if err != nil {
			t.Fatal(err)
		}
		if st.Requests != srv.Requests() || failures.Load() != 3 {
			t.Errorf("requests %d (server %d), failures seen %d", st.Requests, srv.Requests(), failures.Load())
		}
		if !strings.Contains(logs.String(), "retrying") {
			t.Errorf("retries not logged:\n%s", logs)
		}
	})
	t.Run("gives up", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			gt.ServerError(w, http.StatusServiceUnavailable)
			return true
		})
		c, _ := newCollector(t, srv, func(o *Options) { o.API = APIREST; o.Retries = 2 })
		sink := newSink()
		_, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
		if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") ||
			!strings.Contains(err.Error(), "/repos/acme/widgets/pulls?") || !strings.Contains(err.Error(), "503") {
			t.Fatalf("error %v", err)
		}
		if srv.Requests() != 3 || len(sink.Cursors) != 0 {
			t.Errorf("%d requests, cursors %v", srv.Requests(), sink.Cursors)
		}
	})
}

// TestRateLimits: primary and secondary limits, as 403 and as 429, are
// waited out as GitHub documents and the collection then completes.
func TestRateLimits(t *testing.T) {
	forBothAPIs(t, func(t *testing.T, api func(*Options)) {
		for _, tt := range []struct {
			name    string
			fault   func(w http.ResponseWriter)
			minWait time.Duration
			log     string
		}{
			{"primary 403", func(w http.ResponseWriter) {
				gt.PrimaryLimit(w, http.StatusForbidden, time.Now().Add(1500*time.Millisecond))
			}, 400 * time.Millisecond, "primary rate limit"},
			{"primary 429", func(w http.ResponseWriter) {
				gt.PrimaryLimit(w, http.StatusTooManyRequests, time.Now().Add(1500*time.Millisecond))
			}, 400 * time.Millisecond, "primary rate limit"},
			{"secondary 403 without Retry-After", func(w http.ResponseWriter) {
				gt.SecondaryLimit(w, http.StatusForbidden, "")
			}, 5 * time.Millisecond, "secondary rate limit"},
			{"secondary 429 without Retry-After", func(w http.ResponseWriter) {
				gt.SecondaryLimit(w, http.StatusTooManyRequests, "")
			}, 5 * time.Millisecond, "secondary rate limit"},
			{"secondary 403 with Retry-After", func(w http.ResponseWriter) {
				gt.SecondaryLimit(w, http.StatusForbidden, "1")
			}, time.Second, "secondary rate limit"},
			{"secondary 429 with Retry-After", func(w http.ResponseWriter) {
				gt.SecondaryLimit(w, http.StatusTooManyRequests, "1")
			}, time.Second, "secondary rate limit"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				srv := gt.New(token, scenario()...)
				defer srv.Close()
				var n atomic.Int32
				srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
					if n.Add(1) == 3 {
						tt.fault(w)
						return true
					}
					return false
				})
				c, logs := newCollector(t, srv, api)
				sink := newSink()
				start := time.Now()
				st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
				if err != nil {
					t.Fatal(err)
				}
				if took := time.Since(start); took < tt.minWait {
					t.Errorf("took %v, want a wait of at least %v", took, tt.minWait)
				}
				if st.Changes != 9 || len(sink.Cursors) != 1 {
					t.Errorf("changes %d, cursors %v", st.Changes, sink.Cursors)
				}
				if !strings.Contains(logs.String(), tt.log) {
					t.Errorf("log lacks %q:\n%s", tt.log, logs)
				}
			})
		}
	})
}

func TestPrimaryLimitTooFarAway(t *testing.T) {
	forBothAPIs(t, func(t *testing.T, api func(*Options)) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			gt.PrimaryLimit(w, http.StatusForbidden, time.Now().Add(2*time.Hour))
			return true
		})
		c, _ := newCollector(t, srv, api)
		sink := newSink()
		start := time.Now()
		_, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
		if !errors.Is(err, httpx.ErrRateLimited) || !strings.Contains(err.Error(), "run again after the reset") {
			t.Fatalf("error %v, want httpx.ErrRateLimited", err)
		}
		if time.Since(start) > 5*time.Second || len(sink.Cursors) != 0 {
			t.Errorf("took %v, cursors %v", time.Since(start), sink.Cursors)
		}
	})
}

func TestSecondaryLimitBacksOff(t *testing.T) {
	forBothAPIs(t, func(t *testing.T, api func(*Options)) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		var n atomic.Int32
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			if k := n.Add(1); k >= 2 && k <= 4 {
				gt.SecondaryLimit(w, http.StatusForbidden, "")
				return true
			}
			return false
		})
		c, logs := newCollector(t, srv, func(o *Options) { api(o); o.SecondaryWait = 20 * time.Millisecond })
		start := time.Now()
		if _, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, newSink()); err != nil {
			t.Fatal(err)
		}
		// 20ms, 40ms, 80ms.
		if took := time.Since(start); took < 140*time.Millisecond {
			t.Errorf("took %v, want the waits to double", took)
		}
		for _, want := range []string{"wait=20ms", "wait=40ms", "wait=80ms"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %s:\n%s", want, logs)
			}
		}
	})
}

func TestCancelDuringWait(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		gt.SecondaryLimit(w, http.StatusForbidden, "60")
		return true
	})
	c, _ := newCollector(t, srv, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Collect(ctx, collectors.Window{From: t0}, newSink())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the context's", err)
	}
}

// TestBudgetUsedUp: the answer that uses up the budget says so
// (x-ratelimit-remaining 0); go-github then refuses to send anything before
// the reset, and the collector waits for it.
func TestBudgetUsedUp(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	srv.SetBudget(3, time.Now().Add(1500*time.Millisecond))
	c, logs := newCollector(t, srv, restAPI)
	sink := newSink()
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changes != 9 || len(sink.Cursors) != 1 {
		t.Errorf("changes %d, cursors %v", st.Changes, sink.Cursors)
	}
	if st.Requests != srv.Requests() {
		t.Errorf("stats say %d requests, the server saw %d", st.Requests, srv.Requests())
	}
	if !strings.Contains(logs.String(), `msg="github rate limit used up, waiting for the reset"`) {
		t.Errorf("the wait is not logged:\n%s", logs)
	}
	// go-github refused to send the request: the server never answered 403.
	if strings.Contains(logs.String(), "primary rate limit") {
		t.Errorf("a request was sent with the budget used up:\n%s", logs)
	}
}

// TestSlowAnswerRetried: Timeout bounds each attempt, body included, and a
// timed-out attempt is retried.
func TestSlowAnswerRetried(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	var n atomic.Int32
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if n.Add(1) == 2 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte("["))
			w.(http.Flusher).Flush()
			time.Sleep(300 * time.Millisecond) // the body stalls
			return true
		}
		return false
	})
	c, logs := newCollector(t, srv, func(o *Options) { o.Timeout = 100 * time.Millisecond })
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, newSink())
	if err != nil {
		t.Fatal(err)
	}
	if st.Changes != 9 || !strings.Contains(logs.String(), "retrying") {
		t.Errorf("changes %d; log:\n%s", st.Changes, logs)
	}
}
