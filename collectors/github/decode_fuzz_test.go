package github

import (
	"encoding/binary"
	"encoding/json"
	"errors"
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

// FuzzActionsBuilds maps a workflow run and its jobs onto builds: it must
// never panic; every job is either a build or a reason to skip it; every
// build has the job's id, a known system, a result in upper case, a start
// not after its finish, a duration equal to finish − start in whole
// seconds, and no negative queue time or change number.
//
// The jobs come as a compact byte string (see fuzzJobs) rather than as
// JSON: go-github decodes the JSON, actionsBuilds is what is fuzzed here.
// Seeded with the recorded answers as JSON (17 KB), the fuzzer spent its
// 10 s minimizing the first new input it found and ran 6 to 13,000 inputs.
func FuzzActionsBuilds(f *testing.F) {
	if rerun, jobs := testdataFile("actions_run_rerun.json"), testdataFile("actions_jobs_rerun.json"); rerun != nil && jobs != nil {
		var run gh.WorkflowRun
		var j struct {
			Jobs []*gh.WorkflowJob `json:"jobs"`
		}
		if err := errors.Join(json.Unmarshal(rerun, &run), json.Unmarshal(jobs, &j)); err != nil {
			f.Fatal(err)
		}
		f.Add(run.GetName(), run.GetRunAttempt(), fuzzUnix(run.CreatedAt), fuzzUnix(run.RunStartedAt), 0, encodeFuzzJobs(j.Jobs))
	}
	at := func(s string) *gh.Timestamp {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			f.Fatal(err)
		}
		return &gh.Timestamp{Time: t}
	}
	job := func(id int64, name, status, conclusion string, started, completed, created *gh.Timestamp, attempt int64) *gh.WorkflowJob {
		return &gh.WorkflowJob{ID: &id, Name: &name, Status: &status, Conclusion: &conclusion,
			StartedAt: started, CompletedAt: completed, CreatedAt: created, RunAttempt: &attempt}
	}
	t0 := at("2024-01-01T10:00:00Z")
	// A job completed before it started, one without name, one without
	// conclusion, one of another attempt with an unknown conclusion, none.
	f.Add("CI", 1, fuzzUnix(t0), fuzzUnix(at("2024-01-01T10:00:30Z")), 42, encodeFuzzJobs([]*gh.WorkflowJob{
		job(1, "build", "completed", "success", at("2024-01-01T10:05:00Z"), at("2024-01-01T10:04:00Z"), at("2024-01-01T10:06:00Z"), 0),
		job(2, "", "completed", "success", nil, at("2024-01-01T10:04:00Z"), nil, 0),
		job(3, "deploy", "completed", "", nil, at("2024-01-01T10:04:00Z"), nil, 0),
		job(4, "test (3.12)", "completed", "exploded", nil, at("2124-01-01T10:04:00Z"), at("1999-01-01T00:00:00Z"), 2),
		nil,
	}))
	// B4: a job completed in year 1.
	f.Add("CI", 1, fuzzUnix(t0), int64(0), 0, encodeFuzzJobs([]*gh.WorkflowJob{
		job(1, "build", "completed", "success", nil, &gh.Timestamp{}, nil, 0),
	}))
	f.Fuzz(func(t *testing.T, name string, attempt int, created, started int64, pr int, jobBytes []byte) {
		run := &gh.WorkflowRun{Name: &name, RunAttempt: &attempt, CreatedAt: fuzzTime(created), RunStartedAt: fuzzTime(started)}
		if pr != 0 {
			run.PullRequests = []*gh.PullRequest{{Number: &pr}}
		}
		jobs := fuzzJobs(jobBytes)
		var out []collectors.Build
		var bad []string
		mapSafely(t, func() { out, bad = actionsBuilds("gh", "acme/widgets", run, jobs) })
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

// The values a job's strings take in FuzzActionsBuilds's input: one byte
// picks one (modulo the list's length), so that the fuzzer spends no time
// spelling words.
var (
	fuzzStatuses    = []string{"completed", "in_progress", "queued", ""}
	fuzzConclusions = []string{"success", "failure", "cancelled", "skipped", "startup_failure", "timed_out", "", "exploded"}
	fuzzJobNames    = []string{"build", "deploy", "", "test (3.12)"}
	fuzzWorkflows   = []string{"", "Fast workflow", "CI"}
)

// fuzzJobSize is the length of one job in FuzzActionsBuilds's input: a
// byte of flags (1: the job is null, 2: no id), the id (8 bytes), a byte
// each for status, conclusion, name, workflow name and run attempt (signed),
// then started_at, completed_at and created_at (8 bytes each, see
// fuzzTime).
const fuzzJobSize = 1 + 8 + 5 + 3*8

// fuzzTime turns a number of FuzzActionsBuilds's input into a timestamp: 0
// is absent, 1 the zero time (0001-01-01, as GitHub writes an unset time),
// anything else Unix seconds.
func fuzzTime(s int64) *gh.Timestamp {
	switch s {
	case 0:
		return nil
	case 1:
		return &gh.Timestamp{}
	}
	return &gh.Timestamp{Time: time.Unix(s, 0).UTC()}
}

// fuzzUnix is the inverse of fuzzTime.
func fuzzUnix(t *gh.Timestamp) int64 {
	switch {
	case t == nil:
		return 0
	case t.IsZero():
		return 1
	}
	return t.Unix()
}

// fuzzJobs decodes the jobs of FuzzActionsBuilds's input; a short tail is
// ignored.
func fuzzJobs(b []byte) []*gh.WorkflowJob {
	var jobs []*gh.WorkflowJob
	pick := func(list []string, c byte) *string { return &list[int(c)%len(list)] }
	for ; len(b) >= fuzzJobSize; b = b[fuzzJobSize:] {
		if b[0]&1 != 0 {
			jobs = append(jobs, nil)
			continue
		}
		j := &gh.WorkflowJob{
			Status: pick(fuzzStatuses, b[9]), Conclusion: pick(fuzzConclusions, b[10]),
			Name: pick(fuzzJobNames, b[11]), WorkflowName: pick(fuzzWorkflows, b[12]),
			RunAttempt:  gh.Int64(int64(int8(b[13]))),
			StartedAt:   fuzzTime(int64(binary.BigEndian.Uint64(b[14:]))),
			CompletedAt: fuzzTime(int64(binary.BigEndian.Uint64(b[22:]))),
			CreatedAt:   fuzzTime(int64(binary.BigEndian.Uint64(b[30:]))),
		}
		if b[0]&2 == 0 {
			j.ID = gh.Int64(int64(binary.BigEndian.Uint64(b[1:])))
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// encodeFuzzJobs is the inverse of fuzzJobs, for the seeds; a string not
// in the lists becomes the first of its list.
func encodeFuzzJobs(jobs []*gh.WorkflowJob) []byte {
	index := func(list []string, s string) byte { return byte(max(slices.Index(list, s), 0)) }
	var out []byte
	for _, j := range jobs {
		b := make([]byte, fuzzJobSize)
		if j == nil {
			b[0] = 1
			out = append(out, b...)
			continue
		}
		if j.ID == nil {
			b[0] |= 2
		}
		binary.BigEndian.PutUint64(b[1:], uint64(j.GetID()))
		b[9], b[10] = index(fuzzStatuses, j.GetStatus()), index(fuzzConclusions, j.GetConclusion())
		b[11], b[12] = index(fuzzJobNames, j.GetName()), index(fuzzWorkflows, j.GetWorkflowName())
		b[13] = byte(int8(j.GetRunAttempt()))
		binary.BigEndian.PutUint64(b[14:], uint64(fuzzUnix(j.StartedAt)))
		binary.BigEndian.PutUint64(b[22:], uint64(fuzzUnix(j.CompletedAt)))
		binary.BigEndian.PutUint64(b[30:], uint64(fuzzUnix(j.CreatedAt)))
		out = append(out, b...)
	}
	return out
}
