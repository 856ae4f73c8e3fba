package gitlab

import (
	"context"
	"sync"
	"time"

	"github.com/codepace/codepace/collectors"
	glt "github.com/codepace/codepace/collectors/gitlab/gitlabtest"
)

// T0 is where the sample's history starts (the same instant as the
// Gerrit and GitHub histories of the end-to-end tests).
var T0 = time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// Accounts of the sample.
var (
	Alice    = &glt.User{ID: 1001, Username: "alice", Name: "Alice Owner"}
	Bob      = &glt.User{ID: 1002, Username: "bob", Name: "Bob Reviewer"}
	Carol    = &glt.User{ID: 1003, Username: "carol", Name: "Carol Core"}
	Renovate = &glt.User{ID: 2001, Username: "renovate-bot", Name: "Renovate", Bot: true}
)

func note(id int64, u *glt.User, at time.Time, body string) glt.Note {
	return glt.Note{ID: id, Author: u, Created: at, Body: body}
}

func system(id int64, u *glt.User, at time.Time, body string) glt.Note {
	return glt.Note{ID: id, Author: u, Created: at, Body: body, System: true}
}

func single(n glt.Note) glt.Discussion { return glt.Discussion{Individual: true, Notes: []glt.Note{n}} }

// Sample is a small GitLab history in group "wm" (subgroups core and
// tools) whose figures are worked out by hand in the tests:
//
//   - wm/core/widgets!1: opened as draft by alice at T0, marked ready at
//     T0+1h, a diff thread by bob at T0+4h (alice answers), approved by
//     carol at T0+5h (then unapproved) and by bob at T0+6h, merged at
//     T0+2d without a merge note; commits authored T0-5h and T0+4h
//     (committed T0, T0+5h).
//   - wm/core/widgets!2: alice's, open, only a bot and alice speak.
//   - wm/tools/lint!1: bob's, alice asks at T0+1d+2h; closed by bob at
//     T0+2d and reopened an hour later (state events), closed again at
//     T0+3d (a "closed" note, as older GitLab releases write).
//   - wm/tools/lint!2: carol's, a draft never marked ready; bob comments.
//
// widgets has two pipelines: 100 for !1 (merge_request_event) whose test
// job ran twice, and 101 on main (push) still running.
func Sample() []*glt.Project {
	c := func(sha string, authored, committed time.Time) glt.Commit {
		return glt.Commit{SHA: sha, Title: "Change " + sha[:2], AuthorName: "Alice Owner", AuthorEmail: "alice@example.org",
			Authored: authored, Committed: committed}
	}
	sha := func(s string) string { return s + "00000000000000000000000000000000000000"[len(s):] }
	widgets := &glt.Project{ID: 11, Path: "wm/core/widgets", MergeRequests: []*glt.MergeRequest{
		{ID: 501, IID: 1, Title: "Draft then ready", Author: Alice, State: "merged", SourceBranch: "feature", TargetBranch: "main",
			Created: T0, Updated: T0.Add(2 * day), Merged: T0.Add(2 * day), MergedBy: Bob,
			Commits: []glt.Commit{c(sha("a1"), T0.Add(-5*hour), T0), c(sha("a2"), T0.Add(4*hour), T0.Add(5*hour))},
			Discussions: []glt.Discussion{
				single(system(1, Alice, T0.Add(hour), "marked this merge request as **ready**")),
				{ID: "d2", Notes: []glt.Note{
					{ID: 2, Author: Bob, Created: T0.Add(4 * hour), Body: "Please split this.", Type: "DiffNote", HeadSHA: sha("a1")},
					{ID: 3, Author: Alice, Created: T0.Add(4*hour + 30*time.Minute), Body: "Done.", Type: "DiffNote", HeadSHA: sha("a1")},
				}},
				single(system(4, Carol, T0.Add(5*hour), "approved this merge request")),
				single(system(5, Carol, T0.Add(5*hour+30*time.Minute), "unapproved this merge request")),
				single(system(6, Bob, T0.Add(6*hour), "approved this merge request")),
				single(system(7, Alice, T0.Add(6*hour), "added 1 commit\n\n<ul><li>a2 - Change a2</li></ul>")),
			}},
		{ID: 502, IID: 2, Title: "Bot only", Author: Alice, State: "opened", SourceBranch: "deps", TargetBranch: "main",
			Created: T0.Add(day), Updated: T0.Add(day + hour),
			Commits: []glt.Commit{c(sha("b1"), T0.Add(day), T0.Add(day))},
			Discussions: []glt.Discussion{
				single(note(8, Renovate, T0.Add(day+hour), "Automerge is off.")),
				single(note(9, Alice, T0.Add(day+hour), "Noted.")),
			}},
	}, Pipelines: []*glt.Pipeline{
		{ID: 100, IID: 1, Source: "merge_request_event", Ref: "refs/merge-requests/1/head", SHA: sha("a2"), Status: "success",
			Created: T0.Add(5 * hour), Updated: T0.Add(5*hour + 20*time.Minute), Jobs: []glt.Job{
				{ID: 1000, Name: "test", Stage: "test", Status: "failed", Retried: true, Created: T0.Add(5 * hour),
					Started: T0.Add(5*hour + time.Minute), Finished: T0.Add(5*hour + 3*time.Minute), Duration: 120.4, Queued: 60.9},
				{ID: 1001, Name: "test", Stage: "test", Status: "success", Created: T0.Add(5*hour + 4*time.Minute),
					Started: T0.Add(5*hour + 5*time.Minute), Finished: T0.Add(5*hour + 9*time.Minute + 30*time.Second),
					Duration: 270.6, Queued: 12.5},
				{ID: 1002, Name: "lint", Stage: "test", Status: "failed", AllowFailure: true, Created: T0.Add(5 * hour),
					Started: T0.Add(5*hour + 3*time.Second), Finished: T0.Add(5*hour + 68*time.Second), Duration: 65, Queued: 3},
				{ID: 1003, Name: "deploy", Stage: "deploy", Status: "canceled", Created: T0.Add(5 * hour),
					Finished: T0.Add(5*hour + 20*time.Minute), Duration: -1, Queued: -1},
			}},
		{ID: 101, IID: 2, Source: "push", Ref: "main", SHA: sha("c1"), Status: "running",
			Created: T0.Add(2 * day), Updated: T0.Add(2*day + 10*time.Minute), Jobs: []glt.Job{
				{ID: 1004, Name: "docs", Stage: "build", Status: "success", Created: T0.Add(2 * day),
					Started: T0.Add(2*day + time.Minute), Finished: T0.Add(2*day + 2*time.Minute), Duration: 60, Queued: 60},
				{ID: 1005, Name: "build", Stage: "build", Status: "running", Created: T0.Add(2 * day),
					Started: T0.Add(2*day + time.Minute), Duration: -1, Queued: 58},
			}},
	}}
	lint := &glt.Project{ID: 12, Path: "wm/tools/lint", MergeRequests: []*glt.MergeRequest{
		{ID: 601, IID: 1, Title: "Abandoned", Author: Bob, State: "closed", SourceBranch: "x", TargetBranch: "main",
			Created: T0.Add(day), Updated: T0.Add(3 * day), Closed: T0.Add(3 * day), ClosedBy: Bob,
			Commits: []glt.Commit{c(sha("c1"), T0.Add(day), T0.Add(day))},
			Discussions: []glt.Discussion{
				single(note(20, Alice, T0.Add(day+2*hour), "Why?")),
				single(system(21, Bob, T0.Add(3*day), "closed")),
			},
			States: []glt.StateEvent{
				{ID: 30, User: Bob, State: "closed", Created: T0.Add(2 * day)},
				{ID: 31, User: Bob, State: "reopened", Created: T0.Add(2*day + hour)},
			}},
		{ID: 602, IID: 2, Title: "Draft: experiment", Author: Carol, State: "opened", Draft: true, SourceBranch: "exp", TargetBranch: "main",
			Created: T0.Add(2 * day), Updated: T0.Add(2*day + hour),
			Commits:     []glt.Commit{c(sha("d1"), T0.Add(2*day), T0.Add(2*day))},
			Discussions: []glt.Discussion{single(note(22, Bob, T0.Add(2*day+hour), "Interesting."))}},
	}}
	other := &glt.Project{ID: 13, Path: "elsewhere/app", MergeRequests: []*glt.MergeRequest{
		{ID: 701, IID: 1, Title: "Not in the group", Author: Bob, State: "opened", TargetBranch: "main",
			Created: T0, Updated: T0},
	}}
	return []*glt.Project{widgets, lint, other}
}

// memSink keeps what a collection stores.
type memSink struct {
	mu      sync.Mutex
	changes []collectors.Change
	builds  []collectors.Build
	cursor  time.Time
	writes  int
}

func (s *memSink) Write(_ context.Context, b collectors.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes = append(s.changes, b.Changes...)
	s.builds = append(s.builds, b.Builds...)
	s.writes++
	return nil
}

func (s *memSink) SaveCursor(_ context.Context, _ string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cursor = at
	return nil
}
