package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	gt "github.com/codepace/codepace/collectors/github/githubtest"
	"github.com/codepace/codepace/collectors/httpx"
)

// bothAPIs collects repos once through each API, each from a server of
// its own, and returns what each stored.
func bothAPIs(t *testing.T, repos func() []*gt.Repo, mod func(*Options)) (rest, graphql *memSink) {
	t.Helper()
	run := func(api string) *memSink {
		srv := gt.New(token, repos()...)
		defer srv.Close()
		c, _ := newCollector(t, srv, func(o *Options) {
			o.API = api
			if mod != nil {
				mod(o)
			}
		})
		sink := newSink()
		if _, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink); err != nil {
			t.Fatalf("%s: %v", api, err)
		}
		return sink
	}
	return run(APIREST), run(APIGraphQL)
}

// sameChanges reports every difference between what two collections
// stored, field by field.
func sameChanges(t *testing.T, rest, graphql *memSink) {
	t.Helper()
	if len(rest.changes) != len(graphql.changes) {
		t.Errorf("REST stored %d changes, GraphQL %d", len(rest.changes), len(graphql.changes))
	}
	for k, r := range rest.changes {
		g, ok := graphql.changes[k]
		if !ok {
			t.Errorf("%s: not stored by GraphQL", k)
			continue
		}
		if reflect.DeepEqual(r, g) {
			continue
		}
		rm, gm := r.Messages, g.Messages
		r.Messages, g.Messages = nil, nil
		if !reflect.DeepEqual(r, g) {
			t.Errorf("%s:\nREST    %+v\nGraphQL %+v", k, r, g)
		}
		for i := range max(len(rm), len(gm)) {
			var a, b collectors.Message
			if i < len(rm) {
				a = rm[i]
			}
			if i < len(gm) {
				b = gm[i]
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s message %d:\nREST    %+v\nGraphQL %+v", k, i, a, b)
			}
		}
	}
}

// TestGraphQLSameChanges collects the scenario and a generated history
// through both APIs: every change, revision and message is the same.
func TestGraphQLSameChanges(t *testing.T) {
	t.Run("scenario", func(t *testing.T) {
		rest, graphql := bothAPIs(t, ghosted, nil)
		sameChanges(t, rest, graphql)
	})
	t.Run("generated", func(t *testing.T) {
		rest, graphql := bothAPIs(t, func() []*gt.Repo { return []*gt.Repo{overflowing(generated(300))} },
			func(o *Options) { o.PageSize = 100 })
		if len(rest.changes) != 300 {
			t.Fatalf("REST stored %d changes, want 300", len(rest.changes))
		}
		sameChanges(t, rest, graphql)
	})
}

// ghosted is the scenario with the ghost account where it has none: REST
// gives a deleted account as the ghost, GraphQL as null, which the GraphQL
// path reads as the ghost (a review without any user, as #6 has, is not
// something REST sends).
func ghosted() []*gt.Repo {
	repos := scenario()
	for _, r := range repos {
		for _, p := range r.Pulls {
			for i := range p.Reviews {
				if p.Reviews[i].User == nil {
					p.Reviews[i].User = gt.Ghost
				}
			}
		}
	}
	return repos
}

// overflowing gives some of repo's pull requests more reviews, review
// comments, comments, events and commits than a GraphQL page holds.
func overflowing(repo *gt.Repo) *gt.Repo {
	for i, p := range repo.Pulls {
		if i%50 != 7 {
			continue
		}
		base := int64(10_000_000 + i*10_000)
		at := p.Created.Add(time.Minute)
		for j := range graphQLReviews + 3 {
			rid := base + int64(j)
			p.Reviews = append(p.Reviews, gt.Review{ID: rid, User: carol, State: "COMMENTED", Body: fmt.Sprint("round ", j),
				Submitted: at.Add(time.Duration(j) * time.Second)})
			if j == 1 {
				for k := range graphQLReviewComments + 5 {
					p.ReviewComments = append(p.ReviewComments, gt.ReviewComment{ID: base + 1000 + int64(k), ReviewID: rid,
						User: carol, Body: "see here", Path: "a.go", Created: at})
				}
			}
		}
		for j := range graphQLNested + 4 {
			p.Comments = append(p.Comments, gt.Comment{ID: base + 3000 + int64(j), User: bob, Body: "+1", Created: at.Add(time.Duration(j) * time.Second)})
			p.Events = append(p.Events, gt.Event{ID: base + 5000 + int64(j), Event: "review_requested", Actor: alice, Reviewer: bob,
				At: at.Add(time.Duration(j) * time.Second)})
		}
		for j := range graphQLNested + 60 {
			p.Commits = append(p.Commits, commit(fmt.Sprintf("%032x%08x", i, j), alice, at, at.Add(time.Duration(j)*time.Second)))
		}
	}
	return repo
}

// TestGraphQLCost: a backfill of 1,000 pull requests costs at most 100
// requests, overflowing nested connections included, and an unchanged
// incremental run one request.
func TestGraphQLCost(t *testing.T) {
	const n = 1000
	repo := overflowing(generated(n))
	srv := gt.New(token, repo)
	defer srv.Close()
	c, _ := newCollector(t, srv, func(o *Options) { o.PageSize = 100 })
	st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, newSink())
	if err != nil {
		t.Fatal(err)
	}
	// A page of 10, then 20 pages of 50; 20 pull requests overflow: 1
	// query for their reviews, 1 for the comments of a review, 1 for
	// their comments, timeline and commits together.
	pages, overflowing := 1+(n-graphQLFirstPulls+graphQLPulls-1)/graphQLPulls, (n+42)/50
	want := pages + 3*overflowing
	t.Logf("GraphQL backfill of %d pull requests: %d requests, %d points", n, st.Requests, srv.GraphQLUsed())
	if st.Changes != n || st.Requests != want || srv.Requests() != want || want > 100 {
		t.Errorf("backfill: %+v, server %d requests; want %d requests, at most 100", st, srv.Requests(), want)
	}

	last := repo.Pulls[n-1].Updated
	srv.ResetCounters()
	st, err = c.Collect(context.Background(), collectors.Window{From: last.Add(time.Minute)}, newSink())
	if err != nil || st.Changes != 0 || st.Requests != 1 || srv.GraphQLUsed() != 2 {
		t.Errorf("unchanged incremental run: %+v, %v, %d points; want 1 request, 2 points", st, err, srv.GraphQLUsed())
	}
	srv.Update(func(repos []*gt.Repo) []*gt.Repo {
		p := repos[0].Pulls[n-2]
		p.Updated = last.Add(2 * time.Hour)
		p.Comments = append(p.Comments, gt.Comment{ID: 1, User: bob, Body: "Ping", Created: p.Updated})
		return repos
	})
	srv.ResetCounters()
	sink := newSink()
	st, err = c.Collect(context.Background(), collectors.Window{From: last.Add(time.Minute)}, sink)
	if err != nil || st.Changes != 1 || st.Requests != 1 || len(sink.change(t, n-1).Messages) == 0 {
		t.Errorf("incremental run with one new comment: %+v, %v; want 1 change in 1 request", st, err)
	}
}

// TestGraphQLRateLimited: a RATE_LIMITED answer is waited out, and a
// budget the last answer said is too low for the next query is waited for
// before sending it.
func TestGraphQLRateLimited(t *testing.T) {
	t.Run("RATE_LIMITED", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		srv.SetGraphQLBudget(0, time.Now().Add(1500*time.Millisecond))
		c, logs := newCollector(t, srv, nil)
		st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, newSink())
		if err != nil || st.Changes != 9 {
			t.Fatalf("%+v, %v", st, err)
		}
		if !strings.Contains(logs.String(), "rate limit used up, waiting for the reset") || !strings.Contains(logs.String(), "/api/graphql") {
			t.Errorf("the wait is not logged:\n%s", logs)
		}
	})
	t.Run("paced", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		srv.SetGraphQLBudget(2, time.Now().Add(1500*time.Millisecond))
		c, logs := newCollector(t, srv, nil) // PageSize 3: three queries of 1 point
		st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, newSink())
		if err != nil || st.Changes != 9 || st.Requests != 3 {
			t.Fatalf("%+v, %v; want 9 changes in 3 requests", st, err)
		}
		if !strings.Contains(logs.String(), "github graphql budget too low for the next query, waiting for the reset") ||
			strings.Contains(logs.String(), "rate limit used up") {
			t.Errorf("want a wait before the third query, and no RATE_LIMITED answer:\n%s", logs)
		}
	})
	t.Run("too far away", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		srv.SetGraphQLBudget(0, time.Now().Add(2*time.Hour))
		c, _ := newCollector(t, srv, nil)
		sink := newSink()
		_, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
		if !errors.Is(err, httpx.ErrRateLimited) || len(sink.Cursors) != 0 || srv.Requests() != 1 {
			t.Errorf("error %v, cursors %v, %d requests; want httpx.ErrRateLimited after 1 request", err, sink.Cursors, srv.Requests())
		}
	})
}

// TestGraphQLPartialErrors: an answer with errors beside its data is asked
// again; errors that stay fail the collection, naming them, and leave the
// cursor.
func TestGraphQLPartialErrors(t *testing.T) {
	timeout := errors.New("Something went wrong while executing your query. This may be the result of a timeout.")
	t.Run("recovers", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		var failures atomic.Int32
		srv.SetPartial(func(n int) error {
			if n == 5 && failures.Add(1) <= 2 {
				return timeout
			}
			return nil
		})
		c, logs := newCollector(t, srv, nil)
		rest, _ := bothAPIs(t, scenario, nil)
		sink := newSink()
		if _, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "request failed, retrying") || !strings.Contains(logs.String(), "answered the query with errors") || failures.Load() != 3 {
			t.Errorf("%d failures; retries not logged:\n%s", failures.Load(), logs)
		}
		if !reflect.DeepEqual(sink.change(t, 5), rest.change(t, 5)) {
			t.Errorf("#5 after retries differs from REST's")
		}
	})
	t.Run("gives up", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		srv.SetPartial(func(n int) error {
			if n == 5 {
				return timeout
			}
			return nil
		})
		c, _ := newCollector(t, srv, func(o *Options) { o.Retries = 1 })
		sink := newSink()
		_, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, sink)
		var ge *httpx.Error
		if !errors.As(err, &ge) || ge.Attempts != 2 || !strings.Contains(err.Error(), "answered the query with errors") || !strings.Contains(err.Error(), "may be the result of a timeout") ||
			!strings.Contains(err.Error(), "repository.pullRequests.nodes.1.reviews") {
			t.Fatalf("error %v", err)
		}
		// #9 #8 #7 are stored; the page with #5 is not, nor the cursor.
		if len(sink.changes) != 3 || len(sink.Cursors) != 0 {
			t.Errorf("stored %d, cursors %v", len(sink.changes), sink.Cursors)
		}
	})
}

// TestGraphQLOneRetryLoop: httpx's retry loop is the only one under
// GraphQL: a 5xx and errors inside a 200 answer use up one budget of
// Retries, counted in one number of attempts, and RATE_LIMITED waits are
// counted apart, up to httpx's Limits.Times.
func TestGraphQLOneRetryLoop(t *testing.T) {
	// errorsIn200 answers a query with errors and no data, as GitHub does
	// when a query times out whole.
	errorsIn200 := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":null,"errors":[{"message":"Something went wrong while executing your query."}]}`))
	}
	rateLimited := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(time.Now().Unix()))
		w.Write([]byte(`{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}`))
	}
	t.Run("5xx and errors share the retries", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		var n atomic.Int32
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			if n.Add(1)%2 == 0 {
				errorsIn200(w)
			} else {
				gt.ServerError(w, http.StatusBadGateway)
			}
			return true
		})
		c, _ := newCollector(t, srv, func(o *Options) { o.Retries = 2 })
		_, err := c.Collect(context.Background(), collectors.Window{From: t0}, newSink())
		var he *httpx.Error
		// 502, errors, 502: a second loop over httpx's would ask again.
		if !errors.As(err, &he) || he.Status != http.StatusBadGateway || he.Attempts != 3 || srv.Requests() != 3 ||
			!strings.HasSuffix(err.Error(), "(gave up after 3 attempts)") {
			t.Fatalf("error %v (%#v) after %d requests; want HTTP 502 after 3 attempts", err, he, srv.Requests())
		}
	})
	t.Run("errors last", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		var n atomic.Int32
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			if n.Add(1) == 1 {
				gt.ServerError(w, http.StatusServiceUnavailable)
			} else {
				errorsIn200(w)
			}
			return true
		})
		c, _ := newCollector(t, srv, func(o *Options) { o.Retries = 1 })
		_, err := c.Collect(context.Background(), collectors.Window{From: t0}, newSink())
		var he *httpx.Error
		want := "POST " + srv.URL() + "/api/graphql: GitHub answered the query with errors: Something went wrong while executing your query. (gave up after 2 attempts)"
		if !errors.As(err, &he) || he.Status != http.StatusOK || he.Attempts != 2 || srv.Requests() != 2 || he.Error() != want {
			t.Fatalf("error %v after %d requests; want\n%s", err, srv.Requests(), want)
		}
	})
	t.Run("RATE_LIMITED waits leave the retries", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		var n atomic.Int32
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			switch n.Add(1) {
			case 1:
				errorsIn200(w)
			case 2, 3, 4:
				rateLimited(w)
			default:
				return false
			}
			return true
		})
		c, logs := newCollector(t, srv, func(o *Options) { o.Retries = 1 })
		st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, newSink())
		if err != nil || st.Changes != 9 || st.Requests != 4+3 {
			t.Fatalf("%+v, %v; want 9 changes in 4 refused and 3 good requests", st, err)
		}
		if got := strings.Count(logs.String(), "rate limit used up, waiting for the reset"); got != 3 {
			t.Errorf("%d waits logged, want 3:\n%s", got, logs)
		}
	})
	t.Run("RATE_LIMITED keeps coming", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			rateLimited(w)
			return true
		})
		c, _ := newCollector(t, srv, nil)
		sink := newSink()
		_, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
		var he *httpx.Error
		// Five waits, then the sixth answer gives up.
		if !errors.As(err, &he) || !errors.Is(err, httpx.ErrRateLimited) || he.Attempts != 6 || srv.Requests() != 6 ||
			he.Message != "RATE_LIMITED" || !strings.Contains(err.Error(), "/api/graphql") || !strings.Contains(err.Error(), "hit 6 times") ||
			len(sink.Cursors) != 0 {
			t.Fatalf("error %v after %d requests, cursors %v; want httpx.ErrRateLimited after 6", err, srv.Requests(), sink.Cursors)
		}
	})
}

// TestGraphQLBadAnswers: a refused token, a page that is not a GraphQL
// answer and a 5xx are reported or retried as on the REST path.
func TestGraphQLBadAnswers(t *testing.T) {
	t.Run("401", func(t *testing.T) {
		srv := gt.New("another-token", scenario()...)
		defer srv.Close()
		c, logs := newCollector(t, srv, nil)
		_, err := c.Collect(context.Background(), collectors.Window{From: t0}, newSink())
		var he *httpx.Error
		if !errors.As(err, &he) || he.Status != http.StatusUnauthorized || !strings.Contains(err.Error(), srv.URL()+"/api/graphql") ||
			!strings.Contains(err.Error(), "Bad credentials") || !strings.Contains(err.Error(), "token_env") || srv.Requests() != 1 {
			t.Fatalf("error %v after %d requests, want one 401", err, srv.Requests())
		}
		if strings.Contains(err.Error(), token) || strings.Contains(logs.String(), token) {
			t.Errorf("the token leaks: %v", err)
		}
	})
	t.Run("HTML", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><head><title>Sign in to your account</title></head></html>"))
			return true
		})
		c, _ := newCollector(t, srv, nil)
		sink := newSink()
		_, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
		if !errors.Is(err, httpx.ErrNotJSON) || !strings.Contains(err.Error(), "Sign in to your account") || len(sink.Cursors) != 0 {
			t.Fatalf("error %v, cursors %v", err, sink.Cursors)
		}
	})
	t.Run("5xx", func(t *testing.T) {
		srv := gt.New(token, scenario()...)
		defer srv.Close()
		var n atomic.Int32
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			if n.Add(1) <= 2 {
				gt.ServerError(w, http.StatusBadGateway)
				return true
			}
			return false
		})
		c, _ := newCollector(t, srv, nil)
		st, err := c.Collect(context.Background(), collectors.Window{From: t0.AddDate(0, 0, -1)}, newSink())
		if err != nil || st.Changes != 9 || st.Requests != 5 {
			t.Fatalf("%+v, %v; want 9 changes in 2 failed and 3 good requests", st, err)
		}
	})
}

func TestEventDatabaseID(t *testing.T) {
	for _, tt := range []struct {
		node string
		id   int64
		ok   bool
	}{
		{gt.EventNodeID("RFRE", 12345678901), 12345678901, true},
		{"RFRE_lADNAQjNAcjPAAAAAePNlYo", 8116868490, true},  // [0, 264, 456, 8116868490]
		{"MDE5OlJlYWR5Rm9yUmV2aWV3RXZlbnQ1MDA=", 500, true}, // 019:ReadyForReviewEvent500
		{"MDE5OlJlYWR5Rm9yUmV2aWV3RXZlbnQ=", 0, false},      // no id
		{"RFRE_!!", 0, false},
		{"", 0, false},
	} {
		id, ok := eventDatabaseID(tt.node)
		if id != tt.id || ok != tt.ok {
			t.Errorf("eventDatabaseID(%q) = %d, %v; want %d, %v", tt.node, id, ok, tt.id, tt.ok)
		}
	}
}
