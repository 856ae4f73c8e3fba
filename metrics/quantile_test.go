package metrics

import (
	"math"
	"testing"
)

// TestQuantile checks the quantileExact semantics: the element at index
// floor(q×n), the last one for q >= 1. Expected values are what ClickHouse
// returns, e.g. SELECT quantileExact(0.5)(number) FROM numbers(10) = 5.
func TestQuantile(t *testing.T) {
	seq := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(i)
		}
		return s
	}
	tests := []struct {
		name   string
		sorted []float64
		q      float64
		want   float64
	}{
		{"median of numbers(10)", seq(10), 0.5, 5},
		{"median of numbers(1001)", seq(1001), 0.5, 500},
		{"median of numbers(1000)", seq(1000), 0.5, 500},
		{"p90 of numbers(10)", seq(10), 0.9, 9},
		{"p10 of numbers(10)", seq(10), 0.1, 1},
		{"p75 of 4 values", []float64{1, 2, 3, 4}, 0.75, 4},
		{"p50 of 4 values: no interpolation", []float64{1, 2, 3, 4}, 0.5, 3},
		{"p99 of 4 values", []float64{1, 2, 3, 4}, 0.99, 4},
		{"p95 of 20 values", seq(20), 0.95, 19},
		{"p90 of 3 values", []float64{10, 20, 30}, 0.9, 30},
		{"q = 1", []float64{1, 2, 3}, 1, 3},
		{"q > 1", []float64{1, 2, 3}, 2, 3},
		{"q = 0", []float64{1, 2, 3}, 0, 1},
		{"q < 0", []float64{1, 2, 3}, -1, 1},
		{"one value", []float64{7}, 0.5, 7},
		{"empty", nil, 0.5, math.NaN()},
		{"NaN level", []float64{1}, math.NaN(), math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Quantile(tt.sorted, tt.q)
			if got != tt.want && !(math.IsNaN(got) && math.IsNaN(tt.want)) {
				t.Errorf("Quantile(%v, %v) = %v, want %v", tt.sorted, tt.q, got, tt.want)
			}
		})
	}
}
