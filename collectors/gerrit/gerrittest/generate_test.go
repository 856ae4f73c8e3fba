package gerrittest

import (
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestGenerateDeterministic(t *testing.T) {
	a := Generate(GenOptions{Seed: 42, Changes: 1500})
	b := Generate(GenOptions{Seed: 42, Changes: 1500})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different histories")
	}
	prev := runtime.GOMAXPROCS(1)
	one := Generate(GenOptions{Seed: 42, Changes: 1500})
	runtime.GOMAXPROCS(prev)
	if !reflect.DeepEqual(a, one) {
		t.Fatal("history depends on GOMAXPROCS")
	}
	c := Generate(GenOptions{Seed: 43, Changes: 1500})
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds, same history")
	}
	if Generate(GenOptions{Seed: 1}) != nil {
		t.Error("zero changes should give nil")
	}
}

var jobLine = regexp.MustCompile(`^- (\S+) (https://\S+) : (SUCCESS|FAILURE|TIMED_OUT) in (?:(\d+)h (\d\d)m (\d\d)s|(\d+)m (\d\d)s|(\d+)s)( \(non-voting\))?$`)

func median(xs []float64) float64 {
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

// TestGenerateShape checks the history's invariants and rough proportions.
func TestGenerateShape(t *testing.T) {
	opts := GenOptions{Seed: 5, Changes: 20000}
	cs := Generate(opts)
	if len(cs) != opts.Changes {
		t.Fatalf("%d changes", len(cs))
	}
	start := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(time.Duration(5 * 365.25 * 24 * float64(time.Hour)))
	status := map[string]int{}
	tags := map[string]int{}
	results := map[string]int{}
	var wip, restored, nonVoting, l10n, noAuthor int
	var msgCounts, firstReview, merge []float64
	owners := map[int]int{}
	firstChange := map[int]time.Time{}
	projects := map[string]bool{}
	buildURLs := map[string]int{}
	for i := range cs {
		c := &cs[i]
		if i > 0 && (c.Number <= cs[i-1].Number || c.Created.Before(cs[i-1].Created)) {
			t.Fatalf("change %d: numbers not ascending with Created", c.Number)
		}
		if c.Created.Before(start) || c.Updated.After(end.Add(time.Hour)) {
			t.Fatalf("change %d outside the span: %v..%v", c.Number, c.Created, c.Updated)
		}
		status[c.Status]++
		projects[c.Project] = true
		owners[c.Owner.ID]++
		if _, ok := firstChange[c.Owner.ID]; !ok {
			firstChange[c.Owner.ID] = c.Created
		}
		if c.Owner.Username == "l10n-bot" {
			l10n++
		}
		if n := len(c.Revisions); n < 1 || n > 4 {
			t.Fatalf("change %d: %d revisions", c.Number, n)
		}
		for k, r := range c.Revisions {
			if r.Number != k+1 || len(r.SHA) != 40 || r.AuthorDate.After(r.Created) {
				t.Fatalf("change %d: bad revision %+v", c.Number, r)
			}
		}
		if len(c.Messages) == 0 || !c.Messages[0].Date.Equal(c.Created) {
			t.Fatalf("change %d: first message is not the upload", c.Number)
		}
		if !c.Updated.Equal(c.Messages[len(c.Messages)-1].Date) {
			t.Fatalf("change %d: Updated %v is not the last message %v", c.Number, c.Updated, c.Messages[len(c.Messages)-1].Date)
		}
		if (c.Status == StatusMerged) != !c.Submitted.IsZero() || (c.Status == StatusMerged) != (c.Submitter != nil) {
			t.Fatalf("change %d: status %s, submitted %v", c.Number, c.Status, c.Submitted)
		}
		if c.WIP && c.Status != StatusNew {
			t.Fatalf("change %d: closed and WIP", c.Number)
		}
		msgCounts = append(msgCounts, float64(len(c.Messages)))
		if c.Messages[0].Tag == TagNewWipPatchSet {
			wip++
		}
		var reviewed bool
		verified := 0
		for k, m := range c.Messages {
			tags[m.Tag]++
			if k > 0 && m.Date.Before(c.Messages[k-1].Date) {
				t.Fatalf("change %d: messages not chronological", c.Number)
			}
			if m.Revision < 1 || m.Revision > len(c.Revisions) {
				t.Fatalf("change %d: message on patch set %d", c.Number, m.Revision)
			}
			if m.Author == nil {
				noAuthor++
			}
			if m.Tag == TagRestore {
				restored++
			}
			if m.Tag == "" && m.Author != nil && !m.Author.Service && m.Author.ID != c.Owner.ID && !reviewed {
				reviewed = true
				firstReview = append(firstReview, m.Date.Sub(c.Created).Hours()/24)
			}
			if m.Author != nil && m.Author.Username == "jenkins-bot" && strings.Contains(m.Message, "\n- ") {
				if m.Revision == len(c.Revisions) {
					switch {
					case strings.HasPrefix(m.Message[strings.Index(m.Message, ":"):], ": Verified+2"):
						verified = 2
					case strings.HasPrefix(m.Message[strings.Index(m.Message, ":"):], ": Verified+1"):
						verified = 1
					case strings.HasPrefix(m.Message[strings.Index(m.Message, ":"):], ": Verified-1"):
						verified = -1
					case strings.HasPrefix(m.Message[strings.Index(m.Message, ":"):], ": Verified-2"):
						verified = -2
					}
				}
				lines := strings.Split(m.Message, "\n")
				if !strings.HasPrefix(lines[0], "Patch Set ") || lines[1] != "" || lines[3] != "" {
					t.Fatalf("change %d: report header %q", c.Number, m.Message)
				}
				for _, l := range lines[4:] {
					g := jobLine.FindStringSubmatch(l)
					if g == nil {
						t.Fatalf("change %d: job line %q", c.Number, l)
					}
					results[g[3]]++
					// A build's URL is its identity (store: raw_builds):
					// two runs sharing one would be one build, whichever
					// was stored last.
					if n, ok := buildURLs[g[2]]; ok {
						t.Fatalf("changes %d and %d: two runs of build %s", n, c.Number, g[2])
					}
					buildURLs[g[2]] = c.Number
					if g[10] != "" {
						nonVoting++
					}
				}
			}
		}
		if c.Status == StatusMerged {
			merge = append(merge, c.Submitted.Sub(c.Created).Hours()/24)
			if c.Messages[len(c.Messages)-1].Tag != TagMerged && c.Messages[len(c.Messages)-2].Tag != TagMerged {
				t.Fatalf("change %d: merged without a merge message near the end", c.Number)
			}
			approved := false
			for _, v := range c.Votes {
				approved = approved || v.Label == "Code-Review" && v.Value == 2
			}
			if !approved {
				t.Fatalf("change %d: merged without Code-Review+2 (votes %+v)", c.Number, c.Votes)
			}
		}
		got := 0
		for _, v := range c.Votes {
			if v.Label == "Verified" {
				got = v.Value
			}
		}
		if got != verified && !(verified == 0 && got == 0) {
			// A gate start message ("-Verified") legitimately removes the vote.
			if !(got == 0 && strings.Contains(c.Messages[len(c.Messages)-1].Message, "-Verified")) {
				t.Fatalf("change %d: Verified vote %d, last report on the current patch set says %d", c.Number, got, verified)
			}
		}
	}
	n := float64(len(cs))
	frac := func(k int) float64 { return float64(k) / n }
	t.Logf("status %v, created WIP %.3f, restored %d, l10n %d, messages median %.0f, first review median %.2fd, merge median %.2fd",
		status, frac(wip), restored, l10n, median(msgCounts), median(firstReview), median(merge))
	t.Logf("job results %v, non-voting lines %d, projects %d, owners %d", results, nonVoting, len(projects), len(owners))
	check := func(name string, v, lo, hi float64) {
		if v < lo || v > hi {
			t.Errorf("%s = %.3f, want within [%.3f, %.3f]", name, v, lo, hi)
		}
	}
	check("merged", frac(status[StatusMerged]), 0.65, 0.76)
	check("abandoned", frac(status[StatusAbandoned]), 0.11, 0.20)
	check("open", frac(status[StatusNew]), 0.08, 0.20)
	check("created WIP", frac(wip), 0.07, 0.13)
	check("l10n-bot share", frac(l10n), 0.015, 0.04)
	check("median messages", median(msgCounts), 8, 15)
	check("median days to first review", median(firstReview), 0.5, 2)
	check("median days to merge", median(merge), 3, 8)
	if restored == 0 || noAuthor == 0 || nonVoting == 0 || results["FAILURE"] == 0 || results["TIMED_OUT"] == 0 {
		t.Errorf("missing rare cases: restored %d, Gerrit-written %d, non-voting %d, results %v", restored, noAuthor, nonVoting, results)
	}
	for _, tag := range []string{"", TagNewPatchSet, TagNewWipPatchSet, TagSetReadyForReview, TagMerged, TagAbandon, TagRestore,
		TagCITest, TagCIGate, TagZuulCheck, TagZuulGate} {
		if tags[tag] == 0 {
			t.Errorf("no message tagged %q", tag)
		}
	}
	// Zipf-like owners: the busiest 1% own a lot, the median owner little.
	var counts []int
	for _, k := range owners {
		counts = append(counts, k)
	}
	slices.Sort(counts)
	top := 0
	for _, k := range counts[len(counts)-len(counts)/100:] {
		top += k
	}
	few := 0
	for _, k := range counts {
		if k <= 3 {
			few++
		}
	}
	t.Logf("owners: busiest %d changes, top 1%% own %.3f, median owner %d, %.2f own at most 3",
		counts[len(counts)-1], frac(top), counts[len(counts)/2], float64(few)/float64(len(counts)))
	if frac(top) < 0.08 || counts[len(counts)/2] > 10 || float64(counts[len(counts)-1]) > 0.06*n {
		t.Errorf("owner activity: top 1%% own %.3f, median owner %d changes", frac(top), counts[len(counts)/2])
	}
	// Newcomers all along: a good share of owners start in the second half.
	late := 0
	mid := start.Add(end.Sub(start) / 2)
	for _, f := range firstChange {
		if f.After(mid) {
			late++
		}
	}
	if share := float64(late) / float64(len(firstChange)); share < 0.25 {
		t.Errorf("only %.2f of owners start in the second half", share)
	}
}

func TestGenerateOptions(t *testing.T) {
	start := time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
	cs := Generate(GenOptions{Seed: 9, Changes: 500, Start: start, Years: 1, Projects: 4, Owners: 20})
	projects := map[string]bool{}
	owners := map[string]bool{}
	for _, c := range cs {
		projects[c.Project] = true
		if c.Owner.Username != "l10n-bot" {
			owners[c.Owner.Username] = true
		}
		if c.Created.Before(start) || c.Updated.After(start.AddDate(1, 0, 1)) {
			t.Fatalf("change %d outside one year from %v: %v..%v", c.Number, start, c.Created, c.Updated)
		}
	}
	if len(projects) > 4 || len(owners) > 20 {
		t.Errorf("%d projects, %d owners", len(projects), len(owners))
	}
}

// TestShift: Shift moves every time of a history by the same amount and
// leaves zero times zero.
func TestShift(t *testing.T) {
	opts := GenOptions{Seed: 3, Changes: 300, Years: 1}
	want, got := Generate(opts), Generate(opts)
	d := 36*time.Hour + 7*time.Second
	Shift(got, d)
	check := func(what string, w, g time.Time) {
		t.Helper()
		if w.IsZero() && !g.IsZero() || !w.IsZero() && !g.Equal(w.Add(d)) {
			t.Fatalf("%s: %v shifted to %v, want %v later", what, w, g, d)
		}
	}
	zeros := 0
	for i := range want {
		w, g := &want[i], &got[i]
		check("created", w.Created, g.Created)
		check("updated", w.Updated, g.Updated)
		check("submitted", w.Submitted, g.Submitted)
		if w.Submitted.IsZero() {
			zeros++
		}
		for k := range w.Revisions {
			check("revision created", w.Revisions[k].Created, g.Revisions[k].Created)
			check("author date", w.Revisions[k].AuthorDate, g.Revisions[k].AuthorDate)
		}
		for k := range w.Messages {
			check("message", w.Messages[k].Date, g.Messages[k].Date)
		}
		for k := range w.Votes {
			check("vote", w.Votes[k].Date, g.Votes[k].Date)
		}
	}
	if zeros == 0 {
		t.Fatal("no change without a submit time: the zero case is not covered")
	}
	if end := opts.End(); !end.Equal(time.Date(2022, 1, 1, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("End of a year from 2021-01-01 = %v, want 365.25 days later", end)
	}
}
