package metrics

import (
	"math/bits"
	"time"
)

// maxNanos bounds the instants the sweeps work with, in nanoseconds since
// the Unix epoch: about the years 1823 to 2116. Clamping to it keeps the
// difference of any two instants within an int64.
const maxNanos = 1<<62 - 1

const dayNanos = int64(24 * time.Hour)

// nanos returns t in nanoseconds since the Unix epoch, clamped to
// ±maxNanos.
func nanos(t time.Time) int64 {
	// Unix seconds cannot overflow; UnixNano can.
	const maxSec = maxNanos / int64(time.Second)
	s := t.Unix()
	switch {
	case s > maxSec:
		return maxNanos
	case s < -maxSec:
		return -maxNanos
	}
	return min(max(s*int64(time.Second)+int64(t.Nanosecond()), -maxNanos), maxNanos)
}

// floorDiv is a / b rounded toward negative infinity, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// counts is an order-statistic multiset over the ranks 0..n-1 (a Fenwick
// tree): add and remove, count below a rank, find the k-th element, all in
// O(log n).
type counts struct {
	tree []int32 // 1-based
	top  int     // the highest power of two <= n
}

func newCounts(n int) counts {
	c := counts{tree: make([]int32, n+1)}
	if n > 0 {
		c.top = 1 << (bits.Len(uint(n)) - 1)
	}
	return c
}

// add adds d copies of rank i (removes them when d is negative).
func (c counts) add(i int, d int32) {
	for i++; i < len(c.tree); i += i & -i {
		c.tree[i] += d
	}
}

// below returns how many elements have a rank lower than i.
func (c counts) below(i int) int {
	n := 0
	for ; i > 0; i -= i & -i {
		n += int(c.tree[i])
	}
	return n
}

// kth returns the rank of the k-th smallest element, k from 1; the multiset
// must hold at least k elements.
func (c counts) kth(k int) int {
	pos := 0
	for step := c.top; step > 0; step >>= 1 {
		if next := pos + step; next < len(c.tree) && int(c.tree[next]) < k {
			pos = next
			k -= int(c.tree[next])
		}
	}
	return pos // 1-based pos+1, hence rank pos
}
