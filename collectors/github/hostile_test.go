package github

// Tests of issue 18 against hostile or broken GitHub servers: a token that
// must not follow a redirect, answers too large, pages with more items
// than per_page, paging that never ends, and a server that echoes the
// token back.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/codepace/codepace/collectors"
	gt "github.com/codepace/codepace/collectors/github/githubtest"
	"github.com/codepace/codepace/collectors/httpx"
	"github.com/codepace/codepace/internal/testserver"
)

// rest reads pull requests through REST, whose paging these tests break.
func rest(o *Options) { o.API = APIREST }

// TestRedirectKeepsToken (issue 18.1): a redirect to another port of the
// same host gets no token.
func TestRedirectKeepsToken(t *testing.T) {
	other := testserver.NewElsewhere(http.StatusUnauthorized)
	defer other.Close()
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	srv.SetFault(testserver.RedirectTo(other.URL))
	c, _ := newCollector(t, srv, rest)
	_, err := c.Collect(context.Background(), collectors.Window{From: t0}, newSink())
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status != http.StatusUnauthorized {
		t.Errorf("error %v, want the other server's 401", err)
	}
	if err := other.CheckNoCredentials(); err != nil {
		t.Error(err)
	}
}

// TestAnswerTooLarge (issue 18.2): an answer larger than max_answer_bytes
// once decompressed ends the collection with a clear error.
func TestAnswerTooLarge(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	srv.SetFault(testserver.GzipBomb(1 << 30))
	sink := newSink()
	c, _ := newCollector(t, srv, func(o *Options) { o.API, o.MaxAnswerBytes = APIREST, 8<<20 })
	_, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
	if !errors.Is(err, httpx.ErrTooLarge) || !strings.Contains(err.Error(), "larger than 8388608 bytes once decompressed (max_answer_bytes)") {
		t.Errorf("error %v", err)
	}
	if len(sink.Cursors) != 0 {
		t.Errorf("cursors %v", sink.Cursors)
	}
}

// rewritePage answers list requests with what the server answers to the
// page and per_page f returns, keeping the Link header of the page asked
// for.
func rewritePage(srv *gt.Server, inner http.Handler, f func(page, perPage int) (int, int)) {
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		q := r.URL.Query()
		if q.Get("per_page") == "" {
			return false
		}
		page, _ := strconv.Atoi(q.Get("page"))
		perPage, _ := strconv.Atoi(q.Get("per_page"))
		asked := httptest.NewRecorder()
		inner.ServeHTTP(asked, r)
		p, pp := f(max(page, 1), perPage)
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(pp))
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = q.Encode()
		got := httptest.NewRecorder()
		inner.ServeHTTP(got, r2)
		for k, v := range got.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Link")
		if l := asked.Header().Get("Link"); l != "" {
			w.Header().Set("Link", l)
		}
		w.WriteHeader(got.Code)
		w.Write(got.Body.Bytes())
		return true
	})
}

// TestMoreItemsThanAsked (issue 18.2): a page with more items than
// per_page fails, naming both numbers.
func TestMoreItemsThanAsked(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	inner := gt.New(token, scenario()...)
	defer inner.Close()
	rewritePage(srv, inner, func(page, perPage int) (int, int) { return page, perPage + 2 })
	c, _ := newCollector(t, srv, rest)
	_, err := c.Collect(context.Background(), collectors.Window{From: t0}, newSink())
	if !errors.Is(err, httpx.ErrTooManyItems) || !strings.Contains(err.Error(), "items where codepace asked for at most 3") {
		t.Errorf("error %v", err)
	}
}

// TestEndlessPaging (issue 18.3): a server whose Link always says there is
// a next page but that answers the first page whatever page is asked gets
// a few requests, then a clear error. (Before the fix the collector asked
// for ever; the server here answers past the end after 100 requests so
// that the test ends either way.)
func TestEndlessPaging(t *testing.T) {
	srv := gt.New(token, scenario()...)
	defer srv.Close()
	inner := gt.New(token, scenario()...)
	defer inner.Close()
	var n atomic.Int32
	srv.SetFault(testserver.StuckPages(inner, "/pulls", &n, func(w http.ResponseWriter, r *http.Request, page int) {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page))
		next := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next.String()))
	}))
	c, _ := newCollector(t, srv, func(o *Options) { o.API, o.CacheBytes = APIREST, -1 })
	sink := newSink()
	_, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(-1, 0, 0)}, sink)
	if !errors.Is(err, httpx.ErrNoProgress) || !strings.Contains(err.Error(), "pull requests of acme/widgets") {
		t.Errorf("error %v, want ErrNoProgress", err)
	}
	if n.Load() > 5 || len(sink.Cursors) != 0 {
		t.Errorf("%d list requests, cursors %v: want at most 5 and none", n.Load(), sink.Cursors)
	}
}

// TestEchoedToken (issue 18.5): a server that echoes the request's
// Authorization header, and the token URL-encoded, into its error answers
// and login pages gets none of them into the error or the logs.
func TestEchoedToken(t *testing.T) {
	echo := func(r *http.Request) string {
		return "you sent " + r.Header.Get("Authorization") + " " + url.QueryEscape(token)
	}
	for name, fault := range map[string]func(w http.ResponseWriter, r *http.Request){
		"401": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"message":%q}`, echo(r))
		},
		"502 page": func(w http.ResponseWriter, r *http.Request) { http.Error(w, echo(r), http.StatusBadGateway) },
		"login page": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "<html><title>%s</title></html>", echo(r))
		},
		"not JSON": func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "[] %s", echo(r)) },
	} {
		t.Run(name, func(t *testing.T) {
			srv := gt.New(token, scenario()...)
			defer srv.Close()
			srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool { fault(w, r); return true })
			c, logs := newCollector(t, srv, rest)
			_, err := c.Collect(context.Background(), collectors.Window{From: t0}, newSink())
			if err == nil {
				t.Fatal("no error")
			}
			if name != "502 page" && !strings.Contains(err.Error()+logs.String(), "[REDACTED]") {
				t.Errorf("the echo is not shown redacted: %v", err)
			}
			for _, text := range []string{err.Error(), logs.String()} {
				if strings.Contains(text, token) || strings.Contains(text, url.QueryEscape(token)) {
					t.Errorf("%q shows the token", text)
				}
			}
		})
	}
}
