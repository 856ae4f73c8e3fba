package metrics

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortedInts adds and removes random values, many equal, the set
// growing and shrinking by thousands, and compares it after
// each step with one sorted slice: its count, every value by rank, and its
// blocks (none empty or over sortedBlock, in order).
func TestSortedInts(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var s sortedInts
	var want []int64
	// blocks checks that no block is empty or over sortedBlock, and
	// returns their values.
	blocks := func(step int) []int64 {
		t.Helper()
		var all []int64
		for i, b := range s.blocks {
			if len(b) == 0 || len(b) > sortedBlock || !slices.IsSorted(b) {
				t.Fatalf("step %d: block %d of %d values (sorted %v)", step, i, len(b), slices.IsSorted(b))
			}
			all = append(all, b...)
		}
		return all
	}
	check := func(step int) {
		t.Helper()
		if s.n != len(want) {
			t.Fatalf("step %d: n %d, want %d", step, s.n, len(want))
		}
		if all := blocks(step); !slices.Equal(all, want) {
			t.Fatalf("step %d: blocks hold %d values, not the %d wanted in order", step, len(all), len(want))
		}
		for k := range want {
			if got := s.at(k); got != want[k] {
				t.Fatalf("step %d: at(%d) = %d, want %d", step, k, got, want[k])
			}
		}
	}
	maxBlocks := 0
	for step := range 30000 {
		grow := step%10000 < 6000 // up to thousands, then down, three times
		if len(want) > 0 && (!grow && rng.IntN(10) < 7 || grow && rng.IntN(10) < 3) {
			v := want[rng.IntN(len(want))]
			s.remove(v)
			i, _ := slices.BinarySearch(want, v)
			want = slices.Delete(want, i, i+1)
		} else {
			v := int64(rng.IntN(2000)) // about one value in three repeats
			if rng.IntN(50) == 0 {
				v = int64(rng.Uint64()>>1) - 1<<62
			}
			s.add(v)
			i, _ := slices.BinarySearch(want, v)
			want = slices.Insert(want, i, v)
		}
		maxBlocks = max(maxBlocks, len(s.blocks))
		blocks(step)
		if step%97 == 0 || len(want) < 3 {
			check(step)
		}
	}
	check(30000)
	if maxBlocks < 3 {
		t.Errorf("at most %d blocks: splitting and joining were not tested", maxBlocks)
	}
	t.Logf("at most %d blocks; %d values at the end", maxBlocks, len(want))
}
