package gitlabtest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"time"
)

// The renderings below follow the response examples of GitLab's REST API
// documentation (merge_requests, discussions, commits, pipelines, jobs,
// users, groups); contract_test.go holds them to those shapes.

// host is the web address the rendered URLs start with.
const host = "https://gitlab.example.org"

// stamp renders a time as GitLab does (milliseconds, UTC), null when zero.
func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// seconds renders a duration, null when negative.
func seconds(s float64) any {
	if s < 0 {
		return nil
	}
	return s
}

// renderBasicUser is GitLab's UserBasic: how an account appears inside
// other objects; null for none.
func renderBasicUser(u *User) any {
	if u == nil {
		return nil
	}
	return map[string]any{
		"id": u.ID, "username": u.Username, "name": u.Name, "state": "active", "locked": false,
		"avatar_url": host + "/uploads/-/system/user/avatar/" + fmt.Sprint(u.ID) + "/avatar.png",
		"web_url":    host + "/" + u.Username,
	}
}

// renderUser is the answer to GET /users/:id (as a user who is not an
// administrator sees it).
func renderUser(u *User) map[string]any {
	m := renderBasicUser(u).(map[string]any)
	for k, v := range map[string]any{
		"created_at": "2019-07-01T09:00:00.000Z", "bio": "", "location": "", "public_email": nil,
		"linkedin": "", "twitter": "", "discord": "", "website_url": "", "organization": "", "job_title": "",
		"pronouns": nil, "bot": u.Bot, "work_information": nil, "followers": 0, "following": 0,
		"is_followed": false, "local_time": nil,
	} {
		m[k] = v
	}
	return m
}

// renderJobUser is the user who started a job, as the jobs API shows
// them; null for none.
func renderJobUser(u *User) any {
	if u == nil {
		return nil
	}
	m := renderBasicUser(u).(map[string]any)
	delete(m, "locked")
	for k, v := range map[string]any{"created_at": "2019-07-01T09:00:00.000Z", "bio": nil, "location": nil,
		"public_email": "", "linkedin": "", "twitter": "", "website_url": "", "organization": ""} {
		m[k] = v
	}
	return m
}

// renderMergeRequest is an entry of a merge request list.
func renderMergeRequest(p *Project, mr *MergeRequest) map[string]any {
	ref := fmt.Sprintf("!%d", mr.IID)
	sha := fmt.Sprintf("%040x", mr.ID)
	var mergeCommit any
	if mr.State == "merged" {
		mergeCommit = fmt.Sprintf("%040x", mr.ID+1)
	}
	return map[string]any{
		"id": mr.ID, "iid": mr.IID, "project_id": p.ID, "title": mr.Title, "description": "",
		"state": mr.State, "imported": false, "imported_from": "none",
		"created_at": stamp(mr.Created), "updated_at": stamp(mr.Updated),
		"merged_by": renderBasicUser(mr.MergedBy), "merge_user": renderBasicUser(mr.MergedBy),
		"merged_at": stamp(mr.Merged), "merge_after": nil, "prepared_at": stamp(mr.Created),
		"closed_by": renderBasicUser(mr.ClosedBy), "closed_at": stamp(mr.Closed),
		"target_branch": mr.TargetBranch, "source_branch": mr.SourceBranch,
		"user_notes_count": userNotes(mr), "upvotes": 0, "downvotes": 0,
		"author": renderBasicUser(mr.Author), "assignees": []any{}, "assignee": nil, "reviewers": []any{},
		"source_project_id": p.ID, "target_project_id": p.ID, "labels": []any{},
		"draft": mr.Draft, "work_in_progress": mr.Draft, "milestone": nil,
		"merge_when_pipeline_succeeds": false, "merge_status": "can_be_merged",
		"detailed_merge_status": "mergeable", "sha": sha, "merge_commit_sha": mergeCommit,
		"squash_commit_sha": nil, "discussion_locked": nil, "should_remove_source_branch": nil,
		"force_remove_source_branch": true, "allow_collaboration": false, "allow_maintainer_to_push": false,
		"reference": ref, "references": map[string]any{"short": ref, "relative": ref, "full": p.Path + ref},
		"web_url":    fmt.Sprintf("%s/%s/-/merge_requests/%d", host, p.Path, mr.IID),
		"time_stats": map[string]any{"time_estimate": 0, "total_time_spent": 0, "human_time_estimate": nil, "human_total_time_spent": nil},
		"squash":     false, "squash_on_merge": false,
		"task_completion_status":        map[string]any{"count": 0, "completed_count": 0},
		"has_conflicts":                 false,
		"blocking_discussions_resolved": true,
	}
}

func userNotes(mr *MergeRequest) int {
	n := 0
	for _, d := range mr.Discussions {
		for _, note := range d.Notes {
			if !note.System {
				n++
			}
		}
	}
	return n
}

// renderDiscussion is an entry of a merge request's discussions.
func renderDiscussion(p *Project, mr *MergeRequest, d Discussion) map[string]any {
	notes := make([]any, len(d.Notes))
	for i, n := range d.Notes {
		notes[i] = renderNote(p, mr, n)
	}
	id := d.ID
	if id == "" {
		sum := sha1.Sum([]byte(fmt.Sprintf("%d/%d/%d", p.ID, mr.IID, d.Notes[0].ID)))
		id = hex.EncodeToString(sum[:])
	}
	return map[string]any{"id": id, "individual_note": d.Individual, "notes": notes}
}

func renderNote(p *Project, mr *MergeRequest, n Note) map[string]any {
	var typ any
	if n.Type != "" {
		typ = n.Type
	}
	m := map[string]any{
		"id": n.ID, "type": typ, "body": n.Body, "attachment": nil, "author": renderBasicUser(n.Author),
		"created_at": stamp(n.Created), "updated_at": stamp(n.Created), "system": n.System,
		"noteable_id": mr.ID, "noteable_type": "MergeRequest", "project_id": p.ID, "noteable_iid": mr.IID,
		"resolvable": n.Type == "DiffNote" || n.Type == "DiscussionNote", "confidential": false, "internal": false,
		"imported": false, "imported_from": "none", "commands_changes": map[string]any{},
	}
	if m["resolvable"] == true {
		m["resolved"], m["resolved_by"], m["resolved_at"] = false, nil, nil
	}
	if n.Type == "DiffNote" {
		m["commit_id"] = nil
		m["position"] = map[string]any{
			"base_sha": fmt.Sprintf("%040x", 1), "start_sha": fmt.Sprintf("%040x", 1), "head_sha": n.HeadSHA,
			"old_path": "README.md", "new_path": "README.md", "position_type": "text",
			"old_line": nil, "new_line": 3, "line_range": nil,
		}
	}
	return m
}

// renderStateEvent is an entry of a merge request's resource state events.
func renderStateEvent(mr *MergeRequest, e StateEvent) map[string]any {
	return map[string]any{"id": e.ID, "user": renderBasicUser(e.User), "created_at": stamp(e.Created),
		"resource_type": "MergeRequest", "resource_id": mr.ID, "state": e.State}
}

// renderCommit is an entry of a merge request's commits.
func renderCommit(p *Project, c Commit) map[string]any {
	return map[string]any{
		"id": c.SHA, "short_id": c.SHA[:min(8, len(c.SHA))], "title": c.Title, "message": c.Title + "\n",
		"author_name": c.AuthorName, "author_email": c.AuthorEmail, "authored_date": stamp(c.Authored),
		"committer_name": c.AuthorName, "committer_email": c.AuthorEmail, "committed_date": stamp(c.Committed),
		"created_at": stamp(c.Committed), "parent_ids": []any{}, "trailers": map[string]any{},
		"extended_trailers": map[string]any{}, "web_url": host + "/" + p.Path + "/-/commit/" + c.SHA,
	}
}

// renderPipelineBasic is an entry of a project's pipelines, and the
// pipeline of a job.
func renderPipelineBasic(p *Project, pl *Pipeline) map[string]any {
	return map[string]any{
		"id": pl.ID, "iid": pl.IID, "project_id": p.ID, "sha": pl.SHA, "ref": pl.Ref, "status": pl.Status,
		"source": pl.Source, "name": nil, "created_at": stamp(pl.Created), "updated_at": stamp(pl.Updated),
		"web_url": fmt.Sprintf("%s/%s/-/pipelines/%d", host, p.Path, pl.ID),
	}
}

// renderJob is an entry of a pipeline's jobs.
func renderJob(p *Project, pl *Pipeline, j Job) map[string]any {
	m := map[string]any{
		"id": j.ID, "status": j.Status, "stage": j.Stage, "name": j.Name, "ref": pl.Ref, "tag": false,
		"coverage": nil, "allow_failure": j.AllowFailure, "archived": false,
		"created_at": stamp(j.Created), "started_at": stamp(j.Started), "finished_at": stamp(j.Finished),
		"erased_at": nil, "duration": seconds(j.Duration), "queued_duration": seconds(j.Queued),
		"user": renderJobUser(j.User),
		"commit": map[string]any{
			"id": pl.SHA, "short_id": pl.SHA[:min(8, len(pl.SHA))], "title": "commit", "message": "commit\n",
			"author_name": "CI", "author_email": "ci@example.org", "created_at": stamp(pl.Created),
		},
		"pipeline":            map[string]any{"id": pl.ID, "project_id": p.ID, "ref": pl.Ref, "sha": pl.SHA, "status": pl.Status},
		"web_url":             fmt.Sprintf("%s/%s/-/jobs/%d", host, p.Path, j.ID),
		"project":             map[string]any{"ci_job_token_scope_enabled": false},
		"artifacts":           []any{},
		"runner":              nil,
		"runner_manager":      nil,
		"artifacts_expire_at": nil,
		"tag_list":            []any{},
	}
	if j.Status == "failed" {
		m["failure_reason"] = "script_failure"
	}
	return m
}

// renderProject is an entry of a group's projects (GitLab's simple form,
// which codepace asks for).
func renderProject(p *Project) map[string]any {
	name := path.Base(p.Path)
	ns := path.Dir(p.Path)
	return map[string]any{
		"id": p.ID, "description": nil, "name": name, "name_with_namespace": strings.ReplaceAll(p.Path, "/", " / "),
		"path": name, "path_with_namespace": p.Path, "created_at": "2019-07-01T09:00:00.000Z",
		"default_branch": "main", "tag_list": []any{}, "topics": []any{},
		"ssh_url_to_repo": "git@gitlab.example.org:" + p.Path + ".git", "http_url_to_repo": host + "/" + p.Path + ".git",
		"web_url": host + "/" + p.Path, "readme_url": nil, "forks_count": 0, "avatar_url": nil, "star_count": 0,
		"last_activity_at": "2024-03-04T09:00:00.000Z", "visibility": "public",
		"namespace": map[string]any{"id": len(ns), "name": path.Base(ns), "path": path.Base(ns), "kind": "group",
			"full_path": ns, "parent_id": nil, "avatar_url": nil, "web_url": host + "/groups/" + ns},
	}
}
