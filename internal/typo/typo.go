// Package typo finds the known word a mistyped one most likely meant,
// for error messages such as `unknown key "pasword_env" (did you mean
// "password_env"?)`.
package typo

import "math"

// Closest returns the word of known nearest to s by edit distance, if it
// is near enough to be a likely typo (at most max(2, len(s)/3) edits);
// else "".
func Closest(s string, known []string) string {
	best, bestDist := "", math.MaxInt
	for _, k := range known {
		if dist := Distance(s, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" && bestDist <= max(2, len(s)/3) {
		return best
	}
	return ""
}

// Distance is the Levenshtein distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
