// Package figure is the registry of the figures a key result can track
// (docs/definitions.md §18): the measures, the statistics and units a
// figure name combines, the filters each measure takes, and the SQL that
// reads a measure's values from the documented views.
//
// A figure name is MEASURE_STAT_UNIT for a measure with one value per item
// (time_to_merge_mean_days, time_to_first_review_p90_hours) and MEASURE for
// a count (changes_merged, build_spikes). Adding a measure is adding one
// entry to measures.
package figure

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/codepace/codepace/internal/typo"
)

// Kind says how a measure's items make a figure.
type Kind int

const (
	// Duration measures have one duration per item, stored in seconds;
	// their figures are MEASURE_STAT_UNIT with a time unit.
	Duration Kind = iota
	// Number measures have one count per item (review_rounds); their
	// figures are MEASURE_STAT_count.
	Number
	// Count measures count items: their figure is the measure's name.
	Count
)

// Filter names, as a target's `filter:` writes them.
const (
	Source   = "source"
	Project  = "project"
	Cohort   = "cohort"
	Team     = "team"
	System   = "system"
	Pipeline = "pipeline"
	Job      = "job"
)

// Filters lists every filter with its definition, in the order
// `codepace figures` shows them.
var Filters = []Definition{
	{Source, "a configured source's name (the source column)"},
	{Project, "a project or repository; may be a glob where * matches any run of characters, / included, and ? one character (mediawiki/extensions/*)"},
	{Cohort, "the change owner's cohort, new or ramped (docs/definitions.md §11)"},
	{Team, "the team of the change owner or newcomer: the team: of their entry under people:; an owner no person maps to is in no team"},
	{System, "the CI system of a build: zuul, jenkins, github-actions, gitlab-ci"},
	{Pipeline, "the pipeline of a build (gate, check, a GitHub workflow's event, ...)"},
	{Job, "the job of a build"},
}

// Definition is a name with what it means.
type Definition struct {
	Name, Text string
}

// Stat is a statistic over a period's values.
type Stat struct {
	Name string
	// Quantile is p for a quantile statistic (the value at 0-based
	// position ⌊p·n⌋ of the sorted values, docs/definitions.md §17); 0
	// for the mean; 1 for the maximum.
	Quantile float64
	Text     string
}

// Stats are the statistics of MEASURE_STAT_UNIT.
var Stats = []Stat{
	{"mean", 0, "arithmetic mean; 95% interval mean ± 1.959964·s/√n, none for n < 2"},
	{"p50", 0.5, "median: the value at 0-based position ⌊0.5·n⌋ of the sorted values (the upper median for even n); distribution-free 95% interval, none for n < 5"},
	{"p75", 0.75, "75th percentile, position ⌊0.75·n⌋; distribution-free 95% interval, none for n < 5"},
	{"p90", 0.9, "90th percentile, position ⌊0.9·n⌋; distribution-free 95% interval, none for n < 5"},
	{"p95", 0.95, "95th percentile, position ⌊0.95·n⌋; distribution-free 95% interval, none for n < 5"},
	{"max", 1, "largest value; distribution-free 95% interval, none for n < 5"},
}

// Unit is what a figure's values are shown in.
type Unit struct {
	Name string
	// Seconds is how many of the measure's stored units make one.
	Seconds float64
}

// Units are the units of MEASURE_STAT_UNIT; count is for Number measures
// only, the others for Duration measures only.
var Units = []Unit{{"seconds", 1}, {"minutes", 60}, {"hours", 3600}, {"days", 86400}, {"count", 1}}

// Measure is one row of the figure table of docs/definitions.md §18.
type Measure struct {
	Name string
	Kind Kind
	// Text is the definition `codepace figures` prints.
	Text string
	// View is the documented view the items come from.
	View string
	// Value is the SQL expression of an item's value (seconds for a
	// Duration, the count for a Number); empty for a Count.
	Value string
	// Period is the column that places an item in a period
	// (docs/definitions.md §17). Empty for AtInstant measures.
	Period string
	// AtInstant measures are taken at the instant that ends the period
	// (24:00 UTC of its last day) rather than over it; their View then has
	// the columns from_at and to_at (an item counts when from_at <= t and
	// to_at is null or after t) and Value may use the placeholder {t}.
	AtInstant bool
	// Where is a fixed condition on the items.
	Where string
	// Columns maps each filter the measure takes to its column (Team:
	// the column holding the person's name).
	Columns map[string]string
}

// Takes reports whether the measure can be filtered by filter.
func (m *Measure) Takes(filter string) bool {
	_, ok := m.Columns[filter]
	return ok
}

// FilterNames lists the filters the measure takes, in Filters' order.
func (m *Measure) FilterNames() []string {
	var out []string
	for _, f := range Filters {
		if m.Takes(f.Name) {
			out = append(out, f.Name)
		}
	}
	return out
}

// changeColumns, newcomerColumns and buildColumns are the filters of the
// three kinds of items.
var (
	changeColumns   = map[string]string{Source: "source", Project: "project", Cohort: "owner_cohort", Team: "owner_person"}
	newcomerColumns = map[string]string{Source: "source", Team: "if(startsWith(person_id, 'person:'), substring(person_id, 8), '')"}
	buildColumns    = map[string]string{Source: "source", Project: "project", System: "system", Pipeline: "pipeline", Job: "job"}
)

// humanMerged holds the merged changes of human owners.
const humanMerged = "owner_is_bot = 0 AND merged_at IS NOT NULL"

// measures is the registry, in docs/definitions.md §18's order.
var measures = []*Measure{
	{Name: "time_to_first_review", Kind: Duration, View: "change_metrics", Value: "time_to_first_review_s", Period: "first_review_at",
		Where: "owner_is_bot = 0 AND time_to_first_review_s IS NOT NULL", Columns: changeColumns,
		Text: "time_to_first_review_s (first_review_at − ready_at, §6) of each change of a human owner whose first review falls in the period"},
	{Name: "time_to_merge", Kind: Duration, View: "change_metrics", Value: "time_to_merge_s", Period: "merged_at",
		Where: humanMerged + " AND time_to_merge_s IS NOT NULL", Columns: changeColumns,
		Text: "time_to_merge_s (merged_at − ready_at, §8) of each change of a human owner merged in the period"},
	{Name: "cycle_time", Kind: Duration, View: "change_metrics", Value: "cycle_time_s", Period: "merged_at",
		Where: humanMerged + " AND cycle_time_s IS NOT NULL", Columns: changeColumns,
		Text: "cycle_time_s (merged_at − min(created_at, author date), §9) of each change of a human owner merged in the period"},
	{Name: "review_rounds", Kind: Number, View: "change_metrics", Value: "review_rounds", Period: "merged_at",
		Where: humanMerged, Columns: changeColumns,
		Text: "review_rounds (revisions uploaded after the first review, §10) of each change of a human owner merged in the period"},
	{Name: "newcomer_time_to_first_review", Kind: Duration, View: "newcomers", Value: "time_to_first_review_s", Period: "first_review_at",
		Where: "time_to_first_review_s IS NOT NULL", Columns: newcomerColumns,
		Text: "each newcomer's time to first review on their first change (§12), by when that review came"},
	{Name: "newcomer_time_to_first_merge", Kind: Duration, View: "newcomers", Value: "time_to_first_merge_s", Period: "first_merge_at",
		Where: "time_to_first_merge_s IS NOT NULL", Columns: newcomerColumns,
		Text: "each newcomer's time from their first change's creation to their first merge (§12), by when that merge came"},
	{Name: "review_backlog_age", Kind: Duration, View: "review_backlog_changes", Value: "toInt64({t}) - toInt64(ready_at)", AtInstant: true,
		Columns: changeColumns,
		Text:    "the age since ready_at of each change open and ready at 24:00 UTC of the period's last day (§13)"},
	{Name: "build_duration", Kind: Duration, View: "builds", Value: "duration_s", Period: "finished_at",
		Where: "duration_s IS NOT NULL", Columns: buildColumns,
		Text: "duration_s of each build (CI job run, §14) finished in the period, every result included"},
	{Name: "build_queue", Kind: Duration, View: "builds", Value: "queued_s", Period: "finished_at",
		Where: "queued_s IS NOT NULL", Columns: buildColumns,
		Text: "queued_s of each build finished in the period whose queue time is known"},
	{Name: "review_backlog_open", Kind: Count, View: "review_backlog_changes", AtInstant: true, Columns: changeColumns,
		Text: "changes open and ready at 24:00 UTC of the period's last day (§13)"},
	{Name: "changes_merged", Kind: Count, View: "change_metrics", Period: "merged_at", Where: humanMerged, Columns: changeColumns,
		Text: "changes of human owners merged in the period"},
	{Name: "newcomers", Kind: Count, View: "newcomers", Period: "first_change_at", Columns: newcomerColumns,
		Text: "people whose first change in a source was created in the period (§12)"},
	{Name: "builds", Kind: Count, View: "builds", Period: "finished_at", Columns: buildColumns,
		Text: "builds finished in the period"},
	{Name: "build_spikes", Kind: Count, View: "builds", Period: "finished_at", Where: "is_spike = 1", Columns: buildColumns,
		Text: "build spikes (§15) finished in the period"},
	// Whose turn and working time (§19).
	{Name: "review_backlog_waiting_on_reviewer", Kind: Count, View: "reviewer_waits", AtInstant: true, Columns: changeColumns,
		Text: "changes open and ready at 24:00 UTC of the period's last day that wait on a reviewer (§19)"},
	{Name: "reviewer_wait", Kind: Duration, View: "reviewer_waits", Value: "toInt64({t}) - toInt64(waiting_since)", AtInstant: true,
		Columns: changeColumns,
		Text:    "how long each change waiting on a reviewer at 24:00 UTC of the period's last day has waited, since its waiting_since (§19)"},
	{Name: "time_to_first_review_work", Kind: Duration, View: "change_metrics", Value: "time_to_first_review_work_s", Period: "first_review_at",
		Where: "owner_is_bot = 0 AND time_to_first_review_work_s IS NOT NULL", Columns: changeColumns,
		Text: "time_to_first_review_work_s (the working time between ready_at and first_review_at by the owner's calendar, §19) of each change of a human owner whose first review falls in the period"},
	{Name: "time_to_merge_work", Kind: Duration, View: "change_metrics", Value: "time_to_merge_work_s", Period: "merged_at",
		Where: humanMerged + " AND time_to_merge_work_s IS NOT NULL", Columns: changeColumns,
		Text: "time_to_merge_work_s (the working time between ready_at and merged_at, §19) of each change of a human owner merged in the period"},
	{Name: "cycle_time_work", Kind: Duration, View: "change_metrics", Value: "cycle_time_work_s", Period: "merged_at",
		Where: humanMerged + " AND cycle_time_work_s IS NOT NULL", Columns: changeColumns,
		Text: "cycle_time_work_s (the working time of cycle_time_s, §19) of each change of a human owner merged in the period"},
}

// aliases are first-version names that the grammar does not produce.
var aliases = map[string]string{
	"review_backlog_mean_age_days": "review_backlog_age_mean_days",
}

// Aliases returns the first-version names the grammar does not produce,
// each with the name it stands for, sorted.
func Aliases() [][2]string {
	var out [][2]string
	for a, full := range aliases {
		out = append(out, [2]string{a, full})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Measures returns the registry's measures in docs/definitions.md §18's
// order. Treat them as read-only.
func Measures() []*Measure { return measures }

// Figure is a parsed figure name.
type Figure struct {
	// Name is the name as written (an alias stays an alias).
	Name    string
	Measure *Measure
	// Stat and Unit are zero for a Count measure.
	Stat Stat
	Unit Unit
}

// IsCount reports whether the figure counts items (no n, no interval).
func (f Figure) IsCount() bool { return f.Measure.Kind == Count }

// Parse resolves a figure name. Its error says which part is wrong and
// lists the valid choices for it.
func Parse(name string) (Figure, error) {
	full := name
	if a, ok := aliases[name]; ok {
		full = a
	}
	var m *Measure
	for _, c := range measures {
		if (full == c.Name || strings.HasPrefix(full, c.Name+"_")) && (m == nil || len(c.Name) > len(m.Name)) {
			m = c
		}
	}
	if m == nil {
		return Figure{}, fmt.Errorf("unknown figure %q%s: a figure is MEASURE_STAT_UNIT or a count; measures: %s", name, hint(name), strings.Join(measureNames(), ", "))
	}
	f := Figure{Name: name, Measure: m}
	rest := strings.TrimPrefix(strings.TrimPrefix(full, m.Name), "_")
	if m.Kind == Count {
		if rest != "" {
			return Figure{}, fmt.Errorf("figure %q: %s is a count and takes no statistic or unit (write %s)", name, m.Name, m.Name)
		}
		return f, nil
	}
	stat, unit, _ := strings.Cut(rest, "_")
	units := unitNames(m.Kind)
	if rest == "" {
		return Figure{}, fmt.Errorf("figure %q: %s needs a statistic and a unit, as %s_%s_%s; statistics: %s; units: %s",
			name, m.Name, m.Name, Stats[0].Name, units[len(units)-1], strings.Join(statNames(), ", "), strings.Join(units, ", "))
	}
	found := false
	for _, s := range Stats {
		if s.Name == stat {
			f.Stat, found = s, true
		}
	}
	if !found {
		return Figure{}, fmt.Errorf("figure %q: unknown statistic %q; statistics: %s", name, stat, strings.Join(statNames(), ", "))
	}
	found = false
	for _, u := range Units {
		if u.Name == unit && slices.Contains(units, unit) {
			f.Unit, found = u, true
		}
	}
	if !found {
		return Figure{}, fmt.Errorf("figure %q: unknown unit %q for %s; units: %s", name, unit, m.Name, strings.Join(units, ", "))
	}
	return f, nil
}

// CheckFilter says whether the figure's measure takes filter, naming the
// filters it takes when not.
func (f Figure) CheckFilter(filter string) error {
	if f.Measure.Takes(filter) {
		return nil
	}
	known := false
	for _, d := range Filters {
		known = known || d.Name == filter
	}
	if !known {
		return fmt.Errorf("unknown filter %q; filters: %s", filter, strings.Join(filterNames(), ", "))
	}
	return fmt.Errorf("%s does not take the filter %s; it takes %s", f.Name, filter, strings.Join(f.Measure.FilterNames(), ", "))
}

// Names lists every figure name the grammar accepts (aliases included),
// sorted: for tab completion and suggestions.
func Names() []string {
	var out []string
	for _, m := range measures {
		if m.Kind == Count {
			out = append(out, m.Name)
			continue
		}
		for _, s := range Stats {
			for _, u := range unitNames(m.Kind) {
				out = append(out, m.Name+"_"+s.Name+"_"+u)
			}
		}
	}
	for a := range aliases {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// UnitsOf lists the unit names a measure kind takes.
func UnitsOf(k Kind) []string { return unitNames(k) }

func unitNames(k Kind) []string {
	switch k {
	case Number:
		return []string{"count"}
	case Duration:
		return []string{"seconds", "minutes", "hours", "days"}
	}
	return nil
}

// names lists the names of items.
func names[T any](items []T, name func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = name(it)
	}
	return out
}

func measureNames() []string { return names(measures, func(m *Measure) string { return m.Name }) }
func statNames() []string    { return names(Stats, func(s Stat) string { return s.Name }) }
func filterNames() []string  { return names(Filters, func(d Definition) string { return d.Name }) }

// hint suggests the nearest figure name, if one is near.
func hint(name string) string {
	if c := typo.Closest(name, Names()); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}
