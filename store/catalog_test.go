package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/metrics"
)

// TestCatalogIncremental: after an incremental compute in which a build
// moves to another pipeline (the only one of its pipeline there), another
// leaves a pipeline two builds had, a new build brings a new project and
// a change is written again, the catalog view lists exactly what a full
// compute's does, which itself lists the keys of the builds and changes
// as stored; and catalog_data's counts sum to the rows the views show.
func TestCatalogIncremental(t *testing.T) {
	inc, full := openTest(t), openTest(t)
	slack := watermarkSlack
	watermarkSlack = 0
	t.Cleanup(func() { watermarkSlack = slack })
	ctx := context.Background()
	end := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	spike := metrics.SpikeConfig{Ratio: 1.5, FloorS: 60, WindowDays: 3, MinBuilds: 2}
	build := func(id, project, pipeline string, back time.Duration) collectors.Build {
		f := end.Add(-back)
		return collectors.Build{Source: "g", System: collectors.SystemZuul, Pipeline: pipeline, Job: "j", BuildID: id,
			URL: "https://logs/" + id, Project: project, Change: 1, Patchset: 1, Result: "SUCCESS", Voting: true,
			Started: f.Add(-300 * time.Second), Finished: f, DurationS: 300}
	}
	owner := collectors.Account{ID: "1", Name: "Owner", Username: "owner"}
	change := collectors.Change{Source: "g", Project: "p1", Branch: "main", Number: 1, ChangeID: "I1", Owner: owner,
		Status: collectors.StatusOpen, Created: end.Add(-48 * time.Hour), Updated: end.Add(-48 * time.Hour)}
	first := collectors.Batch{Changes: []collectors.Change{change}, Builds: []collectors.Build{
		build("b1", "p1", "check", 5*time.Hour), build("b2", "p2", "gate", 4*time.Hour),
		build("b3", "p1", "post", 3*time.Hour), build("b4", "p1", "post", 2*time.Hour)}}
	moved := first.Builds[1]
	moved.Pipeline = "check" // p2 gate had only b2
	left := first.Builds[2]
	left.Pipeline = "check" // p1 post keeps b4
	touched := change
	touched.Updated = end // its row is masked and written again
	second := collectors.Batch{Changes: []collectors.Change{touched},
		Builds: []collectors.Build{moved, left, build("b5", "p3", "check", time.Hour)}}
	o := ComputeOptions{Bots: noBots, Now: end, Spike: spike, Fingerprint: "f"}
	var base uint64
	for round, b := range []collectors.Batch{first, second} {
		time.Sleep(1100 * time.Millisecond) // rows stored in a compute's second count as new
		for _, s := range []*Store{inc, full} {
			if err := s.Write(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		o.Now, o.Full = time.Now().UTC(), false
		st, err := inc.Compute(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if st.Full != (round == 0) {
			t.Fatalf("round %d: full %v (%s)", round, st.Full, st.Why)
		}
		if round == 0 {
			base = st.Generation
		}
		o.Full = true
		if _, err := full.Compute(ctx, o); err != nil {
			t.Fatal(err)
		}
		got := rowsAsText(t, inc, "SELECT * FROM catalog ORDER BY source, kind, project, pipeline")
		want := rowsAsText(t, full, "SELECT * FROM catalog ORDER BY source, kind, project, pipeline")
		if !slices.Equal(got, want) {
			t.Errorf("round %d: incremental catalog\n%v\nfull\n%v", round, got, want)
		}
		stored := [][]string{
			{"g | build | p1 | check", "g | build | p1 | post", "g | build | p2 | gate", "g | change | p1 | "},
			{"g | build | p1 | check", "g | build | p1 | post", "g | build | p2 | check", "g | build | p3 | check", "g | change | p1 | "},
		}[round]
		if !slices.Equal(want, stored) {
			t.Errorf("round %d: full catalog\n%q\nwant\n%q", round, want, stored)
		}
	}
	// Counted: each key's rows sum, over the live generations, to the
	// rows the views show.
	got := rowsAsText(t, inc, `SELECT source, kind, project, pipeline, sum(rows) FROM catalog_data
		WHERE generation IN (SELECT generation FROM live_generations)
		GROUP BY source, kind, project, pipeline HAVING sum(rows) != 0 ORDER BY source, kind, project, pipeline`)
	want := rowsAsText(t, inc, `SELECT source, kind, project, pipeline, n FROM
		(SELECT source, 'build' AS kind, project, pipeline, count() AS n FROM builds GROUP BY source, project, pipeline
		 UNION ALL
		 SELECT source, 'change' AS kind, project, '' AS pipeline, count() AS n FROM change_metrics GROUP BY source, project)
		ORDER BY source, kind, project, pipeline`)
	if !slices.Equal(got, want) {
		t.Errorf("catalog counts\n%q\nrows in the views\n%q", got, want)
	}
	// A base whose catalog has no counts (computed before migration 022:
	// present 1, or no catalog at all before 019) makes the next compute
	// full.
	for _, older := range []string{"022", "019"} {
		if err := inc.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE catalog_data DROP PARTITION %d", base)); err != nil {
			t.Fatal(err)
		}
		if older == "022" {
			b, err := inc.conn.PrepareBatch(ctx, "INSERT INTO catalog_data (generation, source, kind, project, pipeline, present)")
			if err == nil {
				err = b.Append(base, "g", "change", "p1", "", uint8(1))
			}
			if err == nil {
				err = b.Send()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(1100 * time.Millisecond)
		o.Now, o.Full = time.Now().UTC(), false
		st, err := inc.Compute(ctx, o)
		if err != nil || !st.Full || !strings.Contains(st.Why, "catalog") {
			t.Errorf("after the base's catalog is as before migration %s: full %v (%s), %v", older, st.Full, st.Why, err)
		}
		base = st.Generation
	}
}
