package github

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/codepace/codepace/collectors/httpx"
)

// The HTTP stack under githubv4, top to bottom:
//
//	gqlTransport  turns an answer that cannot be used into an *httpx.Error
//	httpx         the REST stack's, POSTs retried too (a query changes
//	              nothing); its Classify (gqlVerdict) waits out
//	              RATE_LIMITED and asks again a query GitHub answered
//	              with other errors in a 200 answer

// graphQLEndpoint returns the GraphQL URL of a source: github.com's, or
// the GitHub Enterprise Server's /api/graphql for its base URL
// (https://ghe.example.org/ or .../api/v3/).
func graphQLEndpoint(base string) string {
	if base == "" {
		return "https://api.github.com/graphql"
	}
	u, err := url.Parse(base)
	if err != nil {
		return base // New has refused it already
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v3") + "/api/graphql"
	return u.String()
}

// aGraphQLAnswer is what a GraphQL answer must be.
var aGraphQLAnswer = shape{what: "a GraphQL answer (an object with data or errors)"}

// gqlTransport sends a GraphQL query through httpx's retry loop and
// refuses an answer that cannot be used.
type gqlTransport struct {
	next http.RoundTripper // httpx's retry loop
	c    *client
}

func (t *gqlTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", "codepace")
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if err := t.judge(req, resp, httpx.RawBody(resp.Body)); err != nil {
		return nil, err
	}
	return resp, nil
}

// fail returns the *httpx.Error of a query; hint "" is the status's.
func (t *gqlTransport) fail(req *http.Request, status int, msg string, err error, hint string) *httpx.Error {
	return &httpx.Error{System: "GitHub", Method: req.Method, URL: httpx.Safe(req.URL), Status: status,
		Message: t.c.hx.Redactor().String(msg), Err: err, Hint: cmp.Or(hint, hints[status])}
}

// gqlAnswer is what codepace reads of any GraphQL answer.
type gqlAnswer struct {
	Message string
	Data    json.RawMessage
	Errors  []struct {
		Type    string
		Message string
		Path    []any
	}
}

// gqlErrorsDetail is the Detail of a query GitHub answered with errors.
const gqlErrorsDetail = "GitHub answered the query with errors"

// read says what the errors of an answer mean, the first that decides
// winning: limited for RATE_LIMITED; status 404 or 403 and GitHub's
// message for NOT_FOUND or FORBIDDEN; else the errors, each with where
// (nil for none).
func (a *gqlAnswer) read() (problems []string, limited bool, status int, msg string) {
	for _, e := range a.Errors {
		switch e.Type {
		case "RATE_LIMITED":
			return nil, true, 0, ""
		case "NOT_FOUND":
			return nil, false, http.StatusNotFound, e.Message
		case "FORBIDDEN":
			return nil, false, http.StatusForbidden, e.Message
		}
		where := ""
		if len(e.Path) > 0 {
			where = fmt.Sprintf(" (at %v)", pathString(e.Path))
		}
		problems = append(problems, strings.TrimPrefix(e.Type+": ", ": ")+e.Message+where)
	}
	return problems, false, 0, ""
}

// gqlVerdict is httpx's verdict on a 200 answer to a GraphQL query:
// RATE_LIMITED is waited out until x-ratelimit-reset (else secondaryWait),
// other errors GitHub put in the answer are asked again (Transient);
// anything else is final, for judge to read.
func gqlVerdict(resp *http.Response, secondaryWait time.Duration) httpx.Verdict {
	body := httpx.RawBody(resp.Body)
	if !bytes.Contains(body, []byte(`"errors"`)) {
		return httpx.Verdict{} // judge refuses an answer that hides them
	}
	var a gqlAnswer
	if json.Unmarshal(body, &a) != nil {
		return httpx.Verdict{}
	}
	problems, limited, _, _ := a.read()
	switch {
	case limited:
		return httpx.Verdict{Kind: httpx.Reset, Wait: time.Until(resetOf(resp.Header, secondaryWait)), Message: "RATE_LIMITED"}
	case problems != nil:
		return httpx.Verdict{Kind: httpx.Transient, Message: strings.Join(problems, "; "), Detail: gqlErrorsDetail}
	}
	return httpx.Verdict{}
}

// judge reads an answer httpx let through and returns an error for one
// that cannot be used: another status than 200, not a GraphQL answer, a
// repository or node not found or not allowed, or errors httpx did not
// retry.
func (t *gqlTransport) judge(req *http.Request, resp *http.Response, body []byte) error {
	var a gqlAnswer
	_ = json.Unmarshal(body, &a)
	if resp.StatusCode != http.StatusOK {
		return t.fail(req, resp.StatusCode, a.Message, nil, "")
	}
	if e := checkBody(t.c, req, resp, body, aGraphQLAnswer, nil); e != nil {
		return e
	}
	if len(a.Errors) == 0 && (len(a.Data) == 0 || string(a.Data) == "null") {
		e := t.fail(req, resp.StatusCode, "", httpx.ErrNotJSON, "run again, and if it persists look at what the URL answers")
		e.Detail = "the answer (HTTP 200) holds neither data nor errors"
		return e
	}
	problems, limited, status, msg := a.read()
	switch {
	case status != 0:
		return t.fail(req, status, msg, nil, "")
	case limited:
		return t.fail(req, resp.StatusCode, "RATE_LIMITED", httpx.ErrRateLimited, "run again after the reset")
	case problems != nil:
		e := t.fail(req, resp.StatusCode, strings.Join(problems, "; "), nil, "")
		e.Detail = gqlErrorsDetail
		return e
	}
	return nil
}

func pathString(path []any) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ".")
}

// resetOf returns when the budget an answer reports resets: its
// x-ratelimit-reset, else after wait.
func resetOf(h http.Header, wait time.Duration) time.Time {
	if reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
		return time.Unix(reset, 0)
	}
	return time.Now().Add(wait)
}

// budget is what the last query said of the GraphQL budget.
type budget struct {
	cost, remaining int
	reset           time.Time
	points          int // spent by this collector
}

// query sends a query, paced by the budget: when the last query said
// less is left than it cost, it first waits for the reset (at most
// MaxWait).
func (g *Collector) query(ctx context.Context, q interface{ rate() gqlRate }, vars map[string]any) error {
	g.c.mu.Lock()
	b := g.c.gql
	g.c.mu.Unlock()
	if b.cost > 0 && b.remaining < b.cost {
		wait := time.Until(b.reset) + g.c.backoff
		if wait > g.c.maxWait {
			return &httpx.Error{System: "GitHub", Method: http.MethodPost, URL: g.gqlURL, Err: httpx.ErrRateLimited,
				Detail: fmt.Sprintf("GraphQL budget: %d points left, the last query cost %d, until %s", b.remaining, b.cost, b.reset.UTC().Format(time.RFC3339)),
				Hint:   fmt.Sprintf("codepace waits at most %s: run again after the reset", g.c.maxWait)}
		}
		if err := g.c.hx.Sleep(ctx, max(wait, 0), "github graphql budget too low for the next query, waiting for the reset"); err != nil {
			return err
		}
	}
	if err := g.gql.Query(ctx, q, vars); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err // the transport's own error names the request
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &httpx.Error{System: "GitHub", Method: http.MethodPost, URL: g.gqlURL, Status: http.StatusOK, Err: httpx.ErrNotJSON,
			Detail: "the answer (HTTP 200) does not decode as the query asked: " + g.c.hx.Redactor().String(err.Error()),
			Hint:   "run again, and if it persists look at what the URL answers"}
	}
	r := q.rate()
	g.c.mu.Lock()
	g.c.gql = budget{cost: int(r.Cost), remaining: int(r.Remaining), reset: r.ResetAt.Time, points: b.points + int(r.Cost)}
	g.c.mu.Unlock()
	return nil
}
