package github

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	gt "github.com/codepace/codepace/collectors/github/githubtest"
	"github.com/codepace/codepace/internal/testlog"
	"github.com/codepace/codepace/internal/testsink"
)

// token is the secret the tests give the collector; it must never show in
// an error or a log line.
const token = "ghp_T0pS3cretTokenValue0123456789abcdef"

var (
	t0  = time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)
	now = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)

	org     = &gt.User{Login: "acme", ID: 9001, Type: "Organization"}
	alice   = &gt.User{Login: "alice", ID: 1001, Type: "User"}
	bob     = &gt.User{Login: "bob", ID: 1002, Type: "User"}
	carol   = &gt.User{Login: "carol", ID: 1003, Type: "User"}
	ciRobot = &gt.User{Login: "ci-robot", ID: 1004, Type: "User"} // a machine user, a bot by glob
	lintBot = &gt.User{Login: "lint-bot[bot]", ID: 2001, Type: "Bot"}
)

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

func commit(sha string, author *gt.User, authored, committed time.Time) gt.Commit {
	return gt.Commit{SHA: sha, Message: "Change " + sha, Author: author, Committer: author,
		AuthorName: author.Login, AuthorEmail: author.Login + "@example.org", Authored: authored,
		CommitterName: author.Login, CommitterEmail: author.Login + "@example.org", Committed: committed}
}

// scenario is one organisation repository with a pull request for each case
// the definitions of docs/definitions.md must get right on GitHub data.
func scenario() []*gt.Repo {
	d := func(days int, h float64) time.Time { return t0.AddDate(0, 0, days).Add(hours(h)) }
	pulls := []*gt.Pull{
		{ // #1 opened as draft, ready, reviewed with a comment, new commit, approved, merged
			Number: 1, Title: "Draft then ready", User: alice, State: "closed",
			Created: d(0, 0), Updated: d(0, 8), Closed: d(0, 8), Merged: d(0, 8), MergedBy: alice,
			Additions: 120, Deletions: 30, Files: 4,
			Commits: []gt.Commit{
				commit("c1a0000000000000000000000000000000000001", alice, d(0, -2), d(0, -1)),
				commit("c1b0000000000000000000000000000000000002", alice, d(0, 6), d(0, 6)),
			},
			Events: []gt.Event{
				{ID: 101, Event: "ready_for_review", Actor: alice, At: d(0, 3)},
				{ID: 102, Event: "review_requested", Actor: alice, Reviewer: bob, At: d(0, 3)},
				{ID: 103, Event: "labeled", Actor: alice, At: d(0, 3.5)},
				{ID: 104, Event: "merged", Actor: alice, At: d(0, 8), CommitID: "m100000000000000000000000000000000000001"},
				{ID: 105, Event: "closed", Actor: alice, At: d(0, 8).Add(time.Second)},
			},
			Reviews: []gt.Review{
				{ID: 111, User: bob, State: "COMMENTED", Submitted: d(0, 5), CommitID: "c1a0000000000000000000000000000000000001"},
				{ID: 112, User: bob, State: "APPROVED", Body: "Looks good", Submitted: d(0, 7), CommitID: "c1b0000000000000000000000000000000000002"},
			},
			ReviewComments: []gt.ReviewComment{
				{ID: 121, ReviewID: 111, User: bob, Body: "Off by one?", Path: "widget.go", Created: d(0, 4.8), CommitID: "c1a0000000000000000000000000000000000001"},
			},
			Comments: []gt.Comment{{ID: 131, User: alice, Body: "Thanks!", Created: d(0, 7.5)}},
		},
		{ // #2 reviewed only by bots
			Number: 2, Title: "Reviewed by bots", User: alice, State: "open",
			Created: d(1, 0), Updated: d(1, 1),
			Commits: []gt.Commit{commit("c2a0000000000000000000000000000000000001", alice, d(1, -1), d(1, -1))},
			Reviews: []gt.Review{{ID: 211, User: lintBot, State: "COMMENTED", Body: "2 warnings", Submitted: d(1, 0.2)}},
			Comments: []gt.Comment{
				{ID: 231, User: lintBot, Body: "Coverage 80%", Created: d(1, 0.25)},
				{ID: 232, User: ciRobot, Body: "Build passed", Created: d(1, 0.3)},
			},
		},
		{ // #3 the only comment is the author's; a PENDING review with a drafted comment
			Number: 3, Title: "Only the author speaks", User: alice, State: "open",
			Created: d(2, 0), Updated: d(2, 2),
			Commits:        []gt.Commit{commit("c3a0000000000000000000000000000000000001", alice, d(2, 0), d(2, 0))},
			Comments:       []gt.Comment{{ID: 331, User: alice, Body: "Ping?", Created: d(2, 1)}},
			Reviews:        []gt.Review{{ID: 311, User: bob, State: "PENDING", Body: "Some draft review"}},
			ReviewComments: []gt.ReviewComment{{ID: 321, ReviewID: 311, User: bob, Body: "Draft note", Path: "a.go", Created: d(2, 1.5)}},
		},
		{ // #4 merged without review
			Number: 4, Title: "Merged without review", User: alice, State: "closed",
			Created: d(3, 0), Updated: d(3, 1), Closed: d(3, 1), Merged: d(3, 1), MergedBy: alice,
			Additions: 3, Deletions: 1,
			Commits: []gt.Commit{commit("c4a0000000000000000000000000000000000001", alice, d(2, 20), d(2, 22))},
			Events: []gt.Event{
				{ID: 401, Event: "merged", Actor: alice, At: d(3, 1), CommitID: "m400000000000000000000000000000000000001"},
				{ID: 402, Event: "closed", Actor: alice, At: d(3, 1)},
			},
		},
		{ // #5 commented on by a reviewer, then closed without merge
			Number: 5, Title: "Abandoned", User: carol, State: "closed",
			Created: d(4, 0), Updated: d(5, 0), Closed: d(5, 0),
			Commits: []gt.Commit{commit("c5a0000000000000000000000000000000000001", carol, d(4, 0), d(4, 0))},
			Comments: []gt.Comment{
				{ID: 531, User: bob, Body: "Is this still needed?", Created: d(4, 1)},
				{ID: 532, User: carol, Body: "Maybe", Created: d(4, 2)},
				{ID: 533, User: bob, Body: "Let's drop it", Created: d(4, 3)},
				{ID: 534, User: carol, Body: "OK", Created: d(4, 4)},
				{ID: 535, User: carol, Body: "Closing", Created: d(4, 5)},
			},
			Events: []gt.Event{{ID: 501, Event: "closed", Actor: carol, At: d(5, 0)}},
		},
		{ // #6 a deleted (ghost) owner, a ghost comment, a review without user
			Number: 6, Title: "Deleted users", User: gt.Ghost, State: "open",
			Created: d(6, 0), Updated: d(6, 1),
			Commits:  []gt.Commit{commit("c6a0000000000000000000000000000000000001", alice, d(6, 0), d(6, 0))},
			Comments: []gt.Comment{{ID: 631, User: gt.Ghost, Body: "I was here", Created: d(6, 0.5)}},
			Reviews: []gt.Review{
				{ID: 611, User: nil, State: "COMMENTED", Body: "who am I", Submitted: d(6, 0.7)},
				{ID: 612, User: bob, State: "APPROVED", Submitted: d(6, 1)},
			},
		},
		{ // #7 a draft that never left draft, looked at early
			Number: 7, Title: "Still a draft", User: bob, State: "open", Draft: true,
			Created: d(7, 0), Updated: d(7, 1),
			Commits: []gt.Commit{commit("c7a0000000000000000000000000000000000001", bob, d(7, 0), d(7, 0))},
			Reviews: []gt.Review{{ID: 711, User: carol, State: "COMMENTED", Body: "early look", Submitted: d(7, 1)}},
		},
		{ // #8 opened ready, converted to draft and back; changes requested, a dismissed review
			Number: 8, Title: "Back and forth", User: carol, State: "open",
			Created: d(8, 0), Updated: d(8, 4),
			Commits: []gt.Commit{commit("c8a0000000000000000000000000000000000001", carol, d(8, 0), d(8, 0))},
			Events: []gt.Event{
				{ID: 801, Event: "review_requested", Actor: carol, Team: "core", At: d(8, 0)},
				{ID: 802, Event: "convert_to_draft", Actor: carol, At: d(8, 1)},
				{ID: 803, Event: "ready_for_review", Actor: carol, At: d(8, 3)},
			},
			Reviews: []gt.Review{
				{ID: 811, User: bob, State: "CHANGES_REQUESTED", Body: "Please split", Submitted: d(8, 2)},
				{ID: 812, User: alice, State: "DISMISSED", Body: "", Submitted: d(8, 4)},
			},
		},
		{ // #9 closed and reopened, open now
			Number: 9, Title: "Reopened", User: bob, State: "open",
			Created: d(9, 0), Updated: d(9, 2),
			Commits: []gt.Commit{commit("c9a0000000000000000000000000000000000001", bob, d(9, 0), d(9, 0))},
			Events: []gt.Event{
				{ID: 901, Event: "closed", Actor: bob, At: d(9, 1)},
				{ID: 902, Event: "reopened", Actor: bob, At: d(9, 2)},
			},
		},
	}
	for _, p := range pulls {
		p.ID = 500000 + int64(p.Number)
	}
	return []*gt.Repo{{Owner: org, Name: "widgets", ID: 77001, Pulls: pulls}}
}

// memSink keeps what a collection stored, in memory: changes by
// project#number, builds by id.
type memSink struct {
	testsink.Sink
	changes map[string]collectors.Change
	writes  int // changes written, duplicates included
}

func newSink() *memSink {
	s := &memSink{changes: map[string]collectors.Change{}}
	s.Keep = func(b collectors.Batch) {
		for _, c := range b.Changes {
			s.changes[fmt.Sprintf("%s#%d", c.Project, c.Number)] = c
		}
		s.writes += len(b.Changes)
	}
	return s
}

func (s *memSink) change(t *testing.T, n int64) collectors.Change {
	t.Helper()
	c, ok := s.changes[fmt.Sprintf("acme/widgets#%d", n)]
	if !ok {
		t.Fatalf("pull request #%d not stored", n)
	}
	return c
}

// newCollector returns a collector on srv, logging into the returned
// buffer; the test fails if the token ever shows in the log.
func newCollector(t *testing.T, srv *gt.Server, mod func(*Options)) (*Collector, *testlog.Buffer) {
	t.Helper()
	log, logs := testlog.Logger(t, token)
	o := Options{
		Name: "gh", Owner: "acme", Repos: []string{"widgets"}, Token: token, BaseURL: srv.URL(),
		PageSize: 3, Retries: 3, Backoff: time.Millisecond, SecondaryWait: 5 * time.Millisecond,
		Logger: log, Now: func() time.Time { return now },
	}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

func tags(c collectors.Change) []string {
	var out []string
	for _, m := range c.Messages {
		tag := m.Tag
		if tag == "" {
			tag, _, _ = strings.Cut(m.ID, "/")
		}
		out = append(out, strings.TrimPrefix(tag, "autogenerated:github:"))
	}
	return out
}

// restAPI makes a collector read pull requests through the REST API.
func restAPI(o *Options) { o.API = APIREST }

// forBothAPIs runs f once with each API, as a subtest named after it;
// api sets the API in a collector's options.
func forBothAPIs(t *testing.T, f func(t *testing.T, api func(*Options))) {
	for _, name := range []string{APIREST, APIGraphQL} {
		t.Run(name, func(t *testing.T) { f(t, func(o *Options) { o.API = name }) })
	}
}
