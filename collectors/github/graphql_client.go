package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/codepace/codepace/collectors/httpx"
)

// The HTTP stack under githubv4, top to bottom:
//
//	gqlTransport  authenticates; waits out RATE_LIMITED, retries other
//	              errors GitHub put in a 200 answer; turns what cannot
//	              be used into an *HTTPError, *AnswerError or *GraphQLError
//	limiter       as under go-github (403/429 rate limits, 5xx, network),
//	              here for POST too: a query changes nothing
//	attempt       the REST stack's: one count of requests per collector

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

// GraphQLError is a GraphQL answer whose errors codepace could not get rid
// of by asking again.
type GraphQLError struct {
	URL string // without credentials
	// Errors are GitHub's, each "TYPE: message (at path)".
	Errors   []string
	Attempts int
}

func (e *GraphQLError) Error() string {
	return fmt.Sprintf("POST %s: GitHub answered the query with errors (gave up after %d attempts): %s",
		e.URL, e.Attempts, strings.Join(e.Errors, "; "))
}

// aGraphQLAnswer is what a GraphQL answer must be.
var aGraphQLAnswer = shape{what: "a GraphQL answer (an object with data or errors)"}

// gqlTransport sends a GraphQL query until GitHub answers it whole.
type gqlTransport struct {
	next  http.RoundTripper // a limiter
	token string
	p     *policy
}

func (t *gqlTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	req.Header.Set("User-Agent", "codepace")
	for attempts, failures, limits := 1, 0, 0; ; attempts++ {
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body) // already in memory (attempt)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = newRawBody(body)
		problems, limited, err := t.judge(req, resp, body)
		if err != nil {
			return nil, err
		}
		if problems == nil && !limited {
			return resp, nil
		}
		var pause time.Duration
		if limited {
			limits++
			pause = time.Until(resetOf(resp.Header, t.p.secondaryWait)) + t.p.backoff
			if pause > t.p.maxWait || limits > maxLimitWaits {
				return nil, &HTTPError{Method: req.Method, URL: redact(req.URL), Status: resp.StatusCode, Message: "RATE_LIMITED",
					Attempts: attempts, Err: &rateLimited{fmt.Sprintf("(GraphQL) used up until %s; codepace waits at most %s: run again after the reset",
						time.Now().Add(pause).UTC().Format(time.RFC3339), t.p.maxWait)}}
			}
			t.p.log.Warn("github graphql rate limit used up, waiting for the reset", "url", redact(req.URL),
				"wait", pause.Round(time.Millisecond).String())
		} else {
			failures++
			if failures > t.p.retries {
				return nil, &GraphQLError{URL: redact(req.URL), Errors: problems, Attempts: attempts}
			}
			pause = httpx.Backoff(t.p.backoff, failures)
			t.p.log.Warn("github graphql query answered with errors, retrying", "url", redact(req.URL),
				"errors", strings.Join(problems, "; "), "attempt", attempts, "wait", pause.String())
		}
		if err := t.p.sleep(req.Context(), pause); err != nil {
			return nil, err
		}
	}
}

// judge reads an answer the limiter let through: an error for one that
// cannot be used and is not worth asking again for (another status than
// 200, not a GraphQL answer, a repository or node not found or not
// allowed), limited for RATE_LIMITED, else the errors GitHub put beside
// the data (nil for none).
func (t *gqlTransport) judge(req *http.Request, resp *http.Response, body []byte) (problems []string, limited bool, err error) {
	var a struct {
		Message string
		Data    json.RawMessage
		Errors  []struct {
			Type    string
			Message string
			Path    []any
		}
	}
	_ = json.Unmarshal(body, &a)
	if resp.StatusCode != http.StatusOK {
		return nil, false, &HTTPError{Method: req.Method, URL: redact(req.URL), Status: resp.StatusCode, Message: a.Message}
	}
	if p := answerProblem(body, resp.Header.Get("Content-Type"), aGraphQLAnswer); p != "" {
		return nil, false, &AnswerError{Method: req.Method, URL: redact(req.URL), Status: resp.StatusCode, Problem: p}
	}
	if len(a.Errors) == 0 && (len(a.Data) == 0 || string(a.Data) == "null") {
		return nil, false, &AnswerError{Method: req.Method, URL: redact(req.URL), Status: resp.StatusCode,
			Problem: "holds neither data nor errors"}
	}
	for _, e := range a.Errors {
		switch e.Type {
		case "RATE_LIMITED":
			return nil, true, nil
		case "NOT_FOUND", "FORBIDDEN":
			status := http.StatusNotFound
			if e.Type == "FORBIDDEN" {
				status = http.StatusForbidden
			}
			return nil, false, &HTTPError{Method: req.Method, URL: redact(req.URL), Status: status, Message: e.Message}
		}
		where := ""
		if len(e.Path) > 0 {
			where = fmt.Sprintf(" (at %v)", pathString(e.Path))
		}
		problems = append(problems, strings.TrimPrefix(e.Type+": ", ": ")+e.Message+where)
	}
	return problems, false, nil
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
		wait := time.Until(b.reset) + g.c.p.backoff
		if wait > g.c.p.maxWait {
			return &rateLimited{fmt.Sprintf("(GraphQL) %d points left, the last query cost %d, until %s; codepace waits at most %s: run again after the reset",
				b.remaining, b.cost, b.reset.UTC().Format(time.RFC3339), g.c.p.maxWait)}
		}
		g.log.Warn("github graphql budget too low for the next query, waiting for the reset", "remaining", b.remaining,
			"cost", b.cost, "wait", wait.Round(time.Millisecond).String())
		if err := g.c.p.sleep(ctx, max(wait, 0)); err != nil {
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
		return &AnswerError{Method: http.MethodPost, URL: g.gqlURL, Status: http.StatusOK,
			Problem: "does not decode as the query asked: " + err.Error()}
	}
	r := q.rate()
	g.c.mu.Lock()
	g.c.gql = budget{cost: int(r.Cost), remaining: int(r.Remaining), reset: r.ResetAt.Time, points: b.points + int(r.Cost)}
	g.c.mu.Unlock()
	return nil
}
