// Package gitlab collects merge requests, their notes, discussions and
// approvals from GitLab (gitlab.com or a self-managed instance) through its
// REST API (v4) with client-go, and, with Options.CI, the jobs of GitLab CI
// pipelines as builds (see ci.go). docs/definitions.md §16 says how GitLab
// maps onto the metric definitions; convert.go implements it.
//
// # What a collection reads
//
// With Options.Group, the group's merge requests, its subgroups' included,
// are listed in one list (GET /groups/:id/merge_requests); with
// Options.Projects, each project's (GET /projects/:id/merge_requests).
// Either list asks for scope=all, state=all, updated_after the window's
// start (which already includes the overlap), order_by=updated_at,
// sort=desc, and is paged with offset pagination (X-Next-Page). Paging
// newest-first over a list that changes while it is read cannot skip a
// merge request: an update moves it to the front, so later pages only
// shift towards older ones (one may be read twice; it is stored once). A
// merge request updated after the collection started is caught by the
// next one, since the cursor is the collection's start.
//
// For each merge request listed it reads its discussions (every note, the
// system notes included: GitLab records drafts and approvals as system
// notes), its commits (the first one's author date, and one revision per
// commit), its resource state events (closed, reopened, merged: GitLab
// 13 and later keep them there, no longer as notes), and, once per account
// while the Collector lives, the account itself (GET /users/:id), whose
// bot flag the list's accounts lack.
//
// # Cost
//
// A backfill costs one list request per PageSize merge requests, then per
// merge request 3 requests (discussions, commits, state events) plus one
// per extra page of any, plus one per account not seen before. An unchanged
// incremental run costs one list request (group) or one per project.
//
// # Failures
//
// Requests go through collectors/httpx: the token is sent (as a Bearer
// token) to the configured origin only, 5xx answers and network errors are
// retried Options.Retries times with backoff, a 429 waits what it asks for
// (Retry-After, else RateLimit-Reset when RateLimit-Remaining is 0) within
// Options.MaxWait, an answer larger than Options.MaxAnswerBytes or a page
// with more items than per_page fails, and errors and logs are redacted.
// A 2xx answer that is not JSON (an HTML sign-in page, an empty body,
// null) fails the collection with an *httpx.Error wrapping
// httpx.ErrNotJSON. With Options.Projects, a project that answers 403 or 404 is
// logged and skipped while the others are read, and the cursor stays. A
// merge request whose notes, commits or events answer 404 was deleted
// since it was listed: it is skipped, logged and counted. What
// GitLab said but codepace cannot store (a merge request without iid or
// dates, a time ClickHouse cannot hold) is skipped, logged and counted in
// Stats.Skipped. The cursor is saved, at the collection's start, only when
// everything was read.
package gitlab

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
)

// Name returns the source name.
func (g *Collector) Name() string { return g.opts.Name }

// Collect stores every merge request updated since w.From (and, with
// Options.CI, the CI jobs of the pipelines updated since then) and saves
// the cursor, the time the collection started, once all are stored.
func (g *Collector) Collect(ctx context.Context, w collectors.Window, sink collectors.Sink) (st collectors.Stats, err error) {
	req0, waited0 := g.api.hx.Requests(), g.api.hx.Waited()
	started := time.Now()
	defer func() {
		err = g.red.Error(err)
		st.Requests = g.api.hx.Requests() - req0
		waited := g.api.hx.Waited()
		limit, left := g.api.budget()
		g.log.Info("gitlab requests", "requests", st.Requests, "changes", st.Changes, "builds", st.Builds,
			"waited", (waited - waited0).Round(time.Millisecond).String(),
			"took", time.Since(started).Round(time.Millisecond).String(), "rate_limit", limit, "rate_remaining", left)
	}()
	runStart := g.opts.Now().UTC()
	from := w.From.UTC()
	var errs []error
	if g.opts.Group != "" {
		err = g.mergeRequests(ctx, "group "+g.opts.Group, from, sink, &st, func(o *gl.ListProjectMergeRequestsOptions, p ...gl.RequestOptionFunc) ([]*gl.BasicMergeRequest, *gl.Response, error) {
			return g.gl.MergeRequests.ListGroupMergeRequests(g.opts.Group, groupOptions(o), p...)
		})
		if err != nil {
			return st, fmt.Errorf("gitlab source %q: group %s: %w", g.opts.Name, g.opts.Group, explain(err))
		}
	}
	for _, p := range g.opts.Projects {
		err := g.mergeRequests(ctx, p, from, sink, &st, func(o *gl.ListProjectMergeRequestsOptions, r ...gl.RequestOptionFunc) ([]*gl.BasicMergeRequest, *gl.Response, error) {
			return g.gl.MergeRequests.ListProjectMergeRequests(p, o, r...)
		})
		if errs, err = g.projectFailed(ctx, errs, p, err); err != nil {
			return st, err
		}
	}
	if g.opts.CI {
		if errs, err = g.ci(ctx, from, sink, &st, errs); err != nil {
			return st, err
		}
	}
	if len(errs) > 0 {
		return st, errors.Join(errs...)
	}
	return st, sink.SaveCursor(ctx, g.opts.Name, runStart)
}

// projectFailed sorts out the error of reading project p. A 403 or 404
// concerns that project alone: it is logged and added to errs, so that the
// others are still read and the cursor does not move. Any other error
// (with errs) is returned as fatal.
func (g *Collector) projectFailed(ctx context.Context, errs []error, p string, err error) ([]error, error) {
	if err == nil {
		return errs, nil
	}
	err = fmt.Errorf("gitlab source %q: project %s: %w", g.opts.Name, p, explain(err))
	if st := httpx.StatusOf(err); ctx.Err() == nil && (st == http.StatusNotFound || st == http.StatusForbidden) {
		g.log.Error("project not collected; the cursor will not move", "project", p, "error", err)
		return append(errs, err), nil
	}
	return nil, errors.Join(append(errs, err)...)
}

// groupOptions turns the list options of a project's merge requests into
// the group's.
func groupOptions(o *gl.ListProjectMergeRequestsOptions) *gl.ListGroupMergeRequestsOptions {
	return &gl.ListGroupMergeRequestsOptions{ListOptions: o.ListOptions, State: o.State, OrderBy: o.OrderBy,
		Sort: o.Sort, UpdatedAfter: o.UpdatedAfter, Scope: o.Scope}
}

// mrLister lists one page of merge requests.
type mrLister func(o *gl.ListProjectMergeRequestsOptions, r ...gl.RequestOptionFunc) ([]*gl.BasicMergeRequest, *gl.Response, error)

// mergeRequests stores the merge requests list returns that were updated
// since from, one Write per page of the list.
func (g *Collector) mergeRequests(ctx context.Context, where string, from time.Time, sink collectors.Sink, st *collectors.Stats, list mrLister) error {
	o := &gl.ListProjectMergeRequestsOptions{ListOptions: gl.ListOptions{PerPage: int64(g.opts.PageSize)},
		State: gl.Ptr("all"), Scope: gl.Ptr("all"), OrderBy: gl.Ptr("updated_at"), Sort: gl.Ptr("desc"), UpdatedAfter: &from}
	seen := map[int64]time.Time{}
	return pages(ctx, func(r ...gl.RequestOptionFunc) ([]*gl.BasicMergeRequest, *gl.Response, error) {
		return list(o, r...)
	}, func(mrs []*gl.BasicMergeRequest) (bool, error) {
		var batch collectors.Batch
		var last time.Time
		for _, mr := range mrs {
			if mr == nil || mr.IID == 0 || mr.ProjectID == 0 || mr.UpdatedAt == nil || mr.CreatedAt == nil {
				st.Skipped++
				g.log.Error("skipped a merge request GitLab listed without iid, project_id, created_at or updated_at", "where", where)
				continue
			}
			if mr.UpdatedAt.Before(from) {
				continue // a server that ignores updated_after
			}
			if prev, ok := seen[mr.ID]; ok && prev.Equal(*mr.UpdatedAt) {
				continue // read again because the list moved while paging
			}
			seen[mr.ID] = *mr.UpdatedAt
			c, err := g.mergeRequest(ctx, mr)
			if httpx.StatusOf(err) == http.StatusNotFound && ctx.Err() == nil {
				// Deleted (or moved) since it was listed: nothing to store.
				st.Skipped++
				g.log.Warn("skipped a merge request that is gone since it was listed", "merge_request", reference(mr), "error", err)
				continue
			}
			if err != nil {
				return false, fmt.Errorf("merge request %s: %w", reference(mr), err)
			}
			if err := storable(c); err != nil {
				st.Skipped++
				g.log.Error("skipped a merge request codepace cannot store", "merge_request", reference(mr), "reason", err)
				continue
			}
			batch.Changes = append(batch.Changes, c)
			last = c.Updated
		}
		return true, g.store(ctx, sink, batch, st, collectors.Progress{Item: where, From: from, At: last})
	})
}

// store writes one page's batch, when it holds anything, counts it and
// reports the progress p (Item, From and At set by the caller).
func (g *Collector) store(ctx context.Context, sink collectors.Sink, b collectors.Batch, st *collectors.Stats, p collectors.Progress) error {
	if len(b.Changes)+len(b.Builds) == 0 {
		return nil
	}
	if err := sink.Write(ctx, b); err != nil {
		return err
	}
	st.Changes += len(b.Changes)
	st.Builds += len(b.Builds)
	if g.opts.Progress != nil {
		p.Source, p.Changes, p.Builds = g.opts.Name, st.Changes, st.Builds
		g.opts.Progress(p)
	}
	return nil
}

// mergeRequest reads what belongs to mr and maps it onto a Change.
func (g *Collector) mergeRequest(ctx context.Context, mr *gl.BasicMergeRequest) (collectors.Change, error) {
	m := mergeRequest{mr: mr}
	per := gl.ListOptions{PerPage: int64(g.opts.PageSize)}
	var err error
	m.discussions, err = all(ctx, func(r ...gl.RequestOptionFunc) ([]*gl.Discussion, *gl.Response, error) {
		return g.gl.Discussions.ListMergeRequestDiscussions(mr.ProjectID, mr.IID, &gl.ListMergeRequestDiscussionsOptions{ListOptions: per}, r...)
	})
	if err != nil {
		return collectors.Change{}, fmt.Errorf("discussions: %w", explain(err))
	}
	m.commits, err = all(ctx, func(r ...gl.RequestOptionFunc) ([]*gl.Commit, *gl.Response, error) {
		return g.gl.MergeRequests.GetMergeRequestCommits(mr.ProjectID, mr.IID, &gl.GetMergeRequestCommitsOptions{ListOptions: per}, r...)
	})
	if err != nil {
		return collectors.Change{}, fmt.Errorf("commits: %w", explain(err))
	}
	m.states, err = all(ctx, func(r ...gl.RequestOptionFunc) ([]*gl.StateEvent, *gl.Response, error) {
		return g.gl.ResourceStateEvents.ListMergeStateEvents(mr.ProjectID, mr.IID, &gl.ListStateEventsOptions{ListOptions: per}, r...)
	})
	if err != nil {
		return collectors.Change{}, fmt.Errorf("state events: %w", explain(err))
	}
	if m.bots, err = g.botFlags(ctx, m.accounts()); err != nil {
		return collectors.Change{}, err
	}
	return toChange(g.opts.Name, m), nil
}

// botFlags returns the bot flag of each account id, asking GitLab (GET
// /users/:id) for those the Collector has not seen yet. An account GitLab
// no longer shows (404: deleted or blocked) is not a bot.
func (g *Collector) botFlags(ctx context.Context, ids []int64) (map[int64]bool, error) {
	for _, id := range ids {
		if _, ok := g.bots[id]; ok {
			continue
		}
		u, _, err := g.gl.Users.GetUser(id, &gl.GetUserOptions{}, gl.WithContext(ctx))
		switch {
		case httpx.StatusOf(err) == http.StatusNotFound:
			g.bots[id] = false
		case err != nil:
			return nil, fmt.Errorf("account %d: %w", id, explain(err))
		default:
			g.bots[id] = u.Bot
		}
	}
	return g.bots, nil
}

// pages calls list for one page after another, following the Link
// rel="next" of keyset pagination or the X-Next-Page of offset pagination,
// and hands each page to each, until a page says there is no next one or
// each returns false. A server that names the page just read as the next
// one is an error, not an endless loop.
func pages[T any](ctx context.Context, list func(...gl.RequestOptionFunc) ([]T, *gl.Response, error), each func([]T) (bool, error)) error {
	opts := []gl.RequestOptionFunc{gl.WithContext(ctx)}
	var progress httpx.Pager
	for {
		items, resp, err := list(opts...)
		if err != nil {
			return err
		}
		if more, err := each(items); err != nil || !more {
			return err
		}
		next, ok := gl.WithNext(resp)
		if !ok {
			return nil
		}
		if resp.Request != nil {
			progress.What = httpx.Safe(resp.Request.URL)
		}
		page, _ := json.Marshal(items) // the items stand for themselves
		sum := sha256.Sum256(page)
		if err := progress.Page([]string{string(sum[:])}, fmt.Sprintf("%s|%d", resp.NextLink, resp.NextPage)); err != nil {
			return err
		}
		opts = []gl.RequestOptionFunc{gl.WithContext(ctx), next}
	}
}

// all returns the items of every page of list.
func all[T any](ctx context.Context, list func(...gl.RequestOptionFunc) ([]T, *gl.Response, error)) ([]T, error) {
	var out []T
	err := pages(ctx, list, func(items []T) (bool, error) {
		out = append(out, items...)
		return true, nil
	})
	return out, err
}

// reference names a merge request for messages: group/project!iid.
func reference(mr *gl.BasicMergeRequest) string {
	if mr.References != nil && mr.References.Full != "" {
		return mr.References.Full
	}
	return fmt.Sprintf("project %d !%d", mr.ProjectID, mr.IID)
}

// storable returns an error naming the first time of c ClickHouse cannot
// hold (collectors.CheckTime).
func storable(c collectors.Change) error {
	err := cmpErr(collectors.CheckTime("created_at", c.Created), collectors.CheckTime("updated_at", c.Updated),
		collectors.CheckTime("merged_at", c.Merged))
	for _, r := range c.Revisions {
		err = cmpErr(err, collectors.CheckTime("the date of commit "+r.Commit, r.Created))
	}
	for _, m := range c.Messages {
		err = cmpErr(err, collectors.CheckTime("the date of "+m.ID, m.Date))
	}
	for _, v := range c.Votes {
		err = cmpErr(err, collectors.CheckTime("the date of an approval", v.Date))
	}
	return err
}
