package githubtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// gqlRepo is a repository of n pull requests, each with a review holding
// a comment, two issue comments, a merge and three commits.
func gqlRepo(n int) *Repo {
	org := &User{Login: "acme", ID: 9001, Type: "Organization"}
	alice := &User{Login: "alice", ID: 1001, Type: "User"}
	bot := &User{Login: "lint[bot]", ID: 2001, Type: "Bot"}
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)
	repo := &Repo{Owner: org, Name: "widgets", ID: 77001}
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Hour)
		p := &Pull{Number: i + 1, ID: int64(5000 + i), Title: fmt.Sprintf("PR %d", i+1), User: alice, State: "closed",
			Created: at, Updated: at.Add(time.Minute), Closed: at.Add(time.Minute), Merged: at.Add(time.Minute),
			Reviews:        []Review{{ID: int64(7000 + i), User: bot, State: "COMMENTED", Submitted: at}},
			ReviewComments: []ReviewComment{{ID: int64(8000 + i), ReviewID: int64(7000 + i), User: bot, Body: "nit", Created: at}},
			Comments:       []Comment{{ID: int64(9000 + 2*i), User: Ghost, Created: at}, {ID: int64(9001 + 2*i), User: alice, Created: at}},
			Events:         []Event{{ID: int64(6000 + i), Event: "merged", Actor: alice, At: at.Add(time.Minute)}},
		}
		for j := range 3 {
			p.Commits = append(p.Commits, Commit{SHA: fmt.Sprintf("%039x%d", i, j), Author: alice, Authored: at, Committed: at})
		}
		repo.Pulls = append(repo.Pulls, p)
	}
	return repo
}

type gqlAnswer struct {
	Data   json.RawMessage
	Errors []gqlError
}

func postQuery(t *testing.T, s *Server, query string, vars map[string]any) (gqlAnswer, http.Header) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	var a gqlAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a, resp.Header
}

const pageQuery = `query($first: Int!, $after: String) {
  rateLimit { cost remaining nodeCount }
  repository(owner: "acme", name: "widgets") {
    pullRequests(first: $first, after: $after, orderBy: {field: UPDATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        number state author { login ... on User { databaseId } }
        reviews(first: 10) { nodes { databaseId state author { __typename login } comments(first: 10) { totalCount nodes { databaseId } } } }
        comments(first: 10) { nodes { databaseId author { login } } }
        timelineItems(first: 10, itemTypes: [MERGED_EVENT]) { nodes { __typename ... on MergedEvent { id commit { oid } } } }
        commits(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { commit { oid } } }
      }
    }
  }
}`

// TestGraphQLPages pages through pull requests and checks the cost, the
// cursors, the nested connections and the budget.
func TestGraphQLPages(t *testing.T) {
	s := New("tok", gqlRepo(5))
	defer s.Close()
	var after any
	var numbers []int
	for page := 0; ; page++ {
		a, h := postQuery(t, s, pageQuery, map[string]any{"first": 2, "after": after})
		if len(a.Errors) > 0 {
			t.Fatalf("errors: %+v", a.Errors)
		}
		var d struct {
			RateLimit  struct{ Cost, Remaining, NodeCount int }
			Repository struct {
				PullRequests struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
					Nodes []struct {
						Number  int
						State   string
						Author  struct{ Login string }
						Reviews struct {
							Nodes []struct {
								Author struct {
									Typename string `json:"__typename"`
								}
								Comments struct{ TotalCount int }
							}
						}
						Comments struct {
							Nodes []struct{ Author *struct{ Login string } }
						}
						TimelineItems struct {
							Nodes []struct {
								Typename string `json:"__typename"`
								ID       string
							}
						}
						Commits struct {
							TotalCount int
							PageInfo   struct{ HasNextPage bool }
							Nodes      []any
						}
					}
				}
			}
		}
		if err := json.Unmarshal(a.Data, &d); err != nil {
			t.Fatal(err)
		}
		// 1 + 2 pull requests × (reviews, comments, timeline, commits) + 2 × 10 reviews' comments = 29 requests: cost 1.
		if d.RateLimit.Cost != 1 || d.RateLimit.NodeCount != 2+2*(10+10*10+10+10+2) {
			t.Errorf("rateLimit %+v", d.RateLimit)
		}
		if want := GraphQLLimit - page - 1; d.RateLimit.Remaining != want || h.Get("X-RateLimit-Remaining") != fmt.Sprint(want) {
			t.Errorf("remaining %d, header %s; want %d", d.RateLimit.Remaining, h.Get("X-RateLimit-Remaining"), want)
		}
		for _, p := range d.Repository.PullRequests.Nodes {
			numbers = append(numbers, p.Number)
			if p.State != "MERGED" || p.Author.Login != "alice" || len(p.Reviews.Nodes) != 1 ||
				p.Reviews.Nodes[0].Author.Typename != "Bot" || p.Reviews.Nodes[0].Comments.TotalCount != 1 ||
				len(p.Comments.Nodes) != 2 || p.Comments.Nodes[0].Author != nil ||
				len(p.TimelineItems.Nodes) != 1 || p.TimelineItems.Nodes[0].Typename != "MergedEvent" ||
				p.Commits.TotalCount != 3 || !p.Commits.PageInfo.HasNextPage || len(p.Commits.Nodes) != 2 {
				t.Errorf("pull request %+v", p)
			}
			if id, want := p.TimelineItems.Nodes[0].ID, EventNodeID("ME", int64(6000+p.Number-1)); id != want {
				t.Errorf("event id %s, want %s", id, want)
			}
		}
		if !d.Repository.PullRequests.PageInfo.HasNextPage {
			break
		}
		after = d.Repository.PullRequests.PageInfo.EndCursor
	}
	if fmt.Sprint(numbers) != "[5 4 3 2 1]" {
		t.Errorf("pull requests %v, want newest update first", numbers)
	}
	if s.GraphQLUsed() != 3 || s.Requests() != 3 || s.GraphQLRequests() != 3 {
		t.Errorf("%d points, %d requests (%d GraphQL); want 3, 3, 3", s.GraphQLUsed(), s.Requests(), s.GraphQLRequests())
	}
}

// TestGraphQLErrors checks the answers GitHub gives to queries it refuses,
// to a used-up budget, and to a query that fails in part.
func TestGraphQLErrors(t *testing.T) {
	s := New("tok", gqlRepo(3))
	defer s.Close()
	for _, c := range []struct{ query, typ string }{
		{`{ repository(owner: "acme", name: "widgets") { pullRequests { totalCount } } }`, "MISSING_PAGINATION_BOUNDARIES"},
		{`{ repository(owner: "acme", name: "widgets") { pullRequests(first: 101) { totalCount } } }`, "EXCESSIVE_PAGINATION"},
		{`{ repository(owner: "acme", name: "widgets") { pullRequests(first: 100) { nodes { reviews(first: 100) { nodes { comments(first: 100) { totalCount } } } } } } }`, "MAX_NODE_LIMIT_EXCEEDED"},
		{`{ repository(owner: "acme", name: "nope") { id } }`, "NOT_FOUND"},
	} {
		a, _ := postQuery(t, s, c.query, nil)
		if len(a.Errors) != 1 || a.Errors[0].Type != c.typ {
			t.Errorf("%s: errors %+v, want one %s", c.query, a.Errors, c.typ)
		}
	}

	s.SetPartial(func(n int) error {
		if n == 2 {
			return errors.New("Something went wrong while executing your query. This may be the result of a timeout.")
		}
		return nil
	})
	a, _ := postQuery(t, s, `{ repository(owner: "acme", name: "widgets") { pullRequests(first: 3) { nodes { number reviews(first: 5) { totalCount } } } } }`, nil)
	if len(a.Errors) != 1 || fmt.Sprint(a.Errors[0].Path) != "[repository pullRequests nodes 1 reviews]" ||
		!strings.Contains(string(a.Data), `"number":2,"reviews":null`) || !strings.Contains(string(a.Data), `"number":3,"reviews":{"totalCount":1}`) {
		t.Errorf("partial answer: data %s, errors %+v", a.Data, a.Errors)
	}
	s.SetPartial(nil)

	s.SetGraphQLBudget(0, time.Now().Add(time.Hour))
	a, h := postQuery(t, s, `{ rateLimit { remaining } }`, nil)
	if len(a.Errors) != 1 || a.Errors[0].Type != "RATE_LIMITED" || a.Data != nil || h.Get("X-RateLimit-Remaining") != "0" ||
		h.Get("X-RateLimit-Resource") != "graphql" {
		t.Errorf("used-up budget: %+v, %v", a, h)
	}
}
