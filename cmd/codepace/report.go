package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/codepace/codepace/config"
	"github.com/codepace/codepace/store"
)

// period is the trailing span a target's current value covers.
const period = 28 * 24 * time.Hour

// trendWeeks is how many weekly points the trend shows, the last one being
// the current value.
const trendWeeks = 4

// Filter is a target's filter as the report shows it.
type Filter struct {
	Source  string `json:"source,omitempty"`
	Project string `json:"project,omitempty"`
	Cohort  string `json:"cohort,omitempty"`
}

// Score is one key result on the scoreboard.
type Score struct {
	Metric   string   `json:"metric"`
	Filter   Filter   `json:"filter"`
	Baseline *float64 `json:"baseline"`
	Goal     *float64 `json:"goal"`
	Current  *float64 `json:"current"`
	Due      string   `json:"due"`
	// Progress is the share of the way from baseline to goal covered by
	// the current value: 0 at the baseline, 1 at the goal.
	Progress *float64 `json:"progress"`
	OnTrack  bool     `json:"on_track"`
	// Trend holds the value at the end of each of the last four weeks,
	// oldest first (each over its own trailing 28 days); null where there
	// was no data.
	Trend []*float64 `json:"trend"`
}

func runReport(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("report")
	format := fs.String("format", "table", "output format: table, json or csv")
	at := fs.String("at", "", "evaluate as of this date (2006-01-02; default now)")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	switch *format {
	case "table", "json", "csv":
	default:
		return fmt.Errorf("--format %q: use table, json or csv", *format)
	}
	when := time.Now().UTC()
	if *at != "" {
		t, err := time.Parse("2006-01-02", *at)
		if err != nil {
			return fmt.Errorf("--at %q: use a date like 2024-01-31", *at)
		}
		when = t.Add(24*time.Hour - time.Second) // the end of that day
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	if len(m.Config.Targets) == 0 {
		m.Log.Warn("no targets in the config: the scoreboard is empty (see `targets` in the README)")
	}
	scores := make([]Score, 0, len(m.Config.Targets))
	for _, t := range m.Config.Targets {
		s, err := score(ctx, m.Store, t, when)
		if err != nil {
			return err
		}
		scores = append(scores, s)
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(scores)
	case "csv":
		return writeCSV(m.Stdout, scores)
	default:
		return writeTable(m.Stdout, scores)
	}
}

// figureSource computes a named figure over (from, to].
type figureSource interface {
	Figure(ctx context.Context, name string, f store.FigureFilter, from, to time.Time) (float64, bool, error)
}

// score evaluates one target as of at.
func score(ctx context.Context, fs figureSource, t config.Target, at time.Time) (Score, error) {
	s := Score{Metric: t.Metric, Filter: Filter{Source: t.Filter.Source, Project: t.Filter.Project, Cohort: t.Filter.Cohort}, Due: t.Due.Format("2006-01-02")}
	filter := store.FigureFilter{Source: t.Filter.Source, Project: t.Filter.Project, Cohort: t.Filter.Cohort}
	value := func(from, to time.Time) (*float64, error) {
		v, ok, err := fs.Figure(ctx, t.Metric, filter, from, to)
		if err != nil || !ok {
			return nil, err
		}
		return &v, nil
	}
	if t.HasBaselinePeriod() {
		// The period includes its last day.
		b, err := value(t.BaselineFrom, t.BaselineTo.Add(24*time.Hour))
		if err != nil {
			return s, err
		}
		s.Baseline = b
	} else {
		b := t.Baseline
		s.Baseline = &b
	}
	for w := trendWeeks - 1; w >= 0; w-- {
		end := at.Add(-time.Duration(w) * 7 * 24 * time.Hour)
		v, err := value(end.Add(-period), end)
		if err != nil {
			return s, err
		}
		s.Trend = append(s.Trend, v)
	}
	s.Current = s.Trend[len(s.Trend)-1]
	if s.Baseline == nil {
		return s, nil
	}
	goal := t.GoalValue(*s.Baseline)
	s.Goal = &goal
	if s.Current != nil && goal != *s.Baseline {
		p := (*s.Current - *s.Baseline) / (goal - *s.Baseline)
		s.Progress = &p
	}
	s.OnTrack = onTrack(*s.Baseline, goal, s.Trend, at, t.Due)
	return s, nil
}

// onTrack says whether a target is on course: the current value already
// meets the goal, or, before the due date, the straight line through the
// weekly trend points reaches the goal by the due date.
func onTrack(baseline, goal float64, trend []*float64, at, due time.Time) bool {
	better := func(v float64) bool { // v meets the goal
		if goal < baseline {
			return v <= goal
		}
		return v >= goal
	}
	cur := trend[len(trend)-1]
	if cur == nil {
		return false
	}
	if better(*cur) {
		return true
	}
	if !at.Before(due) {
		return false
	}
	// Least-squares slope per week over the points that have data.
	var n, sx, sy, sxx, sxy float64
	for i, v := range trend {
		if v == nil {
			continue
		}
		x := float64(i)
		n++
		sx += x
		sy += *v
		sxx += x * x
		sxy += x * *v
	}
	if n < 2 {
		return false
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	weeks := due.Sub(at).Hours() / (24 * 7)
	return better(*cur + slope*weeks)
}

func fmtValue(v *float64) string {
	if v == nil {
		return "-"
	}
	if math.Abs(*v) >= 100 {
		return strconv.FormatFloat(*v, 'f', 0, 64)
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

func filterText(f Filter) string {
	var parts []string
	for _, kv := range [][2]string{{"source", f.Source}, {"project", f.Project}, {"cohort", f.Cohort}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, " ")
}

func trendText(trend []*float64) string {
	parts := make([]string, len(trend))
	for i, v := range trend {
		parts[i] = fmtValue(v)
	}
	return strings.Join(parts, " → ")
}

func progressText(p *float64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p*100, 'f', 0, 64) + "%"
}

func writeTable(w io.Writer, scores []Score) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tFILTER\tBASELINE\tGOAL\tCURRENT\tPROGRESS\tDUE\tON TRACK\tTREND (4 weeks)")
	for _, s := range scores {
		track := "no"
		if s.OnTrack {
			track = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Metric, filterText(s.Filter),
			fmtValue(s.Baseline), fmtValue(s.Goal), fmtValue(s.Current), progressText(s.Progress), s.Due, track, trendText(s.Trend))
	}
	return tw.Flush()
}

func writeCSV(w io.Writer, scores []Score) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"metric", "filter", "baseline", "goal", "current", "progress", "due", "on_track", "trend"})
	for _, s := range scores {
		cw.Write([]string{s.Metric, filterText(s.Filter), csvValue(s.Baseline), csvValue(s.Goal), csvValue(s.Current),
			csvValue(s.Progress), s.Due, strconv.FormatBool(s.OnTrack), trendText(s.Trend)})
	}
	cw.Flush()
	return cw.Error()
}

// csvValue renders a value in full precision, empty when null.
func csvValue(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}
