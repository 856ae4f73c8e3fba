package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/codepace/codepace/keyresults/figure"
)

// runFigures lists every measure, statistic, unit and filter a target's
// figure name can combine (docs/definitions.md §18); it needs no config.
func runFigures(_ context.Context, m *Main, args []string) error {
	if err := m.parse(m.flagSet("figures"), args); err != nil {
		return err
	}
	w := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "Figure names are MEASURE_STAT_UNIT for measures with a value per item, and MEASURE for counts.")
	fmt.Fprintln(w, "\nMEASURE\tNAME\tFILTERS\tDEFINITION")
	for _, ms := range figure.Measures() {
		name := ms.Name + "_STAT_" + strings.Join(figure.UnitsOf(ms.Kind), "|")
		if ms.Kind == figure.Count {
			name = ms.Name + " (count)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", ms.Name, name, strings.Join(ms.FilterNames(), ","), ms.Text)
	}
	fmt.Fprintln(w, "\nSTAT\tDEFINITION")
	for _, s := range figure.Stats {
		fmt.Fprintf(w, "%s\t%s\n", s.Name, s.Text)
	}
	fmt.Fprintln(w, "\nUNIT\tDEFINITION")
	for _, u := range figure.Units {
		text := fmt.Sprintf("%g seconds", u.Seconds)
		switch u.Name {
		case "seconds":
			text = "the stored unit of durations"
		case "count":
			text = "a count per item (review_rounds)"
		}
		fmt.Fprintf(w, "%s\t%s\n", u.Name, text)
	}
	fmt.Fprintln(w, "\nFILTER\tDEFINITION")
	for _, f := range figure.Filters {
		fmt.Fprintf(w, "%s\t%s\n", f.Name, f.Text)
	}
	fmt.Fprintln(w, "\nFIRST-VERSION NAME\tSAME AS")
	for _, a := range figure.Aliases() {
		fmt.Fprintf(w, "%s\t%s\n", a[0], a[1])
	}
	fmt.Fprintln(w, "\nA current value is the figure over the 28 days before the report's instant; see docs/definitions.md §18.")
	fmt.Fprintln(w, "Manual targets (manual: true) take any other name; their values come from `codepace record`.")
	return w.Flush()
}
