package testserver

import (
	"compress/gzip"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Elsewhere is a server on another port of the same host, for redirects
// that must not carry credentials: it records the Authorization header of
// every request and answers status.
type Elsewhere struct {
	*httptest.Server

	mu   sync.Mutex
	auth []string
}

// NewElsewhere starts an Elsewhere; close it when done.
func NewElsewhere(status int) *Elsewhere {
	e := &Elsewhere{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.auth = append(e.auth, r.Header.Get("Authorization"))
		e.mu.Unlock()
		http.Error(w, http.StatusText(status), status)
	}))
	return e
}

// Authorizations returns the Authorization header of each request so far
// ("" when it had none).
func (e *Elsewhere) Authorizations() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.auth...)
}

// CheckNoCredentials returns an error when the server got no request (a
// redirect to it was not followed), or one with an Authorization header.
func (e *Elsewhere) CheckNoCredentials() error {
	got := e.Authorizations()
	if len(got) == 0 {
		return errors.New("the redirect was not followed")
	}
	for _, a := range got {
		if a != "" {
			return fmt.Errorf("the server on another port got Authorization %q", a)
		}
	}
	return nil
}

// RedirectTo is a FaultFunc that redirects every request (302) to the
// same path and query on target.
func RedirectTo(target string) FaultFunc {
	return func(w http.ResponseWriter, r *http.Request) bool {
		http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusFound)
		return true
	}
}

// StuckPages is a FaultFunc for endless paging: the list requests whose
// path ends in suffix get page 1 of inner's answer (its headers too)
// whatever page they ask, and next names the following page on w, so that
// a client trusting it asks for ever. After 100 such requests it asks inner
// for page 1000, past the end, so that a test ends either way. n counts the
// list requests.
func StuckPages(inner http.Handler, suffix string, n *atomic.Int32, next func(w http.ResponseWriter, r *http.Request, page int)) FaultFunc {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, suffix) {
			return false
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		q := r.URL.Query()
		q.Set("page", "1")
		if n.Add(1) > 100 {
			q.Set("page", "1000")
		}
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = q.Encode()
		got := httptest.NewRecorder()
		inner.ServeHTTP(got, r2)
		for k, v := range got.Header() {
			w.Header()[k] = v
		}
		next(w, r, max(page, 1)+1)
		w.Write(got.Body.Bytes())
		return true
	}
}

// GzipBomb is a FaultFunc that answers n zero bytes gzipped, as a bomb
// does: a few MB on the wire for gigabytes once decompressed. It stops
// when the client hangs up.
func GzipBomb(n int64) FaultFunc {
	return func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		zeros := make([]byte, 1<<20)
		for left := n; left > 0; left -= int64(len(zeros)) {
			if _, err := zw.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
				return true
			}
		}
		zw.Close()
		return true
	}
}
