package gerrit

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/zuul"
)

// realRecording is the answer of a real Gerrit 3.10.2, seeded by
// deploy/gerrit-dev/seed.sh, to the collector's query (all changes, the
// collector's options, as the admin); see deploy/gerrit-dev/README.md.
const realRecording = "../../deploy/gerrit-dev/recorded/changes-all.json"

// Change numbers of the seeded history by role (numbers are assigned in
// creation order on a fresh site, so they are the same on every run of
// seed.sh; recorded/seed-summary.json has them).
const (
	realMerged            = 1
	realReviewed          = 2
	realWIP               = 3
	realReadyAfterWIP     = 4
	realAbandonedRestored = 5
	realAbandoned         = 6
	realNewcomer          = 7
)

func decodeRealRecording(t *testing.T) map[int64]collectors.Change {
	t.Helper()
	body, err := os.ReadFile(realRecording)
	if err != nil {
		t.Fatal(err)
	}
	p, err := decodePage(afterGuard(body), "real", "http://127.0.0.1:8089/")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.bad) != 0 || p.more {
		t.Fatalf("%d changes could not be read (%v), more=%v", len(p.bad), p.bad, p.more)
	}
	byNumber := map[int64]collectors.Change{}
	for _, c := range p.changes {
		byNumber[c.Number] = c
	}
	if len(p.changes) != 7 || len(byNumber) != 7 {
		t.Fatalf("%d changes (%d distinct), want the 7 seeded ones", len(p.changes), len(byNumber))
	}
	return byNumber
}

// lastMessageBy returns the date of the last message of c by username.
func lastMessageBy(c collectors.Change, username string) time.Time {
	var at time.Time
	for _, m := range c.Messages {
		if m.Author.Username == username {
			at = m.Date
		}
	}
	return at
}

var realSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// TestDecodeRealGerrit maps the real answer onto the records: statuses, WIP,
// accounts with SERVICE_USER, messages with their tags, votes, revisions
// with their commit's author date, and the Zuul builds. Times are checked
// against each other (the recording can be taken again), never against
// fixed dates.
func TestDecodeRealGerrit(t *testing.T) {
	cs := decodeRealRecording(t)
	for n, c := range cs {
		what := fmt.Sprintf("change %d", n)
		wantProject := "demo/alpha"
		if n == realNewcomer {
			wantProject = "demo/beta"
		}
		if c.Source != "real" || c.Project != wantProject || c.Branch != "master" || c.Subject == "" ||
			!strings.HasPrefix(c.ChangeID, "I") || len(c.ChangeID) != 41 {
			t.Errorf("%s: source %q project %q branch %q subject %q change id %q", what, c.Source, c.Project, c.Branch, c.Subject, c.ChangeID)
		}
		if want := fmt.Sprintf("http://127.0.0.1:8089/c/%s/+/%d", wantProject, n); c.URL != want {
			t.Errorf("%s: url %q, want %q", what, c.URL, want)
		}
		if c.Created.IsZero() || c.Updated.Before(c.Created) {
			t.Errorf("%s: created %v, updated %v", what, c.Created, c.Updated)
		}
		if last := c.Messages[len(c.Messages)-1].Date; !c.Updated.Equal(last) {
			t.Errorf("%s: updated %v, want the last message's date %v", what, c.Updated, last)
		}
		if !c.Messages[0].Date.Equal(c.Created) {
			t.Errorf("%s: first message at %v, created %v", what, c.Messages[0].Date, c.Created)
		}
		for _, m := range c.Messages {
			if m.ID == "" || !m.Author.Present() || m.Date.IsZero() || m.Revision < 1 {
				t.Errorf("%s: message %+v: id, author, date and patch set must be read", what, m)
			}
			if m.Author.Service != (m.Author.Username == "zuul") {
				t.Errorf("%s: message author %+v: only zuul carries SERVICE_USER", what, m.Author)
			}
		}
		// Revisions: every patch set, in order, with its creation time and
		// SHA; the current commit's author date (git keeps the first one
		// across an amend).
		if len(c.Revisions) == 0 || !c.Revisions[0].Created.Equal(c.Created) {
			t.Fatalf("%s: revisions %+v", what, c.Revisions)
		}
		for i, r := range c.Revisions {
			if r.Number != i+1 || r.Kind != "REWORK" || !realSHA.MatchString(r.Commit) || r.Uploader.ID != c.Owner.ID ||
				(i > 0 && !r.Created.After(c.Revisions[i-1].Created)) {
				t.Errorf("%s: revision %d = %+v", what, i+1, r)
			}
		}
		// The seed commits, then pushes: the author date is the commit's,
		// at or a little before the first upload.
		if first := c.Revisions[0].Created; c.AuthorDate.IsZero() || c.AuthorDate.After(first) || first.Sub(c.AuthorDate) > time.Minute {
			t.Errorf("%s: author date %v, want at or shortly before the first upload (%v)", what, c.AuthorDate, first)
		}
		// Votes: only real votes (reviewers listed with value 0 or without a
		// value are dropped), each dated when its voter last wrote.
		for _, v := range c.Votes {
			if v.Value == 0 || v.Date.IsZero() || !v.Account.Present() {
				t.Errorf("%s: vote %+v", what, v)
			}
			if want := lastMessageBy(c, v.Account.Username); !v.Date.Equal(want) {
				t.Errorf("%s: %s vote by %s dated %v, want its review message's date %v", what, v.Label, v.Account.Username, v.Date, want)
			}
			if v.Account.Service != (v.Account.Username == "zuul") {
				t.Errorf("%s: vote account %+v: only zuul carries SERVICE_USER", what, v.Account)
			}
		}
	}

	status := map[int64]string{}
	var wip []int64
	for n, c := range cs {
		status[n] = c.Status
		if c.WIP {
			wip = append(wip, n)
		}
	}
	wantStatus := map[int64]string{
		realMerged: "merged", realReviewed: "open", realWIP: "open", realReadyAfterWIP: "open",
		realAbandonedRestored: "open", realAbandoned: "abandoned", realNewcomer: "open",
	}
	for n, s := range wantStatus {
		if status[n] != s {
			t.Errorf("change %d: status %q, want %q", n, status[n], s)
		}
	}
	if !slices.Equal(wip, []int64{realWIP}) {
		t.Errorf("WIP changes %v, want [%d]", wip, realWIP)
	}

	alice := collectors.Account{ID: "1000001", Name: "Alice Owner", Username: "alice", Email: "alice@example.com"}
	dave := collectors.Account{ID: "1000004", Name: "Dave Newcomer", Username: "dave", Email: "dave@example.com"}
	for n, c := range cs {
		want := alice
		if n == realNewcomer {
			want = dave
		}
		if c.Owner != want {
			t.Errorf("change %d: owner %+v, want %+v", n, c.Owner, want)
		}
	}

	// Messages and their tags, as Gerrit and Zuul wrote them.
	tags := func(c collectors.Change) string {
		var out []string
		for _, m := range c.Messages {
			tag := strings.TrimPrefix(m.Tag, "autogenerated:")
			if tag == "" {
				tag = "-"
			}
			out = append(out, fmt.Sprintf("%s:%s@%d", m.Author.Username, tag, m.Revision))
		}
		return strings.Join(out, " ")
	}
	wantTags := map[int64]string{
		realMerged:            "alice:gerrit:newPatchSet@1 zuul:zuul:check@1 bob:-@1 zuul:zuul:gate@1 admin:gerrit:merged@1",
		realReviewed:          "alice:gerrit:newPatchSet@1 zuul:zuul:check@1 bob:-@1 alice:gerrit:newPatchSet@2 alice:-@2 zuul:zuul:check@2 carol:-@2",
		realWIP:               "alice:gerrit:newWipPatchSet@1",
		realReadyAfterWIP:     "alice:gerrit:newWipPatchSet@1 alice:gerrit:setReadyForReview@1 carol:-@1",
		realAbandonedRestored: "alice:gerrit:newPatchSet@1 zuul:-@1 alice:gerrit:abandon@1 alice:gerrit:restore@1",
		realAbandoned:         "alice:gerrit:newPatchSet@1 alice:gerrit:abandon@1",
		realNewcomer:          "dave:gerrit:newPatchSet@1 zuul:zuul:check@1 bob:-@1",
	}
	for n, want := range wantTags {
		if got := tags(cs[n]); got != want {
			t.Errorf("change %d messages:\n got %s\nwant %s", n, got, want)
		}
	}
	if m := cs[realReviewed].Messages[2]; !strings.HasPrefix(m.Text, "Patch Set 1: Code-Review-1\n\n(1 comment)\n\n") {
		t.Errorf("bob's review on change %d: %q", realReviewed, m.Text)
	}
	if m := cs[realMerged].Messages[4]; m.Author.ID != "1000000" || m.Text != "Change has been successfully merged" {
		t.Errorf("merge message %+v", m)
	}

	// Votes: the current ones only (bob's -1 on the reviewed change did not
	// survive its second patch set).
	votes := func(c collectors.Change) string {
		var out []string
		for _, v := range c.Votes {
			out = append(out, fmt.Sprintf("%s%+d:%s", v.Label, v.Value, v.Account.Username))
		}
		return strings.Join(out, " ")
	}
	wantVotes := map[int64]string{
		realMerged:            "Code-Review+2:bob Verified+1:zuul",
		realReviewed:          "Code-Review+1:carol Verified+1:zuul",
		realWIP:               "",
		realReadyAfterWIP:     "Code-Review+1:carol",
		realAbandonedRestored: "Verified-1:zuul",
		realAbandoned:         "",
		realNewcomer:          "Code-Review+1:bob Verified+1:zuul",
	}
	for n, want := range wantVotes {
		if got := votes(cs[n]); got != want {
			t.Errorf("change %d votes %q, want %q", n, got, want)
		}
	}

	// merged_at is Gerrit's submitted, the time of the merge message.
	for n, c := range cs {
		if n == realMerged {
			if c.Merged.IsZero() || !c.Merged.Equal(c.Messages[len(c.Messages)-1].Date) {
				t.Errorf("change %d: merged %v, want the merge message's date %v", n, c.Merged, c.Messages[len(c.Messages)-1].Date)
			}
		} else if !c.Merged.IsZero() {
			t.Errorf("change %d (%s): merged %v", n, c.Status, c.Merged)
		}
	}
	// The amended change: two patch sets, the commit's author date is the
	// first upload's, not the second's.
	if r := cs[realReviewed].Revisions; len(r) != 2 || !cs[realReviewed].AuthorDate.Before(r[1].Created) {
		t.Errorf("change %d: revisions %+v, author date %v", realReviewed, r, cs[realReviewed].AuthorDate)
	}
	// A ready-after-WIP change is not WIP any more; its setReadyForReview
	// message comes after the WIP upload.
	if c := cs[realReadyAfterWIP]; c.WIP || !c.Messages[1].Date.After(c.Messages[0].Date) {
		t.Errorf("change %d: WIP %v, messages %+v", realReadyAfterWIP, c.WIP, c.Messages)
	}
}

// TestZuulBuildsFromRealGerrit parses the Zuul reports of the real answer:
// tagged reports (pipeline from the tag), the untagged old-style report of
// the service user (no pipeline), durations, voting, patch sets, times.
func TestZuulBuildsFromRealGerrit(t *testing.T) {
	cs := decodeRealRecording(t)
	service := func(a collectors.Account) bool { return a.Service }
	render := func(bs []collectors.Build) []string {
		var out []string
		for _, b := range bs {
			voting := "voting"
			if !b.Voting {
				voting = "non-voting"
			}
			out = append(out, fmt.Sprintf("ps%d %s %s %s %ds %s", b.Patchset, b.Pipeline, b.Job, b.Result, b.DurationS, voting))
		}
		return out
	}
	want := map[int64][]string{
		realMerged: {
			"ps1 check tox-py311 SUCCESS 189s voting",
			"ps1 check tox-pep8 FAILURE 62s non-voting",
			"ps1 gate tox-py311 SUCCESS 181s voting",
		},
		realReviewed: {
			"ps1 check tox-py311 SUCCESS 189s voting",
			"ps1 check tox-pep8 FAILURE 62s non-voting",
			"ps2 check tox-py311 SUCCESS 192s voting",
			"ps2 check tox-pep8 SUCCESS 58s non-voting",
		},
		realAbandonedRestored: {
			"ps1  tox-py311 FAILURE 131s voting",
			"ps1  tox-pep8 SUCCESS 49s voting",
		},
		realNewcomer: {"ps1 check docs-build SUCCESS 3723s voting"},
	}
	ids := map[string]int64{}
	for n, c := range cs {
		bs := zuul.Builds("real", c, service)
		if got := render(bs); !slices.Equal(got, want[n]) {
			t.Errorf("change %d builds:\n got %q\nwant %q", n, got, want[n])
		}
		for _, b := range bs {
			report := time.Time{}
			for _, m := range c.Messages {
				if m.Author.Username == "zuul" && strings.Contains(m.Text, b.URL) {
					report = m.Date
				}
			}
			if b.Source != "real" || b.System != collectors.SystemZuul || b.Project != c.Project || b.Change != n ||
				!strings.HasPrefix(b.URL, "https://zuul.example.org/t/demo/build/") || b.BuildID != b.URL ||
				report.IsZero() || !b.Finished.Equal(report) || !b.Started.Equal(report.Add(-time.Duration(b.DurationS)*time.Second)) {
				t.Errorf("change %d: build %+v (report at %v)", n, b, report)
			}
			if prev, dup := ids[b.BuildID]; dup {
				t.Errorf("build id %s on changes %d and %d: every seeded report names its own builds", b.BuildID, prev, n)
			}
			ids[b.BuildID] = n
		}
	}
	// Without SERVICE_USER (or a bots glob) zuul's untagged report is a
	// human comment, not a report.
	if bs := zuul.Builds("real", cs[realAbandonedRestored], nil); len(bs) != 0 {
		t.Errorf("untagged report parsed without knowing its author is a bot: %q", render(bs))
	}
}
