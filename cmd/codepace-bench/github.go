package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"text/tabwriter"
	"time"

	gt "github.com/codepace/codepace/collectors/github/githubtest"
)

// -github measures GitHub collection through each API on one generated
// repository per size, from the GitHub test server (served by this
// process, every answer delayed by -delay):
//
//	go run ./cmd/codepace-bench -github -sizes 1000,10000 -delay 10ms
//
// For each size and API (rest, then graphql) it runs `codepace run` (a
// backfill: collect and compute) into a database of its own and then an
// idle `codepace run`, and reports requests, GraphQL points, REST budget
// used, wall time and peak RSS, and whether the two databases' change_metrics
// rows are the same.

// githubToken is the token the bench's test server wants.
const githubToken = "bench-github-token"

// benchBudget is the test server's REST and GraphQL budget in a bench.
const benchBudget = 1 << 30

// githubResult holds the figures of one size and API.
type githubResult struct {
	n             int
	api           string
	backfill      step
	idle          step
	points, rest  int // GraphQL points and REST budget used by the backfill
	idlePoints    int
	metricsDigest string // change_metrics rows, for the comparison
}

func measureGitHub(ctx context.Context, out io.Writer, o options, delay time.Duration) error {
	dir, err := os.MkdirTemp("", "codepace-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if b, err := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, "codepace"), "./cmd/codepace").CombinedOutput(); err != nil {
		return fmt.Errorf("build codepace (run from the repository root): %v\n%s", err, b)
	}
	if err := os.Setenv("BENCH_GITHUB_TOKEN", githubToken); err != nil {
		return err
	}
	var results []githubResult
	for _, n := range o.sizes {
		// Both APIs read the same history: the same start, the same seed.
		start := time.Now().UTC().AddDate(-2, 0, 0).Truncate(24 * time.Hour)
		for _, api := range []string{"rest", "graphql"} {
			r, err := measureGitHubAPI(ctx, dir, n, api, start, o, delay)
			if err != nil {
				return fmt.Errorf("%d pull requests, %s: %w", n, api, err)
			}
			results = append(results, r)
			reportGitHub(out, results, delay)
		}
	}
	return nil
}

func measureGitHubAPI(ctx context.Context, dir string, n int, api string, start time.Time, o options, delay time.Duration) (githubResult, error) {
	r := githubResult{n: n, api: api}
	srv := gt.New(githubToken, generateRepo(n, o.seed, start))
	defer srv.Close()
	// Budgets no run uses up: the bench measures what a run costs, not how
	// long GitHub makes it wait (a REST backfill of 1,000 pull requests
	// needs more than the 5,000 requests an hour GitHub gives).
	srv.SetBudget(benchBudget, time.Now().Add(24*time.Hour))
	srv.SetGraphQLBudget(benchBudget, time.Now().Add(24*time.Hour))
	if delay > 0 {
		srv.SetFault(func(http.ResponseWriter, *http.Request) bool {
			time.Sleep(delay)
			return false
		})
	}
	db := fmt.Sprintf("codepace_bench_github_%d_%s", n, api)
	conf := filepath.Join(dir, db+".yaml")
	body := fmt.Sprintf(`clickhouse: {addr: %q, database: %s}
sources:
  - name: hub
    type: github
    owner: bench
    repos: [widgets]
    token_env: BENCH_GITHUB_TOKEN
    base_url: %s
    api: %s
    since: %s
`, o.clickhouse, db, srv.URL(), api, start.AddDate(0, 0, -1).Format("2006-01-02"))
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return r, err
	}
	if err := dropDatabase(ctx, db); err != nil {
		return r, err
	}
	if !o.keep {
		defer dropDatabase(context.WithoutCancel(ctx), db)
	}
	run := func() (step, error) { return timed(ctx, filepath.Join(dir, "codepace"), "run", "--config", conf) }
	var err error
	if r.backfill, err = run(); err != nil {
		return r, err
	}
	r.points, r.rest = srv.GraphQLUsed(), srv.Requests()-srv.GraphQLRequests()-srv.NotModified()
	srv.ResetCounters()
	srv.SetBudget(benchBudget, time.Now().Add(24*time.Hour))
	srv.SetGraphQLBudget(benchBudget, time.Now().Add(24*time.Hour))
	if r.idle, err = run(); err != nil {
		return r, err
	}
	r.idlePoints = srv.GraphQLUsed()
	cmd := exec.CommandContext(ctx, "clickhouse-client", "-q",
		"SELECT * FROM "+db+".change_metrics ORDER BY source, project, number FORMAT TSV")
	b, err := cmd.Output()
	if err != nil {
		return r, fmt.Errorf("reading change_metrics: %v", err)
	}
	r.metricsDigest = string(b)
	return r, nil
}

func reportGitHub(w io.Writer, results []githubResult, delay time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PRs\tapi\trequests\tGraphQL points\tREST budget\twall s\tpeak RSS MB\tidle requests\tidle points\tchange_metrics\t")
	for _, r := range results {
		same := "reference"
		if r.api != "rest" {
			same = "no REST run"
			for _, ref := range results {
				if ref.n == r.n && ref.api == "rest" {
					same = "differs"
					if ref.metricsDigest == r.metricsDigest {
						same = "same"
					}
				}
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%.1f\t%.0f\t%d\t%d\t%s\t\n", r.n, r.api, r.backfill.requests, r.points, r.rest,
			r.backfill.wall.Seconds(), float64(r.backfill.rssKB)/1024, r.idle.requests, r.idlePoints, same)
	}
	tw.Flush()
	last := results[len(results)-1]
	fmt.Fprintf(w, "(every answer delayed %s; the %s backfill of %d stored %d pull requests in %d change_metrics rows)\n\n",
		delay, last.api, last.n, last.backfill.changes, countLines(last.metricsDigest))
}

func countLines(s string) int {
	n := 0
	for _, c := range s {
		if c == '\n' {
			n++
		}
	}
	return n
}

// generateRepo is a repository of n pull requests, one to three hours
// apart, with the mix of a busy project: most merged after one to four
// reviews, some abandoned, a fifth opened as drafts, comments, review
// comments, review requests, bots, one to eight commits; one in fifty is
// large (more reviews, comments, review comments, events and commits than
// a GraphQL page holds).
func generateRepo(n int, seed int64, start time.Time) *gt.Repo {
	rng := rand.New(rand.NewPCG(uint64(seed), 17))
	owner := &gt.User{Login: "bench", ID: 9001, Type: "Organization"}
	var people []*gt.User
	for i := range 40 {
		people = append(people, &gt.User{Login: fmt.Sprintf("dev%02d", i), ID: int64(1000 + i), Type: "User"})
	}
	bot := &gt.User{Login: "lint[bot]", ID: 2001, Type: "Bot"}
	repo := &gt.Repo{Owner: owner, Name: "widgets", ID: 77001}
	id := int64(1_000_000)
	next := func() int64 { id++; return id }
	at := start
	for i := range n {
		at = at.Add(time.Duration(60+rng.IntN(120)) * time.Minute)
		author := people[rng.IntN(len(people))]
		other := func() *gt.User {
			for {
				if u := people[rng.IntN(len(people))]; u != author {
					return u
				}
			}
		}
		large := i%50 == 25
		p := &gt.Pull{Number: i + 1, ID: next(), Title: fmt.Sprintf("Change %d", i+1), User: author, State: "open",
			Created: at, Additions: rng.IntN(500), Deletions: rng.IntN(200), Files: 1 + rng.IntN(20)}
		t := at
		tick := func() time.Time { t = t.Add(time.Duration(5+rng.IntN(240)) * time.Minute); return t }
		for j := range 1 + rng.IntN(8) + map[bool]int{true: 150}[large] {
			c := tick()
			p.Commits = append(p.Commits, gt.Commit{SHA: fmt.Sprintf("%032x%08x", i, j), Message: "work", Author: author,
				Committer: author, AuthorName: author.Login, AuthorEmail: author.Login + "@example.org", Authored: c.Add(-time.Hour),
				CommitterName: author.Login, CommitterEmail: author.Login + "@example.org", Committed: c})
		}
		if rng.IntN(5) == 0 {
			p.Events = append(p.Events, gt.Event{ID: next(), Event: "ready_for_review", Actor: author, At: tick()})
		}
		for range rng.IntN(3) + map[bool]int{true: 110}[large] {
			p.Events = append(p.Events, gt.Event{ID: next(), Event: "review_requested", Actor: author, Reviewer: other(), At: tick()})
		}
		if rng.IntN(3) == 0 {
			p.Reviews = append(p.Reviews, gt.Review{ID: next(), User: bot, State: "COMMENTED", Body: "2 warnings", Submitted: tick()})
		}
		for j := range rng.IntN(4) + map[bool]int{true: 30}[large] {
			rv := gt.Review{ID: next(), User: other(), State: []string{"COMMENTED", "CHANGES_REQUESTED", "APPROVED"}[rng.IntN(3)],
				Submitted: tick(), CommitID: p.Commits[len(p.Commits)-1].SHA}
			if rng.IntN(2) == 0 {
				rv.Body = "Looks reasonable"
			}
			p.Reviews = append(p.Reviews, rv)
			for range rng.IntN(3) + map[bool]int{true: 25}[large && j == 0] {
				p.ReviewComments = append(p.ReviewComments, gt.ReviewComment{ID: next(), ReviewID: rv.ID, User: rv.User,
					Body: "nit", Path: "main.go", Created: rv.Submitted.Add(-time.Minute), CommitID: rv.CommitID})
			}
		}
		for range rng.IntN(4) + map[bool]int{true: 120}[large] {
			p.Comments = append(p.Comments, gt.Comment{ID: next(), User: people[rng.IntN(len(people))], Body: "Thoughts?", Created: tick()})
		}
		switch k := rng.IntN(10); {
		case k < 6:
			end := tick()
			p.State, p.Closed, p.Merged, p.MergedBy = "closed", end, end, other()
			p.Events = append(p.Events, gt.Event{ID: next(), Event: "merged", Actor: p.MergedBy, At: end, CommitID: fmt.Sprintf("%040x", p.ID)},
				gt.Event{ID: next(), Event: "closed", Actor: p.MergedBy, At: end})
		case k < 7:
			end := tick()
			p.State, p.Closed = "closed", end
			p.Events = append(p.Events, gt.Event{ID: next(), Event: "closed", Actor: author, At: end})
		}
		p.Updated = tick()
		repo.Pulls = append(repo.Pulls, p)
	}
	return repo
}
