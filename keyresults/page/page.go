// Package page renders the key-result scoreboard (docs/definitions.md §18)
// as one self-contained HTML page: no script and no external asset (the
// style is inline, each chart an inline SVG), so that it can be mailed or
// served as a file. `codepace report --format html` prints it and the
// daemon writes it after each compute (daemon.report_html).
package page

import (
	"html/template"
	"io"
	"time"

	"github.com/codepace/codepace/keyresults"
)

// Write writes the scoreboard as of at (the results of keyresults.Evaluate
// at that instant) as an HTML document: a card per target with its status
// colour, current value with n and 95% interval, baseline → goal, the value
// expected now, the due date, and a chart of the weekly trend with the goal
// and the glide path.
func Write(w io.Writer, at time.Time, results []keyresults.Result) error {
	counts := map[string]int{}
	for _, r := range results {
		counts[string(r.Status)]++
	}
	return tmpl.Execute(w, struct {
		At      time.Time
		Results []keyresults.Result
		Counts  map[string]int
	}{at, results, counts})
}

// statusText is a status as the page words it.
var statusText = map[keyresults.Status]string{keyresults.Met: "Met", keyresults.OnTrack: "On track", keyresults.Behind: "Behind", keyresults.NoData: "No data"}

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"num":  keyresults.Format,
	"date": func(t time.Time) string { return t.Format(time.DateOnly) },

	"status": func(s keyresults.Status) string { return statusText[s] },
	"chart":  func(r keyresults.Result) template.HTML { return template.HTML(chart(r)) }, // numbers and escaped text only
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Key results as of {{date .At}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:24px;background:#f6f8fa;color:#1f2328}
h1{font-size:22px;margin:0 0 4px}
header p{margin:0 0 16px;color:#59636e}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:16px}
.card{background:#fff;border:1px solid #d1d9e0;border-left:8px solid var(--c);border-radius:6px;padding:12px 16px}
.card h2{font-size:16px;margin:0;word-break:break-all}
.filter{color:#59636e;font-size:13px;margin:2px 0 0}
.badge{display:inline-block;background:var(--c);color:#fff;border-radius:10px;padding:1px 10px;font-size:13px;font-weight:600;margin:8px 0 4px}
.current{margin:4px 0}
.current .value{font-size:28px;font-weight:600}
.ci{color:#59636e;font-size:13px}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:6px 0;font-size:14px}
dt{color:#59636e}
dd{margin:0}
.met{--c:#1a7f37}.on_track{--c:#0969da}.behind{--c:#cf222e}.no_data{--c:#818b98}
.chart{width:100%;height:auto;display:block;margin-top:6px}
.chart .plot{fill:#f6f8fa}
.chart .axis{font-size:10px;fill:#59636e}
.chart .goal{stroke:#1a7f37;stroke-width:1.5;stroke-dasharray:6 4}
.chart .glide{fill:none;stroke:#59636e;stroke-width:1.5;stroke-dasharray:2 3}
.chart .ci{stroke:var(--c);stroke-width:6;stroke-opacity:.25}
.chart .trend{fill:none;stroke:var(--c);stroke-width:2}
.chart .dot{fill:var(--c)}
.legend{font-size:12px;color:#59636e;margin:2px 0 0}
.legend .g{color:#1a7f37}
</style>
</head>
<body>
<header>
<h1>Key results as of {{date .At}}</h1>
<p>{{len .Results}} targets: {{index .Counts "met"}} met, {{index .Counts "on_track"}} on track, {{index .Counts "behind"}} behind, {{index .Counts "no_data"}} without enough data.
Each value is over the 28 days before {{date .At}}, with its 95% interval and the number of values behind it (n); the chart shows one point a week.</p>
</header>
<main class="cards">
{{- range .Results}}
<section class="card {{.Status}}">
<h2>{{.Metric}}</h2>
{{- with .Filter.String}}
<p class="filter">{{.}}</p>
{{- end}}
<span class="badge">{{status .Status}}</span>
<p class="current"><span class="value">{{num .Current}}</span> {{.Unit}}
{{- if .N}} <span class="ci">n = {{.N}}{{if .CILow}}, 95% interval {{num .CILow}}–{{num .CIHigh}}{{end}}</span>{{end}}</p>
<dl>
<dt>Baseline → goal</dt><dd>{{num .Baseline}} → {{num .Goal}}</dd>
<dt>Expected now</dt><dd>{{num .Expected}}</dd>
<dt>Due</dt><dd>{{.Due}}</dd>
</dl>
{{chart .}}
<p class="legend">— trend · <span class="g">- - goal</span> · ··· glide path from baseline to goal</p>
</section>
{{- end}}
</main>
</body>
</html>
`))
