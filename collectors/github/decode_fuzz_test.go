package github

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/codepace/codepace/collectors"
)

// The GitHub collector decodes GitHub's JSON with go-github into its types
// (PullRequest, PullRequestReview, IssueComment, PullRequestComment,
// Timeline, RepositoryCommit, WorkflowRun, WorkflowJob) and maps them onto
// records with toChange and actionsBuilds. The fuzz targets below feed
// arbitrary answers through both steps, as the collector does.

// testdataFile reads a recorded answer, or nil.
func testdataFile(name string) []byte {
	b, _ := os.ReadFile(filepath.Join("testdata", name))
	return b
}

// knownPanics are the places in the collector's code where fuzzing found
// it to panic on answers that decode (a null entry in a list, an object
// without the nested object GitHub always sends): bug B10, reported. A
// panic anywhere else fails the target, so that fuzzing reports it.
var knownPanics = map[string]bool{
	"convert.go:118": true, // a null entry in the commits: rc.Author
	"convert.go:124": true, // a commit without commit.committer: gc.GetCommitter().Date
	"convert.go:131": true, // the first commit without commit.author: ...GetAuthor().Date
	"convert.go:147": true, // a null entry in the reviews: r.SubmittedAt
	"convert.go:174": true, // a null entry in the issue comments: ic.CreatedAt
	"convert.go:184": true, // a null entry in the review comments: rc.CreatedAt
	"convert.go:231": true, // a null entry in the timeline: e.CreatedAt
}

// mapSafely runs f and turns a panic at a known place into a known-bug
// skip, and one at another place into a failure that names it.
func mapSafely(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		stack := string(debug.Stack())
		site := "unknown"
		for _, line := range strings.Split(stack, "\n") {
			line = strings.TrimSpace(line)
			if i := strings.Index(line, "/collectors/github/"); i >= 0 && !strings.Contains(line, "_test.go") {
				site = strings.Fields(line[i+len("/collectors/github/"):])[0]
				break
			}
		}
		if knownPanics[site] {
			knownBug(t, "B10", "the GitHub mapping panics at %s: %v", site, r)
		}
		t.Fatalf("panic at %s: %v\n%s", site, r, stack)
	}()
	f()
}

// knownTags are the tags toChange gives messages.
var knownTags = []string{"", TagOpenedDraft, TagReadyForReview, TagConvertToDraft, TagReviewRequested, TagClosed, TagReopened, TagMerged}

// FuzzPullRequest decodes a pull request and the lists that belong to it
// (reviews, issue comments, review comments, timeline, commits) and maps
// them onto a change: it must never panic, and the change must be
// well-formed: the pull request's number, a known status, a merge time only
// when merged, messages in date order with ids and known tags, none for a
// review not submitted, revisions numbered from 1 in commit order.
func FuzzPullRequest(f *testing.F) {
	pr := `{"number":482,"node_id":"PR_x","state":"closed","merged":true,"merged_at":"2024-06-17T10:00:00Z","title":"t","draft":false,
		"user":{"login":"author","id":5000,"type":"User"},"created_at":"2024-06-16T10:00:00Z","updated_at":"2024-06-17T10:00:00Z",
		"closed_at":"2024-06-17T10:00:00Z","base":{"ref":"main","repo":{"full_name":"acme/widgets"}},"additions":3,"deletions":1,"comments":1,"review_comments":1}`
	comments := `[{"id":1,"user":{"login":"bob","id":2,"type":"User"},"body":"hi","created_at":"2024-06-16T11:00:00Z"}]`
	commits := `[{"sha":"a1","author":{"login":"author","id":5000},"commit":{"author":{"name":"A","email":"a@x","date":"2024-06-16T09:00:00Z"},"committer":{"date":"2024-06-16T09:30:00Z"}}}]`
	f.Add([]byte(pr), testdataFile("reviews.json"), []byte(comments), testdataFile("review_comments.json"), testdataFile("events.json"), []byte(commits))
	f.Add([]byte(`{"number":1,"state":"open","draft":true,"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-02T00:00:00Z"}`),
		[]byte(`[{"id":9,"state":"PENDING"},{"id":10,"state":"COMMENTED","body":"","submitted_at":"2024-01-01T01:00:00Z","user":{"login":"ghost","id":10137}}]`),
		[]byte(`[]`), []byte(`[{"id":3,"pull_request_review_id":10,"created_at":"2024-01-01T00:30:00Z","user":{"login":"c","id":3}}]`),
		[]byte(`[{"id":4,"event":"ready_for_review","created_at":"2024-01-01T02:00:00Z"},{"id":5,"event":"closed","created_at":"2024-01-01T03:00:00Z"},{"id":6,"event":"reopened"},{"id":7,"event":"review_requested","requested_team":{"slug":"core"}}]`),
		[]byte(`null`))
	f.Add([]byte(`{"number":2,"state":"weird","merged_at":"2024-01-01T00:00:00Z","created_at":1704067200,"updated_at":"2024-01-02T00:00:00+05:00"}`),
		[]byte(`[{"id":1,"state":"APPROVED","submitted_at":"2024-01-01T00:00:00Z","commit_id":"zz"}]`), []byte(`{}`), []byte(``), []byte(`[{"event":"merged","commit_id":"m"}]`), []byte(`[{},{}]`))
	// testdata/fuzz/FuzzPullRequest holds the inputs that made the mapping
	// panic (b10-*) or keep a message without a date (b4-*).
	f.Fuzz(func(t *testing.T, prJSON, reviewsJSON, commentsJSON, reviewCommentsJSON, timelineJSON, commitsJSON []byte) {
		var p pull
		p.pr = new(gh.PullRequest)
		if json.Unmarshal(prJSON, p.pr) != nil {
			return // go-github fails the request: the collection fails
		}
		// A list that does not decode fails the collection too; here it is
		// left empty, to map the rest.
		_ = json.Unmarshal(reviewsJSON, &p.reviews)
		_ = json.Unmarshal(commentsJSON, &p.comments)
		_ = json.Unmarshal(reviewCommentsJSON, &p.reviewComments)
		_ = json.Unmarshal(timelineJSON, &p.events)
		_ = json.Unmarshal(commitsJSON, &p.commits)
		var c collectors.Change
		mapSafely(t, func() { c = toChange("gh", "acme/widgets", p) })

		if c.Number != int64(p.pr.GetNumber()) || c.Source != "gh" || c.Project == "" {
			t.Fatalf("identity: number %d (pull request %d), source %q, project %q", c.Number, p.pr.GetNumber(), c.Source, c.Project)
		}
		switch c.Status {
		case collectors.StatusOpen, collectors.StatusAbandoned:
			if !c.Merged.IsZero() {
				t.Fatalf("%s change with a merge time %v", c.Status, c.Merged)
			}
		case collectors.StatusMerged:
			if p.pr.GetState() == "open" {
				t.Fatal("an open pull request stored as merged")
			}
		default:
			t.Fatalf("status %q", c.Status)
		}
		if p.pr.GetState() == "open" && c.Status != collectors.StatusOpen {
			t.Fatalf("an open pull request stored as %s", c.Status)
		}
		pending := map[string]bool{}
		for _, r := range p.reviews {
			if r != nil && (r.GetState() == "PENDING" || r.SubmittedAt == nil) {
				pending["review/"+strconv.FormatInt(r.GetID(), 10)] = true
			}
		}
		for i, m := range c.Messages {
			if m.ID == "" || !slices.Contains(knownTags, m.Tag) {
				t.Fatalf("message %d: id %q tag %q", i, m.ID, m.Tag)
			}
			if i > 0 && m.Date.Before(c.Messages[i-1].Date) {
				t.Fatalf("messages out of order: %v after %v", m.Date, c.Messages[i-1].Date)
			}
			if pending[m.ID] {
				t.Fatalf("a review that was not submitted became message %s", m.ID)
			}
			if m.Tag == "" && m.Author.Present() && m.Author.Username == ghostLogin {
				t.Fatal("the ghost account is present")
			}
			if strings.HasPrefix(m.ID, "review/") && !strings.HasPrefix(m.Text, ReviewPrefix) {
				t.Fatalf("review text %q", m.Text)
			}
		}
		for i, r := range c.Revisions {
			if r.Number != i+1 {
				t.Fatalf("revision %d numbered %d", i, r.Number)
			}
		}
		// Records with a missing time (a comment without created_at, a
		// pull request without created_at) are stored as year 1, which
		// ClickHouse cannot hold (see store's TestTimestampsOutOfRange).
		if p.pr.CreatedAt != nil && p.pr.UpdatedAt != nil && p.pr.Number != nil {
			for _, m := range c.Messages {
				if m.Date.IsZero() {
					knownBug(t, "B4", "message %s of a pull request has no date (the answer lacks its time) and is kept with year 1", m.ID)
				}
			}
		}
	})
}

// FuzzActionsBuilds decodes a workflow run and its jobs and maps them onto
// builds: it must never panic; every job is either a build or a reason to
// skip it; every build has the job's id, a known system, a result in upper
// case, a start not after its finish, a duration equal to finish − start
// in whole seconds, and no negative queue time.
func FuzzActionsBuilds(f *testing.F) {
	if rerun, jobs := testdataFile("actions_run_rerun.json"), testdataFile("actions_jobs_rerun.json"); rerun != nil && jobs != nil {
		var j struct {
			Jobs json.RawMessage `json:"jobs"`
		}
		if json.Unmarshal(jobs, &j) == nil {
			f.Add(rerun, []byte(j.Jobs))
		}
	}
	f.Add([]byte(`{"id":1,"name":"CI","status":"completed","created_at":"2024-01-01T10:00:00Z","run_started_at":"2024-01-01T10:00:30Z","run_attempt":1,"pull_requests":[{"number":42}]}`),
		[]byte(`[{"id":1,"name":"a","status":"completed","conclusion":"success","started_at":"2024-01-01T10:05:00Z","completed_at":"2024-01-01T10:04:00Z","created_at":"2024-01-01T10:06:00Z"},
		{"id":2,"name":"","status":"completed","conclusion":"success","completed_at":"2024-01-01T10:04:00Z"},
		{"id":3,"name":"c","status":"completed","completed_at":"2024-01-01T10:04:00Z"},
		{"id":4,"name":"d","status":"completed","conclusion":"startup_failure","completed_at":"2024-01-01T10:04:00Z","workflow_name":"Other","run_attempt":2},
		null]`))
	f.Add([]byte(`{"id":2,"status":"completed","created_at":"2024-01-01T10:00:00Z","run_attempt":3}`),
		[]byte(`[{"id":5,"name":"e","status":"completed","conclusion":"exploded","started_at":"2024-01-01T10:00:00Z","completed_at":"2124-01-01T10:00:00Z","created_at":"1999-01-01T00:00:00Z","run_attempt":-1}]`))
	f.Fuzz(func(t *testing.T, runJSON, jobsJSON []byte) {
		var run gh.WorkflowRun
		var jobs []*gh.WorkflowJob
		if json.Unmarshal(runJSON, &run) != nil || json.Unmarshal(jobsJSON, &jobs) != nil {
			return
		}
		var out []collectors.Build
		var bad []string
		mapSafely(t, func() { out, bad = actionsBuilds("gh", "acme/widgets", &run, jobs) })
		n := 0
		for _, j := range jobs {
			if j != nil {
				n++
			}
		}
		if len(out)+len(bad) != n {
			t.Fatalf("%d jobs gave %d builds and %d skips", n, len(out), len(bad))
		}
		for _, b := range out {
			if b.BuildID == "" || b.System != collectors.SystemGitHubActions || b.Job == "" || b.Project != "acme/widgets" {
				t.Fatalf("build without identity: %+v", b)
			}
			if b.Result == "" || b.Result != strings.ToUpper(b.Result) {
				t.Fatalf("result %q", b.Result)
			}
			if b.Started.After(b.Finished) || b.DurationS < 0 || (b.QueuedS != nil && *b.QueuedS < 0) || b.Change < 0 {
				t.Fatalf("bad times: %+v", b)
			}
			if d := b.Finished.Sub(b.Started); d < time.Duration(1<<62) && int64(d/time.Second) != b.DurationS {
				t.Fatalf("finish − start = %v, duration_s %d", d, b.DurationS)
			}
			if b.Finished.IsZero() {
				knownBug(t, "B4", "job %s has completed_at %q and is kept with a finish in year 1", b.BuildID, "0001-01-01T00:00:00Z")
			}
		}
	})
}
