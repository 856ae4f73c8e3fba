package github

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/codepace/codepace/collectors"
	gt "github.com/codepace/codepace/collectors/github/githubtest"
	"github.com/codepace/codepace/collectors/httpx"
	"github.com/codepace/codepace/internal/testsink"
)

// buildSink keeps the builds a collection stored, by id, and counts the
// changes.
type buildSink struct {
	testsink.Sink
	changes int
	writes  int // builds written, duplicates included
}

func newBuildSink() *buildSink {
	s := &buildSink{}
	s.Keep = func(b collectors.Batch) {
		s.writes += len(b.Builds)
		s.changes += len(b.Changes)
	}
	return s
}

func (s *buildSink) ids() []string {
	var out []string
	for id := range s.Builds {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// jsonFile reads a testdata file as a JSON object.
func jsonFile(t *testing.T, name string) map[string]any {
	t.Helper()
	var v map[string]any
	readJSON(t, name, &v)
	return v
}

// TestActionsRecorded reads GitHub's recorded answers: a run recorded
// before run_attempt and run_started_at existed, with jobs lacking
// created_at, and a re-run (run_attempt 2) whose jobs of both attempts are
// listed with filter=all.
func TestActionsRecorded(t *testing.T) {
	old := jsonFile(t, "actions_runs.json")["workflow_runs"].([]any)[0]
	rerun := jsonFile(t, "actions_run_rerun.json")
	runs := map[string]any{"total_count": 2, "workflow_runs": []any{rerun, old}}
	jobs := map[string]map[string]any{
		"719643947":  jsonFile(t, "actions_jobs.json"),
		"2874767918": jsonFile(t, "actions_jobs_rerun.json"),
	}
	var log []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		log = append(log, r.URL.RequestURI())
		mu.Unlock()
		gt.RateHeaders(w.Header(), 4900, time.Now().Add(time.Hour))
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		p := strings.TrimPrefix(r.URL.Path, "/api/v3")
		var v any
		switch {
		case p == "/repos/acme/widgets/actions/runs":
			v = runs
		case strings.HasPrefix(p, "/repos/acme/widgets/actions/runs/") && strings.HasSuffix(p, "/jobs"):
			v = jobs[strings.TrimSuffix(strings.TrimPrefix(p, "/repos/acme/widgets/actions/runs/"), "/jobs")]
			if r.URL.Query().Get("filter") != "all" {
				t.Errorf("%s: jobs listed without filter=all", r.URL)
			}
		}
		if v == nil {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`))
			return
		}
		json.NewEncoder(w).Encode(v)
	}))
	defer srv.Close()
	c, err := NewActions(Options{Name: "gh", Owner: "acme", Repos: []string{"widgets"}, Token: token, BaseURL: srv.URL,
		Now: func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	sink := newBuildSink()
	st, err := c.Collect(context.Background(), collectors.Window{From: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Builds != 6 || len(sink.Builds) != 6 || st.Changes != 0 || st.Skipped != 0 || st.Requests != 3 {
		t.Errorf("stats %+v, stored %v", st, sink.ids())
	}
	if len(log) == 0 || !strings.Contains(log[0], "created=2020-12-29T00%3A00%3A00Z..2024-01-01T00%3A00%3A00Z") {
		t.Errorf("runs listed with %v; want created=from-72h..now", log)
	}
	i64 := func(v int64) *int64 { return &v }
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	want := map[string]collectors.Build{
		"2270858576": {Pipeline: "Multi jobs workflow", Job: "job2", Result: "SUCCESS",
			Started: at("2021-04-05T15:42:56Z"), Finished: at("2021-04-05T15:42:57Z"), DurationS: 1,
			URL: "https://github.com/acme/widgets/runs/2270858576"},
		"2270858630": {Pipeline: "Multi jobs workflow", Job: "job1", Result: "SUCCESS",
			Started: at("2021-04-05T15:42:57Z"), Finished: at("2021-04-05T15:42:59Z"), DurationS: 2,
			URL: "https://github.com/acme/widgets/runs/2270858630"},
		"7851903321": {Pipeline: "Fast workflow", Job: "build", Result: "SUCCESS",
			Started: at("2022-08-17T11:47:40Z"), Finished: at("2022-08-17T11:47:50Z"), DurationS: 10, QueuedS: i64(7),
			URL: "https://github.com/acme/widgets/actions/runs/2874767918/job/7851903321"},
		"7851903330": {Pipeline: "Fast workflow", Job: "deploy", Result: "SKIPPED",
			Started: at("2022-08-17T11:47:51Z"), Finished: at("2022-08-17T11:47:51Z"), DurationS: 0, QueuedS: i64(18),
			URL: "https://github.com/acme/widgets/actions/runs/2874767918/job/7851903330"},
		"7851699004": {Pipeline: "Fast workflow", Job: "build", Result: "FAILURE",
			Started: at("2022-08-17T10:55:50Z"), Finished: at("2022-08-17T10:56:20Z"), DurationS: 30, QueuedS: i64(12),
			URL: "https://github.com/acme/widgets/actions/runs/2874767918/job/7851699004"},
		"7851699012": {Pipeline: "Fast workflow", Job: "deploy", Result: "SKIPPED",
			Started: at("2022-08-17T10:56:21Z"), Finished: at("2022-08-17T10:56:21Z"), DurationS: 0, QueuedS: i64(43),
			URL: "https://github.com/acme/widgets/actions/runs/2874767918/job/7851699012"},
	}
	// The commit each job ran on: its head_sha.
	for id, w := range want {
		w.Source, w.System, w.BuildID, w.Project, w.Voting = "gh", collectors.SystemGitHubActions, id, "acme/widgets", true
		w.Commit = "b49a973e2a387787b8b3ef1212b848a1ec4f7b9a"
		if w.Pipeline == "Multi jobs workflow" {
			w.Commit = "c7bd3b8db871bbde8629275631ea645622ae89d7"
		}
		got, ok := sink.Builds[id]
		if !ok {
			t.Errorf("job %s not stored", id)
			continue
		}
		if !eqInt64(got.QueuedS, w.QueuedS) {
			t.Errorf("job %s: queued %v, want %v", id, deref(got.QueuedS), deref(w.QueuedS))
		}
		got.QueuedS, w.QueuedS = nil, nil
		if got != w {
			t.Errorf("job %s:\n got %+v\nwant %+v", id, got, w)
		}
	}
}

func eqInt64(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// actionsRepo is a repository with runs for every case of incremental
// collection; the window starts at from.
func actionsRepo(from time.Time) *gt.Repo {
	d := func(h float64) time.Time { return from.Add(hours(h)) }
	job := func(id int64, name string, attempt int, created, started, completed time.Time, conclusion string) gt.Job {
		return gt.Job{ID: id, Name: name, Attempt: attempt, Status: "completed", Conclusion: conclusion,
			Created: created, Started: started, Completed: completed}
	}
	runs := []*gt.Run{
		{ // a pull request's run in the window, two jobs
			ID: 100, Name: "CI", RunNumber: 1, Attempt: 1, Event: "pull_request", Status: "completed", Conclusion: "failure",
			Created: d(1), Updated: d(1.5), Started: d(1), Pulls: []int{42},
			Jobs: []gt.Job{
				job(1001, "test (ubuntu-latest, 3.12)", 1, d(1), d(1).Add(20*time.Second), d(1.25), "failure"),
				job(1002, "lint", 1, d(1), d(1).Add(5*time.Second), d(1).Add(65*time.Second), "timed_out"),
			},
		},
		{ // still running: skipped until completed
			ID: 101, Name: "CI", RunNumber: 2, Attempt: 1, Event: "push", Status: "in_progress",
			Created: d(2), Updated: d(2), Started: d(2),
			Jobs: []gt.Job{{ID: 1011, Name: "lint", Attempt: 1, Status: "in_progress", Created: d(2), Started: d(2)}},
		},
		{ // in the lookback, completed before the window: stored by an earlier collection
			ID: 90, Name: "CI", RunNumber: 0, Attempt: 1, Event: "push", Status: "completed", Conclusion: "success",
			Created: d(-30), Updated: d(-29), Started: d(-30),
			Jobs: []gt.Job{job(901, "lint", 1, d(-30), d(-30), d(-29.5), "success")},
		},
		{ // in the lookback, re-run and completed in the window
			ID: 91, Name: "Nightly", RunNumber: 7, Attempt: 2, Event: "schedule", Status: "completed", Conclusion: "success",
			Created: d(-40), Updated: d(3), Started: d(2.5),
			Jobs: []gt.Job{
				job(911, "build", 1, d(-40), d(-40).Add(time.Minute), d(-39), "cancelled"),
				job(912, "build", 2, d(2.5), d(2.5).Add(30*time.Second), d(3), "success"),
			},
		},
		{ // older than the lookback: not listed
			ID: 80, Name: "CI", Attempt: 1, Event: "push", Status: "completed", Conclusion: "success",
			Created: d(-100), Updated: d(1), Started: d(-100),
			Jobs: []gt.Job{job(801, "lint", 1, d(-100), d(-100), d(-99), "success")},
		},
		{ // jobs without created_at (older GHES), one never started, one bad
			ID: 102, Name: "Release", RunNumber: 3, Attempt: 1, Event: "push", Status: "completed", Conclusion: "cancelled",
			Created: d(4), Updated: d(5), Started: d(4).Add(90 * time.Second),
			Jobs: []gt.Job{
				{ID: 1021, Name: "package", Attempt: 1, Status: "completed", Conclusion: "success", Started: d(4.25), Completed: d(4.5)},
				{ID: 1022, Name: "publish", Attempt: 1, Status: "completed", Conclusion: "cancelled", Completed: d(4.5)},
				{ID: 1023, Name: "sign", Attempt: 1, Status: "queued"},
			},
		},
	}
	return &gt.Repo{Owner: org, Name: "widgets", ID: 77001, Runs: runs}
}

func TestActionsIncremental(t *testing.T) {
	from := t0
	srv := gt.New(token, actionsRepo(from))
	defer srv.Close()
	c, logs := newCollector(t, srv, func(o *Options) {
		o.PageSize = 2
		o.Now = func() time.Time { return from.Add(6 * time.Hour) }
		o.ActionsLookback = 48 * time.Hour
	})
	c, err := NewActions(c.opts)
	if err != nil {
		t.Fatal(err)
	}
	sink := newBuildSink()
	st, err := c.Collect(context.Background(), collectors.Window{From: from}, sink)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := []string{"1001", "1002", "1021", "1022", "911", "912"}
	if got := sink.ids(); !slices.Equal(got, wantIDs) {
		t.Errorf("stored %v, want %v", got, wantIDs)
	}
	if st.Skipped != 1 || st.Builds != 6 || st.Changes != 0 || st.Requests != srv.Requests() {
		t.Errorf("stats %+v (server %d requests)", st, srv.Requests())
	}
	if !strings.Contains(logs.String(), "sign") {
		t.Errorf("the unusable job is not logged:\n%s", logs)
	}
	for _, p := range srv.Log() {
		for _, id := range []string{"/runs/90/", "/runs/101/", "/runs/80/"} {
			if strings.Contains(p, id) {
				t.Errorf("%s: jobs read for a run that needs no reading", p)
			}
		}
		if strings.Contains(p, "/pulls") {
			t.Errorf("%s: NewActions reads pull requests", p)
		}
	}
	if !slices.Equal(sink.Cursors, []time.Time{from.Add(6 * time.Hour)}) {
		t.Errorf("cursors %v", sink.Cursors)
	}

	b := sink.Builds["1001"]
	if b.Change != 42 || b.Pipeline != "CI" || b.Job != "test (ubuntu-latest, 3.12)" || b.Result != "FAILURE" ||
		b.DurationS != 880 || !eqInt64(b.QueuedS, ptr[int64](20)) || b.Project != "acme/widgets" {
		t.Errorf("job 1001: %+v queued %v", b, deref(b.QueuedS))
	}
	if b := sink.Builds["1002"]; b.Result != "TIMED_OUT" || b.DurationS != 60 {
		t.Errorf("job 1002: %+v", b)
	}
	// A re-run: both attempts are builds of their own.
	if b := sink.Builds["911"]; b.Result != "CANCELLED" || b.Pipeline != "Nightly" || b.DurationS != 3540 || !eqInt64(b.QueuedS, ptr[int64](60)) {
		t.Errorf("attempt 1: %+v", b)
	}
	if b := sink.Builds["912"]; b.Result != "SUCCESS" || !b.Started.Equal(from.Add(hours(2.5)+30*time.Second)) || !eqInt64(b.QueuedS, ptr[int64](30)) {
		t.Errorf("attempt 2: %+v", b)
	}
	// Without created_at, queue time is the run's: run_started_at − created_at.
	if b := sink.Builds["1021"]; !eqInt64(b.QueuedS, ptr[int64](90)) || b.DurationS != 900 {
		t.Errorf("job 1021: %+v queued %v", b, deref(b.QueuedS))
	}
	// Never started: it starts when the run started.
	if b := sink.Builds["1022"]; !b.Started.Equal(from.Add(4*time.Hour+90*time.Second)) || b.DurationS != 1710 || !eqInt64(b.QueuedS, ptr[int64](90)) {
		t.Errorf("job 1022: %+v queued %v", b, deref(b.QueuedS))
	}

	// The running run completes; the next collection starts at the cursor
	// minus the overlap and stores it, and reads nothing else again.
	srv.Update(func(repos []*gt.Repo) []*gt.Repo {
		r := repos[0].Runs[1]
		r.Status, r.Conclusion, r.Updated = "completed", "success", from.Add(7*time.Hour)
		r.Jobs[0].Status, r.Jobs[0].Conclusion, r.Jobs[0].Completed = "completed", "success", from.Add(7*time.Hour)
		return repos
	})
	srv.ResetCounters()
	c.opts.Now = func() time.Time { return from.Add(8 * time.Hour) }
	sink2 := newBuildSink()
	if _, err := c.Collect(context.Background(), collectors.Window{From: from.Add(6*time.Hour - 10*time.Minute)}, sink2); err != nil {
		t.Fatal(err)
	}
	if got := sink2.ids(); !slices.Equal(got, []string{"1011"}) {
		t.Errorf("second collection stored %v, want the run completed since", got)
	}
}

func TestActionsSplitsLargeSpans(t *testing.T) {
	var runs []*gt.Run
	for i := range 2300 {
		created := t0.Add(time.Duration(i) * time.Minute)
		runs = append(runs, &gt.Run{ID: int64(10000 + i), Name: "CI", Attempt: 1, Event: "push", Status: "completed", Conclusion: "success",
			Created: created, Updated: created.Add(time.Minute), Started: created,
			Jobs: []gt.Job{{ID: int64(50000 + i), Name: "test", Attempt: 1, Status: "completed", Conclusion: "success",
				Created: created, Started: created.Add(time.Second), Completed: created.Add(time.Minute)}}})
	}
	// 1,001 runs created in one second, still queued: GitHub returns 1,000.
	burst := t0.Add(-24 * time.Hour)
	for i := range 1001 {
		runs = append(runs, &gt.Run{ID: int64(90000 + i), Name: "CI", Attempt: 1, Event: "push", Status: "queued",
			Created: burst, Updated: burst})
	}
	srv := gt.New(token, &gt.Repo{Owner: org, Name: "widgets", ID: 77001, Runs: runs, Pulls: scenario()[0].Pulls})
	defer srv.Close()
	c, logs := newCollector(t, srv, func(o *Options) {
		o.PageSize = 100
		o.Actions = true
		o.ActionsLookback = 48 * time.Hour
		o.Now = func() time.Time { return t0.Add(2300 * time.Minute) }
	})
	sink := newBuildSink()
	st, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.Builds) != 2300 || sink.writes != 2300 || st.Builds != 2300 {
		t.Errorf("stored %d builds in %d writes, stats %+v; want 2300", len(sink.Builds), sink.writes, st)
	}
	if st.Skipped != 1 || !strings.Contains(logs.String(), "more workflow runs created in one second") {
		t.Errorf("skipped %d; the runs GitHub cannot return are not reported:\n%s", st.Skipped, logs)
	}
	if st.Changes != 9 {
		t.Errorf("with Actions on, the pull requests are still read: %d changes", st.Changes)
	}
	// 2,300 runs are 23 pages; cutting the spans costs a few more
	// requests, and the burst of one second about one per halving.
	var lists int
	for _, p := range srv.Log() {
		if strings.Contains(p, "/actions/runs?") {
			lists++
			if strings.Contains(p, "page=11") {
				t.Errorf("%s: a page GitHub does not serve for a filtered query", p)
			}
		}
	}
	if lists > 90 {
		t.Errorf("%d list requests for 3,301 runs", lists)
	}
}

func TestActionsRateLimitsAndErrors(t *testing.T) {
	t.Run("secondary limit on the jobs, then a primary one", func(t *testing.T) {
		srv := gt.New(token, actionsRepo(t0))
		defer srv.Close()
		var n atomic.Int32
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, "/jobs") {
				return false
			}
			switch n.Add(1) {
			case 1:
				gt.SecondaryLimit(w, http.StatusForbidden, "")
				return true
			case 2:
				gt.SecondaryLimit(w, http.StatusTooManyRequests, "")
				return true
			case 3:
				gt.PrimaryLimit(w, http.StatusForbidden, time.Now().Add(20*time.Millisecond))
				return true
			}
			return false
		})
		c, logs := newCollector(t, srv, func(o *Options) { o.Now = func() time.Time { return t0.Add(6 * time.Hour) } })
		c, _ = NewActions(c.opts)
		sink := newBuildSink()
		if _, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink); err != nil {
			t.Fatal(err)
		}
		if len(sink.Builds) != 6 {
			t.Errorf("stored %v", sink.ids())
		}
		for _, want := range []string{"secondary rate limit", "primary rate limit"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("no %q in the log:\n%s", want, logs)
			}
		}
	})
	t.Run("secondary limit that does not stop", func(t *testing.T) {
		srv := gt.New(token, actionsRepo(t0))
		defer srv.Close()
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			gt.SecondaryLimit(w, http.StatusForbidden, "")
			return true
		})
		c, _ := newCollector(t, srv, func(o *Options) { o.MaxWait = 40 * time.Millisecond })
		c, _ = NewActions(c.opts)
		sink := newBuildSink()
		_, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
		if !errors.Is(err, httpx.ErrRateLimited) || !strings.Contains(err.Error(), "/actions/runs?") {
			t.Fatalf("error %v, want a rate limit naming the runs request", err)
		}
		if len(sink.Cursors) != 0 {
			t.Errorf("cursor saved: %v", sink.Cursors)
		}
	})
	t.Run("repository gone", func(t *testing.T) {
		srv := gt.New(token, actionsRepo(t0))
		defer srv.Close()
		c, _ := newCollector(t, srv, func(o *Options) {
			o.Repos = []string{"gone", "widgets"}
			o.Now = func() time.Time { return t0.Add(6 * time.Hour) }
		})
		c, _ = NewActions(c.opts)
		sink := newBuildSink()
		_, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink)
		var he *httpx.Error
		if !errors.As(err, &he) || he.Status != http.StatusNotFound || !strings.Contains(err.Error(), "acme/gone: workflow runs") {
			t.Fatalf("error %v, want a 404 naming acme/gone", err)
		}
		if len(sink.Builds) != 6 || len(sink.Cursors) != 0 {
			t.Errorf("stored %d builds, cursors %v", len(sink.Builds), sink.Cursors)
		}
	})
	t.Run("truncated answer", func(t *testing.T) {
		srv := gt.New(token, actionsRepo(t0))
		defer srv.Close()
		var n atomic.Int32
		srv.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
			if strings.HasSuffix(r.URL.Path, "/jobs") && n.Add(1) == 1 {
				w.Header().Set("Content-Length", "4000")
				w.Write([]byte(`{"total_count":2,"jobs":[{"id":1001,`))
				return true
			}
			return false
		})
		c, logs := newCollector(t, srv, func(o *Options) { o.Now = func() time.Time { return t0.Add(6 * time.Hour) } })
		c, _ = NewActions(c.opts)
		sink := newBuildSink()
		if _, err := c.Collect(context.Background(), collectors.Window{From: t0}, sink); err != nil {
			t.Fatal(err)
		}
		if len(sink.Builds) != 6 || !strings.Contains(logs.String(), "retrying") {
			t.Errorf("stored %d builds; log:\n%s", len(sink.Builds), logs)
		}
	})
}

func TestActionsBuildsEdges(t *testing.T) {
	run := decodeAs[gh.WorkflowRun](t, `{"id":1,"name":"CI","status":"completed","created_at":"2024-01-01T10:00:00Z","run_started_at":"2024-01-01T10:00:30Z","run_attempt":1,"head_sha":"f00d"}`)
	jobs := decodeAs[[]*gh.WorkflowJob](t, `[
		{"id":1,"name":"a","status":"completed","conclusion":"success","started_at":"2024-01-01T10:05:00Z","completed_at":"2024-01-01T10:04:00Z","created_at":"2024-01-01T10:06:00Z","head_sha":"beef"},
		{"id":2,"name":"","status":"completed","conclusion":"success","completed_at":"2024-01-01T10:04:00Z"},
		{"id":3,"name":"c","status":"completed","completed_at":"2024-01-01T10:04:00Z"},
		{"id":4,"name":"d","status":"completed","conclusion":"startup_failure","completed_at":"2024-01-01T10:04:00Z","workflow_name":"Other"}
	]`)
	out, bad := actionsBuilds("gh", "acme/widgets", &run, jobs)
	if len(out) != 2 || len(bad) != 2 {
		t.Fatalf("builds %+v, bad %v", out, bad)
	}
	// completed before it started: a zero duration at the completion;
	// created after it started: no queue time.
	// A job's head_sha is its commit, else the run's.
	if a := out[0]; a.DurationS != 0 || !a.Started.Equal(a.Finished) || a.QueuedS != nil || a.Commit != "beef" {
		t.Errorf("job a: %+v", a)
	}
	if d := out[1]; d.Result != "STARTUP_FAILURE" || d.Pipeline != "CI" || d.Commit != "f00d" || !eqInt64(d.QueuedS, ptr[int64](30)) {
		t.Errorf("job d: %+v queued %v", d, deref(d.QueuedS))
	}
	for _, b := range bad {
		if !strings.Contains(b, "job 2") && !strings.Contains(b, "job 3") {
			t.Errorf("bad %q", b)
		}
	}
	if got := createdRange(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2024, 1, 3, 0, 0, 0, 0, time.FixedZone("x", 3600))); got != "2024-01-02T03:04:05Z..2024-01-02T23:00:00Z" {
		t.Errorf("createdRange %q", got)
	}
}

func decodeAs[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}
