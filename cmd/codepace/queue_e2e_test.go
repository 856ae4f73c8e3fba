package main

import (
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// TestQueue runs `codepace queue` over the hand-worked history: change 2
// waits on a reviewer since it became ready (carol's +1 keeps it there),
// change 3 on its author (Zuul's Verified-1) since its restore; the WIP
// change 4 and the merged change 1 are not in the queue.
func TestQueue(t *testing.T) {
	e := setup(t, history(), "")
	e.mustRun(t, "run")
	var rows []struct {
		Project, URL, WaitingOn, WaitingSince, OwnerCohort string
		Number, Patchset                                   int
	}
	// JSON: fields named as the view's columns.
	out := e.mustRun(t, "queue", "--format", "json")
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("queue --format json: %v\n%s", err, out)
	}
	for _, r := range raw {
		rows = append(rows, struct {
			Project, URL, WaitingOn, WaitingSince, OwnerCohort string
			Number, Patchset                                   int
		}{r["project"].(string), r["url"].(string), r["waiting_on"].(string), r["waiting_since"].(string),
			r["owner_cohort"].(string), int(r["number"].(float64)), int(r["patchset"].(float64))})
	}
	want := []string{
		"demo/alpha 2 reviewer 2024-03-06T09:00:00Z ps1",
		"demo/beta 3 author 2024-03-08T09:00:00Z ps1",
	}
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join([]string{r.Project, strconv.Itoa(r.Number), r.WaitingOn, r.WaitingSince, "ps" + strconv.Itoa(r.Patchset)}, " "))
		if !strings.HasSuffix(r.URL, "/+/"+strconv.Itoa(r.Number)) {
			t.Errorf("change %d: url %q", r.Number, r.URL)
		}
	}
	diffRows(t, "queue --format json", got, want)

	// CSV: the header, then the same order.
	out = e.mustRun(t, "queue", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 3 || strings.Join(recs[0], ",") != strings.Join(queueColumns, ",") ||
		recs[1][2] != "2" || recs[2][2] != "3" || recs[2][9] != "author" {
		t.Errorf("queue --format csv (%v):\n%s", err, out)
	}
	// Filters.
	for _, tc := range []struct {
		args []string
		want []string // numbers, in order
	}{
		{[]string{"--waiting-on", "author"}, []string{"3"}},
		{[]string{"--waiting-on", "reviewer"}, []string{"2"}},
		{[]string{"--project", "demo/b*"}, []string{"3"}},
		{[]string{"--cohort", "new", "--limit", "1"}, []string{"2"}},
		{[]string{"--cohort", "ramped"}, nil},
	} {
		out := e.mustRun(t, append([]string{"queue", "--format", "csv"}, tc.args...)...)
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var nums []string
		for _, r := range recs[1:] {
			nums = append(nums, r[2])
		}
		if strings.Join(nums, ",") != strings.Join(tc.want, ",") {
			t.Errorf("queue %v: changes %v, want %v", tc.args, nums, tc.want)
		}
	}
	// The table shows every URL.
	out = e.mustRun(t, "queue")
	for _, n := range []string{"2", "3"} {
		if !strings.Contains(out, "/+/"+n) {
			t.Errorf("queue table lacks the URL of change %s:\n%s", n, out)
		}
	}
	for _, bad := range [][]string{{"--waiting-on", "nobody"}, {"--cohort", "old"}, {"--format", "xml"}, {"--limit", "-1"}} {
		if out, err := e.codepace(t, append([]string{"queue"}, bad...)...); err == nil || !strings.Contains(out, bad[0]) {
			t.Errorf("queue %v: err %v, output %q; want an error naming %s", bad, err, out, bad[0])
		}
	}
}
