package dashboards

import (
	"errors"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// PluginID is the Grafana plugin id of the ClickHouse data source the
// dashboards are written for.
const PluginID = "grafana-clickhouse-datasource"

// pluginVersion marks the queries as the plugin's v4 model, so the plugin
// takes them as they are instead of migrating them from its v3 shape.
const pluginVersion = "4.0.0"

// Format is how the ClickHouse plugin shapes a query's result
// (the plugin's `format` field).
type Format int

// Formats of the ClickHouse plugin's query model.
const (
	// FormatTimeSeries turns a long result (time, labels..., values...)
	// sorted by time into one series per label combination.
	FormatTimeSeries Format = 0
	// FormatTable keeps the result as a table.
	FormatTable Format = 1
)

// queryType is the plugin's `queryType` for a format: what the SQL editor
// shows the result as.
func (f Format) queryType() string {
	if f == FormatTimeSeries {
		return "timeseries"
	}
	return "table"
}

// Query is one query of the grafana-clickhouse-datasource plugin in SQL
// editor mode. The Grafana Foundation SDK has no type for this third-party
// plugin; Query implements its data query variant so panels, annotations
// and alert rules can carry it.
type Query struct {
	RefID         string                `json:"refId"`
	Hide          *bool                 `json:"hide,omitempty"`
	Datasource    *common.DataSourceRef `json:"datasource,omitempty"`
	EditorType    string                `json:"editorType"`
	PluginVersion string                `json:"pluginVersion,omitempty"`
	QueryType     string                `json:"queryType"`
	Format        Format                `json:"format"`
	// RawSQL is the query, with the plugin's macros ($__timeFilter,
	// $__conditionalAll, ...) and Grafana template variables.
	RawSQL string `json:"rawSql"`
}

// ImplementsDataqueryVariant marks Query as a data query.
func (Query) ImplementsDataqueryVariant() {}

// DataqueryType returns the plugin id.
func (Query) DataqueryType() string { return PluginID }

// Equals reports whether other is the same query.
func (q Query) Equals(other variants.Dataquery) bool {
	o, ok := other.(Query)
	if !ok {
		return false
	}
	hide := func(h *bool) bool { return h != nil && *h }
	ref := func(r *common.DataSourceRef) (string, string) {
		if r == nil {
			return "", ""
		}
		var t, u string
		if r.Type != nil {
			t = *r.Type
		}
		if r.Uid != nil {
			u = *r.Uid
		}
		return t, u
	}
	qt, qu := ref(q.Datasource)
	ot, ou := ref(o.Datasource)
	return q.RefID == o.RefID && hide(q.Hide) == hide(o.Hide) && qt == ot && qu == ou &&
		q.EditorType == o.EditorType && q.PluginVersion == o.PluginVersion &&
		q.QueryType == o.QueryType && q.Format == o.Format && q.RawSQL == o.RawSQL
}

// Validate checks that the query can run.
func (q Query) Validate() error {
	var errs cog.BuildErrors
	if q.RawSQL == "" {
		errs = append(errs, cog.MakeBuildErrors("rawSql", errors.New("must not be empty"))...)
	}
	if q.Format != FormatTimeSeries && q.Format != FormatTable {
		errs = append(errs, cog.MakeBuildErrors("format", errors.New("must be 0 (time series) or 1 (table)"))...)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

var _ cog.Builder[variants.Dataquery] = (*QueryBuilder)(nil)

// QueryBuilder builds a Query for panels, annotations and variables.
type QueryBuilder struct {
	q Query
}

// querySettings ends every panel, annotation and alert query.
//
// ClickHouse 18.16 does not push the conditions of a query into the views
// it reads unless enable_optimize_predicate_expression is set (current
// releases set it by default): a panel over 90 days of builds would read
// every build of the newest generation (about 3M at 200,000 changes) and
// only then filter, several times slower (BENCHMARKS.md). With it the
// conditions reach the *_data table and its PREWHERE.
//
// The data source's user may set it: on 18.16 it must already be allowed
// to change settings (readonly 0 or 2), as the plugin sets
// max_execution_time on every query; current releases accept a setting
// given its current value even under readonly = 1.
const querySettings = "\nSETTINGS enable_optimize_predicate_expression = 1"

// NewQueryBuilder starts a SQL query on the data source with uid dsUID;
// querySettings is appended to sql.
func NewQueryBuilder(dsUID, sql string) *QueryBuilder {
	t, u := PluginID, dsUID
	return &QueryBuilder{q: Query{
		RefID:         "A",
		Datasource:    &common.DataSourceRef{Type: &t, Uid: &u},
		EditorType:    "sql",
		PluginVersion: pluginVersion,
		QueryType:     FormatTable.queryType(),
		Format:        FormatTable,
		RawSQL:        sql + querySettings,
	}}
}

// RefID sets the query's reference id (A, B, ...).
func (b *QueryBuilder) RefID(id string) *QueryBuilder {
	b.q.RefID = id
	return b
}

// Format sets how the result is shaped, and the matching queryType.
func (b *QueryBuilder) Format(f Format) *QueryBuilder {
	b.q.Format = f
	b.q.QueryType = f.queryType()
	return b
}

// Build returns the query; errors are cog.BuildErrors, as the SDK's
// builders expect.
func (b *QueryBuilder) Build() (variants.Dataquery, error) {
	if err := b.q.Validate(); err != nil {
		return nil, cog.MakeBuildErrors("clickhouse.query", err)
	}
	return b.q, nil
}
