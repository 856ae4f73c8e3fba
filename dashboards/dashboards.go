// Package dashboards owns codepace's Grafana side: the five dashboards of
// dashboards/README.md built as typed Go with the Grafana Foundation SDK, the
// JSON they generate (kept in generated/, one file per dashboard, regenerated
// by `go generate ./dashboards/...`), the alert rules, and the provisioning
// of the ClickHouse data source, folder, dashboards and alert rules through
// Grafana's HTTP API.
//
// Every panel queries the documented views (sql/README.md) through the
// grafana-clickhouse-datasource plugin, in SQL that runs on ClickHouse 18.16
// as well as on current releases.
package dashboards

//go:generate go run ./internal/gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/codepace/codepace/dashboards/internal/layout"
)

// Stable identifiers of what codepace provisions.
const (
	// DataSourceUID is the uid of the ClickHouse data source every panel
	// uses; both provisioning paths (API and files) create it with this uid.
	DataSourceUID = "codepace-clickhouse"
	// DataSourceName is its display name.
	DataSourceName = "codepace ClickHouse"
	// FolderUID is the uid of the folder holding the dashboards.
	FolderUID = "codepace"
	// DefaultFolderTitle is the folder's title in the committed files
	// (config grafana.folder sets it for `codepace provision`).
	DefaultFolderTitle = "codepace"
	// AlertingFile is where `go generate` writes the alert rules'
	// provisioning file, relative to this directory.
	AlertingFile = "../deploy/grafana/provisioning/alerting/codepace.yaml"

	UIDKeyResults      = "codepace-key-results"
	UIDCodeReview      = "codepace-code-review"
	UIDNewcomers       = "codepace-newcomers"
	UIDCI              = "codepace-ci"
	UIDCollectorHealth = "codepace-collector-health"
)

// Target is a key result the key results dashboard draws a row for, read
// from the view key_results where compute writes it: its metric and filter
// as that view holds them.
type Target struct {
	Metric string
	// Filter is the target's filter as key_results.filter writes it
	// (source=x cohort=new); empty for none.
	Filter string
	// Unit is the figure's unit (seconds, minutes, hours, days, count);
	// empty for a count or a manual metric.
	Unit string
	// Due is the due day.
	Due time.Time
}

// Options says how to build the dashboards.
type Options struct {
	// DataSourceUID overrides DataSourceUID (for tests).
	DataSourceUID string
	// Targets, when given, add a row per target to the key results
	// dashboard: its status and numbers, and its weekly trend with the
	// glide path and the goal. The committed JSON has none.
	Targets []Target
}

func (o Options) dsUID() string {
	if o.DataSourceUID != "" {
		return o.DataSourceUID
	}
	return DataSourceUID
}

// Dashboard is one built dashboard.
type Dashboard struct {
	// File is the name of its JSON file in generated/.
	File  string
	Model dashboard.Dashboard
}

// UID returns the dashboard's uid.
func (d Dashboard) UID() string { return *d.Model.Uid }

// Title returns the dashboard's title.
func (d Dashboard) Title() string { return *d.Model.Title }

// JSON returns the dashboard as indented JSON, as committed in generated/.
func (d Dashboard) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d.Model); err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", d.UID(), err)
	}
	return buf.Bytes(), nil
}

// LayoutFile is the name of the picture of its layout in generated/.
func (d Dashboard) LayoutFile() string { return strings.TrimSuffix(d.File, ".json") + ".svg" }

// LayoutSVG draws the dashboard's layout: its rows and panels at their
// grid positions, with their titles and kinds.
func (d Dashboard) LayoutSVG() []byte {
	var ps []layout.Panel
	for _, p := range d.Model.Panels {
		switch {
		case p.Panel != nil && p.Panel.GridPos != nil:
			g := p.Panel.GridPos
			note := ""
			if fc := p.Panel.FieldConfig; fc != nil && fc.Defaults.Unit != nil {
				note = unitNames[*fc.Defaults.Unit]
			}
			ps = append(ps, layout.Panel{Title: deref(p.Panel.Title), Type: p.Panel.Type, Note: note,
				X: int(g.X), Y: int(g.Y), W: int(g.W), H: int(g.H)})
		case p.RowPanel != nil && p.RowPanel.GridPos != nil:
			g := p.RowPanel.GridPos
			ps = append(ps, layout.Panel{Title: deref(p.RowPanel.Title), Type: "row",
				X: int(g.X), Y: int(g.Y), W: int(g.W), H: int(g.H)})
		}
	}
	return layout.SVG(d.Title(), ps)
}

// unitNames name the units in layout pictures; tables mix units.
var unitNames = map[string]string{unitHours: "hours", unitDays: "days", unitMinutes: "minutes",
	unitCount: "count", unitRatio: "share"}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Map returns the dashboard as a JSON object, the model Grafana's API takes.
func (d Dashboard) Map() (map[string]any, error) {
	b, err := d.JSON()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", d.UID(), err)
	}
	return m, nil
}

// Build builds the five dashboards, in the order dashboards/README.md lists
// them.
func Build(o Options) ([]Dashboard, error) {
	builders := []struct {
		file  string
		build func(Options) (dashboard.Dashboard, error)
	}{
		{"key-results.json", keyResults},
		{"code-review.json", codeReview},
		{"newcomers.json", newcomers},
		{"ci.json", ci},
		{"collector-health.json", collectorHealth},
	}
	var out []Dashboard
	for _, b := range builders {
		m, err := b.build(o)
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", b.file, err)
		}
		out = append(out, Dashboard{File: b.file, Model: m})
	}
	return out, nil
}
