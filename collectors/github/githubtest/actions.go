package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Run is a GitHub Actions workflow run as the API shows it now (its latest
// attempt), with the jobs of every attempt.
type Run struct {
	ID         int64
	Name       string // the workflow's name
	WorkflowID int64
	Path       string // .github/workflows/ci.yml when empty
	RunNumber  int
	// Attempt is run_attempt; 0 leaves the field out, as on old runs.
	Attempt int
	Event   string // push, pull_request, schedule, ...
	// Status is queued, in_progress, waiting, completed, ...
	Status     string
	Conclusion string // success, failure, cancelled, skipped, timed_out, ...; empty while not completed
	HeadBranch string
	HeadSHA    string
	Created    time.Time
	Updated    time.Time
	// Started is run_started_at, the start of the latest attempt; zero
	// leaves the field out, as on old runs.
	Started time.Time
	// Pulls are the numbers of the pull requests the run belongs to.
	Pulls []int
	Jobs  []Job
}

// Job is one job of one attempt of a run.
type Job struct {
	ID   int64
	Name string
	// Attempt is run_attempt; 0 leaves the field out.
	Attempt    int
	Status     string // queued, in_progress, completed
	Conclusion string // empty while not completed
	// Created is when the job was queued; zero leaves created_at out, as
	// older GitHub Enterprise versions do.
	Created   time.Time
	Started   time.Time // zero renders null
	Completed time.Time // zero renders null
	Labels    []string
}

// maxFiltered is how many runs GitHub returns at most for a filtered
// query (created, status, event, ...); total_count still counts them all.
const maxFiltered = 1000

// actions answers GET /repos/{owner}/{repo}/actions/...; p starts after
// "actions". It runs with s.mu held.
func (s *Server) actions(repo *Repo, p []string, r *http.Request) (any, string, int) {
	if len(p) == 0 || p[0] != "runs" {
		return notFound, "", http.StatusNotFound
	}
	if len(p) == 1 {
		return s.runList(repo, r)
	}
	id, err := strconv.ParseInt(p[1], 10, 64)
	var run *Run
	for _, x := range repo.Runs {
		if x.ID == id {
			run = x
		}
	}
	if err != nil || run == nil {
		return notFound, "", http.StatusNotFound
	}
	switch {
	case len(p) == 2:
		return runJSON(repo, run), "", http.StatusOK
	case len(p) == 3 && p[2] == "jobs":
		filter := r.URL.Query().Get("filter")
		if filter == "" {
			filter = "latest"
		}
		if filter != "latest" && filter != "all" {
			return errorBody("Validation Failed", "https://docs.github.com/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run"), "", http.StatusUnprocessableEntity
		}
		var jobs []any
		for _, j := range run.Jobs {
			if filter == "latest" && attemptOf(j, run) != attemptOf(Job{Attempt: run.Attempt}, run) {
				continue
			}
			jobs = append(jobs, jobJSON(repo, run, j))
		}
		items, link, status := paged(r, jobs)
		return map[string]any{"total_count": len(jobs), "jobs": items}, link, status
	}
	return notFound, "", http.StatusNotFound
}

func attemptOf(j Job, r *Run) int {
	if j.Attempt > 0 {
		return j.Attempt
	}
	return max(r.Attempt, 1)
}

// runList lists the runs newest first, filtered by created and status.
func (s *Server) runList(repo *Repo, r *http.Request) (any, string, int) {
	q := r.URL.Query()
	in := func(time.Time) bool { return true }
	if c := q.Get("created"); c != "" {
		var err error
		if in, err = createdFilter(c); err != nil {
			return errorBody("Invalid created filter: "+err.Error(), "https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-repository"), "", http.StatusUnprocessableEntity
		}
	}
	status := q.Get("status")
	var runs []*Run
	for _, x := range repo.Runs {
		if in(x.Created) && (status == "" || x.Status == status || x.Conclusion == status) {
			runs = append(runs, x)
		}
	}
	slices.SortStableFunc(runs, func(a, b *Run) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	total := len(runs)
	filtered := false
	for _, k := range []string{"actor", "branch", "check_suite_id", "created", "event", "head_sha", "status"} {
		filtered = filtered || q.Get(k) != ""
	}
	if filtered && len(runs) > maxFiltered {
		runs = runs[:maxFiltered]
	}
	items, link, code := paged(r, mapAll(runs, func(x *Run) any { return runJSON(repo, x) }))
	return map[string]any{"total_count": total, "workflow_runs": items}, link, code
}

// createdFilter reads GitHub's date qualifiers: A..B, A..*, *..B, >=A, >A,
// <=A, <A, or A alone (a day, or an instant). A is a date (2006-01-02) or
// a time (2006-01-02T15:04:05Z).
func createdFilter(c string) (func(time.Time) bool, error) {
	parse := func(s string, end bool) (time.Time, error) {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, nil
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("bad date %q", s)
		}
		if end {
			t = t.Add(24*time.Hour - time.Second)
		}
		return t, nil
	}
	between := func(a, b string) (func(time.Time) bool, error) {
		lo, hi := time.Time{}, time.Unix(1<<40, 0)
		var err error
		if a != "*" {
			if lo, err = parse(a, false); err != nil {
				return nil, err
			}
		}
		if b != "*" {
			if hi, err = parse(b, true); err != nil {
				return nil, err
			}
		}
		return func(t time.Time) bool { return !t.Before(lo) && !t.After(hi) }, nil
	}
	switch {
	case strings.Contains(c, ".."):
		a, b, _ := strings.Cut(c, "..")
		return between(a, b)
	case strings.HasPrefix(c, ">="):
		return between(c[2:], "*")
	case strings.HasPrefix(c, "<="):
		return between("*", c[2:])
	case strings.HasPrefix(c, ">"):
		t, err := parse(c[1:], true)
		return func(x time.Time) bool { return x.After(t) }, err
	case strings.HasPrefix(c, "<"):
		t, err := parse(c[1:], false)
		return func(x time.Time) bool { return x.Before(t) }, err
	}
	return between(c, c)
}

func runJSON(repo *Repo, x *Run) map[string]any {
	api := apiBase + "/repos/" + repo.FullName() + "/actions/runs/" + strconv.FormatInt(x.ID, 10)
	path := x.Path
	if path == "" {
		path = ".github/workflows/ci.yml"
	}
	var conclusion any
	if x.Conclusion != "" {
		conclusion = x.Conclusion
	}
	pulls := []any{}
	for _, n := range x.Pulls {
		pulls = append(pulls, map[string]any{
			"url":    apiBase + "/repos/" + repo.FullName() + "/pulls/" + strconv.Itoa(n),
			"id":     int64(600000 + n),
			"number": n,
			"head":   map[string]any{"ref": x.HeadBranch, "sha": x.HeadSHA, "repo": map[string]any{"id": repo.ID, "url": apiBase + "/repos/" + repo.FullName(), "name": repo.Name}},
			"base":   map[string]any{"ref": "main", "sha": "0000000000000000000000000000000000000001", "repo": map[string]any{"id": repo.ID, "url": apiBase + "/repos/" + repo.FullName(), "name": repo.Name}},
		})
	}
	out := map[string]any{
		"id":                   x.ID,
		"name":                 x.Name,
		"node_id":              nodeID("WFR", x.ID),
		"head_branch":          x.HeadBranch,
		"head_sha":             x.HeadSHA,
		"path":                 path,
		"display_title":        x.Name + " #" + strconv.Itoa(x.RunNumber),
		"run_number":           x.RunNumber,
		"event":                x.Event,
		"status":               x.Status,
		"conclusion":           conclusion,
		"workflow_id":          x.WorkflowID,
		"check_suite_id":       x.ID + 7000000000,
		"check_suite_node_id":  nodeID("CS", x.ID+7000000000),
		"url":                  api,
		"html_url":             htmlBase + "/" + repo.FullName() + "/actions/runs/" + strconv.FormatInt(x.ID, 10),
		"pull_requests":        pulls,
		"created_at":           ts(x.Created),
		"updated_at":           ts(x.Updated),
		"actor":                userJSON(repo.Owner),
		"triggering_actor":     userJSON(repo.Owner),
		"referenced_workflows": []any{},
		"jobs_url":             api + "/jobs",
		"logs_url":             api + "/logs",
		"check_suite_url":      apiBase + "/repos/" + repo.FullName() + "/check-suites/" + strconv.FormatInt(x.ID+7000000000, 10),
		"artifacts_url":        api + "/artifacts",
		"cancel_url":           api + "/cancel",
		"rerun_url":            api + "/rerun",
		"workflow_url":         apiBase + "/repos/" + repo.FullName() + "/actions/workflows/" + strconv.FormatInt(x.WorkflowID, 10),
		"head_commit": map[string]any{
			"id": x.HeadSHA, "tree_id": x.HeadSHA, "message": "Change", "timestamp": ts(x.Created),
			"author":    map[string]any{"name": "Dev One", "email": "dev1@example.org"},
			"committer": map[string]any{"name": "GitHub", "email": "noreply@github.com"},
		},
		"repository":      repoJSON(repo),
		"head_repository": repoJSON(repo),
	}
	if x.Attempt > 0 {
		out["run_attempt"] = x.Attempt
		if x.Attempt > 1 {
			out["previous_attempt_url"] = api + "/attempts/" + strconv.Itoa(x.Attempt-1)
		}
	}
	if !x.Started.IsZero() {
		out["run_started_at"] = ts(x.Started)
	}
	return out
}

func jobJSON(repo *Repo, x *Run, j Job) map[string]any {
	id := strconv.FormatInt(j.ID, 10)
	var conclusion any
	if j.Conclusion != "" {
		conclusion = j.Conclusion
	}
	labels := j.Labels
	if labels == nil {
		labels = []string{"ubuntu-latest"}
	}
	var steps []any
	if !j.Started.IsZero() && !j.Completed.IsZero() {
		for i, name := range []string{"Set up job", "Run tests", "Complete job"} {
			steps = append(steps, map[string]any{"name": name, "status": "completed", "conclusion": conclusion,
				"number": i + 1, "started_at": ts(j.Started), "completed_at": ts(j.Completed)})
		}
	}
	out := map[string]any{
		"id":                j.ID,
		"run_id":            x.ID,
		"workflow_name":     x.Name,
		"head_branch":       x.HeadBranch,
		"run_url":           apiBase + "/repos/" + repo.FullName() + "/actions/runs/" + strconv.FormatInt(x.ID, 10),
		"node_id":           nodeID("CR", j.ID),
		"head_sha":          x.HeadSHA,
		"url":               apiBase + "/repos/" + repo.FullName() + "/actions/jobs/" + id,
		"html_url":          htmlBase + "/" + repo.FullName() + "/actions/runs/" + strconv.FormatInt(x.ID, 10) + "/job/" + id,
		"status":            j.Status,
		"conclusion":        conclusion,
		"started_at":        ts(j.Started),
		"completed_at":      ts(j.Completed),
		"name":              j.Name,
		"steps":             steps,
		"check_run_url":     apiBase + "/repos/" + repo.FullName() + "/check-runs/" + id,
		"labels":            labels,
		"runner_id":         1,
		"runner_name":       "GitHub Actions 1",
		"runner_group_id":   2,
		"runner_group_name": "GitHub Actions",
	}
	if steps == nil {
		out["steps"] = []any{}
	}
	if j.Attempt > 0 {
		out["run_attempt"] = j.Attempt
	}
	if !j.Created.IsZero() {
		out["created_at"] = ts(j.Created)
	}
	return out
}
