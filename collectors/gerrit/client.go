package gerrit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	gerrit "github.com/andygrunwald/go-gerrit"

	"github.com/codepace/codepace/collectors"
)

// maxRetryAfter caps the wait a Retry-After header asks for, so that a
// broken header cannot stall a run for good.
const maxRetryAfter = 10 * time.Minute

// client sends change queries through go-gerrit and retries what is worth
// retrying.
type client struct {
	gc      *gerrit.Client
	base    string // server URL without credentials, for messages
	prefix  string // "a/" when authenticated
	retries int
	backoff time.Duration // first wait between attempts
	// requests counts HTTP requests sent, retries included.
	requests atomic.Int64
	log      func(msg string, args ...any)
}

// HTTPError is a Gerrit answer with an unexpected HTTP status.
type HTTPError struct {
	URL    string
	Status int
	Body   string
}

func (e *HTTPError) Error() string {
	hint := ""
	switch e.Status {
	case http.StatusUnauthorized:
		hint = " (check the source's username and its HTTP password in password_env / password_file)"
	case http.StatusForbidden:
		hint = " (the account may not see these changes)"
	case http.StatusNotFound:
		hint = " (is the source url the Gerrit root?)"
	case http.StatusTooManyRequests:
		hint = " (Gerrit's quota throttled codepace; retries were exhausted)"
	}
	return fmt.Sprintf("GET %s: HTTP %d%s: %s", e.URL, e.Status, hint, e.Body)
}

// query fetches one page of GET /changes/ and returns the raw body and
// the URL it came from (without credentials), for messages.
func (c *client) query(ctx context.Context, q string, n, skip int, options []string) (body []byte, shown string, err error) {
	v := url.Values{}
	v.Set("q", q)
	v.Set("n", strconv.Itoa(n))
	if skip > 0 {
		v.Set("S", strconv.Itoa(skip))
	}
	for _, o := range options {
		v.Add("o", o)
	}
	path := c.prefix + "changes/?" + v.Encode()
	shown = c.base + path
	var lastErr error
	for attempt := 0; ; attempt++ {
		body, retryAfter, err := c.get(ctx, path, shown)
		if err == nil {
			return body, shown, nil
		}
		lastErr = err
		var he *HTTPError
		if errors.As(err, &he) && !collectors.Retryable(he.Status) {
			return nil, shown, err
		}
		if ctx.Err() != nil {
			return nil, shown, ctx.Err()
		}
		if attempt >= c.retries {
			return nil, shown, fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempt+1)
		}
		wait := collectors.Backoff(c.backoff, attempt+1)
		if retryAfter > wait {
			wait = retryAfter
		}
		c.log("gerrit request failed, retrying", "url", shown, "error", err, "attempt", attempt+1, "wait", wait.String())
		select {
		case <-ctx.Done():
			return nil, shown, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// get sends one request. It returns the body of a 200 answer, or an error
// and how long the server asked to wait (Retry-After) before trying again.
func (c *client) get(ctx context.Context, path, shown string) ([]byte, time.Duration, error) {
	req, err := c.gc.NewRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("build request %s: %w", shown, err)
	}
	req.Header.Set("Accept", "application/json")
	c.requests.Add(1)
	var buf bytes.Buffer
	resp, err := c.gc.Do(req, &buf)
	if resp == nil {
		return nil, 0, fmt.Errorf("GET %s: %w", shown, err)
	}
	if resp.StatusCode != http.StatusOK {
		// go-gerrit leaves the body of an error answer unread and open.
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		resp.Body.Close()
		body := string(bytes.TrimSpace(snippet))
		return nil, min(collectors.RetryAfter(resp.Header.Get("Retry-After")), maxRetryAfter), &HTTPError{URL: shown, Status: resp.StatusCode, Body: body}
	}
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: reading the answer: %w", shown, err)
	}
	return buf.Bytes(), 0, nil
}
