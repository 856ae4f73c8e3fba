package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/codepace/codepace/collectors"
	"github.com/codepace/codepace/collectors/gerrit"
	grt "github.com/codepace/codepace/collectors/gerrit/gerrittest"
	"github.com/codepace/codepace/collectors/github"
	ght "github.com/codepace/codepace/collectors/github/githubtest"
	"github.com/codepace/codepace/collectors/jenkins"
	jt "github.com/codepace/codepace/collectors/jenkins/jenkinstest"
	"github.com/codepace/codepace/metrics"
)

// TestThreeCISources collects one job's history from each CI system
// through its collector and test server (Zuul reports on Gerrit, Jenkins,
// GitHub Actions) into ClickHouse, computes, and checks that the builds
// land in the same views with the same meanings, and that the last,
// slow build of each job is a spike with its baseline in build_spikes.
func TestThreeCISources(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	day := 24 * time.Hour
	start := time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC)
	end := start.Add(10 * day)
	// Durations of the six builds of each job: five successes, then a
	// failure three times as long.
	durations := []int{290, 300, 310, 300, 305, 900}
	result := func(i int) string {
		if i == len(durations)-1 {
			return "FAILURE"
		}
		return "SUCCESS"
	}

	// Zuul reports on Gerrit: one change, a report a day.
	zuul := grt.Account{ID: 1000002, Name: "Zuul", Username: "zuul", Service: true}
	owner := grt.Account{ID: 1000001, Name: "Owner", Username: "owner"}
	change := grt.Change{Number: 501, Project: "core/lib", Branch: "main", Status: grt.StatusNew, Owner: owner,
		Created: start.Add(-time.Hour), Updated: start.Add(time.Duration(len(durations)) * day),
		Revisions: []grt.Revision{{Number: 1, Created: start.Add(-time.Hour), Uploader: owner}}}
	for i, d := range durations {
		change.Messages = append(change.Messages, grt.Message{Author: &zuul, Date: start.Add(time.Duration(i) * day),
			Tag: grt.TagZuulCheck, Revision: 1,
			Message: fmt.Sprintf("Patch Set 1: Verified+1\n\nBuild succeeded (check pipeline).\n\n- tox-py312 https://zuul.example.org/t/main/build/%d : %s in %dm %02ds",
				i, result(i), d/60, d%60)})
	}
	gsrv := grt.New([]grt.Change{change})
	defer gsrv.Close()
	gc, err := gerrit.New(gerrit.Options{Name: "gerrit", URL: gsrv.URL(), Backoff: time.Millisecond, Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}

	// Jenkins: a job in a folder, linked to the same change.
	var jbuilds []jt.Build
	for i, d := range durations {
		jbuilds = append(jbuilds, jt.Build{Number: int64(i + 1), Started: start.Add(time.Duration(i) * day),
			Duration: time.Duration(d) * time.Second, Result: result(i), Queued: 15 * time.Second,
			Params: []jt.Param{{Name: "GERRIT_PROJECT", Value: "core/lib"}, {Name: "GERRIT_CHANGE_NUMBER", Value: "501"}, {Name: "GERRIT_PATCHSET_NUMBER", Value: "1"}}})
	}
	jsrv := jt.New("u", "tok", &jt.Item{Name: "ci", Items: []*jt.Item{{Name: "unit", Builds: jbuilds}}})
	defer jsrv.Close()
	jc, err := jenkins.New(jenkins.Options{Name: "jenkins", URL: jsrv.URL(), Username: "u", Token: "tok", Backoff: time.Millisecond, Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}

	// GitHub Actions: a workflow run a day for pull request 7.
	repo := &ght.Repo{Owner: &ght.User{Login: "acme", ID: 9001, Type: "Organization"}, Name: "widgets", ID: 77001}
	for i, d := range durations {
		created := start.Add(time.Duration(i) * day)
		repo.Runs = append(repo.Runs, &ght.Run{ID: int64(100 + i), Name: "CI", Attempt: 1, Event: "pull_request",
			Status: "completed", Conclusion: lower(result(i)), Created: created, Started: created,
			Updated: created.Add(time.Duration(d+20) * time.Second), Pulls: []int{7},
			Jobs: []ght.Job{{ID: int64(1000 + i), Name: "test", Attempt: 1, Status: "completed", Conclusion: lower(result(i)),
				Created: created, Started: created.Add(20 * time.Second), Completed: created.Add(time.Duration(d+20) * time.Second)}}})
	}
	hsrv := ght.New("ghtok", repo)
	defer hsrv.Close()
	hc, err := github.NewActions(github.Options{Name: "github", Owner: "acme", Repos: []string{"widgets"}, Token: "ghtok",
		BaseURL: hsrv.URL(), Backoff: time.Millisecond, Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []collectors.Collector{gc, jc, hc} {
		for range 2 { // collecting twice must not double anything
			st, err := c.Collect(ctx, collectors.Window{From: start.Add(-day)}, s)
			if err != nil {
				t.Fatalf("%s: %v", c.Name(), err)
			}
			if st.Builds != len(durations) {
				t.Errorf("%s stored %d builds, want %d", c.Name(), st.Builds, len(durations))
			}
		}
	}
	if _, err := s.Compute(ctx, ComputeOptions{Bots: map[string]metrics.Bots{}, NewcomerDays: 90,
		Spike: metrics.SpikeConfig{Ratio: 1.5, FloorS: 120, WindowDays: 14, MinBuilds: 5}, Now: end}); err != nil {
		t.Fatal(err)
	}

	type row struct {
		source, system, pipeline, job, result string
		number                                int64
		patchset                              int32
		builds                                uint64
		total, spikes                         int64
		queued                                *int64
	}
	rows, err := s.conn.Query(ctx, `SELECT source, system, any(pipeline), any(job), max(number), max(patchset),
		count(), toInt64(assumeNotNull(sum(duration_s))), toInt64(sum(is_spike)), min(queued_s)
		FROM builds GROUP BY source, system ORDER BY system`)
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.source, &r.system, &r.pipeline, &r.job, &r.number, &r.patchset, &r.builds, &r.total, &r.spikes, &r.queued); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	rows.Close()
	sum := 0
	for _, d := range durations {
		sum += d
	}
	want := []struct {
		source, system, pipeline, job string
		number                        int64
		patchset                      int32
		queued                        *int64
	}{
		{"github", collectors.SystemGitHubActions, "CI", "test", 7, 0, ptr(20)},
		{"jenkins", collectors.SystemJenkins, "ci", "ci/unit", 501, 1, ptr(15)},
		{"gerrit", collectors.SystemZuul, "check", "tox-py312", 501, 1, nil},
	}
	if len(got) != len(want) {
		t.Fatalf("builds per system: %+v", got)
	}
	for i, w := range want {
		g := got[i]
		if g.source != w.source || g.system != w.system || g.pipeline != w.pipeline || g.job != w.job || g.number != w.number ||
			g.patchset != w.patchset || g.builds != uint64(len(durations)) || g.total != int64(sum) || g.spikes != 1 ||
			(g.queued == nil) != (w.queued == nil) || (g.queued != nil && *g.queued != *w.queued) {
			t.Errorf("%s builds: %+v (queued %v), want %+v", w.system, g, deref(g.queued), w)
		}
	}

	// build_spikes: the last build of each job, baseline 300 s (the median
	// of 290, 300, 300, 305, 310), ratio 3.
	srows, err := s.conn.Query(ctx, `SELECT system, result, finished_at, duration_s, baseline_median_s, ratio FROM build_spikes ORDER BY system`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for srows.Next() {
		var system, result string
		var finished time.Time
		var dur, base *int64
		var ratio *float64
		if err := srows.Scan(&system, &result, &finished, &dur, &base, &ratio); err != nil {
			t.Fatal(err)
		}
		n++
		last := start.Add(time.Duration(len(durations)-1) * day)
		if result != "FAILURE" || finished.Before(last) || finished.After(last.Add(time.Hour)) ||
			deref(dur) != int64(900) || deref(base) != int64(300) || ratio == nil || *ratio != 3 {
			t.Errorf("%s spike: %s %v duration %v baseline %v ratio %v", system, result, finished, deref(dur), deref(base), ratio)
		}
	}
	srows.Close()
	if n != 3 {
		t.Errorf("%d spikes in build_spikes, want one per system", n)
	}

	// build_daily: one row per system, job and day; the spike's day has
	// one build, failed, a spike.
	var days, failures, spikes uint64
	if err := s.conn.QueryRow(ctx, `SELECT count(), sum(failures), sum(spikes) FROM build_daily`).Scan(&days, &failures, &spikes); err != nil {
		t.Fatal(err)
	}
	if days != 3*uint64(len(durations)) || failures != 3 || spikes != 3 {
		t.Errorf("build_daily: %d rows, %d failures, %d spikes", days, failures, spikes)
	}
	var p50, p95, q50 *int64
	var rate *float64
	if err := s.conn.QueryRow(ctx, `SELECT p50_duration_s, p95_duration_s, failure_rate, queue_p50_s FROM build_daily
		WHERE system = 'jenkins' AND day = toDate('2024-05-11')`).Scan(&p50, &p95, &rate, &q50); err != nil {
		t.Fatal(err)
	}
	if deref(p50) != int64(900) || deref(p95) != int64(900) || rate == nil || *rate != 1 || deref(q50) != int64(15) {
		t.Errorf("jenkins on the spike's day: p50 %v p95 %v failure rate %v queue p50 %v", deref(p50), deref(p95), rate, deref(q50))
	}
}

func lower(s string) string {
	out := []byte(s)
	for i, c := range out {
		if 'A' <= c && c <= 'Z' {
			out[i] = c + 'a' - 'A'
		}
	}
	return string(out)
}

func ptr(v int64) *int64 { return &v }

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
