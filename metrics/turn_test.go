package metrics

import (
	"fmt"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
)

// revs returns revisions 1..n uploaded at the given instants.
func revs(at ...time.Time) []collectors.Revision {
	out := make([]collectors.Revision, len(at))
	for i, t := range at {
		out[i] = collectors.Revision{Number: i + 1, Created: t, Uploader: owner}
	}
	return out
}

// onPS is a message about patch set ps.
func onPS(ps int, m collectors.Message) collectors.Message {
	m.Revision = ps
	return m
}

// zuulReport is a Zuul report as Zuul posts it on Gerrit.
func zuulReport(ps int, verified string, jobs ...string) string {
	head := "Build succeeded (gate pipeline)."
	if verified == "-1" {
		head = "Build failed (gate pipeline)."
	}
	text := fmt.Sprintf("Patch Set %d: Verified%s\n\n%s\n\n", ps, verified, head)
	for _, j := range jobs {
		text += "- " + j + "\n"
	}
	return text
}

func TestTurns(t *testing.T) {
	rev := func(from, to time.Time, since time.Time) TurnSpan {
		return TurnSpan{Interval: Interval{From: from, To: to}, Since: since}
	}
	auth := func(from, to time.Time, since time.Time) TurnSpan {
		return TurnSpan{Interval: Interval{From: from, To: to}, OnAuthor: true, Since: since}
	}
	var never time.Time
	cases := []struct {
		name string
		c    collectors.Change
		want []TurnSpan
	}{{
		name: "no review yet: on a reviewer since ready",
		c:    collectors.Change{Created: h(0), Revisions: revs(h(0))},
		want: []TurnSpan{rev(h(0), never, h(0))},
	}, {
		name: "a -1 waits on the author; a new patch set ends it",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0), h(10)), Messages: []collectors.Message{
			onPS(1, msg(h(2), alice, "", "Patch Set 1: Code-Review-1\n\nPlease fix.")),
			onPS(2, msg(h(10), owner, tagUpload, "Uploaded patch set 2.")),
		}},
		want: []TurnSpan{rev(h(0), h(2), h(0)), auth(h(2), h(10), h(2)), rev(h(10), never, h(10))},
	}, {
		name: "a vote on an older patch set does not count",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0), h(1)), Messages: []collectors.Message{
			onPS(1, msg(h(3), alice, "", "Patch Set 1: Code-Review-2")),
		}},
		want: []TurnSpan{rev(h(0), never, h(0))},
	}, {
		name: "the patch set read from the text when the message has none",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0), h(1)), Messages: []collectors.Message{
			msg(h(3), alice, "", "Patch Set 1: Code-Review-2"),
			msg(h(4), bob, "", "Patch Set 2: Code-Review-1"),
		}},
		want: []TurnSpan{rev(h(0), h(4), h(0)), auth(h(4), never, h(4))},
	}, {
		name: "a reviewer who turns -1 into +1",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0)), Messages: []collectors.Message{
			onPS(1, msg(h(2), alice, "", "Patch Set 1: Code-Review-1")),
			onPS(1, msg(h(5), alice, "", "Patch Set 1: Code-Review+1")),
		}},
		want: []TurnSpan{rev(h(0), h(2), h(0)), auth(h(2), h(5), h(2)), rev(h(5), never, h(5))},
	}, {
		name: "one voter's -1 holds while another votes +1; a removed vote ends it",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0)), Messages: []collectors.Message{
			onPS(1, msg(h(2), alice, "", "Patch Set 1: Code-Review-1")),
			onPS(1, msg(h(3), bob, "", "Patch Set 1: Code-Review+2")),
			onPS(1, msg(h(4), alice, "", "Patch Set 1: -Code-Review\n\nRemoved my vote")),
		}},
		want: []TurnSpan{rev(h(0), h(2), h(0)), auth(h(2), h(4), h(2)), rev(h(4), never, h(4))},
	}, {
		name: "a bot's and the owner's Code-Review votes do not count",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0)), Messages: []collectors.Message{
			onPS(1, msg(h(1), ciBot, "", "Patch Set 1: Code-Review-1")),
			onPS(1, msg(h(2), service, "", "Patch Set 1: Code-Review-2")),
			onPS(1, msg(h(3), owner, "", "Patch Set 1: Code-Review-1\n\nnot ready")),
		}},
		want: []TurnSpan{rev(h(0), never, h(0))},
	}, {
		name: "a failed non-voting job does not count; a failed voting job does",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0), h(6)), Messages: []collectors.Message{
			onPS(1, msg(h(1), ciBot, tagZuul, zuulReport(1, "+1",
				"tox https://zuul.example.org/b/1 : SUCCESS in 3m 02s",
				"docs https://zuul.example.org/b/2 : FAILURE in 1m 00s (non-voting)"))),
			onPS(2, msg(h(7), ciBot, tagZuul, zuulReport(2, "-1",
				"tox https://zuul.example.org/b/3 : FAILURE in 3m 02s"))),
		}},
		want: []TurnSpan{rev(h(0), h(7), h(0)), auth(h(7), never, h(7))},
	}, {
		name: "a Zuul report without a Verified vote, then a recheck that passes",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0)), Messages: []collectors.Message{
			onPS(1, msg(h(1), ciBot, "", "Build failed.\n\n- tox https://zuul.example.org/b/1 : TIMED_OUT in 1h 00m 00s\n")),
			onPS(1, msg(h(3), ciBot, "", "Build succeeded.\n\n- tox https://zuul.example.org/b/2 : SUCCESS in 3m 00s\n")),
		}},
		want: []TurnSpan{rev(h(0), h(1), h(0)), auth(h(1), h(3), h(1)), rev(h(3), never, h(3))},
	}, {
		name: "a failed voting job counts even beside Verified+1; a passing report ends the wait",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0)), Messages: []collectors.Message{
			onPS(1, msg(h(1), ciBot, tagZuul, zuulReport(1, "+1", "tox https://zuul.example.org/b/1 : FAILURE in 3m 02s"))),
			onPS(1, msg(h(2), ciBot, tagZuul, zuulReport(1, "+1", "tox https://zuul.example.org/b/2 : SUCCESS in 3m 02s",
				"lint https://zuul.example.org/b/3 : SUCCESS in 1m 00s"))),
		}},
		want: []TurnSpan{rev(h(0), h(1), h(0)), auth(h(1), h(2), h(1)), rev(h(2), never, h(2))},
	}, {
		name: "a Verified vote below 0 from a CI account",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0)), Messages: []collectors.Message{
			onPS(1, msg(h(1), ciBot, "autogenerated:ci", "Patch Set 1: Verified-1\n\nBuild failed.")),
		}},
		want: []TurnSpan{rev(h(0), h(1), h(0)), auth(h(1), never, h(1))},
	}, {
		name: "an abandon and restore while waiting on the author",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0)), Messages: []collectors.Message{
			onPS(1, msg(h(1), alice, "", "Patch Set 1: Code-Review-1")),
			msg(h(2), owner, tagAbandon, "Abandoned"),
			msg(h(5), owner, tagRestore, "Restored"),
		}},
		want: []TurnSpan{rev(h(0), h(1), h(0)), auth(h(1), h(2), h(1)), auth(h(5), never, h(5))},
	}, {
		name: "an abandon and restore while waiting on a reviewer",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0)), Messages: []collectors.Message{
			msg(h(2), owner, tagAbandon, "Abandoned"),
			msg(h(5), owner, tagRestore, "Restored"),
		}},
		want: []TurnSpan{rev(h(0), h(2), h(0)), rev(h(5), never, h(5))},
	}, {
		name: "a new patch set while waiting on a reviewer does not restart the wait",
		c:    collectors.Change{Created: h(0), Revisions: revs(h(0), h(3), h(8))},
		want: []TurnSpan{rev(h(0), never, h(0))},
	}, {
		name: "created as WIP: the wait starts when it is ready",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0)), Messages: []collectors.Message{
			onPS(1, msg(h(0), owner, tagWIPUpload, "Uploaded patch set 1.")),
			onPS(1, msg(h(1), alice, "", "Patch Set 1: Code-Review-1")),
			msg(h(4), owner, tagReady, "Set Ready For Review"),
		}},
		want: []TurnSpan{auth(h(4), never, h(4))},
	}, {
		name: "merged: the last wait ends at the merge",
		c: collectors.Change{Created: h(0), Status: collectors.StatusMerged, Merged: h(9), Revisions: revs(h(0)),
			Messages: []collectors.Message{
				onPS(1, msg(h(1), alice, "", "Patch Set 1: Code-Review-1")),
				onPS(1, msg(h(3), alice, "", "Patch Set 1: Code-Review+2")),
				msg(h(9), owner, tagMerged, "Change has been successfully merged"),
			}},
		want: []TurnSpan{rev(h(0), h(1), h(0)), auth(h(1), h(3), h(1)), rev(h(3), h(9), h(3))},
	}, {
		name: "GitHub: changes requested, a comment, then the review dismissed",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0)), Messages: []collectors.Message{
			onPS(1, msg(h(1), alice, "", "Review CHANGES_REQUESTED: please add a test")),
			onPS(1, msg(h(2), alice, "", "Review COMMENTED: and a doc")),
			onPS(1, msg(h(4), bob, "", "Review APPROVED")),
			onPS(1, msg(h(5), alice, "", "Review DISMISSED: stale")),
		}},
		want: []TurnSpan{rev(h(0), h(1), h(0)), auth(h(1), h(5), h(1)), rev(h(5), never, h(5))},
	}, {
		name: "GitHub: changes requested on an older commit do not count",
		c: collectors.Change{Created: h(0), Revisions: revs(h(0), h(2)), Messages: []collectors.Message{
			onPS(1, msg(h(3), alice, "", "Review CHANGES_REQUESTED")),
		}},
		want: []TurnSpan{rev(h(0), never, h(0))},
	}, {
		name: "without revisions, a message on a later patch set stands for its upload",
		c: collectors.Change{Created: h(0), Messages: []collectors.Message{
			onPS(1, msg(h(1), alice, "", "Patch Set 1: Code-Review-1")),
			onPS(2, msg(h(3), owner, tagUpload, "Uploaded patch set 2.")),
		}},
		want: []TurnSpan{rev(h(0), h(1), h(0)), auth(h(1), h(3), h(1)), rev(h(3), never, h(3))},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Owner = owner
			got := Turns(tc.c, testBots, ReadyIntervals(tc.c), nil)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Turns:\ngot  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestTurnsPartitionReady(t *testing.T) {
	ready := []Interval{{From: h(0), To: h(5)}, {From: h(7)}}
	c := collectors.Change{Owner: owner, Created: h(0), Revisions: revs(h(0)), Messages: []collectors.Message{
		onPS(1, msg(h(5), alice, "", "Patch Set 1: Code-Review-1")), // at the end of a ready span
		onPS(1, msg(h(6), alice, "", "Patch Set 1: Code-Review+1")), // between spans
	}}
	got := Turns(c, testBots, ready, nil)
	want := []TurnSpan{{Interval: Interval{From: h(0), To: h(5)}, Since: h(0)}, {Interval: Interval{From: h(7)}, Since: h(7)}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := Turns(c, testBots, nil, nil); got != nil {
		t.Errorf("no ready span: %v", got)
	}
}

func TestLabelVote(t *testing.T) {
	for _, tc := range []struct {
		text  string
		label string
		value int
		ok    bool
	}{
		{"Patch Set 3: Code-Review-2 Verified+1", "Code-Review", -2, true},
		{"Patch Set 3: Code-Review-2 Verified+1", "Verified", 1, true},
		{"Patch Set 3: -Verified", "Verified", 0, true},
		{"Patch Set 3: Code-Review-Foo+1", "Code-Review", 0, false},
		{"Patch Set 3:\n\nCode-Review-1 in the body", "Code-Review", 0, false},
		{"Uploaded patch set 3.", "Code-Review", 0, false},
	} {
		v, ok := labelVote(voteTokens(tc.text), tc.label)
		if v != tc.value || ok != tc.ok {
			t.Errorf("labelVote(%q, %s) = %d, %v; want %d, %v", tc.text, tc.label, v, ok, tc.value, tc.ok)
		}
	}
}

// TestTurnsActions covers GitHub Actions job runs as CI verdicts on the
// head commit (docs/definitions.md §19).
func TestTurnsActions(t *testing.T) {
	rev := func(from, to, since time.Time) TurnSpan {
		return TurnSpan{Interval: Interval{From: from, To: to}, Since: since}
	}
	auth := func(from, to, since time.Time) TurnSpan {
		return TurnSpan{Interval: Interval{From: from, To: to}, OnAuthor: true, Since: since}
	}
	var never time.Time
	// Two pushed commits: aaa at h(0), bbb at h(10).
	commits := []collectors.Revision{
		{Number: 1, Created: h(0), Uploader: owner, Commit: "aaa"},
		{Number: 2, Created: h(10), Uploader: owner, Commit: "bbb"},
	}
	run := func(commit, job string, at time.Time, failed bool) CIRun {
		return CIRun{Commit: commit, Job: job, At: at, Failed: failed}
	}
	approve := msg(h(14), alice, "", collectors.ReviewPrefix+collectors.ReviewApproved)
	changes := msg(h(13), alice, "", collectors.ReviewPrefix+collectors.ReviewChangesRequested)
	cases := []struct {
		name string
		revs []collectors.Revision
		msgs []collectors.Message
		runs []CIRun
		want []TurnSpan
	}{{
		name: "a failed job on the head commit waits on the author",
		revs: commits,
		runs: []CIRun{run("bbb", "ci/test", h(11), true), run("bbb", "ci/lint", h(11), false)},
		want: []TurnSpan{rev(h(0), h(11), h(0)), auth(h(11), never, h(11))},
	}, {
		name: "a failure on an older commit does not count",
		revs: commits,
		runs: []CIRun{run("aaa", "ci/test", h(2), true), run("bbb", "ci/test", h(11), false), run("aaa", "ci/lint", h(12), true)},
		want: []TurnSpan{rev(h(0), h(2), h(0)), auth(h(2), h(10), h(2)), rev(h(10), never, h(10))},
	}, {
		name: "a later successful attempt of the failed job gives the turn back",
		revs: commits,
		runs: []CIRun{run("bbb", "ci/test", h(11), true), run("bbb", "ci/test", h(12), false)},
		want: []TurnSpan{rev(h(0), h(11), h(0)), auth(h(11), h(12), h(11)), rev(h(12), never, h(12))},
	}, {
		name: "another job's success does not hide a failure",
		revs: commits,
		runs: []CIRun{run("bbb", "ci/test", h(11), true), run("bbb", "ci/lint", h(12), false)},
		want: []TurnSpan{rev(h(0), h(11), h(0)), auth(h(11), never, h(11))},
	}, {
		name: "runs given out of order are replayed by finish time",
		revs: commits,
		runs: []CIRun{run("bbb", "ci/test", h(12), false), run("bbb", "ci/test", h(11), true)},
		want: []TurnSpan{rev(h(0), h(11), h(0)), auth(h(11), h(12), h(11)), rev(h(12), never, h(12))},
	}, {
		name: "a failure after an approval waits on the author",
		revs: commits,
		msgs: []collectors.Message{approve},
		runs: []CIRun{run("bbb", "ci/test", h(15), true)},
		want: []TurnSpan{rev(h(0), h(15), h(0)), auth(h(15), never, h(15))},
	}, {
		name: "a success after changes requested leaves the turn with the author",
		revs: commits,
		msgs: []collectors.Message{changes, approve},
		runs: []CIRun{run("bbb", "ci/test", h(11), true), run("bbb", "ci/test", h(13).Add(30*time.Minute), false)},
		want: []TurnSpan{rev(h(0), h(11), h(0)), auth(h(11), h(14), h(11)), rev(h(14), never, h(14))},
	}, {
		name: "a failure on a commit whose push comes later counts from the push",
		revs: commits,
		runs: []CIRun{run("bbb", "ci/test", h(9), true)},
		want: []TurnSpan{rev(h(0), h(10), h(0)), auth(h(10), never, h(10))},
	}, {
		name: "runs without a commit and revisions without one do not count",
		revs: revs(h(0)),
		runs: []CIRun{run("", "ci/test", h(1), true), run("aaa", "ci/test", h(2), true)},
		want: []TurnSpan{rev(h(0), never, h(0))},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := collectors.Change{Owner: owner, Created: h(0), Revisions: tc.revs, Messages: tc.msgs}
			got := Turns(c, testBots, ReadyIntervals(c), tc.runs)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Turns:\ngot  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestCIFailed(t *testing.T) {
	for result, want := range map[string]bool{
		"SUCCESS": false, "SKIPPED": false, "NEUTRAL": false,
		"FAILURE": true, "CANCELLED": true, "TIMED_OUT": true, "ACTION_REQUIRED": true, "STARTUP_FAILURE": true, "": true,
	} {
		if got := CIFailed(result); got != want {
			t.Errorf("CIFailed(%q) = %v, want %v", result, got, want)
		}
	}
}
