package keyresults

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/config"
	"github.com/codepace/codepace/keyresults/figure"
)

func stat(t *testing.T, name string) figure.Stat {
	t.Helper()
	for _, s := range figure.Stats {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no stat %s", name)
	return figure.Stat{}
}

func TestSummariseQuantile(t *testing.T) {
	// 1..10 shuffled: p90 is position ⌊9⌋ = 10; q = 9, h = 1.959964·√0.9
	// = 1.859, interval [x[⌊7.14⌋], x[⌈10.86⌉+1 → 10]] = [7, 10].
	vals := []float64{4, 9, 1, 10, 3, 8, 2, 7, 6, 5}
	s := Summarise(vals, stat(t, "p90"), 1)
	if *s.Value != 10 || *s.N != 10 || *s.Low != 7 || *s.High != 10 {
		t.Errorf("p90 = %v n %v [%v, %v]", *s.Value, *s.N, *s.Low, *s.High)
	}
	// p50 of an even count is the upper median; q = 5, h = 1.959964·√2.5
	// = 3.099: [x[1], x[⌈8.099⌉+1 = 10]].
	s = Summarise(vals, stat(t, "p50"), 2)
	if *s.Value != 3 || *s.Low != 0.5 || *s.High != 5 {
		t.Errorf("p50/2 = %v [%v, %v]", *s.Value, *s.Low, *s.High)
	}
	if vals[0] != 4 {
		t.Error("Summarise sorted its input")
	}
	s = Summarise(vals[:4], stat(t, "p50"), 1)
	if s.Low != nil || s.High != nil || *s.Value != 9 {
		t.Errorf("n=4 has no interval: %+v", s)
	}
	s = Summarise(vals, stat(t, "max"), 1)
	if *s.Value != 10 || *s.Low != 10 || *s.High != 10 {
		t.Errorf("max %+v", s)
	}
	if s := Summarise(nil, stat(t, "p50"), 1); s.Value != nil || *s.N != 0 {
		t.Errorf("empty %+v", s)
	}
}

func TestSummariseMean(t *testing.T) {
	vals := []float64{2, 4, 4, 4, 5, 5, 7, 9}
	s := Summarise(vals, stat(t, "mean"), 1)
	sd := math.Sqrt(32.0 / 7)
	half := 1.959964 * sd / math.Sqrt(8)
	if *s.Value != 5 || math.Abs(*s.Low-(5-half)) > 1e-12 || math.Abs(*s.High-(5+half)) > 1e-12 {
		t.Errorf("mean %v [%v, %v], want 5 ± %v", *s.Value, *s.Low, *s.High, half)
	}
	if s := Summarise(vals[:1], stat(t, "mean"), 1); s.Low != nil || *s.Value != 2 {
		t.Errorf("n=1 %+v", s)
	}
}

func TestJudge(t *testing.T) {
	b, g := 10.0, 8.0
	for _, tt := range []struct {
		expected, current float64
		n                 *int
		want              Status
	}{
		{9, 7.9, nil, Met},
		{9, 8, nil, Met},
		{9, 9, ptr(20), OnTrack},
		{9, 9.1, ptr(20), Behind},
		{9, 7, ptr(19), NoData},
	} {
		if got := Judge(&b, &g, &tt.expected, &tt.current, tt.n, 20); got != tt.want {
			t.Errorf("current %v expected %v: %s, want %s", tt.current, tt.expected, got, tt.want)
		}
	}
	// Higher is better when the goal is above the baseline.
	up := 12.0
	if got := Judge(&b, &up, ptr(11.0), ptr(11.5), nil, 20); got != OnTrack {
		t.Errorf("rising goal: %s", got)
	}
	if got := Judge(&b, &g, ptr(9.0), nil, nil, 20); got != NoData {
		t.Errorf("no current: %s", got)
	}
}

func TestExpectedGlidePath(t *testing.T) {
	start := time.Date(2019, 7, 1, 0, 0, 0, 0, time.UTC)
	due := start.AddDate(1, 0, 0)
	mid := start.Add(due.Sub(start) / 4)
	if got := Expected(10, 8, start, due, mid); math.Abs(got-9.5) > 1e-12 {
		t.Errorf("a quarter of the way: %v", got)
	}
	if got := Expected(10, 8, start, due, start.AddDate(-1, 0, 0)); got != 10 {
		t.Errorf("before start: %v", got)
	}
	if got := Expected(10, 8, start, due, due.AddDate(1, 0, 0)); got != 8 {
		t.Errorf("after due: %v", got)
	}
}

// fakeSource answers every query with fixed values and records the queries.
type fakeSource struct {
	values  []float64
	records []Record
	queries []figure.Query
}

func (f *fakeSource) Values(_ context.Context, q figure.Query) ([]float64, error) {
	f.queries = append(f.queries, q)
	return f.values, nil
}

func (f *fakeSource) Recorded(context.Context, string) ([]Record, error) { return f.records, nil }

func date(s string) time.Time {
	v, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestEvaluateCountAndDates(t *testing.T) {
	f, _ := figure.Parse("changes_merged")
	cfg := &config.Config{Targets: []config.Target{{Metric: "changes_merged", Figure: f, MinN: 20,
		BaselineFrom: date("2019-06-03"), BaselineTo: date("2019-06-16"), Goal: 10, GoalRelative: true, Due: date("2019-12-31")}}}
	src := &fakeSource{values: []float64{50}}
	at := time.Date(2019, 10, 1, 0, 0, 0, 0, time.UTC) // --at 2019-09-30
	rs, err := Evaluate(context.Background(), src, cfg, at, 2)
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	// The baseline period is 14 days, both ends included: 50 × 28/14.
	if *r.Baseline != 100 || r.BaselineN != nil || math.Abs(*r.Goal-110) > 1e-9 {
		t.Errorf("baseline %v goal %v", *r.Baseline, *r.Goal)
	}
	q := src.queries[0]
	if !q.From.Equal(time.Date(2019, 6, 3, 0, 0, 0, 0, time.UTC)) || !q.To.Equal(time.Date(2019, 6, 17, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("baseline period [%v, %v)", q.From, q.To)
	}
	if len(r.Trend) != 2 || !r.Trend[0].At.Equal(at.Add(-7*day)) || !src.queries[2].From.Equal(at.Add(-Period)) {
		t.Errorf("trend %+v", r.Trend)
	}
	// Counts have no n and no interval, and min_n does not apply.
	if *r.Current != 50 || r.N != nil || r.CILow != nil || r.Status != Behind || *r.OnTrack {
		t.Errorf("current %v n %v status %s", *r.Current, r.N, r.Status)
	}
	if !r.Start.Equal(time.Date(2019, 6, 17, 0, 0, 0, 0, time.UTC)) || !r.DueAt.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) || r.Due != "2019-12-31" {
		t.Errorf("start %v due %v %v", r.Start, r.Due, r.DueAt)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rs); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"metric", "filter", "baseline", "goal", "current", "n", "ci_low", "ci_high", "expected", "status", "on_track", "due", "trend"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestEvaluateManual(t *testing.T) {
	cfg := &config.Config{Targets: []config.Target{{Metric: "developer_satisfaction", Manual: true, MinN: 20,
		BaselineFrom: date("2019-01-01"), BaselineTo: date("2019-03-31"), Goal: 4.2, Due: date("2020-06-30")}}}
	d := date
	src := &fakeSource{records: []Record{
		{At: d("2019-02-01"), Value: 3.7}, {At: d("2019-03-31"), Value: 3.9},
		{At: d("2019-09-30"), Value: 4.0}, {At: d("2019-10-01"), Value: 4.5},
	}}
	rs, err := Evaluate(context.Background(), src, cfg, d("2019-10-01"), 3)
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if math.Abs(*r.Baseline-3.8) > 1e-12 || *r.Current != 4.0 || r.N != nil || r.Unit != "" {
		t.Errorf("baseline %v current %v", *r.Baseline, *r.Current)
	}
	if r.Status != OnTrack || len(src.queries) != 0 {
		t.Errorf("status %s (expected %v)", r.Status, *r.Expected)
	}
	if v := r.Trend[0].Value; *v != 3.9 {
		t.Errorf("trend[0] = %v", *v)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, rs); err != nil || !strings.Contains(buf.String(), "developer_satisfaction") {
		t.Errorf("table %q %v", buf.String(), err)
	}
}
