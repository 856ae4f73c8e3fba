package metrics

import (
	"slices"
	"sort"
)

// sortedInts is a multiset of int64 values kept in order, in blocks of at
// most sortedBlock values: adding or removing a value moves at most one
// block's values, where one slice moved half of the set each time (a spike
// window at a million changes holds thousands of durations: 3.6 s of a
// full compute's CPU went to that), and the k-th value is found by walking
// the blocks' lengths.
type sortedInts struct {
	blocks [][]int64 // each non-empty and sorted, every value of one ≤ every value of the next
	n      int
}

// sortedBlock is the most values a block of sortedInts holds.
const sortedBlock = 512

// block is the index of the first block whose last value is v or more,
// len(s.blocks) when there is none.
func (s *sortedInts) block(v int64) int {
	return sort.Search(len(s.blocks), func(i int) bool {
		b := s.blocks[i]
		return b[len(b)-1] >= v
	})
}

// add adds v.
func (s *sortedInts) add(v int64) {
	i := s.block(v)
	if i == len(s.blocks) {
		if i == 0 {
			s.blocks = append(s.blocks, make([]int64, 0, sortedBlock))
		} else {
			i-- // v is the largest: it ends the last block
		}
	}
	b := s.blocks[i]
	j, _ := slices.BinarySearch(b, v)
	b = slices.Insert(b, j, v)
	if len(b) > sortedBlock { // split in halves
		half := len(b) / 2
		tail := append(make([]int64, 0, sortedBlock), b[half:]...)
		b = b[:half]
		s.blocks = slices.Insert(s.blocks, i+1, tail)
	}
	s.blocks[i] = b
	s.n++
}

// remove removes one v, which must be there.
func (s *sortedInts) remove(v int64) {
	i := s.block(v) // v's first occurrence is in it
	if i == len(s.blocks) {
		return
	}
	b := s.blocks[i]
	j, found := slices.BinarySearch(b, v)
	if !found {
		return
	}
	b = slices.Delete(b, j, j+1)
	s.n--
	switch {
	case len(b) == 0:
		s.blocks = slices.Delete(s.blocks, i, i+1)
		return
	case len(b) < sortedBlock/4 && i+1 < len(s.blocks) && len(b)+len(s.blocks[i+1]) <= sortedBlock:
		// A small block joins the next, so that the blocks stay few.
		b = append(b, s.blocks[i+1]...)
		s.blocks = slices.Delete(s.blocks, i+1, i+2)
	}
	s.blocks[i] = b
}

// at is the k-th smallest value, from 0.
func (s *sortedInts) at(k int) int64 {
	for _, b := range s.blocks {
		if k < len(b) {
			return b[k]
		}
		k -= len(b)
	}
	panic("sortedInts: index out of range")
}
