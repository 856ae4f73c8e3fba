package gerrit

// Tests of issue 18 against hostile or broken Gerrit servers: credentials
// that must not follow a redirect, answers too large, pages with more
// changes than asked, paging that never ends, two changes sharing a
// number, and a server that echoes the credentials back.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	gt "github.com/codepace/codepace/collectors/gerrit/gerrittest"
	"github.com/codepace/codepace/collectors/httpx"
	"github.com/codepace/codepace/internal/testlog"
	"github.com/codepace/codepace/internal/testserver"
)

// The credentials of the hostile tests: characters that URL and JSON
// encodings change.
const (
	hostileUser     = "bob"
	hostilePassword = "pa/ss w+rd&1"
)

// authed returns a collector of srv that logs in as hostileUser.
func authed(t *testing.T, srv *gt.Server, log *testlog.Buffer) *Collector {
	return newCollector(t, srv, func(o *Options) {
		o.Username, o.Password = hostileUser, hostilePassword
		if log != nil {
			o.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	})
}

// TestRedirectKeepsCredentials (issue 18.1): a redirect to another port of
// the same host gets no credentials.
func TestRedirectKeepsCredentials(t *testing.T) {
	other := testserver.NewElsewhere(http.StatusUnauthorized)
	defer other.Close()
	srv := gt.New(simple(5), gt.WithAuth(map[string]string{hostileUser: hostilePassword}))
	defer srv.Close()
	srv.SetFault(testserver.RedirectTo(other.URL))
	_, err := authed(t, srv, nil).Collect(context.Background(), collectors.Window{From: base}, newSink())
	if httpx.StatusOf(err) != http.StatusUnauthorized {
		t.Errorf("error %v, want the other server's 401", err)
	}
	if err := other.CheckNoCredentials(); err != nil {
		t.Error(err)
	}
}

// TestAnswerTooLarge (issue 18.2): an answer larger than max_answer_bytes
// once decompressed ends the collection with a clear error, without a
// retry, and moves no cursor.
func TestAnswerTooLarge(t *testing.T) {
	srv := gt.New(simple(5))
	defer srv.Close()
	srv.SetFault(testserver.GzipBomb(1 << 30))
	sink := newSink()
	st, err := newCollector(t, srv, func(o *Options) { o.MaxAnswerBytes = 8 << 20 }).
		Collect(context.Background(), collectors.Window{From: base}, sink)
	if !errors.Is(err, httpx.ErrTooLarge) || !strings.Contains(err.Error(), "larger than 8388608 bytes once decompressed (max_answer_bytes)") ||
		!strings.Contains(err.Error(), srv.URL()+"/changes/?") {
		t.Errorf("error %v", err)
	}
	if st.Requests != 1 || len(sink.Cursors) != 0 {
		t.Errorf("%d requests, cursors %v: want 1 request and no cursor", st.Requests, sink.Cursors)
	}
}

// TestMoreChangesThanAsked (issue 18.2): a page with more changes than n
// fails, naming both numbers.
func TestMoreChangesThanAsked(t *testing.T) {
	cs := simple(300)
	inner := gt.NewHandler(cs)
	srv := gt.New(cs)
	defer srv.Close()
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		q := r.URL.Query()
		q.Set("n", "1000") // the server ignores the n asked for
		r.URL.RawQuery = q.Encode()
		inner.ServeHTTP(w, r)
		return true
	})
	sink := newSink()
	_, err := newCollector(t, srv, func(o *Options) { o.PageSize = 50; o.Window = 1000 * 24 * time.Hour }).
		Collect(context.Background(), collectors.Window{From: base}, sink)
	if !errors.Is(err, httpx.ErrTooManyItems) || !strings.Contains(err.Error(), "items where codepace asked for at most 50") {
		t.Errorf("error %v", err)
	}
	if sink.writes != 0 || len(sink.Cursors) != 0 {
		t.Errorf("%d changes written, cursors %v", sink.writes, sink.Cursors)
	}
}

// TestEndlessPaging (issue 18.3): a server that answers the same page with
// _more_changes whatever S asks gets a few requests, then a clear error.
// (Before the fix the collector asked for ever; the server here gives up
// after 100 requests so that the test ends either way.)
func TestEndlessPaging(t *testing.T) {
	cs := simple(30)
	inner := gt.NewHandler(cs)
	srv := gt.New(cs)
	defer srv.Close()
	var n atomic.Int32
	srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if n.Add(1) > 100 {
			fmt.Fprint(w, ")]}'\n[]")
			return true
		}
		q := r.URL.Query()
		q.Del("S")
		r.URL.RawQuery = q.Encode()
		inner.ServeHTTP(w, r)
		return true
	})
	sink := newSink()
	st, err := newCollector(t, srv, func(o *Options) { o.PageSize = 10; o.Window = 1000 * 24 * time.Hour }).
		Collect(context.Background(), collectors.Window{From: base}, sink)
	if !errors.Is(err, httpx.ErrNoProgress) || !strings.Contains(err.Error(), "pages in a row brought nothing new") {
		t.Errorf("error %v, want ErrNoProgress", err)
	}
	if st.Requests > 5 || len(sink.Cursors) != 0 {
		t.Errorf("%d requests, cursors %v: want at most 5 and none", st.Requests, sink.Cursors)
	}
}

// TestSameNumberInTwoProjects (issue 18.4): changes imported from another
// server share numbers across projects; two with the same number and the
// same update time are both stored.
func TestSameNumberInTwoProjects(t *testing.T) {
	cs := simple(2)
	cs[1].Number, cs[1].Updated, cs[1].Project = cs[0].Number, cs[0].Updated, "imported"
	srv := gt.New(cs)
	defer srv.Close()
	var stored []string
	sink := &funcSink{write: func(b collectors.Batch) {
		for _, c := range b.Changes {
			stored = append(stored, fmt.Sprintf("%s#%d", c.Project, c.Number))
		}
	}}
	st, err := newCollector(t, srv, nil).Collect(context.Background(), collectors.Window{From: base}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changes != 2 || len(stored) != 2 || stored[0] == stored[1] {
		t.Errorf("stored %v (stats %+v): want p0#1 and imported#1", stored, st)
	}
}

// funcSink hands every batch to write.
type funcSink struct{ write func(collectors.Batch) }

func (s *funcSink) Write(_ context.Context, b collectors.Batch) error { s.write(b); return nil }
func (s *funcSink) SaveCursor(context.Context, string, time.Time) error {
	return nil
}

// secretForms are the forms of the hostile credentials a server could
// echo back.
func secretForms() []string {
	basic := base64.StdEncoding.EncodeToString([]byte(hostileUser + ":" + hostilePassword))
	return []string{hostilePassword, basic, strings.TrimRight(basic, "="), url.QueryEscape(hostilePassword), url.PathEscape(hostilePassword)}
}

// TestEchoedCredentials (issue 18.5): a server that echoes the request's
// Authorization header, and the password in other encodings, into its
// error answers and login pages gets none of them into the error or the
// logs.
func TestEchoedCredentials(t *testing.T) {
	echo := func(r *http.Request) string {
		return "you sent " + r.Header.Get("Authorization") + " " + strings.Join(secretForms(), " ")
	}
	for name, fault := range map[string]func(w http.ResponseWriter, r *http.Request){
		"401": func(w http.ResponseWriter, r *http.Request) { http.Error(w, echo(r), http.StatusUnauthorized) },
		"503": func(w http.ResponseWriter, r *http.Request) { http.Error(w, echo(r), http.StatusServiceUnavailable) },
		"login page": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "<html><title>%s</title></html>", echo(r))
		},
		"not JSON": func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, ")]}'\n%s", echo(r)) },
		"in a change": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, ")]}'\n[{\"project\":\"p\",\"_number\":1,\"status\":\"NEW\",\"created\":%q,\"updated\":%q}]", echo(r), echo(r))
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := gt.New(simple(5), gt.WithAuth(map[string]string{hostileUser: hostilePassword}))
			defer srv.Close()
			srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool { fault(w, r); return true })
			var log testlog.Buffer
			_, err := authed(t, srv, &log).Collect(context.Background(), collectors.Window{From: base}, newSink())
			if (err == nil) != (name == "in a change") {
				t.Fatalf("error %v", err)
			}
			if !strings.Contains(log.String()+fmt.Sprint(err), "[REDACTED]") {
				t.Errorf("the echo is not shown redacted: %v\n%s", err, log.String())
			}
			for _, text := range []string{fmt.Sprint(err), log.String()} {
				for _, f := range secretForms() {
					if strings.Contains(text, f) {
						t.Errorf("%q shows the secret as %q", text, f)
					}
				}
			}
		})
	}
}
