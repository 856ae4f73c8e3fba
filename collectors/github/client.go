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
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/codepace/codepace/collectors/httpx"
)

// The HTTP stack under go-github, top to bottom:
//
//	limiter      waits out rate limits, retries 5xx and network errors
//	conditional  makes GETs conditional on the ETag of an earlier answer
//	attempt      counts requests, bounds each one by Timeout, reads the body
//
// Rate limits are handled below go-github on purpose: go-github takes a
// secondary limit's x-ratelimit-reset (up to an hour away) for its
// Retry-After and then refuses every request until then, and it knows
// nothing of 429. go-github still refuses, without a request, to send
// anything before the reset of a budget the last answer said was used up;
// fetch waits for that reset.

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

// attempt sends one HTTP request, bounded by a timeout that covers reading
// the body, and counts it.
type attempt struct {
	base    http.RoundTripper
	timeout time.Duration

	mu       sync.Mutex
	requests int // HTTP requests sent, 304s and failures included
}

func (a *attempt) RoundTrip(req *http.Request) (*http.Response, error) {
	a.mu.Lock()
	a.requests++
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(req.Context(), a.timeout)
	defer cancel()
	resp, err := a.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	resp.Body = newRawBody(body)
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// rawBody is an answer's body read whole: go-github decodes it, and fetch
// can still see what came when it did not decode, or decoded to nothing.
type rawBody struct {
	*bytes.Reader
	raw []byte
}

func newRawBody(b []byte) *rawBody { return &rawBody{Reader: bytes.NewReader(b), raw: b} }

func (*rawBody) Close() error { return nil }

func (a *attempt) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests
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
			Header: h, Body: newRawBody(hit.body),
			ContentLength: int64(len(hit.body)), Request: resp.Request,
		}, nil
	case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
		body, err := io.ReadAll(resp.Body) // already in memory (attempt)
		if err != nil {
			return nil, err
		}
		t.cache.put(&cached{key: key, etag: resp.Header.Get("ETag"), header: resp.Header.Clone(), body: body})
		resp.Body = newRawBody(body)
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

// HTTPError is a GitHub answer codepace cannot use, with what to do about
// it.
type HTTPError struct {
	Method string
	URL    string // without credentials
	Status int
	// Message is GitHub's message ("Bad credentials").
	Message string
	// Attempts is how many times the request was sent, when it was retried.
	Attempts int
	// Err is go-github's error, or ErrRateLimited.
	Err error
}

func (e *HTTPError) Error() string {
	hint := ""
	switch {
	case errors.Is(e.Err, ErrRateLimited):
	case e.Status == http.StatusUnauthorized:
		hint = " (GitHub refused the token: check the source's token_env / token_file and that the token has not expired)"
	case e.Status == http.StatusForbidden:
		hint = " (the token may lack read access to this repository, or need SSO authorization for the organisation)"
	case e.Status == http.StatusNotFound:
		hint = " (no such owner or repository, or the token cannot see it: check owner and repos)"
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("%s %s: HTTP %d %s%s", e.Method, e.URL, e.Status, msg, hint)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	if errors.Is(e.Err, ErrRateLimited) {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *HTTPError) Unwrap() error { return e.Err }

// ErrRateLimited is wrapped by the error of a request given up because a
// GitHub rate limit would outlast Options.MaxWait, or kept coming back.
var ErrRateLimited = errors.New("GitHub rate limit")

// rateLimited is an ErrRateLimited with the detail.
type rateLimited struct{ detail string }

func (r *rateLimited) Error() string        { return "GitHub rate limit " + r.detail }
func (r *rateLimited) Is(target error) bool { return target == ErrRateLimited }

// maxLimitWaits bounds how many times one request waits for a rate limit.
const maxLimitWaits = 5

// policy is how a collector waits and retries.
type policy struct {
	retries       int
	backoff       time.Duration
	secondaryWait time.Duration
	maxWait       time.Duration
	log           *slog.Logger

	mu     sync.Mutex
	waited time.Duration // time spent waiting before retries
}

// sleep waits d unless ctx ends first.
func (p *policy) sleep(ctx context.Context, d time.Duration) error {
	p.mu.Lock()
	p.waited += d
	p.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// limiter sends a request until GitHub answers something final, as GitHub
// documents: a primary limit (403 or 429 with x-ratelimit-remaining 0)
// waits for x-ratelimit-reset plus Backoff, at most MaxWait; a secondary
// limit (403 or 429 with Retry-After, or GitHub's secondary-limit message)
// waits Retry-After, else SecondaryWait, doubled each time it comes again;
// a 5xx answer or network error is retried Retries times with exponential
// backoff, or after the 5xx answer's Retry-After when that is longer (at
// most MaxWait). A request given up fails with an *HTTPError.
type limiter struct {
	next http.RoundTripper
	p    *policy
	// anyMethod retries every method, not only GET and HEAD: GraphQL
	// queries are POSTs that change nothing.
	anyMethod bool
}

func (l *limiter) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	retryable := req.Method == http.MethodGet || req.Method == http.MethodHead || l.anyMethod
	attempts, failures, limits := 0, 0, 0
	for {
		attempts++
		if attempts > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
		resp, err := l.next.RoundTrip(req)
		if ctx.Err() != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, ctx.Err()
		}
		var capped *httpx.Error
		if errors.As(err, &capped) {
			return nil, err // too large, too many items: the same next time
		}
		kind, wait, msg := classify(resp, err)
		if !retryable {
			return resp, err
		}
		var pause time.Duration
		switch kind {
		case final:
			return resp, nil
		case transient:
			failures++
			if failures > l.p.retries {
				if err != nil {
					return nil, fmt.Errorf("%w (gave up after %d attempts)", err, attempts)
				}
				return nil, answerError(req, resp, msg, attempts, nil)
			}
			pause = httpx.Backoff(l.p.backoff, failures)
			if wait > pause {
				// Retry-After on a 5xx answer, honoured up to MaxWait.
				pause = min(wait, l.p.maxWait)
			}
			shown := "HTTP " + strconv.Itoa(statusOf(resp))
			if err != nil {
				shown = err.Error()
			}
			args := []any{"url", redact(req.URL), "error", shown, "attempt", attempts, "wait", pause.String()}
			if wait > 0 {
				args = append(args, "retry_after", wait.Round(time.Millisecond).String())
			}
			l.p.log.Warn("github request failed, retrying", args...)
		case primary:
			limits++
			pause = max(wait, 0) + l.p.backoff
			if pause > l.p.maxWait || limits > maxLimitWaits {
				return nil, answerError(req, resp, msg, attempts, &rateLimited{fmt.Sprintf(
					"used up until %s; codepace waits at most %s: run again after the reset, or use a token with a larger budget",
					time.Now().Add(pause).UTC().Format(time.RFC3339), l.p.maxWait)})
			}
			l.p.log.Warn("github primary rate limit used up, waiting for the reset", "url", redact(req.URL),
				"wait", pause.Round(time.Millisecond).String())
		case secondary:
			limits++
			if wait <= 0 {
				wait = l.p.secondaryWait
			}
			pause = doubled(wait, limits-1, 2*l.p.maxWait)
			if pause > l.p.maxWait || limits > maxLimitWaits {
				return nil, answerError(req, resp, msg, attempts, &rateLimited{fmt.Sprintf(
					"(secondary) still hit after %d waits: run again later, with fewer sources at once", limits-1)})
			}
			l.p.log.Warn("github secondary rate limit, backing off", "url", redact(req.URL),
				"wait", pause.String(), "times", limits)
		}
		if resp != nil {
			resp.Body.Close()
		}
		if err := l.p.sleep(ctx, pause); err != nil {
			return nil, err
		}
	}
}

// doubled returns d doubled n times, at most limit.
func doubled(d time.Duration, n int, limit time.Duration) time.Duration {
	for ; n > 0 && d < limit; n-- {
		d *= 2
	}
	return min(d, limit)
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// answerError describes an answer given up on.
func answerError(req *http.Request, resp *http.Response, msg string, attempts int, err error) *HTTPError {
	resp.Body.Close()
	return &HTTPError{Method: req.Method, URL: redact(req.URL), Status: resp.StatusCode,
		Message: msg, Attempts: attempts, Err: err}
}

// failure kinds.
type failure int

const (
	final     failure = iota // use the answer as it is
	transient                // 5xx, network: retry with backoff
	primary                  // primary rate limit: wait for the reset
	secondary                // secondary rate limit: wait Retry-After or a minute, then back off
)

// classify tells what to do with an answer (or a failure to get one), how
// long GitHub asked to wait (0 when it did not say), and GitHub's message.
func classify(resp *http.Response, err error) (failure, time.Duration, string) {
	if err != nil {
		return transient, 0, "" // network errors, timeouts, truncated bodies
	}
	status, h := resp.StatusCode, resp.Header
	switch {
	case status == http.StatusForbidden || status == http.StatusTooManyRequests:
		body, _ := io.ReadAll(resp.Body)
		resp.Body = newRawBody(body)
		var e struct {
			Message          string `json:"message"`
			DocumentationURL string `json:"documentation_url"`
		}
		_ = json.Unmarshal(body, &e)
		if h.Get("X-Ratelimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
				return primary, time.Until(time.Unix(reset, 0)), e.Message
			}
		}
		if d := httpx.RetryAfter(h.Get("Retry-After")); d > 0 {
			return secondary, d, e.Message
		}
		msg := strings.ToLower(e.Message)
		if status == http.StatusTooManyRequests || h.Get("X-Ratelimit-Remaining") == "0" ||
			strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse") ||
			strings.HasSuffix(e.DocumentationURL, "secondary-rate-limits") || strings.HasSuffix(e.DocumentationURL, "abuse-rate-limits") {
			return secondary, 0, e.Message
		}
		return final, 0, e.Message
	case status >= 500 || status == http.StatusRequestTimeout:
		var e struct {
			Message string `json:"message"`
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body = newRawBody(body)
		_ = json.Unmarshal(body, &e)
		// A server in maintenance (or a proxy in front of it) may say when
		// to come back.
		return transient, httpx.RetryAfter(h.Get("Retry-After")), e.Message
	}
	return final, 0, ""
}

// client holds a collector's HTTP stack and what it observed.
type client struct {
	att   *attempt
	cache *conditional // nil when conditional requests are off
	p     *policy
	red   httpx.Redactor // the token in every form, for errors

	mu   sync.Mutex
	rate gh.Rate // the last rate limit state GitHub reported
	gql  budget  // the last GraphQL budget GitHub reported
}

// counts returns the requests sent and the 304 answers so far.
func (c *client) counts() (requests, notModified int) {
	if c.cache != nil {
		notModified = c.cache.count()
	}
	return c.att.count(), notModified
}

// fetch calls f, which sends one request through go-github (and so through
// the limiter). When go-github refuses to send it because the last answer
// said the budget was used up, fetch waits for the reset (at most MaxWait)
// and calls f again. Errors name the request and say what to do.
//
// want is what the answer must be: an answer that is not that JSON (an HTML
// page, JSON cut short or malformed, a value go-github cannot decode, an
// empty body, null, an empty object) fails with an error wrapping
// ErrNotJSON that names the request, where go-github would return a bare
// decoding error or, for an empty body or null, nothing at all.
func fetch[T any](ctx context.Context, c *client, want shape, f func() (T, *gh.Response, error)) (T, *gh.Response, error) {
	var zero T
	for limits := 0; ; limits++ {
		v, resp, err := f()
		if resp != nil && resp.Response != nil && resp.Rate.Limit > 0 {
			c.mu.Lock()
			c.rate = resp.Rate
			c.mu.Unlock()
		}
		if bad := checkAnswer(resp, err, want); bad != nil {
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
			wait = time.Until(rle.Rate.Reset.Time) + c.p.backoff
		case errors.As(err, &are) && are.RetryAfter != nil:
			wait = *are.RetryAfter + c.p.backoff
		default:
			return zero, resp, describe(err)
		}
		if wait > c.p.maxWait || limits >= maxLimitWaits {
			return zero, resp, fmt.Errorf("%w: %w", &rateLimited{fmt.Sprintf("used up for another %s; codepace waits at most %s: run again later",
				wait.Round(time.Second), c.p.maxWait)}, describe(err))
		}
		c.p.log.Warn("github rate limit used up, waiting for the reset", "wait", wait.Round(time.Millisecond).String())
		if err := c.p.sleep(ctx, max(wait, 0)); err != nil {
			return zero, resp, err
		}
	}
}

// listAll fetches every page of a list; want is the shape of one page
// (aList, or an object holding the list).
func listAll[T any](ctx context.Context, c *client, perPage int, want shape, f func(gh.ListOptions) ([]T, *gh.Response, error)) ([]T, error) {
	var all []T
	opt := gh.ListOptions{PerPage: perPage}
	var progress httpx.Pager
	for {
		items, resp, err := fetch(ctx, c, want, func() ([]T, *gh.Response, error) { return f(opt) })
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if resp.NextPage <= opt.Page { // the last page (or a Link going nowhere new)
			return all, nil
		}
		progress.What = redact(resp.Request.URL)
		if err := progress.Page([]string{pageKey(resp)}, strconv.Itoa(resp.NextPage)); err != nil {
			return nil, err
		}
		opt.Page = resp.NextPage
	}
}

// pageKey stands for the items of a page whose items have no key the
// caller knows: the answer itself.
func pageKey(resp *gh.Response) string {
	var raw []byte
	if rb, ok := resp.Body.(*rawBody); ok {
		raw = rb.raw
	}
	sum := sha256.Sum256(raw)
	return string(sum[:])
}

// ErrNotJSON is wrapped by the error of a successful (2xx) answer that is
// not the JSON codepace asked for: an HTML page (a proxy's or a single
// sign-on login page), JSON cut short or malformed, values go-github cannot
// decode (a timestamp in another format), an empty body, null, or an
// object without what GitHub always sends.
var ErrNotJSON = errors.New("answer is not GitHub JSON")

// AnswerError is an answer with a 2xx status that codepace cannot use.
type AnswerError struct {
	Method string
	URL    string // without credentials
	Status int
	// Problem says what came instead of the JSON asked for.
	Problem string
}

func (e *AnswerError) Error() string {
	return fmt.Sprintf("%s %s: the answer (HTTP %d) %s; run again, and if it persists look at what the URL answers",
		e.Method, e.URL, e.Status, e.Problem)
}

// Is makes an AnswerError match ErrNotJSON.
func (e *AnswerError) Is(target error) bool { return target == ErrNotJSON }

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

// checkAnswer returns an *AnswerError when a 2xx answer go-github decoded
// (err nil) or failed to decode is not the JSON want describes; nil for
// other answers and failures, which fetch handles.
func checkAnswer(resp *gh.Response, err error, want shape) error {
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
	rb, ok := resp.Body.(*rawBody)
	problem := ""
	if ok {
		problem = answerProblem(rb.raw, resp.Header.Get("Content-Type"), want)
	}
	if problem == "" && err != nil {
		problem = "does not decode as " + want.what + ": " + err.Error()
	}
	if problem == "" {
		return nil
	}
	ae := &AnswerError{Method: http.MethodGet, Status: resp.StatusCode, Problem: problem}
	if r := resp.Request; r != nil {
		ae.Method, ae.URL = r.Method, redact(r.URL)
	}
	return ae
}

// answerProblem says what is wrong with body as an answer of shape want,
// or "" when nothing is.
func answerProblem(body []byte, contentType string, want shape) string {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return "is empty, where GitHub sends " + want.what
	}
	if !json.Valid(b) {
		if isHTML(contentType, b) {
			return fmt.Sprintf("is an HTML page%s instead of GitHub JSON (a proxy's or a single sign-on login page?): it starts with %q",
				title(b), head(b))
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		var v json.RawMessage
		err := dec.Decode(&v)
		switch {
		case err == nil:
			return fmt.Sprintf("is not GitHub JSON: more follows the JSON value: %q", head(bytes.TrimSpace(b[dec.InputOffset():])))
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			return fmt.Sprintf("is cut short: %v after %d bytes (by GitHub or a proxy?)", io.ErrUnexpectedEOF, len(body))
		}
		return fmt.Sprintf("is not GitHub JSON: %v; it starts with %q", err, head(b))
	}
	switch {
	case bytes.Equal(b, []byte("null")):
		return "is null, where GitHub sends " + want.what
	case want.list && b[0] != '[':
		return fmt.Sprintf("is not %s: it starts with %q", want.what, head(b))
	case want.list:
		return ""
	case b[0] != '{':
		return fmt.Sprintf("is not %s: it starts with %q", want.what, head(b))
	case len(bytes.TrimSpace(b[1:len(b)-1])) == 0:
		return "is an empty object, where GitHub sends " + want.what
	case len(want.lists) == 0:
		return ""
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return fmt.Sprintf("is not GitHub JSON: %v", err)
	}
	for _, k := range want.lists {
		if f := bytes.TrimSpace(fields[k]); len(f) == 0 || f[0] != '[' {
			return fmt.Sprintf("is not %s: %q is %s", want.what, k, cmp.Or(string(head(f)), "missing"))
		}
	}
	return ""
}

// isHTML reports whether an answer that is not JSON is an HTML page.
func isHTML(contentType string, body []byte) bool {
	ct := strings.ToLower(contentType)
	return strings.Contains(ct, "text/html") || strings.Contains(ct, "application/xhtml") ||
		(len(body) > 0 && body[0] == '<')
}

// title returns ` (title "the page's title")` of an HTML page, or "".
func title(body []byte) string {
	body = body[:min(len(body), 4096)]
	i := indexFold(body, "<title")
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(body[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	end := indexFold(body[start:], "</title")
	if end < 0 {
		return ""
	}
	t := strings.Join(strings.Fields(string(body[start:start+end])), " ")
	if t == "" {
		return ""
	}
	if len(t) > 100 {
		t = t[:100] + "..."
	}
	return fmt.Sprintf(" (title %q)", t)
}

// indexFold returns the index of the first instance of sub (ASCII) in b,
// ignoring case, or -1.
func indexFold(b []byte, sub string) int {
	for i := 0; i+len(sub) <= len(b); i++ {
		if bytes.EqualFold(b[i:i+len(sub)], []byte(sub)) {
			return i
		}
	}
	return -1
}

// head returns the start of b, for messages.
func head(b []byte) []byte {
	const n = 60
	if len(b) <= n {
		return b
	}
	return append(b[:n:n], "..."...)
}

// describe turns go-github's error into one that names the request (without
// credentials) and says what to do.
func describe(err error) error {
	var he *HTTPError
	if errors.As(err, &he) { // made by the limiter
		return he
	}
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		he := &HTTPError{Status: er.Response.StatusCode, Message: er.Message, Err: err}
		if r := er.Response.Request; r != nil {
			he.Method, he.URL = r.Method, redact(r.URL)
		}
		return he
	}
	return err
}

// redact returns u as text without user information.
func redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	return c.String()
}
