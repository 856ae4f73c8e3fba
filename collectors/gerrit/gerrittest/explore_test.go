package gerrittest

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"
)

func TestExplore(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	t0 := time.Now()
	cs := Generate(GenOptions{Seed: 1, Changes: 200000})
	t.Logf("gen %v", time.Since(t0))
	st := map[string]int{}
	var msgs, wip, revs int
	var fr, mg []float64
	mc := map[int]int{}
	tags := map[string]int{}
	for i := range cs {
		c := &cs[i]
		st[c.Status]++
		msgs += len(c.Messages)
		mc[len(c.Messages)]++
		revs += len(c.Revisions)
		if len(c.Messages) > 0 && c.Messages[0].Tag == TagNewWipPatchSet {
			wip++
		}
		for _, m := range c.Messages {
			tags[m.Tag]++
		}
		for _, m := range c.Messages {
			if m.Author != nil && !m.Author.Service && m.Author.ID != c.Owner.ID && m.Tag == "" {
				fr = append(fr, m.Date.Sub(c.Created).Hours()/24)
				break
			}
		}
		if c.Status == StatusMerged {
			mg = append(mg, c.Submitted.Sub(c.Created).Hours()/24)
		}
	}
	sort.Float64s(fr)
	sort.Float64s(mg)
	t.Logf("n=%d status=%v wipCreated=%.3f msgs/change=%.2f revs/change=%.2f", len(cs), st, float64(wip)/float64(len(cs)), float64(msgs)/float64(len(cs)), float64(revs)/float64(len(cs)))
	t.Logf("first review median %.2fd p90 %.2f; merge median %.2fd p90 %.2f", fr[len(fr)/2], fr[len(fr)*9/10], mg[len(mg)/2], mg[len(mg)*9/10])
	t.Logf("msg count hist %v", mc)
	t.Logf("tags %v", tags)
	b, _ := json.MarshalIndent(cs[1234], "", "  ")
	os.WriteFile("/tmp/gx/sample.json", b, 0o644)
	fmt.Println()
}
