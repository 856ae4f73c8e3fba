package main

import (
	"testing"

	"github.com/codepace/codepace/collectors/sources"
	"github.com/codepace/codepace/config"
)

// TestOrganisationScoreboard: deploy/examples/key-results.yaml is a valid
// config whose targets are the organisation's key results (issue 13), in
// the README's order.
func TestOrganisationScoreboard(t *testing.T) {
	cfg, err := config.Load("../../deploy/examples/key-results.yaml", sources.Config())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		metric, cohort string
		goal           float64
		relative       bool
	}{
		{"newcomer_time_to_first_review_p50_days", "", -10, true},
		{"newcomer_time_to_first_merge_p50_days", "", -10, true},
		{"time_to_first_review_mean_hours", "ramped", -10, true},
		{"time_to_merge_mean_days", "ramped", -10, true},
		{"cycle_time_p50_days", "", -10, true},
		{"review_backlog_age_mean_days", "", -20, true},
		{"build_duration_mean_minutes", "", 7, false},
		{"build_spikes", "", -50, true},
		{"developer_satisfaction", "", 4, false},
	}
	if len(cfg.Targets) != len(want) {
		t.Fatalf("%d targets, want %d", len(cfg.Targets), len(want))
	}
	for i, w := range want {
		g := cfg.Targets[i]
		if g.Metric != w.metric || g.Filter.Cohort != w.cohort || g.Goal != w.goal || g.GoalRelative != w.relative {
			t.Errorf("target %d = %s %+v goal %v (relative %v), want %+v", i, g.Metric, g.Filter, g.Goal, g.GoalRelative, w)
		}
	}
	if c := cfg.Targets[4]; c.Baseline != 11.6 || c.HasBaselinePeriod() {
		t.Errorf("cycle time baseline %v", c.Baseline)
	}
	if b := cfg.Targets[5]; b.Baseline != 59.22 {
		t.Errorf("outstanding code review baseline %v", b.Baseline)
	}
	if m := cfg.Targets[8]; !m.Manual || m.Baseline != 3.8 {
		t.Errorf("developer satisfaction %+v", m)
	}
}
