package gitlab

// How a collection fails: a project that is gone, a bad token, an HTML
// page for JSON, throttling, a server that refuses keyset pagination.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/codepace/codepace/collectors"
	glt "github.com/codepace/codepace/collectors/gitlab/gitlabtest"
	"github.com/codepace/codepace/collectors/httpx"
)

func TestProjectsKeepGoingPastAMissingOne(t *testing.T) {
	srv := serve(t)
	g, log := newCollector(t, srv, Options{Projects: []string{"wm/gone/away", "wm/tools/lint"}, CI: true})
	var sink memSink
	_, err := g.Collect(context.Background(), collectors.Window{From: T0.Add(-day)}, &sink)
	if err == nil || !strings.Contains(err.Error(), "wm/gone/away") || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v, want the missing project's 404", err)
	}
	if len(sink.changes) != 2 || !sink.cursor.IsZero() {
		t.Errorf("stored %d changes, cursor %v: want lint's 2 and no cursor", len(sink.changes), sink.cursor)
	}
	if !strings.Contains(log.String(), "project not collected") {
		t.Errorf("the skipped project is not logged:\n%s", log)
	}
}

func TestBadTokenSaysSo(t *testing.T) {
	srv := serve(t)
	g, _ := newCollector(t, srv, Options{Group: "wm", Token: "glpat-wrong"})
	var sink memSink
	_, err := g.Collect(context.Background(), collectors.Window{From: T0}, &sink)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "check the token") || strings.Contains(err.Error(), "glpat-wrong") {
		t.Fatalf("err = %v, want a 401 that names the token as the problem without showing it", err)
	}
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status != http.StatusUnauthorized || !strings.Contains(he.URL, "/api/v4/groups/wm") {
		t.Errorf("err = %#v, want an *httpx.Error of the 401 naming the request", err)
	}
	if srv.Requests() != 1 {
		t.Errorf("a 401 was retried: %d requests", srv.Requests())
	}
}

func TestHTMLAnswerIsNotAnEmptyList(t *testing.T) {
	srv := serve(t)
	faultOn(srv, "/discussions", "text/html; charset=utf-8", "<!DOCTYPE html><html><body>Sign in</body></html>")
	g, _ := newCollector(t, srv, Options{Group: "wm"})
	var sink memSink
	_, err := g.Collect(context.Background(), collectors.Window{From: T0}, &sink)
	if !errors.Is(err, httpx.ErrHTML) || !strings.Contains(err.Error(), "sign-in page") {
		t.Fatalf("err = %v, want ErrNotJSON saying HTML", err)
	}
	if len(sink.changes) != 0 || !sink.cursor.IsZero() {
		t.Errorf("stored %d changes, cursor %v after a broken answer", len(sink.changes), sink.cursor)
	}
}

func TestThrottledRequestsAreRetried(t *testing.T) {
	srv := serve(t)
	var n atomic.Int32
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if n.Add(1)%3 != 1 { // every third request is throttled, once
			return false
		}
		w.Header().Set("Retry-After", "0")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, "Retry later\n")
		return true
	})
	g, log := newCollector(t, srv, Options{Group: "wm", CI: true})
	var sink memSink
	if _, err := g.Collect(context.Background(), collectors.Window{From: T0.Add(-day)}, &sink); err != nil {
		t.Fatal(err)
	}
	if len(sink.changes) != 4 || len(sink.builds) != 5 || !strings.Contains(log.String(), "retrying") {
		t.Errorf("stored %d changes and %d builds through 429s; want 4 and 5, and the retries logged", len(sink.changes), len(sink.builds))
	}
}

func TestKeysetRefusedFallsBackToOffset(t *testing.T) {
	srv := serve(t)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Query().Get("pagination") != "keyset" {
			return false
		}
		return answer(w, http.StatusMethodNotAllowed, `{"error":"Keyset pagination is not yet available for this type of request"}`)
	})
	g, log := newCollector(t, srv, Options{Group: "wm", CI: true, PageSize: 1})
	var sink memSink
	if _, err := g.Collect(context.Background(), collectors.Window{From: T0.Add(-day)}, &sink); err != nil {
		t.Fatal(err)
	}
	if len(sink.builds) != 5 || !strings.Contains(log.String(), "offset pagination") {
		t.Errorf("stored %d builds after keyset was refused, want 5 through offset pagination", len(sink.builds))
	}
}

func TestRedirectElsewhereLosesTheToken(t *testing.T) {
	var leaked atomic.Value
	leaked.Store("")
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("PRIVATE-TOKEN") + r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "[]")
	}))
	defer elsewhere.Close()
	srv := serve(t)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.Contains(r.URL.Path, "/merge_requests") {
			return false
		}
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusFound)
		return true
	})
	g, _ := newCollector(t, srv, Options{Group: "wm"})
	var sink memSink
	if _, err := g.Collect(context.Background(), collectors.Window{From: T0}, &sink); err != nil {
		t.Fatal(err)
	}
	if got := leaked.Load().(string); got != "" {
		t.Errorf("the other server got the credentials %q", got)
	}
}

func TestMergeRequestGoneSinceListedIsSkipped(t *testing.T) {
	srv := serve(t)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/merge_requests/2/commits") {
			return false
		}
		return answer(w, http.StatusNotFound, `{"message":"404 Not found"}`)
	})
	g, log := newCollector(t, srv, Options{Group: "wm"})
	var sink memSink
	st, err := g.Collect(context.Background(), collectors.Window{From: T0.Add(-day)}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	// widgets!2 and lint!2 share iid 2: both are gone.
	if len(sink.changes) != 2 || st.Skipped != 2 || !sink.cursor.Equal(runAt) || !strings.Contains(log.String(), "gone since it was listed") {
		t.Errorf("stored %d, skipped %d, cursor %v; want the 2 others stored, 2 skipped and logged, the cursor moved",
			len(sink.changes), st.Skipped, sink.cursor)
	}
}

func TestMoreItemsThanAskedFails(t *testing.T) {
	srv := serve(t)
	faultOn(srv, "/commits", "application/json", `[{"id":"a"},{"id":"b"}]`)
	g, _ := newCollector(t, srv, Options{Group: "wm", PageSize: 1})
	var sink memSink
	_, err := g.Collect(context.Background(), collectors.Window{From: T0}, &sink)
	if !errors.Is(err, httpx.ErrTooManyItems) || !sink.cursor.IsZero() {
		t.Fatalf("err = %v, cursor %v; want ErrTooManyItems and no cursor", err, sink.cursor)
	}
}

// answer writes a JSON answer with status from a fault, which handled the
// request.
func answer(w http.ResponseWriter, status int, body string) bool {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
	return true
}

// faultOn makes srv answer 200 with body to every request whose path ends
// in suffix.
func faultOn(srv *glt.Server, suffix, contentType, body string) {
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, suffix) {
			return false
		}
		w.Header().Set("Content-Type", contentType)
		fmt.Fprint(w, body)
		return true
	})
}
