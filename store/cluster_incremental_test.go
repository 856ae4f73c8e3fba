package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/codepace/codepace/metrics"
)

// TestClusterIncrementalEqualsFull runs the rounds of
// TestIncrementalEqualsFull with the incremental store on the cluster
// (Distributed tables, views rendered with GLOBAL IN, generations dropped
// ON CLUSTER) and the full one on one server: after each round every
// proved view has the same rows on both (docs/definitions.md §20).
func TestClusterIncrementalEqualsFull(t *testing.T) {
	inc, _, _, _ := openCluster(t)
	ctx := context.Background()
	full := openTest(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	slack := watermarkSlack
	watermarkSlack = 0 // the rounds are a second apart
	t.Cleanup(func() { watermarkSlack = slack })
	h := newIncrementalHistory(seed, time.Now().UTC().Add(-time.Minute).Truncate(time.Second))
	o := ComputeOptions{Bots: noBots, NewcomerDays: 20, Fingerprint: "f1",
		Spike:  metrics.SpikeConfig{Ratio: 1.5, FloorS: 60, WindowDays: 3, MinBuilds: 2},
		People: metrics.NewPeople(map[string][]string{"Ann": {"g:owner1", "g:owner2"}})}
	for r := range 3 {
		time.Sleep(1100 * time.Millisecond) // rows collected in a compute's second count as new
		b := h.round(r == 0, r == 2, 30)
		for _, s := range []*Store{inc, full} {
			if err := s.Write(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		o.Now, o.Full = time.Now().UTC(), false
		st, err := inc.Compute(ctx, o)
		if err != nil {
			t.Fatalf("seed %d round %d: incremental on the cluster: %v", seed, r, err)
		}
		if st.Full != (r == 0) || st.Changes == 0 {
			t.Errorf("seed %d round %d: full %v (%s) with %d changes, want full %v and some changes", seed, r, st.Full, st.Why, st.Changes, r == 0)
		}
		o.Full = true
		if _, err := full.Compute(ctx, o); err != nil {
			t.Fatalf("seed %d round %d: full: %v", seed, r, err)
		}
		sameViews(t, fmt.Sprintf("seed %d round %d (%s)", seed, r, st.Why), inc, full)
	}
	for _, v := range []string{"change_metrics", "builds", "review_backlog_daily"} {
		if n := len(rowsAsText(t, inc, "SELECT * FROM "+v)); n == 0 {
			t.Errorf("view %s is empty on the cluster: the comparison proved nothing", v)
		}
	}
}
