package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/codepace/codepace/keyresults"
	"github.com/codepace/codepace/keyresults/figure"
)

// runRecord stores values of manual targets (docs/definitions.md §18
// "Manual targets"): `record METRIC VALUE [--at DATE] [--note TEXT]` or
// `record --file FILE.csv`, flags before or after the arguments.
func runRecord(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("record")
	at := fs.String("at", "", "the day the value is for, 2006-01-02 (default: today, UTC)")
	note := fs.String("note", "", "a note kept with the value")
	file := fs.String("file", "", "a CSV file of metric,at,value[,note] lines (a header line is allowed)")
	pos, err := m.parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	var recs []keyresults.Record
	switch {
	case *file != "" && (len(pos) > 0 || *at != "" || *note != ""):
		return errors.New("record: --file takes no METRIC VALUE, --at or --note (they are columns of the file)")
	case *file != "":
		if recs, err = readRecordFile(*file); err != nil {
			return err
		}
	case len(pos) != 2:
		return fmt.Errorf("record: want METRIC VALUE (or --file FILE.csv), got %d arguments", len(pos))
	default:
		day := time.Now().UTC().Format(time.DateOnly)
		if *at != "" {
			day = *at
		}
		r, err := newRecord(pos[0], day, pos[1], *note)
		if err != nil {
			return fmt.Errorf("record: %w", err)
		}
		recs = []keyresults.Record{r}
	}
	if err := m.openMigrated(ctx); err != nil {
		return err
	}
	if err := m.checkManual(recs); err != nil {
		return err
	}
	if err := m.Store.Record(ctx, recs); err != nil {
		return err
	}
	for _, r := range recs {
		m.Log.Info("recorded", "metric", r.Metric, "at", r.At.Format(time.DateOnly), "value", r.Value)
	}
	// The key_results view shows the new value without waiting for the
	// next compute, once there is a compute to read figures from.
	if m.Store.HasCompute(ctx) {
		return m.writeKeyResults(ctx)
	}
	return nil
}

// newRecord checks and builds one value: metric a plain name, day a date
// (its 00:00 UTC), value a finite number.
func newRecord(metric, day, value, note string) (keyresults.Record, error) {
	metric = strings.TrimSpace(metric)
	if _, err := figure.Parse(metric); err == nil {
		return keyresults.Record{}, fmt.Errorf("%q is a computed figure: codepace computes it, there is nothing to record", metric)
	}
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(day))
	if err != nil {
		return keyresults.Record{}, fmt.Errorf("date %q: use a date like 2019-09-30", day)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return keyresults.Record{}, fmt.Errorf("value %q: want a number such as 3.8", value)
	}
	return keyresults.Record{Metric: metric, At: d, Value: v, Note: note}, nil
}

// readRecordFile reads metric,at,value[,note] lines; errors name the file
// and line.
func readRecordFile(path string) ([]keyresults.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("record --file: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.Comment = '#'
	var out []keyresults.Record
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(out) == 0 && strings.EqualFold(strings.TrimSpace(row[0]), "metric") {
			continue // the header
		}
		if len(row) < 3 || len(row) > 4 {
			return nil, fmt.Errorf("%s:%d: want metric,at,value[,note], got %d fields", path, line, len(row))
		}
		note := ""
		if len(row) == 4 {
			note = row[3]
		}
		rec, err := newRecord(row[0], row[1], row[2], note)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, rec)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no values (want metric,at,value[,note] lines)", path)
	}
	return out, nil
}

// checkManual refuses values for a metric no manual target of the config
// names, which is most likely a typo.
func (m *Main) checkManual(recs []keyresults.Record) error {
	var manual []string
	for _, t := range m.Config.Targets {
		if t.Manual {
			manual = append(manual, t.Metric)
		}
	}
	for _, r := range recs {
		if !slices.Contains(manual, r.Metric) {
			list := "none; add a target with manual: true first"
			if len(manual) > 0 {
				list = strings.Join(manual, ", ")
			}
			return fmt.Errorf("record: no manual target is named %q in %s (manual targets: %s)", r.Metric, m.configPath, list)
		}
	}
	return nil
}
