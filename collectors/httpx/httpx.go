// Package httpx is the one HTTP layer of codepace's collectors: every
// request to a source's API goes through a Client, which
//
//   - sends credentials only to the scheme, host and port of the
//     configured URL, and refuses redirects from https to http;
//   - bounds each attempt by a timeout that covers reading the body, and
//     the body, once decompressed, by MaxAnswerBytes;
//   - refuses a page with more items than were asked for;
//   - retries what is worth retrying (network failures, 408, 429, 5xx, and
//     what Classify says), with Backoff and Retry-After, counting attempts;
//   - fails with one error type, *Error, that names the request, says what
//     came and what to do, and never holds a configured secret.
//
// A client library (go-github) uses it as its *http.Client; code that
// sends its own requests calls GetJSON, or DecodeJSON to scan an answer
// only once. Pager detects paging that makes no progress; Redactor
// removes secrets from logs and errors.
package httpx

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
)

// DefaultMaxAnswerBytes bounds an answer's decompressed size unless
// Config.MaxAnswerBytes says otherwise.
const DefaultMaxAnswerBytes = 64 << 20

// Defaults of Config.
const (
	defaultTimeout       = time.Minute
	defaultBackoff       = time.Second
	defaultMaxRetryAfter = 10 * time.Minute
)

// Config configures a Client. Only System and BaseURL are required.
type Config struct {
	// System names the server in messages: "Gerrit", "Jenkins", "GitHub".
	System string
	// BaseURL is the configured URL of the source: credentials are sent
	// only to its scheme, host and port.
	BaseURL string
	// Username and Password are sent with HTTP Basic when Username is set;
	// Token is sent as a Bearer token otherwise.
	Username, Password, Token string
	// Timeout bounds one attempt, reading the body included (default a
	// minute).
	Timeout time.Duration
	// Retries is how many times a retryable failure is retried; Backoff
	// the first wait, doubled each time (default a second).
	Retries int
	// AnyMethod retries every method, not only GET and HEAD: for an API
	// whose POSTs change nothing (GitHub's GraphQL queries).
	AnyMethod bool
	Backoff   time.Duration
	// MaxRetryAfter caps the wait a Retry-After header asks for (default
	// ten minutes), so that a broken header cannot stall a run for good.
	MaxRetryAfter time.Duration
	// MaxAnswerBytes bounds an answer's size once decompressed (default
	// DefaultMaxAnswerBytes).
	MaxAnswerBytes int64
	// Items, when set, tells how many items a request asked for and where
	// they are in the answer (key "" for an array answer, else the member
	// of the object); an answer with more fails with ErrTooManyItems.
	Items func(req *http.Request) (key string, max int)
	// Hints says what to do about an HTTP status, by status; Hints[0] is
	// for a 2xx answer that is an HTML page (a login page).
	Hints map[int]string
	// Classify, when set, decides about answers the default does not
	// retry (GitHub's rate limits); see Verdict.
	Classify func(resp *http.Response) Verdict
	// Limits bounds waits for rate limits (Classify's Reset and Throttled
	// verdicts).
	Limits Limits
	// Wrap, when set, adds a layer between the retry loop and the attempt
	// (GitHub's conditional requests).
	Wrap func(http.RoundTripper) http.RoundTripper
	// Transport sends the requests (default http.DefaultTransport).
	Transport http.RoundTripper
	// Logger receives a warning per retry; it is redacted.
	Logger *slog.Logger
}

// Client sends a source's requests. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   *url.URL
	auth   string // the Authorization header value, "" for none
	red    Redactor
	log    *slog.Logger
	hc     *http.Client
	big    sync.Mutex // held while an answer over bigAnswer is read
	nreq   atomic.Int64
	mu     sync.Mutex
	waited time.Duration
}

// New checks cfg.BaseURL and returns a Client; it sends nothing.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url: want the %s URL, with http:// or https://", cfg.System)
	}
	if u.User != nil {
		return nil, fmt.Errorf("url: remove user:password@ from the URL; configure the credentials apart")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = defaultBackoff
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = defaultMaxRetryAfter
	}
	if cfg.MaxAnswerBytes <= 0 {
		cfg.MaxAnswerBytes = DefaultMaxAnswerBytes
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{cfg: cfg, base: u}
	c.red = NewRedactor(cfg.Username, cfg.Password, cfg.Token)
	c.log = c.red.Logger(cfg.Logger)
	switch {
	case cfg.Username != "":
		r := &http.Request{Header: http.Header{}}
		r.SetBasicAuth(cfg.Username, cfg.Password)
		c.auth = r.Header.Get("Authorization")
	case cfg.Token != "":
		c.auth = "Bearer " + cfg.Token
	}
	var rt http.RoundTripper = attempt{c}
	if cfg.Wrap != nil {
		rt = cfg.Wrap(rt)
	}
	c.hc = &http.Client{Transport: &retry{c: c, next: rt}, CheckRedirect: c.CheckRedirect}
	return c, nil
}

// HTTPClient returns the client a library sends its requests with.
func (c *Client) HTTPClient() *http.Client { return c.hc }

// Redactor returns the Redactor of the configured secrets.
func (c *Client) Redactor() Redactor { return c.red }

// Requests returns how many HTTP requests were sent, retries included.
func (c *Client) Requests() int { return int(c.nreq.Load()) }

// Waited returns the time spent waiting before retries.
func (c *Client) Waited() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waited
}

// CheckRedirect is the http.Client.CheckRedirect of a Client: it refuses a
// redirect from https to http, and long chains. Credentials never follow
// a redirect elsewhere: each attempt sends them only to the configured
// scheme, host and port.
func (c *Client) CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return &Error{System: c.cfg.System, Method: req.Method, URL: Safe(via[0].URL), Err: ErrRedirect,
			Detail: "was redirected more than 10 times"}
	}
	prev := via[len(via)-1]
	if prev.URL.Scheme == "https" && req.URL.Scheme != "https" {
		return &Error{System: c.cfg.System, Method: req.Method, URL: Safe(via[0].URL), Err: ErrRedirect,
			Detail: "was redirected from https to " + Safe(req.URL) + "; codepace does not leave https (check the source's url, or the proxy in front of " + c.cfg.System + ")"}
	}
	return nil
}

// sameOrigin tells whether u has the configured URL's scheme, host and port.
func (c *Client) sameOrigin(u *url.URL) bool {
	return u.Scheme == c.base.Scheme && strings.EqualFold(hostPort(u), hostPort(c.base))
}

// hostPort returns u's host and port, the scheme's default port when u
// names none.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return u.Hostname() + ":" + port
}

// Safe returns u as text without user information.
func Safe(u *url.URL) string {
	if u == nil {
		return ""
	}
	s := *u
	s.User = nil
	return s.String()
}

// fail returns an *Error about req, with the hint of its status.
func (c *Client) fail(req *http.Request, status int, err error) *Error {
	e := &Error{System: c.cfg.System, Method: req.Method, URL: Safe(req.URL), Status: status, Err: err}
	if status != 0 {
		e.Hint = c.cfg.Hints[status]
	}
	return e
}

// Answered returns the *Error of a final answer that a client library
// turned into its own error, cause (go-github's or client-go's
// ErrorResponse): it names resp's request and status, with the server's
// message (redacted) and the hint of the status.
func (c *Client) Answered(resp *http.Response, message string, cause error) *Error {
	req := resp.Request
	if req == nil {
		req = &http.Request{Method: http.MethodGet, URL: &url.URL{}}
	}
	e := c.fail(req, resp.StatusCode, cause)
	e.Message = c.red.String(message)
	return e
}

// attempt sends one request: it sets or removes the credentials, bounds
// the request by Timeout, reads the body whole up to MaxAnswerBytes, and
// checks the number of items.
type attempt struct{ c *Client }

func (a attempt) RoundTrip(req *http.Request) (*http.Response, error) {
	c := a.c
	c.nreq.Add(1)
	ctx, cancel := context.WithTimeout(req.Context(), c.cfg.Timeout)
	defer cancel()
	req = req.Clone(ctx)
	if c.auth != "" && c.sameOrigin(req.URL) {
		req.Header.Set("Authorization", c.auth)
	} else {
		req.Header.Del("Authorization") // a library's own, on a redirect elsewhere
	}
	gz := req.Header.Get("Accept-Encoding") == "" && req.Header.Get("Range") == "" && req.Method != http.MethodHead
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := c.cfg.Transport.RoundTrip(req)
	if err != nil {
		return nil, a.timedOut(ctx, err)
	}
	var items *itemCounter
	asked := 0
	if c.cfg.Items != nil && resp.StatusCode/100 == 2 {
		var key string
		if key, asked = c.cfg.Items(req); asked > 0 {
			items = newItemCounter(key)
		}
	}
	var body []byte
	streamed := false
	if gz && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		sr, _ := ctx.Value(streamKey{}).(*streamRequest)
		if resp.StatusCode != http.StatusOK {
			sr = nil
		}
		body, streamed, err = c.gunzip(resp, items, asked, sr)
	} else {
		body, err = c.read(resp.Body, c.cfg.MaxAnswerBytes, -1, items, asked)
	}
	resp.Body.Close()
	switch {
	case errors.Is(err, ErrTooLarge):
		e := c.fail(req, 0, ErrTooLarge)
		e.Detail = fmt.Sprintf("the answer is larger than %d bytes once decompressed (max_answer_bytes); a broken server or proxy? Raise max_answer_bytes only if the server is right", c.cfg.MaxAnswerBytes)
		return nil, e
	case errors.Is(err, ErrTooManyItems):
		e := c.fail(req, 0, ErrTooManyItems)
		e.Detail = fmt.Sprintf("the answer holds at least %d items where codepace asked for at most %d; a broken server or proxy?", items.n, asked)
		return nil, e
	case err != nil:
		return nil, fmt.Errorf("reading the answer: %w", a.timedOut(ctx, err))
	}
	resp.Body = &Body{Reader: bytes.NewReader(body), Raw: body, streamed: streamed}
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// bigAnswer is the size past which one request of a Client at a time
// reads its answer, so that concurrent requests (Gerrit's windows) facing
// a hostile server do not each hold MaxAnswerBytes.
const bigAnswer = 4 << 20

// gunzip reads a gzipped answer to a request that attempt asked gzip for,
// then decompresses it with klauspost/compress's reader, as net/http's
// transport would with compress/gzip (which it does only when the request
// names no Accept-Encoding itself): a 500-change Gerrit page (8 MB)
// decompresses in well under half the time, and gunzipping was a seventh
// of a collection's CPU. The compressed answer is read first (a tenth of
// a Gerrit page's size) so that the decompressed one goes into a single
// buffer of the size the gzip trailer gives, instead of chunks copied
// together at the end (a third of a collection's heap at its highest).
// With sr (StreamJSON's 200 answers) it is decompressed into sr's writer
// instead: streamed tells that the writer took it all, and body is then
// nil. A body that is not gzip fails naming gzip, as with the transport.
func (c *Client) gunzip(resp *http.Response, items *itemCounter, asked int, sr *streamRequest) (body []byte, streamed bool, err error) {
	resp.Header.Del("Content-Encoding")
	resp.Uncompressed = true
	// Deflate's stored blocks add 5 bytes per 64 KiB: an answer within
	// MaxAnswerBytes once decompressed is within this compressed.
	limit := c.cfg.MaxAnswerBytes + c.cfg.MaxAnswerBytes/8192 + 64
	z, err := c.read(resp.Body, limit, -1, nil, 0)
	if err != nil {
		return nil, false, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, false, err
	}
	if sr != nil {
		if streamed, err = c.stream(zr, items, asked, sr); streamed || err != nil {
			return nil, streamed, err
		}
		// The writer could not take the answer: it is decompressed again
		// for StreamJSON's decode.
		if err = zr.Reset(bytes.NewReader(z)); err != nil {
			return nil, false, err
		}
		if items != nil {
			items.reset()
		}
	}
	body, err = c.read(zr, c.cfg.MaxAnswerBytes, isize(z), items, asked)
	return body, false, err
}

// isize is the decompressed size a gzip stream's trailer gives (modulo
// 2^32, of its last member only: a hint, not a fact), or -1 when z is too
// short to be gzip.
func isize(z []byte) int64 {
	if len(z) < 18 { // a 10-byte header and an 8-byte trailer
		return -1
	}
	return int64(binary.LittleEndian.Uint32(z[len(z)-4:]))
}

// maxChunk is the size of read's largest chunks, which it takes from
// chunkPool: the chunks of every answer allocated anew made half of what
// a collection allocated.
const maxChunk = 1 << 20

var chunkPool = sync.Pool{New: func() any { return new([maxChunk]byte) }}

// read reads a body whole, at most limit bytes. size, when not negative,
// is what the answer says its size is (a gzip trailer's): a size within
// limit is read into one buffer of that size and a byte more (to see the
// end), and a wrong one costs only copies. Other bodies are read in
// chunks that leave no copies of a growing buffer behind, copied together
// at the end. Past bigAnswer, one request of the Client at a time reads
// (or allocates for a size that large). items, when set, counts the
// page's items as they come: more than asked stops the reading at once.
func (c *Client) read(r io.Reader, limit, size int64, items *itemCounter, asked int) ([]byte, error) {
	var chunks [][]byte
	total, next := int64(0), int64(16<<10)
	if size >= 0 && size < limit {
		next = size + 1
	}
	locked := false
	defer func() {
		if locked {
			c.big.Unlock()
		}
	}()
	defer func() { // the chunks copied into the body are used again
		if len(chunks) > 1 {
			for _, ch := range chunks {
				if cap(ch) == maxChunk {
					chunkPool.Put((*[maxChunk]byte)(ch[:maxChunk]))
				}
			}
		}
	}()
	for {
		if !locked && (next > bigAnswer || total > bigAnswer) {
			c.big.Lock()
			locked = true
		}
		var buf []byte
		if next == maxChunk {
			buf = chunkPool.Get().(*[maxChunk]byte)[:]
		} else {
			buf = make([]byte, next)
		}
		// Fill buf a chunk at a time, so that items can stop the reading.
		var n int
		var err error
		for n < len(buf) && err == nil {
			var m int
			m, err = fill(r, buf[n:min(n+maxChunk, len(buf))])
			if total += int64(m); total > limit {
				return nil, ErrTooLarge
			}
			if items != nil {
				if items.feed(buf[n : n+m]); items.n > asked {
					return nil, ErrTooManyItems
				}
			}
			n += m
		}
		chunks = append(chunks, buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		next = min(2*int64(len(buf)), maxChunk)
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	body := make([]byte, 0, total)
	for _, ch := range chunks {
		body = append(body, ch...)
	}
	return body, nil
}

// fill reads into buf until it is full or r fails (io.EOF at the end).
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// timedOut says so when err comes from the attempt's timeout.
func (a attempt) timedOut(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no complete answer within the timeout of %s: %w", a.c.cfg.Timeout, err)
	}
	return err
}

// GetJSON sends a GET for rawURL (the configured URL's own, or one
// relative to it) through the retry loop, and returns the body of a 200
// answer that is JSON, after prefix. Any other answer is an *Error: a
// status with its hint, or ErrNotJSON.
func (c *Client) GetJSON(ctx context.Context, rawURL string, prefix []byte) ([]byte, error) {
	var out []byte
	err := c.DecodeJSON(ctx, rawURL, prefix, func(body []byte) error {
		if !json.Valid(body) {
			return ErrNotJSON // DecodeJSON says what is wrong
		}
		out = body
		return nil
	})
	return out, err
}

// DecodeJSON sends a GET for rawURL as GetJSON does and passes the body of
// a 200 answer, after prefix, to decode, which reads it whole and fails
// on JSON that does not parse. The body is scanned once, by decode: only
// when decode fails is it checked again, so that an answer that is not
// JSON (an HTML page, JSON cut short or malformed) fails with the same
// *Error as with GetJSON. An answer that is empty or null fails before
// decode is called; decode's own error is returned when the body is JSON.
func (c *Client) DecodeJSON(ctx context.Context, rawURL string, prefix []byte, decode func(body []byte) error) error {
	resp, err := c.get(ctx, rawURL)
	if err != nil {
		return err
	}
	return c.decodeAnswer(resp, prefix, decode)
}

// decodeAnswer is DecodeJSON's reading of an answer.
func (c *Client) decodeAnswer(resp *http.Response, prefix []byte, decode func(body []byte) error) error {
	body := RawBody(resp.Body)
	ct := resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK {
		e := c.fail(resp.Request, resp.StatusCode, nil)
		e.Message = c.red.Summary(ct, body)
		return e
	}
	rest, ok := cutPrefix(body, prefix)
	var derr error
	if ok && !emptyOrNull(rest) {
		if derr = decode(rest); derr == nil {
			return nil
		}
	}
	p := c.red.JSONProblem(ct, rest)
	if ok && p == "" {
		return derr
	}
	if !ok && !IsHTML(ct, body) {
		p = fmt.Sprintf("does not start with %q; it starts with %s", prefix, c.red.Head(body))
	}
	e := c.fail(resp.Request, resp.StatusCode, ErrNotJSON)
	e.Detail = "the answer (HTTP 200) " + p
	if IsHTML(ct, body) {
		e.Err, e.Hint = ErrHTML, c.cfg.Hints[0]
	}
	return e
}

// get sends a GET for rawURL through the retry loop and returns the
// answer, whatever its status, with its body read whole.
func (c *Client) get(ctx context.Context, rawURL string) (*http.Response, error) {
	u, err := c.base.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", rawURL, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", Safe(u), err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "codepace")
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, c.red.Error(fmt.Errorf("GET %s: %w", Safe(u), unwrapURL(err)))
	}
	return resp, nil
}

// emptyOrNull tells whether b is empty or the JSON null, which decode
// into nothing without an error.
func emptyOrNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null"
}

// cutPrefix returns b without prefix, and whether it was there (always
// when prefix is empty).
func cutPrefix(b, prefix []byte) ([]byte, bool) {
	if len(prefix) == 0 {
		return b, true
	}
	if len(b) < len(prefix) || string(b[:len(prefix)]) != string(prefix) {
		return b, false
	}
	return b[len(prefix):], true
}

// unwrapURL returns the cause of a *url.Error: its text repeats the URL
// the caller already names.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
