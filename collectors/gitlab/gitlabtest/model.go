// Package gitlabtest is a fake GitLab (REST API v4) for tests: it holds
// projects with merge requests, their discussions and commits, and CI
// pipelines with jobs, and answers the requests codepace's GitLab collector
// makes in the shapes GitLab's API documentation gives (see server.go for
// the endpoints, contract_test.go for how the shapes are held to the
// documented ones).
package gitlabtest

import "time"

// User is a GitLab account.
type User struct {
	ID       int64
	Username string
	Name     string
	Bot      bool // GET /users/:id says bot: true
}

// Note is one note of a discussion: a comment, or a system note such as
// "approved this merge request".
type Note struct {
	ID      int64
	Author  *User
	Body    string
	System  bool
	Created time.Time
	// Type is GitLab's note type: "" (a plain comment or a system note),
	// "DiscussionNote" (in a thread) or "DiffNote" (on a line of the diff).
	Type string
	// HeadSHA is the head commit of the diff a DiffNote is on.
	HeadSHA string
}

// Discussion is a thread of notes; an individual note is a discussion of
// one note.
type Discussion struct {
	ID         string // 40 hex digits in GitLab
	Individual bool
	Notes      []Note
}

// Commit is a commit of a merge request.
type Commit struct {
	SHA         string
	Title       string
	AuthorName  string
	AuthorEmail string
	Authored    time.Time
	Committed   time.Time
}

// MergeRequest is a merge request as the model keeps it.
type MergeRequest struct {
	ID, IID      int64
	Title        string
	Author       *User
	State        string // opened, closed, merged, locked
	Draft        bool
	SourceBranch string
	TargetBranch string
	Created      time.Time
	Updated      time.Time
	Merged       time.Time // zero unless merged
	MergedBy     *User
	Closed       time.Time // zero unless closed
	ClosedBy     *User
	Discussions  []Discussion
	// Commits oldest first; the server lists them newest first, as GitLab.
	Commits []Commit
	// States are the resource state events: closed, reopened, merged.
	States []StateEvent
}

// StateEvent is a change of a merge request's state.
type StateEvent struct {
	ID      int64
	User    *User
	State   string // closed, reopened, merged, locked
	Created time.Time
}

// Job is a CI job of a pipeline.
type Job struct {
	ID           int64
	Name         string
	Stage        string
	Status       string // created, pending, running, success, failed, canceled, skipped, manual
	AllowFailure bool
	Created      time.Time
	Started      time.Time // zero: never started (null)
	Finished     time.Time // zero: not finished (null)
	// Duration and Queued are seconds; negative renders null.
	Duration float64
	Queued   float64
	// Retried jobs are listed only with include_retried=true.
	Retried bool
	User    *User
}

// Pipeline is a CI pipeline.
type Pipeline struct {
	ID, IID int64
	Source  string // push, merge_request_event, schedule, web, ...
	Ref     string // a branch, or refs/merge-requests/IID/head
	SHA     string
	Status  string
	Created time.Time
	Updated time.Time
	Jobs    []Job
}

// Project is a GitLab project.
type Project struct {
	ID            int64
	Path          string // full path: group/sub/name
	Archived      bool
	MergeRequests []*MergeRequest
	Pipelines     []*Pipeline
}
