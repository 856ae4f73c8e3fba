package github

import (
	"context"
	"fmt"

	"github.com/shurcooL/githubv4"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/httpx"
)

// # Pull requests through GraphQL (API v4)
//
// With api: graphql (the default) a repository's pull requests are read in
// pages of graphQLPulls (the first of a run graphQLFirstPulls, so that an
// idle run costs about 2 points rather than 12), ordered by update time,
// newest first, each pull
// request with its nested connections: reviews (each with its review
// comments), issue comments, the timeline items the definitions need
// (ready for review, convert to draft, review requested, closed, reopened,
// merged) and its commits. One query holds what the REST path reads in
// about five requests per pull request. A nested connection that has more
// than the first page is read on, page by page, for that pull request (or
// review) only, through node(id:).
//
// What is read is turned into the go-github values the REST path reads and
// mapped by the same mapPull, so both paths store the same rows. Two
// differences between the APIs are bridged: GraphQL gives a deleted
// account as a null author where REST gives the "ghost" account, so a null
// author is read as the ghost; and GraphQL timeline events have no
// database id, which REST's message ids carry, so it is read out of the
// event's node id (see eventDatabaseID). Two remain: a commit's linked
// account is known only when it is a User (GraphQL's GitActor.user cannot
// hold a Bot), so a commit a GitHub App's bot account wrote has its git
// name and email as uploader where REST names the bot; and ids are read
// from fullDatabaseId, which GitHub Enterprise Server versions before it
// lack (use api: rest there).
//
// Every query also reads rateLimit { cost remaining resetAt }: when what
// is left would not pay for the last query's cost again, the next query
// waits for the reset (at most MaxWait). A RATE_LIMITED error is waited
// out the same way, and 403/429 answers go through the same httpx retry loop as
// REST requests.

// The APIs a source can read pull requests through.
const (
	APIGraphQL = "graphql"
	APIREST    = "rest"
)

// Page sizes of the GraphQL queries. A page of pull requests costs about
// (1 + graphQLPulls × (4 + graphQLReviews)) / 100 points; the other
// nested connections are free in points, only bounded by the node limit
// (500,000) and GitHub's time limit for one query.
const (
	graphQLFirstPulls     = 10 // the first page of a run: all an idle run reads
	graphQLPulls          = 50
	graphQLReviews        = 20
	graphQLReviewComments = 20
	graphQLNested         = 100 // issue comments, timeline items, commits
	graphQLCommits        = 250 // GitHub lists at most 250 commits of a pull request
)

// gqlRate is the rateLimit every query reads.
type gqlRate struct {
	Cost      githubv4.Int
	Remaining githubv4.Int
	ResetAt   githubv4.DateTime
}

// rated is embedded in every query: it reads rateLimit.
type rated struct {
	RateLimit gqlRate
}

func (r *rated) rate() gqlRate { return r.RateLimit }

type gqlPageInfo struct {
	EndCursor   githubv4.String
	HasNextPage bool
}

// gqlActor is an Actor: a User, Bot or Organization.
type gqlActor struct {
	Typename     githubv4.String `graphql:"__typename"`
	Login        githubv4.String
	User         struct{ DatabaseID githubv4.Int } `graphql:"... on User"`
	Bot          struct{ DatabaseID githubv4.Int } `graphql:"... on Bot"`
	Organization struct{ DatabaseID githubv4.Int } `graphql:"... on Organization"`
}

type gqlOid struct{ Oid githubv4.String }

type gqlReviewComment struct {
	FullDatabaseID githubv4.String
	Author         *gqlActor
	Body           githubv4.String
	CreatedAt      githubv4.DateTime
	Commit         *gqlOid
	OriginalCommit *gqlOid
}

type gqlReviewComments struct {
	PageInfo gqlPageInfo
	Nodes    []*gqlReviewComment
}

type gqlReview struct {
	ID             githubv4.ID
	FullDatabaseID githubv4.String
	Author         *gqlActor
	State          githubv4.String
	Body           githubv4.String
	SubmittedAt    *githubv4.DateTime
	Commit         *gqlOid
	Comments       gqlReviewComments `graphql:"comments(first: $reviewComments)"`
}

type gqlReviews struct {
	PageInfo gqlPageInfo
	Nodes    []*gqlReview
}

type gqlComment struct {
	FullDatabaseID githubv4.String
	Author         *gqlActor
	Body           githubv4.String
	CreatedAt      githubv4.DateTime
}

type gqlComments struct {
	PageInfo gqlPageInfo
	Nodes    []*gqlComment
}

// gqlEventFields are what every timeline event has.
type gqlEventFields struct {
	ID        githubv4.ID
	Actor     *gqlActor
	CreatedAt githubv4.DateTime
}

type gqlEvent struct {
	Typename        githubv4.String `graphql:"__typename"`
	ReadyForReview  gqlEventFields  `graphql:"... on ReadyForReviewEvent"`
	ConvertToDraft  gqlEventFields  `graphql:"... on ConvertToDraftEvent"`
	Closed          gqlEventFields  `graphql:"... on ClosedEvent"`
	Reopened        gqlEventFields  `graphql:"... on ReopenedEvent"`
	ReviewRequested struct {
		gqlEventFields
		RequestedReviewer *struct {
			Typename githubv4.String                      `graphql:"__typename"`
			User     struct{ Login githubv4.String }      `graphql:"... on User"`
			Bot      struct{ Login githubv4.String }      `graphql:"... on Bot"`
			Team     struct{ Slug, Name githubv4.String } `graphql:"... on Team"`
		}
	} `graphql:"... on ReviewRequestedEvent"`
	Merged struct {
		gqlEventFields
		Commit *gqlOid
	} `graphql:"... on MergedEvent"`
}

type gqlTimeline struct {
	PageInfo gqlPageInfo
	Nodes    []*gqlEvent
}

type gqlGitActor struct {
	Name  githubv4.String
	Email githubv4.String
	Date  *githubv4.GitTimestamp
	User  *struct {
		DatabaseID githubv4.Int
		Login      githubv4.String
	}
}

type gqlCommit struct {
	Commit struct {
		Oid       githubv4.String
		Author    *gqlGitActor
		Committer *struct{ Date *githubv4.GitTimestamp }
	}
}

type gqlCommits struct {
	PageInfo gqlPageInfo
	Nodes    []*gqlCommit
}

type gqlPull struct {
	ID             githubv4.ID
	Number         githubv4.Int
	Title          githubv4.String
	URL            githubv4.String
	State          githubv4.String
	IsDraft        githubv4.Boolean
	Merged         githubv4.Boolean
	CreatedAt      githubv4.DateTime
	UpdatedAt      githubv4.DateTime
	ClosedAt       *githubv4.DateTime
	MergedAt       *githubv4.DateTime
	Additions      githubv4.Int
	Deletions      githubv4.Int
	Author         *gqlActor
	BaseRefName    githubv4.String
	BaseRepository *struct{ NameWithOwner githubv4.String }
	Reviews        gqlReviews  `graphql:"reviews(first: $reviews)"`
	Comments       gqlComments `graphql:"comments(first: $nested)"`
	TimelineItems  gqlTimeline `graphql:"timelineItems(first: $nested, itemTypes: [READY_FOR_REVIEW_EVENT, CONVERT_TO_DRAFT_EVENT, REVIEW_REQUESTED_EVENT, CLOSED_EVENT, REOPENED_EVENT, MERGED_EVENT])"`
	Commits        gqlCommits  `graphql:"commits(first: $nested)"`
}

// pullsQuery is one page of a repository's pull requests.
type pullsQuery struct {
	rated
	Repository *struct {
		PullRequests struct {
			PageInfo gqlPageInfo
			Nodes    []*gqlPull
		} `graphql:"pullRequests(first: $pulls, after: $after, orderBy: {field: UPDATED_AT, direction: DESC})"`
	} `graphql:"repository(owner: $owner, name: $name)"`
}

// nestedVars are the page sizes of the nested connections, which every
// query that reads a pull request or a review declares.
func nestedVars() map[string]any {
	return map[string]any{
		"reviews":        githubv4.Int(graphQLReviews),
		"reviewComments": githubv4.Int(graphQLReviewComments),
		"nested":         githubv4.Int(graphQLNested),
	}
}

// graphQLPages pages through a repository's pull requests by GraphQL.
func (g *Collector) graphQLPages(ctx context.Context, r repoRef) pager {
	vars := nestedVars()
	vars["owner"], vars["name"] = githubv4.String(r.owner), githubv4.String(r.name)
	vars["pulls"] = githubv4.Int(min(g.opts.PageSize, graphQLFirstPulls))
	vars["after"] = (*githubv4.String)(nil)
	return func() ([]listed, bool, error) {
		var q pullsQuery
		if err := g.query(ctx, &q, vars); err != nil {
			return nil, false, err
		}
		vars["pulls"] = githubv4.Int(min(g.opts.PageSize, graphQLPulls))
		if q.Repository == nil {
			return nil, false, &httpx.Error{System: "GitHub", Method: "POST", URL: g.gqlURL, Status: 404,
				Message: fmt.Sprintf("GitHub's GraphQL API has no repository %s", r), Hint: hints[404]}
		}
		prs := q.Repository.PullRequests
		page := make([]listed, 0, len(prs.Nodes))
		for _, p := range prs.Nodes {
			if p == nil {
				continue
			}
			page = append(page, listed{number: int(p.Number), updated: p.UpdatedAt.UTC(),
				load: func() (collectors.Change, []omission, error) { return g.complete(ctx, r, p) }})
		}
		after := prs.PageInfo.EndCursor
		vars["after"] = &after
		return page, bool(prs.PageInfo.HasNextPage), nil
	}
}

// complete reads the further pages of p's nested connections that did not
// fit in the first, and maps p.
func (g *Collector) complete(ctx context.Context, r repoRef, p *gqlPull) (collectors.Change, []omission, error) {
	if err := g.moreReviews(ctx, p); err != nil {
		return collectors.Change{}, nil, err
	}
	for _, rv := range p.Reviews.Nodes {
		if rv != nil && rv.Comments.PageInfo.HasNextPage {
			if err := g.moreReviewComments(ctx, rv); err != nil {
				return collectors.Change{}, nil, err
			}
		}
	}
	if err := g.moreNested(ctx, p); err != nil {
		return collectors.Change{}, nil, err
	}
	return g.change(r, fromGraphQL(p))
}

// moreReviews reads p's reviews past the first page.
func (g *Collector) moreReviews(ctx context.Context, p *gqlPull) error {
	for p.Reviews.PageInfo.HasNextPage {
		var q struct {
			rated
			Node struct {
				PullRequest struct {
					Reviews gqlReviews `graphql:"reviews(first: $reviews, after: $after)"`
				} `graphql:"... on PullRequest"`
			} `graphql:"node(id: $id)"`
		}
		vars := map[string]any{"id": p.ID, "after": p.Reviews.PageInfo.EndCursor,
			"reviews": githubv4.Int(graphQLReviews), "reviewComments": githubv4.Int(graphQLReviewComments)}
		if err := g.query(ctx, &q, vars); err != nil {
			return err
		}
		got := q.Node.PullRequest.Reviews
		p.Reviews.Nodes = append(p.Reviews.Nodes, got.Nodes...)
		p.Reviews.PageInfo = got.PageInfo
	}
	return nil
}

// moreReviewComments reads a review's comments past the first page.
func (g *Collector) moreReviewComments(ctx context.Context, rv *gqlReview) error {
	for rv.Comments.PageInfo.HasNextPage {
		var q struct {
			rated
			Node struct {
				PullRequestReview struct {
					Comments gqlReviewComments `graphql:"comments(first: $nested, after: $after)"`
				} `graphql:"... on PullRequestReview"`
			} `graphql:"node(id: $id)"`
		}
		vars := map[string]any{"id": rv.ID, "after": rv.Comments.PageInfo.EndCursor, "nested": githubv4.Int(graphQLNested)}
		if err := g.query(ctx, &q, vars); err != nil {
			return err
		}
		got := q.Node.PullRequestReview.Comments
		rv.Comments.Nodes = append(rv.Comments.Nodes, got.Nodes...)
		rv.Comments.PageInfo = got.PageInfo
	}
	return nil
}

// after is the cursor to read on after a page: nil after an empty one.
func after(pi gqlPageInfo) *githubv4.String {
	if pi.EndCursor == "" {
		return nil
	}
	c := pi.EndCursor
	return &c
}

// moreNested reads p's issue comments, timeline items and commits past
// their first pages (commits up to graphQLCommits, as REST), all three
// in each query while any has more.
func (g *Collector) moreNested(ctx context.Context, p *gqlPull) error {
	for {
		commitsMore := bool(p.Commits.PageInfo.HasNextPage) && len(p.Commits.Nodes) < graphQLCommits
		if !p.Comments.PageInfo.HasNextPage && !p.TimelineItems.PageInfo.HasNextPage && !commitsMore {
			return nil
		}
		var q struct {
			rated
			Node struct {
				PullRequest struct {
					Comments      gqlComments `graphql:"comments(first: $comments, after: $commentsAfter)"`
					TimelineItems gqlTimeline `graphql:"timelineItems(first: $timeline, after: $timelineAfter, itemTypes: [READY_FOR_REVIEW_EVENT, CONVERT_TO_DRAFT_EVENT, REVIEW_REQUESTED_EVENT, CLOSED_EVENT, REOPENED_EVENT, MERGED_EVENT])"`
					Commits       gqlCommits  `graphql:"commits(first: $commits, after: $commitsAfter)"`
				} `graphql:"... on PullRequest"`
			} `graphql:"node(id: $id)"`
		}
		// A connection that is done is asked for one item past its end:
		// nothing, at no cost in nodes.
		size := func(more bool) githubv4.Int {
			if more {
				return graphQLNested
			}
			return 1
		}
		vars := map[string]any{"id": p.ID,
			"comments": size(bool(p.Comments.PageInfo.HasNextPage)), "commentsAfter": after(p.Comments.PageInfo),
			"timeline": size(bool(p.TimelineItems.PageInfo.HasNextPage)), "timelineAfter": after(p.TimelineItems.PageInfo),
			"commits": size(commitsMore), "commitsAfter": after(p.Commits.PageInfo)}
		if err := g.query(ctx, &q, vars); err != nil {
			return err
		}
		got := q.Node.PullRequest
		if p.Comments.PageInfo.HasNextPage {
			p.Comments.Nodes = append(p.Comments.Nodes, got.Comments.Nodes...)
			p.Comments.PageInfo = got.Comments.PageInfo
		}
		if p.TimelineItems.PageInfo.HasNextPage {
			p.TimelineItems.Nodes = append(p.TimelineItems.Nodes, got.TimelineItems.Nodes...)
			p.TimelineItems.PageInfo = got.TimelineItems.PageInfo
		}
		if commitsMore {
			p.Commits.Nodes = append(p.Commits.Nodes, got.Commits.Nodes...)
			p.Commits.PageInfo = got.Commits.PageInfo
		}
	}
}
