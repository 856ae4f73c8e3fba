package gitlab

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
)

// GitLab CI jobs as builds
//
// With Options.CI a collection reads, for each project (Options.Projects,
// or the group's own projects and its subgroups', not archived, listed with
// keyset pagination by id), the pipelines updated since the window's start
// (GET /projects/:id/pipelines?updated_after=...&order_by=updated_at&sort=desc,
// offset pagination), and for each of them its jobs, retried ones included
// (GET /projects/:id/pipelines/:pipeline_id/jobs?include_retried=true).
// A pipeline's updated_at moves whenever one of its jobs changes state, so
// a job that was still running is read again, finished, by a later
// collection; no lookback is needed.
//
// Each finished job (one with finished_at) is one collectors.Build
// (docs/definitions.md §16): System "gitlab-ci", Pipeline the pipeline's
// source (merge_request_event, push, schedule, ...), Job the job's name,
// BuildID its id, URL its page, Project the project's full path, Result
// its status in the other systems' words (resultOf), Voting unless the job
// may fail (allow_failure), Started its started_at (its finished_at when it
// never started), DurationS and QueuedS its duration and queued_duration
// rounded down (QueuedS null when it never started), and Change the iid of
// the merge request whose refs/merge-requests/IID/head (or /merge, /train:
// merged results and merge trains) the pipeline ran on. A job not
// finished yet is left for a later collection; one with a time ClickHouse
// cannot hold is skipped and counted in Stats.Skipped.

// System is the CI system of GitLab CI builds.
const System = "gitlab-ci"

// ci stores the builds of every project's pipelines updated since from.
// Errors of one project (403, 404) are added to errs; any other is
// returned.
func (g *Collector) ci(ctx context.Context, from time.Time, sink collectors.Sink, st *collectors.Stats, errs []error) ([]error, error) {
	projects := g.opts.Projects
	if g.opts.Group != "" {
		var err error
		if projects, err = g.groupProjects(ctx); err != nil {
			return nil, fmt.Errorf("gitlab source %q: the projects of group %s: %w", g.opts.Name, g.opts.Group, explain(err))
		}
	}
	for _, p := range projects {
		err := g.pipelines(ctx, p, from, sink, st)
		var fatal error
		if errs, fatal = g.projectFailed(ctx, errs, p, err); fatal != nil {
			return nil, fatal
		}
	}
	return errs, nil
}

// groupProjects lists the full paths of the group's projects, its
// subgroups' included, with keyset pagination (GitLab caps offset
// pagination over projects), or with offset pagination when the server
// answers that keyset pagination is not available here (405).
func (g *Collector) groupProjects(ctx context.Context) ([]string, error) {
	o := &gl.ListGroupProjectsOptions{
		ListOptions:      gl.ListOptions{Pagination: "keyset", PerPage: int64(g.opts.PageSize)},
		OrderBy:          gl.Ptr("id"),
		Sort:             gl.Ptr("asc"),
		IncludeSubGroups: gl.Ptr(true),
		Archived:         gl.Ptr(false),
		WithShared:       gl.Ptr(false),
		Simple:           gl.Ptr(true),
	}
	list := func(r ...gl.RequestOptionFunc) ([]*gl.Project, *gl.Response, error) {
		return g.gl.Groups.ListGroupProjects(g.opts.Group, o, r...)
	}
	ps, err := all(ctx, list)
	if httpx.StatusOf(err) == http.StatusMethodNotAllowed {
		g.log.Warn("keyset pagination refused; listing the group's projects with offset pagination", "group", g.opts.Group)
		o.Pagination = ""
		ps, err = all(ctx, list)
	}
	var out []string
	for _, p := range ps {
		if p != nil && p.PathWithNamespace != "" {
			out = append(out, p.PathWithNamespace)
		}
	}
	return out, err
}

// pipelines stores the finished jobs of the pipelines of project p updated
// since from, one Write per page of pipelines.
func (g *Collector) pipelines(ctx context.Context, p string, from time.Time, sink collectors.Sink, st *collectors.Stats) error {
	o := &gl.ListProjectPipelinesOptions{ListOptions: gl.ListOptions{PerPage: int64(g.opts.PageSize)},
		UpdatedAfter: &from, OrderBy: gl.Ptr("updated_at"), Sort: gl.Ptr("desc")}
	return pages(ctx, func(r ...gl.RequestOptionFunc) ([]*gl.PipelineInfo, *gl.Response, error) {
		return g.gl.Pipelines.ListProjectPipelines(p, o, r...)
	}, func(pls []*gl.PipelineInfo) (bool, error) {
		var batch collectors.Batch
		var last time.Time
		for _, pl := range pls {
			if pl == nil || pl.ID == 0 {
				continue
			}
			last = at(pl.UpdatedAt)
			jobs, err := g.jobs(ctx, p, pl.ID)
			if err != nil {
				return false, fmt.Errorf("jobs of pipeline %d: %w", pl.ID, err)
			}
			for _, j := range jobs {
				b, ok, err := toBuild(g.opts.Name, p, pl, j)
				if err != nil {
					st.Skipped++
					g.log.Error("skipped a CI job codepace cannot store", "project", p, "pipeline", pl.ID, "error", err)
				}
				if ok {
					batch.Builds = append(batch.Builds, b)
				}
			}
		}
		return true, g.store(ctx, sink, batch, st, collectors.Progress{Item: p, From: from, At: last})
	})
}

// jobs lists every job of a pipeline, retried ones included.
func (g *Collector) jobs(ctx context.Context, p string, pipeline int64) ([]*gl.Job, error) {
	o := &gl.ListJobsOptions{ListOptions: gl.ListOptions{PerPage: int64(g.opts.PageSize)}, IncludeRetried: gl.Ptr(true)}
	return all(ctx, func(r ...gl.RequestOptionFunc) ([]*gl.Job, *gl.Response, error) {
		return g.gl.Jobs.ListPipelineJobs(p, pipeline, o, r...)
	})
}

// toBuild maps a job of pipeline pl onto a build. ok is false for a job
// not finished yet, and for one codepace cannot store (then err says why).
func toBuild(source, project string, pl *gl.PipelineInfo, j *gl.Job) (b collectors.Build, ok bool, err error) {
	if j == nil || j.FinishedAt == nil {
		return b, false, nil
	}
	if j.ID == 0 || j.Name == "" {
		return b, false, fmt.Errorf("job %d without id or name", j.ID)
	}
	finished := at(j.FinishedAt)
	started := at(j.StartedAt)
	var queued *int64
	if started.IsZero() {
		started = finished
	} else {
		q := int64(max(j.QueuedDuration, 0))
		queued = &q
	}
	if err := cmpErr(collectors.CheckTime("started_at", started), collectors.CheckTime("finished_at", finished)); err != nil {
		return b, false, fmt.Errorf("job %d (%s): %w", j.ID, j.Name, err)
	}
	return collectors.Build{
		Source: source, System: System, Pipeline: pl.Source, Job: j.Name,
		BuildID: strconv.FormatInt(j.ID, 10), URL: j.WebURL, Project: project,
		Change: mergeRequestOf(pl.Ref), Result: resultOf(j.Status), Voting: !j.AllowFailure,
		Started: started, Finished: finished, DurationS: int64(max(j.Duration, 0)), QueuedS: queued,
	}, true, nil
}

func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// resultOf is a job's status in the other CI systems' words.
func resultOf(status string) string {
	switch status {
	case "success":
		return "SUCCESS"
	case "failed":
		return "FAILURE"
	case "canceled", "cancelled":
		return "CANCELLED"
	}
	return strings.ToUpper(status)
}

// mergeRequestOf is the iid of the merge request whose ref a pipeline ran
// on (refs/merge-requests/IID/head, /merge or /train), else 0.
func mergeRequestOf(ref string) int64 {
	rest, ok := strings.CutPrefix(ref, "refs/merge-requests/")
	if !ok {
		return 0
	}
	iid, kind, _ := strings.Cut(rest, "/")
	switch kind {
	case "head", "merge", "train":
		n, err := strconv.ParseInt(iid, 10, 64)
		if err == nil && n > 0 {
			return n
		}
	}
	return 0
}
