package page

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/keyresults"
	"github.com/codepace/codepace/keyresults/figure"
)

func f(v float64) *float64 { return &v }

type (
	result = keyresults.Result
	point  = keyresults.Point
)

var at = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

// dayBefore is the due day whose end is t.
func dayBefore(t time.Time) string { return t.AddDate(0, 0, -1).Format(time.DateOnly) }

// sample is a scoreboard with every status, a week without data, a count,
// a manual target and a baseline period without data.
func sample() []result {
	week := func(k int) time.Time { return at.AddDate(0, 0, -7*k) }
	n := 48
	return []result{
		{Metric: "time_to_merge_mean_days", Filter: figure.Filter{Source: "demo", Cohort: "ramped"}, Unit: "days", Status: keyresults.Behind,
			Current: f(3.6), N: &n, CILow: f(3.1), CIHigh: f(4.2), Baseline: f(3.2), Goal: f(2.88), Expected: f(3.0),
			At: at, Start: at.AddDate(0, -6, 0), DueAt: at.AddDate(0, 6, 0), Due: dayBefore(at.AddDate(0, 6, 0)),
			Trend: []point{{At: week(3), Value: f(3.3)}, {At: week(2)}, {At: week(1), Value: f(3.5)}, {At: week(0), Value: f(3.6)}}},
		{Metric: "review_backlog_open", Status: keyresults.Met, Current: f(120), Baseline: f(150), Goal: f(135), Expected: f(140),
			At: at, Start: at.AddDate(0, -1, 0), DueAt: at.AddDate(0, 1, 0), Due: dayBefore(at.AddDate(0, 1, 0)),
			Trend: []point{{At: week(3), Value: f(150)}, {At: week(2), Value: f(140)}, {At: week(1), Value: f(130)}, {At: week(0), Value: f(120)}}},
		{Metric: "developer_satisfaction", Manual: true, Status: keyresults.OnTrack, Current: f(3.9), Baseline: f(3.8), Goal: f(4.2), Expected: f(3.85),
			At: at, Start: at.AddDate(-1, 0, 0), DueAt: at.AddDate(0, 3, 0), Due: dayBefore(at.AddDate(0, 3, 0)),
			Trend: []point{{At: week(3), Value: f(3.8)}, {At: week(2), Value: f(3.8)}, {At: week(1), Value: f(3.9)}, {At: week(0), Value: f(3.9)}}},
		{Metric: "build_duration_p90_minutes", Filter: figure.Filter{Job: "<script>alert(1)</script>"}, Unit: "minutes", Status: keyresults.NoData,
			At: at, Start: at.AddDate(0, -1, 0), DueAt: at.AddDate(0, 1, 0), Due: dayBefore(at.AddDate(0, 1, 0)), Trend: []point{{At: week(0)}}},
	}
}

func TestWriteIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, at, sample()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// Well-formed enough for an XML reader once the doctype is dropped:
	// every element closed, the SVG included.
	d := xml.NewDecoder(strings.NewReader(strings.TrimPrefix(out, "<!DOCTYPE html>\n")))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("page does not parse: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "script", "link", "img", "iframe", "object", "embed":
				t.Errorf("page has a <%s>", se.Name.Local)
			}
			for _, a := range se.Attr {
				if a.Name.Local == "src" || a.Name.Local == "href" || strings.HasPrefix(a.Name.Local, "on") {
					t.Errorf("<%s %s=%q>: no external asset, no script", se.Name.Local, a.Name.Local, a.Value)
				}
			}
		}
	}
	if strings.Contains(out, "url(") || strings.Contains(out, "@import") {
		t.Error("the style loads something")
	}
	for _, want := range []string{
		"Key results as of 2026-04-01", "4 targets: 1 met, 1 on track, 1 behind, 1 without enough data",
		`<section class="card behind">`, "<h2>time_to_merge_mean_days</h2>", "source=demo cohort=ramped",
		`<span class="value">3.60</span> days <span class="ci">n = 48, 95% interval 3.10–4.20</span>`,
		"<dd>3.20 → 2.88</dd>", "<dd>3.00</dd>", "<dd>2026-09-30</dd>",
		`<section class="card met">`, `<span class="value">120</span>`, "<dd>150 → 135</dd>",
		`<section class="card on_track">`, "On track",
		`<section class="card no_data">`, "No data", `<span class="value">-</span>`, "no data in these weeks",
		"job=&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if got := strings.Count(out, "<svg "); got != 4 {
		t.Errorf("%d charts, want one per card (4)", got)
	}
}

func TestChart(t *testing.T) {
	p := sample()
	behind := chart(p[0])
	// The week without data breaks the line: one polyline for the two
	// last weeks, none for the lone first point; three dots.
	if n := strings.Count(behind, `class="trend"`); n != 1 {
		t.Errorf("%d trend lines, want 1:\n%s", n, behind)
	}
	if n := strings.Count(behind, `class="dot"`); n != 3 {
		t.Errorf("%d dots, want 3", n)
	}
	for _, want := range []string{`class="goal"`, `class="glide"`, `class="ci"`, "<title>2026-03-25: 3.50</title>", "<title>goal 2.88</title>", "<title>95% interval 3.10–4.20</title>"} {
		if !strings.Contains(behind, want) {
			t.Errorf("chart lacks %s:\n%s", want, behind)
		}
	}
	// The goal (2.88) is the lowest value drawn: its line is the lowest
	// (largest y) of the chart, the current value's dot the highest.
	s := newScale(p[0].Trend[0].At, p[0].Trend[3].At, []float64{3.3, 3.5, 3.6, 2.88, 3.1, 4.2, 3.0, 3.0})
	if !(s.y(2.88) > s.y(3.6) && s.y(4.2) >= padTop && s.y(2.88) <= chartH-padBottom) {
		t.Errorf("scale: y(2.88)=%g y(3.6)=%g y(4.2)=%g", s.y(2.88), s.y(3.6), s.y(4.2))
	}
	if got := chart(p[3]); strings.Contains(got, `class="dot"`) || !strings.Contains(got, "<svg") {
		t.Errorf("no data: want an empty chart, got\n%s", got)
	}
}

func TestGlidePath(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	due := start.AddDate(0, 0, 100)
	c := result{Baseline: f(10), Goal: f(5), Start: start, DueAt: due}
	// A window across the due date bends there and stays at the goal.
	g := glidePath(c, start.AddDate(0, 0, 90), due.AddDate(0, 0, 10))
	if len(g) != 3 || *g[0].Value != 5.5 || !g[1].At.Equal(due) || *g[1].Value != 5 || *g[2].Value != 5 {
		t.Errorf("glide path %v", render(g))
	}
	// Before the start it is the baseline.
	if g := glidePath(c, start.AddDate(0, 0, -20), start.AddDate(0, 0, -10)); len(g) != 2 || *g[0].Value != 10 || *g[1].Value != 10 {
		t.Errorf("before start: %v", render(g))
	}
	if g := glidePath(result{Goal: f(5), Start: start, DueAt: due}, start, due); g != nil {
		t.Errorf("no baseline: %v", render(g))
	}
}

func render(ps []point) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, p.At.Format(time.DateOnly)+"="+keyresults.Format(p.Value))
	}
	return strings.Join(parts, " ")
}
