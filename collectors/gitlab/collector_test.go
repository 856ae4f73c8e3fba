package gitlab

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	glt "github.com/codepace/codepace/collectors/gitlab/gitlabtest"
	"github.com/codepace/codepace/internal/testlog"
)

const token = "glpat-s3cret"

var runAt = T0.Add(10 * day)

func newCollector(t *testing.T, srv *glt.Server, o Options) (*Collector, *testlog.Buffer) {
	t.Helper()
	o.Name, o.URL = "lab", srv.URL()
	o.Token = cmpString(o.Token, token)
	log, logs := testlog.Logger(t, o.Token)
	o.Retries, o.Backoff, o.Logger, o.Now = 3, time.Millisecond, log, func() time.Time { return runAt }
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

// serve starts a fake GitLab holding Sample, closed when t ends.
func serve(t *testing.T) *glt.Server {
	srv := glt.New(token, Sample()...)
	t.Cleanup(srv.Close)
	return srv
}

func cmpString(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

func byNumber(cs []collectors.Change) map[string]collectors.Change {
	out := map[string]collectors.Change{}
	for _, c := range cs {
		out[fmt.Sprintf("%s!%d", c.Project, c.Number)] = c
	}
	return out
}

func TestCollectGroup(t *testing.T) {
	srv := serve(t)
	var progress []collectors.Progress
	g, log := newCollector(t, srv, Options{Group: "wm", PageSize: 2, CI: true,
		Progress: func(p collectors.Progress) { progress = append(progress, p) }})
	var sink memSink
	st, err := g.Collect(context.Background(), collectors.Window{From: T0.Add(-day)}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Changes != 4 || len(sink.changes) != 4 || !sink.cursor.Equal(runAt) {
		t.Fatalf("stored %d changes (stats %d), cursor %v; want the group's 4 and the cursor at %v", len(sink.changes), st.Changes, sink.cursor, runAt)
	}
	if n := len(progress); n < 3 || progress[n-1].Changes != 4 || progress[n-1].Builds != 5 || progress[0].Source != "lab" {
		t.Errorf("progress %+v: want a call per stored page, the last counting 4 changes and 5 builds", progress)
	}
	if strings.Contains(log.String(), token) {
		t.Errorf("the token is in the log:\n%s", log)
	}
	got := byNumber(sink.changes)
	w1 := got["wm/core/widgets!1"]
	var tags []string
	for _, m := range w1.Messages {
		tags = append(tags, m.ID+" "+m.Tag+" "+strings.SplitN(m.Text, "\n", 2)[0])
	}
	want := []string{
		"opened_draft " + collectors.TagOpenedDraft + " Opened as draft",
		"note/1 " + collectors.TagReady + " marked this merge request as **ready**",
		"note/2  Please split this.",
		"note/3  Done.",
		"note/4  Review APPROVED",
		"note/5 " + TagUnapproved + " unapproved this merge request",
		"note/6  Review APPROVED",
		"note/7 " + TagSystem + " added 1 commit",
		"merged " + collectors.TagMerged + " merged",
	}
	if !slices.Equal(tags, want) {
		t.Errorf("widgets!1 messages:\n  %s\nwant:\n  %s", strings.Join(tags, "\n  "), strings.Join(want, "\n  "))
	}
	if w1.Status != collectors.StatusMerged || !w1.Merged.Equal(T0.Add(2*day)) || w1.WIP || w1.Owner.Username != "alice" ||
		w1.Owner.ID != "1001" || w1.Branch != "main" || w1.ChangeID != "501" || !w1.AuthorDate.Equal(T0.Add(-5*hour)) {
		t.Errorf("widgets!1 = %+v", w1)
	}
	if len(w1.Revisions) != 2 || w1.Revisions[0].Commit[:2] != "a1" || !w1.Revisions[1].Created.Equal(T0.Add(5*hour)) ||
		w1.Messages[2].Revision != 1 {
		t.Errorf("widgets!1 revisions %+v, the diff note on revision %d; want a1 then a2 (at T0+5h), the note on 1", w1.Revisions, w1.Messages[2].Revision)
	}
	if len(w1.Votes) != 1 || w1.Votes[0].Account.Username != "bob" || w1.Votes[0].Label != ApprovalLabel || !w1.Votes[0].Date.Equal(T0.Add(6*hour)) {
		t.Errorf("widgets!1 votes %+v, want bob's approval only (carol unapproved)", w1.Votes)
	}
	w2 := got["wm/core/widgets!2"]
	if len(w2.Messages) != 2 || !w2.Messages[0].Author.Service || w2.Messages[1].Author.Service || w2.Owner.Service {
		t.Errorf("widgets!2 messages %+v: want renovate-bot flagged as a bot (bot: true), alice not", w2.Messages)
	}
	l1 := got["wm/tools/lint!1"]
	var l1tags []string
	for _, m := range l1.Messages {
		l1tags = append(l1tags, m.ID+" "+m.Tag)
	}
	if want := []string{"note/20 ", "state/30 " + collectors.TagClosed, "state/31 " + collectors.TagReopened,
		"note/21 " + collectors.TagClosed}; l1.Status != collectors.StatusAbandoned || !slices.Equal(l1tags, want) {
		t.Errorf("lint!1 is %s with messages %q, want abandoned with %q", l1.Status, l1tags, want)
	}
	l2 := got["wm/tools/lint!2"]
	if !l2.WIP || l2.Messages[0].Tag != collectors.TagOpenedDraft {
		t.Errorf("lint!2 = %+v, want a draft opened as draft", l2)
	}
	checkBuilds(t, sink.builds)
}

// checkBuilds checks the builds of the sample's pipelines.
func checkBuilds(t *testing.T, builds []collectors.Build) {
	t.Helper()
	var got []string
	for _, b := range builds {
		q := "NULL"
		if b.QueuedS != nil {
			q = fmt.Sprint(*b.QueuedS)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %s %s change=%d voting=%v %s %s %ds queued=%s", b.BuildID, b.System, b.Project,
			b.Pipeline, b.Job, b.Result, b.Change, b.Voting, b.Started.Format("15:04:05"), b.Finished.Format("15:04:05"), b.DurationS, q))
	}
	slices.Sort(got)
	want := []string{
		"1000 gitlab-ci wm/core/widgets merge_request_event test FAILURE change=1 voting=true 14:01:00 14:03:00 120s queued=60",
		"1001 gitlab-ci wm/core/widgets merge_request_event test SUCCESS change=1 voting=true 14:05:00 14:09:30 270s queued=12",
		"1002 gitlab-ci wm/core/widgets merge_request_event lint FAILURE change=1 voting=false 14:00:03 14:01:08 65s queued=3",
		"1003 gitlab-ci wm/core/widgets merge_request_event deploy CANCELLED change=1 voting=true 14:20:00 14:20:00 0s queued=NULL",
		"1004 gitlab-ci wm/core/widgets push docs SUCCESS change=0 voting=true 09:01:00 09:02:00 60s queued=60",
	}
	if !slices.Equal(got, want) {
		t.Errorf("builds:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestIdleRunCostsOneRequest(t *testing.T) {
	srv := serve(t)
	g, _ := newCollector(t, srv, Options{Group: "wm"})
	var sink memSink
	st, err := g.Collect(context.Background(), collectors.Window{From: T0.Add(5 * day)}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests != 1 || srv.Requests() != 1 || len(sink.changes) != 0 || !sink.cursor.Equal(runAt) {
		t.Errorf("an idle run made %d requests (server saw %d), stored %d; want 1 request, nothing, the cursor moved",
			st.Requests, srv.Requests(), len(sink.changes))
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Name: "x", URL: "https://gitlab.example.org"},
		{Name: "x", URL: "https://gitlab.example.org", Group: "g", Projects: []string{"g/p"}},
		{Name: "x", URL: "gitlab.example.org", Group: "g"},
		{Name: "x", URL: "https://u:p@gitlab.example.org", Group: "g"},
		{Name: "x", URL: "https://gitlab.example.org", Projects: []string{"lonely"}},
		{URL: "https://gitlab.example.org", Group: "g"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted it", o)
		} else if strings.Contains(err.Error(), "u:p@") {
			t.Errorf("New(%+v): the error shows the credentials: %v", o, err)
		}
	}
}

func TestMergeRequestOf(t *testing.T) {
	for ref, want := range map[string]int64{
		"refs/merge-requests/12/head": 12, "refs/merge-requests/7/merge": 7, "refs/merge-requests/3/train": 3,
		"refs/merge-requests/x/head": 0, "refs/merge-requests/4/other": 0, "main": 0, "refs/heads/main": 0,
	} {
		if got := mergeRequestOf(ref); got != want {
			t.Errorf("mergeRequestOf(%q) = %d, want %d", ref, got, want)
		}
	}
}
