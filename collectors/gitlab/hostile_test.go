package gitlab

// Tests of issue 18.3 and 18.5 against hostile GitLab servers: paging that
// never ends, and a server that echoes the token back.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
	"github.com/codepace/codepace/internal/testserver"
)

// TestEndlessPaging (issue 18.3): a server that answers the first page of
// merge requests whatever page is asked, and always names a next one,
// gets a few requests, then a clear error. (The server answers past the
// end after 100 requests so that the test ends either way.)
func TestEndlessPaging(t *testing.T) {
	srv := serve(t)
	inner := serve(t)
	var n atomic.Int32
	srv.SetFault(testserver.StuckPages(inner, "/merge_requests", &n, func(w http.ResponseWriter, _ *http.Request, page int) {
		w.Header().Del("Link")
		w.Header().Set("X-Next-Page", strconv.Itoa(page))
	}))
	g, _ := newCollector(t, srv, Options{Group: "wm", PageSize: 2})
	var sink memSink
	_, err := g.Collect(context.Background(), collectors.Window{From: T0.AddDate(-1, 0, 0)}, &sink)
	if !errors.Is(err, httpx.ErrNoProgress) {
		t.Errorf("err = %v, want httpx.ErrNoProgress", err)
	}
	if n.Load() > 5 || !sink.cursor.IsZero() {
		t.Errorf("%d list requests, cursor %v: want at most 5 and none", n.Load(), sink.cursor)
	}
}

// TestEchoedToken (issue 18.5): a server that echoes the token (as sent,
// and URL-encoded) into its error answers gets it into neither the error
// nor the log.
func TestEchoedToken(t *testing.T) {
	secret := "glpat-Ech0ed/t0ken+1"
	srv := serve(t)
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"message":"401 Unauthorized: you sent %s %s %s"}`,
			r.Header.Get("PRIVATE-TOKEN"), r.Header.Get("Authorization"), url.QueryEscape(secret))
		return true
	})
	g, log := newCollector(t, srv, Options{Group: "wm", Token: secret})
	var sink memSink
	_, err := g.Collect(context.Background(), collectors.Window{From: T0}, &sink)
	if err == nil || !strings.Contains(err.Error(), "[REDACTED]") {
		t.Fatalf("err = %v, want the echo redacted", err)
	}
	for _, text := range []string{err.Error(), log.String()} {
		if strings.Contains(text, secret) || strings.Contains(text, url.QueryEscape(secret)) {
			t.Errorf("%q shows the token", text)
		}
	}
}
