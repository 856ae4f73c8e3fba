package keyresults

import (
	"math"
	"slices"

	"github.com/codepace/codepace/keyresults/figure"
)

// z is the two-sided 95% point of the standard normal distribution.
const z = 1.959964

// Summary is a statistic over one period's values with its 95% interval
// (docs/definitions.md §18 "Value and period"). Nil fields are null.
type Summary struct {
	Value     *float64
	N         *int
	Low, High *float64
}

// Summarise computes stat over values (in the measure's stored unit) and
// divides the value and the interval by scale (the unit's size). n is
// always set; Value is null for no value; the interval is null for fewer
// than 2 values (mean) or 5 values (quantiles).
//
//   - mean: the arithmetic mean, interval mean ± 1.959964·s/√n with s the
//     sample standard deviation;
//   - quantile p (max being p = 1): the value at 0-based position ⌊p·n⌋
//     of the sorted values (position n−1 for p = 1), as ClickHouse's
//     quantileExact; interval, with the values sorted x[1..n], q = p·n and
//     h = 1.959964·√(n·p·(1−p)): [x[max(1, ⌊q−h⌋)], x[min(n, ⌈q+h⌉+1)]].
func Summarise(values []float64, stat figure.Stat, scale float64) Summary {
	n := len(values)
	s := Summary{N: &n}
	if n == 0 {
		return s
	}
	if stat.Name == "mean" {
		var sum float64
		for _, v := range values {
			sum += v
		}
		mean := sum / float64(n)
		s.Value = ptr(mean / scale)
		if n >= 2 {
			var ss float64
			for _, v := range values {
				ss += (v - mean) * (v - mean)
			}
			half := z * math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
			s.Low, s.High = ptr((mean-half)/scale), ptr((mean+half)/scale)
		}
		return s
	}
	x := slices.Clone(values)
	slices.Sort(x)
	p := stat.Quantile
	// The same product ClickHouse truncates, so that positions agree.
	pos := n - 1
	if p < 1 {
		pos = int(p * float64(n))
	}
	s.Value = ptr(x[pos] / scale)
	if n >= 5 {
		q := p * float64(n)
		h := z * math.Sqrt(float64(n)*p*(1-p))
		lo := max(1, int(math.Floor(q-h)))
		hi := min(n, int(math.Ceil(q+h))+1)
		s.Low, s.High = ptr(x[lo-1]/scale), ptr(x[hi-1]/scale)
	}
	return s
}

func ptr[T any](v T) *T { return &v }
