package github

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	gt "github.com/codepace/codepace/collectors/github/githubtest"
)

// generated returns a repository with n pull requests of a common mix:
// half merged with an approval, a third with an issue comment, a quarter
// with a review comment.
func generated(n int) *gt.Repo {
	var pulls []*gt.Pull
	for i := range n {
		created := t0.Add(time.Duration(i) * 2 * time.Hour)
		p := &gt.Pull{
			Number: i + 1, ID: int64(900000 + i), Title: fmt.Sprintf("Change %d", i+1), User: alice, State: "open",
			Created: created, Updated: created.Add(time.Hour), Additions: 10, Deletions: 2,
			Commits: []gt.Commit{commit(fmt.Sprintf("%040x", 0xc000+i), alice, created.Add(-time.Hour), created)},
		}
		if i%2 == 0 {
			p.State, p.Closed, p.Merged, p.MergedBy = "closed", created.Add(time.Hour), created.Add(time.Hour), bob
			p.Reviews = []gt.Review{{ID: int64(700000 + i), User: bob, State: "APPROVED", Submitted: created.Add(30 * time.Minute)}}
			p.Events = []gt.Event{
				{ID: int64(800000 + 2*i), Event: "merged", Actor: bob, At: created.Add(time.Hour)},
				{ID: int64(800001 + 2*i), Event: "closed", Actor: bob, At: created.Add(time.Hour)},
			}
		}
		if i%3 == 0 {
			p.Comments = []gt.Comment{{ID: int64(600000 + i), User: carol, Body: "Nice", Created: created.Add(10 * time.Minute)}}
		}
		if i%4 == 0 {
			p.ReviewComments = []gt.ReviewComment{{ID: int64(650000 + i), ReviewID: int64(700000 + i), User: bob,
				Body: "nit", Path: "x.go", Created: created.Add(20 * time.Minute)}}
		}
		pulls = append(pulls, p)
	}
	return &gt.Repo{Owner: org, Name: "widgets", ID: 77001, Pulls: pulls}
}

// TestRequestCost measures what a REST backfill and incremental run cost,
// in requests and in primary rate limit budget (a 304 costs none).
func TestRequestCost(t *testing.T) {
	const n = 250
	repo := generated(n)
	srv := gt.New(token, repo)
	defer srv.Close()
	withComments, withReviewComments := 0, 0
	for _, p := range repo.Pulls {
		if len(p.Comments) > 0 {
			withComments++
		}
		if len(p.ReviewComments) > 0 {
			withReviewComments++
		}
	}
	last := repo.Pulls[n-1].Updated
	opts := func(o *Options) { o.PageSize = 100; o.API = APIREST }
	run := func(c *Collector, from time.Time) (collectors.Stats, int, int) {
		t.Helper()
		srv.ResetCounters()
		st, err := c.Collect(context.Background(), collectors.Window{From: from}, newSink())
		if err != nil {
			t.Fatal(err)
		}
		return st, srv.NotModified(), srv.Used()
	}
	daemon, _ := newCollector(t, srv, opts) // kept between runs, as a daemon can

	st, nm, used := run(daemon, t0.AddDate(0, 0, -1))
	want := (n+99)/100 + 4*n + withComments + withReviewComments
	t.Logf("backfill of %d pull requests: %d requests (%d list pages + 4 per PR + %d with comments + %d with review comments), budget used %d",
		n, st.Requests, (n+99)/100, withComments, withReviewComments, used)
	if st.Changes != n || st.Requests != want || used != want || nm != 0 {
		t.Errorf("backfill: %d changes, %d requests, %d used, %d not modified; want %d requests", st.Changes, st.Requests, used, nm, want)
	}

	// Incremental runs start at the cursor minus the overlap; nothing was
	// updated since.
	from := last.Add(time.Minute)
	fresh, _ := newCollector(t, srv, opts)
	st, nm, used = run(fresh, from)
	t.Logf("unchanged incremental run, new collector: %d requests, budget used %d", st.Requests, used)
	if st.Changes != 0 || st.Requests != 1 || used != 1 || nm != 0 {
		t.Errorf("unchanged, new collector: %+v, %d used, %d not modified; want 1 request", st, used, nm)
	}
	st, nm, used = run(daemon, from)
	t.Logf("unchanged incremental run, kept collector: %d requests, %d answered 304, budget used %d", st.Requests, nm, used)
	if st.Requests != 1 || nm != 1 || used != 0 {
		t.Errorf("unchanged, kept collector: %+v, %d used, %d not modified; want 1 request, a 304", st, used, nm)
	}

	// A full re-read by the kept collector is all 304s.
	st, nm, used = run(daemon, t0.AddDate(0, 0, -1))
	t.Logf("full re-read of unchanged data, kept collector: %d requests, %d answered 304, budget used %d", st.Requests, nm, used)
	if st.Changes != n || st.Requests != want || nm != want || used != 0 {
		t.Errorf("re-read: %+v, %d used, %d not modified", st, used, nm)
	}

	// One pull request gets a comment: the list page, the pull request,
	// its comments and its timeline changed; its reviews and commits did
	// not.
	srv.Update(func(repos []*gt.Repo) []*gt.Repo {
		p := repos[0].Pulls[n-1]
		p.Updated = last.Add(2 * time.Hour)
		p.Comments = append(p.Comments, gt.Comment{ID: 1, User: bob, Body: "Ping", Created: p.Updated})
		return repos
	})
	st, nm, used = run(daemon, from)
	t.Logf("incremental run with one new comment, kept collector: %d requests, %d answered 304, budget used %d", st.Requests, nm, used)
	if st.Changes != 1 || st.Requests != 6 || used != 4 {
		t.Errorf("one comment: %+v, %d used, %d not modified; want 6 requests, 4 used", st, used, nm)
	}
}
