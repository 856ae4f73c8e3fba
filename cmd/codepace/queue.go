package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/codepace/codepace/metrics"
	"github.com/codepace/codepace/store"
)

// runQueue prints the review queue (docs/definitions.md §19): every change
// open and ready at the last compute, longest wait first, with its URL.
func runQueue(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("queue")
	var f store.QueueFilter
	fs.StringVar(&f.Source, "source", "", "only this source")
	fs.StringVar(&f.Project, "project", "", "only projects matching this glob (* matches any run of characters, / included)")
	fs.StringVar(&f.WaitingOn, "waiting-on", "", "only changes waiting on a reviewer or on their author: reviewer or author")
	fs.StringVar(&f.Cohort, "cohort", "", "only changes of new or ramped owners: new or ramped")
	fs.IntVar(&f.Limit, "limit", 0, "at most this many rows (0: all)")
	format := fs.String("format", "table", "output format: table, json or csv")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if err := checkQueueFlags(f, *format); err != nil {
		return err
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	rows, err := m.Store.Queue(ctx, f)
	if err != nil {
		return err
	}
	return writeQueue(m.Stdout, *format, rows)
}

func checkQueueFlags(f store.QueueFilter, format string) error {
	switch f.WaitingOn {
	case "", metrics.WaitingOnReviewer, metrics.WaitingOnAuthor:
	default:
		return fmt.Errorf("--waiting-on %q: use reviewer or author", f.WaitingOn)
	}
	switch f.Cohort {
	case "", metrics.CohortNew, metrics.CohortRamped:
	default:
		return fmt.Errorf("--cohort %q: use new or ramped", f.Cohort)
	}
	if f.Limit < 0 {
		return fmt.Errorf("--limit %d: use 0 (all) or a positive number", f.Limit)
	}
	switch format {
	case "table", "json", "csv":
	default:
		return fmt.Errorf("--format %q: use table, json or csv", format)
	}
	return nil
}

// queueColumns are the columns of the csv and table forms, as the view
// names them.
var queueColumns = []string{"source", "project", "number", "url", "subject", "owner", "owner_cohort",
	"ready_at", "patchset", "waiting_on", "waiting_since", "waiting_days"}

// writeQueue prints the rows: json is a list of objects with the view's
// columns, csv has them as header, table the same with the subject last.
func writeQueue(w io.Writer, format string, rows []store.QueueRow) error {
	switch format {
	case "json":
		if rows == nil {
			rows = []store.QueueRow{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(queueColumns); err != nil {
			return err
		}
		for _, r := range rows {
			if err := cw.Write(queueFields(r)); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WAITING ON\tDAYS\tSINCE\tSOURCE\tPROJECT\tNUMBER\tPS\tOWNER\tCOHORT\tURL\tSUBJECT")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", r.WaitingOn, r.WaitingDays,
			r.WaitingSince.Format("2006-01-02 15:04"), r.Source, r.Project, r.Number, r.Patchset, r.Owner,
			r.OwnerCohort, r.URL, r.Subject)
	}
	if len(rows) == 0 {
		fmt.Fprintln(tw, "(no change is open and ready; run compute first if this is unexpected)")
	}
	return tw.Flush()
}

// queueFields is a row as the csv writes it, in queueColumns' order.
func queueFields(r store.QueueRow) []string {
	ready := ""
	if !r.ReadyAt.IsZero() {
		ready = r.ReadyAt.Format(time.RFC3339)
	}
	return []string{r.Source, r.Project, strconv.FormatInt(r.Number, 10), r.URL, r.Subject, r.Owner, r.OwnerCohort,
		ready, strconv.Itoa(int(r.Patchset)), r.WaitingOn, r.WaitingSince.Format(time.RFC3339),
		strconv.FormatFloat(r.WaitingDays, 'f', 3, 64)}
}
