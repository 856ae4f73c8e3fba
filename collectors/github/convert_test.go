package github

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/codepace/codepace/collectors"
)

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestRecordedAnswers maps real recorded GitHub answers (scrubbed, see
// testdata/NOTICE): the PENDING review, which has no submitted_at, is
// skipped, the review comment is dated when its review was submitted, the
// review request becomes a tagged message.
func TestRecordedAnswers(t *testing.T) {
	var (
		reviews  []*gh.PullRequestReview
		comments []*gh.PullRequestComment
		events   []*gh.Timeline
	)
	readJSON(t, "reviews.json", &reviews)
	readJSON(t, "review_comments.json", &comments)
	readJSON(t, "events.json", &events)
	if len(reviews) != 2 || reviews[0].GetState() != "PENDING" || reviews[0].SubmittedAt != nil {
		t.Fatalf("recorded reviews: %v", reviews)
	}
	created := time.Date(2024, 6, 16, 10, 0, 0, 0, time.UTC)
	pr := &gh.PullRequest{
		Number: gh.Int(482), NodeID: gh.String("PR_kwDODFTdCc5x"), State: gh.String("open"),
		Title: gh.String("Recorded"), HTMLURL: gh.String("https://github.com/acme/widgets/pull/482"),
		User:      &gh.User{Login: gh.String("author"), ID: gh.Int64(5000), Type: gh.String("User")},
		CreatedAt: &gh.Timestamp{Time: created}, UpdatedAt: &gh.Timestamp{Time: created.Add(time.Hour)},
		Base: &gh.PullRequestBranch{Ref: gh.String("main")},
	}
	c := toChange("gh", "acme/widgets", pull{pr: pr, reviews: reviews, reviewComments: comments, events: events})
	var got []string
	for _, m := range c.Messages {
		got = append(got, m.ID+" "+m.Author.Username+" "+m.Date.Format(time.RFC3339)+" "+m.Text)
	}
	want := []string{
		"event/5064363179 requester-one 2021-07-24T20:28:28Z Review requested from reviewer-two",
		"review/2121317005 reviewer-two 2024-06-16T10:25:00Z Review APPROVED: Looks good",
		// Drafted at 10:20:03, published with its review at 10:25.
		"review_comment/1641776780 reviewer-one 2024-06-16T10:25:00Z Sample review comment",
	}
	if !slices.Equal(got, want) {
		t.Errorf("messages\n%q\nwant\n%q", got, want)
	}
	if c.Messages[0].Tag != TagReviewRequested || c.Messages[1].Tag != "" || c.Messages[2].Tag != "" {
		t.Errorf("tags: %+v", c.Messages)
	}
	if a := c.Messages[1].Author; a.ID != "5003" || a.Name != "reviewer-two" || a.Service {
		t.Errorf("reviewer account %+v", a)
	}
}

func TestAccount(t *testing.T) {
	for _, tt := range []struct {
		name string
		u    *gh.User
		want collectors.Account
	}{
		{"missing", nil, collectors.Account{}},
		{"ghost", &gh.User{Login: gh.String("ghost"), ID: gh.Int64(10137), Type: gh.String("User")},
			collectors.Account{Name: "ghost", Username: "ghost"}},
		{"user", &gh.User{Login: gh.String("alice"), ID: gh.Int64(1), Type: gh.String("User")},
			collectors.Account{ID: "1", Name: "alice", Username: "alice"}},
		{"user with a name", &gh.User{Login: gh.String("alice"), Name: gh.String("Alice A."), ID: gh.Int64(1)},
			collectors.Account{ID: "1", Name: "Alice A.", Username: "alice"}},
		{"bot", &gh.User{Login: gh.String("dependabot[bot]"), ID: gh.Int64(49699333), Type: gh.String("Bot")},
			collectors.Account{ID: "49699333", Name: "dependabot[bot]", Username: "dependabot[bot]", Service: true}},
	} {
		if got := account(tt.u); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestOpenedAsDraft(t *testing.T) {
	ev := func(name string, h int) *gh.Timeline {
		return &gh.Timeline{Event: gh.String(name), CreatedAt: &gh.Timestamp{Time: t0.Add(time.Duration(h) * time.Hour)}}
	}
	for _, tt := range []struct {
		name   string
		draft  bool
		events []*gh.Timeline
		want   bool
	}{
		{"ready, no events", false, nil, false},
		{"draft, no events", true, nil, true},
		{"ready first", false, []*gh.Timeline{ev("ready_for_review", 1), ev("convert_to_draft", 2)}, true},
		{"converted first", true, []*gh.Timeline{ev("labeled", 0), ev("convert_to_draft", 1)}, false},
		{"out of order", false, []*gh.Timeline{ev("convert_to_draft", 3), ev("ready_for_review", 1)}, true},
	} {
		if got := openedAsDraft(&gh.PullRequest{Draft: gh.Bool(tt.draft)}, tt.events); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
