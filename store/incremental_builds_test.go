package store

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/metrics"
	schema "github.com/codepace/codepace/sql"
)

// randomBuild is a build of job finished at the given instant: mostly
// successes of about 300 s, some failures, some slow.
func randomBuild(rng *rand.Rand, id, job string, finished time.Time) collectors.Build {
	d := int64(250 + rng.IntN(100))
	if rng.IntN(8) == 0 {
		d *= 3
	}
	result := "SUCCESS"
	if rng.IntN(5) == 0 {
		result = "FAILURE"
	}
	return collectors.Build{Source: "g", System: collectors.SystemZuul, Pipeline: "check", Job: job, BuildID: id,
		URL: "https://logs/" + id, Project: "p", Change: 1, Patchset: 1, Result: result, Voting: true,
		Started: finished.Add(-time.Duration(d) * time.Second), Finished: finished, DurationS: d}
}

// buildVerdict is what a builds_data row says of a build.
type buildVerdict struct {
	job      string
	finished time.Time
	spike    uint8
	baseline *int64
}

func (v buildVerdict) String() string {
	b := "nil"
	if v.baseline != nil {
		b = fmt.Sprint(*v.baseline)
	}
	return fmt.Sprintf("%s %s spike=%d baseline=%s", v.job, v.finished.Format(time.RFC3339), v.spike, b)
}

func buildVerdicts(t *testing.T, s *Store, gen uint64) map[buildKey]buildVerdict {
	t.Helper()
	rows, err := s.conn.Query(context.Background(), `SELECT source, system, build_id, job, finished_at, is_spike, baseline_s
		FROM builds_data WHERE generation = ?`, gen)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[buildKey]buildVerdict{}
	for rows.Next() {
		var k buildKey
		var v buildVerdict
		if err := rows.Scan(&k.source, &k.system, &k.buildID, &v.job, &v.finished, &v.spike, &v.baseline); err != nil {
			t.Fatal(err)
		}
		v.finished = v.finished.UTC()
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIncrementalBuilds: after new builds, late builds, builds stored
// again unchanged or with another duration, result or finish, and a build
// moved to another job (round 0: with raw_builds merged before the
// compute, so that only the views hold the states before), the builds incrementalBuilds writes, with the earlier
// generation's other builds, have exactly the verdicts of a full compute.
func TestIncrementalBuilds(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	spike := metrics.SpikeConfig{Ratio: 1.5, FloorS: 60, WindowDays: 7, MinBuilds: 3}
	for round := range 3 {
		rng := rand.New(rand.NewPCG(16, uint64(round)))
		end := time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC)
		jobs := []string{fmt.Sprintf("r%d-a", round), fmt.Sprintf("r%d-b", round), fmt.Sprintf("r%d-c", round)}
		var builds []collectors.Build
		for i := range 240 {
			finished := end.Add(-time.Duration(1+rng.IntN(40*24)) * time.Hour) // hours: equal finishes happen
			builds = append(builds, randomBuild(rng, fmt.Sprintf("r%d-%d", round, i), jobs[rng.IntN(len(jobs)-1)], finished))
		}
		if err := s.Write(ctx, collectors.Batch{Builds: builds}); err != nil {
			t.Fatal(err)
		}
		st, err := s.Compute(ctx, ComputeOptions{Bots: noBots, Now: end, Spike: spike})
		if err != nil {
			t.Fatal(err)
		}
		before := buildVerdicts(t, s, st.Generation)
		watermark := uint64(time.Now().UnixNano())
		// Stored again as they were, as a collector stores every build of
		// a change it collects again: no verdict to judge again (round 2
		// counts them).
		var same []collectors.Build
		for range 6 {
			same = append(same, builds[rng.IntN(len(builds))])
		}
		if err := s.Write(ctx, collectors.Batch{Builds: same}); err != nil {
			t.Fatal(err)
		}
		var updated []collectors.Build
		for i := range 12 { // new builds, a few late (round 2: none)
			finished := end.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
			if i%4 == 3 && round < 2 {
				finished = end.Add(-time.Duration(rng.IntN(20*24)) * time.Hour)
			}
			updated = append(updated, randomBuild(rng, fmt.Sprintf("r%d-new%d", round, i), jobs[rng.IntN(len(jobs))], finished))
		}
		for range 6 * (1 - round/2) { // stored again, changed (round 2: none)
			b := builds[rng.IntN(len(builds))]
			switch rng.IntN(4) {
			case 0:
				b.DurationS *= 4
			case 1:
				b.Result = "FAILURE"
			case 2:
				b.Finished = b.Finished.Add(time.Duration(rng.IntN(10*24)-5*24) * time.Hour)
			default:
				b.Job = jobs[2]
			}
			updated = append(updated, b)
		}
		if round == 1 { // stored twice in one batch, one version: FINAL chooses
			b := builds[rng.IntN(len(builds))]
			b.DurationS *= 5
			updated = append(updated, b, builds[rng.IntN(len(builds))])
			b.DurationS, b.Result = 10, "FAILURE"
			updated = append(updated, b)
		}
		if err := s.Write(ctx, collectors.Batch{Builds: updated}); err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			// Merged: the states before the new ones are gone from
			// raw_builds; the views still show them.
			if err := s.conn.Exec(ctx, "OPTIMIZE TABLE raw_builds FINAL"); err != nil {
				t.Fatal(err)
			}
		}
		gen := st.Generation + 1
		rebuilt, err := s.incrementalBuilds(ctx, masker{s: s, base: st.Generation, gen: gen}, spike, watermark)
		if err != nil {
			t.Fatal(err)
		}
		fresh := buildVerdicts(t, s, gen)
		keys := slices.Collect(maps.Keys(fresh))
		if st, err = s.Compute(ctx, ComputeOptions{Bots: noBots, Now: end, Spike: spike}); err != nil {
			t.Fatal(err)
		}
		want := buildVerdicts(t, s, st.Generation)
		if rebuilt.written != len(keys) || len(keys) == 0 || len(keys) >= len(want) {
			t.Fatalf("round %d: %d said written, %d rows written of %d builds", round, rebuilt.written, len(keys), len(want))
		}
		got := maps.Clone(before)
		for _, k := range keys {
			delete(got, k)
		}
		maps.Copy(got, fresh)
		changed := 0
		for k, w := range want {
			if g, ok := got[k]; !ok || g.String() != w.String() {
				t.Errorf("round %d: %v: %v, want %v", round, k, g, w)
			}
			if b, ok := before[k]; ok && b.String() != w.String() {
				changed++
			}
		}
		if len(got) != len(want) {
			t.Errorf("round %d: %d builds, want %d", round, len(got), len(want))
		}
		// A build not stored again whose row stays as it was is not written
		// again (nor masked), even when two states of another tie (round 1).
		stored := map[buildKey]bool{}
		for _, b := range updated {
			stored[buildKey{b.Source, b.System, b.BuildID}] = true
		}
		for _, k := range keys {
			if b, ok := before[k]; ok && !stored[k] && b.String() == want[k].String() {
				t.Errorf("round %d: %v written again unchanged", round, k)
			}
		}
		t.Logf("round %d: %d of %d builds written again, %d verdicts or rows changed", round, len(keys), len(want), changed)
		if round == 2 && len(keys) > 20 {
			t.Errorf("round 2: %d builds judged again after 12 new ones at the end", len(keys))
		}
		if changed == 0 && round < 2 {
			t.Errorf("round %d: no verdict changed: the updates test nothing", round)
		}
	}
}

// TestBuildStateHashIsTheStoredOne: the hash the compute takes of a raw
// state (buildStateHash) is the one migration 021 stores in
// builds_data.state; were they to differ, every build stored again would
// be judged again.
func TestBuildStateHashIsTheStoredOne(t *testing.T) {
	ms, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	want := "ADD COLUMN state UInt64 DEFAULT " + buildStateHash
	for _, m := range ms {
		for _, st := range m.Statements {
			if strings.Contains(st, "ADD COLUMN state UInt64") {
				if !strings.Contains(st, want) {
					t.Errorf("%s: %s\nwant the column's default to be %s", m.Name, st, buildStateHash)
				}
				return
			}
		}
	}
	t.Fatal("no migration adds builds_data.state")
}

// TestFullComputeJobGroups: the full compute's verdicts are those of each
// job's builds judged on their own in finish order, both when every job
// has its own group (the hash) and when all of them share one (every
// job's hash colliding), their builds then coming interleaved.
func TestFullComputeJobGroups(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	spike := metrics.SpikeConfig{Ratio: 1.5, FloorS: 60, WindowDays: 5, MinBuilds: 3}
	rng := rand.New(rand.NewPCG(7, 7))
	end := time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC)
	var builds []collectors.Build
	for i := range 400 {
		finished := end.Add(-time.Duration(1+rng.IntN(30*24)) * time.Hour) // hours: equal finishes happen
		b := randomBuild(rng, fmt.Sprintf("b%d", i), []string{"a", "b", "c"}[rng.IntN(3)], finished)
		if i%4 == 0 { // the same job names in another system
			b.System = collectors.SystemJenkins
		}
		builds = append(builds, b)
	}
	if err := s.Write(ctx, collectors.Batch{Builds: builds}); err != nil {
		t.Fatal(err)
	}
	// The reference: each job's builds sorted by finish, judged alone.
	slices.SortFunc(builds, buildOrder)
	want := map[buildKey]buildVerdict{}
	var window *metrics.SpikeWindow
	for i, b := range builds {
		if i == 0 || b.System != builds[i-1].System || b.Job != builds[i-1].Job {
			window = metrics.NewSpikeWindow(spike)
		}
		sp := window.Judge(b)
		want[buildKey{b.Source, b.System, b.BuildID}] = buildVerdict{job: b.Job, finished: b.Finished, spike: b8(sp.IsSpike), baseline: sp.MedianS}
	}
	spikes := 0
	for _, v := range want {
		spikes += int(v.spike)
	}
	if spikes == 0 {
		t.Fatal("no spike among the builds: the test tests nothing")
	}
	for _, group := range []string{jobGroup, "toUInt64(7)"} {
		defer func(g string) { jobGroup = g }(jobGroup)
		jobGroup = group
		st, err := s.Compute(ctx, ComputeOptions{Bots: noBots, Now: end, Spike: spike, Full: true})
		if err != nil {
			t.Fatal(err)
		}
		got := buildVerdicts(t, s, st.Generation)
		if len(got) != len(want) {
			t.Errorf("%s: %d builds, want %d", group, len(got), len(want))
		}
		for k, w := range want {
			if g := got[k]; g.String() != w.String() {
				t.Errorf("%s: %v: %v, want %v", group, k, g, w)
			}
		}
	}
}
