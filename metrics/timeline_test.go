package metrics

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
)

func TestReadyAt(t *testing.T) {
	tests := []struct {
		name string
		c    collectors.Change
		want time.Time
	}{
		{"not WIP, no messages", collectors.Change{Created: h(0)}, h(0)},
		{"not WIP, first message an upload", collectors.Change{Created: h(0), Messages: []collectors.Message{
			msg(h(0), owner, tagUpload, "Uploaded patch set 1."),
		}}, h(0)},
		{"created WIP then setReadyForReview", collectors.Change{Created: h(0), Messages: []collectors.Message{
			msg(h(0), owner, tagWIPUpload, "Uploaded patch set 1."),
			msg(h(1), alice, "", "early comment"),
			msg(h(3), owner, tagReady, "Set Ready For Review"),
			msg(h(5), owner, tagReady, "Set Ready For Review"),
		}}, h(3)},
		{"created WIP then newPatchSet", collectors.Change{Created: h(0), Messages: []collectors.Message{
			msg(h(0), owner, tagWIPUpload, "Uploaded patch set 1."),
			msg(h(2), owner, tagWIPUpload, "Uploaded patch set 2."),
			msg(h(4), owner, tagUpload, "Uploaded patch set 3."),
		}}, h(4)},
		{"created WIP, never ready", collectors.Change{Created: h(0), WIP: true, Messages: []collectors.Message{
			msg(h(0), owner, tagWIPUpload, "Uploaded patch set 1."),
			msg(h(2), owner, tagWIPUpload, "Uploaded patch set 2."),
			msg(h(3), alice, "", "comment"),
		}}, time.Time{}},
		{"no messages, WIP now", collectors.Change{Created: h(0), WIP: true}, time.Time{}},
		{"not WIP, later WIP/ready toggling", collectors.Change{Created: h(0), Messages: []collectors.Message{
			msg(h(0), owner, tagUpload, "Uploaded patch set 1."),
			msg(h(2), owner, tagWIP, "Set Work In Progress"),
			msg(h(3), owner, tagReady, "Set Ready For Review"),
		}}, h(0)},
		{"WIP now, first message not a WIP upload", collectors.Change{Created: h(0), WIP: true, Messages: []collectors.Message{
			msg(h(1), alice, "", "comment"),
		}}, h(0)},
		{"github draft then ready_for_review", collectors.Change{Created: h(0), Messages: []collectors.Message{
			msg(h(0), owner, tagGHDraft, ""),
			msg(h(6), owner, tagGHReady, ""),
		}}, h(6)},
		{"source-neutral opened_draft then ready", collectors.Change{Created: h(0), Messages: []collectors.Message{
			msg(h(0), owner, collectors.TagOpenedDraft, ""),
			msg(h(4), owner, collectors.TagReady, ""),
		}}, h(4)},
		{"messages out of order", collectors.Change{Created: h(0), Messages: []collectors.Message{
			msg(h(7), owner, tagReady, "Set Ready For Review"),
			msg(h(3), owner, tagUpload, "Uploaded patch set 2."),
			msg(h(0), owner, tagWIPUpload, "Uploaded patch set 1."),
		}}, h(3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReadyAt(tt.c); !got.Equal(tt.want) {
				t.Errorf("ReadyAt = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadyIntervals(t *testing.T) {
	open := func(from time.Time) Interval { return Interval{From: from} }
	span := func(from, to time.Time) Interval { return Interval{From: from, To: to} }
	tests := []struct {
		name string
		c    collectors.Change
		want []Interval
	}{
		{"open and ready, no messages",
			collectors.Change{Status: collectors.StatusOpen, Created: h(0)},
			[]Interval{open(h(0))}},
		{"created WIP with no messages",
			collectors.Change{Status: collectors.StatusOpen, Created: h(0), WIP: true},
			nil},
		{"WIP toggles",
			collectors.Change{Status: collectors.StatusOpen, Created: h(0), Messages: []collectors.Message{
				msg(h(0), owner, tagWIPUpload, ""),
				msg(h(2), owner, tagReady, ""),
				msg(h(3), alice, "", "a comment changes nothing"),
				msg(h(5), owner, tagWIP, ""),
				msg(h(6), owner, tagWIPUpload, ""),
				msg(h(7), owner, tagUpload, ""),
			}},
			[]Interval{span(h(2), h(5)), open(h(7))}},
		{"abandon and restore",
			collectors.Change{Status: collectors.StatusOpen, Created: h(0), Messages: []collectors.Message{
				msg(h(0), owner, tagUpload, ""),
				msg(h(3), owner, tagAbandon, ""),
				msg(h(6), owner, tagRestore, ""),
			}},
			[]Interval{span(h(0), h(3)), open(h(6))}},
		{"WIP while abandoned, restored WIP",
			collectors.Change{Status: collectors.StatusOpen, Created: h(0), WIP: true, Messages: []collectors.Message{
				msg(h(0), owner, tagUpload, ""),
				msg(h(3), owner, tagAbandon, ""),
				msg(h(4), owner, tagWIP, ""),
				msg(h(6), owner, tagRestore, ""),
			}},
			[]Interval{span(h(0), h(3))}},
		{"merged",
			collectors.Change{Status: collectors.StatusMerged, Created: h(0), Merged: h(4), Messages: []collectors.Message{
				msg(h(0), owner, tagUpload, ""),
				msg(h(4), service, tagMerged, "Change has been successfully merged"),
				msg(h(5), ciBot, tagZuul, "Build succeeded (promote pipeline)."),
			}},
			[]Interval{span(h(0), h(4))}},
		{"merged without a merged message",
			collectors.Change{Status: collectors.StatusMerged, Created: h(0), Merged: h(8), Updated: h(9)},
			[]Interval{span(h(0), h(8))}},
		{"merged while WIP on the timeline",
			collectors.Change{Status: collectors.StatusMerged, Created: h(0), Merged: h(8), Messages: []collectors.Message{
				msg(h(0), owner, tagUpload, ""),
				msg(h(2), owner, tagWIP, ""),
			}},
			[]Interval{span(h(0), h(2))}},
		{"messages out of order",
			collectors.Change{Status: collectors.StatusOpen, Created: h(0), Messages: []collectors.Message{
				msg(h(7), owner, tagUpload, ""),
				msg(h(5), owner, tagWIP, ""),
				msg(h(0), owner, tagWIPUpload, ""),
				msg(h(2), owner, tagReady, ""),
			}},
			[]Interval{span(h(2), h(5)), open(h(7))}},
		{"inconsistent: WIP now but ready on the timeline",
			collectors.Change{Status: collectors.StatusOpen, Created: h(0), WIP: true, Updated: h(20), Messages: []collectors.Message{
				msg(h(0), owner, tagUpload, ""),
				msg(h(9), alice, "", "comment"),
			}},
			[]Interval{span(h(0), h(9))}},
		{"inconsistent: WIP now, no messages after creation, updated later",
			collectors.Change{Status: collectors.StatusOpen, Created: h(0), WIP: true, Updated: h(20), Messages: []collectors.Message{
				msg(h(0), owner, tagUpload, ""),
			}},
			nil},
		{"inconsistent: ready now but WIP on the timeline",
			collectors.Change{Status: collectors.StatusOpen, Created: h(0), Messages: []collectors.Message{
				msg(h(0), owner, tagWIPUpload, ""),
				msg(h(4), alice, "", "comment"),
			}},
			[]Interval{open(h(4))}},
		{"inconsistent: abandoned without an abandon message",
			collectors.Change{Status: collectors.StatusAbandoned, Created: h(0), Updated: h(10), Messages: []collectors.Message{
				msg(h(0), owner, tagUpload, ""),
			}},
			[]Interval{span(h(0), h(10))}},
		{"inconsistent: open but abandoned on the timeline",
			collectors.Change{Status: collectors.StatusOpen, Created: h(0), Messages: []collectors.Message{
				msg(h(0), owner, tagUpload, ""),
				msg(h(3), owner, tagAbandon, ""),
				msg(h(5), alice, "", "comment"),
			}},
			[]Interval{span(h(0), h(3)), open(h(5))}},
		{"inconsistent: merged before a later ready span",
			collectors.Change{Status: collectors.StatusMerged, Created: h(0), Merged: h(3), Messages: []collectors.Message{
				msg(h(0), owner, tagUpload, ""),
				msg(h(2), owner, tagWIP, ""),
				msg(h(5), owner, tagReady, ""),
			}},
			[]Interval{span(h(0), h(2))}},
		{"abandoned and restored at the same instant",
			collectors.Change{Status: collectors.StatusOpen, Created: h(0), Messages: []collectors.Message{
				msg(h(3), owner, tagAbandon, ""),
				msg(h(3), owner, tagRestore, ""),
			}},
			[]Interval{open(h(0))}},
		{"github timeline",
			collectors.Change{Status: collectors.StatusMerged, Created: h(0), Merged: h(6), Messages: []collectors.Message{
				msg(h(0), owner, tagGHDraft, ""),
				msg(h(1), owner, tagGHReady, ""),
				msg(h(2), owner, tagGHToDraft, ""),
				msg(h(3), owner, tagGHReady, ""),
				msg(h(4), owner, tagGHClosed, ""),
				msg(h(5), owner, tagGHReopened, ""),
				msg(h(6), owner, tagGHMerged, ""),
			}},
			[]Interval{span(h(1), h(2)), span(h(3), h(4)), span(h(5), h(6))}},
		{"message dated before creation",
			collectors.Change{Status: collectors.StatusAbandoned, Created: h(2), Messages: []collectors.Message{
				msg(h(1), owner, tagAbandon, ""),
			}},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ReadyIntervals(tt.c)
			checkIntervals(t, got)
			if !slices.EqualFunc(got, tt.want, func(a, b Interval) bool { return a.From.Equal(b.From) && a.To.Equal(b.To) }) {
				t.Errorf("ReadyIntervals =\n%v, want\n%v", got, tt.want)
			}
		})
	}
}

// TestNeutralTags checks that each source-neutral tag is the transition
// its GitHub counterpart is.
func TestNeutralTags(t *testing.T) {
	for neutral, github := range map[string]string{
		collectors.TagOpenedDraft: tagGHDraft, collectors.TagDraft: tagGHToDraft, collectors.TagReady: tagGHReady,
		collectors.TagClosed: tagGHClosed, collectors.TagReopened: tagGHReopened, collectors.TagMerged: tagGHMerged,
	} {
		if got, want := transitionOf(neutral), transitionOf(github); got == noTransition || got != want {
			t.Errorf("transitionOf(%q) = %v, want %v (as %q)", neutral, got, want, github)
		}
	}
}

// TestReadyIntervalsInvariants feeds random timelines and checks the
// intervals stay well-formed and agree with the change's status.
func TestReadyIntervalsInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tags := []string{"", tagWIPUpload, tagUpload, tagReady, tagWIP, tagMerged, tagAbandon, tagRestore,
		tagGHDraft, tagGHReady, tagGHToDraft, tagGHClosed, tagGHReopened, tagGHMerged}
	statuses := []string{collectors.StatusOpen, collectors.StatusMerged, collectors.StatusAbandoned}
	for i := 0; i < 5000; i++ {
		c := collectors.Change{
			Created: h(float64(rng.IntN(10))),
			Status:  statuses[rng.IntN(3)],
			WIP:     rng.IntN(2) == 0,
			Updated: h(float64(rng.IntN(30))),
		}
		if c.Status == collectors.StatusMerged && rng.IntN(4) > 0 {
			c.Merged = h(float64(rng.IntN(30)))
		}
		for range rng.IntN(8) {
			c.Messages = append(c.Messages, msg(h(float64(rng.IntN(30))), owner, tags[rng.IntN(len(tags))], ""))
		}
		got := ReadyIntervals(c)
		checkIntervals(t, got)
		if n := len(got); n > 0 {
			if got[n-1].To.IsZero() && (c.Status != collectors.StatusOpen || c.WIP) {
				t.Fatalf("change %+v: still open interval %v", c, got)
			}
			if got[0].From.Before(c.Created) {
				t.Fatalf("change %+v: interval before creation %v", c, got)
			}
		}
		if c.Status == collectors.StatusOpen && !c.WIP && (len(got) == 0 || !got[len(got)-1].To.IsZero()) {
			t.Fatalf("change %+v: open and ready now but no open interval: %v", c, got)
		}
		if t.Failed() {
			t.Fatalf("change %+v", c)
		}
	}
}
