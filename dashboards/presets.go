package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// This file holds what every dashboard shares: the data source, the
// template variables and their SQL filters, panel presets, units and
// thresholds, and the layout helper.

// Units, as Grafana names them.
const (
	unitHours   = "h"
	unitDays    = "d"
	unitMinutes = "m"
	unitCount   = "short"
	unitRatio   = "percentunit"
	unitTime    = "dateTimeAsIsoNoDateIfToday"
	unitText    = "string"
	unitNone    = "none"
)

// Template variable names. Panels filter with $__conditionalAll, so that
// "All" costs nothing: the plugin replaces the whole condition by 1=1.
const (
	varSource   = "source"
	varProject  = "project"
	varCohort   = "cohort"
	varPipeline = "pipeline"
)

// in returns the filter of column on a multi-value variable: the plugin
// drops it (1=1) when All is selected, else the column must be one of the
// selected values, single-quoted by Grafana.
func in(column, variable string) string {
	return "$__conditionalAll(" + column + " IN (${" + variable + ":singlequote}), $" + variable + ")"
}

// Filters on the dashboard variables.
var (
	bySource   = in("source", varSource)
	byProject  = in("project", varProject)
	byCohort   = in("owner_cohort", varCohort)
	byPipeline = in("pipeline", varPipeline)
)

// where joins conditions with AND, one per line, as they read best in the
// SQL editor.
func where(conds ...string) string {
	return strings.Join(conds, "\n  AND ")
}

// variables are the template variables a dashboard offers.
type variables struct {
	project, cohort, pipeline bool
}

// sourceVariable lists every source that has data in any view (the
// catalog view lists those of the changes and builds: a DISTINCT over the
// builds view reads every build).
func sourceVariable(dsUID string) cog.Builder[dashboard.VariableModel] {
	return multiQueryVariable(dsUID, varSource, "Source",
		"Configured source names (the `source` column of every view).",
		`SELECT source FROM
(
    SELECT DISTINCT source FROM catalog
    UNION ALL SELECT DISTINCT source FROM collector_runs
)
GROUP BY source
ORDER BY source`)
}

// projectVariable lists the projects of the selected sources.
func projectVariable(dsUID string) cog.Builder[dashboard.VariableModel] {
	return multiQueryVariable(dsUID, varProject, "Project",
		"Gerrit projects (GitHub owner/repo) of the selected sources.",
		`SELECT DISTINCT project FROM catalog
WHERE `+bySource+`
ORDER BY project`)
}

// pipelineVariable lists the CI pipelines of the selected sources.
func pipelineVariable(dsUID string) cog.Builder[dashboard.VariableModel] {
	return multiQueryVariable(dsUID, varPipeline, "Pipeline",
		"CI pipelines (Zuul pipeline, e.g. check, gate) of the selected sources.",
		`SELECT DISTINCT pipeline FROM catalog
WHERE `+where("kind = 'build'", bySource, byProject)+`
ORDER BY pipeline`)
}

func allOption() dashboard.VariableOption {
	all, allValue := "All", "$__all"
	selected := true
	return dashboard.VariableOption{
		Selected: &selected,
		Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{all}},
		Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{allValue}},
	}
}

func multiQueryVariable(dsUID, name, label, desc, sql string) cog.Builder[dashboard.VariableModel] {
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Description(desc).
		Datasource(dsRef(dsUID)).
		Query(dashboard.StringOrMap{String: &sql}).
		Definition(sql).
		Multi(true).
		IncludeAll(true).
		AllowCustomValue(false).
		Current(allOption()).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).
		Sort(dashboard.VariableSortAlphabeticalAsc)
}

// cohortVariable selects owner cohorts (docs/definitions.md §11 owner_cohort).
func cohortVariable() cog.Builder[dashboard.VariableModel] {
	values := "new,ramped"
	opt := func(v string) dashboard.VariableOption {
		no := false
		return dashboard.VariableOption{Selected: &no,
			Text: dashboard.StringOrArrayOfString{String: &v}, Value: dashboard.StringOrArrayOfString{String: &v}}
	}
	return dashboard.NewCustomVariableBuilder(varCohort).
		Label("Cohort").
		Description("owner_cohort: `new` when the change was created at most newcomer_days after the owner's first change in that source, else `ramped`.").
		Values(dashboard.StringOrMap{String: &values}).
		Multi(true).
		IncludeAll(true).
		AllowCustomValue(false).
		Current(allOption()).
		Options([]dashboard.VariableOption{allOption(), opt("new"), opt("ramped")})
}

func dsRef(uid string) common.DataSourceRef {
	t := PluginID
	return common.DataSourceRef{Type: &t, Uid: &uid}
}

// step is one threshold: from value on, the color (nil value: the base).
type step struct {
	value *float64
	color string
}

func at(v float64, color string) step { return step{value: &v, color: color} }
func base(color string) step          { return step{color: color} }

func thresholds(steps ...step) cog.Builder[dashboard.ThresholdsConfig] {
	ts := make([]dashboard.Threshold, len(steps))
	for i, s := range steps {
		ts[i] = dashboard.Threshold{Value: s.value, Color: s.color}
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(ts)
}

// neutral thresholds color nothing in particular.
func neutral() cog.Builder[dashboard.ThresholdsConfig] { return thresholds(base("green")) }

// slowAfter colors durations: green, orange from warn on, red from bad on.
func slowAfter(warn, bad float64) cog.Builder[dashboard.ThresholdsConfig] {
	return thresholds(base("green"), at(warn, "orange"), at(bad, "red"))
}

// panel says what every panel has: a title, the definition it shows
// (docs/definitions.md, cited by section), a unit, the query and its size.
type panel struct {
	title string
	// desc cites the docs/definitions.md section the panel shows, and how.
	desc string
	unit string
	sql  string
	w, h uint32
}

func (p panel) query(dsUID string, f Format) *QueryBuilder {
	return NewQueryBuilder(dsUID, p.sql).Format(f)
}

// series is a time series panel of a long result: a time column first,
// then optional label columns, then values.
func series(dsUID string, p panel, th cog.Builder[dashboard.ThresholdsConfig]) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(p.title).
		Description(p.desc).
		Datasource(dsRef(dsUID)).
		WithTarget(p.query(dsUID, FormatTimeSeries)).
		Unit(p.unit).
		Min(0).
		Thresholds(th).
		Span(p.w).
		Height(p.h).
		LineWidth(2).
		FillOpacity(8).
		ShowPoints(common.VisibilityModeAuto).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
}

// bars is a time series panel drawn as bars, for counts per bucket.
func bars(dsUID string, p panel, th cog.Builder[dashboard.ThresholdsConfig]) *timeseries.PanelBuilder {
	return series(dsUID, p, th).
		DrawStyle(common.GraphDrawStyleBars).
		FillOpacity(70).
		ShowPoints(common.VisibilityModeNever)
}

// stacked stacks a panel's series.
func stacked() cog.Builder[common.StackingConfig] {
	return common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)
}

// single is a stat panel showing the last value of each numeric column;
// counts without decimals, durations with one.
func single(dsUID string, p panel, th cog.Builder[dashboard.ThresholdsConfig]) *stat.PanelBuilder {
	decimals := 1.0
	if p.unit == unitCount {
		decimals = 0
	}
	return stat.NewPanelBuilder().
		Title(p.title).
		Description(p.desc).
		Datasource(dsRef(dsUID)).
		WithTarget(p.query(dsUID, FormatTable)).
		Unit(p.unit).
		Decimals(decimals).
		Thresholds(th).
		Span(p.w).
		Height(p.h).
		ColorMode(common.BigValueColorModeValue).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValueAndName).
		NoValue("no data").
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false).Fields(""))
}

// grid is a table panel.
func grid(dsUID string, p panel, th cog.Builder[dashboard.ThresholdsConfig]) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Title(p.title).
		Description(p.desc).
		Datasource(dsRef(dsUID)).
		WithTarget(p.query(dsUID, FormatTable)).
		Unit(p.unit).
		Thresholds(th).
		Span(p.w).
		Height(p.h).
		Filterable(true).
		CellHeight(common.TableCellHeightSm)
}

// unitOf sets a table column's unit.
func unitOf(unit string) []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{{Id: "unit", Value: unit}}
}

// linkTo makes a table column a link; url may use ${__value.raw} or
// ${__data.fields.NAME}.
func linkTo(title, url string) []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{{Id: "links", Value: []map[string]any{
		{"title": title, "url": url, "targetBlank": true},
	}}}
}

// withUnit adds a unit to a column's properties.
func withUnit(props []dashboard.DynamicConfigValue, unit string) []dashboard.DynamicConfigValue {
	return append(props, dashboard.DynamicConfigValue{Id: "unit", Value: unit})
}

// board lays a dashboard out: rows and panels in reading order, with
// stable panel ids (1, 2, ... in order).
type board struct {
	b    *dashboard.DashboardBuilder
	next uint32
	errs []error
}

// newBoard starts a dashboard with the settings every codepace dashboard
// shares: UTC (the data is UTC and weeks are UTC Mondays), weeks starting
// on Monday, no auto refresh (the views change once per compute).
func newBoard(dsUID, uid, title, desc, from string, vars variables) *board {
	b := dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(desc).
		Tags([]string{"codepace"}).
		Timezone("utc").
		WeekStart("monday").
		Time(from, "now").
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(dashboard.NewDashboardLinkBuilder("codepace").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"codepace"}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true)).
		WithVariable(sourceVariable(dsUID))
	if vars.project {
		b.WithVariable(projectVariable(dsUID))
	}
	if vars.pipeline {
		b.WithVariable(pipelineVariable(dsUID))
	}
	if vars.cohort {
		b.WithVariable(cohortVariable())
	}
	return &board{b: b}
}

// row starts a row; the panels added after it belong to it.
func (d *board) row(title string) {
	d.next++
	d.b.WithRow(dashboard.NewRowBuilder(title).Id(d.next))
}

// add appends a panel with the next id.
func (d *board) add(p cog.Builder[dashboard.Panel]) {
	built, err := p.Build()
	if err != nil {
		d.errs = append(d.errs, err)
		return
	}
	d.next++
	id := d.next
	built.Id = &id
	d.b.WithPanel(builtPanel(built))
}

// annotate adds an annotation query.
func (d *board) annotate(a cog.Builder[dashboard.AnnotationQuery]) {
	d.b.Annotation(a)
}

func (d *board) build() (dashboard.Dashboard, error) {
	if len(d.errs) > 0 {
		return dashboard.Dashboard{}, fmt.Errorf("%v", d.errs)
	}
	return d.b.Build()
}

// builtPanel hands an already built panel to the dashboard builder.
type builtPanel dashboard.Panel

func (p builtPanel) Build() (dashboard.Panel, error) { return dashboard.Panel(p), nil }
