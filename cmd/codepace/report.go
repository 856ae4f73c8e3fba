package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/codepace/codepace/keyresults"
	"github.com/codepace/codepace/keyresults/page"
)

// runReport prints the key-result scoreboard (docs/definitions.md §18).
func runReport(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("report")
	format := fs.String("format", "table", "output format: table, json, csv or html (one self-contained page)")
	at := fs.String("at", "", "evaluate at the end of this day, 2006-01-02 (default: now)")
	weeks := fs.Int("weeks", keyresults.DefaultWeeks, "weekly trend points")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	switch *format {
	case "table", "json", "csv", "html":
	default:
		return fmt.Errorf("--format %q: use table, json, csv or html", *format)
	}
	if *weeks < 1 || *weeks > 520 {
		return fmt.Errorf("--weeks %d: use 1 to 520", *weeks)
	}
	when := time.Now().UTC().Truncate(time.Second)
	if *at != "" {
		d, err := time.Parse(time.DateOnly, *at)
		if err != nil {
			return fmt.Errorf("--at %q: use a date like 2019-09-30", *at)
		}
		when = d.AddDate(0, 0, 1) // the end of that day: --at includes it
	}
	if err := m.openMigrated(ctx); err != nil {
		return err
	}
	if len(m.Config.Targets) == 0 {
		m.Log.Warn("no targets in the config: the scoreboard is empty (see `targets` in the README)")
	}
	results, err := keyresults.Evaluate(ctx, m.Store, m.Config, when, *weeks)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		return keyresults.WriteJSON(m.Stdout, results)
	case "csv":
		return keyresults.WriteCSV(m.Stdout, results)
	case "html":
		return page.Write(m.Stdout, when, results)
	}
	return keyresults.WriteTable(m.Stdout, results)
}

// storedWeeks is how many weekly trend points compute stores in key_results
// and puts on the daemon's page: a quarter, so the Key results dashboard's
// trend panels show more than report's default four points.
const storedWeeks = 13

// writeKeyResults evaluates the scoreboard now and stores it for the
// key_results view; nothing without targets.
func (m *Main) writeKeyResults(ctx context.Context) error {
	if len(m.Config.Targets) == 0 {
		return nil
	}
	now := time.Now().UTC().Truncate(time.Second)
	results, err := keyresults.Evaluate(ctx, m.Store, m.Config, now, storedWeeks)
	if err != nil {
		return fmt.Errorf("key results: %w", err)
	}
	if err := m.Store.WriteKeyResults(ctx, uint64(time.Now().UnixNano()), results); err != nil {
		return err
	}
	if m.reportHTML != "" {
		if err := writeReportHTML(m.reportHTML, now, results); err != nil {
			return err
		}
	}
	counts := map[keyresults.Status]int{}
	for _, r := range results {
		counts[r.Status]++
	}
	m.Log.Info("key results", "targets", len(results), "met", counts[keyresults.Met], "on_track", counts[keyresults.OnTrack],
		"behind", counts[keyresults.Behind], "no_data", counts[keyresults.NoData])
	return nil
}

// parseInterleaved parses a verb's flags wherever they stand among its
// arguments (`record x 3 --at D` and `record --at D x 3` alike) and returns
// the arguments in order. After "--" everything is an argument; an
// argument that reads as a number (-0.5) is never taken for a flag.
func (m *Main) parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if _, err := strconv.ParseFloat(a, 64); !strings.HasPrefix(a, "-") || err == nil {
			pos = append(pos, a)
			continue
		}
		flagArgs := []string{a}
		name := strings.TrimLeft(a, "-")
		if f := fs.Lookup(name); f != nil && !strings.Contains(name, "=") && !isBoolFlag(f) && i+1 < len(args) {
			i++
			flagArgs = append(flagArgs, args[i])
		}
		if err := fs.Parse(flagArgs); err != nil {
			return nil, errUsage
		}
	}
	return pos, nil
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
