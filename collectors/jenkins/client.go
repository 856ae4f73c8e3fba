package jenkins

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/codepace/codepace/collectors"
)

// maxRetryAfter caps the wait a Retry-After header asks for, so that a
// broken header cannot stall a run for good.
const maxRetryAfter = 10 * time.Minute

// client sends GET requests to Jenkins' JSON API and retries what is worth
// retrying.
type client struct {
	hc       *http.Client
	base     string // Jenkins root URL with a trailing slash, without credentials
	username string
	token    string
	retries  int
	backoff  time.Duration // first wait between attempts
	log      *slog.Logger
	// requests counts HTTP requests sent, retries included.
	requests int
	// waited sums the time spent waiting before retries.
	waited time.Duration
}

// HTTPError is a Jenkins answer with an unexpected HTTP status.
type HTTPError struct {
	URL    string // without credentials
	Status int
	// Body is the start of the answer, or a summary when it is an HTML
	// page.
	Body string
	// Attempts is how many times the request was sent.
	Attempts int
}

func (e *HTTPError) Error() string {
	hint := ""
	switch e.Status {
	case http.StatusUnauthorized:
		hint = " (Jenkins refused the credentials: check the source's username and the API token in token_env / token_file; a token is made under the user's Configure page)"
	case http.StatusForbidden:
		hint = " (the account may not read this: it needs Overall/Read and Job/Read; without username and token Jenkins treats codepace as anonymous)"
	case http.StatusNotFound:
		hint = " (no such job or folder: it may have been deleted or renamed; check jobs and url)"
	case http.StatusTooManyRequests:
		hint = " (Jenkins or a proxy throttled codepace; retries were exhausted)"
	}
	s := fmt.Sprintf("GET %s: HTTP %d%s", e.URL, e.Status, hint)
	if e.Body != "" {
		s += ": " + e.Body
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	return s
}

// ErrNotJSON is wrapped by the error of an answer that is not the JSON
// codepace asked for: an HTML page (typically a login page of Jenkins or of
// a single sign-on proxy in front of it), or JSON cut short.
var ErrNotJSON = errors.New("not a Jenkins JSON answer")

// notJSON is an ErrNotJSON with the detail.
type notJSON struct {
	url    string
	detail string
	html   bool // an HTML page, not JSON cut short
}

func (e *notJSON) Error() string        { return "GET " + e.url + ": " + e.detail }
func (e *notJSON) Is(target error) bool { return target == ErrNotJSON }

// getJSON fetches path (relative to the Jenkins root, query included) and
// decodes the JSON answer into v. It retries 429, 408, 5xx answers and
// network failures (a body cut short included) with exponential backoff,
// honouring Retry-After.
func (c *client) getJSON(ctx context.Context, path string, v any) error {
	shown := c.base + path
	var lastErr error
	for attempt := 0; ; attempt++ {
		body, retryAfter, err := c.get(ctx, shown)
		if err == nil {
			return decode(body, shown, v)
		}
		lastErr = err
		var he *HTTPError
		if errors.As(err, &he) {
			he.Attempts = attempt + 1
			if !collectors.Retryable(he.Status) {
				return err
			}
		}
		if errors.Is(err, ErrNotJSON) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if attempt >= c.retries {
			if he != nil {
				return he
			}
			return fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempt+1)
		}
		wait := collectors.Backoff(c.backoff, attempt+1)
		if retryAfter > wait {
			wait = retryAfter
		}
		c.log.Warn("jenkins request failed, retrying", "url", shown, "error", err.Error(), "attempt", attempt+1, "wait", wait.String())
		c.waited += wait
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// get sends one request. It returns the body of a 200 JSON answer, or an
// error and how long the server asked to wait (Retry-After) before trying
// again.
func (c *client) get(ctx context.Context, shown string) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, shown, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", shown, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "codepace")
	if c.username != "" {
		req.SetBasicAuth(c.username, c.token)
	}
	c.requests++
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", shown, scrub(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		// A connection closed before the announced length: retried.
		return nil, 0, fmt.Errorf("GET %s: reading the answer: %w", shown, err)
	}
	html := isHTML(resp.Header.Get("Content-Type"), body)
	if resp.StatusCode != http.StatusOK {
		snippet := string(bytes.TrimSpace(body[:min(len(body), 200)]))
		if html {
			snippet = "an HTML page" + title(body)
		}
		return nil, min(collectors.RetryAfter(resp.Header.Get("Retry-After")), maxRetryAfter), &HTTPError{URL: shown, Status: resp.StatusCode, Body: snippet}
	}
	if html {
		return nil, 0, &notJSON{url: shown, html: true, detail: "Jenkins answered with an HTML page" + title(body) +
			" instead of JSON, typically a login page: check username and the API token in token_env / token_file, and that url is the Jenkins root (the page that lists the jobs)"}
	}
	return body, 0, nil
}

// decode reads a JSON answer into v. When v is a checker, JSON that is not
// the answer asked for (`null`, `{}`, another object) is refused too.
func decode(body []byte, shown string, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var se *json.SyntaxError
		detail := "the answer is not valid JSON"
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input") {
			detail = "the answer is not valid JSON (cut short by Jenkins or a proxy?)"
		}
		return &notJSON{url: shown, detail: fmt.Sprintf("%s: %v; run again, and if it persists open the URL in a browser", detail, err)}
	}
	if c, ok := v.(checker); ok {
		detail := c.check()
		if string(bytes.TrimSpace(body)) == "null" {
			detail = "the answer is null, not the Jenkins item asked for"
		}
		if detail != "" {
			return &notJSON{url: shown, detail: detail + " (a proxy or a plugin answering in Jenkins' place?); run again, and if it persists open the URL in a browser"}
		}
	}
	return nil
}

// isHTML tells whether an answer is an HTML page rather than JSON.
func isHTML(contentType string, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return true
	}
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '<'
}

// title returns ` ("TITLE")` for an HTML page with a title, else "".
func title(body []byte) string {
	lower := bytes.ToLower(body)
	i := bytes.Index(lower, []byte("<title>"))
	if i < 0 {
		return ""
	}
	rest := body[i+len("<title>"):]
	j := bytes.Index(bytes.ToLower(rest), []byte("</title>"))
	if j < 0 {
		return ""
	}
	t := strings.Join(strings.Fields(string(rest[:min(j, 120)])), " ")
	if t == "" {
		return ""
	}
	return " (" + strconv.Quote(t) + ")"
}

// scrub removes user information from the URL a *url.Error names.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.User != nil {
			u.User = nil
			ue.URL = u.String()
		}
	}
	return err
}
