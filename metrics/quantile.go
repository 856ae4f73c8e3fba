package metrics

import "math"

// Quantile returns the q-quantile of sorted (ascending) the way ClickHouse's
// quantileExact does, as docs/definitions.md §17 "Percentiles are exact
// (quantileExact)" asks: the element at index floor(q × n) for q < 1 and the
// last element for q >= 1, n being len(sorted); the first element for
// q <= 0. It never interpolates. An empty slice or a NaN q gives NaN.
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	switch {
	case n == 0 || math.IsNaN(q):
		return math.NaN()
	case q >= 1:
		return sorted[n-1]
	case q <= 0:
		return sorted[0]
	}
	return sorted[min(int(q*float64(n)), n-1)]
}
