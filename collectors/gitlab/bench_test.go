package gitlab

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	glt "github.com/codepace/codepace/collectors/gitlab/gitlabtest"
)

// benchModel is one project with n merge requests (6 notes and 3 commits
// each, 8 authors) and n/2 pipelines of 4 jobs.
func benchModel(n int) *glt.Project {
	users := make([]*glt.User, 8)
	for i := range users {
		users[i] = &glt.User{ID: int64(100 + i), Username: fmt.Sprintf("user%d", i), Name: fmt.Sprintf("User %d", i)}
	}
	p := &glt.Project{ID: 1, Path: "bench/app"}
	for i := range n {
		at := T0.Add(time.Duration(i) * time.Hour)
		mr := &glt.MergeRequest{ID: int64(1000 + i), IID: int64(i + 1), Title: "change", Author: users[i%8], State: "merged",
			TargetBranch: "main", Created: at, Updated: at.Add(day), Merged: at.Add(day)}
		for k := range 3 {
			mr.Commits = append(mr.Commits, glt.Commit{SHA: fmt.Sprintf("%08d%032d", i, k), Title: "c",
				Authored: at.Add(time.Duration(k) * time.Hour), Committed: at.Add(time.Duration(k) * time.Hour)})
		}
		for k := range 6 {
			mr.Discussions = append(mr.Discussions, single(note(int64(i*10+k), users[(i+k+1)%8], at.Add(time.Duration(k+1)*time.Hour), "looks fine")))
		}
		p.MergeRequests = append(p.MergeRequests, mr)
		if i%2 == 0 {
			pl := &glt.Pipeline{ID: int64(i + 1), IID: int64(i + 1), Source: "merge_request_event", Ref: fmt.Sprintf("refs/merge-requests/%d/head", i+1),
				Status: "success", Created: at, Updated: at.Add(hour)}
			for k := range 4 {
				pl.Jobs = append(pl.Jobs, glt.Job{ID: int64(i*10 + k + 1), Name: fmt.Sprintf("job%d", k), Status: "success",
					Created: at, Started: at.Add(time.Minute), Finished: at.Add(5 * time.Minute), Duration: 240, Queued: 60})
			}
			p.Pipelines = append(p.Pipelines, pl)
		}
	}
	return p
}

// BenchmarkBackfill collects 500 merge requests and 250 pipelines from the
// fake over loopback, with a new Collector each time (so the accounts are
// looked up again): what a first run costs, client and fake together.
func BenchmarkBackfill(b *testing.B) {
	srv := glt.New("", benchModel(500))
	defer srv.Close()
	srv.SetRateLimit(1 << 30)
	var requests int
	for b.Loop() {
		g, err := New(Options{Name: "bench", URL: srv.URL(), Projects: []string{"bench/app"}, CI: true})
		if err != nil {
			b.Fatal(err)
		}
		var sink memSink
		st, err := g.Collect(context.Background(), collectors.Window{From: T0.Add(-day)}, &sink)
		if err != nil || st.Changes != 500 || st.Builds != 1000 {
			b.Fatalf("stored %d changes, %d builds: %v", st.Changes, st.Builds, err)
		}
		requests = st.Requests
	}
	b.ReportMetric(float64(requests), "requests/op")
	b.ReportMetric(500/(b.Elapsed().Seconds()/float64(b.N)), "mrs/s")
}
