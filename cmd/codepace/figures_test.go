package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/codepace/codepace/keyresults/figure"
)

// TestFiguresVerb: `codepace figures` needs no config and lists every
// measure with its filters and definition, every statistic, unit and
// filter, and the first-version names.
func TestFiguresVerb(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"figures"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	var want []string
	for _, m := range figure.Measures() {
		want = append(want, m.Name, m.Text, strings.Join(m.FilterNames(), ","))
	}
	for _, s := range figure.Stats {
		want = append(want, s.Text)
	}
	for _, f := range figure.Filters {
		want = append(want, f.Text)
	}
	want = append(want, "review_backlog_mean_age_days", "review_backlog_age_mean_days", "hours", "count")
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("figures does not show %q", w)
		}
	}
}

// TestParseInterleaved: flags before, between and after the arguments;
// a negative number is an argument; after -- everything is.
func TestParseInterleaved(t *testing.T) {
	for _, args := range [][]string{
		{"sat", "-0.5", "--at", "2019-09-30", "--note", "a note"},
		{"--at", "2019-09-30", "sat", "--note=a note", "-0.5"},
		{"--note", "a note", "--at=2019-09-30", "--", "sat", "-0.5"},
	} {
		m := &Main{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
		fs := m.flagSet("record")
		at := fs.String("at", "", "")
		note := fs.String("note", "", "")
		pos, err := m.parseInterleaved(fs, args)
		if err != nil || strings.Join(pos, "|") != "sat|-0.5" || *at != "2019-09-30" || *note != "a note" {
			t.Errorf("%q: %q at %q note %q, %v", args, pos, *at, *note, err)
		}
	}
	m := &Main{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
	if _, err := m.parseInterleaved(m.flagSet("record"), []string{"sat", "--colour", "red"}); err == nil {
		t.Error("an unknown flag must be refused")
	}
}
