package gitlab

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/codepace/codepace/collectors/httpx"
)

// hints say what to do about an answer, by status; 0 is for a 2xx answer
// that is an HTML page.
var hints = map[int]string{
	0:                          "an HTML page where JSON was expected: a sign-in page or a proxy's? check url",
	http.StatusUnauthorized:    "check the token: it is missing, expired or revoked",
	http.StatusForbidden:       "the token lacks the read_api scope, or access to this",
	http.StatusNotFound:        "no such group or project, or the token cannot see it",
	http.StatusTooManyRequests: "GitLab's rate limit",
}

// api is the HTTP side of a collector: the one HTTP layer (httpx: the
// token sent as a Bearer token to the configured origin only, retries, a
// size cap on answers and a cap on a page's items, redaction), a check
// that every 2xx answer is JSON, and the last rate-limit budget GitLab
// reported. client-go's own retries and rate limiter are off.
type api struct {
	hx *httpx.Client

	mu          sync.Mutex
	limit, left string // the last RateLimit-Limit and -Remaining seen
}

// newClient returns the client-go client for opts over the HTTP layer.
func newClient(opts Options, log *slog.Logger) (*gl.Client, *api, error) {
	a := &api{}
	hx, err := httpx.New(httpx.Config{
		System: "GitLab", BaseURL: opts.URL, Token: opts.Token,
		Timeout: opts.Timeout, Retries: opts.Retries, Backoff: opts.Backoff,
		MaxRetryAfter: opts.MaxWait, MaxAnswerBytes: opts.MaxAnswerBytes,
		Items: perPage, Hints: hints, Classify: classify,
		Limits: httpx.Limits{MaxWait: opts.MaxWait},
		Wrap:   func(next http.RoundTripper) http.RoundTripper { return checked{a, next} },
		Logger: log,
	})
	if err != nil {
		return nil, nil, err
	}
	a.hx = hx
	c, err := gl.NewAuthSourceClient(gl.Unauthenticated{},
		gl.WithBaseURL(opts.URL),
		gl.WithHTTPClient(hx.HTTPClient()),
		gl.WithoutRetries(),
		gl.WithCustomLimiter(noLimit{}),
		gl.WithUserAgent("codepace"),
		gl.WithURLWarningLogger(slog.New(slog.DiscardHandler)),
	)
	return c, a, err
}

// perPage tells httpx how many items a list request asked for: an answer
// with more is refused.
func perPage(req *http.Request) (key string, max int) {
	n, _ := strconv.Atoi(req.URL.Query().Get("per_page"))
	return "", n
}

// classify reads GitLab's rate limit: a 429 that says how long to wait
// (Retry-After) is throttled that long; one with RateLimit-Remaining 0 waits
// for RateLimit-Reset (Unix seconds); any other is retried with backoff.
func classify(resp *http.Response) httpx.Verdict {
	if resp.StatusCode != http.StatusTooManyRequests {
		return httpx.Verdict{}
	}
	h := resp.Header
	if d := httpx.RetryAfter(h.Get("Retry-After")); d > 0 {
		return httpx.Verdict{Kind: httpx.Throttled, Wait: d, Message: "Retry later"}
	}
	if reset, err := strconv.ParseInt(h.Get("RateLimit-Reset"), 10, 64); err == nil && h.Get("RateLimit-Remaining") == "0" {
		return httpx.Verdict{Kind: httpx.Reset, Wait: time.Until(time.Unix(reset, 0)), Message: "rate limit used up"}
	}
	return httpx.Verdict{Kind: httpx.Transient} // a proxy's 429: retried with backoff
}

// checked is the layer under the retry loop that notes the rate-limit
// budget, turns a final 4xx answer into an *httpx.Error, and refuses a 2xx answer that is not JSON (an HTML sign-in page,
// an empty body, null) with an *httpx.Error wrapping httpx.ErrNotJSON, so
// that it is never taken for an empty list.
type checked struct {
	a    *api
	next http.RoundTripper
}

func (c checked) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if l := resp.Header.Get("RateLimit-Limit"); l != "" {
		c.a.mu.Lock()
		c.a.limit, c.a.left = l, resp.Header.Get("RateLimit-Remaining")
		c.a.mu.Unlock()
	}
	ct, body := resp.Header.Get("Content-Type"), httpx.RawBody(resp.Body)
	if resp.StatusCode >= 400 && !httpx.Retryable(resp.StatusCode) {
		// Final: client-go would turn a 404 into an error without the
		// request.
		return nil, c.a.hx.Answered(resp, message(c.a.hx.Redactor(), ct, body), nil)
	}
	if resp.StatusCode/100 != 2 {
		return resp, nil
	}
	problem := c.a.hx.Redactor().JSONProblem(ct, body)
	if problem == "" {
		return resp, nil
	}
	e := &httpx.Error{System: "GitLab", Method: req.Method, URL: httpx.Safe(req.URL), Status: resp.StatusCode,
		Detail: fmt.Sprintf("the answer (HTTP %d) %s", resp.StatusCode, problem), Err: httpx.ErrNotJSON}
	if httpx.IsHTML(ct, body) {
		e.Err, e.Hint = httpx.ErrHTML, hints[0]
	}
	return nil, e
}

// budget returns the last rate-limit budget GitLab reported.
func (a *api) budget() (limit, left string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limit, a.left
}

// noLimit is the rate limiter given to client-go: GitLab's own answers
// are honoured instead of client-go's guess from RateLimit-Limit.
type noLimit struct{}

func (noLimit) Wait(context.Context) error { return nil }

// message returns what GitLab said in an error answer: its "message" or
// "error", else the start of the answer.
func message(red httpx.Redactor, contentType string, body []byte) string {
	var e struct {
		Message any    `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil {
		if m := cmp.Or(e.Error, fmt.Sprint(cmp.Or(e.Message, any("")))); m != "" {
			return red.String(m)
		}
	}
	return red.Summary(contentType, body)
}

// explain returns the *httpx.Error in err (client-go wraps what the HTTP
// layer returns), or err.
func explain(err error) error {
	var he *httpx.Error
	if errors.As(err, &he) {
		return he
	}
	return err
}
