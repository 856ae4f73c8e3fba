package jenkins

// Tests of issue 18 against hostile or broken Jenkins servers: credentials
// that must not follow a redirect, answers too large, pages with more
// builds than asked, paging that never ends, and a server that echoes the
// credentials back.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
	jt "github.com/codepace/codepace/collectors/jenkins/jenkinstest"
	"github.com/codepace/codepace/internal/testserver"
)

// TestRedirectKeepsCredentials (issue 18.1): a redirect to another port of
// the same host gets no credentials.
func TestRedirectKeepsCredentials(t *testing.T) {
	other := testserver.NewElsewhere(http.StatusForbidden)
	defer other.Close()
	srv := jt.New(user, token, scenario()...)
	defer srv.Close()
	srv.SetFault(testserver.RedirectTo(other.URL))
	c, _ := newCollector(t, srv, nil)
	_, err := c.Collect(context.Background(), collectors.Window{From: t0}, newSink())
	if httpx.StatusOf(err) != http.StatusForbidden {
		t.Errorf("error %v, want the other server's 403", err)
	}
	if err := other.CheckNoCredentials(); err != nil {
		t.Error(err)
	}
}

// TestAnswerTooLarge (issue 18.2): an answer larger than max_answer_bytes
// once decompressed ends the collection with a clear error.
func TestAnswerTooLarge(t *testing.T) {
	srv := jt.New(user, token, scenario()...)
	defer srv.Close()
	srv.SetFault(testserver.GzipBomb(1 << 30))
	sink := newSink()
	c, _ := newCollector(t, srv, func(o *Options) { o.MaxAnswerBytes = 8 << 20 })
	_, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
	if !errors.Is(err, httpx.ErrTooLarge) || !strings.Contains(err.Error(), "larger than 8388608 bytes once decompressed (max_answer_bytes)") {
		t.Errorf("error %v", err)
	}
	if len(sink.Cursors) != 0 {
		t.Errorf("cursors %v", sink.Cursors)
	}
}

// buildRangeParam finds the build range of a request's tree.
var buildRangeParam = regexp.MustCompile(`\{(\d+),(\d+)\}$`)

// rewriteRange changes the build range a request asks for before the
// server answers it.
func rewriteRange(srv *jt.Server, f func(lo, hi int) (int, int)) {
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		q := r.URL.Query()
		m := buildRangeParam.FindStringSubmatch(q.Get("tree"))
		if m == nil {
			return false
		}
		lo, _ := strconv.Atoi(m[1])
		hi, _ := strconv.Atoi(m[2])
		lo, hi = f(lo, hi)
		q.Set("tree", buildRangeParam.ReplaceAllString(q.Get("tree"), fmt.Sprintf("{%d,%d}", lo, hi)))
		r.URL.RawQuery = q.Encode()
		return false
	})
}

// TestMoreBuildsThanAsked (issue 18.2): a page with more builds than the
// range asked for fails, naming both numbers.
func TestMoreBuildsThanAsked(t *testing.T) {
	srv := jt.New(user, token, &jt.Item{Name: "long", Builds: history(250)})
	defer srv.Close()
	rewriteRange(srv, func(lo, hi int) (int, int) { return lo, hi + 50 })
	c, _ := newCollector(t, srv, nil)
	_, err := c.Collect(context.Background(), collectors.Window{From: t0.Add(-time.Hour)}, newSink())
	if !errors.Is(err, httpx.ErrTooManyItems) || !strings.Contains(err.Error(), "items where codepace asked for at most 25") {
		t.Errorf("error %v", err)
	}
}

// TestEndlessPaging (issue 18.3): a server that answers the first builds
// whatever range is asked gets a few requests, then a clear error. (Before
// the fix the collector asked for ever; the server here answers an empty
// page after 100 requests so that the test ends either way.)
func TestEndlessPaging(t *testing.T) {
	srv := jt.New(user, token, &jt.Item{Name: "long", Builds: history(250)})
	defer srv.Close()
	var n atomic.Int32
	rewriteRange(srv, func(lo, hi int) (int, int) {
		if n.Add(1) > 100 {
			return 1000, 1000 + hi - lo
		}
		return 0, hi - lo
	})
	c, _ := newCollector(t, srv, func(o *Options) { o.Jobs = []string{"long"} })
	sink := newSink()
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.Add(-time.Hour)}, sink)
	if !errors.Is(err, httpx.ErrNoProgress) || !strings.Contains(err.Error(), `builds of job "long"`) {
		t.Errorf("error %v, want ErrNoProgress", err)
	}
	if st.Requests > 6 || len(sink.Cursors) != 0 {
		t.Errorf("%d requests, cursors %v: want at most 6 and none", st.Requests, sink.Cursors)
	}
}

// TestEchoedCredentials (issue 18.5): a server that echoes the request's
// Authorization header, and the token in other encodings, into its error
// answers and login pages gets none of them into the error or the logs.
func TestEchoedCredentials(t *testing.T) {
	secret := "11a2b3/c4 d5+e6&f7" // URL and JSON encodings change it
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))
	forms := []string{secret, basic, strings.TrimRight(basic, "="), url.QueryEscape(secret), url.PathEscape(secret)}
	echo := func(r *http.Request) string {
		return "you sent " + r.Header.Get("Authorization") + " " + strings.Join(forms, " ")
	}
	for name, fault := range map[string]func(w http.ResponseWriter, r *http.Request){
		"401": func(w http.ResponseWriter, r *http.Request) { jt.HTMLError(w, http.StatusUnauthorized, echo(r)) },
		"500": func(w http.ResponseWriter, r *http.Request) { http.Error(w, echo(r), http.StatusInternalServerError) },
		"login page": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "<html><title>%s</title></html>", echo(r))
		},
		"not JSON": func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, `{"_class":"x"} %s`, echo(r)) },
	} {
		t.Run(name, func(t *testing.T) {
			srv := jt.New(user, secret, scenario()...)
			defer srv.Close()
			srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool { fault(w, r); return true })
			c, logs := newCollector(t, srv, func(o *Options) { o.Token = secret })
			_, err := c.Collect(context.Background(), collectors.Window{From: t0}, newSink())
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error()+logs.String(), "[REDACTED]") {
				t.Errorf("the echo is not shown redacted: %v", err)
			}
			for _, text := range []string{err.Error(), logs.String()} {
				for _, f := range forms {
					if strings.Contains(text, f) {
						t.Errorf("%q shows the secret as %q", text, f)
					}
				}
			}
		})
	}
}
