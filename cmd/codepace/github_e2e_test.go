package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	ght "github.com/codepace/codepace/collectors/github/githubtest"
)

func TestGitHubBesideGerrit(t *testing.T) {
	org := &ght.User{Login: "acme", ID: 9001, Type: "Organization"}
	al := &ght.User{Login: "alice", ID: 1001, Type: "User"}
	bo := &ght.User{Login: "bob", ID: 1002, Type: "User"}
	bot := &ght.User{Login: "lint-bot[bot]", ID: 2001, Type: "Bot"}
	c := func(sha string, at time.Time) ght.Commit {
		return ght.Commit{SHA: sha, Author: al, AuthorName: "alice", AuthorEmail: "a@example.org", Authored: at.Add(-5 * hour), Committed: at}
	}
	repo := &ght.Repo{Owner: org, Name: "widgets", ID: 1, Pulls: []*ght.Pull{
		{Number: 1, ID: 11, Title: "Draft then ready", User: al, State: "closed", Created: t0, Updated: t0.Add(2 * day),
			Closed: t0.Add(2 * day), Merged: t0.Add(2 * day), MergedBy: al, Additions: 30, Deletions: 4,
			Commits: []ght.Commit{c("a1", t0), c("a2", t0.Add(5*hour))},
			Events: []ght.Event{{ID: 1, Event: "ready_for_review", Actor: al, At: t0.Add(hour)},
				{ID: 2, Event: "merged", Actor: al, At: t0.Add(2 * day)}, {ID: 3, Event: "closed", Actor: al, At: t0.Add(2 * day)}},
			Reviews: []ght.Review{{ID: 21, User: bo, State: "CHANGES_REQUESTED", Body: "split", Submitted: t0.Add(4 * hour)},
				{ID: 22, User: bo, State: "APPROVED", Submitted: t0.Add(6 * hour)}}},
		{Number: 2, ID: 12, Title: "Bot only", User: al, State: "open", Created: t0.Add(day), Updated: t0.Add(day + hour),
			Commits: []ght.Commit{c("b1", t0.Add(day))},
			Reviews: []ght.Review{{ID: 23, User: bot, State: "COMMENTED", Body: "ok", Submitted: t0.Add(day + hour)}}},
		{Number: 3, ID: 13, Title: "Abandoned", User: bo, State: "closed", Created: t0.Add(day), Updated: t0.Add(3 * day),
			Closed: t0.Add(3 * day), Commits: []ght.Commit{c("c1", t0.Add(day))},
			Comments: []ght.Comment{{ID: 31, User: al, Body: "why?", Created: t0.Add(day + 2*hour)}},
			Events:   []ght.Event{{ID: 4, Event: "closed", Actor: bo, At: t0.Add(3 * day)}}},
	}}
	// GitHub Actions on PR 2's head commit b1: "test" failed, then passed
	// when re-run; "lint" failed an hour later and stays failed, so PR 2
	// waits on its author from then on (docs/definitions.md §19).
	job := func(id int64, name string, attempt int, done time.Time, conclusion string) ght.Job {
		return ght.Job{ID: id, Name: name, Attempt: attempt, Status: "completed", Conclusion: conclusion,
			Created: done.Add(-10 * time.Minute), Started: done.Add(-5 * time.Minute), Completed: done}
	}
	repo.Runs = []*ght.Run{
		{ID: 201, Name: "CI", RunNumber: 1, Attempt: 2, Event: "pull_request", Status: "completed", Conclusion: "success",
			HeadSHA: "b1", Pulls: []int{2}, Created: t0.Add(day + hour), Updated: t0.Add(day + 3*hour), Started: t0.Add(day + 2*hour),
			Jobs: []ght.Job{job(2011, "test", 1, t0.Add(day+2*hour), "failure"), job(2012, "test", 2, t0.Add(day+3*hour), "success")}},
		{ID: 202, Name: "Lint", RunNumber: 1, Attempt: 1, Event: "pull_request", Status: "completed", Conclusion: "failure",
			HeadSHA: "b1", Pulls: []int{2}, Created: t0.Add(day + 3*hour), Updated: t0.Add(day + 4*hour), Started: t0.Add(day + 3*hour),
			Jobs: []ght.Job{job(2021, "lint", 1, t0.Add(day+4*hour), "failure")}},
	}
	gh := ght.New("gh-s3cret", repo)
	defer gh.Close()
	e := setup(t, history(), fmt.Sprintf(`  - name: hub
    type: github
    owner: acme
    repos: [widgets]
    token_env: E2E_GITHUB_TOKEN
    base_url: %s
    since: 2024-01-01
    actions: true
`, gh.URL()))
	t.Setenv("E2E_GITHUB_TOKEN", "gh-s3cret")
	out := e.mustRun(t, "run")
	if strings.Contains(out, "gh-s3cret") {
		t.Fatalf("token in output:\n%s", out)
	}
	// GitHub rows, worked out by hand: PR 1 was opened as draft and made
	// ready an hour later, reviewed 3h after that, merged on day 2; PR 2
	// was reviewed only by a bot; PR 3 was closed unmerged after a comment
	// by someone other than its author. The Gerrit source is unchanged
	// beside it.
	diffRows(t, "change_metrics", e.rows(t, `SELECT source, number, owner, status, ready_at, first_review_at, merged_at, closed_at,
		time_to_first_review_s, time_to_merge_s, cycle_time_s, patchsets, review_rounds, insertions, deletions
		FROM DB.change_metrics WHERE source = 'hub' ORDER BY number`), []string{
		"hub | 1 | alice | merged | 2024-03-04 10:00:00 | 2024-03-04 13:00:00 | 2024-03-06 09:00:00 | 2024-03-06 09:00:00 | 10800 | 169200 | 190800 | 2 | 1 | 30 | 4",
		"hub | 2 | alice | open | 2024-03-05 09:00:00 | NULL | NULL | NULL | NULL | NULL | NULL | 1 | 0 | 0 | 0",
		"hub | 3 | bob | abandoned | 2024-03-05 09:00:00 | 2024-03-05 11:00:00 | NULL | 2024-03-07 09:00:00 | 7200 | NULL | NULL | 1 | 0 | 0 | 0",
	})
	diffRows(t, "review_actions", e.rows(t, `SELECT number, at, actor, kind, value FROM DB.review_actions WHERE source = 'hub' ORDER BY number, at`), []string{
		"1 | 2024-03-04 13:00:00 | bob | vote | CHANGES_REQUESTED",
		"1 | 2024-03-04 15:00:00 | bob | vote | APPROVED",
		"3 | 2024-03-05 11:00:00 | alice | comment | ",
	})
	diffRows(t, "newcomers", e.rows(t, `SELECT source, person, first_change_at, first_review_at, first_merge_at FROM DB.newcomers ORDER BY source, person`), []string{
		"demo | Alice Owner | 2024-03-04 09:00:00 | 2024-03-04 12:00:00 | 2024-03-06 09:00:00",
		"demo | Carol Core | 2024-03-06 09:00:00 | NULL | NULL",
		"demo | Dave Newcomer | 2024-03-05 09:00:00 | NULL | NULL",
		"hub | alice | 2024-03-04 09:00:00 | 2024-03-04 13:00:00 | 2024-03-06 09:00:00",
		"hub | bob | 2024-03-05 09:00:00 | 2024-03-05 11:00:00 | NULL",
	})
	diffRows(t, "raw_builds", e.rows(t, `SELECT build_id, number, commit, result FROM DB.raw_builds FINAL
		WHERE source = 'hub' ORDER BY build_id`), []string{
		"2011 | 2 | b1 | FAILURE", "2012 | 2 | b1 | SUCCESS", "2021 | 2 | b1 | FAILURE",
	})
	diffRows(t, "review_queue", e.rows(t, `SELECT number, waiting_on, waiting_since FROM DB.review_queue
		WHERE source = 'hub' ORDER BY number`), []string{"2 | author | 2024-03-05 13:00:00"})
	diffRows(t, "collector_runs", e.rows(t, `SELECT source, status, items FROM DB.collector_runs ORDER BY source`), []string{
		"demo | ok | 7", "hub | ok | 6", // 3 pull requests, 3 jobs
	})
	// A second run with nothing new costs two requests: the list pages of
	// pull requests and of workflow runs.
	gh.ResetCounters()
	e.mustRun(t, "collect", "--source", "hub")
	if gh.Requests() != 2 {
		t.Errorf("an idle incremental GitHub run made %d requests, want 2", gh.Requests())
	}
}
