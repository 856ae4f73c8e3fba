package github

import (
	"bytes"
	"cmp"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/codepace/codepace/collectors/httpx"
)

// The HTTP stack under go-github, top to bottom:
//
//	httpx retry   waits out rate limits (classify), retries 5xx and network errors
//	              (also under githubv4: see graphql_client.go)
//	conditional   makes GETs conditional on the ETag of an earlier answer
//	httpx attempt credentials to the configured host only, timeout, size and item caps
//
// Rate limits are handled below go-github on purpose: go-github takes a
// secondary limit's x-ratelimit-reset (up to an hour away) for its
// Retry-After and then refuses every request until then, and it knows
// nothing of 429. go-github still refuses, without a request, to send
// anything before the reset of a budget the last answer said was used up;
// fetch waits for that reset.

// hints say what to do about a GitHub answer, by HTTP status (0: an HTML
// page instead of JSON).
var hints = map[int]string{
	0:                       "a proxy's or a single sign-on login page? Check base_url and the token",
	http.StatusUnauthorized: "GitHub refused the token: check the source's token_env / token_file and that the token has not expired",
	http.StatusForbidden:    "the token may lack read access to this repository, or need SSO authorization for the organisation",
	http.StatusNotFound:     "no such owner or repository, or the token cannot see it: check owner and repos",
}

// pageItems tells httpx how many items a list request asked for
// (per_page) and where they are, so that a page with more fails.
func pageItems(req *http.Request) (string, int) {
	n, _ := strconv.Atoi(req.URL.Query().Get("per_page"))
	switch p := req.URL.Path; {
	case strings.HasSuffix(p, "/actions/runs"):
		return "workflow_runs", n
	case strings.HasSuffix(p, "/jobs"):
		return "jobs", n
	}
	return "", n
}

// classify tells httpx which answers are GitHub's rate limits, as GitHub
// documents them: a primary limit (403 or 429 with x-ratelimit-remaining
// 0) lasts until x-ratelimit-reset; a secondary limit (403 or 429 with
// Retry-After, or GitHub's secondary-limit message) asks to wait
// Retry-After, else a minute, longer each time it comes again.
func classify(resp *http.Response) httpx.Verdict {
	status, h := resp.StatusCode, resp.Header
	if status != http.StatusForbidden && status != http.StatusTooManyRequests {
		return httpx.Verdict{}
	}
	var e struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	_ = json.Unmarshal(httpx.RawBody(resp.Body), &e)
	if h.Get("X-Ratelimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			return httpx.Verdict{Kind: httpx.Reset, Wait: time.Until(time.Unix(reset, 0)), Message: e.Message}
		}
	}
	if d := httpx.RetryAfter(h.Get("Retry-After")); d > 0 {
		return httpx.Verdict{Kind: httpx.Throttled, Wait: d, Message: e.Message}
	}
	msg := strings.ToLower(e.Message)
	if status == http.StatusTooManyRequests || h.Get("X-Ratelimit-Remaining") == "0" ||
		strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse") ||
		strings.HasSuffix(e.DocumentationURL, "secondary-rate-limits") || strings.HasSuffix(e.DocumentationURL, "abuse-rate-limits") {
		return httpx.Verdict{Kind: httpx.Throttled, Message: e.Message}
	}
	return httpx.Verdict{}
}

// conditional makes every GET conditional on the ETag of the last 200 answer
// to the same URL: GitHub answers 304 Not Modified when nothing changed,
// which does not count against the primary rate limit, and conditional
// hands go-github the remembered answer.
type conditional struct {
	base  http.RoundTripper
	cache *etagCache

	mu          sync.Mutex
	notModified int // 304 answers served from the cache
}

func (t *conditional) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		return t.base.RoundTrip(req)
	}
	key := req.Header.Get("Accept") + " " + req.URL.String()
	hit := t.cache.get(key)
	if hit != nil {
		req = req.Clone(req.Context())
		req.Header.Set("If-None-Match", hit.etag)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && hit != nil:
		resp.Body.Close()
		t.mu.Lock()
		t.notModified++
		t.mu.Unlock()
		h := hit.header.Clone()
		for k, v := range resp.Header {
			// The budget left is the 304's; the rest is the cached answer's.
			if strings.HasPrefix(k, "X-Ratelimit-") || k == "Date" {
				h[k] = v
			}
		}
		// go-github does not take the rate limit state from such answers.
		h.Set("X-From-Cache", "1")
		return &http.Response{
			Status: "200 OK", StatusCode: http.StatusOK,
			Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
			Header: h, Body: httpx.NewBody(hit.body),
			ContentLength: int64(len(hit.body)), Request: resp.Request,
		}, nil
	case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
		body := httpx.RawBody(resp.Body) // read whole by httpx
		t.cache.put(&cached{key: key, etag: resp.Header.Get("ETag"), header: resp.Header.Clone(), body: body})
	}
	return resp, nil
}

func (t *conditional) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.notModified
}

// cached is one remembered answer.
type cached struct {
	key    string
	etag   string
	header http.Header
	body   []byte
}

// etagCache keeps the most recently used answers up to a total body size.
type etagCache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // of *cached, most recently used first
	byKey map[string]*list.Element
}

func newETagCache(max int64) *etagCache {
	return &etagCache{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *etagCache) get(key string) *cached {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached)
}

func (c *etagCache) put(v *cached) {
	n := int64(len(v.body))
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[v.key]; ok {
		c.size -= int64(len(e.Value.(*cached).body))
		c.order.Remove(e)
		delete(c.byKey, v.key)
	}
	if n > c.max {
		return
	}
	c.byKey[v.key] = c.order.PushFront(v)
	c.size += n
	for c.size > c.max {
		last := c.order.Back()
		old := last.Value.(*cached)
		c.order.Remove(last)
		delete(c.byKey, old.key)
		c.size -= int64(len(old.body))
	}
}

// client holds a collector's HTTP stack and what it observed.
type client struct {
	hx    *httpx.Client
	cache *conditional // nil when conditional requests are off
	// backoff is the margin added to a reset; maxWait the longest wait
	// for a reset (Options.Backoff, MaxWait).
	backoff, maxWait time.Duration

	mu   sync.Mutex
	rate gh.Rate // the last rate limit state GitHub reported
	gql  budget  // the last GraphQL budget GitHub reported
}

// counts returns the requests sent and the 304 answers so far.
func (c *client) counts() (requests, notModified int) {
	if c.cache != nil {
		notModified = c.cache.count()
	}
	return c.hx.Requests(), notModified
}

// maxLimitWaits bounds how many times fetch waits for a reset.
const maxLimitWaits = 5

// fetch calls f, which sends one request through go-github (and so through
// httpx). When go-github refuses to send it because the last answer said
// the budget was used up, fetch waits for the reset (at most MaxWait) and
// calls f again. Errors are *httpx.Error values that name the request and
// say what to do.
//
// want is what the answer must be: an answer that is not that JSON (an HTML
// page, JSON cut short or malformed, a value go-github cannot decode, an
// empty body, null, an empty object) fails with an error wrapping
// httpx.ErrNotJSON, where go-github would return a bare decoding error or,
// for an empty body or null, nothing at all.
func fetch[T any](ctx context.Context, c *client, want shape, f func() (T, *gh.Response, error)) (T, *gh.Response, error) {
	var zero T
	for limits := 0; ; limits++ {
		v, resp, err := f()
		if resp != nil && resp.Response != nil && resp.Rate.Limit > 0 {
			c.mu.Lock()
			c.rate = resp.Rate
			c.mu.Unlock()
		}
		if bad := checkAnswer(c, resp, err, want); bad != nil {
			return zero, resp, bad
		}
		if err == nil {
			return v, resp, nil
		}
		if ctx.Err() != nil {
			return zero, resp, ctx.Err()
		}
		var (
			rle  *gh.RateLimitError
			are  *gh.AbuseRateLimitError
			wait time.Duration
		)
		switch {
		case errors.As(err, &rle):
			wait = time.Until(rle.Rate.Reset.Time) + c.backoff
		case errors.As(err, &are) && are.RetryAfter != nil:
			wait = *are.RetryAfter + c.backoff
		default:
			return zero, resp, describe(c, err)
		}
		if wait > c.maxWait || limits >= maxLimitWaits {
			e := describe(c, err)
			if he, ok := e.(*httpx.Error); ok {
				he.Err = httpx.ErrRateLimited
				he.Hint = fmt.Sprintf("GitHub rate limit used up for another %s; codepace waits at most %s: run again after the reset, or use a token with a larger budget",
					wait.Round(time.Second), c.maxWait)
				return zero, resp, he
			}
			return zero, resp, fmt.Errorf("%w: %w", httpx.ErrRateLimited, e)
		}
		if err := c.hx.Sleep(ctx, max(wait, 0), "github rate limit used up, waiting for the reset"); err != nil {
			return zero, resp, err
		}
	}
}

// listAll fetches every page of a list; want is the shape of one page
// (aList, or an object holding the list). A page GitHub sends again
// (the same answer, or a Link back) fails with httpx.ErrNoProgress.
func listAll[T any](ctx context.Context, c *client, perPage int, want shape, f func(gh.ListOptions) ([]T, *gh.Response, error)) ([]T, error) {
	var all []T
	opt := gh.ListOptions{PerPage: perPage}
	var pager httpx.Pager
	for {
		items, resp, err := fetch(ctx, c, want, func() ([]T, *gh.Response, error) { return f(opt) })
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if resp.NextPage <= opt.Page { // the last page (or a Link going nowhere new)
			return all, nil
		}
		pager.What = httpx.Safe(resp.Request.URL)
		if err := pager.Page([]string{pageKey(resp)}, strconv.Itoa(resp.NextPage)); err != nil {
			return nil, err
		}
		opt.Page = resp.NextPage
	}
}

// pageKey stands for the items of a page whose items have no key the
// caller knows: the answer itself.
func pageKey(resp *gh.Response) string {
	sum := sha256.Sum256(httpx.RawBody(resp.Body))
	return string(sum[:])
}

// shape is what an answer must be.
type shape struct {
	what string // for messages: "a list", "a pull request", ...
	list bool   // a JSON array; else a non-empty JSON object
	// lists are the keys of the object that must hold arrays.
	lists []string
}

// The shapes of the answers the collector reads.
var (
	aList        = shape{what: "a list", list: true}
	aPullRequest = shape{what: "a pull request"}
	workflowRuns = shape{what: "workflow runs (an object with workflow_runs)", lists: []string{"workflow_runs"}}
	workflowJobs = shape{what: "workflow jobs (an object with jobs)", lists: []string{"jobs"}}
)

// checkAnswer returns an *httpx.Error wrapping httpx.ErrNotJSON when a 2xx
// answer go-github decoded (err nil) or failed to decode is not the JSON
// want describes; nil for other answers and failures, which fetch
// handles.
func checkAnswer(c *client, resp *gh.Response, err error, want shape) error {
	if resp == nil || resp.Response == nil || resp.StatusCode/100 != 2 {
		return nil
	}
	var (
		rle *gh.RateLimitError
		are *gh.AbuseRateLimitError
		ace *gh.AcceptedError
	)
	if err != nil && (errors.As(err, &rle) || errors.As(err, &are) || errors.As(err, &ace) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// Not about this answer's body (go-github refused to send the
		// request, or GitHub is still computing the answer).
		return nil
	}
	return checkBody(c, resp.Request, resp.Response, httpx.RawBody(resp.Body), want, err)
}

// checkBody returns an *httpx.Error wrapping httpx.ErrNotJSON when body,
// a 2xx answer to req, is not the JSON want describes, or did not decode
// (decodeErr); else nil.
func checkBody(c *client, req *http.Request, resp *http.Response, body []byte, want shape, decodeErr error) error {
	red := c.hx.Redactor()
	ct := resp.Header.Get("Content-Type")
	problem := red.JSONProblem(ct, body)
	if problem == "" {
		problem = shapeProblem(red, body, want)
	}
	if problem == "" && decodeErr != nil {
		problem = "does not decode as " + want.what + ": " + red.String(decodeErr.Error())
	}
	if problem == "" {
		return nil
	}
	e := &httpx.Error{System: "GitHub", Method: http.MethodGet, Status: resp.StatusCode, Err: httpx.ErrNotJSON,
		Detail: fmt.Sprintf("the answer (HTTP %d) %s, where GitHub sends %s", resp.StatusCode, problem, want.what),
		Hint:   "run again, and if it persists look at what the URL answers"}
	if httpx.IsHTML(ct, body) {
		e.Err, e.Hint = httpx.ErrHTML, hints[0]
	}
	if req != nil {
		e.Method, e.URL = req.Method, httpx.Safe(req.URL)
	}
	return e
}

// shapeProblem says what is wrong with a JSON answer as one of shape
// want, or "" when nothing is.
func shapeProblem(r httpx.Redactor, body []byte, want shape) string {
	b := bytes.TrimSpace(body)
	switch {
	case want.list && b[0] != '[':
		return "is not " + want.what + ": it starts with " + r.Head(b)
	case want.list:
		return ""
	case b[0] != '{':
		return "is not " + want.what + ": it starts with " + r.Head(b)
	case len(bytes.TrimSpace(b[1:len(b)-1])) == 0:
		return "is an empty object"
	case len(want.lists) == 0:
		return ""
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return "is not GitHub JSON: " + r.String(err.Error())
	}
	for _, k := range want.lists {
		if f := bytes.TrimSpace(fields[k]); len(f) == 0 || f[0] != '[' {
			return fmt.Sprintf("is not %s: %q is %s", want.what, k, cmp.Or(r.Head(f), "missing"))
		}
	}
	return ""
}

// describe turns go-github's error into an *httpx.Error that names the
// request (without credentials) and says what to do.
func describe(c *client, err error) error {
	var he *httpx.Error
	if errors.As(err, &he) { // made by httpx
		return he
	}
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return c.hx.Answered(er.Response, er.Message, err)
	}
	return err
}
