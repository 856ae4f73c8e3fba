// Command gen writes the JSON of codepace's dashboards into
// dashboards/generated, one file per dashboard, and the alert rules'
// provisioning file into deploy/grafana/provisioning/alerting. `go generate ./dashboards/...`
// runs it from the dashboards directory; the drift test in package
// dashboards fails when the committed files differ from what it writes.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/codepace/codepace/dashboards"
)

func main() {
	out := flag.String("out", "generated", "directory to write the dashboards' JSON into")
	alerting := flag.String("alerting", dashboards.AlertingFile, "file to write the alert rules' provisioning YAML into")
	flag.Parse()
	if err := run(*out, *alerting); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out, alerting string) error {
	rules, err := dashboards.AlertRulesFile(dashboards.DefaultFolderTitle, dashboards.DataSourceUID)
	if err != nil {
		return err
	}
	if err := os.WriteFile(alerting, rules, 0o644); err != nil {
		return err
	}
	boards, err := dashboards.Build(dashboards.Options{})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, d := range boards {
		b, err := d.JSON()
		if err != nil {
			return err
		}
		keep[d.File], keep[d.LayoutFile()] = true, true
		if err := os.WriteFile(filepath.Join(out, d.File), b, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, d.LayoutFile()), d.LayoutSVG(), 0o644); err != nil {
			return err
		}
	}
	// A dashboard removed from the code leaves no stale file behind.
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	for _, e := range entries {
		generated := strings.HasSuffix(e.Name(), ".json") || strings.HasSuffix(e.Name(), ".svg")
		if generated && !keep[e.Name()] {
			if err := os.Remove(filepath.Join(out, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
