package githubtest

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
)

// The resolvers of schema.graphql over the model. They run inside
// serveGraphQL, with the server's lock held.

type execKey struct{}

// execState is what one query's resolvers share.
type execState struct {
	s    *Server
	rate rateR
}

func stateOf(ctx context.Context) *execState { return ctx.Value(execKey{}).(*execState) }

// typedError is a resolver error with GitHub's error type.
type typedError struct{ typ, msg string }

func (e *typedError) Error() string              { return e.msg }
func (e *typedError) Extensions() map[string]any { return map[string]any{"type": e.typ} }
func notFoundError(format string, a ...any) *typedError {
	return &typedError{"NOT_FOUND", fmt.Sprintf(format, a...)}
}

// EventNodeID is the node id GitHub gives a timeline event in its current
// format: a type prefix, "_", and the URL-safe base64 of a MessagePack
// array [0, database id]. The REST timeline's node_id and the GraphQL id
// are the same.
func EventNodeID(prefix string, id int64) string {
	b := []byte{0x92, 0x00, 0xcf}
	b = binary.BigEndian.AppendUint64(b, uint64(id))
	return prefix + "_" + base64.RawURLEncoding.EncodeToString(b)
}

// eventTypes maps the model's event names to GraphQL's item types and
// their node id prefixes.
var eventTypes = map[string]struct{ itemType, typeName, prefix string }{
	"ready_for_review": {"READY_FOR_REVIEW_EVENT", "ReadyForReviewEvent", "RFRE"},
	"convert_to_draft": {"CONVERT_TO_DRAFT_EVENT", "ConvertToDraftEvent", "CTDE"},
	"review_requested": {"REVIEW_REQUESTED_EVENT", "ReviewRequestedEvent", "RRE"},
	"closed":           {"CLOSED_EVENT", "ClosedEvent", "CE"},
	"reopened":         {"REOPENED_EVENT", "ReopenedEvent", "REE"},
	"merged":           {"MERGED_EVENT", "MergedEvent", "ME"},
	"labeled":          {"LABELED_EVENT", "LabeledEvent", "LE"},
}

// dateTime is the DateTime and GitTimestamp scalars.
type dateTime struct{ time.Time }

func (dateTime) ImplementsGraphQLType(name string) bool {
	return name == "DateTime" || name == "GitTimestamp"
}
func (t *dateTime) UnmarshalGraphQL(in any) error {
	s, ok := in.(string)
	if !ok {
		return fmt.Errorf("want a time string, got %T", in)
	}
	var err error
	t.Time, err = time.Parse(time.RFC3339, s)
	return err
}
func (t dateTime) MarshalJSON() ([]byte, error) { return json.Marshal(t.UTC().Format(time.RFC3339)) }

func optTime(t time.Time) *dateTime {
	if t.IsZero() {
		return nil
	}
	return &dateTime{t}
}

// text is the URI, GitObjectID and BigInt scalars (GitHub sends a BigInt
// as a string).
type text string

func (text) ImplementsGraphQLType(name string) bool {
	return name == "URI" || name == "GitObjectID" || name == "BigInt"
}
func (t *text) UnmarshalGraphQL(in any) error {
	s, ok := in.(string)
	if !ok {
		return fmt.Errorf("want a string, got %T", in)
	}
	*t = text(s)
	return nil
}
func (t text) MarshalJSON() ([]byte, error) { return json.Marshal(string(t)) }

func dbID(id int64) *int32 {
	v := int32(id)
	return &v
}

// bigInt is a database id as GitHub's fullDatabaseId: a BigInt, which
// holds the ids past 2^31 that databaseId (an Int) cannot.
func bigInt(id int64) *text {
	t := text(strconv.FormatInt(id, 10))
	return &t
}

// gqlRoot is the Query type.
type gqlRoot struct{}

func (*gqlRoot) Repository(ctx context.Context, args struct{ Owner, Name string }) (*repoR, error) {
	r := stateOf(ctx).s.repo(args.Owner, args.Name)
	if r == nil {
		return nil, notFoundError("Could not resolve to a Repository with the name '%s/%s'.", args.Owner, args.Name)
	}
	return &repoR{r}, nil
}

func (*gqlRoot) Node(ctx context.Context, args struct{ ID graphql.ID }) (*nodeR, error) {
	id := string(args.ID)
	for _, repo := range stateOf(ctx).s.repos {
		for _, p := range repo.Pulls {
			if nodeID("PR", p.ID) == id {
				return &nodeR{pr: &prR{repo, p}}, nil
			}
			for _, rv := range p.Reviews {
				if nodeID("PRR", rv.ID) == id {
					return &nodeR{review: &reviewR{repo, p, rv}}, nil
				}
			}
		}
	}
	return nil, notFoundError("Could not resolve to a node with the global id of '%s'", id)
}

func (*gqlRoot) RateLimit(ctx context.Context, _ struct{ DryRun bool }) *rateR {
	r := stateOf(ctx).rate
	return &r
}

type rateR struct {
	cost, nodes, remaining int
	reset                  time.Time
}

func (r *rateR) Cost() int32       { return int32(r.cost) }
func (r *rateR) Limit() int32      { return GraphQLLimit }
func (r *rateR) NodeCount() int32  { return int32(r.nodes) }
func (r *rateR) Remaining() int32  { return int32(r.remaining) }
func (r *rateR) ResetAt() dateTime { return dateTime{r.reset} }
func (r *rateR) Used() int32       { return int32(GraphQLLimit - r.remaining) }

// nodeR is the Node interface.
type nodeR struct {
	pr     *prR
	review *reviewR
}

func (n *nodeR) ID() graphql.ID {
	if n.pr != nil {
		return n.pr.ID()
	}
	return n.review.ID()
}
func (n *nodeR) ToPullRequest() (*prR, bool)           { return n.pr, n.pr != nil }
func (n *nodeR) ToPullRequestReview() (*reviewR, bool) { return n.review, n.review != nil }

// pageArgs are a connection's paging arguments.
type pageArgs struct {
	First, Last   *int32
	After, Before *string
}

// conn is one page of a connection.
type conn[T any] struct {
	nodes         []T
	info          pageInfoR
	total, subset int
}

func (c *conn[T]) Nodes() *[]T          { return &c.nodes }
func (c *conn[T]) PageInfo() *pageInfoR { return &c.info }
func (c *conn[T]) TotalCount() int32    { return int32(c.total) }
func (c *conn[T]) FilteredCount() int32 { return int32(c.subset) }

type pageInfoR struct {
	start, end    *string
	next, hasPrev bool
}

func (p *pageInfoR) StartCursor() *string  { return p.start }
func (p *pageInfoR) EndCursor() *string    { return p.end }
func (p *pageInfoR) HasNextPage() bool     { return p.next }
func (p *pageInfoR) HasPreviousPage() bool { return p.hasPrev }

func cursor(i int) *string {
	c := base64.StdEncoding.EncodeToString([]byte("cursor:v2:" + strconv.Itoa(i)))
	return &c
}

func fromCursor(c *string) (int, error) {
	if c == nil {
		return 0, nil
	}
	b, err := base64.StdEncoding.DecodeString(*c)
	n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "cursor:v2:"))
	if err != nil || err2 != nil || !strings.HasPrefix(string(b), "cursor:v2:") {
		return 0, &typedError{"INVALID_CURSOR_ARGUMENTS", fmt.Sprintf("`%s` does not appear to be a valid cursor.", *c)}
	}
	return n, nil
}

// paginate cuts the page a asks for out of items (the cost check has
// made sure first or last is given and at most 100).
func paginate[T, R any](items []T, a pageArgs, f func(T) R) (*conn[R], error) {
	lo, err := fromCursor(a.After)
	if err != nil {
		return nil, err
	}
	hi := len(items)
	if a.Before != nil {
		if hi, err = fromCursor(a.Before); err != nil {
			return nil, err
		}
		hi--
	}
	lo, hi = min(lo, len(items)), max(min(hi, len(items)), 0)
	lo = min(lo, hi)
	switch {
	case a.First != nil:
		hi = min(hi, lo+int(*a.First))
	case a.Last != nil:
		lo = max(lo, hi-int(*a.Last))
	}
	c := &conn[R]{total: len(items), subset: len(items)}
	for _, it := range items[lo:hi] {
		c.nodes = append(c.nodes, f(it))
	}
	if hi > lo {
		c.info.start, c.info.end = cursor(lo+1), cursor(hi)
	}
	c.info.next, c.info.hasPrev = hi < len(items), lo > 0
	return c, nil
}

type repoR struct{ r *Repo }

func (r *repoR) ID() graphql.ID        { return graphql.ID(nodeID("R", r.r.ID)) }
func (r *repoR) DatabaseID() *int32    { return dbID(r.r.ID) }
func (r *repoR) Name() string          { return r.r.Name }
func (r *repoR) NameWithOwner() string { return r.r.FullName() }

func (r *repoR) PullRequests(args struct {
	pageArgs
	States  *[]string
	OrderBy *struct{ Field, Direction string }
}) (*conn[*prR], error) {
	var prs []*Pull
	for _, p := range r.r.Pulls {
		if args.States == nil || slices.Contains(*args.States, prState(p)) {
			prs = append(prs, p)
		}
	}
	key := func(p *Pull) time.Time { return p.Created }
	desc := false
	if o := args.OrderBy; o != nil {
		if o.Field == "UPDATED_AT" {
			key = func(p *Pull) time.Time { return p.Updated }
		}
		desc = o.Direction == "DESC"
	}
	slices.SortStableFunc(prs, func(a, b *Pull) int {
		c := key(a).Compare(key(b))
		if c == 0 {
			c = a.Number - b.Number
		}
		if desc {
			return -c
		}
		return c
	})
	return paginate(prs, args.pageArgs, func(p *Pull) *prR { return &prR{r.r, p} })
}

func prState(p *Pull) string {
	switch {
	case !p.Merged.IsZero():
		return "MERGED"
	case p.State == "closed":
		return "CLOSED"
	}
	return "OPEN"
}

type prR struct {
	repo *Repo
	p    *Pull
}

func (r *prR) ID() graphql.ID     { return graphql.ID(nodeID("PR", r.p.ID)) }
func (r *prR) DatabaseID() *int32 { return dbID(r.p.ID) }
func (r *prR) Number() int32      { return int32(r.p.Number) }
func (r *prR) Title() string      { return r.p.Title }
func (r *prR) URL() text {
	return text(fmt.Sprintf("%s/%s/pull/%d", htmlBase, r.repo.FullName(), r.p.Number))
}
func (r *prR) State() string          { return prState(r.p) }
func (r *prR) IsDraft() bool          { return r.p.Draft }
func (r *prR) Merged() bool           { return !r.p.Merged.IsZero() }
func (r *prR) CreatedAt() dateTime    { return dateTime{r.p.Created} }
func (r *prR) UpdatedAt() dateTime    { return dateTime{r.p.Updated} }
func (r *prR) ClosedAt() *dateTime    { return optTime(r.p.Closed) }
func (r *prR) MergedAt() *dateTime    { return optTime(r.p.Merged) }
func (r *prR) Additions() int32       { return int32(r.p.Additions) }
func (r *prR) Deletions() int32       { return int32(r.p.Deletions) }
func (r *prR) Author() *actorR        { return newActor(r.p.User) }
func (r *prR) BaseRepository() *repoR { return &repoR{r.repo} }
func (r *prR) BaseRefName() string {
	if r.p.Base == "" {
		return "main"
	}
	return r.p.Base
}

func (r *prR) Reviews(ctx context.Context, a pageArgs) (*conn[*reviewR], error) {
	if f := stateOf(ctx).s.partial; f != nil {
		if err := f(r.p.Number); err != nil {
			return nil, err
		}
	}
	return paginate(r.p.Reviews, a, func(rv Review) *reviewR { return &reviewR{r.repo, r.p, rv} })
}

func (r *prR) Comments(a pageArgs) (*conn[*commentR], error) {
	return paginate(r.p.Comments, a, func(c Comment) *commentR { return &commentR{c} })
}

func (r *prR) Commits(a pageArgs) (*conn[*prCommitR], error) {
	cs := r.p.Commits[:min(len(r.p.Commits), 250)]
	return paginate(cs, a, func(c Commit) *prCommitR { return &prCommitR{c} })
}

func (r *prR) TimelineItems(args struct {
	pageArgs
	ItemTypes *[]string
}) (*conn[*eventR], error) {
	var events []Event
	for _, e := range r.p.Events {
		t, ok := eventTypes[e.Event]
		if ok && (args.ItemTypes == nil || slices.Contains(*args.ItemTypes, t.itemType)) {
			events = append(events, e)
		}
	}
	slices.SortStableFunc(events, func(a, b Event) int { return a.At.Compare(b.At) })
	c, err := paginate(events, args.pageArgs, func(e Event) *eventR { return &eventR{r.repo, r.p, e} })
	if c != nil {
		c.total = len(r.p.Events) + len(r.p.Commits) + len(r.p.Comments) + len(r.p.Reviews)
	}
	return c, err
}

// commitOf returns the pull request's commit sha, or one with only its
// sha when the pull request does not hold it; nil for no sha.
func commitOf(p *Pull, sha string) *commitR {
	if sha == "" {
		return nil
	}
	for _, c := range p.Commits {
		if c.SHA == sha {
			return &commitR{c}
		}
	}
	return &commitR{Commit{SHA: sha}}
}

type reviewR struct {
	repo *Repo
	p    *Pull
	r    Review
}

func (r *reviewR) ID() graphql.ID        { return graphql.ID(nodeID("PRR", r.r.ID)) }
func (r *reviewR) DatabaseID() *int32    { return dbID(r.r.ID) }
func (r *reviewR) FullDatabaseID() *text { return bigInt(r.r.ID) }
func (r *reviewR) Author() *actorR       { return newActor(r.r.User) }
func (r *reviewR) State() string         { return r.r.State }
func (r *reviewR) Body() string          { return r.r.Body }
func (r *reviewR) Commit() *commitR      { return commitOf(r.p, r.r.CommitID) }
func (r *reviewR) SubmittedAt() *dateTime {
	if r.r.State == "PENDING" {
		return nil
	}
	return optTime(r.r.Submitted)
}

func (r *reviewR) Comments(a pageArgs) (*conn[*reviewCommentR], error) {
	var cs []ReviewComment
	for _, c := range r.p.ReviewComments {
		if c.ReviewID == r.r.ID {
			cs = append(cs, c)
		}
	}
	return paginate(cs, a, func(c ReviewComment) *reviewCommentR { return &reviewCommentR{r.repo, r.p, c} })
}

type reviewCommentR struct {
	repo *Repo
	p    *Pull
	c    ReviewComment
}

func (r *reviewCommentR) ID() graphql.ID           { return graphql.ID(nodeID("PRRC", r.c.ID)) }
func (r *reviewCommentR) DatabaseID() *int32       { return dbID(r.c.ID) }
func (r *reviewCommentR) FullDatabaseID() *text    { return bigInt(r.c.ID) }
func (r *reviewCommentR) Author() *actorR          { return newActor(r.c.User) }
func (r *reviewCommentR) Body() string             { return r.c.Body }
func (r *reviewCommentR) Path() string             { return r.c.Path }
func (r *reviewCommentR) CreatedAt() dateTime      { return dateTime{r.c.Created} }
func (r *reviewCommentR) Commit() *commitR         { return commitOf(r.p, r.c.CommitID) }
func (r *reviewCommentR) OriginalCommit() *commitR { return commitOf(r.p, r.c.CommitID) }
func (r *reviewCommentR) PullRequestReview() *reviewR {
	for _, rv := range r.p.Reviews {
		if rv.ID == r.c.ReviewID {
			return &reviewR{r.repo, r.p, rv}
		}
	}
	return nil
}

type commentR struct{ c Comment }

func (r *commentR) ID() graphql.ID        { return graphql.ID(nodeID("IC", r.c.ID)) }
func (r *commentR) DatabaseID() *int32    { return dbID(r.c.ID) }
func (r *commentR) FullDatabaseID() *text { return bigInt(r.c.ID) }
func (r *commentR) Author() *actorR       { return newActor(r.c.User) }
func (r *commentR) Body() string          { return r.c.Body }
func (r *commentR) CreatedAt() dateTime   { return dateTime{r.c.Created} }

type prCommitR struct{ c Commit }

func (r *prCommitR) ID() graphql.ID   { return graphql.ID(nodeID("PRC", int64(len(r.c.SHA)))) }
func (r *prCommitR) Commit() *commitR { return &commitR{r.c} }

type commitR struct{ c Commit }

func (r *commitR) ID() graphql.ID          { return graphql.ID("C_" + r.c.SHA) }
func (r *commitR) Oid() text               { return text(r.c.SHA) }
func (r *commitR) Message() string         { return r.c.Message }
func (r *commitR) AuthoredDate() dateTime  { return dateTime{r.c.Authored} }
func (r *commitR) CommittedDate() dateTime { return dateTime{r.c.Committed} }
func (r *commitR) Author() *gitActorR {
	return &gitActorR{r.c.AuthorName, r.c.AuthorEmail, r.c.Authored, r.c.Author}
}
func (r *commitR) Committer() *gitActorR {
	return &gitActorR{r.c.CommitterName, r.c.CommitterEmail, r.c.Committed, r.c.Committer}
}

// gitActorR is a commit's author or committer. Its user is the linked
// account when that is a User: GitHub's GitActor.user has no room for a
// Bot.
type gitActorR struct {
	name, email string
	at          time.Time
	u           *User
}

func (r *gitActorR) Name() *string   { return &r.name }
func (r *gitActorR) Email() *string  { return &r.email }
func (r *gitActorR) Date() *dateTime { return optTime(r.at) }
func (r *gitActorR) User() *userR {
	if r.u == nil || r.u.Type != "User" || r.u.Login == Ghost.Login {
		return nil
	}
	return &userR{r.u}
}

// actorR is the Actor interface: a User, Bot or Organization. A missing
// or deleted account (Ghost) is null.
type actorR struct{ u *User }

func newActor(u *User) *actorR {
	if u == nil || u.Login == Ghost.Login {
		return nil
	}
	return &actorR{u}
}

func (a *actorR) Login() string { return a.u.Login }
func (a *actorR) URL() text     { return (&userR{a.u}).URL() }
func (a *actorR) ToUser() (*userR, bool) {
	return &userR{a.u}, a.u.Type != "Bot" && a.u.Type != "Organization"
}
func (a *actorR) ToBot() (*userR, bool)          { return &userR{a.u}, a.u.Type == "Bot" }
func (a *actorR) ToOrganization() (*userR, bool) { return &userR{a.u}, a.u.Type == "Organization" }

// userR is a User, Bot or Organization.
type userR struct{ u *User }

func (r *userR) ID() graphql.ID     { return graphql.ID(nodeID("U", r.u.ID)) }
func (r *userR) DatabaseID() *int32 { return dbID(r.u.ID) }
func (r *userR) Login() string      { return r.u.Login }
func (r *userR) URL() text {
	if r.u.Type == "Bot" {
		return text(htmlBase + "/apps/" + strings.TrimSuffix(r.u.Login, "[bot]"))
	}
	return text(htmlBase + "/" + r.u.Login)
}

// eventR is one of the timeline's event types.
type eventR struct {
	repo *Repo
	p    *Pull
	e    Event
}

func (r *eventR) is(typeName string) (*eventR, bool) {
	return r, eventTypes[r.e.Event].typeName == typeName
}

func (r *eventR) ToReadyForReviewEvent() (*eventR, bool)  { return r.is("ReadyForReviewEvent") }
func (r *eventR) ToConvertToDraftEvent() (*eventR, bool)  { return r.is("ConvertToDraftEvent") }
func (r *eventR) ToReviewRequestedEvent() (*eventR, bool) { return r.is("ReviewRequestedEvent") }
func (r *eventR) ToClosedEvent() (*eventR, bool)          { return r.is("ClosedEvent") }
func (r *eventR) ToReopenedEvent() (*eventR, bool)        { return r.is("ReopenedEvent") }
func (r *eventR) ToMergedEvent() (*eventR, bool)          { return r.is("MergedEvent") }
func (r *eventR) ToLabeledEvent() (*eventR, bool)         { return r.is("LabeledEvent") }

func (r *eventR) ID() graphql.ID {
	return graphql.ID(EventNodeID(eventTypes[r.e.Event].prefix, r.e.ID))
}
func (r *eventR) Actor() *actorR      { return newActor(r.e.Actor) }
func (r *eventR) CreatedAt() dateTime { return dateTime{r.e.At} }
func (r *eventR) Commit() *commitR    { return commitOf(r.p, r.e.CommitID) }
func (r *eventR) URL() text {
	return text(fmt.Sprintf("%s/%s/pull/%d#event-%d", htmlBase, r.repo.FullName(), r.p.Number, r.e.ID))
}
func (r *eventR) RequestedReviewer() *reviewerR {
	if r.e.Team == "" && r.e.Reviewer == nil {
		return nil
	}
	return &reviewerR{r.e}
}

// reviewerR is the RequestedReviewer union.
type reviewerR struct{ e Event }

func (r *reviewerR) ToUser() (*userR, bool) {
	return &userR{r.e.Reviewer}, r.e.Team == "" && r.e.Reviewer.Type != "Bot"
}
func (r *reviewerR) ToBot() (*userR, bool) {
	return &userR{r.e.Reviewer}, r.e.Team == "" && r.e.Reviewer.Type == "Bot"
}
func (r *reviewerR) ToTeam() (*teamR, bool) { return &teamR{r.e.Team}, r.e.Team != "" }

type teamR struct{ slug string }

func (t *teamR) ID() graphql.ID { return graphql.ID("T_" + t.slug) }
func (t *teamR) Name() string   { return t.slug }
func (t *teamR) Slug() string   { return t.slug }
