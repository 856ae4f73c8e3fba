package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	gapi "github.com/grafana/grafana-api-golang-client"
	"gopkg.in/yaml.v3"
)

// Alert rules codepace provisions, in one rule group of the codepace folder.
const (
	// AlertGroup is the title of the rule group.
	AlertGroup = "codepace"
	// alertInterval is how often Grafana evaluates the group, in seconds.
	alertInterval = 600

	UIDAlertBuildSpikes    = "codepace-build-spikes"
	UIDAlertBacklogGrowing = "codepace-review-backlog-growing"
)

// backlogGrowthPct is the growth over two weeks, in percent, above which a
// backlog that grew in each of both weeks alerts.
const backlogGrowthPct = 10

// alertSpikesSQL counts per source and job the build spikes finished in the
// last 24 hours (docs/definitions.md §15 "Build spike"); one alert instance
// per job.
const alertSpikesSQL = `SELECT source, job, toFloat64(sum(is_spike)) AS spikes
FROM builds
WHERE finished_at > now() - INTERVAL 1 DAY
GROUP BY source, job
HAVING spikes > 0
ORDER BY source, job`

// alertBacklogSQL gives per source the growth of the review backlog
// (docs/definitions.md §13, open ready changes summed over projects) over the
// last two weeks in percent, when it grew in each of both weeks, else 0.
const alertBacklogSQL = `SELECT source,
    toFloat64(if(two_weeks_ago > 0 AND now_open > week_ago AND week_ago > two_weeks_ago,
        (now_open - two_weeks_ago) * 100 / two_weeks_ago, 0)) AS growth_pct
FROM
(
    SELECT source,
        sumIf(open_ready, day = toDate(now(), 'UTC')) AS now_open,
        sumIf(open_ready, day = toDate(now(), 'UTC') - 7) AS week_ago,
        sumIf(open_ready, day = toDate(now(), 'UTC') - 14) AS two_weeks_ago
    FROM review_backlog_daily
    WHERE day >= toDate(now(), 'UTC') - 14
    GROUP BY source
)
ORDER BY source`

// alertQuery is a ClickHouse query as an alert rule's data; Grafana fills
// intervalMs and maxDataPoints with these defaults when it stores a rule,
// so they are set here to keep re-provisioning a no-op.
func alertQuery(dsUID, sql string, lookback time.Duration) *gapi.AlertQuery {
	q := NewQueryBuilder(dsUID, sql).RefID("A").q
	var model map[string]any
	b, _ := json.Marshal(q) // a Query always marshals
	_ = json.Unmarshal(b, &model)
	model["intervalMs"] = 1000
	model["maxDataPoints"] = 43200
	return &gapi.AlertQuery{
		RefID:         "A",
		DatasourceUID: dsUID,
		QueryType:     q.QueryType,
		Model:         model,
		// gapi sends these as plain numbers, which Grafana reads as seconds.
		RelativeTimeRange: gapi.RelativeTimeRange{From: time.Duration(lookback.Seconds()), To: 0},
	}
}

// thresholdAbove is a server-side expression firing when A is above v.
func thresholdAbove(v float64) *gapi.AlertQuery {
	return &gapi.AlertQuery{
		RefID:         "B",
		DatasourceUID: "__expr__",
		Model: map[string]any{
			"refId":      "B",
			"type":       "threshold",
			"datasource": map[string]any{"type": "__expr__", "uid": "__expr__"},
			"expression": "A",
			"conditions": []any{map[string]any{"evaluator": map[string]any{"type": "gt", "params": []any{v}}}},
		},
	}
}

// AlertRules returns the rule group codepace provisions: build spikes in
// the last day, and a review backlog that keeps growing.
func AlertRules(folderUID, dsUID string) gapi.RuleGroup {
	return gapi.RuleGroup{
		Title:     AlertGroup,
		FolderUID: folderUID,
		Interval:  alertInterval,
		Rules: []gapi.AlertRule{
			{
				UID:          UIDAlertBuildSpikes,
				Title:        "Build spikes in the last day",
				FolderUID:    folderUID,
				RuleGroup:    AlertGroup,
				Condition:    "B",
				Data:         []*gapi.AlertQuery{alertQuery(dsUID, alertSpikesSQL, 24*time.Hour), thresholdAbove(0)},
				NoDataState:  gapi.NoDataOk,
				ExecErrState: gapi.ErrError,
				For:          "0s",
				Labels:       map[string]string{"codepace": "ci"},
				Annotations: map[string]string{
					"summary":     "{{ $labels.job }} ({{ $labels.source }}) had {{ $values.A.Value }} build spikes in the last day",
					"description": "A build spike is a finished build longer than both ratio × the median of the same job's successful builds of the preceding window_days and that median + floor_s (docs/definitions.md §15 \"Build spike\"). See the CI dashboard.",
				},
			},
			{
				UID:          UIDAlertBacklogGrowing,
				Title:        "Review backlog growing",
				FolderUID:    folderUID,
				RuleGroup:    AlertGroup,
				Condition:    "B",
				Data:         []*gapi.AlertQuery{alertQuery(dsUID, alertBacklogSQL, 15*24*time.Hour), thresholdAbove(backlogGrowthPct)},
				NoDataState:  gapi.NoDataOk,
				ExecErrState: gapi.ErrError,
				For:          "1h",
				Labels:       map[string]string{"codepace": "review"},
				Annotations: map[string]string{
					"summary":     "The review backlog of {{ $labels.source }} grew by {{ $values.A.Value }}% over two weeks, in each of both",
					"description": "Open ready changes (docs/definitions.md §13 \"Review backlog\") today against 7 and 14 days ago, summed over projects. See the code review dashboard.",
				},
			},
		},
	}
}

// AlertRulesFile returns the alert rules as a Grafana alerting provisioning
// file (provisioning/alerting/*.yaml), for Grafana run from config files:
// the same rules `codepace provision` creates through the API. folderTitle
// names the folder (Grafana finds or creates it by title).
func AlertRulesFile(folderTitle, dsUID string) ([]byte, error) {
	g := AlertRules(FolderUID, dsUID)
	type query struct {
		RefID             string         `yaml:"refId"`
		RelativeTimeRange map[string]int `yaml:"relativeTimeRange"`
		DatasourceUID     string         `yaml:"datasourceUid"`
		Model             any            `yaml:"model"`
	}
	type rule struct {
		UID          string            `yaml:"uid"`
		Title        string            `yaml:"title"`
		Condition    string            `yaml:"condition"`
		Data         []query           `yaml:"data"`
		NoDataState  string            `yaml:"noDataState"`
		ExecErrState string            `yaml:"execErrState"`
		For          string            `yaml:"for"`
		Annotations  map[string]string `yaml:"annotations"`
		Labels       map[string]string `yaml:"labels"`
	}
	type group struct {
		OrgID    int    `yaml:"orgId"`
		Name     string `yaml:"name"`
		Folder   string `yaml:"folder"`
		Interval string `yaml:"interval"`
		Rules    []rule `yaml:"rules"`
	}
	out := group{OrgID: 1, Name: g.Title, Folder: folderTitle, Interval: fmt.Sprintf("%ds", g.Interval)}
	for _, r := range g.Rules {
		fr := rule{UID: r.UID, Title: r.Title, Condition: r.Condition, NoDataState: string(r.NoDataState),
			ExecErrState: string(r.ExecErrState), For: r.For, Annotations: r.Annotations, Labels: r.Labels}
		for _, q := range r.Data {
			fr.Data = append(fr.Data, query{RefID: q.RefID, DatasourceUID: q.DatasourceUID, Model: normalize(q.Model),
				RelativeTimeRange: map[string]int{"from": int(q.RelativeTimeRange.From), "to": int(q.RelativeTimeRange.To)}})
		}
		out.Rules = append(out.Rules, fr)
	}
	var buf bytes.Buffer
	buf.WriteString("# Generated by `go generate ./dashboards/...` from dashboards/alerts.go; do not edit.\n")
	buf.WriteString("# Grafana alerting provisioning: the alert rules `codepace provision` creates through the API.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]any{"apiVersion": 1, "groups": []group{out}}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
