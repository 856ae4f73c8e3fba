package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors/gerrit/gerrittest"
	"github.com/codepace/codepace/collectors/zuul"
)

func generated() []gerrittest.Change {
	return gerrittest.Generate(gerrittest.GenOptions{Seed: 3, Changes: 2000, Start: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), Years: 5})
}

func TestMutateMixIsDeterministic(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	before := generated()
	statusOf := map[int]string{}
	reportsOf := map[int]int{}
	for _, c := range before {
		statusOf[c.Number] = c.Status
		for _, m := range c.Messages {
			if _, ok := zuul.ParseReport(m.Tag, m.Message, m.Author != nil && m.Author.Service); ok {
				reportsOf[c.Number]++
			}
		}
	}
	a, ua := mutate(generated(), 5, 7, now)
	b, ub := mutate(generated(), 5, 7, now)
	if ua != ub || !reflect.DeepEqual(a, b) {
		t.Fatalf("the same seed gave different updates: %v and %v", ua, ub)
	}
	if ua.total() != 100 || len(a) != 2000+ua[kindNew] || ua[kindNew] != 10 {
		t.Fatalf("5%% of 2000 touched %v, history now %d changes", ua, len(a))
	}
	for k, n := range ua {
		if n == 0 {
			t.Errorf("no %s in %v", kindNames[k], ua)
		}
	}
	var seen updateCounts
	for _, c := range a {
		if !c.Updated.Equal(now) {
			continue
		}
		last := c.Messages[len(c.Messages)-1]
		old, existed := statusOf[c.Number]
		switch {
		case !existed:
			seen[kindNew]++
			if c.Status != gerrittest.StatusNew || len(c.Revisions) != 1 || c.Number <= 2000 {
				t.Errorf("new change %d: %s, %d patch sets", c.Number, c.Status, len(c.Revisions))
			}
		case last.Tag == gerrittest.TagMerged:
			seen[kindMerge]++
			if old != gerrittest.StatusNew || c.Status != gerrittest.StatusMerged || !c.Submitted.Equal(now) {
				t.Errorf("merged change %d: %s to %s", c.Number, old, c.Status)
			}
		case last.Tag == gerrittest.TagAbandon:
			seen[kindAbandon]++
			if old != gerrittest.StatusNew || c.Status != gerrittest.StatusAbandoned {
				t.Errorf("abandoned change %d: %s to %s", c.Number, old, c.Status)
			}
		case last.Tag == gerrittest.TagRestore:
			seen[kindRestore]++
			if old != gerrittest.StatusAbandoned || c.Status != gerrittest.StatusNew {
				t.Errorf("restored change %d: %s to %s", c.Number, old, c.Status)
			}
		case strings.Contains(last.Message, " Verified"):
			seen[kindBuild]++
			r, ok := zuul.ParseReport(last.Tag, last.Message, last.Author.Service)
			if !ok || len(r.Jobs) == 0 || old != gerrittest.StatusNew {
				t.Errorf("change %d (%s): the new CI report does not parse: %q", c.Number, old, last.Message)
			}
			if p, _ := zuul.ParseReport(c.Messages[len(c.Messages)-2].Tag, c.Messages[len(c.Messages)-2].Message, true); reportsOf[c.Number] > 0 &&
				reflect.DeepEqual(p.Jobs, r.Jobs) {
				t.Errorf("change %d: the new report repeats the builds of the one before", c.Number)
			}
		case strings.Contains(last.Message, " Code-Review"):
			seen[kindVote]++
		default:
			seen[kindComment]++
		}
	}
	if seen != ua {
		t.Errorf("the history shows %v, mutate said %v", seen, ua)
	}
	if _, uc := mutate(generated(), 5, 8, now); uc == ua {
		t.Errorf("seeds 7 and 8 gave the same mix %v", uc)
	}
}

func TestParseUpdate(t *testing.T) {
	if p, s, err := parseUpdate("0.1", ""); err != nil || p != 0.1 || s != 1 {
		t.Errorf("0.1: %v %v %v", p, s, err)
	}
	for _, bad := range [][2]string{{"0", ""}, {"101", ""}, {"x", ""}, {"NaN", ""}, {"1", "y"}} {
		if _, _, err := parseUpdate(bad[0], bad[1]); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
