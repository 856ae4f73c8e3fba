package github

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
)

// GitHub Actions builds
//
// With Options.Actions (or a collector made by NewActions) a collection
// reads, per repository, the workflow runs created in the span
// [window start − ActionsLookback, collection start] with
// Actions.ListRepositoryWorkflowRuns and the filter created=A..B. GitHub
// returns at most 1,000 runs for a filtered query, so a span whose
// total_count is larger is cut into smaller spans (down to one second),
// each read whole.
//
// A run that is not completed is skipped: its jobs are still running or
// waiting. It is read on a later collection once completed, because the
// listing reaches ActionsLookback back and a run's updated_at moves when it
// completes. The same holds for a re-run: it keeps its created_at, gets a
// new run_attempt and a new updated_at. So the jobs of a completed run are
// fetched when the run was created in the window (at or after its start)
// or was updated in it (it completed, or was re-run and completed, since
// the last collection); older runs of the lookback are only listed. A run
// that completes, or is re-run, more than ActionsLookback after it was
// created is missed (collect again with --since to pick it up).
//
// The jobs of a run are read with Actions.ListWorkflowJobs and filter=all,
// which lists the jobs of every attempt. Each job of each attempt is one
// collectors.Build:
//
//   - System "github-actions", Pipeline the workflow's name, Job the job's
//     name, Project "owner/repo";
//   - BuildID the job's id (a re-run gets new job ids), URL its page;
//   - Result the job's conclusion upper-cased: SUCCESS, FAILURE,
//     CANCELLED, SKIPPED, TIMED_OUT, ACTION_REQUIRED, NEUTRAL, STALE, ...;
//   - Started and Finished the job's started_at and completed_at, and
//     DurationS the seconds between them (0 when completed_at is earlier).
//     A job without started_at (it never ran) starts at the run's
//     run_started_at when it belongs to the run's latest attempt, else at
//     its completed_at;
//   - QueuedS the job's started_at − created_at (the job waited for a
//     runner); for a job without created_at (older GitHub Enterprise
//     Server), the run's run_started_at − created_at when the run has had
//     one attempt only; else NULL. Runs without run_started_at (old runs)
//     give no fallback;
//   - Change the number of the run's first pull request (pull_requests
//     is empty for runs of forks' pull requests and for pushes: 0);
//   - Commit the job's head_sha, else the run's: the commit it ran on
//     (for a pull_request event the head commit of the pull request, not
//     the merge commit GitHub tests), which docs/definitions.md §19 reads
//     as a CI verdict on that commit.
//
// A job GitHub lists without id, name or completed_at, or not completed,
// or with a start or finish ClickHouse cannot hold (collectors.CheckTime),
// is skipped and counted in Stats.Skipped; so is a null entry of the jobs,
// and a run listed without id or created_at. An answer that is not the
// JSON asked for (null, an empty body, an HTML page, JSON cut short) fails
// the collection (see fetch), so that the cursor does not move past runs
// that were not read.

// defaultActionsLookback is the default of Options.ActionsLookback.
const defaultActionsLookback = 72 * time.Hour

// maxFilteredRuns is the most runs GitHub returns for a filtered query.
const maxFilteredRuns = 1000

// NewActions returns a collector that reads only the GitHub Actions
// workflow runs and jobs of the source's repositories (as builds), not its
// pull requests; opts.Actions is ignored. Its cursor is the source's
// (Options.Name) like New's: wire one or the other for a source, or give
// the Actions collector a source name of its own.
func NewActions(opts Options) (*Collector, error) {
	c, err := New(opts)
	if err != nil {
		return nil, err
	}
	c.pulls, c.actions = false, true
	return c, nil
}

// runs stores the jobs of the workflow runs of r created in
// [from − ActionsLookback, to] that are completed and new or changed since
// from.
func (g *Collector) runs(ctx context.Context, r repoRef, from, to time.Time, sink collectors.Sink, st *collectors.Stats) error {
	lo := from.Add(-g.opts.ActionsLookback).Truncate(time.Second)
	hi := to.Truncate(time.Second)
	if hi.Before(to) {
		hi = hi.Add(time.Second)
	}
	rs := &runScan{r: r, from: from, seen: map[int64]bool{}, sink: sink, st: st}
	if err := g.runSpan(ctx, rs, lo, hi); err != nil {
		return fmt.Errorf("workflow runs: %w", err)
	}
	g.log.Debug("workflow runs collected", "repo", r.String(), "runs", rs.read, "not_completed", rs.pending, "builds", rs.builds)
	return nil
}

// runScan is the state of reading one repository's runs.
type runScan struct {
	r       repoRef
	from    time.Time
	seen    map[int64]bool // runs handled, by id
	sink    collectors.Sink
	st      *collectors.Stats
	read    int // runs whose jobs were read
	pending int // runs skipped as not completed
	builds  int
}

// createdRange renders [lo, hi] for the created filter (both ends
// inclusive, whole seconds).
func createdRange(lo, hi time.Time) string {
	const f = "2006-01-02T15:04:05Z"
	return lo.UTC().Format(f) + ".." + hi.UTC().Format(f)
}

// runSpan reads the runs created in [lo, hi], cutting the span when GitHub
// has more than it would return for one query.
func (g *Collector) runSpan(ctx context.Context, rs *runScan, lo, hi time.Time) error {
	opt := &gh.ListWorkflowRunsOptions{Created: createdRange(lo, hi), ListOptions: gh.ListOptions{PerPage: g.opts.PageSize}}
	progress := httpx.Pager{What: "workflow runs of " + rs.r.String() + " created " + opt.Created}
	for {
		page, resp, err := fetch(ctx, g.c, workflowRuns, func() (*gh.WorkflowRuns, *gh.Response, error) {
			return g.gh.Actions.ListRepositoryWorkflowRuns(ctx, rs.r.owner, rs.r.name, opt)
		})
		if err != nil {
			return err
		}
		if page == nil { // fetch refuses a null answer; never taken for "no runs"
			return fmt.Errorf("workflow runs created %s: GitHub answered nothing", opt.Created)
		}
		if total := page.GetTotalCount(); opt.Page <= 1 && total > maxFilteredRuns {
			if secs := int64(hi.Sub(lo)/time.Second) + 1; secs > 1 {
				// Cut into parts that should hold about 800 runs each.
				parts := min(int64(total/800+1), secs)
				size := time.Duration((secs+parts-1)/parts) * time.Second
				g.log.Debug("more runs than one query returns; cutting the span", "repo", rs.r.String(),
					"created", opt.Created, "total", total, "parts", parts)
				for a := lo; !a.After(hi); a = a.Add(size) {
					b := a.Add(size - time.Second)
					if b.After(hi) {
						b = hi
					}
					if err := g.runSpan(ctx, rs, a, b); err != nil {
						return err
					}
				}
				return nil
			}
			rs.st.Skipped += total - maxFilteredRuns
			g.log.Error("more workflow runs created in one second than GitHub returns; some are skipped",
				"repo", rs.r.String(), "created", opt.Created, "total", total, "skipped", total-maxFilteredRuns)
		}
		if err := g.runPage(ctx, rs, page.WorkflowRuns); err != nil {
			return err
		}
		if resp.NextPage <= opt.Page {
			return nil
		}
		keys := make([]string, len(page.WorkflowRuns))
		for i, run := range page.WorkflowRuns {
			keys[i] = fmt.Sprint(run.GetID(), " ", run.GetRunAttempt())
		}
		if err := progress.Page(keys, strconv.Itoa(resp.NextPage)); err != nil {
			return err
		}
		opt.Page = resp.NextPage
	}
}

// runPage stores the jobs of the runs of one page that need it.
func (g *Collector) runPage(ctx context.Context, rs *runScan, runs []*gh.WorkflowRun) error {
	var batch collectors.Batch
	var last time.Time
	for _, run := range runs {
		if run == nil || run.ID == nil || run.CreatedAt == nil || run.CreatedAt.IsZero() {
			rs.st.Skipped++
			g.log.Error("skipped a workflow run GitHub listed without id or created_at", "repo", rs.r.String())
			continue
		}
		if rs.seen[run.GetID()] {
			continue
		}
		rs.seen[run.GetID()] = true
		if run.GetStatus() != "completed" {
			rs.pending++
			continue // read again once completed
		}
		if at(run.CreatedAt).Before(rs.from) && run.UpdatedAt != nil && at(run.UpdatedAt).Before(rs.from) {
			continue // stored by an earlier collection
		}
		id := run.GetID()
		jobs, err := listAll(ctx, g.c, g.opts.PageSize, workflowJobs, func(o gh.ListOptions) ([]*gh.WorkflowJob, *gh.Response, error) {
			js, resp, err := g.gh.Actions.ListWorkflowJobs(ctx, rs.r.owner, rs.r.name, id, &gh.ListWorkflowJobsOptions{Filter: "all", ListOptions: o})
			if js == nil {
				return nil, resp, err
			}
			return js.Jobs, resp, err
		})
		if err != nil {
			return fmt.Errorf("jobs of run %d: %w", id, err)
		}
		rs.read++
		kept := slices.DeleteFunc(slices.Clone(jobs), func(j *gh.WorkflowJob) bool { return j == nil })
		if n := len(jobs) - len(kept); n > 0 {
			rs.st.Skipped += n
			g.log.Error("skipped null entries GitHub listed among the jobs of a run", "repo", rs.r.String(), "run", id, "count", n)
		}
		jobs = kept
		builds, bad := actionsBuilds(g.opts.Name, rs.r.String(), run, jobs)
		for _, b := range bad {
			rs.st.Skipped++
			g.log.Error("skipped a workflow job codepace cannot use", "repo", rs.r.String(), "run", id, "error", b)
		}
		batch.Builds = append(batch.Builds, builds...)
		last = at(run.CreatedAt)
	}
	if len(batch.Builds) == 0 {
		return nil
	}
	if err := rs.sink.Write(ctx, batch); err != nil {
		return err
	}
	rs.builds += len(batch.Builds)
	rs.st.Builds += len(batch.Builds)
	if g.opts.Progress != nil {
		g.opts.Progress(collectors.Progress{Source: g.opts.Name, Item: rs.r.String(), At: last, From: rs.from,
			Changes: rs.st.Changes, Builds: rs.st.Builds})
	}
	return nil
}

// actionsBuilds maps the jobs of a completed run (every attempt) onto
// builds; bad describes the jobs left out.
func actionsBuilds(source, project string, run *gh.WorkflowRun, jobs []*gh.WorkflowJob) (out []collectors.Build, bad []string) {
	pipeline := run.GetName()
	var change int64
	// A pull request number is positive; anything else (found by
	// FuzzActionsBuilds) names no change.
	if len(run.PullRequests) > 0 && run.PullRequests[0].GetNumber() > 0 {
		change = int64(run.PullRequests[0].GetNumber())
	}
	latest := int64(max(run.GetRunAttempt(), 1))
	for _, j := range jobs {
		if j == nil {
			continue
		}
		switch {
		case j.ID == nil || j.GetName() == "":
			bad = append(bad, fmt.Sprintf("job %d without id or name", j.GetID()))
			continue
		case j.GetStatus() != "completed" || j.CompletedAt == nil || j.CompletedAt.IsZero() || j.GetConclusion() == "":
			bad = append(bad, fmt.Sprintf("job %d (%s) of a completed run has status %q, conclusion %q, completed_at %v",
				j.GetID(), j.GetName(), j.GetStatus(), j.GetConclusion(), j.CompletedAt))
			continue
		}
		attempt := j.GetRunAttempt()
		if attempt <= 0 {
			attempt = latest
		}
		finished := at(j.CompletedAt)
		var started time.Time
		switch {
		case known(j.StartedAt):
			started = at(j.StartedAt)
		case attempt == latest && known(run.RunStartedAt):
			started = at(run.RunStartedAt)
		default:
			started = finished
		}
		if finished.Before(started) {
			started = finished
		}
		if err := cmp.Or(collectors.CheckTime("started_at", started), collectors.CheckTime("completed_at", finished)); err != nil {
			bad = append(bad, fmt.Sprintf("job %d (%s): %v", j.GetID(), j.GetName(), err))
			continue
		}
		var queued *int64
		switch {
		case j.CreatedAt != nil && j.StartedAt != nil:
			if known(j.CreatedAt) && known(j.StartedAt) {
				queued = seconds(at(j.CreatedAt), at(j.StartedAt))
			}
		case j.CreatedAt == nil && latest == 1 && known(run.CreatedAt) && known(run.RunStartedAt):
			queued = seconds(at(run.CreatedAt), at(run.RunStartedAt))
		}
		if p := j.GetWorkflowName(); pipeline == "" {
			pipeline = p
		}
		out = append(out, collectors.Build{
			Source: source, System: collectors.SystemGitHubActions,
			Pipeline: pipeline, Job: j.GetName(),
			BuildID: strconv.FormatInt(j.GetID(), 10), URL: j.GetHTMLURL(),
			Project: project, Change: change, Commit: cmp.Or(j.GetHeadSHA(), run.GetHeadSHA()),
			Result: strings.ToUpper(j.GetConclusion()), Voting: true,
			Started: started, Finished: finished,
			DurationS: int64(finished.Sub(started) / time.Second),
			QueuedS:   queued,
		})
	}
	return out, bad
}

// known reports whether t is a time GitHub sent that can be stored: set,
// not zero, within collectors.CheckTime's range.
func known(t *gh.Timestamp) bool {
	return t != nil && !t.IsZero() && collectors.CheckTime("", t.Time) == nil
}

// seconds returns to − from in whole seconds, or nil when negative.
func seconds(from, to time.Time) *int64 {
	d := to.Sub(from)
	if d < 0 {
		return nil
	}
	s := int64(d / time.Second)
	return &s
}
