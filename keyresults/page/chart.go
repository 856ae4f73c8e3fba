package page

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"

	"github.com/codepace/codepace/keyresults"
)

// The chart's drawing area inside its viewBox (chartW × chartH).
const (
	chartW, chartH = 360.0, 140.0
	padLeft        = 46.0
	padRight       = 14.0
	padTop         = 10.0
	padBottom      = 20.0
)

// chart draws a card's weekly trend as an inline SVG: the trend (a line
// broken where a week has no value, a dot per value with its date and value
// as a tooltip), the goal as a dashed line, the glide path (the value
// expected at each instant, docs/definitions.md §18) as a dotted line, and
// the current value's 95% interval as a whisker. Empty when the trend has no
// point.
func chart(c keyresults.Result) string {
	if len(c.Trend) == 0 {
		return ""
	}
	x0, x1 := c.Trend[0].At, c.Trend[len(c.Trend)-1].At
	if !x0.Before(x1) {
		x0 = x1.AddDate(0, 0, -7)
	}
	glide := glidePath(c, x0, x1)
	var ys []float64
	for _, p := range c.Trend {
		if p.Value != nil {
			ys = append(ys, *p.Value)
		}
	}
	for _, p := range glide {
		ys = append(ys, *p.Value)
	}
	for _, v := range []*float64{c.Goal, c.CILow, c.CIHigh} {
		if v != nil {
			ys = append(ys, *v)
		}
	}
	s := newScale(x0, x1, ys)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s">`, chartW, chartH,
		html.EscapeString("weekly trend of "+c.Metric))
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" class="plot"/>`, padLeft, padTop, chartW-padLeft-padRight, chartH-padTop-padBottom)
	for _, v := range []float64{s.lo, s.hi} {
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" class="axis" text-anchor="end">%s</text>`, padLeft-4, s.y(v)+4, keyresults.Format(&v))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" class="axis">%s</text>`, padLeft, chartH-5, x0.Format(time.DateOnly))
	fmt.Fprintf(&b, `<text x="%g" y="%g" class="axis" text-anchor="end">%s</text>`, chartW-padRight, chartH-5, x1.Format(time.DateOnly))
	if c.Goal != nil {
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" class="goal"><title>goal %s</title></line>`,
			padLeft, s.y(*c.Goal), chartW-padRight, s.y(*c.Goal), keyresults.Format(c.Goal))
	}
	if len(glide) > 0 {
		fmt.Fprintf(&b, `<polyline points="%s" class="glide"><title>glide path from the baseline to the goal</title></polyline>`, s.points(glide))
	}
	if c.CILow != nil && c.CIHigh != nil {
		x := s.x(x1)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="ci"><title>95%% interval %s–%s</title></line>`,
			x, s.y(*c.CILow), x, s.y(*c.CIHigh), keyresults.Format(c.CILow), keyresults.Format(c.CIHigh))
	}
	for _, run := range runs(c.Trend) {
		if len(run) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" class="trend"/>`, s.points(run))
		}
	}
	if len(runs(c.Trend)) == 0 {
		fmt.Fprintf(&b, `<text x="%g" y="%g" class="axis" text-anchor="middle">no data in these weeks</text>`,
			(padLeft+chartW-padRight)/2, (padTop+chartH-padBottom)/2)
	}
	for _, p := range c.Trend {
		if p.Value != nil {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" class="dot"><title>%s: %s</title></circle>`,
				s.x(p.At), s.y(*p.Value), p.At.Format(time.DateOnly), keyresults.Format(p.Value))
		}
	}
	if len(runs(c.Trend)) == 0 {
		fmt.Fprintf(&b, `<text x="%g" y="%g" class="axis" text-anchor="middle">no data in these weeks</text>`,
			(padLeft+chartW-padRight)/2, (padTop+chartH-padBottom)/2)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// glidePath is c's expected value over [from, to] as the points where the
// piecewise linear path bends: from, to, and the glide path's start and due
// between them; nil without a baseline and a goal.
func glidePath(c keyresults.Result, from, to time.Time) []keyresults.Point {
	if c.Baseline == nil || c.Goal == nil {
		return nil
	}
	ts := []time.Time{from}
	for _, t := range []time.Time{c.Start, c.DueAt} {
		if t.After(from) && t.Before(to) {
			ts = append(ts, t)
		}
	}
	ts = append(ts, to)
	out := make([]keyresults.Point, len(ts))
	for i, t := range ts {
		v := keyresults.Expected(*c.Baseline, *c.Goal, c.Start, c.DueAt, t)
		out[i] = keyresults.Point{At: t, Value: &v}
	}
	return out
}

// runs splits a trend at the weeks without a value.
func runs(trend []keyresults.Point) [][]keyresults.Point {
	var out [][]keyresults.Point
	var cur []keyresults.Point
	for _, p := range trend {
		if p.Value == nil {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, p)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// scale maps times and values to the chart's coordinates.
type scale struct {
	t0, t1 time.Time
	lo, hi float64
}

// newScale spans [t0, t1] and the values ys with a margin of 8% of their
// range (or of the value, when they are all equal).
func newScale(t0, t1 time.Time, ys []float64) scale {
	s := scale{t0: t0, t1: t1}
	if len(ys) == 0 {
		s.lo, s.hi = 0, 1
		return s
	}
	s.lo, s.hi = ys[0], ys[0]
	for _, v := range ys {
		s.lo, s.hi = math.Min(s.lo, v), math.Max(s.hi, v)
	}
	pad := 0.08 * (s.hi - s.lo)
	if pad == 0 {
		pad = math.Max(math.Abs(s.lo)*0.1, 1)
	}
	s.lo, s.hi = s.lo-pad, s.hi+pad
	if s.lo < 0 && s.lo+pad >= 0 { // do not draw below zero for non-negative figures
		s.lo = 0
	}
	return s
}

func (s scale) x(t time.Time) float64 {
	f := t.Sub(s.t0).Seconds() / s.t1.Sub(s.t0).Seconds()
	return padLeft + f*(chartW-padLeft-padRight)
}

func (s scale) y(v float64) float64 {
	f := (v - s.lo) / (s.hi - s.lo)
	return chartH - padBottom - f*(chartH-padTop-padBottom)
}

func (s scale) points(ps []keyresults.Point) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%.1f,%.1f", s.x(p.At), s.y(*p.Value))
	}
	return strings.Join(parts, " ")
}
