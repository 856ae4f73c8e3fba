package keyresults

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON writes the results as an indented JSON list (the fields of a
// target that docs/definitions.md §18 defines, and more; see Result).
func WriteJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}

// WriteTable writes the results as an aligned table for a terminal.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	weeks := 0
	if len(results) > 0 {
		weeks = len(results[0].Trend)
	}
	fmt.Fprintf(tw, "METRIC\tFILTER\tSTATUS\tCURRENT\tN\t95%% INTERVAL\tEXPECTED\tBASELINE\tGOAL\tDUE\tTREND (%d weeks)\n", weeks)
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Metric, orDash(r.Filter.String()), r.Status,
			Format(r.Current), formatN(r.N), interval(r.CILow, r.CIHigh), Format(r.Expected), Format(r.Baseline),
			Format(r.Goal), r.Due, trendText(r.Trend, Format))
	}
	return tw.Flush()
}

// WriteCSV writes the results as CSV, values in full precision, empty when
// null; the trend is its values joined by semicolons.
func WriteCSV(w io.Writer, results []Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"metric", "filter", "status", "on_track", "current", "n", "ci_low", "ci_high", "expected",
		"baseline", "goal", "start", "due", "trend"})
	for _, r := range results {
		track := ""
		if r.OnTrack != nil {
			track = strconv.FormatBool(*r.OnTrack)
		}
		cw.Write([]string{r.Metric, r.Filter.String(), string(r.Status), track, full(r.Current), formatN(r.N),
			full(r.CILow), full(r.CIHigh), full(r.Expected), full(r.Baseline), full(r.Goal),
			r.Start.Format(time.RFC3339), r.Due, trendText(r.Trend, full)})
	}
	cw.Flush()
	return cw.Error()
}

// Format shows a value for people: "-" when null, whole numbers from 100,
// else two decimals.
func Format(v *float64) string {
	if v == nil {
		return "-"
	}
	if math.Abs(*v) >= 100 {
		return strconv.FormatFloat(*v, 'f', 0, 64)
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

func full(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func formatN(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func interval(lo, hi *float64) string {
	if lo == nil || hi == nil {
		return "-"
	}
	return Format(lo) + "–" + Format(hi)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func trendText(trend []Point, f func(*float64) string) string {
	parts := make([]string, len(trend))
	for i, p := range trend {
		parts[i] = f(p.Value)
	}
	sep := " → "
	if f(nil) == "" { // CSV: null is empty, so the separator cannot be a space
		sep = ";"
	}
	return strings.Join(parts, sep)
}
