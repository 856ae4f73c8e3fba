// Package testserver is what the fake Gerrit, GitHub, Jenkins and GitLab
// servers share: a fault hook that sees every request before the fake
// does (so a test can answer 429, an HTML login page, a truncated body, a
// stall, a hostile redirect...), a request counter and a request log.
//
// A fake embeds Base and starts its ServeHTTP with
//
//	s.Record(r)
//	if s.Fault(w, r) {
//		return
//	}
//
// (a fake that counts only some requests calls Record for those alone).
// The embedded methods SetFault, Requests, Log and ResetCounters are then
// the fake's own.
package testserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
)

// FaultFunc sees every request before the fake does. When it returns true
// it has answered the request itself and the fake does nothing more.
type FaultFunc func(w http.ResponseWriter, r *http.Request) (handled bool)

// Base holds a test server's fault hook, request counter and request log.
// The zero value is ready; all methods are safe for concurrent use.
type Base struct {
	fault atomic.Pointer[FaultFunc]

	mu       sync.Mutex
	requests int
	log      []string
}

// SetFault installs f (nil removes it); it is safe to call while serving.
func (b *Base) SetFault(f FaultFunc) {
	if f == nil {
		b.fault.Store(nil)
		return
	}
	b.fault.Store(&f)
}

// Fault runs the installed FaultFunc, if any, and reports whether it
// answered the request.
func (b *Base) Fault(w http.ResponseWriter, r *http.Request) bool {
	f := b.fault.Load()
	return f != nil && (*f)(w, r)
}

// LogLimit is how many requests the log keeps: the newest ones, so that a
// fake serving for hours (cmd/gerrittest) holds bounded memory.
const LogLimit = 10000

// Record counts r and appends its path and query (as sent, escaped) to
// the log.
func (b *Base) Record(r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.requests++
	if len(b.log) == 2*LogLimit {
		b.log = append(b.log[:0], b.log[LogLimit:]...)
	}
	b.log = append(b.log, r.URL.RequestURI())
}

// Requests returns how many requests were recorded, including those a
// FaultFunc answered.
func (b *Base) Requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.requests
}

// Log returns the path and query of the recorded requests, oldest first:
// all of them, or the newest LogLimit when there were more.
func (b *Base) Log() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.log[max(0, len(b.log)-LogLimit):])
}

// ResetCounters forgets the requests recorded so far.
func (b *Base) ResetCounters() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.requests, b.log = 0, nil
}

// Rewrite returns a FaultFunc that answers the requests match selects with
// next's own answer passed through edit (status and headers kept, except
// ETag, so a client does not cache the altered answer, and Content-Length,
// which edit may change); other requests go on to the fake as usual. next
// is normally the fake itself: the request next renders is marked so that
// this FaultFunc lets it through (it is served, and recorded, as a plain
// one).
func Rewrite(next http.Handler, match func(*http.Request) bool, edit func([]byte) []byte) FaultFunc {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if r.Context().Value(rewriting{}) != nil || !match(r) {
			return false
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), rewriting{}, true)))
		for k, v := range rec.Header() {
			if k != "Etag" && k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(edit(rec.Body.Bytes()))
		return true
	}
}

// rewriting marks the context of a request Rewrite passes to the fake.
type rewriting struct{}
