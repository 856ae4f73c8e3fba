// Package githubtest is a fake GitHub REST API (v3) and GraphQL API (v4,
// see graphql.go) for tests and demos. It
// serves the endpoints the GitHub collector reads — repository lists, pull
// requests, reviews, issue and review comments, issue timelines and pull
// request commits — from an in-memory model, and answers as GitHub does:
// JSON in the shapes of recorded GitHub answers, paging with Link headers,
// x-ratelimit-* headers, ETags with 304 Not Modified for If-None-Match,
// 401 for a wrong token, 404 for an unknown path. A FaultFunc injects
// primary and secondary rate limits, 5xx answers and the like.
package githubtest

import "time"

// User is a GitHub account as the API embeds it in other objects.
type User struct {
	Login string
	ID    int64
	// Type is "User", "Bot" or "Organization".
	Type string
}

// Ghost is the account GitHub shows in place of a deleted one.
var Ghost = &User{Login: "ghost", ID: 10137, Type: "User"}

// Repo is one repository and its pull requests.
type Repo struct {
	Owner *User // an "Organization" or a "User"
	Name  string
	ID    int64
	Pulls []*Pull
	// Runs are the repository's GitHub Actions workflow runs.
	Runs []*Run
}

// FullName is "owner/name".
func (r *Repo) FullName() string { return r.Owner.Login + "/" + r.Name }

// Pull is one pull request with everything the collector reads about it.
type Pull struct {
	Number int
	ID     int64
	Title  string
	Body   string
	// User is the author; nil renders as null.
	User *User
	Base string // base branch, "main" when empty
	// Draft is whether the pull request is a draft now.
	Draft bool
	// State is "open" or "closed".
	State   string
	Created time.Time
	Updated time.Time
	Closed  time.Time // zero while open
	Merged  time.Time // zero unless merged
	// MergedBy is who merged it.
	MergedBy  *User
	Additions int
	Deletions int
	Files     int

	Reviews        []Review
	Comments       []Comment
	ReviewComments []ReviewComment
	// Events are the timeline's state events (ready_for_review,
	// convert_to_draft, review_requested, closed, reopened, merged,
	// labeled, ...). The timeline also shows the commits, submitted
	// reviews, issue comments and review comments, derived from the other
	// fields.
	Events  []Event
	Commits []Commit
}

// Review is a pull request review. A PENDING review has no Submitted time.
type Review struct {
	ID    int64
	User  *User
	State string // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
	Body  string
	// Submitted is zero for a PENDING review.
	Submitted time.Time
	CommitID  string
}

// Comment is an issue comment on the pull request's conversation.
type Comment struct {
	ID      int64
	User    *User
	Body    string
	Created time.Time
}

// ReviewComment is a comment on a line of the diff, posted with a review.
type ReviewComment struct {
	ID       int64
	ReviewID int64
	User     *User
	Body     string
	Path     string
	Created  time.Time
	CommitID string
	// InReplyTo is the id of the comment this one answers; 0 for none.
	InReplyTo int64
}

// Event is a timeline event such as ready_for_review or merged.
type Event struct {
	ID    int64
	Event string
	Actor *User
	At    time.Time
	// Reviewer is the requested reviewer of a review_requested event.
	Reviewer *User
	// Team is the requested team's slug of a review_requested event.
	Team     string
	CommitID string
}

// Commit is a commit of the pull request, oldest first.
type Commit struct {
	SHA     string
	Message string
	// Author and Committer are the GitHub accounts linked to the commit's
	// author and committer emails; nil when none is.
	Author, Committer       *User
	AuthorName, AuthorEmail string
	Authored                time.Time
	CommitterName           string
	CommitterEmail          string
	Committed               time.Time
}
