package githubtest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// GraphQL: POST /graphql (github.com) or /api/graphql (GitHub Enterprise)
// answers queries on the subset of GitHub's schema in schema.graphql,
// executed by graph-gophers/graphql-go over the same model the REST
// endpoints render. As GitHub does, the server
//
//   - computes a query's cost before running it, from its connections'
//     first/last arguments: one request per connection call, times the
//     most nodes its parents can return; the cost is that sum over 100,
//     rounded, at least 1 (rateLimit itself is free);
//   - refuses, with an error and no data, a connection without first or
//     last (MISSING_PAGINATION_BOUNDARIES), first or last over 100
//     (EXCESSIVE_PAGINATION) and more than 500,000 possible nodes
//     (MAX_NODE_LIMIT_EXCEEDED);
//   - spends the cost from a budget of GraphQLLimit points an hour, apart
//     from the REST budget, and once it is used up answers 200 with a
//     RATE_LIMITED error and x-ratelimit-remaining 0 until the reset;
//   - pages connections with opaque cursors (pageInfo.endCursor,
//     hasNextPage) and caps a pull request's commits at 250;
//   - shows a deleted account (Ghost) as a null author.
//
// SetPartial makes a pull request's reviews fail, for answers with both
// data and errors.

// GraphQLLimit is the GraphQL budget, in points an hour, as GitHub gives a
// user.
const GraphQLLimit = 5000

// GraphQL's node and page limits, as GitHub's.
const (
	maxFirst = 100
	maxNodes = 500000
)

//go:embed schema.graphql
var schemaText string

var schema = graphql.MustParseSchema(schemaText, &gqlRoot{}, graphql.MaxParallelism(1))

// connections are the fields of schema.graphql that are connections.
var connections = map[string]bool{"pullRequests": true, "reviews": true, "comments": true,
	"timelineItems": true, "commits": true}

// gqlError is one entry of a GraphQL answer's errors, with GitHub's type.
type gqlError struct {
	Type      string `json:"type,omitempty"`
	Path      []any  `json:"path,omitempty"`
	Locations []any  `json:"locations,omitempty"`
	Message   string `json:"message"`
}

// SetPartial makes the reviews of a pull request fail when f returns an
// error for its number: the answer then holds the data with reviews null
// and the error beside it, as GitHub answers when part of a query times out.
func (s *Server) SetPartial(f func(number int) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partial = f
}

// GraphQLUsed is how many GraphQL points the queries used.
func (s *Server) GraphQLUsed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.points
}

// SetGraphQLBudget sets what is left of the GraphQL budget and when it
// resets.
func (s *Server) SetGraphQLBudget(remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gqlRemaining, s.gqlReset = remaining, reset.Truncate(time.Second)
}

// GraphQLRequests is how many requests came to the GraphQL endpoint
// (the rest of Requests went to the REST API).
func (s *Server) GraphQLRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gqlRequests
}

// serveGraphQL answers one GraphQL request.
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.gqlRequests++
	s.mu.Unlock()
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusNotFound, errorBody("Not Found", "https://docs.github.com/graphql"))
		return
	}
	if s.token != "" && !s.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, errorBody("Bad credentials", "https://docs.github.com/graphql"))
		return
	}
	var in struct {
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables"`
		OperationName string         `json:"operationName"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody("Problems parsing JSON", "https://docs.github.com/graphql"))
		return
	}
	cost, nodes, errs := queryCost(in.Query, in.Variables)
	if errs != nil {
		s.gqlHeaders(w.Header())
		writeJSON(w, http.StatusOK, map[string]any{"errors": errs})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !time.Now().Before(s.gqlReset) {
		s.gqlRemaining, s.gqlReset = GraphQLLimit, time.Now().Add(time.Hour).Truncate(time.Second)
	}
	if s.gqlRemaining < cost {
		s.gqlHeadersLocked(w.Header())
		w.Header().Set("X-RateLimit-Remaining", "0")
		writeJSON(w, http.StatusOK, map[string]any{"errors": []gqlError{{Type: "RATE_LIMITED",
			Message: "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID 0685:5DDC:10B68F9:25FA1BE:62D6354D."}}})
		return
	}
	s.gqlRemaining -= cost
	s.points += cost
	ctx := context.WithValue(r.Context(), execKey{}, &execState{s: s, rate: rateR{cost: cost, nodes: nodes,
		remaining: s.gqlRemaining, reset: s.gqlReset}})
	resp := schema.Exec(ctx, in.Query, in.OperationName, in.Variables)
	out := map[string]any{}
	if len(resp.Data) > 0 {
		out["data"] = resp.Data
	}
	for _, e := range resp.Errors {
		ge := gqlError{Message: e.Message, Path: e.Path}
		if t, ok := e.Extensions["type"].(string); ok {
			ge.Type = t
		}
		for _, l := range e.Locations {
			ge.Locations = append(ge.Locations, map[string]int{"line": l.Line, "column": l.Column})
		}
		errs = append(errs, ge)
	}
	if errs != nil {
		out["errors"] = errs
	}
	s.gqlHeadersLocked(w.Header())
	writeJSON(w, http.StatusOK, out)
}

// gqlHeaders sets the x-ratelimit-* headers of the graphql resource.
func (s *Server) gqlHeaders(h http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gqlHeadersLocked(h)
}

// gqlHeadersLocked sets the x-ratelimit-* headers of the graphql resource;
// it runs with s.mu held.
func (s *Server) gqlHeadersLocked(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(GraphQLLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.gqlRemaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(GraphQLLimit-s.gqlRemaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.gqlReset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "graphql")
}

// queryCost computes a query's cost and node count as GitHub does, before
// it runs; errs are GitHub's errors for a query it refuses.
func queryCost(query string, vars map[string]any) (cost, nodes int, errs []gqlError) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return 0, 0, []gqlError{{Message: "Parse error: " + err.Error()}}
	}
	if len(doc.Operations) == 0 {
		return 0, 0, []gqlError{{Message: "No operation given"}}
	}
	requests := 0
	var walk func(set ast.SelectionSet, parents int)
	walk = func(set ast.SelectionSet, parents int) {
		for _, sel := range set {
			switch f := sel.(type) {
			case *ast.Field:
				children := parents
				if connections[f.Name] {
					n, ok := pageSize(f, vars)
					switch {
					case !ok:
						errs = append(errs, gqlError{Type: "MISSING_PAGINATION_BOUNDARIES",
							Message: fmt.Sprintf("You must provide a `first` or `last` value to properly paginate the `%s` connection.", f.Name)})
					case n > maxFirst:
						errs = append(errs, gqlError{Type: "EXCESSIVE_PAGINATION",
							Message: fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `first` limit of %d records.", n, f.Name, maxFirst)})
					}
					requests += parents
					children = parents * n
					nodes += children
				}
				walk(f.SelectionSet, children)
			case *ast.InlineFragment:
				walk(f.SelectionSet, parents)
			case *ast.FragmentSpread:
				if d := doc.Fragments.ForName(f.Name); d != nil {
					walk(d.SelectionSet, parents)
				}
			}
		}
	}
	walk(doc.Operations[0].SelectionSet, 1)
	if nodes > maxNodes {
		errs = append(errs, gqlError{Type: "MAX_NODE_LIMIT_EXCEEDED",
			Message: fmt.Sprintf("This query requests up to %d possible nodes which exceeds the maximum limit of %d.", nodes, maxNodes)})
	}
	return max(1, int(math.Round(float64(requests)/100))), nodes, errs
}

// pageSize returns a connection field's first (or last) argument.
func pageSize(f *ast.Field, vars map[string]any) (int, bool) {
	for _, name := range []string{"first", "last"} {
		a := f.Arguments.ForName(name)
		if a == nil {
			continue
		}
		v := a.Value
		if v.Kind == ast.Variable {
			switch n := vars[v.Raw].(type) {
			case float64:
				return int(n), true
			case int:
				return n, true
			}
			continue
		}
		if n, err := strconv.Atoi(v.Raw); err == nil {
			return n, true
		}
	}
	return 0, false
}
