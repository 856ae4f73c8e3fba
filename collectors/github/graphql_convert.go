package github

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/shurcooL/githubv4"
)

// fromGraphQL turns a pull request read by GraphQL into what the REST path
// reads, for mapPull.
func fromGraphQL(p *gqlPull) pull {
	state := "open"
	if p.State != "OPEN" {
		state = "closed"
	}
	pr := &gh.PullRequest{
		Number: ptr(int(p.Number)), NodeID: ptr(idString(p.ID)), HTMLURL: ptr(string(p.URL)),
		Title: ptr(string(p.Title)), User: ghUser(p.Author), Draft: ptr(bool(p.IsDraft)), State: &state,
		CreatedAt: stamp(&p.CreatedAt.Time), UpdatedAt: stamp(&p.UpdatedAt.Time),
		ClosedAt: optStamp(p.ClosedAt), MergedAt: optStamp(p.MergedAt), Merged: ptr(bool(p.Merged)),
		Additions: ptr(int(p.Additions)), Deletions: ptr(int(p.Deletions)),
		Base: &gh.PullRequestBranch{Ref: ptr(string(p.BaseRefName))},
	}
	if b := p.BaseRepository; b != nil {
		pr.Base.Repo = &gh.Repository{FullName: ptr(string(b.NameWithOwner))}
	}
	out := pull{pr: pr}
	for _, rv := range p.Reviews.Nodes {
		if rv == nil {
			out.reviews = append(out.reviews, nil)
			continue
		}
		id := databaseID(rv.FullDatabaseID)
		out.reviews = append(out.reviews, &gh.PullRequestReview{ID: &id, User: ghUser(rv.Author),
			Body: ptr(string(rv.Body)), State: ptr(string(rv.State)), SubmittedAt: optStamp(rv.SubmittedAt),
			CommitID: oid(rv.Commit)})
		for _, c := range rv.Comments.Nodes {
			out.reviewComments = append(out.reviewComments, reviewComment(id, c))
		}
	}
	// REST lists review comments by id, GraphQL by review.
	slices.SortStableFunc(out.reviewComments, func(a, b *gh.PullRequestComment) int {
		return cmp.Compare(a.GetID(), b.GetID())
	})
	for _, c := range p.Comments.Nodes {
		if c == nil {
			out.comments = append(out.comments, nil)
			continue
		}
		out.comments = append(out.comments, &gh.IssueComment{ID: ptr(databaseID(c.FullDatabaseID)),
			User: ghUser(c.Author), Body: ptr(string(c.Body)), CreatedAt: stamp(&c.CreatedAt.Time)})
	}
	for _, e := range p.TimelineItems.Nodes {
		ev, key := timelineEvent(e)
		out.events = append(out.events, ev)
		if key != "" {
			if out.eventKeys == nil {
				out.eventKeys = map[*gh.Timeline]string{}
			}
			out.eventKeys[ev] = key
		}
	}
	for _, c := range p.Commits.Nodes {
		out.commits = append(out.commits, commitOf(c))
	}
	return out
}

// reviewComment is a review comment of the review with id reviewID; nil
// for a null entry.
func reviewComment(reviewID int64, c *gqlReviewComment) *gh.PullRequestComment {
	if c == nil {
		return nil
	}
	return &gh.PullRequestComment{ID: ptr(databaseID(c.FullDatabaseID)), PullRequestReviewID: &reviewID,
		User: ghUser(c.Author), Body: ptr(string(c.Body)), CreatedAt: stamp(&c.CreatedAt.Time),
		CommitID: oid(c.Commit), OriginalCommitID: oid(c.OriginalCommit)}
}

// commitOf is a pull request's commit; nil for a null entry.
func commitOf(c *gqlCommit) *gh.RepositoryCommit {
	if c == nil {
		return nil
	}
	rc := &gh.RepositoryCommit{SHA: ptr(string(c.Commit.Oid)), Commit: &gh.Commit{}}
	if a := c.Commit.Author; a != nil {
		rc.Commit.Author = &gh.CommitAuthor{Name: ptr(string(a.Name)), Email: ptr(string(a.Email))}
		if a.Date != nil {
			rc.Commit.Author.Date = stamp(&a.Date.Time)
		}
		if u := a.User; u != nil {
			rc.Author = &gh.User{Login: ptr(string(u.Login)), ID: ptr(int64(u.DatabaseID)), Type: ptr("User")}
		}
	}
	if cm := c.Commit.Committer; cm != nil && cm.Date != nil {
		rc.Commit.Committer = &gh.CommitAuthor{Date: stamp(&cm.Date.Time)}
	}
	return rc
}

// eventNames are the REST names of the GraphQL timeline events read.
var eventNames = map[githubv4.String]string{
	"ReadyForReviewEvent":  "ready_for_review",
	"ConvertToDraftEvent":  "convert_to_draft",
	"ReviewRequestedEvent": "review_requested",
	"ClosedEvent":          "closed",
	"ReopenedEvent":        "reopened",
	"MergedEvent":          "merged",
}

// timelineEvent is a timeline event as REST gives it (nil for a null
// entry or a type not read), and the message id key to use when its node
// id does not hold its database id.
func timelineEvent(e *gqlEvent) (*gh.Timeline, string) {
	if e == nil {
		return nil, ""
	}
	name, ok := eventNames[e.Typename]
	if !ok {
		return nil, ""
	}
	f := e.ReadyForReview
	t := &gh.Timeline{Event: &name}
	switch name {
	case "convert_to_draft":
		f = e.ConvertToDraft
	case "closed":
		f = e.Closed
	case "reopened":
		f = e.Reopened
	case "merged":
		f = e.Merged.gqlEventFields
		t.CommitID = oid(e.Merged.Commit)
	case "review_requested":
		f = e.ReviewRequested.gqlEventFields
		if r := e.ReviewRequested.RequestedReviewer; r != nil {
			switch r.Typename {
			case "Team":
				t.RequestedTeam = &gh.Team{Slug: ptr(string(r.Team.Slug)), Name: ptr(string(r.Team.Name))}
			case "Bot":
				t.Reviewer = &gh.User{Login: ptr(string(r.Bot.Login))}
			default:
				t.Reviewer = &gh.User{Login: ptr(string(r.User.Login))}
			}
		}
	}
	t.Actor, t.CreatedAt = ghUser(f.Actor), stamp(&f.CreatedAt.Time)
	node := idString(f.ID)
	if id, ok := eventDatabaseID(node); ok {
		t.ID = &id
		return t, ""
	}
	return t, "node:" + node
}

// ghUser is an Actor as REST gives it. GraphQL gives a deleted account as
// null, REST as the ghost account: null is read as the ghost.
func ghUser(a *gqlActor) *gh.User {
	if a == nil {
		return &gh.User{Login: ptr(ghostLogin)}
	}
	u := &gh.User{Login: ptr(string(a.Login)), Type: ptr(string(a.Typename))}
	switch a.Typename {
	case "Bot":
		u.ID = ptr(int64(a.Bot.DatabaseID))
	case "Organization":
		u.ID = ptr(int64(a.Organization.DatabaseID))
	default:
		u.ID = ptr(int64(a.User.DatabaseID))
	}
	return u
}

func stamp(t *time.Time) *gh.Timestamp { return &gh.Timestamp{Time: t.UTC()} }

func optStamp(t *githubv4.DateTime) *gh.Timestamp {
	if t == nil {
		return nil
	}
	return stamp(&t.Time)
}

func oid(c *gqlOid) *string {
	if c == nil || c.Oid == "" {
		return nil
	}
	return ptr(string(c.Oid))
}

func idString(id githubv4.ID) string {
	s, _ := id.(string)
	return s
}

// databaseID reads a fullDatabaseId (a BigInt, sent as a string); 0 when
// it is missing or not a number.
func databaseID(s githubv4.String) int64 {
	n, _ := strconv.ParseInt(string(s), 10, 64)
	return n
}

// eventDatabaseID reads the database id, which REST gives as the event's
// id, out of a timeline event's node id, which GraphQL gives instead. Node
// ids come in two formats: the current one, a type prefix, "_" and the
// URL-safe base64 of a MessagePack array of integers whose last is the
// database id ("RFRE_lADO..."); and the legacy one, the base64 of
// "<n>:<Type><database id>" ("MDE5OlJlYWR5Rm9yUmV2aWV3RXZlbnQ1MDA="). ok is
// false for anything else.
func eventDatabaseID(node string) (id int64, ok bool) {
	if prefix, rest, found := strings.Cut(node, "_"); found && prefix != "" {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(rest, "="))
		if err != nil {
			return 0, false
		}
		return lastPackedInt(b)
	}
	b, err := base64.StdEncoding.DecodeString(node)
	if err != nil {
		return 0, false
	}
	_, typed, found := strings.Cut(string(b), ":")
	digits := strings.TrimLeft(typed, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
	if !found || digits == "" || len(digits) == len(typed) {
		return 0, false
	}
	id, err = strconv.ParseInt(digits, 10, 64)
	return id, err == nil && id > 0
}

// lastPackedInt returns the last element of a MessagePack array of
// non-negative integers that b holds whole.
func lastPackedInt(b []byte) (int64, bool) {
	if len(b) == 0 || b[0]&0xf0 != 0x90 {
		return 0, false // not a fixarray
	}
	n, b := int(b[0]&0x0f), b[1:]
	var last uint64
	for range n {
		if len(b) == 0 {
			return 0, false
		}
		size := map[byte]int{0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8}[b[0]]
		switch {
		case b[0] < 0x80:
			last, b = uint64(b[0]), b[1:]
			continue
		case size == 0 || len(b) < 1+size:
			return 0, false
		}
		buf := make([]byte, 8)
		copy(buf[8-size:], b[1:1+size])
		last, b = binary.BigEndian.Uint64(buf), b[1+size:]
	}
	if n == 0 || len(b) != 0 || last == 0 || last > 1<<62 {
		return 0, false
	}
	return int64(last), true
}

func ptr[T any](v T) *T { return &v }
