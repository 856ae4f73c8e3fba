package gitlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/codepace/codepace/collectors/httpx"
)

// ErrNotJSON is wrapped by the error of a 2xx answer that is not the JSON
// asked for: an HTML page (a proxy's or a single sign-on page), an empty
// body, null, or anything else that does not start a JSON array or object.
// Such an answer is never taken for an empty list.
var ErrNotJSON = errors.New("GitLab answered something that is not JSON")

// transport is the RoundTripper under client-go (whose own retries and
// rate limiter are off): it times each attempt out, retries 429, 408, 5xx
// and network errors with httpx.Backoff or the wait the answer asks
// for (Retry-After, else RateLimit-Reset), refuses an answer that is not
// JSON, and counts requests.
type transport struct {
	timeout time.Duration
	retries int
	backoff time.Duration
	maxWait time.Duration
	maxBody int64 // bytes one answer may hold
	log     *slog.Logger

	mu       sync.Mutex
	requests int
	waited   time.Duration
	limit    string // the last RateLimit-Limit and -Remaining seen
	left     string
}

// RoundTrip sends req, retrying as described on transport.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	for failures := 0; ; failures++ {
		resp, err := t.attempt(req)
		retry := err != nil && req.Context().Err() == nil
		if err == nil {
			retry = httpx.Retryable(resp.StatusCode)
		}
		if !retry || failures >= t.retries {
			return resp, err
		}
		wait := httpx.Backoff(t.backoff, failures+1)
		if resp != nil {
			wait = max(wait, serverWait(resp.Header))
			resp.Body.Close()
		}
		if wait > t.maxWait {
			return nil, fmt.Errorf("GET %s: GitLab asks to wait %s, more than the %s allowed", req.URL.Path, wait.Round(time.Second), t.maxWait)
		}
		t.log.Warn("gitlab request failed; retrying", "path", req.URL.Path, "status", status(resp), "error", err,
			"wait", wait.Round(time.Millisecond).String())
		t.mu.Lock()
		t.waited += wait
		t.mu.Unlock()
		select {
		case <-req.Context().Done():
			return nil, req.Context().Err()
		case <-time.After(wait):
		}
	}
}

// attempt sends req once. A 2xx body is read whole (at most maxBody) so
// that an attempt's timeout covers it and its shape can be checked.
func (t *transport) attempt(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	defer cancel()
	t.mu.Lock()
	t.requests++
	t.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(req.Clone(ctx))
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	if l := resp.Header.Get("RateLimit-Limit"); l != "" {
		t.limit, t.left = l, resp.Header.Get("RateLimit-Remaining")
	}
	t.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(resp.Body, t.maxBody+1))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the answer to GET %s: %w", req.URL.Path, err)
	}
	if int64(len(body)) > t.maxBody {
		return nil, fmt.Errorf("GET %s: the answer is larger than %d bytes (max_answer_bytes)", req.URL.Path, t.maxBody)
	}
	if resp.StatusCode/100 == 2 {
		if what := notJSON(resp.Header.Get("Content-Type"), body); what != "" {
			return nil, fmt.Errorf("GET %s: %w: %s", req.URL.Path, ErrNotJSON, what)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// notJSON says what body is when it is not a JSON array or object, else "".
func notJSON(contentType string, body []byte) string {
	b := bytes.TrimSpace(body)
	switch {
	case len(b) == 0:
		return "an empty body"
	case b[0] == '<':
		return fmt.Sprintf("an HTML page (%s; a sign-in page or a proxy's?)", contentType)
	case b[0] != '[' && b[0] != '{':
		return fmt.Sprintf("%q", b[:min(len(b), 40)])
	}
	return ""
}

// serverWait is the wait a 429 or 5xx answer asks for: Retry-After, else
// until RateLimit-Reset (Unix seconds) when RateLimit-Remaining is 0.
func serverWait(h http.Header) time.Duration {
	if d := httpx.RetryAfter(h.Get("Retry-After")); d > 0 {
		return d
	}
	if h.Get("RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(h.Get("RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Until(time.Unix(reset, 0)), 0)
		}
	}
	return 0
}

func status(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// counts returns the requests sent and the time spent waiting to retry.
func (t *transport) counts() (int, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.requests, t.waited
}

// noLimit is the rate limiter given to client-go: the transport honours
// GitLab's own answers instead of client-go's guess from RateLimit-Limit.
type noLimit struct{}

func (noLimit) Wait(context.Context) error { return nil }

// explain adds to err what a user can do about it: a 401 means the token is
// missing, expired or revoked, a 403 that it lacks the read_api scope or
// access, a 404 that the group or project does not exist or is not visible
// to it.
func explain(err error) error {
	var er *gl.ErrorResponse
	if !errors.As(err, &er) {
		return err
	}
	switch er.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w (check the token: it is missing, expired or revoked)", err)
	case http.StatusForbidden:
		return fmt.Errorf("%w (the token lacks the read_api scope, or access to this)", err)
	case http.StatusNotFound:
		return fmt.Errorf("%w (no such group or project, or the token cannot see it)", err)
	}
	return err
}

// sameOrigin keeps the token on the configured instance: a redirect to
// another scheme, host or port is followed without the token
// (PRIVATE-TOKEN, which Go's client would forward, and Authorization), and
// one from https to http is refused.
func sameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("GET %s: stopped after 10 redirects", via[0].URL.Path)
	}
	first := via[0].URL
	if first.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("GET %s: refused a redirect from https to http", first.Path)
	}
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		req.Header.Del("PRIVATE-TOKEN")
		req.Header.Del("Authorization")
	}
	return nil
}

// newClient returns the client-go client for opts, over t.
func newClient(opts Options, t *transport) (*gl.Client, error) {
	return gl.NewClient(opts.Token,
		gl.WithBaseURL(opts.URL),
		gl.WithHTTPClient(&http.Client{Transport: t, CheckRedirect: sameOrigin}),
		gl.WithoutRetries(),
		gl.WithCustomLimiter(noLimit{}),
		gl.WithUserAgent("codepace"),
		gl.WithURLWarningLogger(slog.New(slog.DiscardHandler)),
	)
}
