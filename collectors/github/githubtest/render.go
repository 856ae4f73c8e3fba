package githubtest

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The answers are rendered in the shapes GitHub gives (see the recorded
// answers in ../testdata), with github.com's URLs.
const (
	apiBase  = "https://api.github.com"
	htmlBase = "https://github.com"
)

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func nodeID(kind string, id int64) string {
	return kind + "_" + strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(strconv.FormatInt(id, 36))), "=")
}

func userJSON(u *User) any {
	if u == nil {
		return nil
	}
	api := apiBase + "/users/" + u.Login
	html := htmlBase + "/" + u.Login
	if u.Type == "Bot" {
		html = htmlBase + "/apps/" + strings.TrimSuffix(u.Login, "[bot]")
	}
	return map[string]any{
		"login":               u.Login,
		"id":                  u.ID,
		"node_id":             nodeID("U", u.ID),
		"avatar_url":          fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", u.ID),
		"gravatar_id":         "",
		"url":                 api,
		"html_url":            html,
		"followers_url":       api + "/followers",
		"following_url":       api + "/following{/other_user}",
		"gists_url":           api + "/gists{/gist_id}",
		"starred_url":         api + "/starred{/owner}{/repo}",
		"subscriptions_url":   api + "/subscriptions",
		"organizations_url":   api + "/orgs",
		"repos_url":           api + "/repos",
		"events_url":          api + "/events{/privacy}",
		"received_events_url": api + "/received_events",
		"type":                u.Type,
		"site_admin":          false,
	}
}

func repoJSON(r *Repo) map[string]any {
	api := apiBase + "/repos/" + r.FullName()
	return map[string]any{
		"id":             r.ID,
		"node_id":        nodeID("R", r.ID),
		"name":           r.Name,
		"full_name":      r.FullName(),
		"private":        false,
		"owner":          userJSON(r.Owner),
		"html_url":       htmlBase + "/" + r.FullName(),
		"description":    nil,
		"fork":           false,
		"url":            api,
		"pulls_url":      api + "/pulls{/number}",
		"created_at":     "2019-07-01T00:00:00Z",
		"updated_at":     "2024-06-01T00:00:00Z",
		"pushed_at":      "2024-06-01T00:00:00Z",
		"default_branch": "main",
		"archived":       false,
		"disabled":       false,
		"visibility":     "public",
	}
}

func association(repo *Repo, u *User) string {
	switch {
	case u == nil:
		return "NONE"
	case u.Login == repo.Owner.Login:
		return "OWNER"
	case u.Type == "Bot":
		return "NONE"
	}
	return "MEMBER"
}

// pullJSON renders a pull request as a list shows it; full adds what
// GitHub shows only on a single pull request.
func pullJSON(repo *Repo, p *Pull, full bool) map[string]any {
	api := fmt.Sprintf("%s/repos/%s/pulls/%d", apiBase, repo.FullName(), p.Number)
	issue := fmt.Sprintf("%s/repos/%s/issues/%d", apiBase, repo.FullName(), p.Number)
	html := fmt.Sprintf("%s/%s/pull/%d", htmlBase, repo.FullName(), p.Number)
	base := p.Base
	if base == "" {
		base = "main"
	}
	head := "main"
	if len(p.Commits) > 0 {
		head = p.Commits[len(p.Commits)-1].SHA
	}
	branch := func(ref, sha string, u *User) map[string]any {
		return map[string]any{"label": repo.Owner.Login + ":" + ref, "ref": ref, "sha": sha, "user": userJSON(u), "repo": repoJSON(repo)}
	}
	var mergeSHA any
	if !p.Merged.IsZero() {
		mergeSHA = fmt.Sprintf("%040x", p.ID)
	}
	out := map[string]any{
		"url":                 api,
		"id":                  p.ID,
		"node_id":             nodeID("PR", p.ID),
		"html_url":            html,
		"diff_url":            html + ".diff",
		"patch_url":           html + ".patch",
		"issue_url":           issue,
		"number":              p.Number,
		"state":               p.State,
		"locked":              false,
		"title":               p.Title,
		"user":                userJSON(p.User),
		"body":                p.Body,
		"created_at":          ts(p.Created),
		"updated_at":          ts(p.Updated),
		"closed_at":           ts(p.Closed),
		"merged_at":           ts(p.Merged),
		"merge_commit_sha":    mergeSHA,
		"assignee":            nil,
		"assignees":           []any{},
		"requested_reviewers": []any{},
		"requested_teams":     []any{},
		"labels":              []any{},
		"milestone":           nil,
		"draft":               p.Draft,
		"commits_url":         api + "/commits",
		"review_comments_url": api + "/comments",
		"review_comment_url":  apiBase + "/repos/" + repo.FullName() + "/pulls/comments{/number}",
		"comments_url":        issue + "/comments",
		"statuses_url":        apiBase + "/repos/" + repo.FullName() + "/statuses/" + head,
		"head":                branch(fmt.Sprintf("topic-%d", p.Number), head, p.User),
		"base":                branch(base, fmt.Sprintf("%040x", repo.ID), repo.Owner),
		"_links":              pullLinks(repo, api, html, issue, head),
		"author_association":  association(repo, p.User),
		"auto_merge":          nil,
		"active_lock_reason":  nil,
	}
	if full {
		addPullDetails(out, p)
	}
	return out
}

// pullLinks is a pull request's _links: the URLs of the pull request (api),
// its page (html), its issue and the statuses of its head commit.
func pullLinks(repo *Repo, api, html, issue, head string) map[string]any {
	return map[string]any{
		"self":            map[string]any{"href": api},
		"html":            map[string]any{"href": html},
		"issue":           map[string]any{"href": issue},
		"comments":        map[string]any{"href": issue + "/comments"},
		"review_comments": map[string]any{"href": api + "/comments"},
		"review_comment":  map[string]any{"href": apiBase + "/repos/" + repo.FullName() + "/pulls/comments{/number}"},
		"commits":         map[string]any{"href": api + "/commits"},
		"statuses":        map[string]any{"href": apiBase + "/repos/" + repo.FullName() + "/statuses/" + head},
	}
}

// addPullDetails adds the fields GitHub shows on a single pull request but
// not in a list: merge state, counts and diffstat.
func addPullDetails(out map[string]any, p *Pull) {
	out["merged"] = !p.Merged.IsZero()
	out["mergeable"] = nil
	out["rebaseable"] = nil
	out["mergeable_state"] = "unknown"
	out["merged_by"] = userJSON(p.MergedBy)
	out["comments"] = len(p.Comments)
	out["review_comments"] = len(p.ReviewComments)
	out["maintainer_can_modify"] = false
	out["commits"] = len(p.Commits)
	out["additions"] = p.Additions
	out["deletions"] = p.Deletions
	out["changed_files"] = p.Files
}

func reviewJSON(repo *Repo, p *Pull, r Review) map[string]any {
	pull := fmt.Sprintf("%s/repos/%s/pulls/%d", apiBase, repo.FullName(), p.Number)
	html := fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", htmlBase, repo.FullName(), p.Number, r.ID)
	out := map[string]any{
		"id":                 r.ID,
		"node_id":            nodeID("PRR", r.ID),
		"user":               userJSON(r.User),
		"body":               r.Body,
		"state":              r.State,
		"html_url":           html,
		"pull_request_url":   pull,
		"author_association": association(repo, r.User),
		"_links": map[string]any{
			"html":         map[string]any{"href": html},
			"pull_request": map[string]any{"href": pull},
		},
		"commit_id": r.CommitID,
	}
	if r.State != "PENDING" {
		out["submitted_at"] = ts(r.Submitted)
	}
	return out
}

func reviewCommentJSON(repo *Repo, p *Pull, c ReviewComment) map[string]any {
	api := fmt.Sprintf("%s/repos/%s/pulls/comments/%d", apiBase, repo.FullName(), c.ID)
	pull := fmt.Sprintf("%s/repos/%s/pulls/%d", apiBase, repo.FullName(), p.Number)
	html := fmt.Sprintf("%s/%s/pull/%d#discussion_r%d", htmlBase, repo.FullName(), p.Number, c.ID)
	out := map[string]any{
		"url":                    api,
		"pull_request_review_id": c.ReviewID,
		"id":                     c.ID,
		"node_id":                nodeID("PRRC", c.ID),
		"diff_hunk":              "@@ -1,3 +1,4 @@\n-Widgets for everyone",
		"path":                   c.Path,
		"commit_id":              c.CommitID,
		"original_commit_id":     c.CommitID,
		"user":                   userJSON(c.User),
		"body":                   c.Body,
		"created_at":             ts(c.Created),
		"updated_at":             ts(c.Created),
		"html_url":               html,
		"pull_request_url":       pull,
		"author_association":     association(repo, c.User),
		"_links": map[string]any{
			"self":         map[string]any{"href": api},
			"html":         map[string]any{"href": html},
			"pull_request": map[string]any{"href": pull},
		},
		"reactions":           reactions(api),
		"start_line":          nil,
		"original_start_line": nil,
		"start_side":          nil,
		"line":                1,
		"original_line":       1,
		"side":                "RIGHT",
		"original_position":   1,
		"position":            1,
		"subject_type":        "line",
	}
	if c.InReplyTo != 0 {
		out["in_reply_to_id"] = c.InReplyTo
	}
	return out
}

func reactions(api string) map[string]any {
	return map[string]any{"url": api + "/reactions", "total_count": 0, "+1": 0, "-1": 0,
		"laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0}
}

func commentJSON(repo *Repo, p *Pull, c Comment) map[string]any {
	api := fmt.Sprintf("%s/repos/%s/issues/comments/%d", apiBase, repo.FullName(), c.ID)
	return map[string]any{
		"url":                      api,
		"html_url":                 fmt.Sprintf("%s/%s/pull/%d#issuecomment-%d", htmlBase, repo.FullName(), p.Number, c.ID),
		"issue_url":                fmt.Sprintf("%s/repos/%s/issues/%d", apiBase, repo.FullName(), p.Number),
		"id":                       c.ID,
		"node_id":                  nodeID("IC", c.ID),
		"user":                     userJSON(c.User),
		"created_at":               ts(c.Created),
		"updated_at":               ts(c.Created),
		"author_association":       association(repo, c.User),
		"body":                     c.Body,
		"reactions":                reactions(api),
		"performed_via_github_app": nil,
	}
}

func gitPerson(name, email string, at time.Time) map[string]any {
	return map[string]any{"name": name, "email": email, "date": ts(at)}
}

func commitJSON(repo *Repo, c Commit) map[string]any {
	api := apiBase + "/repos/" + repo.FullName()
	return map[string]any{
		"sha":     c.SHA,
		"node_id": nodeID("C", int64(len(c.SHA))),
		"commit": map[string]any{
			"author":        gitPerson(c.AuthorName, c.AuthorEmail, c.Authored),
			"committer":     gitPerson(c.CommitterName, c.CommitterEmail, c.Committed),
			"message":       c.Message,
			"tree":          map[string]any{"sha": c.SHA, "url": api + "/git/trees/" + c.SHA},
			"url":           api + "/git/commits/" + c.SHA,
			"comment_count": 0,
			"verification":  map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil},
		},
		"url":          api + "/commits/" + c.SHA,
		"html_url":     htmlBase + "/" + repo.FullName() + "/commit/" + c.SHA,
		"comments_url": api + "/commits/" + c.SHA + "/comments",
		"author":       userJSON(c.Author),
		"committer":    userJSON(c.Committer),
		"parents":      []any{},
	}
}

// timelineItem is one entry of the issue timeline and when it happened.
type timelineItem struct {
	at time.Time
	v  map[string]any
}

// timelineJSON renders the issue timeline: the state events, plus the
// commits, submitted reviews, issue comments and review comments, in time
// order, as GitHub shows them.
func timelineJSON(repo *Repo, p *Pull) []any {
	var items []timelineItem
	for _, c := range p.Commits {
		items = append(items, timelineItem{c.Committed, timelineCommit(repo, c)})
	}
	for _, r := range p.Reviews {
		if r.State == "PENDING" {
			continue
		}
		v := reviewJSON(repo, p, r)
		v["state"] = strings.ToLower(r.State)
		v["event"] = "reviewed"
		items = append(items, timelineItem{r.Submitted, v})
	}
	for _, c := range p.Comments {
		v := commentJSON(repo, p, c)
		v["event"] = "commented"
		v["actor"] = userJSON(c.User)
		items = append(items, timelineItem{c.Created, v})
	}
	items = append(items, lineCommentThreads(repo, p)...)
	for _, e := range p.Events {
		items = append(items, timelineItem{e.At, timelineEvent(repo, e)})
	}
	slices.SortStableFunc(items, func(a, b timelineItem) int { return a.at.Compare(b.at) })
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	return out
}

// timelineCommit is a commit as the timeline shows it (a git commit, not
// the REST commit object).
func timelineCommit(repo *Repo, c Commit) map[string]any {
	api := apiBase + "/repos/" + repo.FullName() + "/git/commits/" + c.SHA
	return map[string]any{
		"sha":          c.SHA,
		"node_id":      nodeID("C", int64(len(c.SHA))),
		"url":          api,
		"html_url":     htmlBase + "/" + repo.FullName() + "/commit/" + c.SHA,
		"author":       gitPerson(c.AuthorName, c.AuthorEmail, c.Authored),
		"committer":    gitPerson(c.CommitterName, c.CommitterEmail, c.Committed),
		"tree":         map[string]any{"sha": c.SHA, "url": api},
		"message":      c.Message,
		"parents":      []any{},
		"verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil},
		"event":        "committed",
	}
}

// lineCommentThreads groups consecutive review comments of one review into
// a line-commented entry each, at the time of its first comment.
func lineCommentThreads(repo *Repo, p *Pull) []timelineItem {
	var items []timelineItem
	for i := 0; i < len(p.ReviewComments); {
		j := i + 1
		for j < len(p.ReviewComments) && p.ReviewComments[j].ReviewID == p.ReviewComments[i].ReviewID {
			j++
		}
		var cs []any
		for _, c := range p.ReviewComments[i:j] {
			cs = append(cs, reviewCommentJSON(repo, p, c))
		}
		items = append(items, timelineItem{p.ReviewComments[i].Created, map[string]any{
			"event": "line-commented", "node_id": nodeID("PRRT", p.ReviewComments[i].ID), "comments": cs,
		}})
		i = j
	}
	return items
}

// timelineEvent is an issue event on the timeline; review requests name the
// requested reviewer or team.
func timelineEvent(repo *Repo, e Event) map[string]any {
	v := map[string]any{
		"id":                       e.ID,
		"node_id":                  EventNodeID(cmp.Or(eventTypes[e.Event].prefix, "E"), e.ID),
		"url":                      fmt.Sprintf("%s/repos/%s/issues/events/%d", apiBase, repo.FullName(), e.ID),
		"actor":                    userJSON(e.Actor),
		"event":                    e.Event,
		"commit_id":                nil,
		"commit_url":               nil,
		"created_at":               ts(e.At),
		"performed_via_github_app": nil,
	}
	if e.CommitID != "" {
		v["commit_id"] = e.CommitID
		v["commit_url"] = apiBase + "/repos/" + repo.FullName() + "/commits/" + e.CommitID
	}
	if e.Event == "review_requested" || e.Event == "review_request_removed" {
		v["review_requester"] = userJSON(e.Actor)
		if e.Team != "" {
			v["requested_team"] = map[string]any{"name": e.Team, "id": 1, "slug": e.Team, "privacy": "closed", "permission": "pull"}
		} else {
			v["requested_reviewer"] = userJSON(e.Reviewer)
		}
	}
	return v
}
